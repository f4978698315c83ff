// Loads the WebAssembly build (build/wasm/sentiment.mjs) under node and wraps the tokenizer
// exports of src/wasm/wasm_tokenizer.c. Debian's emcc 3.1.6 ES6 loader uses CommonJS's
// __dirname and require under node, so both are provided, and the .wasm bytes are passed in
// as wasmBinary.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export async function loadWasmTokenizer(modulePath, vocabPath) {
    globalThis.__dirname ??= dirname(resolve(modulePath));
    globalThis.require ??= createRequire(import.meta.url);
    const { default: createSentimentModule } = await import(pathToFileURL(modulePath).href);
    // The loader installs process handlers that rethrow every error from inside its own source
    // (burying the message under its minified line); the caller's errors should read as usual.
    const before = new Set([...process.listeners("uncaughtException"), ...process.listeners("unhandledRejection")]);
    let m;
    try {
        m = await createSentimentModule({ wasmBinary: readFileSync(modulePath.replace(/\.mjs$/, ".wasm")) });
    } finally {
        for (const event of ["uncaughtException", "unhandledRejection"])
            for (const listener of process.listeners(event)) if (!before.has(listener)) process.off(event, listener);
    }
    const vocab = readFileSync(vocabPath);
    const vocabPtr = m._malloc(vocab.length);
    m.HEAPU8.set(vocab, vocabPtr);
    const tok = m._sent_wasm_tokenizer_new(vocabPtr, vocab.length);
    m._free(vocabPtr);
    // A failed export's reason: {"error":{"code","message"}} (src/wasm/wasm_error.h).
    const lastError = () => JSON.parse(m.UTF8ToString(m._sent_wasm_last_error())).error.message;
    if (!tok) throw new Error(`wasm tokenizer: ${lastError()}`);

    // One scratch area, grown when a longer text comes: text bytes, then ids/starts/ends/n_total.
    let cap = 0, textPtr = 0, idsPtr = 0, startsPtr = 0, endsPtr = 0, totalPtr = m._malloc(4);
    function reserve(textLen, maxLen) {
        if (textLen <= cap && maxLen <= cap + 2) return;
        for (const p of [textPtr, idsPtr, startsPtr, endsPtr]) if (p) m._free(p);
        cap = Math.max(textLen, maxLen, 1 << 16) * 2;
        textPtr = m._malloc(cap);
        idsPtr = m._malloc((cap + 2) * 4);
        startsPtr = m._malloc((cap + 2) * 4);
        endsPtr = m._malloc((cap + 2) * 4);
    }

    // bytes: Uint8Array of UTF-8. maxLen 0 = no truncation (every piece of a text has at least
    // one byte of it, so len + 2 slots always suffice). Returns { ids, starts, ends, nTotal }.
    function encode(bytes, { maxLen = 0, truncation = 0, head = 0 } = {}) {
        const limit = maxLen || bytes.length + 2;
        reserve(bytes.length, limit);
        m.HEAPU8.set(bytes, textPtr);
        const n = m._sent_wasm_tokenize(tok, textPtr, bytes.length, limit, truncation, head, idsPtr, startsPtr, endsPtr, totalPtr);
        if (n < 0) throw new Error(`wasm tokenizer: ${lastError()}`);
        const view = (p) => m.HEAP32.subarray(p >> 2, (p >> 2) + n);
        return { ids: view(idsPtr), starts: view(startsPtr), ends: view(endsPtr), nTotal: m.HEAP32[totalPtr >> 2] };
    }
    return { encode };
}
