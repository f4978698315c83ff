// The n-gram half of a hybrid model file: an NBSVM-style linear model (Wang & Manning 2012) over
// hashed n-grams of the word-piece ids the transformer sees, whose logit is mixed with the
// transformer's. The two make different errors (bag of phrases against word order), so the mix
// is right more often than either (weights/MODEL_CARD.md, "The hybrid"). It reads the same ids
// as the transformer, truncation included, so sent_classify_ids and the occlusion explanations
// (explain.h) see the whole model, and it costs a hash and a byte load per n-gram per token.
//
// Features are binary: a bucket counts once however often its n-grams occur. The trainer fits
// the weights (src/train/teacher_ngram.c, on these same features); `train hybrid` folds them
// into one int8 value per bucket and stores them as the tensor SENT_NGRAM_TENSOR with the
// metadata object "ngram" (weights/FORMAT.md).
#ifndef SENT_NGRAM_H
#define SENT_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"
#include "model_file.h"

#define SENT_NGRAM_TENSOR "ngram.weight"
#define SENT_NGRAM_MAX_N 8
#define SENT_NGRAM_MIN_BITS 4
#define SENT_NGRAM_MAX_BITS 28

typedef struct {
    int bucket_bits;         // 2^bucket_bits hashed buckets
    int max_n;               // n-grams of 1..max_n ids
    float bias;
    float mix;               // final logit = (1 - mix) * transformer's + mix * this model's, in [0, 1]
    const int8_t *weight;    // [2^bucket_bits] borrowed from the file
    const float *scale;      // [2^bucket_bits / group_size]
    int group_size;
} SentNgram;

// The distinct buckets of the n-grams of ids[0..n) (1..max_n consecutive ids, [CLS] and [SEP]
// included), sorted, in out[0..return); out holds at least n * max_n.
size_t sent_ngram_buckets(const int32_t *ids, int n, int max_n, int bucket_bits, uint32_t *out);

// Sorts v[0..n) and moves its distinct values to the front; returns how many (the text
// teacher's features, train/teacher_ngram.c, are made distinct the same way).
size_t sent_sort_unique_u32(uint32_t *v, size_t n);

// bias + the sum of the weights of ids' buckets (scratch as out above): the model's logit of
// the positive class against the negative one.
float sent_ngram_logit(const SentNgram *m, const int32_t *ids, int n, uint32_t *scratch);

// Reads metadata "ngram" and its tensor from a model file. Returns 0 with m->weight NULL when
// the file has none, 0 with m filled when it has a valid one, -1 with a message otherwise.
int sent_ngram_from_file(SentNgram *m, const SentModelFile *mf, char *err, size_t err_size);

#endif
