// Are the highlighted passages the ones that matter? On a fixed sample of IMDb test reviews, runs
// the WebAssembly build's sent_wasm_explain (what the page shows), deletes the passage marked as
// pushing hardest toward the predicted class from the review's bytes, classifies the shortened
// review again, and checks that the predicted class's probability drops on most reviews, and by
// more on average than deleting a random passage of the same explanation. Prints the numbers and
// the time per explanation.
//   node tests/web/explain_faithfulness.mjs [--model weights/sentiment.smf] [--data FILE.tsv.gz] [--n 100]
// The sample: tests/data/imdb_test_sample.tsv.gz when present, else $DATA/test.tsv.gz (rows
// sorted by label: every (rows / n)-th row, so both classes). Exits 77 without model or data.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SAMPLE, readReviews } from './reviews.mjs';

function option(name, fallback) {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : fallback;
}

const MODEL = option('--model', 'weights/sentiment.smf');
const DATA = option('--data', existsSync(SAMPLE) ? SAMPLE : path.join(process.env.DATA || '../shared/data/imdb', 'test.tsv.gz'));
const N = Number(option('--n', '100'));
const WASM = 'build/wasm/sentiment.mjs';
const MIN_FRACTION = 0.8;

// Debian emcc 3.1.6's ES6 loader wants CommonJS's __dirname and require under node, and the
// .wasm bytes passed in.
async function loadEngine() {
    globalThis.__dirname ??= path.dirname(path.resolve(WASM));
    globalThis.require ??= createRequire(import.meta.url);
    const { default: createSentimentModule } = await import(pathToFileURL(path.resolve(WASM)).href);
    const before = new Set([...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')]);
    const mod = await createSentimentModule({ wasmBinary: readFileSync(WASM.replace(/\.mjs$/, '.wasm')) });
    for (const event of ['uncaughtException', 'unhandledRejection'])
        for (const l of process.listeners(event)) if (!before.has(l)) process.off(event, l);
    const model = readFileSync(MODEL);
    const modelPtr = mod._malloc(model.length);
    mod.HEAPU8.set(model, modelPtr); // stays allocated: the explainer borrows it
    // Every export fails the same way (src/wasm/wasm_error.h): {"error":{"code","message"}}.
    if (mod._sent_wasm_explain_load(modelPtr, model.length) !== 0)
        throw new Error(`model rejected: ${JSON.parse(mod.UTF8ToString(mod._sent_wasm_last_error())).error.message}`);
    const call = (fn, bytes) => {
        const ptr = mod._malloc(bytes.length);
        mod.HEAPU8.set(bytes, ptr);
        const answer = JSON.parse(mod.UTF8ToString(fn(ptr, bytes.length)));
        mod._free(ptr);
        if (answer.error) throw new Error(answer.error.message);
        return answer;
    };
    const explain = (bytes) => call(mod._sent_wasm_explain, bytes);
    // Re-scoring a shortened review needs only a classification: the engine's export when this
    // build has it (one forward pass), else the explanation's own P(positive).
    if (mod._sent_wasm_load && mod._sent_wasm_load(modelPtr, model.length) === 0)
        return { explain, classify: (bytes) => call(mod._sent_wasm_classify, bytes) };
    return { explain, classify: explain };
}

function withoutSpan(bytes, span) {
    const out = new Uint8Array(bytes.length - (span.end - span.start) + 1);
    out.set(bytes.subarray(0, span.start), 0);
    out[span.start] = 0x20; // a space keeps the neighbouring words apart
    out.set(bytes.subarray(span.end), span.start + 1);
    return out;
}

async function main() {
    for (const [what, file] of [['model', MODEL], ['data', DATA], ['wasm build', WASM]]) {
        if (!existsSync(file)) {
            console.log(`explain faithfulness: no ${what} at ${file}; skipped`);
            process.exit(77);
        }
    }
    const engine = await loadEngine();
    const all = readReviews(DATA);
    const stride = Math.max(1, Math.floor(all.length / N));
    const sample = [];
    for (let i = Math.floor(stride / 2); i < all.length && sample.length < N; i += stride) sample.push(all[i]);

    const encoder = new TextEncoder();
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    let counted = 0;
    let lowered = 0;
    let correct = 0;
    let sumTop = 0;
    let sumRandom = 0;
    let seconds = 0;
    let tokens = 0;
    let passes = 0;
    for (const review of sample) {
        const bytes = encoder.encode(review.text);
        const start = performance.now();
        const ex = engine.explain(bytes);
        seconds += (performance.now() - start) / 1000;
        tokens += ex.tokens;
        passes += ex.evaluations;
        const sign = ex.label === 'Positive' ? 1 : -1;
        if ((ex.label === 'Positive') === (review.label === 1)) correct++;
        const pPred = (p) => (sign > 0 ? p : 1 - p);
        // Toward the predicted class: score > 0 pushes toward Positive.
        const top = ex.spans.slice().sort((a, b) => sign * b.score - sign * a.score)[0];
        const other = ex.spans[Math.floor(random() * ex.spans.length)];
        if (!top) continue;
        const dropTop = pPred(ex.positive) - pPred(engine.classify(withoutSpan(bytes, top)).positive);
        const dropRandom = pPred(ex.positive) - pPred(engine.classify(withoutSpan(bytes, other)).positive);
        counted++;
        if (dropTop > 0) lowered++;
        sumTop += dropTop;
        sumRandom += dropRandom;
    }
    const fraction = lowered / Math.max(1, counted);
    console.log(`model ${MODEL}, ${sample.length} reviews of ${DATA} (accuracy on them ${(100 * correct / sample.length).toFixed(1)} %)`);
    console.log(`removing the top passage lowers P(predicted class) on ${lowered}/${counted} = ${(100 * fraction).toFixed(1)} %; ` +
        `mean drop ${(sumTop / counted).toFixed(4)} vs ${(sumRandom / counted).toFixed(4)} for a random passage`);
    console.log(`explain: ${(1000 * seconds / sample.length).toFixed(0)} ms per review (mean ${(tokens / sample.length).toFixed(0)} tokens, ` +
        `${(passes / sample.length).toFixed(1)} passages) in node, one thread`);
    const ok = fraction >= MIN_FRACTION && sumTop > sumRandom;
    if (!ok) console.log(`FAIL: expected >= ${100 * MIN_FRACTION} % and a larger mean drop than random passages`);
    process.exit(ok ? 0 : 1);
}

main().catch((e) => {
    console.log(`FAIL: ${e.message}`);
    process.exit(1);
});
