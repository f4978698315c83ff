// The page's entry point: gets the model (model-store.js), starts the engine workers
// (engine-pool.js) and hands them to the review and batch sections. No text typed or dropped
// here is sent anywhere: the only requests are for this site's own static files.
import { EnginePool } from './engine-pool.js';
import { fetchManifest, loadModelBytes, cachedModel, forgetModel, formatBytes, ModelError } from './model-store.js';
import { setUpReview } from './review-ui.js';
import { setUpBatch } from './batch-ui.js';

const $ = (id) => document.getElementById(id);

// Shared with the sections: the engine pool and the model info once a model is loaded.
const session = { pool: null, info: null };

// --- model -------------------------------------------------------------------------------------

function setModelState(state, message) {
    $('model-status').dataset.state = state;
    $('model-message').textContent = message;
    $('retry-button').hidden = state !== 'error';
    $('download').hidden = state !== 'downloading';
    const ready = state === 'ready';
    $('classify-button').disabled = !ready;
    $('batch-start').disabled = !ready;
}

function showProgress(received, total) {
    const progress = $('download-progress');
    progress.max = total;
    progress.value = received;
    $('download-bytes').textContent = `${formatBytes(received)} of ${formatBytes(total)}`;
}

function describeModel(info, manifest, source, stored, workers) {
    const parts = [];
    if (info && info.name) parts.push(info.name);
    const config = info && info.config;
    if (config) {
        const layers = config.n_layers ?? config.layers;
        const dim = config.dim ?? config.hidden;
        if (layers && dim) parts.push(`${layers} layers × ${dim}`);
    }
    if (info && info.quantization && info.quantization.scheme) parts.push(info.quantization.scheme);
    if (info && info.max_len) parts.push(`up to ${info.max_len} tokens`);
    parts.push(formatBytes(manifest.bytes));
    parts.push(source === 'cache' ? 'loaded from this browser\'s storage' : stored ? 'kept for offline use' : 'not kept (no storage)');
    parts.push(`${workers} engine worker${workers > 1 ? 's' : ''}${info && info.kernels ? ` (${info.kernels} kernels)` : ''}`);
    return parts.join(' · ');
}

async function startModel() {
    if (session.pool) session.pool.terminate();
    session.pool = null;
    session.info = null;
    $('model-details').textContent = '';
    setModelState('starting', 'Looking for the model…');
    try {
        let manifest;
        let buffer;
        let source;
        let stored;
        try {
            manifest = await fetchManifest();
        } catch (e) {
            // Offline without a service worker answer: use the copy kept from an earlier visit.
            const kept = await cachedModel();
            if (!kept) throw e;
            ({ manifest, buffer } = kept);
            source = 'cache';
            stored = true;
        }
        if (manifest === null) {
            setModelState('no-model', 'This site has no model file yet: build it with a model in weights/sentiment.smf.');
            return;
        }
        if (!buffer) {
            setModelState('downloading', `Downloading the model (${formatBytes(manifest.bytes)}, once; it is kept for next time)…`);
            ({ buffer, source, stored } = await loadModelBytes(manifest, showProgress));
        }
        setModelState('loading', 'Starting the engine…');
        const pool = new EnginePool();
        session.pool = pool;
        try {
            session.info = await pool.load(buffer);
        } catch (e) {
            if (e.engineFailure) throw new ModelError(`The classifier's code could not start in this browser: ${e.message}`);
            await forgetModel(manifest);
            throw new ModelError(`The model file was rejected by the engine: ${e.message}`);
        }
        setModelState('ready', 'Ready. Everything runs on this device.');
        $('model-details').textContent = describeModel(session.info, manifest, source, stored, pool.size);
    } catch (e) {
        if (session.pool) session.pool.terminate();
        session.pool = null;
        session.info = null;
        const message = e instanceof ModelError ? e.message : `Could not start the classifier: ${e.message}`;
        setModelState('error', message);
    }
}

// --- start -------------------------------------------------------------------------------------

function registerServiceWorker() {
    if (!('serviceWorker' in navigator) || !self.isSecureContext) return;
    // Offline use is a bonus: the page works without it, so a failure is only noted.
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch((e) => {
        console.warn(`offline support unavailable: ${e.message}`);
    });
}

function main() {
    setUpReview(session);
    setUpBatch(session);
    $('retry-button').addEventListener('click', startModel);
    $('engine-facts').textContent = self.crossOriginIsolated
        ? 'This page is cross-origin isolated, so it runs several engine workers.'
        : 'This host does not send cross-origin isolation headers, so one engine worker is used.';
    registerServiceWorker();
    startModel();
}

main();
