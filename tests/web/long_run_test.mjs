// The engine workers' memory over a long session (issue 14): in headless chromium, a page of the
// site creates a classifier through the public module (two engine workers here: the site is
// served cross-origin isolated) and runs 2,000 classifications of real reviews
// (tests/data/imdb_test_sample.tsv.gz, 1,000 reviews: first their first WORDS words, then their
// last WORDS words) in batches of 100, and 200 explanations, 10 after each batch. After each
// batch it reads, per worker, the wasm memory's size and the bytes malloc has handed out
// (classifier.memory()), and the JavaScript heaps of the page and its engine workers after a
// garbage collection (jsHeaps, browser.mjs: the DevTools protocol). The first two batches
// (200 classifications, 20 explanations) are the warm-up; from there to the end each figure may
// grow by at most its margin below. Prints every figure.
//   node tests/web/long_run_test.mjs [build/web] [--batches 20] [--words 96]
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer } from '../../build_scripts/serve.mjs';
import { check, checkCount, jsHeaps, launch, stopServers } from './browser.mjs';
import { SAMPLE, readReviews } from './reviews.mjs';

function option(name, fallback) {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : fallback;
}
const SITE = path.resolve(process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !(all[i - 1] || '').startsWith('--')) || 'build/web');
const BATCHES = Number(option('--batches', '20'));
// Words kept of each review: about 128 tokens, so the run stays near a minute on two cores (the
// reviews' full length, 260 tokens on average, would take about three times as long).
const WORDS = Number(option('--words', '64'));
// Explanations of short texts score up to 48 passages each (the FLOP budget allows them): a
// review's first EXPLAIN_WORDS words keep 200 explanations to about the time of the batches.
const EXPLAIN_WORDS = 32;
const BATCH = 100;
const EXPLAIN_PER_BATCH = 10;
const WARM_UP_BATCHES = 2;
// What may grow after the warm-up. The wasm memory grows in 64 KiB pages and never shrinks: no
// new page is expected at all, one 1 MiB step is allowed. malloc's count is exact (0 B of growth
// measured): 4 KiB is less than one 16-byte block left behind by each of a worker's ~900
// classifications after the warm-up, or a 48-byte one by each of its ~90 explanations (a 40-byte
// leak per classification, injected, grew it by 4.6 KiB in 200 calls). The JavaScript heaps
// (about 1 MiB each after a collection) may grow by 1 MiB in all.
const MARGIN = { heapBytes: 1 << 20, inUseBytes: 4 << 10, jsBytes: 1 << 20 };

const MiB = (n) => `${(n / (1 << 20)).toFixed(2)} MiB`;

function headOrTail(text, tail, n = WORDS) {
    const words = text.split(/\s+/).filter(Boolean);
    return (tail ? words.slice(-n) : words.slice(0, n)).join(' ');
}

async function main() {
    if (!existsSync(path.join(SITE, 'lib/sentiment.wasm')) || !existsSync(path.join(SITE, 'sentiment.smf'))) {
        console.log(`no built site with a model at ${SITE}: run \`make web\` with weights/sentiment.smf`);
        process.exit(existsSync(path.join(SITE, 'lib/sentiment.wasm')) ? 77 : 1);
    }
    const reviews = readReviews(SAMPLE).map((r) => r.text);
    const site = await startServer(SITE, 0);
    const { context, close } = await launch();
    try {
        const page = context.pages()[0] || await context.newPage();
        const heaps = await jsHeaps(context, page);
        const uncaught = [];
        page.on('pageerror', (e) => uncaught.push(e.message));
        // A document of the site without the page's own classifier: only this test's workers run.
        await page.goto(`${site.url}icon.svg`);
        const setup = await page.evaluate(async () => {
            const { createClassifier } = await import('./lib/index.js');
            window.clf = await createClassifier();
            return { workers: window.clf.info.workers, isolated: self.crossOriginIsolated };
        });
        check(setup.workers >= 1 && setup.isolated, `a classifier with ${setup.workers} engine workers in a cross-origin isolated document`);
        const sample = async () => {
            const engines = await page.evaluate(() => window.clf.memory());
            const js = await heaps.measure();
            const workersJs = js.workers.reduce((sum, b) => sum + b, 0);
            return { engines, js: js.page + workersJs, workersJs, jsWorkers: js.workers.length };
        };

        let classified = 0, explained = 0, tokens = 0, baseline = null;
        const peak = { heapBytes: 0, inUseBytes: 0, jsBytes: 0 };
        const start = Date.now();
        // The texts go to the page once; each batch names its slice.
        const texts = [];
        const explainTexts = [];
        for (let b = 0; b < BATCHES; b++) {
            for (let i = 0; i < BATCH; i++) texts.push(headOrTail(reviews[(b * BATCH + i) % reviews.length], b * BATCH >= reviews.length));
            for (let i = 0; i < EXPLAIN_PER_BATCH; i++) {
                explainTexts.push(headOrTail(reviews[(b * EXPLAIN_PER_BATCH + i) * 3 % reviews.length], false, EXPLAIN_WORDS));
            }
        }
        await page.evaluate((all) => { window.texts = all; }, { texts, explainTexts });
        for (let b = 0; b < BATCHES; b++) {
            const done = await page.evaluate(async (b) => {
                const { texts, explainTexts } = window.texts;
                const results = await window.clf.classifyBatch(texts.slice(b * 100, (b + 1) * 100));
                let explainedOk = 0;
                for (const t of explainTexts.slice(b * 10, (b + 1) * 10)) if ((await window.clf.explain(t)).spans.length > 0) explainedOk++;
                return { ok: results.filter((r) => !r.error).length, tokens: results.reduce((s, r) => s + (r.tokens || 0), 0), explainedOk };
            }, b);
            classified += done.ok;
            explained += done.explainedOk;
            tokens += done.tokens;
            const m = await sample();
            const heapBytes = Math.max(...m.engines.map((e) => e.heapBytes));
            const inUseBytes = Math.max(...m.engines.map((e) => e.inUseBytes));
            const fig = { heapBytes, inUseBytes, jsBytes: m.js ?? 0 };
            console.log(`batch ${b + 1}: ${classified} classified, ${explained} explained, ${((Date.now() - start) / 1000).toFixed(0)} s; ` +
                `per worker wasm memory ${m.engines.map((e) => MiB(e.heapBytes)).join(' / ')}, malloc in use ${m.engines.map((e) => e.inUseBytes).join(' / ')} B; ` +
                `JS heaps (page + ${m.jsWorkers} workers) ${MiB(m.js)} (workers ${MiB(m.workersJs)})`);
            if (b + 1 === WARM_UP_BATCHES) baseline = { ...fig, engines: m.engines };
            if (b + 1 > WARM_UP_BATCHES) for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], fig[k]);
        }
        const final = await sample();
        check(classified === BATCHES * BATCH && explained === BATCHES * EXPLAIN_PER_BATCH,
            `${classified} classifications (mean ${(tokens / classified).toFixed(0)} tokens) and ${explained} explanations all answered`);
        final.engines.forEach((e, i) => {
            const base = baseline.engines[i];
            check(e.heapBytes - base.heapBytes <= MARGIN.heapBytes,
                `worker ${i}: wasm memory ${MiB(base.heapBytes)} after the warm-up, ${MiB(e.heapBytes)} at the end (margin ${MiB(MARGIN.heapBytes)})`);
            check(e.inUseBytes - base.inUseBytes <= MARGIN.inUseBytes,
                `worker ${i}: malloc in use ${base.inUseBytes} B after the warm-up, ${e.inUseBytes} B at the end (${e.inUseBytes - base.inUseBytes} B; margin ${MARGIN.inUseBytes} B)`);
        });
        check(final.jsWorkers === setup.workers, `the JavaScript heaps of the page and its ${final.jsWorkers} engine workers measured`);
        check(final.js - baseline.jsBytes <= MARGIN.jsBytes,
            `JavaScript heaps of the page and its workers: ${MiB(baseline.jsBytes)} after the warm-up, ${MiB(final.js)} at the end, peak ${MiB(peak.jsBytes)} (margin ${MiB(MARGIN.jsBytes)})`);
        check(uncaught.length === 0, `no uncaught errors (${uncaught.join(' | ')})`);
        console.log(`long run: ${checkCount()} checks passed in ${((Date.now() - start) / 1000).toFixed(0)} s`);
    } finally {
        await close();
        stopServers([site]);
    }
}

main().catch((e) => {
    console.log(`FAIL: ${e.message}`);
    process.exitCode = 1;
});
