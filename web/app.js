// The page: gets the model (model-store.js), starts the engine workers (engine-pool.js) and wires
// the single-review form, the reasons view and the batch section to them. No text typed or
// dropped here is sent anywhere: the only requests are for this site's own static files.
import { EnginePool } from './engine-pool.js';
import { fetchManifest, loadModelBytes, cachedModel, forgetModel, formatBytes, ModelError } from './model-store.js';
import { renderExplanation } from './highlight.js';
import { readBatchFile, guessTextColumn, textsForColumn, resultsToCsv, summarize } from './batch.js';
import { EXAMPLES } from './examples.js';

const $ = (id) => document.getElementById(id);

let pool = null;        // EnginePool once a model is loaded
let modelInfo = null;   // sent_wasm_model_info() of the loaded model
let requestCounter = 0; // answers to an older request than the latest are dropped

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

function describeModel(info, manifest, source, stored) {
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
    parts.push(`${pool.size} engine worker${pool.size > 1 ? 's' : ''}${info && info.kernels ? ` (${info.kernels} kernels)` : ''}`);
    return parts.join(' · ');
}

async function startModel() {
    if (pool) pool.terminate();
    pool = null;
    modelInfo = null;
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
        pool = new EnginePool();
        try {
            modelInfo = await pool.load(buffer);
        } catch (e) {
            await forgetModel(manifest);
            throw new ModelError(`The model file was rejected by the engine: ${e.message}`);
        }
        setModelState('ready', 'Ready. Everything runs on this device.');
        $('model-details').textContent = describeModel(modelInfo, manifest, source, stored);
    } catch (e) {
        if (pool) pool.terminate();
        pool = null;
        const message = e instanceof ModelError ? e.message : `Could not start the classifier: ${e.message}`;
        setModelState('error', message);
    }
}

// --- one review --------------------------------------------------------------------------------

function showReviewError(message) {
    $('review-error').textContent = message;
    $('review-error').hidden = !message;
}

function showResult(result, seconds) {
    const box = $('result');
    const positive = result.positive;
    const isPositive = result.label === 'Positive';
    const confidence = isPositive ? positive : 1 - positive;
    $('result-label').textContent = result.label;
    $('result-label').className = `label-badge ${isPositive ? 'pos' : 'neg'}`;
    $('result-confidence').textContent = `${(confidence * 100).toFixed(1)} % confident`;
    $('result-meter').style.setProperty('--p', positive.toFixed(4));
    $('result-facts').textContent =
        `P(Positive) = ${positive.toFixed(3)} · ${result.tokens} tokens · ${(seconds * 1000).toFixed(0)} ms`;
    const truncated = $('result-truncated');
    truncated.hidden = !result.truncated;
    if (result.truncated) {
        const maxLen = modelInfo && modelInfo.max_len ? modelInfo.max_len : 'the model\'s limit of';
        truncated.textContent = `This review is longer than ${maxLen} tokens: the model read its beginning and end and skipped the middle.`;
    }
    box.dataset.label = result.label;
    box.dataset.positive = String(positive);
    box.hidden = false;
}

async function classifyReview() {
    if (!pool) return;
    const text = $('review-input').value;
    const request = ++requestCounter;
    showReviewError('');
    const box = $('result');
    delete box.dataset.label;
    delete box.dataset.positive;
    $('reasons').hidden = true;
    if (text.trim() === '') {
        box.hidden = true;
        showReviewError('Type or paste a review first.');
        return;
    }
    $('classify-button').setAttribute('aria-busy', 'true');
    try {
        const start = performance.now();
        const result = await pool.classify(text);
        if (request !== requestCounter) return;
        if (result.error) {
            box.hidden = true;
            showReviewError(`This review could not be classified: ${result.error}`);
            return;
        }
        showResult(result, (performance.now() - start) / 1000);
        await explainReview(text, request);
    } catch (e) {
        if (request === requestCounter) showReviewError(`The engine failed: ${e.message}`);
    } finally {
        if (request === requestCounter) $('classify-button').removeAttribute('aria-busy');
    }
}

async function explainReview(text, request) {
    const reasons = $('reasons');
    const explained = $('explained');
    explained.replaceChildren();
    delete explained.dataset.ready;
    $('reasons-facts').textContent = 'Finding the passages that mattered…';
    reasons.hidden = false;
    const start = performance.now();
    const explanation = await pool.explain(text);
    if (request !== requestCounter) return;
    const seconds = (performance.now() - start) / 1000;
    if (explanation.error) {
        $('reasons-facts').textContent = `No reasons for this review: ${explanation.error}`;
        return;
    }
    const marked = renderExplanation(explained, text, explanation.spans || []);
    explained.dataset.ready = 'true';
    const strongest = (sign) => marked.filter((m) => Math.sign(m.score) === sign).slice(0, 3)
        .map((m) => `“${m.text.trim()}”`).join(', ');
    const facts = [];
    if (strongest(1)) facts.push(`Toward Positive: ${strongest(1)}.`);
    if (strongest(-1)) facts.push(`Toward Negative: ${strongest(-1)}.`);
    if (explanation.truncated) facts.push('The middle of this long review was not read by the model, so it has no colours.');
    facts.push(`${explanation.evaluations ?? (explanation.spans || []).length} re-scorings in ${(seconds * 1000).toFixed(0)} ms.`);
    $('reasons-facts').textContent = facts.join(' ');
}

function setUpExamples() {
    const list = $('examples');
    for (const example of EXAMPLES) {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'example';
        button.textContent = example.title;
        button.addEventListener('click', () => {
            $('review-input').value = example.text;
            classifyReview();
        });
        item.append(button);
        list.append(item);
    }
}

// --- batch -------------------------------------------------------------------------------------

let batchTable = null;
let batchAbort = null;
let batchDownloadUrl = null;

async function openBatchFile(file) {
    showBatchError('');
    $('batch-summary').hidden = true;
    $('batch-progress-box').hidden = true;
    try {
        batchTable = await readBatchFile(file);
    } catch (e) {
        batchTable = null;
        $('batch-setup').hidden = false;
        $('batch-file-info').textContent = `Could not read ${file.name}: ${e.message}`;
        $('column-choice').hidden = true;
        $('batch-start').hidden = true;
        return;
    }
    const t = batchTable;
    const select = $('batch-column');
    select.replaceChildren(...t.header.map((name, i) => new Option(name, String(i))));
    select.value = String(guessTextColumn(t));
    $('column-choice').hidden = t.kind === 'lines';
    const what = t.kind === 'lines' ? 'lines with text' : `records, ${t.header.length} columns`;
    const problems = t.problems.length ? ` Problems: ${t.problems.slice(0, 3).join('; ')}.` : '';
    $('batch-file-info').textContent = `${file.name}: ${t.rows.length} ${what}.${problems}`;
    $('batch-start').hidden = false;
    $('batch-setup').hidden = false;
}

function showBatchError(message) {
    if (message) $('batch-file-info').textContent = message;
}

function drawHistogram(histogram) {
    const box = $('histogram');
    const max = Math.max(1, ...histogram);
    box.replaceChildren(...histogram.map((count, i) => {
        const bar = document.createElement('div');
        bar.className = 'bar';
        bar.style.setProperty('--h', (count / max).toFixed(4));
        bar.style.setProperty('--p', ((i + 0.5) / histogram.length).toFixed(3));
        bar.title = `${(i / histogram.length).toFixed(1)}–${((i + 1) / histogram.length).toFixed(1)}: ${count}`;
        const label = document.createElement('span');
        label.textContent = String(count);
        bar.append(label);
        return bar;
    }));
    box.setAttribute('aria-label', 'Histogram of P(Positive): ' +
        histogram.map((c, i) => `${(i / histogram.length).toFixed(1)} to ${((i + 1) / histogram.length).toFixed(1)}: ${c}`).join(', '));
}

function showBatchSummary(inputs, results) {
    const s = summarize(results);
    const parts = [`${s.positive} Positive`, `${s.negative} Negative`, `${s.errors} error${s.errors === 1 ? '' : 's'}`];
    if (s.pending) parts.push(`${s.pending} not classified (cancelled)`);
    const counts = $('batch-counts');
    counts.textContent = parts.join(' · ');
    counts.dataset.positive = String(s.positive);
    counts.dataset.negative = String(s.negative);
    counts.dataset.errors = String(s.errors);
    counts.dataset.pending = String(s.pending);
    drawHistogram(s.histogram);

    const rowsShown = Math.min(results.length, 50);
    $('batch-table-caption').textContent = rowsShown < results.length
        ? `First ${rowsShown} of ${results.length} results (download the CSV for all)` : `All ${results.length} results`;
    const body = $('batch-table').tBodies[0];
    body.replaceChildren();
    for (let i = 0; i < rowsShown; i++) {
        const r = results[i];
        const tr = body.insertRow();
        const error = inputs[i].error || (r ? r.error : 'not classified');
        tr.insertCell().textContent = String(batchTable.lineNumbers[i]);
        const text = inputs[i].text || '';
        const clamp = document.createElement('span');
        clamp.className = 'clamp';
        clamp.textContent = text.length > 300 ? `${text.slice(0, 300)}…` : text;
        tr.insertCell().append(clamp);
        if (error) {
            const cell = tr.insertCell();
            cell.colSpan = 2;
            cell.className = 'error-cell';
            cell.textContent = `Error: ${error}`;
        } else {
            const label = tr.insertCell();
            label.textContent = r.label;
            label.className = r.label === 'Positive' ? 'pos' : 'neg';
            tr.insertCell().textContent = r.positive.toFixed(3);
        }
    }
    if (batchDownloadUrl) URL.revokeObjectURL(batchDownloadUrl);
    const csv = resultsToCsv(batchTable, inputs, results);
    batchDownloadUrl = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
    $('batch-summary').hidden = false;
}

async function runBatch() {
    if (!pool || !batchTable) return;
    const column = batchTable.kind === 'lines' ? 0 : Number($('batch-column').value);
    const inputs = textsForColumn(batchTable, column);
    const jobs = [];   // indexes into inputs that have a text
    inputs.forEach((input, i) => { if (input.text !== undefined) jobs.push(i); });
    batchAbort = new AbortController();
    $('batch-start').hidden = true;
    $('batch-cancel').hidden = false;
    $('batch-cancel').focus();
    $('batch-column').disabled = true;
    $('batch-file').disabled = true;
    $('batch-progress-box').hidden = false;
    const progress = $('batch-progress');
    const start = performance.now();
    const onProgress = (done, total) => {
        progress.max = Math.max(1, total);
        progress.value = done;
        const seconds = (performance.now() - start) / 1000;
        $('batch-progress-text').textContent = `${done} of ${total} · ${(done / Math.max(seconds, 1e-3)).toFixed(1)} reviews/s`;
    };
    onProgress(0, jobs.length);
    const jobResults = await pool.classifyAll(jobs.map((i) => inputs[i].text), { onProgress, signal: batchAbort.signal });
    const results = new Array(inputs.length);
    jobs.forEach((inputIndex, j) => { results[inputIndex] = jobResults[j]; });
    inputs.forEach((input, i) => { if (input.error) results[i] = { error: input.error }; });
    const cancelled = batchAbort.signal.aborted;
    batchAbort = null;
    const seconds = (performance.now() - start) / 1000;
    $('batch-progress-label').textContent = cancelled ? 'Cancelled' : 'Done';
    $('batch-progress-text').textContent +=
        ` · ${seconds.toFixed(1)} s with ${pool.size} worker${pool.size > 1 ? 's' : ''}`;
    $('batch-progress-box').dataset.state = cancelled ? 'cancelled' : 'done';
    $('batch-cancel').hidden = true;
    $('batch-start').hidden = false;
    $('batch-column').disabled = false;
    $('batch-file').disabled = false;
    showBatchSummary(inputs, results);
}

function downloadResults() {
    if (!batchDownloadUrl) return;
    const a = document.createElement('a');
    a.href = batchDownloadUrl;
    const base = ($('batch-file').files[0] && $('batch-file').files[0].name.replace(/\.[^.]*$/, '')) || 'reviews';
    a.download = `${base}-sentiment.csv`;
    document.body.append(a);
    a.click();
    a.remove();
}

function setUpBatch() {
    const zone = $('drop-zone');
    $('batch-file').addEventListener('change', () => {
        const file = $('batch-file').files[0];
        if (file) openBatchFile(file);
    });
    zone.addEventListener('dragover', (e) => {
        e.preventDefault();
        zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (e) => {
        e.preventDefault();
        zone.classList.remove('dragging');
        const file = e.dataTransfer.files[0];
        if (file) openBatchFile(file);
    });
    $('batch-start').addEventListener('click', () => {
        $('batch-progress-label').textContent = 'Classifying';
        delete $('batch-progress-box').dataset.state;
        runBatch();
    });
    $('batch-cancel').addEventListener('click', () => { if (batchAbort) batchAbort.abort(); });
    $('batch-download').addEventListener('click', downloadResults);
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
    setUpExamples();
    setUpBatch();
    $('classify-button').addEventListener('click', classifyReview);
    $('review-input').addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            classifyReview();
        }
    });
    $('retry-button').addEventListener('click', startModel);
    $('engine-facts').textContent = self.crossOriginIsolated
        ? 'This page is cross-origin isolated, so it runs several engine workers.'
        : 'This host does not send cross-origin isolation headers, so one engine worker is used.';
    registerServiceWorker();
    startModel();
}

main();
