// How every WebAssembly export reports a failure (the JavaScript side relies on this):
//   - an export that returns a string returns JSON: its answer, or
//         {"error":{"code":"input","message":"text has no words to classify"}}
//     (code: sent_status_name, one of argument, io, format, memory, input);
//   - an export that returns a number or a handle returns -1 or 0 (NULL) on failure;
//   - either way, sent_wasm_last_error() returns that same error JSON until the next failure.
#ifndef SENT_WASM_ERROR_H
#define SENT_WASM_ERROR_H

#include "error.h"

// Records err as the last error; returns its JSON (valid until the next failure).
const char *sent_wasm_fail_with(const SentError *err);
// The same for a message of ours.
const char *sent_wasm_fail(SentStatus code, const char *message);

#endif
