// WebAssembly exports of the occlusion explanations (src/engine/explain.h) for the page's worker.
// The explainer runs on its own classifier, loaded from the same model bytes the worker hands to
// sent_wasm_load: sent_load_memory borrows them, so the worker keeps that copy alive until
// sent_wasm_explain_unload. Keeping this apart from wasm_api.c means the two share nothing
// but the bytes.
// Errors are reported as every export reports them (wasm_error.h; sent_wasm_last_error).
//   int         sent_wasm_explain_load(const uint8_t *bytes, int len)   0 ok, -1 error
//   const char *sent_wasm_explain(const char *utf8, int len)            JSON, valid until the next call
//   const char *sent_wasm_explain_part(const char *utf8, int len, int part, int n_parts)
//   void        sent_wasm_explain_unload(void)
// The answer: {"label":"Positive","positive":0.93,"tokens":312,"truncated":false,"evaluations":24,
//              "spans":[{"start":0,"end":17,"score":0.0123},...]}
// (evaluations: passages this call scored; start/end: UTF-8 byte offsets; score: P(positive)
// minus P(positive) without the passage), or the error JSON.
#include <emscripten.h>
#include <stdint.h>

#include "explain.h"
#include "json_out.h"
#include "wasm_error.h"

// Passages per review: enough for word-level reasons on short reviews; long reviews and big
// models get fewer, coarser passages so an explanation stays well under a second.
#define EXPLAIN_MAX_SPANS 48
#define EXPLAIN_MIN_SPANS 8
#define EXPLAIN_FLOP_BUDGET 2.0e9
#define EXPLAIN_BATCH 8

static SentClassifier *classifier;
static SentExplainer *explainer;
static SentJsonWriter answer;   // the JSON handed back

EMSCRIPTEN_KEEPALIVE void sent_wasm_explain_unload(void) {
    sent_explainer_free(explainer);
    sent_free(classifier);
    sent_json_free(&answer);
    explainer = NULL;
    classifier = NULL;
}

EMSCRIPTEN_KEEPALIVE int sent_wasm_explain_load(const uint8_t *bytes, int len) {
    sent_wasm_explain_unload();
    if (!bytes || len <= 0) {
        sent_wasm_fail(SENT_ERR_ARGUMENT, "explain: no model bytes");
        return -1;
    }
    SentError err = {0};
    SentOptions opts = {.max_batch = EXPLAIN_BATCH, .kernels = NULL};
    classifier = sent_load_memory(bytes, (size_t)len, &opts, &err);
    if (classifier) explainer = sent_explainer_new(classifier, EXPLAIN_MAX_SPANS, &err);
    if (!explainer) {
        sent_wasm_explain_unload();
        sent_wasm_fail_with(&err);
        return -1;
    }
    return 0;
}

// Part `part` of n_parts of the explanation (see SentExplainOptions): several workers can each
// score a share of the passages of the same text; the union of their spans is the whole answer.
EMSCRIPTEN_KEEPALIVE const char *sent_wasm_explain_part(const char *utf8, int len, int part, int n_parts) {
    if (!explainer) return sent_wasm_fail(SENT_ERR_ARGUMENT, "no model is loaded for explanations");
    if (!utf8 || len < 0) return sent_wasm_fail(SENT_ERR_ARGUMENT, "bad text");
    SentExplainOptions opts = {.max_spans = EXPLAIN_MAX_SPANS, .flop_budget = EXPLAIN_FLOP_BUDGET,
                               .min_spans = EXPLAIN_MIN_SPANS, .part = part, .n_parts = n_parts};
    SentResult base;
    const SentSpan *spans;
    int n_spans;
    SentError err = {0};
    if (sent_explain(explainer, utf8, (size_t)len, &opts, &base, &spans, &n_spans, &err) != SENT_OK)
        return sent_wasm_fail_with(&err);
    sent_json_reset(&answer);
    sent_json_raw(&answer, "{\"label\":");
    sent_json_string(&answer, base.label ? base.label : "");
    sent_json_printf(&answer, ",\"positive\":%.6f,\"tokens\":%d,\"truncated\":%s,\"evaluations\":%d,\"spans\":[",
                     base.positive, base.n_tokens, base.truncated ? "true" : "false", n_spans);
    for (int i = 0; i < n_spans; i++)
        sent_json_printf(&answer, "%s{\"start\":%d,\"end\":%d,\"score\":%.6f}", i ? "," : "", (int)spans[i].start,
                         (int)spans[i].end, spans[i].score);
    sent_json_raw(&answer, "]}");
    const char *json = sent_json_text(&answer);
    return json ? json : sent_wasm_fail(SENT_ERR_MEMORY, "explain: out of memory");
}

EMSCRIPTEN_KEEPALIVE const char *sent_wasm_explain(const char *utf8, int len) {
    return sent_wasm_explain_part(utf8, len, 0, 1);
}
