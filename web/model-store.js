// Gets the model file's bytes: from the browser's Cache API when this version was downloaded
// before, otherwise from the network with progress, verified against the manifest that
// `make web` writes next to it:
//   model.json = {"file": "sentiment.smf", "bytes": N, "sha256": "<64 hex digits>"}
//   (or {"file": null} when the site was built without a model)
// A new model version has a new sha256, hence a new cache key; the old entry is deleted once the
// new one is stored, so the browser keeps exactly one model.

const MODEL_CACHE = 'sentiment-model';

export class ModelError extends Error {
    constructor(message, { retry = true } = {}) {
        super(message);
        this.retry = retry; // whether trying again could help
    }
}

function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

// SHA-256 needs a secure context (https or localhost); elsewhere the engine's own checksum, which
// the loader always verifies, is the only check.
async function sha256Hex(buffer) {
    if (!(self.crypto && crypto.subtle)) return null;
    return hex(await crypto.subtle.digest('SHA-256', buffer));
}

function validManifest(m) {
    return m && typeof m.file === 'string' && /^[A-Za-z0-9._-]+$/.test(m.file) &&
        Number.isSafeInteger(m.bytes) && m.bytes > 0 && typeof m.sha256 === 'string' && /^[0-9a-f]{64}$/.test(m.sha256);
}

function cacheKey(manifest) {
    return new URL(`${manifest.file}?sha256=${manifest.sha256}`, self.location.href).href;
}

async function openCache() {
    if (!self.caches) return null; // not a secure context: no offline copy, download every visit
    try {
        return await caches.open(MODEL_CACHE);
    } catch {
        return null; // storage disabled (e.g. some private modes)
    }
}

// The manifest from the network (through the service worker, which answers from its cache when
// offline). Returns null when the site publishes no model.
export async function fetchManifest() {
    let response;
    try {
        response = await fetch('model.json', { cache: 'no-cache' });
    } catch {
        throw new ModelError('Could not reach the site to find the model (offline?), and no model was kept from an earlier visit.');
    }
    if (response.status === 404) return null; // a hand-made deploy without the file
    if (!response.ok) throw new ModelError(`The model description could not be fetched (HTTP ${response.status}).`);
    let manifest;
    try {
        manifest = await response.json();
    } catch {
        throw new ModelError('The model description (model.json) is not valid JSON.', { retry: false });
    }
    if (manifest && manifest.file === null) return null; // `make web` ran without a model
    if (!validManifest(manifest)) throw new ModelError('The model description (model.json) is malformed.', { retry: false });
    return manifest;
}

async function download(manifest, onProgress) {
    const url = `${manifest.file}?v=${manifest.sha256.slice(0, 16)}`;
    let response;
    try {
        response = await fetch(url, { cache: 'no-store' });
    } catch {
        throw new ModelError('The model download failed: the network is unreachable.');
    }
    if (!response.ok) throw new ModelError(`The model download failed (HTTP ${response.status}).`);
    const total = manifest.bytes;
    const bytes = new Uint8Array(total);
    let received = 0;
    onProgress(0, total);
    if (response.body && response.body.getReader) {
        const reader = response.body.getReader();
        for (;;) {
            let chunk;
            try {
                chunk = await reader.read();
            } catch {
                throw new ModelError(`The model download was interrupted after ${received} of ${total} bytes.`);
            }
            if (chunk.done) break;
            if (received + chunk.value.length > total) {
                reader.cancel();
                throw new ModelError(`The model file is larger than announced (${total} bytes); it does not match model.json.`);
            }
            bytes.set(chunk.value, received);
            received += chunk.value.length;
            onProgress(received, total);
        }
    } else {
        const whole = new Uint8Array(await response.arrayBuffer());
        if (whole.length > total) throw new ModelError('The model file is larger than announced in model.json.');
        bytes.set(whole);
        received = whole.length;
        onProgress(received, total);
    }
    if (received !== total) throw new ModelError(`The model download is incomplete: ${received} of ${total} bytes.`);
    return bytes.buffer;
}

// Resolves to {buffer, source: 'cache'|'network', stored: bool}; throws ModelError.
// onProgress(receivedBytes, totalBytes) during a download.
export async function loadModelBytes(manifest, onProgress = () => {}) {
    const cache = await openCache();
    const key = cacheKey(manifest);
    if (cache) {
        const hit = await cache.match(key);
        if (hit) {
            const buffer = await hit.arrayBuffer();
            const digest = await sha256Hex(buffer);
            if (buffer.byteLength === manifest.bytes && (digest === null || digest === manifest.sha256)) {
                return { buffer, source: 'cache', stored: true };
            }
            await cache.delete(key); // damaged copy on disk: fetch it again
        }
    }
    const buffer = await download(manifest, onProgress);
    const digest = await sha256Hex(buffer);
    if (digest !== null && digest !== manifest.sha256) {
        throw new ModelError('The downloaded model is damaged: its SHA-256 checksum does not match model.json. ' +
            'Try again; if it keeps failing, the site publishes a broken file.');
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
    return { buffer, source: 'network', stored };
}

// Drops the kept copy of this version (the engine rejected it: don't load it again).
export async function forgetModel(manifest) {
    const cache = await openCache();
    if (cache) await cache.delete(cacheKey(manifest));
}

// For a visit without a reachable manifest: the one model kept from an earlier visit, if any.
export async function cachedModel() {
    const cache = await openCache();
    if (!cache) return null;
    const keys = await cache.keys();
    if (keys.length !== 1) return null;
    const url = new URL(keys[0].url);
    const sha256 = url.searchParams.get('sha256') || '';
    const file = url.pathname.split('/').pop();
    const response = await cache.match(keys[0]);
    const buffer = await response.arrayBuffer();
    const manifest = { file, bytes: buffer.byteLength, sha256 };
    if (!validManifest(manifest)) return null;
    const digest = await sha256Hex(buffer);
    if (digest !== null && digest !== sha256) return null;
    return { manifest, buffer };
}

export function formatBytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
