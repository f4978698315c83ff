// WebAssembly exports of the classifier (sentiment.h) for the page's worker. The module keeps
// one loaded model; strings handed back stay valid until the next call into this file. Errors
// are reported as every export reports them (wasm_error.h; sent_wasm_last_error).
//   int         sent_wasm_load(const uint8_t *bytes, int len)   0 ok, -1 error
//       bytes: the whole .smf file in the module's heap (_malloc'd by the caller). They are
//       borrowed, not copied: keep them allocated and unchanged until sent_wasm_unload (or the
//       next load); the caller frees them afterwards, and also after a failed load.
//   const char *sent_wasm_classify(const char *utf8, int len)
//       {"label":"Positive","positive":0.93,"probs":[0.07,0.93],"tokens":312,"truncated":false,
//        "spans":[[0,3],[4,9],...]}
//       or the error JSON (no model, empty review, review over 1 MiB, ...). spans: the UTF-8 byte
//       range [start, end) of each word piece the model read, in order ([CLS]/[SEP] have none),
//       so a caller can show which text a truncated review's score rests on.
//   const char *sent_wasm_model_info(void)
//       {"name","labels":[...],"positive_index","config":{...},"max_len","truncation",
//        "head_tokens","quantization":{"scheme","group_size"},"ngram_mix","checksum":"crc32 hex"}
//       ngram_mix: a hybrid file's share of the n-gram model in the logit (src/engine/ngram.h), else 0
//   void        sent_wasm_unload(void)
//   int         sent_wasm_max_threads(void)
//       the most threads one engine can use: SENT_WASM_MAX_THREADS in the pthreads build (the
//       Makefile's WASM_MAX_THREADS, the module's pre-started pthread workers plus the caller), 1
//       in the single-threaded one
//   int         sent_wasm_set_threads(int n)    0 ok, -1 error
//       starts parallel.h's pool with n threads in all; call it before loading a model (and the
//       explainer's), which sizes its buffers for the threads there are. It is module-wide: the
//       classifier and the explainer share the pool.
//   int         sent_wasm_use_threads(int n)    0 ok, -1 error
//       the most of the pool's threads the next calls use, n in [1, the pool's size]: 1 runs
//       them on the calling thread alone (the page's batches, one engine per core); answers are
//       the same with any n.
// The checksum field is the file's CRC-32 (weights/FORMAT.md), already verified by the load.
#include <emscripten.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cJSON.h"
#include "json_out.h"
#include "parallel.h"
#include "sentiment.h"
#include "wasm_error.h"

#ifndef SENT_WASM_MAX_THREADS
#define SENT_WASM_MAX_THREADS 1   // the single-threaded build
#endif

// One review per forward pass: the page classifies as the user types or one review at a time,
// and batch 1 keeps the activation buffers (~6 MB for distilbert-base at 512 tokens) small.
#define WASM_MAX_BATCH 1

static SentClassifier *classifier;
static char *info_json;         // built once at load
static SentJsonWriter answer;   // the last classify answer

static char *build_info(const SentClassifier *c) {
    SentModelInfo info;
    sent_model_info(c, &info);
    const cJSON *meta = sent_metadata(c);
    cJSON *out = cJSON_CreateObject();
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
    cJSON_AddStringToObject(out, "name", cJSON_IsString(name) ? name->valuestring : "unnamed model");
    cJSON *labels = cJSON_AddArrayToObject(out, "labels");
    for (int i = 0; i < info.n_labels; i++) cJSON_AddItemToArray(labels, cJSON_CreateString(sent_label_raw(c, i)));
    cJSON_AddNumberToObject(out, "positive_index", info.positive_index);
    cJSON *config = cJSON_AddObjectToObject(out, "config");
    cJSON_AddNumberToObject(config, "vocab_size", info.vocab_size);
    cJSON_AddNumberToObject(config, "dim", info.dim);
    cJSON_AddNumberToObject(config, "n_layers", info.n_layers);
    cJSON_AddNumberToObject(config, "n_heads", info.n_heads);
    cJSON_AddNumberToObject(config, "hidden_dim", info.hidden_dim);
    cJSON_AddNumberToObject(config, "max_position_embeddings", info.max_position);
    cJSON_AddNumberToObject(out, "max_len", info.max_len);
    cJSON_AddStringToObject(out, "truncation", info.truncation == SENT_TRUNCATE_HEAD_TAIL ? "head_tail" : "head");
    cJSON_AddNumberToObject(out, "head_tokens", info.head_tokens);
    cJSON *q = cJSON_AddObjectToObject(out, "quantization");
    cJSON_AddStringToObject(q, "scheme", info.quantized ? "int8" : "fp32");
    cJSON_AddNumberToObject(q, "group_size", info.group_size);
    cJSON_AddNumberToObject(out, "ngram_mix", sent_model_ngram_mix(c));
    char crc[16];
    snprintf(crc, sizeof crc, "%08x", (unsigned)info.checksum);
    cJSON_AddStringToObject(out, "checksum", crc);
    cJSON_AddStringToObject(out, "kernels", sent_get_kernels(c)->name);
    cJSON_AddNumberToObject(out, "threads", sent_parallel_threads());
    char *json = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    return json;
}

EMSCRIPTEN_KEEPALIVE void sent_wasm_unload(void) {
    sent_free(classifier);
    classifier = NULL;
    free(info_json);
    info_json = NULL;
}

EMSCRIPTEN_KEEPALIVE int sent_wasm_load(const uint8_t *bytes, int len) {
    sent_wasm_unload();
    if (!bytes || len <= 0) {
        sent_wasm_fail(SENT_ERR_ARGUMENT, "no model bytes");
        return -1;
    }
    SentError err = {0};
    SentOptions opts = {.max_batch = WASM_MAX_BATCH, .kernels = NULL};
    classifier = sent_load_memory(bytes, (size_t)len, &opts, &err);
    if (!classifier) {
        sent_wasm_fail_with(&err);
        return -1;
    }
    info_json = build_info(classifier);
    if (!info_json) {
        sent_wasm_unload();
        sent_wasm_fail(SENT_ERR_MEMORY, "out of memory");
        return -1;
    }
    return 0;
}

EMSCRIPTEN_KEEPALIVE int sent_wasm_max_threads(void) { return SENT_WASM_MAX_THREADS; }

EMSCRIPTEN_KEEPALIVE int sent_wasm_set_threads(int n) {
    char err[160];
    if (classifier) {
        sent_wasm_fail(SENT_ERR_ARGUMENT, "threads are set before a model is loaded");
        return -1;
    }
    if (n < 1 || n > SENT_WASM_MAX_THREADS) {
        snprintf(err, sizeof err, "threads must be in [1, %d] in this build, got %d", SENT_WASM_MAX_THREADS, n);
        sent_wasm_fail(SENT_ERR_ARGUMENT, err);
        return -1;
    }
    if (sent_parallel_start(n, err, sizeof err)) {
        sent_wasm_fail(SENT_ERR_ARGUMENT, err);
        return -1;
    }
    return 0;
}

EMSCRIPTEN_KEEPALIVE int sent_wasm_use_threads(int n) {
    if (n < 1 || n > sent_parallel_threads()) {
        char err[160];
        snprintf(err, sizeof err, "threads in use must be in [1, %d] (the threads started), got %d",
                 sent_parallel_threads(), n);
        sent_wasm_fail(SENT_ERR_ARGUMENT, err);
        return -1;
    }
    sent_parallel_limit(n);
    return 0;
}

EMSCRIPTEN_KEEPALIVE const char *sent_wasm_model_info(void) {
    return info_json ? info_json : sent_wasm_fail(SENT_ERR_ARGUMENT, "no model is loaded");
}

EMSCRIPTEN_KEEPALIVE const char *sent_wasm_classify(const char *utf8, int len) {
    if (!classifier) return sent_wasm_fail(SENT_ERR_ARGUMENT, "no model is loaded");
    if (!utf8 || len < 0) return sent_wasm_fail(SENT_ERR_ARGUMENT, "no text");
    SentResult r;
    SentError err;
    if (sent_classify(classifier, utf8, (size_t)len, &r, &err) != SENT_OK) return sent_wasm_fail_with(&err);
    sent_json_reset(&answer);
    sent_json_raw(&answer, "{\"label\":");
    sent_json_string(&answer, r.label);
    sent_json_printf(&answer, ",\"positive\":%.6f,\"probs\":[", r.positive);
    for (int j = 0; j < r.n_labels; j++) sent_json_printf(&answer, "%s%.6f", j ? "," : "", r.probs[j]);
    sent_json_printf(&answer, "],\"tokens\":%d,\"truncated\":%s,\"spans\":[", r.n_tokens, r.truncated ? "true" : "false");
    int written = 0;
    for (int t = 0; t < r.n_tokens; t++) {
        if (r.ends[t] <= r.starts[t]) continue;
        sent_json_printf(&answer, "%s[%d,%d]", written++ ? "," : "", (int)r.starts[t], (int)r.ends[t]);
    }
    sent_json_raw(&answer, "]}");
    const char *json = sent_json_text(&answer);
    return json ? json : sent_wasm_fail(SENT_ERR_MEMORY, "out of memory");
}
