// Skip-gram with negative sampling over word-piece rows (see embed.h). The loop follows the
// original word2vec: frequent pieces are subsampled, the window is shrunk at random, negatives
// come from a table of the unigram distribution raised to 3/4, and threads update the shared
// vectors without locks (Hogwild), which is why one thread is the only deterministic setting.
#include "train/embed.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/rng.h"
#include "util.h"

#define NEGATIVE_TABLE_SIZE 10000000

void sent_embed_default_options(SentEmbedOptions *o) {
    *o = (SentEmbedOptions){.dim = 128, .window = 5, .negatives = 5, .epochs = 5, .min_count = 3,
                            .threads = 1, .lr = 0.025f, .subsample = 1e-4f, .seed = 1337};
}

float sent_sgns_step(const float *x, float *y, float *grad_x, int label, float lr, int C) {
    float dot = 0;
    #pragma omp simd reduction(+ : dot)   // lets the compiler vectorize the sum without -ffast-math
    for (int c = 0; c < C; c++) dot += x[c] * y[c];
    // σ(dot) without overflow for large |dot|; the loss is -log σ(z) with z = ±dot
    float z = label ? dot : -dot;
    float loss = z > 0 ? log1pf(expf(-z)) : -z + log1pf(expf(z));
    float sigma = 1.0f / (1.0f + expf(-dot));
    float g = lr * ((float)label - sigma);   // lr * d log σ(z) / d dot
    for (int c = 0; c < C; c++) grad_x[c] += g * y[c];
    for (int c = 0; c < C; c++) y[c] += g * x[c];
    return loss;
}

// A per-thread generator (xorshift64*), seeded through splitmix so threads never share a stream.
static inline uint64_t next_random(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static inline int usable_piece(int id, int first_token_id, const int64_t *counts, int min_count) {
    return id >= first_token_id && counts[id] >= min_count;
}

float sent_embed_train(float *vectors, int64_t *counts, int V, const SentTokenRows *rows,
                       const int32_t *row_index, int n_rows, int first_token_id,
                       const SentEmbedOptions *o) {
    const int C = o->dim, T = rows->T;
    // --- counts, over the pieces between [CLS] and [SEP]
    memset(counts, 0, (size_t)V * sizeof(int64_t));
    int64_t total = 0;
    for (int r = 0; r < n_rows; r++) {
        const int32_t *ids = rows->ids + (size_t)row_index[r] * T;   // [T]
        int len = rows->lens[row_index[r]];
        for (int t = 1; t < len - 1; t++)
            if (ids[t] >= first_token_id && ids[t] < V) counts[ids[t]]++, total++;
    }
    if (total == 0) {
        fprintf(stderr, "error: embed: no word pieces to train on\n");
        exit(1);
    }
    int64_t usable_total = 0;
    int n_usable = 0;
    for (int v = 0; v < V; v++)
        if (usable_piece(v, first_token_id, counts, o->min_count)) usable_total += counts[v], n_usable++;

    // --- negative-sampling table: piece v fills a share of it proportional to counts[v]^0.75
    int32_t *table = mallocCheck((size_t)NEGATIVE_TABLE_SIZE * sizeof(int32_t));
    double norm = 0;
    for (int v = 0; v < V; v++)
        if (usable_piece(v, first_token_id, counts, o->min_count)) norm += pow((double)counts[v], 0.75);
    {
        int v = 0;
        while (v < V && !usable_piece(v, first_token_id, counts, o->min_count)) v++;
        double cumulative = pow((double)counts[v], 0.75) / norm;
        for (int i = 0; i < NEGATIVE_TABLE_SIZE; i++) {
            table[i] = v;
            if ((double)(i + 1) / NEGATIVE_TABLE_SIZE > cumulative) {
                int next = v + 1;
                while (next < V && !usable_piece(next, first_token_id, counts, o->min_count)) next++;
                if (next < V) v = next, cumulative += pow((double)counts[v], 0.75) / norm;
            }
        }
    }

    // --- vectors: inputs start small and random (word2vec's uniform ±0.5/C), outputs at zero
    float *outputs = callocCheck((size_t)V * C, sizeof(float));   // [V,C]
    for (size_t i = 0; i < (size_t)V * C; i++) vectors[i] = (float)((uniform01(o->seed, i) - 0.5) / C);
    // keep probability of a piece under subsampling: sqrt(t/f) + t/f (word2vec's formula)
    float *keep = mallocCheck((size_t)V * sizeof(float));   // [V]
    for (int v = 0; v < V; v++) {
        double f = counts[v] > 0 ? (double)counts[v] / (double)usable_total : 1.0;
        double r = o->subsample > 0 ? (double)o->subsample / f : 1e30;
        keep[v] = (float)fmin(1.0, sqrt(r) + r);
    }

    fprintf(stderr, "embed: %d reviews, %lld word pieces, %d distinct with at least %d occurrences; "
                    "dim %d, window %d, %d negatives, %d epochs, %d threads\n",
            n_rows, (long long)total, n_usable, o->min_count, C, o->window, o->negatives, o->epochs, o->threads);
    int threads = o->threads > 0 ? o->threads : 1;
    int64_t planned = (int64_t)o->epochs * usable_total;
    int64_t processed = 0;   // pieces read so far, for the learning-rate decay (approximate with threads)
    float last_loss = 0;
    for (int epoch = 0; epoch < o->epochs; epoch++) {
        double t0 = sent_now_seconds();
        double loss_sum = 0;
        int64_t pairs = 0;
        #pragma omp parallel num_threads(threads) reduction(+ : loss_sum, pairs)
        {
            int thread = omp_get_thread_num();
            uint64_t state = hash_u64(o->seed ^ hash_u64(((uint64_t)epoch << 16) + (uint64_t)thread + 1)) | 1;
            int32_t *sentence = mallocCheck((size_t)T * sizeof(int32_t));   // [T] kept pieces
            float *grad = mallocCheck((size_t)C * sizeof(float));           // [C]
            #pragma omp for schedule(dynamic, 256)
            for (int r = 0; r < n_rows; r++) {
                const int32_t *ids = rows->ids + (size_t)row_index[r] * T;   // [T]
                int len = rows->lens[row_index[r]], n = 0, read = 0;
                for (int t = 1; t < len - 1; t++) {
                    int id = ids[t];
                    if (id >= V || !usable_piece(id, first_token_id, counts, o->min_count)) continue;
                    read++;
                    if ((float)((next_random(&state) >> 11) * 0x1.0p-53) < keep[id]) sentence[n++] = id;
                }
                int64_t done;
                #pragma omp atomic capture
                done = processed += read;
                float lr = o->lr * fmaxf(1e-4f, 1.0f - (float)done / (float)(planned + 1));
                for (int i = 0; i < n; i++) {
                    int shrink = (int)(next_random(&state) % (uint64_t)o->window);
                    int lo = i - o->window + shrink, hi = i + o->window - shrink;
                    for (int j = lo < 0 ? 0 : lo; j <= hi && j < n; j++) {
                        if (j == i) continue;
                        // the context piece's input vector predicts the centre piece (word2vec's order)
                        float *x = vectors + (size_t)sentence[j] * C;
                        memset(grad, 0, (size_t)C * sizeof(float));
                        loss_sum += sent_sgns_step(x, outputs + (size_t)sentence[i] * C, grad, 1, lr, C);
                        for (int k = 0; k < o->negatives; k++) {
                            int neg = table[next_random(&state) % NEGATIVE_TABLE_SIZE];
                            if (neg == sentence[i]) continue;
                            loss_sum += sent_sgns_step(x, outputs + (size_t)neg * C, grad, 0, lr, C);
                        }
                        for (int c = 0; c < C; c++) x[c] += grad[c];
                        pairs++;
                    }
                }
            }
            free(sentence);
            free(grad);
        }
        last_loss = pairs ? (float)(loss_sum / (double)pairs) : 0.0f;
        double seconds = sent_now_seconds() - t0;
        fprintf(stderr, "embed: epoch %d/%d loss per pair %.4f, %.2fM pairs, %.1f s (%.0f k pieces/s)\n",
                epoch + 1, o->epochs, last_loss, pairs / 1e6, seconds, usable_total / seconds / 1e3);
    }
    free(keep);
    free(outputs);
    free(table);
    return last_loss;
}
