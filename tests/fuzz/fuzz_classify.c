// libFuzzer target: classification end to end. Any bytes are one review for two small random
// models built once (the real vocab.txt, fp32 and int8 with groups of 8, head+tail truncation at
// 24 tokens): a text without word pieces must be refused (SENT_ERR_INPUT, "no words"), any other
// must classify (every text under SENT_MAX_TEXT_BYTES is valid input) with finite probabilities that sum to 1, the argmax as label, token ids in the vocabulary and spans
// inside the text; the input split at its first newline, classified as a batch of two, must give
// each half the answer it gets alone (padding is masked out). `make fuzz` builds and runs it.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentiment.h"
#include "tools/convert.h"
#include "util.h"

static SentClassifier *models[2];
static uint8_t *model_bytes[2];

static void init_models(void) {
    size_t vocab_len;
    char *vocab = sent_read_file("weights/vocab.txt", &vocab_len);
    if (!vocab) abort();
    SentHfConfig cfg = {.model = {.vocab_size = 30522, .dim = 16, .n_layers = 2, .n_heads = 2, .hidden_dim = 32,
                                  .max_position_embeddings = 32, .n_labels = 2}, .positive_index = 1};
    for (int q = 0; q < 2; q++) {
        SentConvertOptions opts = sent_convert_defaults();
        opts.quantize = q, opts.group_size = 8, opts.max_len = 24, opts.head_tokens = 8;
        char msg[256];
        size_t len;
        model_bytes[q] = sent_convert_random(&cfg, vocab, &opts, 7 + q, &len, msg, sizeof msg);
        if (!model_bytes[q]) {
            fprintf(stderr, "random model: %s\n", msg);
            abort();
        }
        SentError err;
        SentOptions o = {.max_batch = 2, .kernels = NULL};
        models[q] = sent_load_memory(model_bytes[q], len, &o, &err);
        if (!models[q]) {
            fprintf(stderr, "load: %s\n", err.message);
            abort();
        }
    }
    free(vocab);
}

static void count_piece(void *ctx, int32_t id, int32_t start, int32_t end) { ++*(long long *)ctx; }

static long long pieces(const SentClassifier *c, const char *text, size_t len) {
    long long n = 0;
    char msg[256];
    sent_tokenizer_foreach_piece((SentTokenizer *)sent_get_tokenizer(c), text, len, count_piece, &n, msg, sizeof msg);
    return n;
}

// 1 when r is a valid answer for text, 0 when text was rightly refused; aborts otherwise.
static int check_result(const SentClassifier *c, const SentResult *r, const char *text, size_t len) {
    SentModelInfo info;
    sent_model_info(c, &info);
    if (pieces(c, text, len) == 0) {
        if (r->status != SENT_ERR_INPUT || !strstr(r->error.message, "no words")) abort();
        return 0;
    }
    if (r->status != SENT_OK) {
        fprintf(stderr, "classify failed: %s\n", r->error.message);
        abort();
    }
    if (r->n_labels != 2) abort();
    double sum = 0;
    for (int i = 0; i < r->n_labels; i++) {
        if (!isfinite(r->probs[i]) || !isfinite(r->logits[i]) || r->probs[i] < 0) abort();
        sum += r->probs[i];
        if (r->probs[i] > r->probs[r->label_index]) abort();
    }
    if (fabs(sum - 1.0) > 1e-5 || r->positive != r->probs[info.positive_index]) abort();
    if (r->n_tokens < 2 || r->n_tokens > info.max_len || r->n_total < r->n_tokens) abort();
    if (r->truncated != (r->n_total > r->n_tokens)) abort();
    for (int i = 0; i < r->n_tokens; i++) {
        if (r->ids[i] < 0 || r->ids[i] >= info.vocab_size) abort();
        if (r->starts[i] < 0 || r->ends[i] < r->starts[i] || (size_t)r->ends[i] > len) abort();
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!models[0]) init_models();
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t first = nl ? (size_t)(nl - text) : size / 2;
    const char *halves[2] = {text, text + first};
    size_t lens[2] = {first, size - first};
    for (int q = 0; q < 2; q++) {
        SentError err;
        SentResult whole, alone[2], batch[2];
        sent_classify(models[q], text, size, &whole, &err);
        check_result(models[q], &whole, text, size);
        int ok[2];
        for (int h = 0; h < 2; h++) {
            sent_classify(models[q], halves[h], lens[h], &alone[h], &err);
            ok[h] = check_result(models[q], &alone[h], halves[h], lens[h]);
        }
        if (sent_classify_batch(models[q], halves, lens, 2, batch, &err) != SENT_OK) abort();
        for (int h = 0; h < 2; h++) {
            if (check_result(models[q], &batch[h], halves[h], lens[h]) != ok[h]) abort();
            if (!ok[h]) continue;
            if (batch[h].n_tokens != alone[h].n_tokens) abort();
            for (int i = 0; i < 2; i++)
                if (fabsf(batch[h].probs[i] - alone[h].probs[i]) > 1e-4f) {
                    fprintf(stderr, "model %d half %d: batch %.7f, alone %.7f\n", q, h, batch[h].probs[i],
                            alone[h].probs[i]);
                    abort();
                }
        }
    }
    return 0;
}
