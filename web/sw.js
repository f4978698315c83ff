// Service worker: makes the page work offline after the first visit, reload included.
// Page, code and the manifest are served network-first (a deploy is picked up on the next load;
// offline, the last copy answers). The model file is not handled here: the page keeps it in its
// own cache keyed by checksum (model-store.js), so it is never stored twice.
const SHELL_CACHE = 'sentiment-shell-v1';
const MODEL_CACHE = 'sentiment-model'; // owned by model-store.js; kept on activate
const SHELL_FILES = [
    './', 'index.html', 'style.css', 'icon.svg',
    'app.js', 'review-ui.js', 'batch-ui.js', 'engine-pool.js', 'model-store.js', 'highlight.js', 'batch.js',
    'csv.js', 'examples.js',
    'worker.js', 'sentiment.mjs', 'sentiment.wasm',
];
const OPTIONAL_FILES = ['model.json']; // absent when the site was built without a model

self.addEventListener('install', (event) => {
    event.waitUntil((async () => {
        const cache = await caches.open(SHELL_CACHE);
        await cache.addAll(SHELL_FILES.map((f) => new Request(f, { cache: 'reload' })));
        await Promise.all(OPTIONAL_FILES.map(async (f) => {
            try {
                const response = await fetch(f, { cache: 'reload' });
                if (response.ok) await cache.put(f, response);
            } catch {
                // optional: the page reports a missing model itself
            }
        }));
        await self.skipWaiting();
    })());
});

self.addEventListener('activate', (event) => {
    event.waitUntil((async () => {
        for (const name of await caches.keys()) {
            if (name !== SHELL_CACHE && name !== MODEL_CACHE) await caches.delete(name);
        }
        await self.clients.claim();
    })());
});

async function networkFirst(request) {
    const cache = await caches.open(SHELL_CACHE);
    try {
        const response = await fetch(request);
        if (response.ok && response.type === 'basic') {
            // Keyed without the query string, so '?v=…' variants don't pile up.
            const url = new URL(request.url);
            url.search = '';
            await cache.put(url.href, response.clone());
        }
        return response;
    } catch (error) {
        const cached = await cache.match(request, { ignoreSearch: true });
        if (cached) return cached;
        throw error;
    }
}

self.addEventListener('fetch', (event) => {
    const request = event.request;
    if (request.method !== 'GET') return;
    const url = new URL(request.url);
    if (url.origin !== self.location.origin) return;
    if (url.pathname.endsWith('.smf')) return;
    event.respondWith(networkFirst(request));
});
