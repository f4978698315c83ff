// Batch input and output: turns a dropped file into a table of reviews and the engine's answers
// back into a CSV to download. Nothing here talks to the engine.
import { parseDelimited, formatDelimited } from './csv.js';

const TEXT_COLUMN_NAMES = ['text', 'review', 'reviews', 'content', 'comment', 'body', 'sentence'];
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

// A table: {kind: 'lines'|'csv'|'tsv', header: string[] (column names), rows: string[][],
// lineNumbers: number[] (where each row starts in the file, 1-based), problems: string[]}.
export async function readBatchFile(file) {
    if (file.size > MAX_FILE_BYTES) throw new Error(`The file is ${Math.round(file.size / 1048576)} MB; the page accepts up to 512 MB.`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    // Invalid UTF-8 becomes U+FFFD instead of failing the whole file.
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    const name = file.name.toLowerCase();
    if (name.endsWith('.csv') || name.endsWith('.tsv')) {
        const kind = name.endsWith('.csv') ? 'csv' : 'tsv';
        return tableFromDelimited(text, kind);
    }
    return tableFromLines(text);
}

// One review per line; blank lines are not reviews and are left out (line numbers keep their
// place in the file so results can be matched back).
export function tableFromLines(text) {
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const rows = [];
    const lineNumbers = [];
    text.split(/\r?\n/).forEach((line, i) => {
        if (line.trim() === '') return;
        rows.push([line]);
        lineNumbers.push(i + 1);
    });
    return { kind: 'lines', header: ['text'], rows, lineNumbers, problems: [] };
}

export function tableFromDelimited(text, kind) {
    const { rows, problems } = parseDelimited(text, kind === 'csv' ? ',' : '\t');
    if (rows.length === 0) return { kind, header: [], rows: [], lineNumbers: [], problems: ['the file is empty'] };
    const header = rows[0].map((h, i) => h.trim() || `column ${i + 1}`);
    const body = [];
    const lineNumbers = [];
    rows.slice(1).forEach((r, i) => {
        if (r.length === 1 && r[0].trim() === '') return; // blank line
        body.push(r);
        lineNumbers.push(i + 2); // record number (rows may span lines inside quotes)
    });
    return { kind, header, rows: body, lineNumbers, problems: problems.map((p) => `record ${p.row}: ${p.message}`) };
}

// The column most likely to hold the reviews: a known name, else the longest text on average.
export function guessTextColumn(table) {
    const lower = table.header.map((h) => h.toLowerCase());
    for (const name of TEXT_COLUMN_NAMES) {
        const i = lower.indexOf(name);
        if (i >= 0) return i;
    }
    let best = 0;
    let bestLength = -1;
    const sample = table.rows.slice(0, 200);
    for (let c = 0; c < table.header.length; c++) {
        const total = sample.reduce((sum, r) => sum + (r[c] || '').length, 0);
        if (total > bestLength) {
            best = c;
            bestLength = total;
        }
    }
    return best;
}

// The texts to classify for column c; rows that lack it get an error instead of a text.
export function textsForColumn(table, c) {
    return table.rows.map((r) => (c < r.length ? { text: r[c] } : { error: `this row has ${r.length} fields; the review column is number ${c + 1}` }));
}

function fixed(x, digits) {
    return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '';
}

// CSV of the input columns followed by the answers; results[i] may be undefined (cancelled).
export function resultsToCsv(table, inputs, results) {
    const header = table.kind === 'lines' ? ['line', 'text'] : [...table.header];
    header.push('label', 'positive', 'tokens', 'truncated', 'error');
    const out = [header];
    table.rows.forEach((row, i) => {
        const r = results[i] || { error: 'not classified (cancelled)' };
        const error = inputs[i].error || r.error || '';
        const answer = error ? ['', '', '', '', error]
            : [r.label, fixed(r.positive, 4), r.tokens, r.truncated ? 'true' : 'false', ''];
        // Ragged rows are padded or cut to the header so the answer columns stay aligned.
        const input = table.kind === 'lines' ? [table.lineNumbers[i], row[0]]
            : Array.from({ length: table.header.length }, (_, c) => row[c] ?? '');
        out.push([...input, ...answer]);
    });
    return formatDelimited(out);
}

// Counts and a histogram of P(positive) in `bins` equal bins over [0, 1].
export function summarize(results, bins = 10) {
    const histogram = new Array(bins).fill(0);
    let positive = 0;
    let negative = 0;
    let errors = 0;
    let pending = 0;
    for (const r of results) {
        if (!r) {
            pending++;
        } else if (r.error || typeof r.positive !== 'number') {
            errors++;
        } else {
            if (r.label === 'Positive') positive++;
            else negative++;
            histogram[Math.min(bins - 1, Math.max(0, Math.floor(r.positive * bins)))]++;
        }
    }
    return { positive, negative, errors, pending, histogram };
}
