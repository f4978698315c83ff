// NBSVM-style teacher: hashed binarized n-grams → NB log-count ratios → logistic regression (AdaGrad).
#include "train/teacher_ngram.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngram.h"
#include "train/rng.h"
#include "util.h"

#define TEACHER_MAGIC 0x4843544eu   // "NTCH"

void sent_teacher_default_options(SentTeacherOptions *o) {
    *o = (SentTeacherOptions){.bucket_bits = 22, .max_n = 3, .epochs = 6, .nb_alpha = 1.0f,
                              .lr = 0.05f, .l2 = 1e-4f, .seed = 7};
}

// ----------------------------------------------------------------------------------------------
// features

static int is_word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'' || c >= 0x80;
}

static void push_id(SentNgramScratch *s, size_t *n, uint32_t id) {
    if (*n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->ids = reallocCheck(s->ids, s->cap * sizeof(uint32_t));
    }
    s->ids[(*n)++] = id;
}

size_t sent_ngram_features(const char *text, size_t len, int max_n, int bucket_bits, SentNgramScratch *s) {
    uint32_t bucket_mask = (1u << bucket_bits) - 1;
    uint64_t recent[8] = {0};   // hashes of the last max_n words, most recent first
    size_t n = 0, words = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (!is_word_byte(c) && c != '!' && c != '?') {
            i++;
            continue;
        }
        uint64_t h = 0xcbf29ce484222325ull;   // FNV-1a of the lowercased word
        if (c == '!' || c == '?') {
            h = (h ^ c) * 0x100000001b3ull;
            i++;
        } else {
            for (; i < len && is_word_byte((unsigned char)text[i]); i++) {
                unsigned char w = (unsigned char)text[i];
                if (w >= 'A' && w <= 'Z') w += 'a' - 'A';
                h = (h ^ w) * 0x100000001b3ull;
            }
        }
        for (int k = max_n - 1; k > 0; k--) recent[k] = recent[k - 1];
        recent[0] = h;
        words++;
        uint64_t gram = 0;
        for (int k = 0; k < max_n && (size_t)k < words; k++) {   // the n-grams ending at this word
            gram = hash_u64(gram * 31 + recent[k] + (uint64_t)k);
            push_id(s, &n, (uint32_t)(gram & bucket_mask));
        }
    }
    return sent_sort_unique_u32(s->ids, n);
}

// ----------------------------------------------------------------------------------------------
// fit and predict

static float logit_of(const SentNgramTeacher *t, const uint32_t *ids, size_t n) {
    double z = t->bias;
    for (size_t i = 0; i < n; i++) z += (double)t->weight[ids[i]] * t->ratio[ids[i]];
    return (float)z;
}

static float sigmoid(float z) { return 1.0f / (1.0f + expf(-z)); }

void sent_buckets_append(SentBucketRows *rows, const uint32_t *buckets, size_t k, float target) {
    if (rows->n_buckets + k > rows->cap) {
        rows->cap = (rows->n_buckets + k) * 2;
        rows->buckets = reallocCheck(rows->buckets, rows->cap * sizeof(uint32_t));
    }
    if (rows->n % 1024 == 0) {
        rows->start = reallocCheck(rows->start, ((size_t)rows->n + 1025) * sizeof(size_t));
        rows->targets = reallocCheck(rows->targets, ((size_t)rows->n + 1024) * sizeof(float));
    }
    memcpy(rows->buckets + rows->n_buckets, buckets, k * sizeof(uint32_t));
    rows->start[rows->n] = rows->n_buckets;
    rows->targets[rows->n++] = target;
    rows->n_buckets += k;
    rows->start[rows->n] = rows->n_buckets;
}

void sent_buckets_free(SentBucketRows *rows) {
    free(rows->buckets), free(rows->start), free(rows->targets);
    memset(rows, 0, sizeof *rows);
}

void sent_teacher_fit(SentNgramTeacher *t, const SentReviews *reviews, const int32_t *index, int n,
                      const SentTeacherOptions *o) {
    SentBucketRows rows = {0};
    SentNgramScratch s = {0};
    for (int i = 0; i < n; i++) {
        int r = index[i];
        size_t k = sent_ngram_features(reviews->texts[r], reviews->lens[r], o->max_n, o->bucket_bits, &s);
        sent_buckets_append(&rows, s.ids, k, (float)reviews->labels[r]);
    }
    free(s.ids);
    sent_teacher_fit_buckets(t, &rows, o);
    sent_buckets_free(&rows);
}

void sent_teacher_fit_buckets(SentNgramTeacher *t, const SentBucketRows *rows, const SentTeacherOptions *o) {
    size_t NB = (size_t)1 << o->bucket_bits;
    t->bucket_bits = o->bucket_bits, t->max_n = o->max_n, t->bias = 0;
    t->ratio = callocCheck(NB, sizeof(float));
    t->weight = callocCheck(NB, sizeof(float));
    int n = rows->n;
    const uint32_t *all = rows->buckets;
    const size_t *start = rows->start;

    // NB log-count ratio: r = log((p / |p|_1) / (q / |q|_1)), p and q smoothed binarized counts
    float *pos = callocCheck(NB, sizeof(float)), *neg = callocCheck(NB, sizeof(float));
    for (int i = 0; i < n; i++) {
        float y = rows->targets[i];
        for (size_t k = start[i]; k < start[i + 1]; k++) pos[all[k]] += y, neg[all[k]] += 1 - y;
    }
    double pos_sum = 0, neg_sum = 0;
    for (size_t j = 0; j < NB; j++) pos_sum += pos[j] + o->nb_alpha, neg_sum += neg[j] + o->nb_alpha;
    for (size_t j = 0; j < NB; j++)
        t->ratio[j] = (float)(log((pos[j] + o->nb_alpha) / pos_sum) - log((neg[j] + o->nb_alpha) / neg_sum));
    free(pos), free(neg);

    // logistic regression on r ⊙ x by AdaGrad, lazily L2-penalised on the touched weights
    float *g2 = callocCheck(NB, sizeof(float)), bias_g2 = 0;
    int32_t *order = mallocCheck((size_t)n * sizeof(int32_t));
    for (int epoch = 0; epoch < o->epochs; epoch++) {
        sent_permutation(order, n, hash_u64(o->seed + (uint64_t)epoch));
        double loss = 0;
        long correct = 0;
        for (int oi = 0; oi < n; oi++) {
            int i = order[oi];
            const uint32_t *ids = all + start[i];
            size_t k = start[i + 1] - start[i];
            float y = rows->targets[i];
            float p = sigmoid(logit_of(t, ids, k));
            loss -= y * log(p + 1e-12) + (1 - y) * log(1 - p + 1e-12);
            correct += (p > 0.5f) == (y > 0.5f);
            float err = p - y;
            for (size_t q = 0; q < k; q++) {
                uint32_t j = ids[q];
                float g = err * t->ratio[j] + o->l2 * t->weight[j];
                g2[j] += g * g;
                t->weight[j] -= o->lr * g / sqrtf(g2[j] + 1e-8f);
            }
            bias_g2 += err * err;
            t->bias -= o->lr * err / sqrtf(bias_g2 + 1e-8f);
        }
        fprintf(stderr, "teacher epoch %d: train loss %.4f, train accuracy %.2f%% (while fitting)\n", epoch + 1,
                loss / n, 100.0 * correct / n);
    }
    free(g2), free(order);
}

float sent_teacher_predict(const SentNgramTeacher *t, const char *text, size_t len, SentNgramScratch *s) {
    size_t k = sent_ngram_features(text, len, t->max_n, t->bucket_bits, s);
    return sigmoid(logit_of(t, s->ids, k));
}

void sent_teacher_free(SentNgramTeacher *t) {
    free(t->ratio), free(t->weight);
    t->ratio = t->weight = NULL;
}

// ----------------------------------------------------------------------------------------------
// file

void sent_teacher_save(const SentNgramTeacher *t, const char *path) {
    size_t NB = (size_t)1 << t->bucket_bits;
    FILE *f = fopenCheck(path, "wb");
    uint32_t header[3] = {TEACHER_MAGIC, (uint32_t)t->bucket_bits, (uint32_t)t->max_n};
    fwriteCheck(header, sizeof(uint32_t), 3, f);
    fwriteCheck(&t->bias, sizeof(float), 1, f);
    fwriteCheck(t->ratio, sizeof(float), NB, f);
    fwriteCheck(t->weight, sizeof(float), NB, f);
    fcloseCheck(f);
}

int sent_teacher_load(SentNgramTeacher *t, const char *path) {
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "error: cannot open teacher %s\n", path);
        return 0;
    }
    uint32_t header[3];
    int ok = fread(header, sizeof(uint32_t), 3, f) == 3 && header[0] == TEACHER_MAGIC && header[1] >= 4 &&
             header[1] <= 28 && header[2] >= 1 && header[2] <= 8;
    if (ok) {
        size_t NB = (size_t)1 << header[1];
        t->bucket_bits = (int)header[1], t->max_n = (int)header[2];
        t->ratio = mallocCheck(NB * sizeof(float));
        t->weight = mallocCheck(NB * sizeof(float));
        ok = fread(&t->bias, sizeof(float), 1, f) == 1 && fread(t->ratio, sizeof(float), NB, f) == NB &&
             fread(t->weight, sizeof(float), NB, f) == NB && fgetc(f) == EOF && isfinite(t->bias);
    }
    fclose(f);
    if (!ok) {
        fprintf(stderr, "error: %s is not a complete teacher file\n", path);
        sent_teacher_free(t);
    }
    return ok;
}
