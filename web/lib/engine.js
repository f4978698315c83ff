// The engine in place: the WebAssembly module and one loaded model, on the calling thread (a
// worker's, or node's). The worker (worker.js) is a message adapter over this; nothing here
// knows about pages or workers.
// Two builds of the module (the Makefile's wasm target): sentiment.mjs, one thread, and
// sentiment-threads.mjs, pthreads on a SharedArrayBuffer heap, which splits one review over
// several threads (src/engine/parallel.h). The threaded one is picked when this thread may share
// memory and block on it: in node, or in a worker of a cross-origin isolated page (COOP + COEP).
// Exports used: sent_wasm_{load,classify,model_info,unload} (src/wasm/wasm_api.c),
// sent_wasm_explain_{part,load,unload} (src/wasm/wasm_explain.c) and sent_wasm_last_error
// (src/wasm/wasm_error.c: every export fails the same way, with {"error":{"code","message"}}),
// sent_wasm_heap_in_use (src/wasm/wasm_memory.c).
// The C side owns every string it returns until its next call, so each answer is copied out with
// UTF8ToString at once. Positions in the answers are turned from UTF-8 bytes into string indices.
import { sentimentError, errorObject } from './errors.js';
import { utf8ByteToStringIndex } from './text-offsets.js';

const isNode = typeof process === 'object' && !!(process.versions && process.versions.node) && typeof window === 'undefined';

// Why this thread cannot run the threaded build, or null when it can.
export function threadsUnavailable() {
    if (!isNode && !globalThis.crossOriginIsolated) return 'host does not send COOP/COEP';
    if (typeof SharedArrayBuffer !== 'function') return 'no SharedArrayBuffer here';
    if (!isNode && typeof window === 'object') return 'the engine runs on the page\'s own thread, which may not wait on other threads';
    return null;
}

async function cores() {
    if (isNode) return (await import('node:os')).availableParallelism();
    return (typeof navigator === 'object' && navigator.hardwareConcurrency) || 1;
}

// Debian emcc 3.1.6's ES6 loader, under node, uses CommonJS's __dirname and require and cannot
// find the .wasm itself: both shims are set (only if absent) and the bytes are passed in. Its
// pthread script (name.worker.js) is CommonJS, which a "type": "module" package (the npm one)
// would load as an ES module, so node gets the .cjs copy that `make web` places next to it.
async function startModule(name) {
    const options = {};
    if (isNode) {
        const [{ readFile }, { createRequire }, { fileURLToPath }] =
            await Promise.all([import('node:fs/promises'), import('node:module'), import('node:url')]);
        globalThis.__dirname ??= fileURLToPath(new URL('.', import.meta.url));
        globalThis.require ??= createRequire(import.meta.url);
        options.wasmBinary = await readFile(new URL(`./${name}.wasm`, import.meta.url));
        options.locateFile = (file) => fileURLToPath(new URL(`./${file.replace(/\.worker\.js$/, '.worker.cjs')}`, import.meta.url));
    }
    const { default: createSentimentModule } = await import(`./${name}.mjs`);
    return createSentimentModule(options);
}

// Starts the build that fits: threads (default: every core, at most the build's maximum) > 1 and
// a thread that can share memory get the pthreads build, else the single-threaded one.
// engine.threading says which runs and why, e.g. "2 threads (cross-origin isolated)" or
// "1 thread: host does not send COOP/COEP".
async function startEngine(threads) {
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1))
        throw sentimentError('argument', `threads must be a whole number >= 1, got ${threads}`);
    const wanted = threads ?? await cores();
    const why = wanted > 1 ? threadsUnavailable() : 'one was asked for';
    if (why) return new Engine(await startModule('sentiment'), `1 thread: ${why}`, 1);
    const mod = await startModule('sentiment-threads');
    const n = Math.min(wanted, mod._sent_wasm_max_threads());
    const engine = new Engine(mod, `${n} thread${n > 1 ? 's' : ''} (${isNode ? 'node worker_threads' : 'cross-origin isolated'})`, n);
    if (mod._sent_wasm_set_threads(n) !== 0) throw engine.lastError();
    // Under node the pthread workers would keep the process alive after the caller's last call.
    if (isNode) for (const w of [...mod.PThread.runningWorkers, ...mod.PThread.unusedWorkers]) w.unref();
    return engine;
}

// Resolves to an Engine; an engine that cannot start is an error with code 'engine' (a bad
// threads value: 'argument').
export async function createEngine({ threads } = {}) {
    try {
        return await startEngine(threads);
    } catch (e) {
        if (e.code === 'argument') throw e;
        throw sentimentError('engine', `the WebAssembly engine could not start: ${e && e.message || e}`);
    }
}

const encoder = new TextEncoder();

function engineFailure(answer) {
    return sentimentError(answer.error.code, answer.error.message);
}

export class Engine {
    constructor(mod, threading, threads) {
        this.mod = mod;
        this.threading = threading;   // which build runs, on how many threads, and why
        this.threads = threads;       // threads started (1: the single-threaded build)
        this.threadsInUse = threads;
        this.modelPtr = 0;   // the model bytes in wasm memory, kept while a model is loaded
        this.info = null;
    }

    // The next calls use at most n of the engine's threads (undefined: all; clamped to [1, threads]);
    // the answers are the same for any n. Returns the engine.
    useThreads(n = this.threads) {
        const k = Math.max(1, Math.min(this.threads, Math.trunc(n) || 1));
        if (k !== this.threadsInUse) {
            if (this.mod._sent_wasm_use_threads(k) !== 0) throw this.lastError();
            this.threadsInUse = k;
        }
        return this;
    }

    // Copies bytes into the wasm heap; the caller frees the pointer.
    copyIn(bytes) {
        const ptr = this.mod._malloc(Math.max(bytes.length, 1));
        if (!ptr) throw sentimentError('memory', `out of memory copying ${bytes.length} bytes into the engine`);
        this.mod.HEAPU8.set(bytes, ptr); // HEAPU8 is re-read: malloc may have grown the memory
        return ptr;
    }

    lastError() {
        return engineFailure(JSON.parse(this.mod.UTF8ToString(this.mod._sent_wasm_last_error())));
    }

    // Calls fn(ptr, len) -> char* JSON on text's UTF-8 bytes; returns the parsed answer or throws.
    callOnText(fn, text) {
        if (typeof text !== 'string') throw sentimentError('argument', `expected a string, got ${typeof text}`);
        const bytes = encoder.encode(text);
        const ptr = this.copyIn(bytes);
        let answer;
        try {
            answer = JSON.parse(this.mod.UTF8ToString(fn(ptr, bytes.length)));
        } finally {
            this.mod._free(ptr);
        }
        if (answer.error) throw engineFailure(answer);
        return answer;
    }

    // The classifier (wasm_api.c) and the explainer (wasm_explain.c) each load the model from the
    // same copy of the bytes, which stays allocated until unload: both borrow it.
    load(buffer) {
        this.unload();
        const bytes = new Uint8Array(buffer);
        const ptr = this.copyIn(bytes);
        const mod = this.mod;
        if (mod._sent_wasm_load(ptr, bytes.length) !== 0) {
            const error = this.lastError();
            mod._free(ptr);
            throw error;
        }
        if (mod._sent_wasm_explain_load(ptr, bytes.length) !== 0) {
            const error = this.lastError();
            mod._sent_wasm_unload();
            mod._free(ptr);
            throw error;
        }
        this.modelPtr = ptr;
        this.info = { ...JSON.parse(mod.UTF8ToString(mod._sent_wasm_model_info())), threading: this.threading };
        return this.info;
    }

    unload() {
        if (!this.modelPtr) return;
        this.mod._sent_wasm_explain_unload();
        this.mod._sent_wasm_unload();
        this.mod._free(this.modelPtr);
        this.modelPtr = 0;
        this.info = null;
    }

    // {heapBytes: the wasm memory's size, inUseBytes: what malloc has handed out and not had back}.
    memory() {
        return { heapBytes: this.mod.HEAPU8.buffer.byteLength, inUseBytes: this.mod._sent_wasm_heap_in_use() };
    }

    requireModel() {
        if (!this.modelPtr) throw sentimentError('argument', 'no model is loaded');
    }

    // {label, positive, probs, tokens, truncated, spans: [{start, end}] (the word pieces read)}.
    classify(text) {
        this.requireModel();
        const answer = this.callOnText(this.mod._sent_wasm_classify, text);
        const index = utf8ByteToStringIndex(text);
        answer.spans = answer.spans.map(([start, end]) => ({ start: index[start], end: index[end] }));
        return answer;
    }

    // One answer per text; a text the engine refuses gets {error: {code, message}} alone.
    classifyMany(texts) {
        this.requireModel();
        return texts.map((text) => {
            try {
                return this.classify(text);
            } catch (e) {
                return { error: errorObject(e) };
            }
        });
    }

    // Part `part` of `parts` of the occlusion explanation (each part scores a share of the same
    // passages): {label, positive, tokens, truncated, evaluations, spans: [{start, end, score}]}.
    explain(text, part = 0, parts = 1) {
        this.requireModel();
        const answer = this.callOnText((ptr, len) => this.mod._sent_wasm_explain_part(ptr, len, part, parts), text);
        const index = utf8ByteToStringIndex(text);
        answer.spans = answer.spans.map((s) => ({ start: index[s.start], end: index[s.end], score: s.score }));
        return answer;
    }
}
