// Exact parity of our tokenizer with Hugging Face's (Rust `tokenizers` through the npm package
// @anush008/tokenizers, loaded from tokenizer.json): every id, and every word piece's byte span
// where HF can tell it (HF gives offsets in characters of the decoded string; they are
// converted to bytes; lines with invalid UTF-8 compare ids only, since HF sees U+FFFD there).
// The golden ids are computed here, at test time.
//
//   node tests/tokenizer/parity.mjs --engine cli|wasm --tokenizer-json F --vocab V
//        [--cli build/sentiment] [--wasm build/wasm/sentiment.mjs]
//        [--imdb a.tsv.gz,b.tsv.gz] [--limit N] [--edge FILE] [--codepoints]
// Exits 0 when every line matches, 1 otherwise (printing the first differences).
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import tokenizers from "@anush008/tokenizers";
import { codepointSweep, readEdgeCases, readImdb } from "./sources.mjs";
import { loadWasmTokenizer } from "./wasm_tokenizer.mjs";

const { values: args } = parseArgs({
    options: {
        engine: { type: "string", default: "cli" },
        cli: { type: "string", default: "build/sentiment" },
        wasm: { type: "string", default: "build/wasm/sentiment.mjs" },
        "tokenizer-json": { type: "string" },
        vocab: { type: "string" },
        imdb: { type: "string" },
        limit: { type: "string" },
        edge: { type: "string" },
        codepoints: { type: "boolean", default: false },
    },
});
if (!args["tokenizer-json"] || !args.vocab) throw new Error("--tokenizer-json and --vocab are required");

const lines = [];
const limit = args.limit ? Number(args.limit) : Infinity;
for (const path of args.imdb ? args.imdb.split(",") : []) lines.push(...readImdb(path, limit));
if (args.edge) lines.push(...readEdgeCases(args.edge));
if (args.codepoints) lines.push(...codepointSweep());
if (lines.length === 0) throw new Error("no input: give --imdb, --edge or --codepoints");

const hf = tokenizers.Tokenizer.fromFile(args["tokenizer-json"]);
const lossy = new TextDecoder("utf-8", { ignoreBOM: true }); // what a page or node hands HF
const strict = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });

// Byte offset of every character boundary of a valid UTF-8 line (HF counts Rust chars, i.e.
// code points), or null for a line that is not valid UTF-8.
function charToByte(bytes) {
    let text;
    try { text = strict.decode(bytes); } catch { return null; }
    const at = [0];
    let b = 0;
    for (const ch of text) {
        const cp = ch.codePointAt(0);
        b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        at.push(b);
    }
    return at;
}

let checked = 0, tokens = 0, offsetsChecked = 0, failures = 0;
function report(line, what, expected, got) {
    failures++;
    if (failures > 10) return;
    const excerpt = lossy.decode(line.bytes.subarray(0, 200));
    console.error(`MISMATCH ${line.name}: ${what}\n  text: ${JSON.stringify(excerpt)}\n  HF:   ${expected}\n  ours: ${got}`);
}

// ours: { ids: Int32Array|number[], starts, ends } for one line, [CLS]/[SEP] included.
function compare(line, enc, ours) {
    checked++;
    const ids = enc.getIds();
    const n = Math.min(ids.length, ours.ids.length);
    let firstDiff = -1;
    for (let i = 0; i < n && firstDiff < 0; i++) if (ids[i] !== ours.ids[i]) firstDiff = i;
    if (firstDiff >= 0 || ids.length !== ours.ids.length) {
        const from = Math.max(0, firstDiff < 0 ? n - 3 : firstDiff - 3);
        report(line, `ids differ at token ${firstDiff < 0 ? n : firstDiff} (lengths ${ids.length} vs ${ours.ids.length})`,
            ids.slice(from, from + 8).join(" "), Array.from(ours.ids.slice(from, from + 8)).join(" "));
        return;
    }
    tokens += ids.length;
    const at = charToByte(line.bytes);
    if (!at) return;
    const offsets = enc.getOffsets();
    for (let i = 1; i < ids.length - 1; i++) { // [CLS]/[SEP] have no span in HF
        const s = at[offsets[i][0]], e = at[offsets[i][1]];
        if (s !== ours.starts[i] || e !== ours.ends[i]) {
            report(line, `byte span of token ${i} (id ${ids[i]})`, `${s}..${e}`, `${ours.starts[i]}..${ours.ends[i]}`);
            return;
        }
    }
    offsetsChecked++;
}

// HF encodes batch k+1 on its threads while batch k is compared here.
const BATCH = 256;
const inFlight = new Map(); // first line -> promise of that batch's encodings
function hfStart(from) {
    if (from < lines.length && !inFlight.has(from))
        inFlight.set(from, hf.encodeBatch(lines.slice(from, from + BATCH).map((l) => lossy.decode(l.bytes))));
}
async function hfBatch(from) {
    hfStart(from);
    hfStart(from + BATCH);
    const encs = await inFlight.get(from);
    inFlight.delete(from);
    // HF's encodings hold native memory that V8 does not see, so its heap never looks full
    // enough to collect them; with --expose-gc, collect every 32 batches.
    if ((from / BATCH) % 32 === 31) globalThis.gc?.();
    return encs;
}

async function runCli() {
    const child = spawn(args.cli, ["tokenize", "--vocab", args.vocab, "--offsets"], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.on("close", (code) => resolve(code)));
    Readable.from((function* () { for (const l of lines) { yield l.bytes; yield Buffer.from("\n"); } })()).pipe(child.stdin);
    let pending = [];
    let next = 0;
    const flush = async () => {
        const encs = await hfBatch(next);
        for (let k = 0; k < pending.length; k++) {
            const fields = pending[k] === "" ? [] : pending[k].split(" ");
            const ours = { ids: [], starts: [], ends: [] };
            for (const f of fields) {
                const [id, s, e] = f.split(":");
                ours.ids.push(Number(id)); ours.starts.push(Number(s)); ours.ends.push(Number(e));
            }
            compare(lines[next + k], encs[k], ours);
        }
        next += pending.length;
        pending = [];
    };
    // Pulling chunks from the stream (not readline, which buffers everything) keeps the CLI
    // waiting while HF catches up, so memory stays bounded.
    let partial = "", extra = false;
    for await (const chunk of child.stdout) {
        const parts = (partial + chunk.toString("latin1")).split("\n");
        partial = parts.pop();
        for (const text of parts) {
            if (next + pending.length >= lines.length) { extra = true; break; }
            pending.push(text);
            if (pending.length === BATCH) await flush();
        }
        if (extra) break;
    }
    if (extra || partial !== "") { failures++; console.error("MISMATCH: the CLI printed more lines than it was given"); child.kill(); }
    if (pending.length) await flush();
    const code = await exited;
    if (next !== lines.length) { failures++; console.error(`MISMATCH: ${lines.length} lines in, ${next} lines out`); }
    if (code !== 0) { failures++; console.error(`MISMATCH: the CLI exited with ${code}`); }
}

async function runWasm() {
    const wasm = await loadWasmTokenizer(args.wasm, args.vocab);
    for (let from = 0; from < lines.length; from += BATCH) {
        const to = Math.min(lines.length, from + BATCH);
        const encs = await hfBatch(from);
        for (let k = from; k < to; k++) {
            const ours = wasm.encode(lines[k].bytes);
            if (ours.nTotal !== ours.ids.length) report(lines[k], "untruncated encoding lost tokens", ours.nTotal, ours.ids.length);
            compare(lines[k], encs[k - from], ours);
        }
    }
}

const t0 = performance.now();
await (args.engine === "wasm" ? runWasm() : runCli());
const seconds = ((performance.now() - t0) / 1000).toFixed(1);
console.log(`${args.engine} parity: ${checked} lines, ${tokens} tokens identical to HF on ${checked - Math.min(failures, checked)} lines; ` +
    `byte spans checked on ${offsetsChecked} lines; ${failures} mismatches (${seconds} s)`);
process.exit(failures ? 1 : 0);
