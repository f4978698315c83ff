// The page when the model download or the browser's storage misbehaves (issue 14), in headless
// chromium with the service worker blocked (so playwright sees every request):
//   - the connection drops half way, or stalls half way (no byte for the stall timeout): the page
//     says so, tries again by itself and resumes with a Range request where it stopped;
//   - the server never answers (a route left pending): given up after the stall timeout, retried;
//   - every attempt fails (route aborted): after three, a clear error and "Try again", which works
//     once the network is back;
//   - the kept copy in the Cache API is damaged (bytes flipped, or cut short): on reload it fails
//     the checksum, is evicted and downloaded again, and classifies right;
//   - storage refuses (QuotaExceededError on put; caches/indexedDB throwing as in private modes):
//     the model runs from memory and the page says it could not be kept.
//   node tests/web/download_faults_test.mjs [build/web]
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { startServer } from '../../build_scripts/serve.mjs';
import { POSITIVE_REVIEW, check, checkCount, classify, launch, stopServers, waitForModelState } from './browser.mjs';
import { STALL_TIMEOUT_MS } from '../../web/lib/model-store.js';

const SITE = path.resolve(process.argv[2] || 'build/web');
const MODEL = path.join(SITE, 'sentiment.smf');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

async function main() {
    if (!existsSync(path.join(SITE, 'lib/sentiment.wasm')) || !existsSync(MODEL)) {
        console.log(`no built site with a model at ${SITE}: run \`make web\` with weights/sentiment.smf`);
        process.exit(existsSync(path.join(SITE, 'lib/sentiment.wasm')) ? 77 : 1);
    }
    const bytes = readFileSync(MODEL);
    const digest = JSON.parse(readFileSync(path.join(SITE, 'model.json'), 'utf8')).sha256;
    const shipped = existsSync('weights/sentiment.smf') && sha256(readFileSync('weights/sentiment.smf')) === sha256(bytes);
    const half = Math.floor(bytes.length / 2);

    // The host: serve.mjs, but the next model requests get the faults queued in `faults`.
    const faults = [];
    const modelRequests = []; // the Range header of each request for the model (null: none)
    const held = [];          // stalled responses, ended at the close
    const intercept = (req, res, headers) => {
        if (!new URL(req.url, 'http://host').pathname.endsWith('.smf')) return false;
        modelRequests.push(req.headers.range || null);
        const fault = faults.shift();
        if (!fault) return false;
        res.writeHead(200, {
            ...headers, 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length,
            'Accept-Ranges': 'bytes', 'Last-Modified': statSync(MODEL).mtime.toUTCString(),
        });
        res.write(bytes.subarray(0, half));
        if (fault === 'drop') setTimeout(() => res.destroy(), 200); // after the half is on its way
        else held.push(res);                                        // 'stall': nothing more, ever
        return true;
    };
    const site = await startServer(SITE, 0, { intercept });
    const { context, close } = await launch({ serviceWorkers: 'block' });
    // Every message the model status shows, in order, for the checks on what the user was told.
    await context.addInitScript(() => {
        window.statusHistory = [];
        document.addEventListener('DOMContentLoaded', () => {
            const el = document.getElementById('model-status');
            if (!el) return; // not the page (the check of what storage kept loads icon.svg)
            new MutationObserver(() => window.statusHistory.push(`${el.dataset.state}: ${el.querySelector('#model-message').textContent}`))
                .observe(el, { subtree: true, childList: true, characterData: true, attributes: true });
        });
    });
    const uncaught = [];
    const newPage = async () => {
        const page = await context.newPage();
        page.on('pageerror', (e) => uncaught.push(e.message));
        return page;
    };
    const history = (page) => page.evaluate(() => window.statusHistory.join('\n'));
    const keptDigests = (page) => page.evaluate(async () => {
        const cache = await caches.open('sentiment-model');
        const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
        return Promise.all((await cache.keys()).map(async (k) => hex(await crypto.subtle.digest('SHA-256', await (await cache.match(k)).arrayBuffer()))));
    });
    const forgetModel = (page) => page.evaluate(() => caches.delete('sentiment-model'));
    const classifiesRight = async (page, what) => {
        const r = await classify(page, POSITIVE_REVIEW);
        check(shipped ? r.label === 'Positive' : ['Positive', 'Negative'].includes(r.label), `${what}: the page classifies (${r.label} ${r.positive.toFixed(3)})`);
    };

    try {
        // --- the connection drops, or stalls, half way: resumed from where it stopped ---
        for (const [fault, said] of [['drop', /interrupted after \d+ of \d+ bytes/], ['stall', new RegExp(`stalled: no data for ${STALL_TIMEOUT_MS / 1000} s`)]]) {
            faults.push(fault);
            modelRequests.length = 0;
            const page = await newPage();
            await page.goto(site.url);
            const status = await waitForModelState(page, ['ready', 'error']);
            const told = await history(page);
            check(status.state === 'ready', `${fault} half way: the model loads in the end: "${status.message}"`);
            check(said.test(told) && /Trying again in 1 s \(attempt 2 of 3\)/.test(told),
                `${fault} half way: the page said what happened and that it tries again (${told.split('\n').find((l) => said.test(l))})`);
            const resumedAt = Number((/^bytes=(\d+)-$/.exec(modelRequests[1] || '') || [])[1]);
            check(modelRequests.length === 2 && modelRequests[0] === null && resumedAt > 0 && resumedAt <= half,
                `${fault} half way: the second request resumed with a Range (${modelRequests.map((r) => r || 'no Range').join(', ')}; ${half} bytes were sent)`);
            check(JSON.stringify(await keptDigests(page)) === JSON.stringify([digest]), `${fault} half way: the resumed copy is kept, checksum right`);
            await classifiesRight(page, `${fault} half way`);
            await forgetModel(page);
            await page.close();
        }

        // --- no answer at all (a route left pending): given up after the stall timeout ---
        {
            const page = await newPage();
            let routed = 0;
            await page.route('**/*.smf*', (route) => { if (routed++ > 0) route.continue(); }); // the first: never answered
            await page.goto(site.url);
            const status = await waitForModelState(page, ['ready', 'error']);
            const told = await history(page);
            check(status.state === 'ready' && routed === 2, `no answer: the second attempt loads the model (${routed} requests): "${status.message}"`);
            check(new RegExp(`did not answer the request for the model within ${STALL_TIMEOUT_MS / 1000} s`).test(told),
                `no answer: the page said the site did not answer (${told.split('\n').find((l) => /did not answer/.test(l))})`);
            await forgetModel(page);
            await page.close();
        }

        // --- every attempt fails: an error, "Try again", and then it works ---
        const page = await newPage();
        let aborted = 0;
        await page.route('**/*.smf*', (route) => { aborted++; route.abort('connectionreset'); });
        await page.goto(site.url);
        let status = await waitForModelState(page, ['ready', 'error']);
        check(status.state === 'error' && /failed 3 times/.test(status.message) && aborted === 3,
            `three failed attempts end in a clear error (${aborted} requests): "${status.message}"`);
        check(await page.isVisible('[data-testid="retry-button"]') && await page.isDisabled('[data-testid="classify-button"]'),
            'the error offers "Try again" and classifying stays disabled');
        await page.unroute('**/*.smf*');
        await page.click('[data-testid="retry-button"]');
        status = await waitForModelState(page, ['ready', 'error']);
        check(status.state === 'ready', `once the network is back, "Try again" loads the model: "${status.message}"`);
        await classifiesRight(page, 'after "Try again"');

        // --- a damaged kept copy: evicted, downloaded again, right answer ---
        for (const [damage, how] of [['flipped bytes', 'flip'], ['cut short', 'cut']]) {
            const before = modelRequests.length;
            await page.evaluate(async (how) => {
                const cache = await caches.open('sentiment-model');
                const [key] = await cache.keys();
                const kept = new Uint8Array(await (await cache.match(key)).arrayBuffer());
                let damaged = kept.slice(0, kept.length >> 1);
                if (how === 'flip') {
                    damaged = kept.slice();
                    for (let i = 5000; i < 5064; i++) damaged[i] ^= 0x5a;
                }
                await cache.put(key, new Response(damaged));
            }, how);
            await page.reload();
            status = await waitForModelState(page, ['ready', 'error']);
            const notice = await page.textContent('[data-testid="model-notice"]');
            check(status.state === 'ready' && modelRequests.length === before + 1,
                `a kept copy with ${damage} is downloaded again (${modelRequests.length - before} request): "${status.message}"`);
            check(await page.isVisible('[data-testid="model-notice"]') && /damaged, so it was downloaded again/.test(notice),
                `a kept copy with ${damage}: the page says so: "${notice}"`);
            check(JSON.stringify(await keptDigests(page)) === JSON.stringify([digest]), `a kept copy with ${damage} is replaced by the right one`);
            await classifiesRight(page, `a kept copy with ${damage}`);
        }
        await forgetModel(page);
        await page.close();

        // --- storage refused: from memory, and the page says it could not keep the model ---
        const stubs = {
            'quota exceeded': [() => {
                const full = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
                Cache.prototype.put = () => Promise.reject(full());
                IDBFactory.prototype.open = () => { throw full(); };
            }, /quota is exceeded/],
            'no storage (private mode)': [() => {
                for (const name of ['caches', 'indexedDB']) {
                    Object.defineProperty(window, name, { get() { throw new DOMException(`${name} is disabled`, 'SecurityError'); } });
                }
            }, /SecurityError: caches is disabled/],
        };
        for (const [what, [stub, reason]] of Object.entries(stubs)) {
            const stubbed = await newPage();
            await stubbed.addInitScript(stub);
            await stubbed.goto(site.url);
            status = await waitForModelState(stubbed, ['ready', 'error']);
            const notice = await stubbed.textContent('[data-testid="model-notice"]');
            check(status.state === 'ready' && /not kept/.test(status.message), `${what}: the model loads from the network: "${status.message}"`);
            check(await stubbed.isVisible('[data-testid="model-notice"]') && /Could not keep the model in this browser/.test(notice) && reason.test(notice),
                `${what}: the page says it could not keep the model: "${notice}"`);
            await classifiesRight(stubbed, what);
            await stubbed.close();
            const plain = await newPage(); // the real storage: nothing was written
            await plain.goto(`${site.url}icon.svg`);
            check((await keptDigests(plain)).length === 0, `${what}: nothing was kept`);
            await plain.close();
        }
        check(uncaught.length === 0, `no uncaught errors (${uncaught.join(' | ')})`);
        console.log(`download faults: ${checkCount()} checks passed`);
    } finally {
        for (const res of held) res.destroy();
        await close();
        stopServers([site]);
    }
}

main().catch((e) => {
    console.log(`FAIL: ${e.message}`);
    process.exitCode = 1;
});
