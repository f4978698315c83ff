// The installed npm package used from a page: PROJECT (an npm project with movie-sentiment in
// node_modules, as tests/web/npm_test.sh leaves it) gets an index.html + main.js importing the
// package's module by path, is served statically (with COOP/COEP, so the module runs several
// workers) and opened in headless chromium. The page reports what the module answered, in the
// page and inside a worker of its own.
//   node tests/web/npm_page_test.mjs PROJECT
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../../build_scripts/serve.mjs';

const PROJECT = path.resolve(process.argv[2] || '');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const REVIEW = 'Café 😀 was wonderful, the cast brilliant!<br />最高。But the ending? Awful and boring.';

const MAIN_JS = `import { createClassifier } from './node_modules/movie-sentiment/index.js';
const review = ${JSON.stringify(REVIEW)};
const out = {};
try {
    const clf = await createClassifier({ onProgress: (p) => {
        if (p.phase === 'download' && p.loaded === p.total && p.total > 0) out.downloaded = p.total;
        out.lastPhase = p.phase;
    } });
    out.info = clf.info;
    out.classify = await clf.classify('A wonderful, moving film. I loved every minute of it.');
    out.batch = await clf.classifyBatch(['A dull, awful film.', '']);
    out.sentences = (await clf.sentences(review)).map((s) => ({ ...s, slice: review.slice(s.start, s.end) }));
    try { await clf.classify(''); } catch (e) { out.error = { isError: e instanceof Error, code: e.code }; }
    await clf.dispose();
    // The same module inside the page's own worker runs the engine in place.
    out.inWorker = await new Promise((resolve) => {
        const w = new Worker('./in-worker.js', { type: 'module' });
        w.onmessage = (event) => resolve(event.data);
        w.onerror = (event) => resolve({ failure: event.message });
    });
} catch (e) {
    out.failure = e.code + ': ' + e.message;
}
window.answers = out;
`;

const WORKER_JS = `import { createClassifier } from './node_modules/movie-sentiment/index.js';
try {
    const clf = await createClassifier();
    const r = await clf.classify('A wonderful, moving film. I loved every minute of it.');
    postMessage({ workers: clf.info.workers, label: r.label, positive: r.positive });
} catch (e) {
    postMessage({ failure: e.code + ': ' + e.message });
}
`;

let checks = 0;
function check(condition, message) {
    checks++;
    assert.ok(condition, message);
    console.log(`ok ${checks} - ${message}`);
}

async function main() {
    await fs.writeFile(path.join(PROJECT, 'index.html'),
        '<!doctype html><meta charset="utf-8"><title>npm test</title><link rel="icon" href="data:,"><script type="module" src="main.js"></script>\n');
    await fs.writeFile(path.join(PROJECT, 'main.js'), MAIN_JS);
    await fs.writeFile(path.join(PROJECT, 'in-worker.js'), WORKER_JS);
    const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'sentiment-npm-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS, headless: true });
    const server = await startServer(PROJECT, 0);
    try {
        const page = context.pages()[0] || await context.newPage();
        const errors = [];
        page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
        page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
        await page.goto(server.url);
        await page.waitForFunction(() => window.answers, null, { timeout: 120_000 });
        const a = await page.evaluate(() => window.answers);
        check(!a.failure, `the package's module starts in a page (${a.failure || 'ok'})`);
        check(a.info.workers >= 1 && a.info.source === 'network' && a.info.stored === true &&
            a.downloaded === a.info.bytes && a.lastPhase === 'start',
            `it runs in ${a.info.workers} worker(s), downloaded the bundled model with progress and kept it`);
        check(['Positive', 'Negative'].includes(a.classify.label) && a.classify.positive >= 0 && a.classify.positive <= 1,
            `classify: ${a.classify.label} ${a.classify.positive}`);
        check(a.batch.length === 2 && a.batch[0].label && a.batch[1].error.code === 'input', 'classifyBatch: an answer and a per-item error with a code');
        check(a.sentences.length === 4 && a.sentences.every((s) => s.slice === s.text && typeof s.positive === 'number'),
            `sentences map back to the text: ${a.sentences.map((s) => s.text).join(' | ')}`);
        check(a.error && a.error.isError && a.error.code === 'input', 'an empty review rejects with an Error whose code is input');
        check(a.inWorker && !a.inWorker.failure && a.inWorker.workers === 0 && a.inWorker.label === a.classify.label &&
            Math.abs(a.inWorker.positive - a.classify.positive) < 1e-6,
            `inside a worker it runs in place with the same answer (${JSON.stringify(a.inWorker)})`);
        check(errors.length === 0, `no console errors (${errors.join(' | ')})`);
        console.log(`npm package from a page: ${checks} checks passed`);
    } finally {
        await context.close();
        server.server.closeAllConnections();
        server.server.close();
        await fs.rm(profile, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.log(`FAIL ${e.message}`);
    process.exit(1);
});
