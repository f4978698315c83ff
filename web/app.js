// The page's entry point: creates the classifier through the public module (lib/index.js), which
// downloads and keeps the model and runs the engine workers, and hands it to the review and
// batch sections. No text typed or dropped here is sent anywhere: the only requests are for this
// site's own static files.
import { createClassifier } from './lib/index.js';
import { setUpReview } from './review-ui.js';
import { setUpBatch } from './batch-ui.js';

const $ = (id) => document.getElementById(id);

// Shared with the sections: the classifier once a model is loaded (its info included).
const session = { classifier: null };

function formatBytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

// --- model -------------------------------------------------------------------------------------

function setModelState(state, message) {
    $('model-status').dataset.state = state;
    $('model-message').textContent = message;
    if (state !== 'downloading') delete $('model-status').dataset.retry;
    $('retry-button').hidden = state !== 'error';
    $('download').hidden = state !== 'downloading';
    const ready = state === 'ready';
    $('classify-button').disabled = !ready;
    $('batch-start').disabled = !ready;
}

function showProgress({ phase, loaded, total, attempt, attempts, delay, reason }) {
    if (phase === 'start') {
        setModelState('loading', 'Starting the engine…');
        return;
    }
    if (phase === 'retry') {
        // The bar stays where it was: the next attempt resumes there when the host allows it.
        setModelState('downloading', `${reason} Trying again in ${Math.round(delay / 1000)} s (attempt ${attempt} of ${attempts})…`);
        $('model-status').dataset.retry = String(attempt);
        return;
    }
    if ($('model-status').dataset.state !== 'downloading' || $('model-status').dataset.retry) {
        delete $('model-status').dataset.retry;
        setModelState('downloading', `Downloading the model (${formatBytes(total)}, once; it is kept for next time)…`);
    }
    const progress = $('download-progress');
    progress.max = total;
    progress.value = loaded;
    $('download-bytes').textContent = `${formatBytes(loaded)} of ${formatBytes(total)}`;
}

function describeModel(info) {
    const parts = [];
    if (info.name) parts.push(info.name);
    const config = info.config;
    if (config && config.n_layers && config.dim)
        parts.push(`${config.n_layers} layers × ${config.dim}${info.ngram_mix > 0 ? ' + word-piece n-grams' : ''}`);
    if (info.quantization && info.quantization.scheme) parts.push(info.quantization.scheme);
    if (info.max_len) parts.push(`up to ${info.max_len} tokens`);
    parts.push(formatBytes(info.bytes));
    parts.push(info.source === 'cache' ? 'loaded from this browser\'s storage' : info.stored ? 'kept for offline use' : 'not kept (no storage)');
    const workers = Math.max(1, info.workers);
    parts.push(`${workers} engine worker${workers > 1 ? 's' : ''}${info.kernels ? ` (${info.kernels} kernels)` : ''}`);
    if (info.threading) parts.push(info.threading);
    return parts.join(' · ');
}

// What the page says about the browser's copy of the model when something went wrong with it.
function storageNotice(info) {
    const notes = [];
    if (info.cacheDamaged) notes.push('The copy of the model kept in this browser was damaged, so it was downloaded again.');
    if (info.storageError) {
        notes.push(`Could not keep the model in this browser: ${info.storageError}. ` +
            'It works now, from memory, and will be downloaded again on the next visit.');
    }
    return notes.join(' ');
}

// What the page says for each error code of the module (lib/errors.js).
function explainFailure(e) {
    if (e.code === 'engine') return `The classifier's code could not start in this browser: ${e.message}`;
    if (e.code === 'format' || e.code === 'memory') return `The model file was rejected by the engine: ${e.message}`;
    if (['network', 'checksum', 'manifest', 'io'].includes(e.code)) return e.message;
    return `Could not start the classifier: ${e.message}`;
}

async function startModel() {
    if (session.classifier) session.classifier.dispose();
    session.classifier = null;
    $('model-details').textContent = '';
    $('model-notice').hidden = true;
    setModelState('starting', 'Looking for the model…');
    try {
        session.classifier = await createClassifier({ onProgress: showProgress });
    } catch (e) {
        if (e.code === 'no-model') setModelState('no-model', e.message);
        else setModelState('error', explainFailure(e));
        return;
    }
    setModelState('ready', 'Ready. Everything runs on this device.');
    $('model-details').textContent = describeModel(session.classifier.info);
    $('model-notice').textContent = storageNotice(session.classifier.info);
    $('model-notice').hidden = !$('model-notice').textContent;
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
        ? 'This page is cross-origin isolated, so one review runs on several threads.'
        : 'This host does not send cross-origin isolation headers, so the engine runs on one thread.';
    registerServiceWorker();
    startModel();
}

main();
