// Inputs for the tokenizer parity tests, each a list of { name, bytes } lines (Buffers without
// '\n'): IMDb reviews from the shared TSV.gz files, the hand-written edge-case file, and a
// sweep over every Unicode scalar value in a few contexts.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

// The TSV text column escapes '\\', TAB, LF and CR as two characters (shared/data/README.md).
function unescapeText(s) {
    if (!s.includes("\\")) return s;
    return s.replace(/\\(.)/g, (_, c) => ({ "\\": "\\", t: "\t", n: "\n", r: "\r" })[c] ?? "\\" + c);
}

export function readImdb(path, limit = Infinity) {
    const rows = gunzipSync(readFileSync(path)).toString("utf8").split("\n");
    const header = rows[0].split("\t");
    if (header[header.length - 1] !== "text") throw new Error(`${path}: last column is not 'text'`);
    const out = [];
    for (let i = 1; i < rows.length && out.length < limit; i++) {
        if (rows[i] === "") continue;
        const cols = rows[i].split("\t");
        const text = unescapeText(cols[cols.length - 1]);
        // One review is one CLI line; a review with a newline would need another framing.
        if (text.includes("\n")) throw new Error(`${path}:${i + 1}: review contains a newline`);
        out.push({ name: `${path}:${i + 1}`, bytes: Buffer.from(text, "utf8") });
    }
    return out;
}

export function readEdgeCases(path) {
    const bytes = readFileSync(path);
    const out = [];
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
        if (i < bytes.length && bytes[i] !== 0x0a) continue;
        if (i > start || i < bytes.length) out.push({ name: `${path}:${out.length + 1}`, bytes: bytes.subarray(start, i) });
        start = i + 1;
    }
    return out;
}

// Every scalar value alone, inside a word, doubled and after a letter, 16 code points a line.
export function codepointSweep() {
    const out = [];
    let parts = [];
    let first = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        if (cp === 0x0a) continue; // the line separator itself
        const c = String.fromCodePoint(cp);
        if (parts.length === 0) first = cp;
        parts.push(`a${c}b ${c} ${c}${c}x`);
        if (parts.length === 16 || cp === 0x10ffff) {
            out.push({ name: `U+${first.toString(16).toUpperCase()}..U+${cp.toString(16).toUpperCase()}`, bytes: Buffer.from(parts.join(" "), "utf8") });
            parts = [];
        }
    }
    return out;
}
