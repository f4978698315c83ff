// One review at a time through the wasm engine, the single-threaded build against the pthreads
// build: median ms per review at about 128/256/512 tokens (IMDb test-sample reviews cut at a word
// to at most N tokens), the shipped model; under node (the engine in place), or with --chromium in
// a cross-origin isolated headless chromium page (the module's classify(), one engine worker, so a
// message round trip is included). Prints the CPU and the load average.
//   node build_scripts/bench/threads.mjs [--reps N] [--threads 1,2] [--chromium]
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import { createEngine } from '../../build/web/lib/engine.js';
import { startServer } from '../serve.mjs';

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const reps = Number(arg('--reps', '9'));
const threadCounts = arg('--threads', '1,2').split(',').map(Number);
const bytes = readFileSync('weights/sentiment.smf');
const rows = gunzipSync(readFileSync('tests/data/imdb_test_sample.tsv.gz')).toString('utf8').split('\n').filter((l) => l);
const words = rows.slice(1).map((l) => l.split('\t').at(-1)).join(' ').split(/\s+/).slice(0, 2000);   // well past 512 tokens

console.log(execSync("lscpu | grep -E 'Model name|^CPU\\(s\\)|Flags' | cut -c1-160").toString().trim());
console.log(`node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const engines = [];
for (const threads of process.argv.includes('--chromium') ? [1] : threadCounts) {
    const engine = await createEngine({ threads });
    engine.load(bytes);
    engines.push(engine);
}
// The longest word prefix with exactly n tokens (binary search on the word count).
function cut(n) {
    let lo = 1, hi = words.length;
    while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (engines[0].classify(words.slice(0, mid).join(' ')).tokens <= n) lo = mid; else hi = mid - 1;
    }
    return words.slice(0, lo).join(' ');
}
const texts = [128, 256, 512].map(cut);
const tokens = texts.map((t) => engines[0].classify(t).tokens);

function median(times) {
    times.sort((a, b) => a - b);
    return times[times.length >> 1];
}

function report(labels, cells) {
    console.log('tokens  ' + labels.map((l) => l.padEnd(40)).join(''));
    cells.forEach((row, i) => console.log(`${String(tokens[i]).padEnd(8)}` + row.map((ms) => `${ms.toFixed(1)} ms`.padEnd(40)).join('') +
        (row.length === 2 ? `ratio ${(row[1] / row[0]).toFixed(2)}` : '')));
}

if (process.argv.includes('--chromium')) {
    const { chromium } = await import('playwright-core');
    const server = await startServer('build/web', 0, { isolation: true });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const labels = [], columns = [];
    for (const threads of threadCounts) {
        const page = await browser.newPage();
        await page.goto(server.url + 'lib/model.json');   // a same-origin, isolated document
        const result = await page.evaluate(async ({ texts, threads, reps }) => {
            const { createClassifier } = await import('/lib/index.js');
            const clf = await createClassifier({ workers: 1, threads, cache: false });
            const ms = [];
            for (const text of texts) {
                for (let i = 0; i < 3; i++) await clf.classify(text);
                const times = [];
                for (let i = 0; i < reps; i++) {
                    const t = performance.now();
                    await clf.classify(text);
                    times.push(performance.now() - t);
                }
                ms.push(times);
            }
            const threading = clf.info.threading;
            await clf.dispose();
            return { ms, threading };
        }, { texts, threads, reps });
        labels.push(`chromium: ${result.threading}`);
        columns.push(result.ms.map(median));
        await page.close();
    }
    report(labels, texts.map((_, i) => columns.map((c) => c[i])));
    await browser.close();
    server.server.close();
    console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    process.exit(0);
}

const cells = texts.map((text) => {
    return engines.map((e) => {
        for (let i = 0; i < 3; i++) e.classify(text);   // warm-up
        const times = [];
        for (let i = 0; i < reps; i++) {
            const t = performance.now();
            e.classify(text);
            times.push(performance.now() - t);
        }
        return median(times);
    });
});
report(engines.map((e) => `node: ${e.threading}`), cells);
console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
