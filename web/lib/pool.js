// A pool of engine workers (worker.js), each with its own copy of the model. A single review goes
// to the first worker, its explanation is shared by all; a batch is cut into small chunks handed
// to whichever worker is free, so a cancel takes effect after at most one chunk per worker and one
// bad review never stops the rest. index.js runs the same requests in place when there is no pool.
import { sentimentError, errorObject, fromErrorObject } from './errors.js';

export const BATCH_CHUNK = 4;   // reviews per message: small enough for quick cancel and smooth progress
const MAX_WORKERS = 4;          // each worker holds a full copy of the model in its own memory

// How a page shares out the cores: {workers, threads, sharedThreads}. On a plain static host one
// worker with the single-threaded build keeps memory use at one model copy. When the page is
// cross-origin isolated each worker runs the pthreads build (engine.js) with `threads` threads
// (default: every core, at most MAX_THREADS), and there is a worker per core (at most
// MAX_WORKERS): one review runs on the first worker's threads, while a batch or an explanation,
// which keep every worker busy, runs `sharedThreads` of each worker's threads, so no more threads
// run than there are cores. Whole reviews side by side need no hand-over between threads per
// layer; on 2 cores a batch ran 46-61 reviews/s this way and 55-56 with 1 worker x 2 threads,
// within the machine's noise (docs/page.md).
// The pthreads build's pool size (the Makefile's WASM_MAX_THREADS): `make web` writes it here in
// build/web; this value is what the modules' tests, which import the source, see.
const MAX_THREADS = 4;
export function chooseWorkers({ threads, workers } = {}) {
    // The engine then runs one thread and says why (engine.js).
    if (!globalThis.crossOriginIsolated) return { workers: workers ?? 1, threads, sharedThreads: 1 };
    const cores = navigator.hardwareConcurrency || 1;
    const perWorker = threads ?? Math.max(1, Math.min(MAX_THREADS, cores));
    const count = workers ?? Math.max(1, Math.min(MAX_WORKERS, cores));
    return { workers: count, threads: perWorker, sharedThreads: Math.max(1, Math.min(perWorker, Math.floor(cores / count))) };
}

class EngineWorker {
    constructor(index) {
        this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: `engine-${index}` });
        this.nextId = 1;
        this.pending = new Map(); // id -> {resolve, reject}
        this.deadReason = null;   // set once the worker has failed; later requests fail at once
        this.worker.onmessage = (event) => {
            const { id, ok, error, ...rest } = event.data;
            const waiter = this.pending.get(id);
            if (!waiter) return;
            this.pending.delete(id);
            if (ok) waiter.resolve(rest);
            else waiter.reject(fromErrorObject(error));
        };
        this.worker.onerror = (event) => {
            event.preventDefault();
            this.deadReason = sentimentError('engine', event.message || 'the engine worker script failed to load');
            this.failAll(this.deadReason);
        };
        this.worker.onmessageerror = () => {
            this.failAll(sentimentError('engine', 'a message to the engine could not be read'));
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
        this.deadReason = sentimentError('disposed', 'the classifier was disposed');
        this.failAll(this.deadReason);
    }
}

// Shares texts out in chunks to runners (each: async (chunk) -> results) until done or signal
// aborts; results[i] stays undefined for texts never handed out. Used by the pool and in place.
export async function runChunks(texts, runners, { onProgress, signal } = {}) {
    const results = new Array(texts.length);
    let next = 0;
    let done = 0;
    const run = async (runner) => {
        while (next < texts.length && !(signal && signal.aborted)) {
            const start = next;
            next = Math.min(texts.length, next + BATCH_CHUNK);
            const chunk = texts.slice(start, next);
            let chunkResults;
            try {
                chunkResults = await runner(chunk);
            } catch (e) {
                chunkResults = chunk.map(() => ({ error: errorObject(e) }));
            }
            chunkResults.forEach((r, i) => { results[start + i] = r; });
            done += chunk.length;
            if (onProgress) onProgress({ done, total: texts.length });
        }
    };
    await Promise.all(runners.map(run));
    return results;
}

export class EnginePool {
    constructor(size, threads, sharedThreads = threads) {
        this.workers = Array.from({ length: size }, (_, i) => new EngineWorker(i));
        this.threads = threads;   // of each worker's engine; undefined: engine.js's default
        // What each worker uses while all of them work (batches, explanations); one worker alone
        // has nothing to share with. undefined: all of its engine's.
        this.sharedThreads = size > 1 ? sharedThreads : threads;
    }

    get size() {
        return this.workers.length;
    }

    // Loads the model into every worker; resolves to the model info of the first. Each worker gets
    // its own copy of the bytes (the last one takes the given buffer by transfer).
    async load(buffer) {
        const replies = await Promise.all(this.workers.map((w, i) => {
            const bytes = i === this.workers.length - 1 ? buffer : buffer.slice(0);
            return w.request({ type: 'load', bytes, threads: this.threads }, [bytes]);
        }));
        return replies[0].info;
    }

    async classifyMany(texts, options) {
        return runChunks(texts, this.workers.map((w) => async (chunk) =>
            (await w.request({ type: 'classifyMany', texts: chunk, threads: this.sharedThreads })).results), options);
    }

    async classify(text) {
        const [result] = (await this.workers[0].request({ type: 'classifyMany', texts: [text], threads: this.threads })).results;
        if (result.error) throw fromErrorObject(result.error);
        return result;
    }

    // Every worker scores a share of the passages (each plans the same ones from the same text);
    // the answer is the first worker's classification with the union of the spans.
    async explain(text) {
        const parts = this.workers.length;
        const results = (await Promise.all(this.workers.map((w, part) => w.request({ type: 'explain', text, part, parts, threads: this.sharedThreads }))))
            .map((r) => r.result);
        return {
            ...results[0],
            evaluations: results.reduce((sum, r) => sum + r.evaluations, 0),
            spans: results.flatMap((r) => r.spans).sort((a, b) => a.start - b.start),
        };
    }

    // One {heapBytes, inUseBytes} per worker.
    async memory() {
        return Promise.all(this.workers.map(async (w) => (await w.request({ type: 'memory' })).memory));
    }

    dispose() {
        for (const w of this.workers) w.terminate();
    }
}
