// One engine instance: the WebAssembly module and one loaded model, in a module worker so the
// page never freezes while a review is scored. The page talks to it with messages
//   {id, type: 'load', bytes}            -> {id, ok, info}        (model info JSON, parsed)
//   {id, type: 'classify', text}         -> {id, ok, result}      (sent_wasm_classify JSON)
//   {id, type: 'explain', text, part, parts} -> {id, ok, result}  (sent_wasm_explain_part JSON)
//   {id, type: 'classifyMany', texts}    -> {id, ok, results}     (one result per text)
// and gets {id, ok: false, error} when something fails ({..., engineFailure: true} when the
// WebAssembly module could not start at all). A review the engine refuses is answered with
// {error: message, code} as its result. The C side owns every string it returns until its next
// call, so each answer is copied out with UTF8ToString at once.
// Exports used: sent_wasm_{load,classify,model_info,unload} (src/wasm/wasm_api.c),
// sent_wasm_explain_{part,load,unload} (src/wasm/wasm_explain.c) and sent_wasm_last_error
// (src/wasm/wasm_error.c: every export fails the same way, with {"error":{"code","message"}}).
import createSentimentModule from './sentiment.mjs';

let wasm = null;          // the Emscripten module, created on the first message
let modelPtr = 0;         // the model bytes in wasm memory, kept while a model is loaded

async function engine() {
    if (!wasm) wasm = await createSentimentModule();
    return wasm;
}

// Copies bytes into the wasm heap; the caller frees the pointer.
function copyIn(mod, bytes) {
    const ptr = mod._malloc(Math.max(bytes.length, 1));
    if (!ptr) throw new Error(`out of memory copying ${bytes.length} bytes into the engine`);
    mod.HEAPU8.set(bytes, ptr); // HEAPU8 is re-read: malloc may have grown the memory
    return ptr;
}

const encoder = new TextEncoder();

// The page's form of an engine answer: an error object becomes {error: message, code}.
function fromEngine(answer) {
    return answer.error ? { error: answer.error.message, code: answer.error.code } : answer;
}

// The reason the last export failed (a load that returned -1).
function lastError(mod) {
    return fromEngine(JSON.parse(mod.UTF8ToString(mod._sent_wasm_last_error()))).error;
}

// Calls fn(ptr, len) -> char* JSON on text's UTF-8 bytes and parses the answer.
function callOnText(mod, fn, text) {
    const bytes = encoder.encode(text);
    const ptr = copyIn(mod, bytes);
    try {
        return fromEngine(JSON.parse(mod.UTF8ToString(fn(ptr, bytes.length))));
    } finally {
        mod._free(ptr);
    }
}

function unload(mod) {
    if (!modelPtr) return;
    mod._sent_wasm_explain_unload();
    mod._sent_wasm_unload();
    mod._free(modelPtr);
    modelPtr = 0;
}

// The classifier (wasm_api.c) and the explainer (wasm_explain.c) each load the model from the
// same copy of the bytes, which stays allocated until unload: the explainer borrows it.
function load(mod, buffer) {
    unload(mod);
    const bytes = new Uint8Array(buffer);
    const ptr = copyIn(mod, bytes);
    if (mod._sent_wasm_load(ptr, bytes.length) !== 0) {
        const message = lastError(mod);
        mod._free(ptr);
        throw new Error(message || 'the model file was rejected');
    }
    if (mod._sent_wasm_explain_load(ptr, bytes.length) !== 0) {
        const message = lastError(mod);
        mod._sent_wasm_unload();
        mod._free(ptr);
        throw new Error(message || 'the model file was rejected');
    }
    modelPtr = ptr;
    return JSON.parse(mod.UTF8ToString(mod._sent_wasm_model_info()));
}

function requireModel() {
    if (!modelPtr) throw new Error('no model is loaded');
}

// One failing review gives an error object for that review only.
function classifyOne(mod, text) {
    try {
        return callOnText(mod, mod._sent_wasm_classify, text);
    } catch (e) {
        return { error: String(e && e.message || e) };
    }
}

self.onmessage = async (event) => {
    const { id, type } = event.data;
    let mod;
    try {
        mod = await engine();
    } catch (e) {
        // The module itself did not start (wasm missing or not compilable): not the model's fault.
        self.postMessage({ id, ok: false, engineFailure: true, error: String(e && e.message || e) });
        return;
    }
    try {
        let reply;
        if (type === 'load') {
            reply = { info: load(mod, event.data.bytes) };
        } else if (type === 'classify') {
            requireModel();
            reply = { result: callOnText(mod, mod._sent_wasm_classify, event.data.text) };
        } else if (type === 'explain') {
            requireModel();
            const { part = 0, parts = 1 } = event.data;
            reply = { result: callOnText(mod, (ptr, len) => mod._sent_wasm_explain_part(ptr, len, part, parts), event.data.text) };
        } else if (type === 'classifyMany') {
            requireModel();
            reply = { results: event.data.texts.map((text) => classifyOne(mod, text)) };
        } else {
            throw new Error(`unknown request '${type}'`);
        }
        self.postMessage({ id, ok: true, ...reply });
    } catch (e) {
        self.postMessage({ id, ok: false, error: String(e && e.message || e) });
    }
};
