// The public API on a small random-weight model built in memory: results are well-formed, a
// padded batch equals one-by-one classification, pre-tokenized ids equal text, scalar and SIMD
// kernels agree, int8 stays close to fp32, truncation is reported, and bad inputs fail alone;
// and, on the model layer, the fused QKV projection equals q, k, v run apart.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "random_model.h"
#include "sentiment.h"

static uint8_t *tiny_model(int quantize, size_t *len) {
    SentConvertOptions opts = sent_convert_defaults();
    opts.quantize = quantize;
    opts.group_size = 16;
    opts.head_tokens = 6;
    SentDistilBertConfig shape = {.vocab_size = 40, .dim = 32, .n_layers = 2, .n_heads = 4, .hidden_dim = 64,
                                  .max_position_embeddings = 24};
    return random_model(shape, opts, 7, len);
}

static const char *reviews[] = {
    "The movie was great, I loved it!",
    "Terrible acting and a boring plot.",
    "not bad",
    "fun",
    "The film was good but the acting was bad and the plot was boring and I hated it. Not fun, not good.",
};
#define N_REVIEWS 5

static void test_results(SentClassifier *c) {
    SentModelInfo info;
    sent_model_info(c, &info);
    CHECK(info.dim == 32 && info.n_layers == 2 && info.n_labels == 2 && info.max_len == 24);
    CHECK(info.positive_index == 1 && info.truncation == SENT_TRUNCATE_HEAD_TAIL && info.head_tokens == 6);
    CHECK(!strcmp(sent_label_raw(c, 1), "POSITIVE") && !strcmp(sent_label_name(c, 1), "Positive") &&
          !strcmp(sent_label_name(c, 0), "Negative") && sent_label_name(c, 2) == NULL);
    CHECK(strstr(sent_metadata_json(c), "\"vocab_size\":40") != NULL);

    SentResult one[N_REVIEWS], batch[N_REVIEWS];
    SentError err;
    for (int i = 0; i < N_REVIEWS; i++) {
        SentStatus st = sent_classify(c, reviews[i], strlen(reviews[i]), &one[i], &err);
        CHECK_MSG(st == SENT_OK, "review %d: %s", i, err.message);
        CHECK_NEAR(one[i].probs[0] + one[i].probs[1], 1.0, 1e-5);
        CHECK(one[i].positive == one[i].probs[1]);
        CHECK(one[i].label_index == (one[i].logits[1] > one[i].logits[0]));
        CHECK(!strcmp(one[i].label, one[i].label_index ? "Positive" : "Negative"));
        CHECK(one[i].n_tokens >= 3 && one[i].ids[0] == 2 && one[i].ids[one[i].n_tokens - 1] == 3);  // [CLS] ... [SEP]
        CHECK(one[i].starts[1] >= 0 && one[i].ends[1] <= (int)strlen(reviews[i]));
    }
    CHECK(one[2].n_tokens == 4 && !one[2].truncated);
    // The last review has more than 24 tokens: head 6 + tail 16 + [CLS]/[SEP].
    CHECK(one[4].truncated && one[4].n_tokens == 24 && one[4].n_total > 24);

    // A padded batch (max_batch 3 here, so two chunks) gives the same answers.
    size_t lens[N_REVIEWS];
    for (int i = 0; i < N_REVIEWS; i++) lens[i] = strlen(reviews[i]);
    CHECK(sent_classify_batch(c, reviews, lens, N_REVIEWS, batch, &err) == SENT_OK);
    for (int i = 0; i < N_REVIEWS; i++) {
        CHECK(batch[i].status == SENT_OK && batch[i].n_tokens == one[i].n_tokens);
        CHECK_NEAR(batch[i].logits[0], one[i].logits[0], 1e-5);
        CHECK_NEAR(batch[i].logits[1], one[i].logits[1], 1e-5);
    }

    // Pre-tokenized ids give the same answers as the text they came from.
    int32_t ids[N_REVIEWS][24];
    const int32_t *seqs[N_REVIEWS];
    int seq_lens[N_REVIEWS];
    for (int i = 0; i < N_REVIEWS; i++) {
        SentResult r;
        sent_classify(c, reviews[i], strlen(reviews[i]), &r, &err);
        memcpy(ids[i], r.ids, (size_t)r.n_tokens * sizeof(int32_t));
        seqs[i] = ids[i];
        seq_lens[i] = r.n_tokens;
    }
    SentResult by_ids[N_REVIEWS];
    CHECK(sent_classify_ids(c, seqs, seq_lens, N_REVIEWS, by_ids, &err) == SENT_OK);
    for (int i = 0; i < N_REVIEWS; i++) {
        CHECK(by_ids[i].status == SENT_OK && by_ids[i].ids == seqs[i] && by_ids[i].starts == NULL);
        CHECK_NEAR(by_ids[i].positive, one[i].positive, 1e-5);
    }
}

static void test_bad_inputs(SentClassifier *c) {
    SentResult r;
    SentError err;
    CHECK(sent_classify(c, "", 0, &r, &err) == SENT_ERR_INPUT && strstr(err.message, "no words"));
    CHECK(sent_classify(c, " \t\n ", 4, &r, &err) == SENT_ERR_INPUT);
    CHECK(sent_classify(c, NULL, 3, &r, &err) == SENT_ERR_ARGUMENT);
    size_t big = SENT_MAX_TEXT_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    CHECK(sent_classify(c, huge, big, &r, &err) == SENT_ERR_INPUT && strstr(err.message, "limit"));
    free(huge);
    const char invalid[] = {'g', 'o', 'o', 'd', (char)0xff, ' ', 'f', 'i', 'l', 'm', (char)0xc3};
    CHECK(sent_classify(c, invalid, sizeof invalid, &r, &err) == SENT_OK);

    // One bad text in a batch fails alone.
    const char *texts[3] = {"great movie", "", "bad movie"};
    size_t lens[3] = {11, 0, 9};
    SentResult out[3];
    CHECK(sent_classify_batch(c, texts, lens, 3, out, &err) == SENT_OK);
    CHECK(out[0].status == SENT_OK && out[1].status == SENT_ERR_INPUT && out[2].status == SENT_OK);

    // Bad id sequences: out of range, empty, too long.
    int32_t good[4] = {2, 8, 6, 3}, bad_id[3] = {2, 40, 3}, negative[3] = {2, -1, 3}, too_long[25] = {0};
    const int32_t *seqs[5] = {good, bad_id, negative, too_long, good};
    int seq_lens[5] = {4, 3, 3, 25, 0};
    SentResult res[5];
    CHECK(sent_classify_ids(c, seqs, seq_lens, 5, res, &err) == SENT_OK);
    CHECK(res[0].status == SENT_OK);
    for (int i = 1; i < 5; i++) CHECK_MSG(res[i].status == SENT_ERR_INPUT, "sequence %d", i);
    CHECK(strstr(res[1].error.message, "id 40") != NULL);
    CHECK(sent_classify_ids(c, NULL, seq_lens, 1, res, &err) == SENT_ERR_ARGUMENT);
}

static void test_kernels_and_int8(const uint8_t *fp32, size_t fp32_len) {
    SentError err;
    SentOptions scalar_opts = {.max_batch = 2, .kernels = sent_kernels_scalar()};
    SentClassifier *scalar = sent_load_memory(fp32, fp32_len, &scalar_opts, &err);
    SentClassifier *best = sent_load_memory(fp32, fp32_len, NULL, &err);
    size_t q_len;
    uint8_t *q_bytes = tiny_model(1, &q_len);
    SentClassifier *q = sent_load_memory(q_bytes, q_len, NULL, &err);
    CHECK_MSG(scalar && best && q, "%s", err.message);
    if (!scalar || !best || !q) return;
    SentModelInfo info;
    sent_model_info(q, &info);
    CHECK(info.quantized == 1 && info.group_size == 16);
    for (int i = 0; i < N_REVIEWS; i++) {
        SentResult a, b, c;
        sent_classify(scalar, reviews[i], strlen(reviews[i]), &a, &err);
        sent_classify(best, reviews[i], strlen(reviews[i]), &b, &err);
        sent_classify(q, reviews[i], strlen(reviews[i]), &c, &err);
        CHECK_NEAR(a.positive, b.positive, 1e-5);
        CHECK_NEAR(a.positive, c.positive, 0.05);
    }
    sent_free(scalar);
    sent_free(best);
    sent_free(q);
    free(q_bytes);
}

// logits [2] of ids through the model layer (hidden states too when `hidden`, the full last layer).
static void forward_logits(SentWeights *w, const SentDistilBertConfig *cfg, SentRunState *s, const SentKernels *k,
                           int hidden, float logits[2]) {
    static const int32_t ids[] = {2, 5, 6, 7, 8, 11, 12, 16, 3};
    uint8_t mask[9] = {1, 1, 1, 1, 1, 1, 1, 0, 0};   // two padded keys
    float *hs = hidden ? malloc((size_t)(cfg->n_layers + 1) * 9 * cfg->dim * sizeof(float)) : NULL;
    sent_model_forward(cfg, w, s, k, ids, mask, 1, 9, hs);
    memcpy(logits, s->logits, 2 * sizeof(float));
    free(hs);
}

// Fused QKV (built at load) against the three projections run apart (the path for files whose
// q, k, v differ in dtype or group size), fp32 and int8, scalar and the best table, with and
// without the [CLS]-only last layer.
static void test_fused_qkv(const uint8_t *bytes, size_t len) {
    SentModelFile mf;
    SentDistilBertConfig cfg;
    SentWeights w;
    SentRunState s;
    char err[256];
    CHECK_MSG(sent_model_file_parse(&mf, bytes, len, err, sizeof err) == SENT_OK, "%s", err);
    CHECK_MSG(!sent_config_from_meta(&cfg, mf.meta, err, sizeof err) && !sent_weights_from_file(&w, &cfg, &mf, err, sizeof err) &&
                  !sent_runstate_new(&s, &cfg, &w, 1, 9, err, sizeof err),
              "%s", err);
    CHECK(w.layers[0].qkv.out == 3 * cfg.dim && w.layers[1].qkv.in == cfg.dim);
    const SentKernels *tables[2] = {sent_kernels_scalar(), sent_kernels_best()};
    float fused[2][2][2], apart[2];
    for (int t = 0; t < 2; t++)
        for (int hidden = 0; hidden < 2; hidden++) forward_logits(&w, &cfg, &s, tables[t], hidden, fused[t][hidden]);
    for (int l = 0; l < w.n_layers; l++) {
        free(w.layers[l].qkv_owned);
        free(w.layers[l].qkv.packed);
        w.layers[l].qkv_owned = NULL;
        w.layers[l].qkv = (SentLinear){0};
    }
    w.packed_for = NULL;   // repack: the fused Linear is gone, q, k, v get packed instead
    for (int t = 0; t < 2; t++)
        for (int hidden = 0; hidden < 2; hidden++) {
            forward_logits(&w, &cfg, &s, tables[t], hidden, apart);
            for (int i = 0; i < 2; i++)
                CHECK_MSG(fabsf(apart[i] - fused[t][hidden][i]) <= 1e-6f * (1 + fabsf(apart[i])),
                          "%s %s hidden=%d: fused QKV logit %d %g, apart %g", tables[t]->name,
                          w.layers[0].q.w ? "fp32" : "int8", hidden, i, fused[t][hidden][i], apart[i]);
        }
    sent_runstate_free(&s);
    sent_weights_free(&w);
    sent_model_file_close(&mf);
}

int main(void) {
    size_t len;
    uint8_t *bytes = tiny_model(0, &len);
    if (!bytes) return check_summary("model");
    SentError err;
    SentOptions opts = {.max_batch = 3, .kernels = NULL};
    SentClassifier *c = sent_load_memory(bytes, len, &opts, &err);
    CHECK_MSG(c != NULL, "%s", err.message);
    if (c) {
        test_results(c);
        test_bad_inputs(c);
        sent_free(c);
    }
    test_kernels_and_int8(bytes, len);
    test_fused_qkv(bytes, len);
    size_t q_len;
    uint8_t *q_bytes = tiny_model(1, &q_len);
    test_fused_qkv(q_bytes, q_len);
    free(q_bytes);
    SentOptions bad_opts = {.max_batch = 5000};
    CHECK(sent_load_memory(bytes, len, &bad_opts, &err) == NULL && err.code == SENT_ERR_ARGUMENT);
    CHECK(sent_load_path("/nonexistent/model.smf", NULL, &err) == NULL && err.code == SENT_ERR_IO);
    free(bytes);
    return check_summary("model");
}
