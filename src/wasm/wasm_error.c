// The error channel shared by every export (wasm_error.h).
#include <emscripten.h>

#include "json_out.h"
#include "wasm_error.h"

// When even the error could not be written.
static const char out_of_memory[] = "{\"error\":{\"code\":\"memory\",\"message\":\"out of memory\"}}";

static SentJsonWriter last_error;

const char *sent_wasm_fail_with(const SentError *err) {
    sent_json_reset(&last_error);
    sent_json_printf(&last_error, "{\"error\":{\"code\":\"%s\",\"message\":", sent_status_name(err->code));
    sent_json_string(&last_error, err->message);
    sent_json_raw(&last_error, "}}");
    const char *json = sent_json_text(&last_error);
    return json ? json : out_of_memory;
}

const char *sent_wasm_fail(SentStatus code, const char *message) {
    SentError err;
    sent_set_error(&err, code, "%s", message);
    return sent_wasm_fail_with(&err);
}

// The last failure's {"error":{...}}, or {"error":null} before any.
EMSCRIPTEN_KEEPALIVE const char *sent_wasm_last_error(void) {
    const char *json = sent_json_text(&last_error);
    if (!json) return out_of_memory;
    return *json ? json : "{\"error\":null}";
}
