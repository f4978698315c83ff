// Service worker: makes the page work offline after the first visit, reload included.
// Page, code and the manifest are served network-first (a deploy is picked up on the next load;
// offline, the last copy answers). The model file is not handled here: the page keeps it in its
// own cache keyed by checksum (lib/model-store.js), so it is never stored twice.
//
// `make web` replaces the PRECACHE line below with every file it copied into build/web/ except
// this one and the model, and a hash of their contents: a new module is kept for offline use
// without anyone listing it, and a new build changes this file's bytes, so the browser installs
// it and the old cache is deleted on activate.
const PRECACHE = {"version":"unbuilt","files":[]};
const SHELL_CACHE = `sentiment-shell-${PRECACHE.version}`;
const MODEL_CACHE = 'sentiment-model'; // owned by lib/model-store.js; kept on activate
// The manifests may be missing from a hand-made deploy; the page reports that itself.
const OPTIONAL_FILES = ['model.json', 'lib/model.json'];
// The page's own URL (the folder) answers with index.html, and is requested as such.
const SHELL_FILES = ['./', ...PRECACHE.files.filter((f) => !OPTIONAL_FILES.includes(f))];

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
