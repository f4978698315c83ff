// Browser test of the built page (build/web, from `make web`) in headless Debian chromium driven
// by playwright-core. Serves the site with build_scripts/serve.mjs on free ports and checks:
// the model downloads and the engine starts; reviews are classified (correctly, when the site
// carries the shipped model weights/sentiment.smf); reasons are highlighted on the right text;
// a CSV batch runs with an error cell for a bad row, can be cancelled, and downloads; the page
// works offline after the first visit (server stopped, reload); it requests nothing off its
// origin and logs no console error; corrupt models are rejected with a clear message and a
// retry; a plain host without COOP/COEP works with one worker; a review of several sentences is
// shown sentence by sentence on the right text; the embedding example (examples/embed.html)
// classifies through the public module. Screenshots go to
// build/test-artifacts/.
//   node tests/web/page_test.mjs [build/web] [--trained]
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer } from '../../build_scripts/serve.mjs';
import {
    POSITIVE_REVIEW, NEGATIVE_REVIEW, READY_TIMEOUT, check, checkCount, classify, launch, stopServers, waitForModelState,
} from './browser.mjs';
import { parseDelimited } from '../../web/csv.js';
import { splitSentences } from '../../web/lib/sentences.js';

const SITE = path.resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) || 'build/web');
// --trained: the site carries a trained model other than weights/sentiment.smf; check labels too.
const TRAINED = process.argv.includes('--trained');
const ARTIFACTS = path.resolve('build/test-artifacts');
const SHIPPED_MODEL = path.resolve('weights/sentiment.smf');
// Accents, CJK, emoji (4-byte UTF-8, 2 UTF-16 units) and a <br /> before the words that matter.
const UNICODE_REVIEW = 'Café scene 😀 — « très bien » 最高!<br /><br />The film was wonderful 👍🏽 and the cast brilliant.';

function sha256(bytes) {
    return createHash('sha256').update(bytes).digest('hex');
}

// Watches one page: requests that leave the origin, console errors, uncaught exceptions.
function watch(page, origin) {
    const seen = { offOrigin: [], errors: [] };
    page.context().on('request', (req) => {
        const url = req.url();
        if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) seen.offOrigin.push(url);
    });
    page.on('console', (msg) => { if (msg.type() === 'error') seen.errors.push(msg.text()); });
    page.on('pageerror', (err) => seen.errors.push(`uncaught: ${err.message}`));
    return seen;
}

// The PRECACHE line `make web` wrote into the site's sw.js.
function precacheOf(site) {
    const line = readFileSync(path.join(site, 'sw.js'), 'utf8').split('\n').find((l) => l.startsWith('const PRECACHE = '));
    assert.ok(line, 'sw.js has a PRECACHE line');
    return JSON.parse(line.slice('const PRECACHE = '.length).replace(/;\s*$/, ''));
}

// Every file under dir, as sorted relative paths with '/' separators.
async function filesUnder(dir, prefix = '') {
    const out = [];
    for (const entry of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) out.push(...await filesUnder(dir, rel));
        else out.push(rel);
    }
    return out.sort();
}

// An explanation is up to 48 forward passes: on 2 cores shared with other work (a make test with
// a fuzzer beside it) one took over 30 s. The test checks what the page shows, not its speed
// (build_scripts/bench/page.mjs measures that).
const EXPLAIN_TIMEOUT = 120_000;

async function reasons(page) {
    await page.waitForSelector('[data-testid="explained"][data-ready]', { timeout: EXPLAIN_TIMEOUT });
    return page.$eval('[data-testid="explained"]', (el) => ({
        text: el.textContent,
        marks: Array.from(el.querySelectorAll('mark'), (m) => ({ text: m.textContent, cls: m.className, score: Number(m.dataset.score) })),
    }));
}

async function writeFixtures() {
    const csv = [
        'id,review,score',
        '1,"An absolute masterpiece, wonderful acting and a moving story. I loved it.",10',
        '2,"Terrible, boring and badly acted. ""The worst"" film of the year.",1',
        '3,"A review over two lines:\nthe second line says it was great fun.",8',
        '4',   // no review column: an error cell, the batch goes on
        '5,"Awful script, awful direction, awful everything.",2',
    ].join('\r\n') + '\r\n';
    const csvPath = path.join(ARTIFACTS, 'batch-sample.csv');
    await fs.writeFile(csvPath, csv);
    const lines = [];
    for (let i = 0; i < 600; i++) lines.push(`${i % 2 ? NEGATIVE_REVIEW : POSITIVE_REVIEW} (copy ${i})`);
    const txtPath = path.join(ARTIFACTS, 'batch-long.txt');
    await fs.writeFile(txtPath, lines.join('\n') + '\n');
    return { csvPath, txtPath };
}

// A copy of the site whose model bytes are damaged. matchManifest: also rewrite model.json so the
// download checks pass and the engine's own validation has to catch it.
async function corruptSite(name, matchManifest) {
    const dir = path.join(ARTIFACTS, name);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.cp(SITE, dir, { recursive: true });
    const modelPath = path.join(dir, 'sentiment.smf');
    const bytes = await fs.readFile(modelPath);
    for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 64; i++) bytes[i] ^= 0x5a;
    await fs.writeFile(modelPath, bytes);
    if (matchManifest) {
        // Both manifests of the site: its own and the module's default (lib/model.json).
        await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify({ file: 'sentiment.smf', bytes: bytes.length, sha256: sha256(bytes) }));
        await fs.writeFile(path.join(dir, 'lib/model.json'), JSON.stringify({ file: '../sentiment.smf', bytes: bytes.length, sha256: sha256(bytes) }));
    }
    return dir;
}

async function main() {
    if (!existsSync(path.join(SITE, 'index.html')) || !existsSync(path.join(SITE, 'lib/sentiment.wasm'))) {
        console.log(`no built site at ${SITE}: run \`make web\` first`);
        process.exit(1);
    }
    await fs.mkdir(ARTIFACTS, { recursive: true });
    const hasModel = existsSync(path.join(SITE, "sentiment.smf"));
    const shipped = hasModel && (TRAINED || (existsSync(SHIPPED_MODEL) &&
        sha256(readFileSync(path.join(SITE, 'sentiment.smf'))) === sha256(readFileSync(SHIPPED_MODEL))));
    console.log(`site ${SITE}: ${!hasModel ? 'no model' : TRAINED ? 'a trained model (--trained)' : shipped ? 'the shipped model' : 'a development model (labels not checked)'}`);

    const { context, close } = await launch({ acceptDownloads: true });
    const servers = [];
    try {
        const site = await startServer(SITE, 0);
        servers.push(site);
        const page = context.pages()[0] || await context.newPage();
        const seen = watch(page, site.url.replace(/\/$/, ''));
        // window.delayNextSentences = ms holds back the page's next by-sentence batch (a
        // classifyMany of several texts) on its way to the worker, to order answers at will.
        await page.addInitScript(() => {
            const post = Worker.prototype.postMessage;
            Worker.prototype.postMessage = function (message, transfer) {
                const ms = window.delayNextSentences;
                if (ms && message && message.type === 'classifyMany' && message.texts.length > 1) {
                    window.delayNextSentences = 0;
                    setTimeout(() => post.call(this, message, transfer), ms);
                    return;
                }
                return post.call(this, message, transfer);
            };
        });
        // Record what the download progress text says while it is on screen.
        await page.addInitScript(() => {
            window.progressTexts = [];
            document.addEventListener('DOMContentLoaded', () => {
                const el = document.getElementById('download-bytes');
                new MutationObserver(() => window.progressTexts.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
            });
        });
        await page.goto(site.url);

        if (!hasModel) {
            const status = await waitForModelState(page, ['no-model', 'error']);
            check(status.state === 'no-model', `without a model the page says so: "${status.message}"`);
            await page.screenshot({ path: path.join(ARTIFACTS, 'page-no-model.png'), fullPage: true });
            check(seen.offOrigin.length === 0, 'no request left the origin');
            check(seen.errors.length === 0, `no console errors (${seen.errors.join(' | ')})`);
            console.log('SKIP the remaining checks: build/web has no model (weights/sentiment.smf missing at `make web`)');
            process.exitCode = 77;
            return;
        }

        // --- first visit: download, engine, one review ---
        let status = await waitForModelState(page, ['ready', 'error']);
        check(status.state === 'ready', `the model downloads and the engine starts: "${status.message}"`);
        const progress = await page.evaluate(() => window.progressTexts);
        check(progress.length > 0 && / of \d+(\.\d)? MB$/.test(progress.at(-1)) && progress.at(-1).split(' of ')[0] === progress.at(-1).split(' of ')[1],
            `the download showed its progress in bytes of the total (${progress.length} updates, last "${progress.at(-1)}")`);
        check(await page.evaluate(() => self.crossOriginIsolated), 'the page is cross-origin isolated under serve.mjs');
        const cores = await page.evaluate(() => navigator.hardwareConcurrency);
        const threads = Math.min(cores, 4);
        check(new RegExp(`${Math.min(cores, 4)} engine worker.*${threads} threads? \\(cross-origin isolated\\)`).test(status.message),
            `the isolated page runs the pthreads build on every core, with a worker per core for batches: "${status.message}"`);

        const pos = await classify(page, POSITIVE_REVIEW);
        check(['Positive', 'Negative'].includes(pos.label) && pos.positive >= 0 && pos.positive <= 1,
            `a result is shown: ${pos.label} ${pos.positive}`);
        check(/tokens/.test(pos.text) && /ms/.test(pos.text), 'the result shows the token count and time');
        const neg = await classify(page, NEGATIVE_REVIEW, { keyboard: true });
        check(['Positive', 'Negative'].includes(neg.label), `Ctrl+Enter classifies too: ${neg.label} ${neg.positive}`);
        if (shipped) {
            check(pos.label === 'Positive' && pos.positive > 0.5, `an obviously positive review is Positive (${pos.positive})`);
            check(neg.label === 'Negative' && neg.positive < 0.5, `an obviously negative review is Negative (${neg.positive})`);
        }

        // --- long reviews: a truncation notice; beyond the engine's limit, a clear error ---
        const longReview = Array.from({ length: 120 }, (_, i) => `Scene ${i} was long but the cast kept it alive.`).join(' ');
        await classify(page, longReview);
        check(await page.isVisible('#result-truncated'),
            `a review longer than the model's limit shows a truncation notice: "${await page.textContent('#result-truncated')}"`);
        await page.fill('[data-testid="review-input"]', 'so bad '.repeat(300_000)); // 2.1 MB
        await page.click('[data-testid="classify-button"]');
        await page.waitForSelector('#review-error:not([hidden])', { timeout: 30_000 });
        check(await page.isHidden('[data-testid="result"]') && /limit|long|bytes/i.test(await page.textContent('#review-error')),
            `a 2 MB review gets a clear error: "${await page.textContent('#review-error')}"`);

        // --- reasons ---
        await classify(page, NEGATIVE_REVIEW);
        const r1 = await reasons(page);
        check(r1.text === NEGATIVE_REVIEW, 'the reasons view shows the review text unchanged');
        check(r1.marks.length > 0, `passages are highlighted (${r1.marks.length})`);
        // A review whose by-sentence scores come back late, after a newer review has been
        // classified and explained, must not clear the newer one's reasons.
        await page.evaluate(() => { window.delayNextSentences = 3000; });
        await classify(page, POSITIVE_REVIEW);
        await classify(page, NEGATIVE_REVIEW);
        await reasons(page);
        await page.waitForTimeout(4000);   // the held-back batch has been answered by now
        const stale = await page.$eval('[data-testid="explained"]', (el) => ({ ready: el.dataset.ready, text: el.textContent }));
        check(stale.ready === 'true' && stale.text === NEGATIVE_REVIEW,
            `a late answer for an older review leaves the newer review's reasons in place (ready: ${stale.ready})`);
        await classify(page, UNICODE_REVIEW);
        const r2 = await reasons(page);
        check(r2.text === UNICODE_REVIEW, 'byte offsets map to the right characters in a review with accents, CJK and emoji');
        // Every passage is a trimmed piece of the review that does not cut a word (CJK ideographs
        // are words of their own in BERT's tokenizer).
        const letter = (ch) => /[\p{L}\p{N}]/u.test(ch || '') && !/\p{Script=Han}/u.test(ch);
        const badPassages = r2.marks.filter((m) => {
            const at = UNICODE_REVIEW.indexOf(m.text);
            if (at < 0 || m.text.length === 0 || m.text.trim() !== m.text) return true;
            const before = UNICODE_REVIEW[at - 1];
            const after = UNICODE_REVIEW[at + m.text.length];
            return (letter(before) && letter(m.text[0])) || (letter(after) && letter(m.text.at(-1)));
        }).map((m) => m.text);
        check(r2.marks.length > 0 && badPassages.length === 0,
            `${r2.marks.length} passages are whole words of the review (${r2.marks.map((m) => m.text).join(' | ')}); bad: ${badPassages.join(' | ')}`);
        if (shipped) {
            const top = r1.marks.slice().sort((a, b) => Math.abs(b.score) - Math.abs(a.score))[0];
            check(top.score < 0 && top.cls === 'neg', `the strongest passage of the negative review pushes toward Negative ("${top.text}")`);
        }

        // --- sentence by sentence: each sentence on its own text, with its own score ---
        const bySentence = async () => {
            await page.waitForSelector('[data-testid="sentences"]:not([hidden])', { timeout: 30_000 });
            return page.$$eval('[data-testid="by-sentence"] .sentence', (els) => els.map((el) => ({
                text: el.textContent, start: Number(el.dataset.start), end: Number(el.dataset.end),
                label: el.dataset.label, positive: Number(el.dataset.positive),
            })));
        };
        const expectedSentences = splitSentences(UNICODE_REVIEW).map((s) => UNICODE_REVIEW.slice(s.start, s.end));
        const shown = await bySentence(); // the view of the review classified last (UNICODE_REVIEW)
        check(shown.length === 2 && JSON.stringify(shown.map((s) => s.text)) === JSON.stringify(expectedSentences) &&
            shown.every((s) => UNICODE_REVIEW.slice(s.start, s.end) === s.text),
            `the by-sentence view shows each sentence on its own, accents, CJK and emoji intact, the <br /> a break (${shown.map((s) => s.text).join(' | ')})`);
        check(shown.every((s) => ['Positive', 'Negative'].includes(s.label) && s.positive >= 0 && s.positive <= 1) &&
            /Overall: (Positive|Negative)/.test(await page.textContent('[data-testid="sentences-overall"]')),
            `each sentence has its own score beside the overall verdict (${shown.map((s) => s.positive.toFixed(2)).join(', ')})`);
        if (shipped) {
            await classify(page, 'The acting was wonderful and the music beautiful. But the ending was terrible, boring and stupid.');
            const mixed = await bySentence();
            check(mixed.length === 2 && mixed[0].label === 'Positive' && mixed[1].label === 'Negative',
                `a praising sentence is Positive and a panning one Negative (${mixed.map((s) => `${s.label} ${s.positive.toFixed(2)}`).join(', ')})`);
        }
        await classify(page, POSITIVE_REVIEW.split('. ')[0]);
        check(await page.isHidden('[data-testid="sentences"]'), 'a one-sentence review has no by-sentence view');
        await classify(page, UNICODE_REVIEW);
        await bySentence();
        await page.waitForTimeout(400); // let the probability bar finish its transition
        await page.screenshot({ path: path.join(ARTIFACTS, 'page-desktop.png'), fullPage: true });

        // --- batch: CSV with a bad row, download ---
        const { csvPath, txtPath } = await writeFixtures();
        await page.setInputFiles('[data-testid="batch-file"]', csvPath);
        await page.waitForSelector('[data-testid="batch-start"]:visible');
        check(await page.$eval('[data-testid="batch-column"]', (el) => el.options[el.selectedIndex].text) === 'review',
            'the review column is chosen from the header');
        await page.click('[data-testid="batch-start"]');
        await page.waitForSelector('#batch-progress-box[data-state="done"]', { timeout: 60_000 });
        const counts = await page.$eval('[data-testid="batch-counts"]', (el) => ({ ...el.dataset, text: el.textContent }));
        check(Number(counts.positive) + Number(counts.negative) === 4 && counts.errors === '1',
            `the batch classifies 4 rows and reports 1 error (${counts.text})`);
        if (shipped) check(counts.positive === '2' && counts.negative === '2', `batch labels: ${counts.text}`);
        check(await page.$$eval('#histogram .bar', (bars) => bars.length) === 10, 'a histogram of scores is drawn');
        check(await page.$eval('[data-testid="batch-table"]', (el) => /Error:/.test(el.textContent)), 'the bad row shows an error cell');
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="batch-download"]')]);
        const csv = parseDelimited(await fs.readFile(await download.path(), 'utf8'), ',').rows;
        await fs.copyFile(await download.path(), path.join(ARTIFACTS, 'batch-results.csv'));
        check(csv.length === 6 && csv[0].join(',') === 'id,review,score,label,positive,tokens,truncated,error',
            'the downloaded CSV has the input columns, the answers and one row per record');
        check(csv[3][1].includes('\n') && csv[2][1].includes('"The worst"'), 'quoted fields survive the round trip');
        check(csv[4][7] !== '' && csv[5][3] !== '', 'the bad row has an error and the row after it an answer');

        await page.locator('#batch-section').screenshot({ path: path.join(ARTIFACTS, 'page-batch.png') });

        // --- batch: a file dropped on the drop zone is read the same way ---
        const dropped = await page.evaluateHandle(() => {
            const dt = new DataTransfer();
            dt.items.add(new File(['id\ttext\n1\tA fine film.\n2\tA dull film.\n'], 'dropped.tsv', { type: 'text/tab-separated-values' }));
            return dt;
        });
        await page.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer: dropped });
        await page.waitForFunction(() => /dropped\.tsv: 2 records, 2 columns/.test(document.getElementById('batch-file-info').textContent));
        check(await page.$eval('[data-testid="batch-column"]', (el) => el.options[el.selectedIndex].text) === 'text',
            'a dropped TSV file is read and its text column chosen');

        // --- batch: cancel ---
        await page.setInputFiles('[data-testid="batch-file"]', txtPath);
        await page.waitForFunction(() => /600 lines/.test(document.getElementById('batch-file-info').textContent));
        await page.click('[data-testid="batch-start"]');
        await page.waitForFunction(() => Number(document.getElementById('batch-progress').value) > 0);
        await page.click('[data-testid="batch-cancel"]');
        await page.waitForSelector('#batch-progress-box[data-state="cancelled"]', { timeout: 60_000 });
        const cancelled = await page.$eval('[data-testid="batch-counts"]', (el) => ({ ...el.dataset }));
        check(Number(cancelled.pending) > 0 && Number(cancelled.positive) + Number(cancelled.negative) > 0,
            `cancel stops the batch part way (${cancelled.positive} + ${cancelled.negative} done, ${cancelled.pending} left)`);

        // --- phone width ---
        await page.setViewportSize({ width: 390, height: 844 });
        await classify(page, POSITIVE_REVIEW);
        await reasons(page);
        await page.screenshot({ path: path.join(ARTIFACTS, 'page-phone.png') });
        await page.locator('#batch-section').screenshot({ path: path.join(ARTIFACTS, 'page-phone-batch.png') });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        check(overflow <= 0, `nothing overflows sideways at phone width (${overflow} px)`);
        await page.emulateMedia({ colorScheme: 'dark' });
        await page.evaluate(() => document.getElementById('result').scrollIntoView());
        await page.screenshot({ path: path.join(ARTIFACTS, 'page-phone-dark.png') });
        await page.emulateMedia({ colorScheme: 'light' });
        await page.setViewportSize({ width: 1280, height: 900 });

        // --- the embedding example: someone else's page, the public module alone ---
        const embed = await context.newPage();
        const embedSeen = watch(embed, site.url.replace(/\/$/, ''));
        await embed.goto(`${site.url}examples/embed.html`);
        await embed.waitForSelector('#post:not([disabled])', { timeout: READY_TIMEOUT });
        await embed.fill('#comment', POSITIVE_REVIEW);
        await embed.click('#post');
        await embed.waitForSelector('[data-testid="mood"][data-label]', { timeout: 30_000 });
        const mood = await embed.textContent('[data-testid="mood"]');
        check(new RegExp(`^${pos.label} \\(\\d+ % positive\\)$`).test(mood) && embedSeen.errors.length === 0,
            `examples/embed.html classifies a comment as the page does: "${mood}" (${embedSeen.errors.join(' | ')})`);
        await embed.close();

        // --- a new model version replaces the kept one: leave only an 'older version' in the cache ---
        const current = JSON.parse(readFileSync(path.join(SITE, 'model.json'), 'utf8')).sha256;
        await page.evaluate(async () => {
            const cache = await caches.open('sentiment-model');
            for (const key of await cache.keys()) await cache.delete(key);
            await cache.put(`sentiment.smf?sha256=${'0'.repeat(64)}`, new Response('an older model'));
        });
        await page.reload();
        status = await waitForModelState(page, ['ready', 'error']);
        check(status.state === 'ready' && /kept for offline use/.test(status.message), `a new version is downloaded: "${status.message}"`);
        const keys = await page.evaluate(async () => (await (await caches.open('sentiment-model')).keys()).map((r) => r.url));
        check(keys.length === 1 && keys[0].endsWith(`sha256=${current}`), `the browser keeps exactly one model, the current one (${keys.join(' ')})`);

        // --- offline: the service worker and the model cache carry a reload ---
        // Its precache list is make web's: every file of the site but sw.js and the model.
        const precache = precacheOf(SITE);
        const siteFiles = (await filesUnder(SITE)).filter((f) => f !== 'sw.js' && !f.endsWith('.smf'));
        check(JSON.stringify(precache.files) === JSON.stringify(siteFiles),
            `sw.js precaches every file of the site but itself and the model (${precache.files.length} files)`);
        await page.evaluate(() => navigator.serviceWorker.ready);
        const shellKeys = await page.evaluate(async (name) => (await caches.has(name))
            ? (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname.replace(/^\//, '')) : null,
        `sentiment-shell-${precache.version}`);
        check(shellKeys && precache.files.every((f) => shellKeys.includes(f)),
            `the installed service worker's cache, named by the build's hash, holds every listed file`);
        await page.reload();
        await waitForModelState(page, ['ready', 'error']);
        check(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the service worker controls the page');
        await new Promise((resolve) => { site.server.close(resolve); site.server.closeAllConnections(); });
        servers.length = 0;
        await context.setOffline(true);
        await page.reload();
        status = await waitForModelState(page, ['ready', 'error']);
        check(status.state === 'ready' && /storage/.test(status.message),
            `offline, with the server gone, a reload works from the browser's copies: "${status.message}"`);
        const offline = await classify(page, POSITIVE_REVIEW);
        check(offline.label === pos.label && Math.abs(offline.positive - pos.positive) < 1e-6, 'offline classification gives the same answer');
        await context.setOffline(false);
        check(seen.offOrigin.length === 0, `no request left the origin (${seen.offOrigin.join(' ')})`);
        check(seen.errors.length === 0, `no console errors (${seen.errors.join(' | ')})`);

        // --- corrupt downloads: a clear message and a retry ---
        for (const [name, matchManifest, expected] of [
            ['web-corrupt-download', false, /checksum/i],
            ['web-corrupt-model', true, /rejected by the engine/i],
        ]) {
            const badDir = await corruptSite(name, matchManifest);
            const bad = await startServer(badDir, 0);
            servers.push(bad);
            const badPage = await context.newPage();
            const badSeen = watch(badPage, bad.url.replace(/\/$/, ''));
            await badPage.goto(bad.url);
            const badStatus = await waitForModelState(badPage, ['ready', 'error']);
            check(badStatus.state === 'error' && expected.test(badStatus.message), `${name}: "${badStatus.message}"`);
            check(await badPage.isVisible('[data-testid="retry-button"]'), `${name}: a retry button is offered`);
            check(await badPage.isDisabled('[data-testid="classify-button"]'), `${name}: classifying stays disabled`);
            check(badSeen.errors.length === 0, `${name}: no console errors (${badSeen.errors.join(' | ')})`);
            if (matchManifest) {
                await badPage.screenshot({ path: path.join(ARTIFACTS, 'page-corrupt-model.png') });
                const kept = await badPage.evaluate(async () => (await (await caches.open('sentiment-model')).keys()).length);
                check(kept === 0, `${name}: a model the engine rejects is not kept`);
            } else {
                // The host fixes the file: "Try again" now succeeds.
                await fs.copyFile(path.join(SITE, 'sentiment.smf'), path.join(badDir, 'sentiment.smf'));
                await badPage.click('[data-testid="retry-button"]');
                const retried = await waitForModelState(badPage, ['ready', 'error']);
                check(retried.state === 'ready', `${name}: after the file is fixed, Try again loads it: "${retried.message}"`);
            }
            await badPage.close();
        }

        // --- the WebAssembly file missing: the engine, not the model, is blamed ---
        const noWasmDir = path.join(ARTIFACTS, 'web-no-wasm');
        await fs.rm(noWasmDir, { recursive: true, force: true });
        await fs.cp(SITE, noWasmDir, { recursive: true });
        // Both builds: the isolated page would run the pthreads one.
        for (const f of ['sentiment.wasm', 'sentiment-threads.wasm']) await fs.rm(path.join(noWasmDir, 'lib', f));
        const noWasm = await startServer(noWasmDir, 0);
        servers.push(noWasm);
        const noWasmPage = await context.newPage();
        await noWasmPage.goto(noWasm.url);
        status = await waitForModelState(noWasmPage, ['ready', 'error']);
        check(status.state === 'error' && /code could not start/.test(status.message), `without sentiment.wasm: "${status.message}"`);
        await noWasmPage.close();

        // --- a plain static host (no COOP/COEP): one worker, still correct ---
        const plain = await startServer(SITE, 0, { isolation: false });
        servers.push(plain);
        const plainPage = await context.newPage();
        await plainPage.goto(plain.url);
        status = await waitForModelState(plainPage, ['ready', 'error']);
        check(status.state === 'ready' && /1 engine worker\b.*1 thread: host does not send COOP\/COEP/.test(status.message),
            `without isolation headers, the single-threaded build and why: "${status.message}"`);
        check(!(await plainPage.evaluate(() => self.crossOriginIsolated)), 'the plain host is not cross-origin isolated');
        const plainResult = await classify(plainPage, POSITIVE_REVIEW);
        check(plainResult.label === pos.label && Math.abs(plainResult.positive - pos.positive) < 1e-6,
            'the single-threaded build answers as the pthreads build does');
        await plainPage.close();
        console.log(`page test: ${checkCount()} checks passed`);
    } finally {
        await close();
        stopServers(servers);
    }
}

main().catch((e) => {
    console.log(`FAIL: ${e.message}`);
    process.exitCode = 1;
});
