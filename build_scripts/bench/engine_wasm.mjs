// The engine compiled to WebAssembly (SIMD128) under node: ms per review through
// sent_wasm_classify (tokenize + forward + softmax, one thread) at 128/256/512 tokens, on the
// random-weight models `build/sentiment bench --save DIR` writes, so the figures sit beside the
// native ones of the same run.
//   node build_scripts/bench/engine_wasm.mjs DIR [--reps N]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
globalThis.__dirname ??= path.join(root, 'build/wasm');  // Debian emcc 3.1.6's loader under node
globalThis.require ??= createRequire(import.meta.url);
const { default: createSentimentModule } = await import(path.join(root, 'build/wasm/sentiment.mjs'));
const mod = await createSentimentModule({ wasmBinary: fs.readFileSync(path.join(root, 'build/wasm/sentiment.wasm')) });

const dir = process.argv[2];
const repsArg = process.argv.indexOf('--reps');
const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 3;
if (!dir) {
    console.error('usage: node build_scripts/bench/engine_wasm.mjs DIR [--reps N]');
    process.exit(2);
}

// Same synthetic review as cmd_bench.c: n - 2 words of the "w<i>" vocab, n tokens with [CLS]/[SEP].
function review(nTokens, vocabSize) {
    const words = [];
    for (let i = 0; i < nTokens - 2; i++) words.push(`w${5 + (i * 7919) % (vocabSize - 5)}`);
    return new TextEncoder().encode(words.join(' '));
}

function macs(c, T) {
    const D = c.dim, H = c.hidden_dim;
    return c.n_layers * (T * (4 * D * D + 2 * D * H) + 2 * T * T * D) + D * D + 2 * D;
}

console.log(`wasm engine benchmark (node ${process.version}, SIMD128, 1 thread): ms per review, best of ${reps}`);
console.log('config           quant kernels        tokens  ms/review   GFLOP/s');
for (const name of ['base-fp32', 'base-int8', 'small-fp32', 'small-int8']) {
    const file = path.join(dir, `${name}.smf`);
    if (!fs.existsSync(file)) continue;
    const bytes = fs.readFileSync(file);
    const ptr = mod._malloc(bytes.length);
    mod.HEAPU8.set(bytes, ptr);
    if (mod._sent_wasm_load(ptr, bytes.length) !== 0) {
        console.error(`${file}: ${JSON.parse(mod.UTF8ToString(mod._sent_wasm_last_error())).error.message}`);
        process.exit(1);
    }
    const info = JSON.parse(mod.UTF8ToString(mod._sent_wasm_model_info()));
    for (const T of [128, 256, 512]) {
        const text = review(T, info.config.vocab_size);
        const textPtr = mod._malloc(text.length);
        mod.HEAPU8.set(text, textPtr);
        let best = Infinity, answer;
        for (let r = 0; r <= reps; r++) {
            const t0 = performance.now();
            answer = JSON.parse(mod.UTF8ToString(mod._sent_wasm_classify(textPtr, text.length)));
            const dt = performance.now() - t0;
            if (r > 0) best = Math.min(best, dt);  // the first run warms up and is not counted
        }
        mod._free(textPtr);
        if (answer.error || answer.tokens !== T) {
            console.error(`${file}: ${answer.error ? answer.error.message : `${answer.tokens} tokens, expected ${T}`}`);
            process.exit(1);
        }
        const label = name.startsWith('base') ? 'distilbert-base' : 'small (4x256)';
        console.log(`${label.padEnd(16)} ${info.quantization.scheme.padEnd(5)} ${info.kernels.padEnd(14)} ${String(T).padStart(6)} ` +
            `${best.toFixed(2).padStart(10)} ${(2 * macs(info.config, T) / (best / 1e3) / 1e9).toFixed(1).padStart(9)}`);
    }
    mod._sent_wasm_unload();
    mod._free(ptr);
}
