// movie-sentiment as an ES module: one function, the same in a page, a worker and node.
//   const clf = await createClassifier();                 // the model next to this module
//   const { label, positive } = await clf.classify('A wonderful film.');
// In a page the engine runs in a pool of module workers (several only when the page is
// crossOriginIsolated); in a worker or in node it runs in place. Every position in an answer
// (spans, sentences) is an index into the JavaScript string given. Errors are Errors with a
// `code` (errors.js). The types are in index.d.ts.
import { createEngine } from './engine.js';
import { sentimentError, throwIfAborted } from './errors.js';
import { openModel } from './model-store.js';
import { EnginePool, chooseWorkers, runChunks } from './pool.js';
import { splitSentences } from './sentences.js';

export { splitSentences } from './sentences.js';

const DEFAULT_MODEL = new URL('./model.json', import.meta.url);

const inPage = typeof window === 'object' && typeof document === 'object' && typeof Worker === 'function';

// The pool's interface, run on this thread: between chunks it yields to the event loop, so an
// abort or a progress callback gets a turn.
class InPlace {
    constructor(engine) {
        this.engine = engine;
        this.size = 0;
    }

    async load(buffer) {
        return this.engine.load(buffer);
    }

    async classify(text) {
        return this.engine.classify(text);
    }

    async classifyMany(texts, options) {
        const yieldTurn = () => new Promise((resolve) => setTimeout(resolve, 0));
        return runChunks(texts, [async (chunk) => {
            await yieldTurn();
            return this.engine.classifyMany(chunk);
        }], options);
    }

    async explain(text) {
        return this.engine.explain(text, 0, 1);
    }

    async memory() {
        return [this.engine.memory()];
    }

    dispose() {
        this.engine.unload();
    }
}

function requireText(text) {
    if (typeof text !== 'string') throw sentimentError('argument', `expected the text as a string, got ${text === null ? 'null' : typeof text}`);
}

export async function createClassifier({ model = DEFAULT_MODEL, workers, threads, cache = true, onProgress, signal, stallTimeout } = {}) {
    const report = (p) => { if (onProgress) onProgress(p); };
    const opened = await openModel(model, {
        cache, signal, stallTimeout,
        onProgress: (loaded, total) => report({ phase: 'download', loaded, total }),
        onRetry: (retry) => report({ phase: 'retry', ...retry }),
    });
    throwIfAborted(signal);
    report({ phase: 'start', loaded: opened.buffer.byteLength, total: opened.buffer.byteLength });
    const bytes = opened.buffer.byteLength;
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1))
        throw sentimentError('argument', `threads must be a whole number >= 1, got ${threads}`);
    const shares = inPage ? chooseWorkers({ threads, workers }) : { workers: 0, threads };
    const count = workers ?? shares.workers;
    if (!Number.isInteger(count) || count < 0) throw sentimentError('argument', `workers must be a whole number >= 0, got ${workers}`);
    const runner = count > 0 && typeof Worker === 'function'
        ? new EnginePool(count, shares.threads, shares.sharedThreads) : new InPlace(await createEngine({ threads: shares.threads }));
    let engineInfo;
    try {
        engineInfo = await runner.load(opened.buffer);
    } catch (e) {
        runner.dispose();
        if (e.code !== 'engine') await opened.forget(); // the engine rejected this copy: don't keep it
        throw e;
    }
    return new Classifier(runner, {
        ...engineInfo, bytes, source: opened.source, stored: opened.stored, sha256: opened.sha256,
        storageError: opened.storageError, cacheDamaged: opened.cacheDamaged, workers: runner.size,
    });
}

class Classifier {
    #runner;

    constructor(runner, info) {
        this.#runner = runner;
        this.info = Object.freeze(info);
    }

    #ready() {
        if (!this.#runner) throw sentimentError('disposed', 'the classifier was disposed');
        return this.#runner;
    }

    async classify(text) {
        requireText(text);
        return this.#ready().classify(text);
    }

    // Results in input order; a text that fails has {error: {code, message}} instead, and after an
    // abort the texts not reached have {error: {code: 'aborted', ...}}. Never throws for one text.
    async classifyBatch(texts, { onProgress, signal } = {}) {
        if (!Array.isArray(texts)) throw sentimentError('argument', 'classifyBatch expects an array of strings');
        const runner = this.#ready();
        const wanted = [];
        const results = texts.map((t, i) => {
            if (typeof t === 'string') wanted.push(i);
            return typeof t === 'string' ? undefined : { error: { code: 'argument', message: `item ${i} is not a string` } };
        });
        const answers = await runner.classifyMany(wanted.map((i) => texts[i]), { onProgress, signal });
        wanted.forEach((i, j) => {
            results[i] = answers[j] ?? { error: { code: 'aborted', message: 'not classified: the batch was cancelled' } };
        });
        return results;
    }

    async explain(text) {
        requireText(text);
        return this.#ready().explain(text);
    }

    // Each sentence (sentences.js) scored on its own by the model, in one batch:
    // [{start, end, text, label, positive}] (or {start, end, text, error} for one the engine refuses).
    async sentences(text) {
        requireText(text);
        const spans = splitSentences(text);
        const texts = spans.map((s) => text.slice(s.start, s.end));
        const answers = await this.#ready().classifyMany(texts);
        return spans.map((s, i) => {
            const a = answers[i];
            if (!a || a.error) return { ...s, text: texts[i], error: a ? a.error : { code: 'engine', message: 'not scored' } };
            return { ...s, text: texts[i], label: a.label, positive: a.positive };
        });
    }

    // The engine's memory, one {heapBytes, inUseBytes} per engine (worker, or this thread's).
    async memory() {
        return this.#ready().memory();
    }

    async dispose() {
        if (this.#runner) this.#runner.dispose();
        this.#runner = null;
    }
}
