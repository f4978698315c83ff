// Benchmark of the page itself in headless chromium (numbers, not a test): batch throughput and
// time per explanation, with cross-origin isolation (the pthreads build) and without (one worker, one thread).
//   node build_scripts/bench/page.mjs [--site build/web] [--data FILE.tsv.gz] [--batch 300] [--explain 20]
// Reviews: every k-th row of the data file (IMDb test by default, rows sorted by label).
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '../serve.mjs';

function option(name, fallback) {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : fallback;
}
const SITE = path.resolve(option('--site', 'build/web'));
const DATA = option('--data', path.join(process.env.DATA || '../shared/data/imdb', 'test.tsv.gz'));
const N_BATCH = Number(option('--batch', '300'));
const N_EXPLAIN = Number(option('--explain', '20'));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function sample(n) {
    const lines = gunzipSync(readFileSync(DATA)).toString('utf8').split('\n').filter(Boolean);
    const textColumn = lines[0].split('\t').indexOf('text');
    const rows = lines.slice(1);
    const stride = Math.max(1, Math.floor(rows.length / n));
    const out = [];
    for (let i = Math.floor(stride / 2); i < rows.length && out.length < n; i += stride) {
        // Escaped tabs/newlines become spaces: one review per line for the .txt batch.
        out.push(rows[i].split('\t')[textColumn].replace(/\\[tnr]/g, ' ').replace(/\\\\/g, '\\'));
    }
    return out;
}

async function measure(context, url, reviews, batchFile) {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('model-status').dataset.state === 'ready', null, { timeout: 120_000 });
    // What the page says it runs: "N engine workers" and, on builds that have it, "K threads (...)".
    const details = await page.textContent('#model-details');
    const workers = Number(/(\d+) engine worker/.exec(details)[1]);
    const threading = (/· (\d+ threads? [^·]*)$/.exec(details) || [, '1 thread'])[1].trim();

    await page.setInputFiles('[data-testid="batch-file"]', batchFile);
    await page.waitForSelector('[data-testid="batch-start"]:visible');
    const start = Date.now();
    await page.click('[data-testid="batch-start"]');
    await page.waitForSelector('#batch-progress-box[data-state="done"]', { timeout: 600_000 });
    const batchSeconds = (Date.now() - start) / 1000;

    const explainMs = [];
    const tokens = [];
    const passages = [];
    for (const text of reviews.slice(0, N_EXPLAIN)) {
        await page.fill('[data-testid="review-input"]', text);
        await page.click('[data-testid="classify-button"]');
        await page.waitForSelector('[data-testid="explained"][data-ready]', { timeout: 120_000 });
        const facts = await page.textContent('#reasons-facts');
        const m = /(\d+) re-scorings in (\d+) ms/.exec(facts);
        explainMs.push(Number(m[2]));
        passages.push(Number(m[1]));
        tokens.push(Number(/(\d+) tokens/.exec(await page.textContent('#result-facts'))[1]));
    }
    await page.close();
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sorted = explainMs.slice().sort((a, b) => a - b);
    return {
        workers, threading, reviewsPerSecond: reviews.length / batchSeconds, batchSeconds,
        explainMean: mean(explainMs), explainP50: sorted[Math.floor(sorted.length / 2)], explainMax: sorted.at(-1),
        tokens: mean(tokens), passages: mean(passages),
    };
}

async function main() {
    if (!existsSync(path.join(SITE, 'sentiment.smf')) || !existsSync(DATA)) {
        console.log(`bench/page.mjs: needs a site with a model (${SITE}) and data (${DATA})`);
        process.exit(77);
    }
    const reviews = sample(N_BATCH);
    const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'sentiment-bench-'));
    const batchFile = path.join(profile, 'reviews.txt');
    await fs.writeFile(batchFile, reviews.join('\n') + '\n');
    const context = await chromium.launchPersistentContext(path.join(profile, 'chromium'), {
        executablePath: '/usr/bin/chromium', args: FLAGS, headless: true });
    const servers = [];
    try {
        const rows = [];
        for (const isolation of [true, false]) {
            const s = await startServer(SITE, 0, { isolation });
            servers.push(s);
            rows.push({ isolation, ...(await measure(context, s.url, reviews, batchFile)) });
        }
        const model = JSON.parse(readFileSync(path.join(SITE, 'model.json'), 'utf8'));
        console.log(`page benchmark: ${reviews.length} IMDb reviews in a batch, ${N_EXPLAIN} explained one by one; ` +
            `model ${model.bytes} bytes; chromium headless; ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}`);
        console.log('| COOP/COEP | workers | threads each | batch reviews/s | batch s | explain ms mean | p50 | max | tokens (mean) | passages (mean) |');
        console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
        for (const r of rows) {
            console.log(`| ${r.isolation ? 'yes' : 'no'} | ${r.workers} | ${r.threading} | ${r.reviewsPerSecond.toFixed(1)} | ${r.batchSeconds.toFixed(1)} | ` +
                `${r.explainMean.toFixed(0)} | ${r.explainP50} | ${r.explainMax} | ${r.tokens.toFixed(0)} | ${r.passages.toFixed(1)} |`);
        }
    } finally {
        await context.close();
        for (const s of servers) {
            s.server.closeAllConnections();
            s.server.close();
        }
        await fs.rm(profile, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.log(`bench/page.mjs failed: ${e.message}`);
    process.exit(1);
});
