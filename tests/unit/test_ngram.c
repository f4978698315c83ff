// The hybrid's n-gram model (src/engine/ngram.h): its buckets, its logit against a brute-force
// sum, the fit on bucket rows, and a hybrid file end to end: the engine's margin is exactly
// (1 - mix) x the transformer's + mix x the n-gram logit, calibration divides both halves, and
// files whose n-gram part is missing, malformed or doubled are refused with a message.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model_file.h"
#include "ngram.h"
#include "random_model.h"
#include "sentiment.h"
#include "tools/calibrate.h"
#include "tools/hybrid.h"
#include "train/teacher_ngram.h"

static int sorted_distinct(const uint32_t *b, size_t n) {
    for (size_t i = 1; i < n; i++)
        if (b[i] <= b[i - 1]) return 0;
    return 1;
}

static void test_buckets(void) {
    uint32_t a[64], b[64];
    int32_t ids[5] = {2, 7, 8, 9, 3};
    size_t n = sent_ngram_buckets(ids, 5, 3, 22, a);
    CHECK_MSG(n == 12, "5 + 4 + 3 distinct n-grams, got %zu", n);   // a collision in 2^22 would be a bug here
    CHECK(sorted_distinct(a, n));
    for (size_t i = 0; i < n; i++) CHECK(a[i] < (1u << 22));
    int32_t rep[3] = {7, 7, 7};
    CHECK(sent_ngram_buckets(rep, 3, 1, 22, b) == 1);   // binary features: a repeat counts once
    CHECK(sent_ngram_buckets(rep, 3, 3, 22, b) == 3);   // 7, 7 7, 7 7 7
    int32_t ab[2] = {7, 8}, ba[2] = {8, 7};
    size_t nab = sent_ngram_buckets(ab, 2, 2, 22, a), nba = sent_ngram_buckets(ba, 2, 2, 22, b);
    CHECK(nab == 3 && nba == 3);
    int shared = 0;
    for (size_t i = 0; i < nab; i++)
        for (size_t j = 0; j < nba; j++) shared += a[i] == b[j];
    CHECK_MSG(shared == 2, "the unigrams are shared, the bigrams differ: %d shared", shared);
    // a unigram's bucket never depends on what precedes it
    int32_t one[1] = {8};
    CHECK(sent_ngram_buckets(one, 1, 3, 22, b) == 1);
    int found = 0;
    for (size_t i = 0; i < nab; i++) found += a[i] == b[0];
    CHECK(found == 1);
    CHECK(sent_ngram_buckets(ids, 0, 3, 22, a) == 0);
}

static void test_logit(void) {
    enum { BITS = 8, N = 1 << BITS, G = 64 };
    int8_t w[N];
    float s[N / G];
    for (int i = 0; i < N; i++) w[i] = (int8_t)((i * 37) % 255 - 127);
    for (int g = 0; g < N / G; g++) s[g] = 0.01f * (g + 1);
    SentNgram m = {.bucket_bits = BITS, .max_n = 2, .bias = -0.25f, .weight = w, .scale = s, .group_size = G};
    int32_t ids[6] = {2, 11, 12, 11, 12, 3};
    uint32_t b[12], scratch[12];
    size_t n = sent_ngram_buckets(ids, 6, 2, BITS, b);
    double want = m.bias;
    for (size_t i = 0; i < n; i++) want += w[b[i]] * (double)s[b[i] / G];
    CHECK_NEAR(sent_ngram_logit(&m, ids, 6, scratch), want, 1e-5);
}

// Rows with bucket 1 are positive, with bucket 2 negative, bucket 3 is noise in both.
static void test_fit(void) {
    SentBucketRows rows = {0};
    for (int i = 0; i < 400; i++) {
        uint32_t f[2] = {i % 2 ? 1u : 2u, 3u};
        sent_buckets_append(&rows, f, i % 3 ? 2 : 1, i % 2);
    }
    CHECK(rows.n == 400 && rows.start[400] == rows.n_buckets);
    SentTeacherOptions o;
    sent_teacher_default_options(&o);
    o.bucket_bits = 4;
    SentNgramTeacher t;
    sent_teacher_fit_buckets(&t, &rows, &o);
    double pos = t.bias + t.ratio[1] * t.weight[1] + t.ratio[3] * t.weight[3];
    double neg = t.bias + t.ratio[2] * t.weight[2] + t.ratio[3] * t.weight[3];
    CHECK_MSG(pos > 1 && neg < -1, "logits %g (positive rows) and %g (negative rows)", pos, neg);
    sent_teacher_free(&t);
    sent_buckets_free(&rows);
}

// Soft targets: a bucket's NB counts split in proportion to its rows' targets, and the fit
// follows them (bucket 1 in rows at P(positive) 0.9, bucket 2 at 0.1, bucket 3 in both).
static void test_fit_soft(void) {
    SentBucketRows rows = {0};
    for (int i = 0; i < 400; i++) {
        uint32_t f[2] = {i % 2 ? 1u : 2u, 3u};
        sent_buckets_append(&rows, f, 2, i % 2 ? 0.9f : 0.1f);
    }
    SentTeacherOptions o;
    sent_teacher_default_options(&o);
    o.bucket_bits = 4;
    SentNgramTeacher t;
    sent_teacher_fit_buckets(&t, &rows, &o);
    // pos = 200 * 0.9 (bucket 1) + 200 * 0.1 (bucket 2) + 400 * 0.5 (bucket 3), likewise neg
    double a = o.nb_alpha, pos_sum = 180 + 20 + 200 + 16 * a, neg_sum = 20 + 180 + 200 + 16 * a;
    CHECK_NEAR(t.ratio[1], log((180 + a) / pos_sum) - log((20 + a) / neg_sum), 1e-4);
    CHECK_NEAR(t.ratio[3], 0, 1e-5);
    double pos = t.bias + t.ratio[1] * t.weight[1] + t.ratio[3] * t.weight[3];
    double neg = t.bias + t.ratio[2] * t.weight[2] + t.ratio[3] * t.weight[3];
    // the targets' own logits are +-2.197; the fit lands near them, not at the hard labels' extremes
    CHECK_MSG(pos > 1 && pos < 3.5 && neg < -1 && neg > -3.5, "logits %g (rows at 0.9) and %g (rows at 0.1)", pos, neg);
    sent_teacher_free(&t);
    sent_buckets_free(&rows);
}

static const char *const TEXTS[] = {"the movie was great", "i hated the plot and the acting", "not bad, but boring",
                                    "loved it !", "a terrible, terrible film"};
enum { N_TEXTS = 5 };

// Margins (logit positive - negative) of TEXTS under a model file, and with ng the n-gram logit
// of the ids each was given (z); 0 when it does not load.
static int margins(const uint8_t *bytes, size_t len, float *out, SentResult *r, const SentNgram *ng, float *z) {
    SentError err;
    SentClassifier *c = sent_load_memory(bytes, len, NULL, &err);
    CHECK_MSG(c != NULL, "%s", err.message);
    if (!c) return 0;
    for (int i = 0; i < N_TEXTS; i++) {
        CHECK(sent_classify(c, TEXTS[i], strlen(TEXTS[i]), &r[i], &err) == SENT_OK);
        out[i] = r[i].logits[1] - r[i].logits[0];
        uint32_t scratch[24 * SENT_NGRAM_MAX_N];
        if (ng) z[i] = sent_ngram_logit(ng, r[i].ids, r[i].n_tokens, scratch);   // ids live as long as c
    }
    sent_free(c);
    return 1;
}

// The message a file with metadata text changed by `from` -> `to` is refused with ("" if it loads).
static void refused(const uint8_t *bytes, size_t len, const char *from, const char *to, const char *want) {
    SentModelFile mf;
    char err[256];
    CHECK(sent_model_file_parse(&mf, bytes, len, err, sizeof err) == SENT_OK);
    char *meta = malloc(mf.meta_size + strlen(to) + 1);
    memcpy(meta, mf.meta_text, mf.meta_size);
    meta[mf.meta_size] = 0;
    char *at = strstr(meta, from);
    CHECK_MSG(at != NULL, "%s not in the metadata", from);
    if (at) {
        memmove(at + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
        memcpy(at, to, strlen(to));
        size_t out_len;
        uint8_t *edited = sent_model_file_build(meta, mf.tensors, mf.n_tensors, &out_len, err, sizeof err);
        CHECK_MSG(edited != NULL, "%s", err);
        SentError e;
        SentClassifier *c = edited ? sent_load_memory(edited, out_len, NULL, &e) : NULL;
        CHECK_MSG(!c && strstr(e.message, want), "'%s' -> '%s': want an error with \"%s\", got \"%s\"", from, to, want,
                  c ? "(loaded)" : e.message);
        sent_free(c);
        free(edited);
    }
    free(meta);
    sent_model_file_close(&mf);
}

static void test_hybrid_file(void) {
    SentConvertOptions opts = sent_convert_defaults();
    opts.quantize = 1;
    SentDistilBertConfig shape = {.vocab_size = 40, .dim = 32, .n_layers = 2, .n_heads = 4, .hidden_dim = 64,
                                  .max_position_embeddings = 24};
    size_t len, hlen, clen;
    uint8_t *bytes = random_model(shape, opts, 5, &len);
    if (!bytes) return;
    enum { BITS = 10, N = 1 << BITS };
    int8_t w[N];
    float s[N / SENT_NGRAM_GROUP];
    for (int i = 0; i < N; i++) w[i] = (int8_t)((i * 91) % 255 - 127);
    for (int g = 0; g < N / SENT_NGRAM_GROUP; g++) s[g] = 0.002f * (g + 1);
    SentNgram ng = {.bucket_bits = BITS, .max_n = 3, .bias = 0.5f, .mix = 0.25f, .weight = w, .scale = s,
                    .group_size = SENT_NGRAM_GROUP};
    char err[256];
    uint8_t *hybrid = sent_model_with_ngram(bytes, len, &ng, "test", &hlen, err, sizeof err);
    CHECK_MSG(hybrid != NULL, "%s", err);
    if (!hybrid) return;
    float plain[N_TEXTS], mixed[N_TEXTS], cal[N_TEXTS], z[N_TEXTS];
    SentResult r[N_TEXTS], rh[N_TEXTS], rc[N_TEXTS];
    if (margins(bytes, len, plain, r, &ng, z) && margins(hybrid, hlen, mixed, rh, NULL, NULL)) {
        for (int i = 0; i < N_TEXTS; i++) {
            float want = 0.75f * plain[i] + 0.25f * z[i];
            CHECK_MSG(fabsf(mixed[i] - want) <= 1e-5f * (1 + fabsf(want)), "text %d: margin %g, want %g", i, mixed[i], want);
            CHECK_NEAR(rh[i].positive, 1 / (1 + exp(-want)), 1e-5);
        }
        SentError e;
        SentClassifier *c = sent_load_memory(hybrid, hlen, NULL, &e);
        CHECK(c && sent_model_ngram_mix(c) == 0.25f);
        sent_free(c);
        // calibration divides the mixed margin: both halves
        uint8_t *calibrated = sent_model_with_temperature(hybrid, hlen, 2.0, "test", &clen, err, sizeof err);
        CHECK_MSG(calibrated != NULL, "%s", err);
        if (calibrated && margins(calibrated, clen, cal, rc, NULL, NULL))
            for (int i = 0; i < N_TEXTS; i++)
                CHECK_MSG(fabsf(cal[i] - mixed[i] / 2) <= 1e-5f * (1 + fabsf(mixed[i])), "text %d: %g, want %g", i, cal[i],
                          mixed[i] / 2);
        free(calibrated);
    }
    // one n-gram model per file
    size_t twice_len;
    CHECK(sent_model_with_ngram(hybrid, hlen, &ng, "", &twice_len, err, sizeof err) == NULL && strstr(err, "already"));
    refused(hybrid, hlen, "\"mix\":0.25", "\"mix\":1.5", "ngram.mix");
    refused(hybrid, hlen, "\"bucket_bits\":10", "\"bucket_bits\":11", "shape");
    refused(hybrid, hlen, "\"max_n\":3", "\"max_n\":0", "ngram.max_n");
    refused(hybrid, hlen, "\"bias\":0.5", "\"bias\":\"x\"", "ngram.bias");
    refused(hybrid, hlen, "\"ngram\":{", "\"other\":{", "without a metadata");
    // metadata without the tensor: the plain file with an "ngram" object spliced in
    refused(bytes, len, "\"positive_index\"", "\"ngram\":{\"bucket_bits\":10,\"max_n\":3,\"bias\":0,\"mix\":0.5},\"positive_index\"",
            "without the tensor");
    free(hybrid);
    free(bytes);
}

int main(void) {
    test_buckets();
    test_logit();
    test_fit();
    test_fit_soft();
    test_hybrid_file();
    return check_summary("ngram");
}
