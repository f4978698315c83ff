// The batch section: read a dropped or chosen file (batch.js), classify every review on the
// classifier with progress and cancel, then counts, a histogram, the first rows and a CSV.
import { readBatchFile, guessTextColumn, textsForColumn, resultsToCsv, summarize } from './batch.js';

const $ = (id) => document.getElementById(id);

let session = null;          // {classifier} from app.js
let batchTable = null;       // the opened file (batch.js table)
let batchAbort = null;       // AbortController of the running batch
let batchDownloadUrl = null; // blob: URL of the last results CSV

async function openBatchFile(file) {
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
    if (!session.classifier || !batchTable) return;
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
    const onProgress = ({ done, total }) => {
        progress.max = Math.max(1, total);
        progress.value = done;
        const seconds = (performance.now() - start) / 1000;
        $('batch-progress-text').textContent = `${done} of ${total} · ${(done / Math.max(seconds, 1e-3)).toFixed(1)} reviews/s`;
    };
    onProgress({ done: 0, total: jobs.length });
    const jobResults = await session.classifier.classifyBatch(jobs.map((i) => inputs[i].text), { onProgress, signal: batchAbort.signal });
    // batch.js's form: an error as its message; a review the cancel left out as no answer yet.
    const results = new Array(inputs.length);
    jobs.forEach((inputIndex, j) => {
        const r = jobResults[j];
        results[inputIndex] = !r.error ? r : r.error.code === 'aborted' ? undefined : { error: r.error.message };
    });
    inputs.forEach((input, i) => { if (input.error) results[i] = { error: input.error }; });
    const cancelled = batchAbort.signal.aborted;
    batchAbort = null;
    const seconds = (performance.now() - start) / 1000;
    $('batch-progress-label').textContent = cancelled ? 'Cancelled' : 'Done';
    const workers = Math.max(1, session.classifier.info.workers);
    $('batch-progress-text').textContent += ` · ${seconds.toFixed(1)} s with ${workers} worker${workers > 1 ? 's' : ''}`;
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

export function setUpBatch(currentSession) {
    session = currentSession;
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
