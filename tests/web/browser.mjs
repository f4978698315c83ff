// What the browser tests share (page_test.mjs, download_faults_test.mjs, long_run_test.mjs):
// headless Debian chromium through playwright-core with a fresh profile, a numbered check, and
// the page's model state and single-review form.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const READY_TIMEOUT = 120_000;

export const POSITIVE_REVIEW = 'An absolute masterpiece. The acting is wonderful, the story is moving and beautifully told, ' +
    'and the music is superb. One of the best films I have ever seen; I loved every minute and will watch it again.';
export const NEGATIVE_REVIEW = 'Terrible. The worst movie I have seen in years: boring, badly acted, with a stupid plot and ' +
    'awful dialogue. A complete waste of time and money. Avoid it.';

let checks = 0;
export function check(condition, message) {
    checks++;
    assert.ok(condition, message);
    console.log(`ok ${checks} - ${message}`);
}
export const checkCount = () => checks;

// A persistent context on a new profile (removed by close()); options go to playwright.
export async function launch(options = {}, flags = []) {
    const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'sentiment-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium', args: [...CHROMIUM_FLAGS, ...flags], headless: true,
        viewport: { width: 1280, height: 900 }, ...options,
    });
    const close = async () => {
        await context.close();
        await fs.rm(profile, { recursive: true, force: true });
    };
    return { context, close };
}

export async function waitForModelState(page, states, timeout = READY_TIMEOUT) {
    await page.waitForFunction((wanted) => wanted.includes(document.getElementById('model-status').dataset.state),
        states, { timeout });
    return page.$eval('#model-status', (el) => ({ state: el.dataset.state, message: el.innerText.replace(/\s+/g, ' ').trim() }));
}

export async function classify(page, text, { keyboard = false } = {}) {
    await page.fill('[data-testid="review-input"]', text);
    if (keyboard) {
        await page.focus('[data-testid="review-input"]');
        await page.keyboard.press('Control+Enter');
    } else {
        await page.click('[data-testid="classify-button"]');
    }
    await page.waitForSelector('[data-testid="result"][data-label]', { timeout: 30_000 });
    return page.$eval('[data-testid="result"]', (el) => ({
        label: el.dataset.label, positive: Number(el.dataset.positive), text: el.textContent,
    }));
}

// Stops test servers (startServer's answers) without waiting for open connections.
export function stopServers(servers) {
    for (const s of servers) {
        s.server.closeAllConnections();
        s.server.close();
    }
}

// The JavaScript heaps of a page and of the workers it starts, through the DevTools protocol:
// attach before the workers start, then measure() collects garbage in each heap and returns the
// bytes still in use, {page, workers: [...]}, in milliseconds. (performance.measureUserAgentSpecificMemory
// waits for the browser's next scheduled measurement, up to a minute per call in this chromium.)
// Workers come from the page's own auto-attach; the engine's pthreads, workers of a worker, do
// not, and hold little JavaScript: their memory is the shared wasm heap, measured by the engine.
export async function jsHeaps(context, page) {
    const cdp = await context.newCDPSession(page);
    const workers = new Map();   // sessionId -> url
    const replies = new Map();   // message id -> resolve
    let nextId = 1;
    cdp.on('Target.attachedToTarget', (e) => { if (e.targetInfo.type === 'worker') workers.set(e.sessionId, e.targetInfo.url); });
    cdp.on('Target.detachedFromTarget', (e) => workers.delete(e.sessionId));
    cdp.on('Target.receivedMessageFromTarget', (e) => {
        const reply = JSON.parse(e.message);
        replies.get(reply.id)?.(reply);
        replies.delete(reply.id);
    });
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    const inWorker = (sessionId, method) => new Promise((resolve, reject) => {
        const id = nextId++;
        replies.set(id, (r) => (r.error ? reject(new Error(`${method}: ${r.error.message}`)) : resolve(r.result)));
        cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) }).catch(reject);
    });
    const measure = async () => {
        await cdp.send('HeapProfiler.collectGarbage');
        const page = (await cdp.send('Runtime.getHeapUsage')).usedSize;
        const inWorkers = [];
        for (const sessionId of workers.keys()) {
            await inWorker(sessionId, 'HeapProfiler.collectGarbage');
            inWorkers.push((await inWorker(sessionId, 'Runtime.getHeapUsage')).usedSize);
        }
        return { page, workers: inWorkers };
    };
    return { measure };
}
