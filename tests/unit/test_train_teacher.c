// The n-gram teacher on synthetic reviews whose right answer is known: the label is carried only
// by word order ("alpha beta" positive, "beta alpha" negative, same words otherwise), so a
// unigram teacher must stay near chance and a bigram teacher must get it right. Plus feature
// extraction facts and the file round trip.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "train/rng.h"
#include "train/teacher_ngram.h"

#define N_TRAIN 400
#define N_TEST 200
#define TEACHER_PATH "build/test-artifacts/teacher.bin"

static const char *FILLER[8] = {"film", "plot", "actor", "scene", "the", "was", "and", "story"};

// A review of filler words with "alpha beta" (label 1) or "beta alpha" (label 0) somewhere inside.
static char *make_review(int i, int label) {
    char *text = malloc(512);
    size_t len = 0;
    int n_words = 6 + (int)(uniform01(99, (uint64_t)i * 3) * 10), at = (int)(uniform01(99, (uint64_t)i * 3 + 1) * n_words);
    for (int w = 0; w < n_words; w++) {
        if (w == at) len += (size_t)sprintf(text + len, "%s ", label ? "alpha beta" : "Beta ALPHA");
        len += (size_t)sprintf(text + len, "%s ", FILLER[(int)(uniform01(7, (uint64_t)i * 64 + w) * 8)]);
    }
    return text;
}

static SentReviews make_reviews(int n, int offset) {
    SentReviews r = {.n = n};
    r.labels = malloc((size_t)n * sizeof(int32_t));
    r.texts = malloc((size_t)n * sizeof(char *));
    r.lens = malloc((size_t)n * sizeof(size_t));
    for (int i = 0; i < n; i++) {
        r.labels[i] = i % 2;
        r.texts[i] = make_review(offset + i, i % 2);
        r.lens[i] = strlen(r.texts[i]);
    }
    return r;
}

static double accuracy(const SentNgramTeacher *t, const SentReviews *r, SentNgramScratch *s) {
    int correct = 0;
    for (int i = 0; i < r->n; i++) correct += (sent_teacher_predict(t, r->texts[i], r->lens[i], s) > 0.5f) == r->labels[i];
    return (double)correct / r->n;
}

static void test_features(void) {
    SentNgramScratch s = {0};
    const char *t1 = "Good good GOOD";   // one unigram, one bigram ("good good") twice: distinct ids only
    CHECK(sent_ngram_features(t1, strlen(t1), 2, 22, &s) == 2);
    const char *t2 = "great!";           // "great", "!", "great !"
    CHECK(sent_ngram_features(t2, strlen(t2), 2, 22, &s) == 3);
    CHECK(sent_ngram_features("", 0, 3, 22, &s) == 0);
    CHECK(sent_ngram_features(" ,;- ", 5, 3, 22, &s) == 0);
    const char bad_utf8[] = {'o', 'k', ' ', (char)0xff, (char)0xc3, ' ', 'x'};   // bytes >= 0x80 are word bytes
    CHECK(sent_ngram_features(bad_utf8, sizeof bad_utf8, 3, 22, &s) == 6);
    size_t n = sent_ngram_features("a b c d", 7, 3, 22, &s);
    CHECK(n == 9);   // 4 + 3 + 2 n-grams, no collisions expected in 2^22 buckets
    for (size_t i = 1; i < n; i++) CHECK(s.ids[i - 1] < s.ids[i]);   // sorted, distinct
    free(s.ids);
}

static void test_fit(void) {
    SentReviews train = make_reviews(N_TRAIN, 0), test = make_reviews(N_TEST, 100000);
    int32_t index[N_TRAIN];
    for (int i = 0; i < N_TRAIN; i++) index[i] = i;
    SentTeacherOptions o;
    sent_teacher_default_options(&o);
    o.bucket_bits = 16;
    SentNgramScratch s = {0};

    o.max_n = 1;
    SentNgramTeacher unigram;
    sent_teacher_fit(&unigram, &train, index, N_TRAIN, &o);
    double acc1 = accuracy(&unigram, &test, &s);
    printf("  unigram teacher: held-out accuracy %.3f (the label is in word order only)\n", acc1);
    CHECK_MSG(acc1 < 0.75, "unigrams cannot see word order, got %.3f", acc1);

    o.max_n = 2;
    SentNgramTeacher bigram;
    sent_teacher_fit(&bigram, &train, index, N_TRAIN, &o);
    double acc2 = accuracy(&bigram, &test, &s);
    printf("  bigram teacher: held-out accuracy %.3f\n", acc2);
    CHECK_MSG(acc2 >= 0.99, "bigram accuracy %.3f", acc2);
    const char *pos = "the film alpha beta was", *neg = "the film beta alpha was";
    CHECK(sent_teacher_predict(&bigram, pos, strlen(pos), &s) > 0.8f);
    CHECK(sent_teacher_predict(&bigram, neg, strlen(neg), &s) < 0.2f);

    // file round trip: identical predictions; a truncated file is refused
    system("mkdir -p build/test-artifacts");
    sent_teacher_save(&bigram, TEACHER_PATH);
    SentNgramTeacher loaded;
    CHECK(sent_teacher_load(&loaded, TEACHER_PATH));
    int same = 1;
    for (int i = 0; i < test.n; i++)
        same &= sent_teacher_predict(&loaded, test.texts[i], test.lens[i], &s) ==
                sent_teacher_predict(&bigram, test.texts[i], test.lens[i], &s);
    CHECK(same);
    sent_teacher_free(&loaded);
    CHECK(truncate(TEACHER_PATH, 1000) == 0);
    CHECK(!sent_teacher_load(&loaded, TEACHER_PATH));
    CHECK(!sent_teacher_load(&loaded, "build/test-artifacts/no-such-teacher.bin"));

    sent_teacher_free(&unigram), sent_teacher_free(&bigram);
    free(s.ids);
    for (int i = 0; i < train.n; i++) free(train.texts[i]);
    for (int i = 0; i < test.n; i++) free(test.texts[i]);
    free(train.texts), free(train.labels), free(train.lens), free(test.texts), free(test.labels), free(test.lens);
}

int main(void) {
    test_features();
    test_fit();
    return check_summary("test_train_teacher");
}
