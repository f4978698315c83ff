// WebAssembly exports of the classifier (sentiment.h) for the page's worker. The module keeps
// one loaded model; strings handed back stay valid until the next call into this file.
//   int         sent_wasm_load(const uint8_t *bytes, int len)   0 ok, -1 error
//       bytes: the whole .smf file in the module's heap (_malloc'd by the caller). They are
//       borrowed, not copied: keep them allocated and unchanged until sent_wasm_unload (or the
//       next load); the caller frees them afterwards, and also after a failed load.
//   const char *sent_wasm_last_error(void)                      plain-text reason of the last failure
//   const char *sent_wasm_classify(const char *utf8, int len)
//       {"label":"Positive","positive":0.93,"probs":[0.07,0.93],"tokens":312,"truncated":false}
//       or {"error":"..."} (no model, empty review, review over 1 MiB, ...)
//   const char *sent_wasm_model_info(void)
//       {"name","labels":[...],"positive_index","config":{...},"max_len","truncation",
//        "head_tokens","quantization":{"scheme","group_size"},"checksum":"crc32 hex"}
//   void        sent_wasm_unload(void)
// The checksum field is the file's CRC-32 (weights/FORMAT.md), already verified by the load.
#include <emscripten.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "sentiment.h"

// One review per forward pass: the page classifies as the user types or one review at a time,
// and batch 1 keeps the activation buffers (~6 MB for distilbert-base at 512 tokens) small.
#define WASM_MAX_BATCH 1

static SentClassifier *classifier;
static char *info_json;        // built once at load
static char answer[512];       // the last classify answer
static char last_error[300];

static void set_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

// Appends s to answer at *o as a JSON string body (quotes, backslashes, control bytes escaped),
// stopping short of the end of the buffer.
static void append_escaped(size_t *o, const char *s) {
    for (; *s && *o + 8 < sizeof answer; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            answer[(*o)++] = '\\';
            answer[(*o)++] = (char)ch;
        } else if (ch < 0x20) {
            *o += (size_t)snprintf(answer + *o, sizeof answer - *o, "\\u%04x", ch);
        } else {
            answer[(*o)++] = (char)ch;
        }
    }
    answer[*o] = '\0';
}

static const char *error_answer(const char *message) {
    size_t o = (size_t)snprintf(answer, sizeof answer, "{\"error\":\"");
    append_escaped(&o, message);
    snprintf(answer + o, sizeof answer - o, "\"}");
    return answer;
}

static char *build_info(const SentClassifier *c) {
    SentModelInfo info;
    sent_model_info(c, &info);
    cJSON *meta = cJSON_Parse(sent_metadata_json(c));
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
    char crc[16];
    snprintf(crc, sizeof crc, "%08x", (unsigned)info.checksum);
    cJSON_AddStringToObject(out, "checksum", crc);
    cJSON_AddStringToObject(out, "kernels", sent_get_kernels(c)->name);
    char *json = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    cJSON_Delete(meta);
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
        set_error("no model bytes");
        return -1;
    }
    SentError err = {0};
    SentOptions opts = {.max_batch = WASM_MAX_BATCH, .kernels = NULL};
    classifier = sent_load_memory(bytes, (size_t)len, &opts, &err);
    if (!classifier) {
        set_error("%s", err.message);
        return -1;
    }
    info_json = build_info(classifier);
    if (!info_json) {
        sent_wasm_unload();
        set_error("out of memory");
        return -1;
    }
    last_error[0] = '\0';
    return 0;
}

EMSCRIPTEN_KEEPALIVE const char *sent_wasm_last_error(void) { return last_error; }

EMSCRIPTEN_KEEPALIVE const char *sent_wasm_model_info(void) {
    return info_json ? info_json : error_answer("no model is loaded");
}

EMSCRIPTEN_KEEPALIVE const char *sent_wasm_classify(const char *utf8, int len) {
    if (!classifier) return error_answer("no model is loaded");
    if (!utf8 || len < 0) return error_answer("no text");
    SentResult r;
    SentError err;
    if (sent_classify(classifier, utf8, (size_t)len, &r, &err) != SENT_OK) return error_answer(err.message);
    size_t o = (size_t)snprintf(answer, sizeof answer, "{\"label\":\"");
    append_escaped(&o, r.label);
    o += (size_t)snprintf(answer + o, sizeof answer - o, "\",\"positive\":%.6f,\"probs\":[", r.positive);
    for (int j = 0; j < r.n_labels && o < sizeof answer; j++)
        o += (size_t)snprintf(answer + o, sizeof answer - o, "%s%.6f", j ? "," : "", r.probs[j]);
    if (o < sizeof answer)
        snprintf(answer + o, sizeof answer - o, "],\"tokens\":%d,\"truncated\":%s}", r.n_tokens,
                 r.truncated ? "true" : "false");
    return answer;
}
