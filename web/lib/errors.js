// The one kind of error the module throws: an Error with a `code` saying what went wrong.
//   engine codes (src/engine/error.h, reported by the wasm exports as {"error":{"code","message"}}):
//     argument, io, format (a model file the engine rejects), memory, input (a text it refuses)
//   codes of this module:
//     engine    the WebAssembly engine (or its worker) could not start or stopped
//     network   the model could not be fetched (unreachable, HTTP error, interrupted download)
//     checksum  the downloaded model does not match its manifest's SHA-256
//     manifest  the model manifest (model.json) is malformed
//     no-model  the manifest says the site has no model (`make web` ran without one)
//     aborted   the caller's AbortSignal fired (name 'AbortError')
//     disposed  the classifier was disposed
// `retry` (when set) says whether trying again could help.

export function sentimentError(code, message, { retry } = {}) {
    const error = new Error(message);
    error.code = code;
    if (code === 'aborted') error.name = 'AbortError';
    if (retry !== undefined) error.retry = retry;
    return error;
}

// Errors cross postMessage as plain {code, message} objects (structured clone drops `code`).
export function errorObject(e) {
    return { code: (e && e.code) || 'engine', message: String((e && e.message) || e) };
}

export function fromErrorObject(o) {
    return sentimentError(o.code, o.message);
}

export function abortError() {
    return sentimentError('aborted', 'the operation was cancelled');
}

export function throwIfAborted(signal) {
    if (signal && signal.aborted) throw abortError();
}
