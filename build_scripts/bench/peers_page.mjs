// The part of build_scripts/bench/engine_peers.mjs that runs inside a page (headless chromium,
// --chromium) and is shared with its node processes: the timing loop, and the engines as a page
// loads them, from the same origin (the benchmark's own server: the repository root with
// COOP/COEP headers, so that WebAssembly threads are allowed).
//   ours-wasm        build/wasm/sentiment.mjs (it fetches sentiment.wasm beside itself)
//   ort-web          onnxruntime-web's ES module build, wasm backend, spec.threads threads
//   transformers.js  its browser bundle, which carries onnxruntime-web 1.14 (wasm files from its dist/)

// Warms up on review 0 (at least 3 runs and 1 s), then cycles over the reviews until every
// review ran once and spec.minSeconds have passed (at most 20 rounds). cpuMicros: a function
// returning the process's CPU time, or null (a page cannot read it).
export async function timeEngine(run, spec, cpuMicros) {
    const n = spec.texts.length, ms = [], positive = new Array(n), tokens = new Array(n);
    const t0 = performance.now();
    for (let k = 0; k < 3 || performance.now() - t0 < 1e3; k++) await run(0);
    const start = performance.now(), cpu0 = cpuMicros ? cpuMicros() : NaN;
    for (let round = 0; round < 20; round++) {
        for (let i = 0; i < n; i++) {
            const t = performance.now();
            const r = await run(i);
            ms.push(performance.now() - t);
            positive[i] = r.positive;
            tokens[i] = r.tokens;
        }
        if (performance.now() - start >= 1e3 * spec.minSeconds) break;
    }
    const cpuMs = cpuMicros ? (cpuMicros() - cpu0) / 1e3 / ms.length : NaN;
    return { ms, cpuMs, positive, tokens };
}

export function softmaxAt(logits, k) {
    const top = Math.max(...logits);
    const e = Array.from(logits, (l) => Math.exp(l - top));
    return e[k] / e.reduce((s, x) => s + x, 0);
}

// For our wasm module: the model loaded and every review copied into its heap before timing.
export function wasmRunner(mod, modelBytes, spec) {
    const copy = (bytes) => {
        const p = mod._malloc(bytes.length);
        mod.HEAPU8.set(bytes, p);
        return p;
    };
    if (mod._sent_wasm_load(copy(modelBytes), modelBytes.length) !== 0) throw new Error(JSON.parse(mod.UTF8ToString(mod._sent_wasm_last_error())).error.message);
    const texts = spec.texts.map((t) => new TextEncoder().encode(t));
    const ptrs = texts.map(copy);
    return (i) => {
        const a = JSON.parse(mod.UTF8ToString(mod._sent_wasm_classify(ptrs[i], texts[i].length)));
        if (a.error) throw new Error(a.error.message);
        return { positive: a.positive, tokens: a.tokens };
    };
}

// For ONNX runtimes: one [1, T] int64 feed per review, built before timing.
export function ortRunner(ort, session, spec) {
    const int64 = (values) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [1, values.length]);
    const feeds = spec.ids.map((ids) => ({ input_ids: int64(ids), attention_mask: int64(ids.map(() => 1)) }));
    return async (i) => {
        const { logits } = await session.run(feeds[i]);
        return { positive: softmaxAt(logits.data, spec.positiveIndex), tokens: spec.ids[i].length };
    };
}

// Engines in a page; spec.model is a URL path on the benchmark's server.
const PAGE_ENGINES = {
    async 'ours-wasm'(spec) {
        const { default: createSentimentModule } = await import('/build/wasm/sentiment.mjs');
        const mod = await createSentimentModule();
        return wasmRunner(mod, new Uint8Array(await (await fetch(spec.model)).arrayBuffer()), spec);
    },
    async 'ort-web'(spec) {
        const ort = await import('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs');
        ort.env.wasm.numThreads = spec.threads;
        const session = await ort.InferenceSession.create(spec.model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
        return ortRunner(ort, session, spec);
    },
    async 'transformers.js'(spec) {
        const { pipeline, env } = await import('/node_modules/@xenova/transformers/dist/transformers.min.js');
        env.allowRemoteModels = false;
        env.useBrowserCache = false;
        env.localModelPath = spec.model.slice(0, spec.model.lastIndexOf('/') + 1);
        env.backends.onnx.wasm.wasmPaths = '/node_modules/@xenova/transformers/dist/';
        env.backends.onnx.wasm.numThreads = spec.threads;
        const classify = await pipeline('text-classification', spec.model.slice(spec.model.lastIndexOf('/') + 1), { quantized: spec.quantized });
        const tokens = spec.texts.map((t) => classify.tokenizer(t).input_ids.dims[1]);
        const positiveLabel = spec.labels[spec.positiveIndex];
        return async (i) => {
            const out = await classify(spec.texts[i], { topk: spec.labels.length });
            return { positive: out.find((o) => o.label === positiveLabel).score, tokens: tokens[i] };
        };
    },
};

export async function runInPage(spec) {
    if (!globalThis.crossOriginIsolated) throw new Error('page is not cross-origin isolated');
    return timeEngine(await PAGE_ENGINES[spec.engine](spec), spec, null);
}
