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
