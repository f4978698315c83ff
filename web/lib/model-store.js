// Gets a model file's bytes for createClassifier. `model` is one of:
//   - an ArrayBuffer or typed array: used as given (copied, so the caller's buffer stays usable);
//   - the URL of a manifest (a name ending in .json), the form `make web` / `make npm` write:
//       {"file": "sentiment.smf", "bytes": N, "sha256": "<64 hex digits>"}   (or {"file": null})
//     where file is relative to the manifest. The bytes come from the browser's Cache API when this
//     checksum was downloaded before, else from the network with progress, and are verified. A new
//     checksum is a new cache key; the old entry is deleted once the new one is stored, so the
//     browser keeps exactly one model. Offline, with the manifest unreachable, the one kept model
//     is used;
//   - the URL of a model file itself: downloaded with progress (the browser's HTTP cache applies).
// file: URLs (node) are read from disk. Errors are sentimentError()s (errors.js).
import { sentimentError, throwIfAborted } from './errors.js';

const MODEL_CACHE = 'sentiment-model'; // the page's service worker leaves this cache alone

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

async function openCache(useCache) {
    if (!useCache || !globalThis.caches) return null; // node, or not a secure context
    try {
        return await caches.open(MODEL_CACHE);
    } catch {
        return null; // storage disabled (e.g. some private modes)
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

async function fetchOrFail(url, init, what) {
    try {
        return await fetch(url, init);
    } catch (e) {
        throwIfAborted(init.signal);
        throw sentimentError('network', `Could not reach the site to fetch ${what} (offline?).`);
    }
}

// The manifest, or null when it says there is no model.
async function fetchManifest(url, signal) {
    let text;
    if (url.protocol === 'file:') {
        text = new TextDecoder().decode(await readLocalFile(url));
    } else {
        const response = await fetchOrFail(url, { cache: 'no-cache', signal }, 'the model description');
        if (!response.ok) throw sentimentError('network', `The model description could not be fetched (HTTP ${response.status}).`);
        text = await response.text();
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

// Downloads url with onProgress(received, total); total is expected (manifest) or announced.
async function download(url, expected, onProgress, signal) {
    if (url.protocol === 'file:') {
        const buffer = await readLocalFile(url);
        onProgress(buffer.byteLength, buffer.byteLength);
        return buffer;
    }
    const response = await fetchOrFail(url, { cache: expected ? 'no-store' : 'default', signal }, 'the model');
    if (!response.ok) throw sentimentError('network', `The model download failed (HTTP ${response.status}).`);
    const total = expected || Number(response.headers.get('Content-Length')) || 0;
    const parts = [];
    let received = 0;
    onProgress(0, total);
    const reader = response.body.getReader();
    for (;;) {
        let chunk;
        try {
            chunk = await reader.read();
        } catch {
            throwIfAborted(signal);
            throw sentimentError('network', `The model download was interrupted after ${received} of ${total} bytes.`);
        }
        if (chunk.done) break;
        received += chunk.value.length;
        if (expected && received > expected) {
            reader.cancel();
            throw sentimentError('network', `The model file is larger than announced (${expected} bytes); it does not match model.json.`);
        }
        parts.push(chunk.value);
        onProgress(received, Math.max(total, received));
    }
    if (expected && received !== expected) throw sentimentError('network', `The model download is incomplete: ${received} of ${expected} bytes.`);
    const bytes = new Uint8Array(received);
    let at = 0;
    for (const p of parts) {
        bytes.set(p, at);
        at += p.length;
    }
    return bytes.buffer;
}

// The one model kept from an earlier visit, for a visit without a reachable manifest.
async function keptModel(cache) {
    if (!cache) return null;
    const keys = await cache.keys();
    if (keys.length !== 1) return null;
    const sha256 = new URL(keys[0].url).searchParams.get('sha256') || '';
    const buffer = await (await cache.match(keys[0])).arrayBuffer();
    const digest = await sha256Hex(buffer);
    if (!/^[0-9a-f]{64}$/.test(sha256) || (digest !== null && digest !== sha256)) return null;
    return { buffer, key: keys[0].url, sha256 };
}

async function fromManifest(url, { cache: useCache, onProgress, signal }) {
    const cache = await openCache(useCache);
    let manifest;
    try {
        manifest = await fetchManifest(url, signal);
    } catch (e) {
        const kept = e.code === 'network' ? await keptModel(cache) : null;
        if (!kept) throw e;
        return { buffer: kept.buffer, source: 'cache', stored: true, sha256: kept.sha256, forget: () => cache.delete(kept.key) };
    }
    if (manifest === null) {
        throw sentimentError('no-model', 'This site has no model file yet: build it with a model in weights/sentiment.smf.', { retry: false });
    }
    const fileUrl = new URL(manifest.file, url);
    const key = `${fileUrl.href.replace(/[?#].*$/, '')}?sha256=${manifest.sha256}`;
    const forget = async () => { if (cache) await cache.delete(key); };
    if (cache) {
        const hit = await cache.match(key);
        if (hit) {
            const buffer = await hit.arrayBuffer();
            const digest = await sha256Hex(buffer);
            if (buffer.byteLength === manifest.bytes && (digest === null || digest === manifest.sha256)) {
                return { buffer, source: 'cache', stored: true, sha256: manifest.sha256, forget };
            }
            await cache.delete(key); // damaged copy on disk: fetch it again
        }
    }
    fileUrl.searchParams.set('v', manifest.sha256.slice(0, 16));
    const buffer = await download(fileUrl, manifest.bytes, onProgress, signal);
    const digest = await sha256Hex(buffer);
    if (digest !== null && digest !== manifest.sha256) {
        throw sentimentError('checksum', 'The downloaded model is damaged: its SHA-256 checksum does not match model.json. ' +
            'Try again; if it keeps failing, the site publishes a broken file.', { retry: true });
    }
    let stored = false;
    if (cache) {
        try {
            await cache.put(key, new Response(buffer.slice(0), { headers: { 'Content-Type': 'application/octet-stream' } }));
            for (const old of await cache.keys()) if (old.url !== key) await cache.delete(old);
            stored = true;
        } catch {
            stored = false; // quota exceeded: works now, downloads again next visit
        }
    }
    return { buffer, source: url.protocol === 'file:' ? 'file' : 'network', stored, sha256: manifest.sha256, forget };
}

async function baseUrl() {
    if (globalThis.location) return globalThis.location.href;
    const { pathToFileURL } = await import('node:url');
    return pathToFileURL(`${process.cwd()}/`).href;
}

// Resolves to {buffer, source: 'memory'|'cache'|'network'|'file', stored, sha256 (or null),
// forget()}: forget drops a kept copy the engine rejected, so it is not loaded again.
// onProgress(receivedBytes, totalBytes) during a download.
export async function openModel(model, { cache = true, onProgress = () => {}, signal } = {}) {
    throwIfAborted(signal);
    if (model instanceof ArrayBuffer || ArrayBuffer.isView(model)) {
        const view = model instanceof ArrayBuffer ? new Uint8Array(model) : new Uint8Array(model.buffer, model.byteOffset, model.byteLength);
        return { buffer: view.slice().buffer, source: 'memory', stored: false, sha256: null, forget: async () => {} };
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
    if (url.pathname.endsWith('.json')) return fromManifest(url, { cache, onProgress, signal });
    const buffer = await download(url, 0, onProgress, signal);
    return { buffer, source: url.protocol === 'file:' ? 'file' : 'network', stored: false, sha256: null, forget: async () => {} };
}
