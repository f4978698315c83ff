// Hashed id n-grams and the n-gram model's logit (ngram.h).
#include "ngram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t sent_ngram_buckets(const int32_t *ids, int n, int max_n, int bucket_bits, uint32_t *out) {
    uint32_t mask = (uint32_t)((1ull << bucket_bits) - 1);
    size_t count = 0;
    for (int end = 0; end < n; end++) {
        // the n-grams ending at ids[end]: the hash of a k-gram chains the (k-1)-gram's, and the
        // length goes in so that a bigram never shares a chain value with a unigram
        uint64_t gram = 0;
        for (int k = 0; k < max_n && k <= end; k++) {
            gram = sent_mix64(gram * 31 + (uint64_t)(uint32_t)ids[end - k] + ((uint64_t)k << 40));
            out[count++] = (uint32_t)gram & mask;
        }
    }
    return sent_sort_unique_u32(out, count);
}

size_t sent_sort_unique_u32(uint32_t *v, size_t n) {
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_u32);
    size_t unique = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[unique - 1]) v[unique++] = v[i];
    return unique;
}

float sent_ngram_logit(const SentNgram *m, const int32_t *ids, int n, uint32_t *scratch) {
    size_t k = sent_ngram_buckets(ids, n, m->max_n, m->bucket_bits, scratch);
    double z = m->bias;
    for (size_t i = 0; i < k; i++) {
        uint32_t b = scratch[i];
        z += (double)m->weight[b] * m->scale[b / (uint32_t)m->group_size];
    }
    return (float)z;
}

// An integer-valued JSON number in [lo, hi], or -1.
static int int_in(const cJSON *o, const char *key, int lo, int hi) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return -1;
    return (int)v->valuedouble;
}

int sent_ngram_from_file(SentNgram *m, const SentModelFile *mf, char *err, size_t err_size) {
    memset(m, 0, sizeof *m);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(mf->meta, "ngram");
    const SentTensor *t = sent_model_file_find(mf, SENT_NGRAM_TENSOR);
    if (!o && !t) return 0;
    if (!cJSON_IsObject(o)) return sent_errorf(err, err_size, "tensor '%s' without a metadata \"ngram\" object", SENT_NGRAM_TENSOR);
    int bits = int_in(o, "bucket_bits", SENT_NGRAM_MIN_BITS, SENT_NGRAM_MAX_BITS);
    int max_n = int_in(o, "max_n", 1, SENT_NGRAM_MAX_N);
    const cJSON *bias = cJSON_GetObjectItemCaseSensitive(o, "bias");
    const cJSON *mix = cJSON_GetObjectItemCaseSensitive(o, "mix");
    if (bits < 0) return sent_errorf(err, err_size, "ngram.bucket_bits must be an integer in %d..%d", SENT_NGRAM_MIN_BITS, SENT_NGRAM_MAX_BITS);
    if (max_n < 0) return sent_errorf(err, err_size, "ngram.max_n must be an integer in 1..%d", SENT_NGRAM_MAX_N);
    if (!cJSON_IsNumber(bias) || !isfinite(bias->valuedouble)) return sent_errorf(err, err_size, "ngram.bias must be a finite number");
    if (!cJSON_IsNumber(mix) || !(mix->valuedouble >= 0 && mix->valuedouble <= 1))
        return sent_errorf(err, err_size, "ngram.mix must be a number in [0, 1]");
    if (!t) return sent_errorf(err, err_size, "metadata \"ngram\" without the tensor '%s'", SENT_NGRAM_TENSOR);
    if (t->dtype != SENT_DTYPE_I8 || t->ndim != 1 || t->shape[0] != (int64_t)1 << bits)
        return sent_errorf(err, err_size, "tensor '%s' must be int8 of shape [%lld] (2^ngram.bucket_bits)", SENT_NGRAM_TENSOR,
                           1ll << bits);
    for (int64_t i = 0; i < t->shape[0] / t->group_size; i++)
        if (!isfinite(t->scale[i])) return sent_errorf(err, err_size, "tensor '%s' has a non-finite scale", SENT_NGRAM_TENSOR);
    *m = (SentNgram){.bucket_bits = bits, .max_n = max_n, .bias = (float)bias->valuedouble,
                     .mix = (float)mix->valuedouble, .weight = t->data, .scale = t->scale, .group_size = t->group_size};
    return 0;
}
