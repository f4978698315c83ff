// The public API (sentiment.h): a model file, its tokenizer and one run state behind an opaque
// handle. Text → tokenizer (ids, byte spans) → model → softmax → result.
#include "sentiment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model_file.h"
#include "ngram.h"

#define DEFAULT_MAX_BATCH 8
#define MAX_BATCH_LIMIT 1024

struct SentClassifier {
    SentModelFile file;
    SentDistilBertConfig cfg;
    SentWeights weights;
    SentRunState state;
    SentNgram ngram;       // the hybrid's n-gram model (ngram.h); weight NULL when the file has none
    uint32_t *ngram_buckets;   // [max_len * ngram.max_n] its scratch
    const SentKernels *kernels;
    SentTokenizer *tokenizer;
    SentTokenizeOptions tokenize;
    int positive_index;
    int quantized, group_size;
    char labels[SENT_MAX_LABELS][64];
    char *meta_json;       // NUL-terminated copy of the metadata text as stored in the file
    int32_t *slot_ids;     // [max_batch, max_len] each input's tokens
    int32_t *slot_starts;  // [max_batch, max_len]
    int32_t *slot_ends;    // [max_batch, max_len]
    int32_t *batch_ids;    // [max_batch * max_len] the batch fed to the model, packed end to end
    int *batch_offsets;    // [max_batch + 1] where each of its sequences starts
    int *slot_of_row;      // [max_batch] which slot each batch row came from
};

// --- loading -----------------------------------------------------------------------------------

// Labels, positive class and tokenizer settings from the metadata; the tokenizer is built from
// the embedded vocab.
static SentStatus read_metadata(SentClassifier *c, SentError *err) {
    const cJSON *meta = c->file.meta;
    char msg[256];
    if (sent_config_from_meta(&c->cfg, meta, msg, sizeof msg)) return sent_set_error(err, SENT_ERR_FORMAT, "%s", msg);
    if (c->cfg.n_labels > SENT_MAX_LABELS)
        return sent_set_error(err, SENT_ERR_FORMAT, "%d labels; at most %d supported", c->cfg.n_labels, SENT_MAX_LABELS);

    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
    if (!cJSON_IsArray(labels) || cJSON_GetArraySize(labels) != c->cfg.n_labels)
        return sent_set_error(err, SENT_ERR_FORMAT, "metadata \"labels\" must be an array of %d strings", c->cfg.n_labels);
    for (int i = 0; i < c->cfg.n_labels; i++) {
        const cJSON *l = cJSON_GetArrayItem(labels, i);
        if (!cJSON_IsString(l) || !l->valuestring[0] || strlen(l->valuestring) >= sizeof c->labels[i])
            return sent_set_error(err, SENT_ERR_FORMAT, "label %d is not a non-empty string under 64 bytes", i);
        strcpy(c->labels[i], l->valuestring);
    }
    const cJSON *pos = cJSON_GetObjectItemCaseSensitive(meta, "positive_index");
    if (!cJSON_IsNumber(pos) || pos->valuedouble != floor(pos->valuedouble) || pos->valuedouble < 0 ||
        pos->valuedouble >= c->cfg.n_labels)
        return sent_set_error(err, SENT_ERR_FORMAT, "metadata \"positive_index\" is not a label index");
    c->positive_index = (int)pos->valuedouble;

    const cJSON *q = cJSON_GetObjectItemCaseSensitive(meta, "quantization");
    const cJSON *scheme = cJSON_GetObjectItemCaseSensitive(q, "scheme");
    const cJSON *group = cJSON_GetObjectItemCaseSensitive(q, "group_size");
    if (!cJSON_IsString(scheme)) return sent_set_error(err, SENT_ERR_FORMAT, "metadata \"quantization.scheme\" missing");
    c->quantized = !strcmp(scheme->valuestring, "int8");
    c->group_size = c->quantized && cJSON_IsNumber(group) ? (int)group->valuedouble : 0;

    const cJSON *t = cJSON_GetObjectItemCaseSensitive(meta, "tokenizer");
    const cJSON *lower = cJSON_GetObjectItemCaseSensitive(t, "lowercase");
    const cJSON *max_len = cJSON_GetObjectItemCaseSensitive(t, "max_len");
    const cJSON *trunc = cJSON_GetObjectItemCaseSensitive(t, "truncation");
    const cJSON *head = cJSON_GetObjectItemCaseSensitive(t, "head_tokens");
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(t, "vocab");
    if (!cJSON_IsObject(t) || !cJSON_IsTrue(lower))
        return sent_set_error(err, SENT_ERR_FORMAT, "metadata \"tokenizer\" missing or not lowercase (only uncased WordPiece is supported)");
    if (!cJSON_IsNumber(max_len) || max_len->valuedouble < 2 || max_len->valuedouble > c->cfg.max_position_embeddings)
        return sent_set_error(err, SENT_ERR_FORMAT, "tokenizer.max_len must be in 2..%d", c->cfg.max_position_embeddings);
    c->tokenize.max_len = (int)max_len->valuedouble;
    if (cJSON_IsString(trunc) && !strcmp(trunc->valuestring, "head")) {
        c->tokenize.truncation = SENT_TRUNCATE_HEAD;
    } else if (cJSON_IsString(trunc) && !strcmp(trunc->valuestring, "head_tail")) {
        c->tokenize.truncation = SENT_TRUNCATE_HEAD_TAIL;
        if (!cJSON_IsNumber(head) || head->valuedouble < 0 || head->valuedouble > c->tokenize.max_len - 2)
            return sent_set_error(err, SENT_ERR_FORMAT, "tokenizer.head_tokens must be in 0..%d", c->tokenize.max_len - 2);
        c->tokenize.head_tokens = (int)head->valuedouble;
    } else {
        return sent_set_error(err, SENT_ERR_FORMAT, "tokenizer.truncation must be \"head\" or \"head_tail\"");
    }
    if (!cJSON_IsString(vocab)) return sent_set_error(err, SENT_ERR_FORMAT, "tokenizer.vocab (vocab.txt text) missing");
    c->tokenizer = sent_tokenizer_new(vocab->valuestring, strlen(vocab->valuestring), msg, sizeof msg);
    if (!c->tokenizer) return sent_set_error(err, SENT_ERR_FORMAT, "embedded vocab: %s", msg);
    if (sent_tokenizer_vocab_size(c->tokenizer) > c->cfg.vocab_size)
        return sent_set_error(err, SENT_ERR_FORMAT, "embedded vocab has %d tokens, the model only %d embeddings",
                         sent_tokenizer_vocab_size(c->tokenizer), c->cfg.vocab_size);
    return SENT_OK;
}

// Everything after the file is parsed: metadata, weights, buffers.
static SentClassifier *finish_load(SentClassifier *c, const SentOptions *opts, SentError *err) {
    char msg[256];
    int max_batch = opts && opts->max_batch ? opts->max_batch : DEFAULT_MAX_BATCH;
    c->kernels = opts && opts->kernels ? opts->kernels : sent_kernels_best();
    if (max_batch < 1 || max_batch > MAX_BATCH_LIMIT) {
        sent_set_error(err, SENT_ERR_ARGUMENT, "max_batch %d not in 1..%d", max_batch, MAX_BATCH_LIMIT);
        goto fail;
    }
    if (read_metadata(c, err) != SENT_OK) goto fail;
    c->meta_json = malloc(c->file.meta_size + 1);
    if (c->meta_json) {
        memcpy(c->meta_json, c->file.meta_text, c->file.meta_size);
        c->meta_json[c->file.meta_size] = '\0';
    }
    if (sent_weights_from_file(&c->weights, &c->cfg, &c->file, msg, sizeof msg)) {
        sent_set_error(err, SENT_ERR_FORMAT, "%s", msg);
        goto fail;
    }
    // int8 weights repacked once into the kernel table's layout (freed with the weights).
    if (sent_weights_pack(&c->weights, c->kernels)) {
        sent_set_error(err, SENT_ERR_MEMORY, "out of memory packing the int8 weights");
        goto fail;
    }
    if (sent_ngram_from_file(&c->ngram, &c->file, msg, sizeof msg)) {
        sent_set_error(err, SENT_ERR_FORMAT, "%s", msg);
        goto fail;
    }
    if (c->ngram.weight && c->cfg.n_labels != 2) {
        sent_set_error(err, SENT_ERR_FORMAT, "an n-gram model needs 2 labels, the file has %d", c->cfg.n_labels);
        goto fail;
    }
    if (c->ngram.weight &&
        !(c->ngram_buckets = malloc((size_t)c->tokenize.max_len * c->ngram.max_n * sizeof *c->ngram_buckets))) {
        sent_set_error(err, SENT_ERR_MEMORY, "out of memory");
        goto fail;
    }
    if (sent_runstate_new(&c->state, &c->cfg, &c->weights, max_batch, c->tokenize.max_len, msg, sizeof msg)) {
        sent_set_error(err, SENT_ERR_MEMORY, "%s", msg);
        goto fail;
    }
    size_t slots = (size_t)max_batch * c->tokenize.max_len;
    c->slot_ids = malloc(slots * sizeof(int32_t));
    c->slot_starts = malloc(slots * sizeof(int32_t));
    c->slot_ends = malloc(slots * sizeof(int32_t));
    c->batch_ids = malloc(slots * sizeof(int32_t));
    c->batch_offsets = malloc(((size_t)max_batch + 1) * sizeof(int));
    c->slot_of_row = malloc((size_t)max_batch * sizeof(int));
    if (!c->meta_json || !c->slot_ids || !c->slot_starts || !c->slot_ends || !c->batch_ids || !c->batch_offsets ||
        !c->slot_of_row) {
        sent_set_error(err, SENT_ERR_MEMORY, "out of memory");
        goto fail;
    }
    sent_clear_error(err);
    return c;
fail:
    sent_free(c);
    return NULL;
}

SentClassifier *sent_load_memory(const void *bytes, size_t len, const SentOptions *opts, SentError *err) {
    SentClassifier *c = calloc(1, sizeof *c);
    if (!c) {
        sent_set_error(err, SENT_ERR_MEMORY, "out of memory");
        return NULL;
    }
    char msg[256];
    SentStatus status = sent_model_file_parse(&c->file, bytes, len, msg, sizeof msg);
    if (status != SENT_OK) {
        sent_set_error(err, status, "%s", msg);
        free(c);
        return NULL;
    }
    return finish_load(c, opts, err);
}

SentClassifier *sent_load_path(const char *path, const SentOptions *opts, SentError *err) {
    if (!path) {
        sent_set_error(err, SENT_ERR_ARGUMENT, "no model path");
        return NULL;
    }
    SentClassifier *c = calloc(1, sizeof *c);
    if (!c) {
        sent_set_error(err, SENT_ERR_MEMORY, "out of memory");
        return NULL;
    }
    char msg[256];
    SentStatus status = sent_model_file_open(&c->file, path, msg, sizeof msg);
    if (status != SENT_OK) {
        sent_set_error(err, status, "%s", msg);
        free(c);
        return NULL;
    }
    return finish_load(c, opts, err);
}

void sent_free(SentClassifier *c) {
    if (!c) return;
    sent_tokenizer_free(c->tokenizer);
    sent_runstate_free(&c->state);
    sent_weights_free(&c->weights);
    sent_model_file_close(&c->file);
    free(c->meta_json);
    free(c->slot_ids);
    free(c->slot_starts);
    free(c->slot_ends);
    free(c->batch_ids);
    free(c->batch_offsets);
    free(c->slot_of_row);
    free(c->ngram_buckets);
    free(c);
}

// --- classifying -------------------------------------------------------------------------------

// Runs the slots whose results are still SENT_OK (their ids in slot_ids, lengths in n_tokens)
// as one batch, packed without padding, and fills their probabilities.
static void run_slots(SentClassifier *c, SentResult *out, int n) {
    int B = 0;
    c->batch_offsets[0] = 0;
    for (int i = 0; i < n; i++) {
        if (out[i].status != SENT_OK) continue;
        memcpy(c->batch_ids + c->batch_offsets[B], out[i].ids, (size_t)out[i].n_tokens * sizeof(int32_t));
        c->batch_offsets[B + 1] = c->batch_offsets[B] + out[i].n_tokens;
        c->slot_of_row[B++] = i;
    }
    if (B == 0) return;
    sent_model_forward_packed(&c->cfg, &c->weights, &c->state, c->kernels, c->batch_ids, c->batch_offsets, B, NULL);
    int C = c->cfg.n_labels;
    for (int b = 0; b < B; b++) {
        SentResult *r = &out[c->slot_of_row[b]];
        float *logits = c->state.logits + (size_t)b * C;
        if (c->ngram.weight) {   // the hybrid: the positive class's margin is the two models' mix
            const int32_t *ids = c->batch_ids + c->batch_offsets[b];
            float z = sent_ngram_logit(&c->ngram, ids, c->batch_offsets[b + 1] - c->batch_offsets[b], c->ngram_buckets);
            for (int j = 0; j < C; j++) logits[j] *= 1 - c->ngram.mix;
            logits[c->positive_index] += c->ngram.mix * z;
        }
        float max = logits[0], sum = 0;
        for (int j = 1; j < C; j++) max = logits[j] > max ? logits[j] : max;
        for (int j = 0; j < C; j++) sum += r->probs[j] = expf(logits[j] - max);
        r->n_labels = C;
        r->label_index = 0;
        for (int j = 0; j < C; j++) {
            r->logits[j] = logits[j];
            r->probs[j] /= sum;
            if (logits[j] > logits[r->label_index]) r->label_index = j;
        }
        r->label = sent_label_name(c, r->label_index);
        r->positive = r->probs[c->positive_index];
    }
}

SentStatus sent_classify_batch(SentClassifier *c, const char *const *texts, const size_t *lens, int n,
                               SentResult *out, SentError *err) {
    if (!c || !texts || !lens || !out || n < 0) return sent_set_error(err, SENT_ERR_ARGUMENT, "bad arguments");
    int L = c->tokenize.max_len;
    for (int start = 0; start < n; start += c->state.max_batch) {
        int chunk = n - start < c->state.max_batch ? n - start : c->state.max_batch;
        for (int i = 0; i < chunk; i++) {
            SentResult *r = &out[start + i];
            memset(r, 0, sizeof *r);
            SentEncoding enc = {.ids = c->slot_ids + (size_t)i * L,
                                .starts = c->slot_starts + (size_t)i * L,
                                .ends = c->slot_ends + (size_t)i * L};
            char msg[256];
            if (!texts[start + i]) {
                r->status = sent_set_error(&r->error, SENT_ERR_ARGUMENT, "text %d is NULL", start + i);
            } else if (lens[start + i] > SENT_MAX_TEXT_BYTES) {
                r->status = sent_set_error(&r->error, SENT_ERR_INPUT, "text is %zu bytes; the limit is %u",
                                           lens[start + i], SENT_MAX_TEXT_BYTES);
            } else if (sent_tokenizer_encode(c->tokenizer, texts[start + i], lens[start + i], &c->tokenize, &enc, msg,
                                             sizeof msg)) {
                r->status = sent_set_error(&r->error, SENT_ERR_INPUT, "%s", msg);
            } else if (enc.n_total <= 2) {
                r->status = sent_set_error(&r->error, SENT_ERR_INPUT, "text has no words to classify");
            } else {
                r->status = SENT_OK;
                r->n_tokens = enc.n;
                r->n_total = enc.n_total;
                r->truncated = enc.truncated;
                r->ids = enc.ids;
                r->starts = enc.starts;
                r->ends = enc.ends;
            }
        }
        run_slots(c, out + start, chunk);
        if (start + chunk < n) {
            // The next chunk reuses the slots: results of this one keep no token pointers.
            for (int i = 0; i < chunk; i++) out[start + i].ids = out[start + i].starts = out[start + i].ends = NULL;
        }
    }
    sent_clear_error(err);
    return SENT_OK;
}

SentStatus sent_classify(SentClassifier *c, const char *text, size_t len, SentResult *out, SentError *err) {
    if (!c || !text || !out) return sent_set_error(err, SENT_ERR_ARGUMENT, "bad arguments");
    sent_classify_batch(c, &text, &len, 1, out, err);
    if (out->status != SENT_OK) {
        if (err) *err = out->error;
        return out->status;
    }
    sent_clear_error(err);
    return SENT_OK;
}

SentStatus sent_classify_ids(SentClassifier *c, const int32_t *const *ids, const int *lens, int n, SentResult *out,
                             SentError *err) {
    if (!c || !ids || !lens || !out || n < 0) return sent_set_error(err, SENT_ERR_ARGUMENT, "bad arguments");
    int L = c->tokenize.max_len;
    for (int start = 0; start < n; start += c->state.max_batch) {
        int chunk = n - start < c->state.max_batch ? n - start : c->state.max_batch;
        for (int i = 0; i < chunk; i++) {
            SentResult *r = &out[start + i];
            const int32_t *seq = ids[start + i];
            int len = lens[start + i];
            memset(r, 0, sizeof *r);
            if (!seq || len < 1 || len > L) {
                r->status = sent_set_error(&r->error, SENT_ERR_INPUT, "sequence %d: length %d not in 1..%d", start + i,
                                           len, L);
                continue;
            }
            int bad = -1;
            for (int t = 0; t < len && bad < 0; t++)
                if (seq[t] < 0 || seq[t] >= c->cfg.vocab_size) bad = t;
            if (bad >= 0) {
                r->status = sent_set_error(&r->error, SENT_ERR_INPUT, "sequence %d: id %d at %d is not in 0..%d",
                                           start + i, (int)seq[bad], bad, c->cfg.vocab_size - 1);
                continue;
            }
            int32_t *slot = c->slot_ids + (size_t)i * L;
            memcpy(slot, seq, (size_t)len * sizeof(int32_t));
            r->status = SENT_OK;
            r->ids = slot;
            r->n_tokens = r->n_total = len;
        }
        run_slots(c, out + start, chunk);
        for (int i = 0; i < chunk; i++)
            if (out[start + i].status == SENT_OK) out[start + i].ids = ids[start + i];  // the caller's own array
    }
    sent_clear_error(err);
    return SENT_OK;
}

// --- information -------------------------------------------------------------------------------

void sent_model_info(const SentClassifier *c, SentModelInfo *info) {
    memset(info, 0, sizeof *info);
    info->vocab_size = c->cfg.vocab_size;
    info->dim = c->cfg.dim;
    info->n_layers = c->cfg.n_layers;
    info->n_heads = c->cfg.n_heads;
    info->hidden_dim = c->cfg.hidden_dim;
    info->max_position = c->cfg.max_position_embeddings;
    info->n_labels = c->cfg.n_labels;
    info->max_len = c->tokenize.max_len;
    info->truncation = c->tokenize.truncation;
    info->head_tokens = c->tokenize.head_tokens;
    info->positive_index = c->positive_index;
    info->quantized = c->quantized;
    info->group_size = c->group_size;
    info->checksum = c->file.checksum;
}

float sent_model_ngram_mix(const SentClassifier *c) { return c->ngram.weight ? c->ngram.mix : 0; }

const char *sent_label_raw(const SentClassifier *c, int i) {
    return i >= 0 && i < c->cfg.n_labels ? c->labels[i] : NULL;
}

const char *sent_label_name(const SentClassifier *c, int i) {
    if (i < 0 || i >= c->cfg.n_labels) return NULL;
    if (c->cfg.n_labels != 2) return c->labels[i];
    return i == c->positive_index ? "Positive" : "Negative";
}

const char *sent_metadata_json(const SentClassifier *c) { return c->meta_json; }
const struct cJSON *sent_metadata(const SentClassifier *c) { return c->file.meta; }
const SentTokenizer *sent_get_tokenizer(const SentClassifier *c) { return c->tokenizer; }
const SentKernels *sent_get_kernels(const SentClassifier *c) { return c->kernels; }
