// Gets a model file's bytes for createClassifier. `model` is one of:
//   - an ArrayBuffer or typed array: used as given (copied, so the caller's buffer stays usable);
//   - the URL of a manifest (a name ending in .json), the form `make web` / `make npm` write:
//       {"file": "sentiment.smf", "bytes": N, "sha256": "<64 hex digits>"}   (or {"file": null})
//     where file is relative to the manifest. The bytes come from the browser's Cache API when this
//     checksum was downloaded before, else from the network with progress, and are verified. A new
//     checksum is a new cache key; the old entry is deleted once the new one is stored, so the
//     browser keeps exactly one model. Offline, with the manifest unreachable, the one kept model
//     is used. A kept copy that fails the checksum is deleted and downloaded again; a browser that
//     cannot store it (quota exceeded, storage disabled) uses the downloaded bytes from memory;
//   - the URL of a model file itself: downloaded with progress (the browser's HTTP cache applies).
// A download that fails part way (connection dropped, HTTP 5xx, no bytes for stallTimeout ms) is
// tried again twice after a pause, resuming with a Range request where the server allows it;
// then the error reaches the caller (the page offers "Try again"). file: URLs (node) are read from
// disk. Errors are sentimentError()s (errors.js).
import { sentimentError, throwIfAborted, abortError } from './errors.js';

const MODEL_CACHE = 'sentiment-model'; // the page's service worker leaves this cache alone
// No byte (or no answer) for this long and the request is given up: long enough for a slow phone
// connection's pauses, short enough that nobody stares at a frozen progress bar for a minute.
export const STALL_TIMEOUT_MS = 15_000;
// Pauses before the automatic second and third attempts of a download that failed part way.
export const RETRY_DELAYS_MS = [1_000, 3_000];

function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

// SHA-256 needs a secure context (https or localhost) in a browser; elsewhere the engine's own
// checksum, which the loader always verifies, is the only check.
async function sha256Hex(buffer) {
    const subtle = globalThis.crypto && globalThis.crypto.subtle;
    return subtle ? hex(await subtle.digest('SHA-256', buffer)) : null;
}

function validManifest(m) {
    return m && typeof m.file === 'string' && /^(\.\.\/)*[A-Za-z0-9._-]+$/.test(m.file) &&
        Number.isSafeInteger(m.bytes) && m.bytes > 0 && typeof m.sha256 === 'string' && /^[0-9a-f]{64}$/.test(m.sha256);
}

function describeStorageError(e) {
    if (e && e.name === 'QuotaExceededError') return 'the browser\'s storage quota is exceeded';
    return `the browser refused to store it (${(e && e.name) || 'Error'}: ${(e && e.message) || e})`;
}

// The model cache, with every operation guarded: storage that is missing, disabled or full
// (private modes, quota) costs the copy for next time, never the classification. `error` says
// why nothing is kept (null when the cache works, or when the caller asked for no caching).
class ModelCache {
    constructor(cache, error) {
        this.cache = cache;
        this.error = error;
    }

    static async open(useCache) {
        if (!useCache) return new ModelCache(null, null);
        let storage;
        try {
            storage = globalThis.caches; // the getter itself throws in some sandboxed frames
        } catch (e) {
            return new ModelCache(null, describeStorageError(e));
        }
        if (!storage) return new ModelCache(null, 'this browser offers no Cache API here (it needs https or localhost)');
        try {
            return new ModelCache(await storage.open(MODEL_CACHE), null);
        } catch (e) {
            return new ModelCache(null, describeStorageError(e)); // storage disabled (some private modes)
        }
    }

    // The bytes kept under key, or null (none, or unreadable).
    async read(key) {
        if (!this.cache) return null;
        try {
            const hit = await this.cache.match(key);
            return hit ? await hit.arrayBuffer() : null;
        } catch {
            return null;
        }
    }

    async keys() {
        if (!this.cache) return [];
        try {
            return (await this.cache.keys()).map((r) => r.url);
        } catch {
            return [];
        }
    }

    async delete(key) {
        if (!this.cache) return;
        try {
            await this.cache.delete(key);
        } catch {
            // nothing more to do: a copy that cannot be deleted is re-checked on every visit
        }
    }

    // Keeps buffer under key as the only model; true when stored.
    async store(key, buffer) {
        if (!this.cache) return false;
        try {
            await this.cache.put(key, new Response(buffer.slice(0), { headers: { 'Content-Type': 'application/octet-stream' } }));
        } catch (e) {
            this.error = describeStorageError(e); // works now, downloads again next visit
            return false;
        }
        for (const old of await this.keys()) if (old !== key) await this.delete(old);
        return true;
    }
}

async function readLocalFile(url) {
    const { readFile } = await import('node:fs/promises');
    try {
        const data = await readFile(url);
        return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    } catch (e) {
        throw sentimentError('io', `cannot read ${url.pathname}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { retry: false });
    }
}

// An AbortSignal for one request that fires when the caller's signal does, or when arm() has not
// been called again for `ms` (no answer, or no bytes): then `stalled` is true.
function watchdog(outer, ms) {
    const controller = new AbortController();
    const state = { signal: controller.signal, stalled: false, ms };
    const onAbort = () => controller.abort();
    if (outer) outer.addEventListener('abort', onAbort, { once: true });
    let timer = 0;
    state.arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => { state.stalled = true; controller.abort(); }, ms);
    };
    state.done = () => {
        clearTimeout(timer);
        if (outer) outer.removeEventListener('abort', onAbort);
    };
    state.arm();
    return state;
}

function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        const onAbort = () => { clearTimeout(timer); reject(abortError()); };
        const timer = setTimeout(() => { if (signal) signal.removeEventListener('abort', onAbort); resolve(); }, ms);
        if (signal) signal.addEventListener('abort', onAbort, { once: true });
    });
}

// A failure another attempt may get past: marked retry: true, and tried again automatically.
function transientError(message) {
    return sentimentError('network', message, { retry: true });
}

async function fetchOrFail(url, init, what, guard) {
    try {
        return await fetch(url, { ...init, signal: guard.signal });
    } catch {
        if (guard.stalled) throw transientError(`The site did not answer the request for ${what} within ${guard.ms / 1000} s.`);
        throw guard.signal.aborted ? abortError() : transientError(`Could not reach the site to fetch ${what} (offline?).`);
    }
}

// The manifest, or null when it says there is no model.
async function fetchManifest(url, signal, stallTimeout) {
    let text;
    if (url.protocol === 'file:') {
        text = new TextDecoder().decode(await readLocalFile(url));
    } else {
        const guard = watchdog(signal, stallTimeout);
        try {
            const response = await fetchOrFail(url, { cache: 'no-cache' }, 'the model description', guard);
            if (!response.ok) throw sentimentError('network', `The model description could not be fetched (HTTP ${response.status}).`);
            text = await response.text().catch(() => {
                if (guard.stalled) throw transientError(`The model description stopped arriving for ${stallTimeout / 1000} s.`);
                throw guard.signal.aborted ? abortError() : transientError('The model description could not be read (connection lost).');
            });
        } finally {
            guard.done();
        }
    }
    let manifest;
    try {
        manifest = JSON.parse(text);
    } catch {
        throw sentimentError('manifest', `The model description (${url.pathname.split('/').pop()}) is not valid JSON.`, { retry: false });
    }
    if (manifest && manifest.file === null) return null;
    if (!validManifest(manifest)) throw sentimentError('manifest', 'The model description (model.json) is malformed.', { retry: false });
    return manifest;
}

// HTTP statuses worth a second attempt: the server or a proxy is overloaded or restarting.
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

// One request for the rest of the file: appends to got.parts from got.received on (a Range
// request once some bytes are in; a server that answers 200 instead starts it over).
async function downloadAttempt(url, got, { expected, cacheMode, onProgress, signal, stallTimeout }) {
    const guard = watchdog(signal, stallTimeout);
    try {
        const headers = {};
        if (got.received > 0) {
            headers.Range = `bytes=${got.received}-`;
            if (got.validator) headers['If-Range'] = got.validator; // the same file, or all of it again
        }
        const response = await fetchOrFail(url, { cache: cacheMode, headers }, 'the model', guard);
        if (response.status === 206) {
            const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('Content-Range') || '');
            if (!range || Number(range[1]) !== got.received) {
                got.parts = [];
                got.received = 0;
                throw transientError('The server resumed the model download at the wrong place; starting over.');
            }
        } else if (response.ok) {
            got.parts = [];   // a full answer: start over
            got.received = 0;
            const etag = response.headers.get('ETag');
            got.validator = etag && !etag.startsWith('W/') ? etag : response.headers.get('Last-Modified');
            got.total = expected || Number(response.headers.get('Content-Length')) || 0;
        } else {
            const message = `The model download failed (HTTP ${response.status}).`;
            throw TRANSIENT_STATUS.has(response.status) ? transientError(message) : sentimentError('network', message);
        }
        onProgress(got.received, got.total);
        const reader = response.body.getReader();
        for (;;) {
            let chunk;
            try {
                chunk = await reader.read();
            } catch {
                if (guard.stalled) {
                    throw transientError(`The model download stalled: no data for ${stallTimeout / 1000} s after ${got.received} of ${got.total} bytes.`);
                }
                throwIfAborted(signal);
                throw transientError(`The model download was interrupted after ${got.received} of ${got.total} bytes.`);
            }
            if (chunk.done) break;
            guard.arm();
            got.received += chunk.value.length;
            if (expected && got.received > expected) {
                reader.cancel();
                throw sentimentError('network', `The model file is larger than announced (${expected} bytes); it does not match model.json.`);
            }
            got.parts.push(chunk.value);
            onProgress(got.received, Math.max(got.total, got.received));
        }
        if (expected && got.received !== expected) {
            throw transientError(`The model download is incomplete: ${got.received} of ${expected} bytes.`);
        }
    } finally {
        guard.done();
    }
}

// Downloads url with onProgress(received, total); total is expected (manifest) or announced.
// onRetry({attempt, attempts, delay, loaded, total, reason}) before each automatic new attempt.
async function download(url, expected, { onProgress, onRetry, signal, stallTimeout }) {
    if (url.protocol === 'file:') {
        const buffer = await readLocalFile(url);
        onProgress(buffer.byteLength, buffer.byteLength);
        return buffer;
    }
    const got = { parts: [], received: 0, total: expected, validator: null };
    const options = { expected, cacheMode: expected ? 'no-store' : 'default', onProgress, signal, stallTimeout };
    const attempts = RETRY_DELAYS_MS.length + 1;
    for (let attempt = 1; ; attempt++) {
        try {
            await downloadAttempt(url, got, options);
            break;
        } catch (e) {
            if (e.code !== 'network' || e.retry !== true) throw e;
            if (attempt === attempts) {
                throw transientError(`${e.message} It failed ${attempts} times; check the connection and try again.`);
            }
            const delay = RETRY_DELAYS_MS[attempt - 1];
            onRetry({ attempt: attempt + 1, attempts, delay, loaded: got.received, total: got.total, reason: e.message });
            await sleep(delay, signal);
        }
    }
    const bytes = new Uint8Array(got.received);
    let at = 0;
    for (const p of got.parts) {
        bytes.set(p, at);
        at += p.length;
    }
    return bytes.buffer;
}

// A kept copy is usable when it is the announced size and, where SHA-256 is available, its digest.
async function intact(buffer, sha256, bytes) {
    if (buffer === null || (bytes !== undefined && buffer.byteLength !== bytes)) return false;
    const digest = await sha256Hex(buffer);
    return digest === null || digest === sha256;
}

// The one model kept from an earlier visit, for a visit without a reachable manifest.
async function keptModel(cache) {
    const keys = await cache.keys();
    if (keys.length !== 1) return null;
    const sha256 = new URL(keys[0]).searchParams.get('sha256') || '';
    const buffer = await cache.read(keys[0]);
    if (!/^[0-9a-f]{64}$/.test(sha256) || !(await intact(buffer, sha256))) return null;
    return { buffer, key: keys[0], sha256 };
}

async function fromManifest(url, { cache: useCache, onProgress, onRetry, signal, stallTimeout }) {
    const cache = await ModelCache.open(useCache && url.protocol !== 'file:');
    let manifest;
    try {
        manifest = await fetchManifest(url, signal, stallTimeout);
    } catch (e) {
        const kept = e.code === 'network' ? await keptModel(cache) : null;
        if (!kept) throw e;
        return {
            buffer: kept.buffer, source: 'cache', stored: true, sha256: kept.sha256, storageError: null, cacheDamaged: false,
            forget: () => cache.delete(kept.key),
        };
    }
    if (manifest === null) {
        throw sentimentError('no-model', 'This site has no model file yet: build it with a model in weights/sentiment.smf.', { retry: false });
    }
    const fileUrl = new URL(manifest.file, url);
    const key = `${fileUrl.href.replace(/[?#].*$/, '')}?sha256=${manifest.sha256}`;
    const forget = () => cache.delete(key);
    const hit = await cache.read(key);
    if (hit !== null && (await intact(hit, manifest.sha256, manifest.bytes))) {
        return { buffer: hit, source: 'cache', stored: true, sha256: manifest.sha256, storageError: null, cacheDamaged: false, forget };
    }
    const cacheDamaged = hit !== null;
    if (cacheDamaged) await cache.delete(key); // a damaged copy on disk: fetch it again
    fileUrl.searchParams.set('v', manifest.sha256.slice(0, 16));
    const buffer = await download(fileUrl, manifest.bytes, { onProgress, onRetry, signal, stallTimeout });
    const digest = await sha256Hex(buffer);
    if (digest !== null && digest !== manifest.sha256) {
        throw sentimentError('checksum', 'The downloaded model is damaged: its SHA-256 checksum does not match model.json. ' +
            'Try again; if it keeps failing, the site publishes a broken file.', { retry: true });
    }
    const stored = await cache.store(key, buffer);
    return {
        buffer, source: url.protocol === 'file:' ? 'file' : 'network', stored, sha256: manifest.sha256,
        storageError: cache.error, cacheDamaged, forget,
    };
}

async function baseUrl() {
    if (globalThis.location) return globalThis.location.href;
    const { pathToFileURL } = await import('node:url');
    return pathToFileURL(`${process.cwd()}/`).href;
}

// Resolves to {buffer, source: 'memory'|'cache'|'network'|'file', stored, sha256 (or null),
// storageError (why a downloaded model is not kept, or null), cacheDamaged (a kept copy failed
// its checksum and was downloaded again), forget()}: forget drops a kept copy the engine
// rejected, so it is not loaded again. onProgress(receivedBytes, totalBytes) during a download;
// onRetry({attempt, attempts, delay, loaded, total, reason}) before an automatic new attempt.
export async function openModel(model, { cache = true, onProgress = () => {}, onRetry = () => {}, signal, stallTimeout = STALL_TIMEOUT_MS } = {}) {
    throwIfAborted(signal);
    if (!(Number.isFinite(stallTimeout) && stallTimeout > 0)) {
        throw sentimentError('argument', `stallTimeout must be a positive number of milliseconds, got ${stallTimeout}`, { retry: false });
    }
    const none = { stored: false, sha256: null, storageError: null, cacheDamaged: false, forget: async () => {} };
    if (model instanceof ArrayBuffer || ArrayBuffer.isView(model)) {
        const view = model instanceof ArrayBuffer ? new Uint8Array(model) : new Uint8Array(model.buffer, model.byteOffset, model.byteLength);
        return { ...none, buffer: view.slice().buffer, source: 'memory' };
    }
    if (!(typeof model === 'string' || model instanceof URL)) {
        throw sentimentError('argument', 'model must be a URL (of a .smf file or its model.json) or an ArrayBuffer', { retry: false });
    }
    let url;
    try {
        url = new URL(model, await baseUrl());
    } catch {
        throw sentimentError('argument', `model is not a valid URL: ${model}`, { retry: false });
    }
    if (url.pathname.endsWith('.json')) return fromManifest(url, { cache, onProgress, onRetry, signal, stallTimeout });
    const buffer = await download(url, 0, { onProgress, onRetry, signal, stallTimeout });
    return { ...none, buffer, source: url.protocol === 'file:' ? 'file' : 'network' };
}
