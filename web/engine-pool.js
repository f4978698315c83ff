// A pool of engine workers (worker.js), each with its own copy of the model. A single review goes
// to the first worker, its explanation is shared by all; a batch is cut into small chunks handed to whichever worker is free, so a
// cancel takes effect after at most one chunk per worker and one bad review never stops the rest.

const BATCH_CHUNK = 4;   // reviews per message: small enough for quick cancel and smooth progress
const MAX_WORKERS = 4;   // each worker holds a full copy of the model in its own memory

// Several workers only when the page is cross-origin isolated (served with COOP/COEP); on a plain
// static host one worker keeps memory use at one model copy and stays correct.
export function chooseWorkerCount() {
    if (!self.crossOriginIsolated) return 1;
    const cores = navigator.hardwareConcurrency || 1;
    return Math.max(1, Math.min(MAX_WORKERS, cores));
}

// An error of the engine itself (its code did not load or run), as opposed to a bad model or input.
function engineError(message) {
    const error = new Error(message);
    error.engineFailure = true;
    return error;
}

class EngineWorker {
    constructor(index) {
        this.index = index;
        this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: `engine-${index}` });
        this.nextId = 1;
        this.pending = new Map(); // id -> {resolve, reject}
        this.deadReason = null;   // set once the worker has failed; later requests fail at once
        this.worker.onmessage = (event) => {
            const { id, ok, error, engineFailure, ...rest } = event.data;
            const waiter = this.pending.get(id);
            if (!waiter) return;
            this.pending.delete(id);
            if (ok) waiter.resolve(rest);
            else waiter.reject(engineFailure ? engineError(error) : new Error(error));
        };
        this.worker.onerror = (event) => {
            event.preventDefault();
            this.deadReason = engineError(event.message || 'the worker script failed to load');
            this.failAll(this.deadReason);
        };
        this.worker.onmessageerror = () => {
            this.failAll(new Error('a message to the engine could not be read'));
        };
    }

    request(message, transfer = []) {
        if (this.deadReason) return Promise.reject(this.deadReason);
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            this.pending.set(id, { resolve, reject });
            this.worker.postMessage({ id, ...message }, transfer);
        });
    }

    failAll(error) {
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
    }

    terminate() {
        this.worker.terminate();
        this.deadReason = new Error('the engine was stopped');
        this.failAll(this.deadReason);
    }
}

export class EnginePool {
    constructor(size = chooseWorkerCount()) {
        this.workers = Array.from({ length: size }, (_, i) => new EngineWorker(i));
    }

    get size() {
        return this.workers.length;
    }

    // Loads the model into every worker; resolves to the model info of the first. Each worker gets
    // its own copy of the bytes (the last one takes the original by transfer).
    async load(buffer) {
        const loads = this.workers.map((w, i) => {
            const last = i === this.workers.length - 1;
            const bytes = last ? buffer : buffer.slice(0);
            return w.request({ type: 'load', bytes }, [bytes]);
        });
        const replies = await Promise.all(loads);
        return replies[0].info;
    }

    async classify(text) {
        return (await this.workers[0].request({ type: 'classify', text })).result;
    }

    // Every worker scores a share of the passages (each plans the same ones from the same text);
    // the answer is the first worker's classification with the union of the spans.
    async explain(text) {
        const parts = this.workers.length;
        const replies = await Promise.all(this.workers.map((w, part) => w.request({ type: 'explain', text, part, parts })));
        const results = replies.map((r) => r.result);
        const failed = results.find((r) => r.error);
        if (failed) return failed;
        return {
            ...results[0],
            evaluations: results.reduce((sum, r) => sum + r.evaluations, 0),
            spans: results.flatMap((r) => r.spans).sort((a, b) => a.start - b.start),
        };
    }

    // Classifies texts[i] for every i; results[i] is the engine's JSON object or {error}.
    // onProgress(done, total) after each chunk; stops handing out work once signal is aborted and
    // resolves with the results so far (unfinished entries stay undefined).
    async classifyAll(texts, { onProgress = () => {}, signal } = {}) {
        const results = new Array(texts.length);
        let next = 0;
        let done = 0;
        const runWorker = async (w) => {
            while (next < texts.length && !(signal && signal.aborted)) {
                const start = next;
                next = Math.min(texts.length, next + BATCH_CHUNK);
                const chunk = texts.slice(start, next);
                let chunkResults;
                try {
                    chunkResults = (await w.request({ type: 'classifyMany', texts: chunk })).results;
                } catch (e) {
                    chunkResults = chunk.map(() => ({ error: String(e.message || e) }));
                }
                chunkResults.forEach((r, i) => { results[start + i] = r; });
                done += chunk.length;
                onProgress(done, texts.length);
            }
        };
        await Promise.all(this.workers.map(runWorker));
        return results;
    }

    terminate() {
        for (const w of this.workers) w.terminate();
    }
}
