// An NBSVM-style n-gram teacher (Wang & Manning 2012, the logistic-regression variant): binarized
// hashed word n-grams, each scaled by its naive-Bayes log-count ratio r, then a logistic regression
// on r ⊙ x. It trains in seconds on the 22,500 training reviews and labels the unlabelled ones with
// soft probabilities, which the transformer student is distilled on (train finetune --teacher).
#ifndef SENT_TRAIN_TEACHER_NGRAM_H
#define SENT_TRAIN_TEACHER_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "train/data.h"

typedef struct {
    int bucket_bits;   // 2^bucket_bits hashed feature buckets
    int max_n;         // n-grams of 1..max_n words
    float *ratio;      // [2^bucket_bits] NB log-count ratio r of each bucket
    float *weight;     // [2^bucket_bits] logistic-regression weight on r ⊙ x
    float bias;
} SentNgramTeacher;

typedef struct {
    int bucket_bits, max_n;
    int epochs;
    float nb_alpha;    // add-alpha smoothing of the NB counts
    float lr;          // AdaGrad step
    float l2;          // L2 penalty on the weights (applied to the features a review touches)
    uint64_t seed;     // review order per epoch
} SentTeacherOptions;

void sent_teacher_default_options(SentTeacherOptions *opts);

// A growable buffer for one review's feature ids (the teacher reuses it review after review).
typedef struct {
    uint32_t *ids;
    size_t cap;
} SentNgramScratch;

// The distinct hashed n-gram buckets of a text (lowercased ASCII words of letters, digits and
// apostrophes; bytes >= 0x80 belong to words; '!' and '?' are words of their own), sorted, in
// scratch->ids; returns how many.
size_t sent_ngram_features(const char *text, size_t len, int max_n, int bucket_bits, SentNgramScratch *scratch);

// Rows of features to fit on (CSR): row i's distinct buckets are buckets[start[i] .. start[i + 1]).
// A target is P(positive): 0 or 1 for a labelled review, a teacher's probability for an unlabelled
// one (its NB counts then split between the classes in proportion).
typedef struct {
    int n;
    uint32_t *buckets;   // [n_buckets]
    size_t *start;       // [n + 1]
    float *targets;      // [n] in [0, 1]
    size_t n_buckets, cap;
} SentBucketRows;
void sent_buckets_append(SentBucketRows *rows, const uint32_t *buckets, size_t k, float target);
void sent_buckets_free(SentBucketRows *rows);

// Fits on reviews index[0..n) (their labels must be 0 or 1), with sent_ngram_features' word
// n-grams. Prints a line per epoch on stderr.
void sent_teacher_fit(SentNgramTeacher *teacher, const SentReviews *reviews, const int32_t *index, int n,
                      const SentTeacherOptions *opts);
// The same fit on rows of any features (e.g. ngram.h's word-piece id n-grams, `train hybrid`);
// opts->bucket_bits must cover every bucket.
void sent_teacher_fit_buckets(SentNgramTeacher *teacher, const SentBucketRows *rows, const SentTeacherOptions *opts);
// P(positive) of one text.
float sent_teacher_predict(const SentNgramTeacher *teacher, const char *text, size_t len, SentNgramScratch *scratch);
void sent_teacher_free(SentNgramTeacher *teacher);

// Binary file: magic, bucket_bits, max_n, bias, ratio[], weight[]. Load returns 0 and prints why
// on a missing, short or inconsistent file.
void sent_teacher_save(const SentNgramTeacher *teacher, const char *path);
int sent_teacher_load(SentNgramTeacher *teacher, const char *path);

#endif
