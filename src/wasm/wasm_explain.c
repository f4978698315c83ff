// WebAssembly exports of the occlusion explanations (src/engine/explain.h) for the page's worker.
// The explainer runs on its own classifier, loaded from the same model bytes the worker hands to
// sent_wasm_load: sent_load_memory borrows them, so the worker keeps that copy alive until
// sent_wasm_explain_unload. Keeping this apart from wasm_api.c means the two share nothing
// but the bytes.
//   int         sent_wasm_explain_load(const uint8_t *bytes, int len)   0 ok, -1 error
//   const char *sent_wasm_explain(const char *utf8, int len)            JSON, valid until the next call
//   const char *sent_wasm_explain_part(const char *utf8, int len, int part, int n_parts)
//   void        sent_wasm_explain_unload(void)
// The answer: {"label":"Positive","positive":0.93,"tokens":312,"truncated":false,"evaluations":24,
//              "spans":[{"start":0,"end":17,"score":0.0123},...]}
// (evaluations: passages this call scored; start/end: UTF-8 byte offsets; score: P(positive)
// minus P(positive) without the passage), or {"error":"..."}.
#include <emscripten.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"

// Passages per review: enough for word-level reasons on short reviews; long reviews and big
// models get fewer, coarser passages so an explanation stays well under a second.
#define EXPLAIN_MAX_SPANS 48
#define EXPLAIN_MIN_SPANS 8
#define EXPLAIN_FLOP_BUDGET 2.0e9
#define EXPLAIN_BATCH 8

static SentClassifier *classifier;
static SentExplainer *explainer;
static char *answer;          // [answer_size] the JSON handed back, allocated once at load
static size_t answer_size;
static char error_answer[384];

// A JSON string body: quotes, backslashes and control bytes escaped (the message is ASCII or
// UTF-8 from our own code, so other bytes pass through).
static void json_escape(char *dst, size_t size, const char *src) {
    size_t o = 0;
    for (; *src && o + 7 < size; src++) {
        unsigned char ch = (unsigned char)*src;
        if (ch == '"' || ch == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(dst + o, size - o, "\\u%04x", ch);
        } else {
            dst[o++] = (char)ch;
        }
    }
    dst[o] = '\0';
}

static const char *error_json(const char *message) {
    char escaped[300];
    json_escape(escaped, sizeof escaped, message);
    snprintf(error_answer, sizeof error_answer, "{\"error\":\"%s\"}", escaped);
    return error_answer;
}

EMSCRIPTEN_KEEPALIVE void sent_wasm_explain_unload(void) {
    sent_explainer_free(explainer);
    sent_free(classifier);
    free(answer);
    explainer = NULL;
    classifier = NULL;
    answer = NULL;
    answer_size = 0;
}

EMSCRIPTEN_KEEPALIVE int sent_wasm_explain_load(const uint8_t *bytes, int len) {
    sent_wasm_explain_unload();
    if (!bytes || len <= 0) {
        error_json("explain: no model bytes");
        return -1;
    }
    SentError err = {0};
    SentOptions opts = {.max_batch = EXPLAIN_BATCH, .kernels = NULL};
    classifier = sent_load_memory(bytes, (size_t)len, &opts, &err);
    if (!classifier) {
        error_json(err.message);
        return -1;
    }
    explainer = sent_explainer_new(classifier, EXPLAIN_MAX_SPANS, &err);
    // Room for the fixed fields plus one {"start":...,"end":...,"score":...} per passage.
    answer_size = 512 + (size_t)EXPLAIN_MAX_SPANS * 80;
    answer = malloc(answer_size);
    if (!explainer || !answer) {
        const char *why = explainer ? "explain: out of memory" : err.message;
        char message[256];
        snprintf(message, sizeof message, "%s", why);
        sent_wasm_explain_unload();
        error_json(message);
        return -1;
    }
    return 0;
}

// The message of the last failed sent_wasm_explain_load, as {"error":...} JSON.
EMSCRIPTEN_KEEPALIVE const char *sent_wasm_explain_last_error(void) { return error_answer; }

// Part `part` of n_parts of the explanation (see SentExplainOptions): several workers can each
// score a share of the passages of the same text; the union of their spans is the whole answer.
EMSCRIPTEN_KEEPALIVE const char *sent_wasm_explain_part(const char *utf8, int len, int part, int n_parts) {
    if (!explainer) return error_json("no model is loaded for explanations");
    if (!utf8 || len < 0) return error_json("bad text");
    SentExplainOptions opts = {.max_spans = EXPLAIN_MAX_SPANS, .flop_budget = EXPLAIN_FLOP_BUDGET,
                               .min_spans = EXPLAIN_MIN_SPANS, .part = part, .n_parts = n_parts};
    SentResult base;
    const SentSpan *spans;
    int n_spans;
    SentError err = {0};
    if (sent_explain(explainer, utf8, (size_t)len, &opts, &base, &spans, &n_spans, &err) != SENT_OK)
        return error_json(err.message);
    char label[64];
    json_escape(label, sizeof label, base.label ? base.label : "");
    size_t o = (size_t)snprintf(answer, answer_size,
                                "{\"label\":\"%s\",\"positive\":%.6f,\"tokens\":%d,\"truncated\":%s,\"evaluations\":%d,\"spans\":[",
                                label, base.positive, base.n_tokens, base.truncated ? "true" : "false", n_spans);
    for (int i = 0; i < n_spans && o < answer_size; i++)
        o += (size_t)snprintf(answer + o, answer_size - o, "%s{\"start\":%d,\"end\":%d,\"score\":%.6f}", i ? "," : "",
                              (int)spans[i].start, (int)spans[i].end, spans[i].score);
    if (o + 3 > answer_size) return error_json("explain: answer too long");
    memcpy(answer + o, "]}", 3);
    return answer;
}

EMSCRIPTEN_KEEPALIVE const char *sent_wasm_explain(const char *utf8, int len) {
    return sent_wasm_explain_part(utf8, len, 0, 1);
}
