// The trainer's layers: each a *_forward / *_backward pair of free functions, outputs first, over
// one fixed shape vocabulary: B batch, T tokens, C model width (= DistilBERT dim), NH heads,
// H feed-forward width, V vocabulary, N rows (usually B*T), OC output channels.
//
// Written once over the type `real`: model.c includes this file with real = float for training,
// the gradient test includes it again with real = double so central finite differences are
// accurate enough to check every backward pass. Every backward *accumulates* (+=) into its
// gradients, as llm.c does; the caller zeroes them once per step.
//
// Big matrix products go to OpenBLAS (cblas_sgemm / cblas_dgemm chosen by type); gemm_naive is
// the plain reference beside it, used by the tests to verify OpenBLAS's results.
#ifndef SENT_TRAIN_LAYERS_H
#define SENT_TRAIN_LAYERS_H

#ifndef real
#error "define real (float or double) before including train/layers.h"
#endif

#include <cblas.h>
#include <stdint.h>
#include <string.h>
#include <tgmath.h>

#include "train/rng.h"

#define LAYERNORM_EPS 1e-12

// ----------------------------------------------------------------------------------------------
// matrix products, row-major: c[M,N] = alpha * op(a) . op(b) + beta * c, op = transpose or not

static inline void gemm_naive(int trans_a, int trans_b, int M, int N, int K, real alpha, const real *a,
                       int lda, const real *b, int ldb, real beta, real *c, int ldc) {
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double sum = 0.0; // double so the reference is more accurate than what it checks
            for (int k = 0; k < K; k++) {
                real aik = trans_a ? a[(size_t)k * lda + i] : a[(size_t)i * lda + k];
                real bkj = trans_b ? b[(size_t)j * ldb + k] : b[(size_t)k * ldb + j];
                sum += (double)aik * (double)bkj;
            }
            real *cij = &c[(size_t)i * ldc + j];
            *cij = (real)(alpha * sum) + (beta == 0 ? 0 : beta * *cij);
        }
    }
}

#define blas_gemm_typed _Generic((real)0, float: cblas_sgemm, double: cblas_dgemm)

static inline void gemm(int trans_a, int trans_b, int M, int N, int K, real alpha, const real *a, int lda,
                 const real *b, int ldb, real beta, real *c, int ldc) {
    blas_gemm_typed(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
}

// ----------------------------------------------------------------------------------------------
// embeddings: out[B,T,C] = wte[ids[b,t]] + wpe[t]

static inline void embedding_forward(real *out, const int32_t *ids, const real *wte, const real *wpe,
                              int B, int T, int C) {
    #pragma omp parallel for
    for (int bt = 0; bt < B * T; bt++) {
        const real *word = wte + (size_t)ids[bt] * C;
        const real *pos = wpe + (size_t)(bt % T) * C;
        real *o = out + (size_t)bt * C;
        for (int c = 0; c < C; c++) o[c] = word[c] + pos[c];
    }
}

// Serial: two positions may hold the same token, and the scatter-add must not race.
static inline void embedding_backward(real *dwte, real *dwpe, const real *dout, const int32_t *ids, int B,
                               int T, int C) {
    for (int bt = 0; bt < B * T; bt++) {
        const real *d = dout + (size_t)bt * C;
        real *dword = dwte + (size_t)ids[bt] * C;
        real *dpos = dwpe + (size_t)(bt % T) * C;
        for (int c = 0; c < C; c++) {
            dword[c] += d[c];
            dpos[c] += d[c];
        }
    }
}

// ----------------------------------------------------------------------------------------------
// LayerNorm over the last dimension: out[N,C]; mean[N], rstd[N] are kept for the backward pass

static inline void layernorm_forward(real *out, real *mean, real *rstd, const real *inp, const real *weight,
                              const real *bias, int N, int C) {
    #pragma omp parallel for
    for (int n = 0; n < N; n++) {
        const real *x = inp + (size_t)n * C;
        real m = 0;
        for (int c = 0; c < C; c++) m += x[c];
        m /= C;
        real var = 0;
        for (int c = 0; c < C; c++) var += (x[c] - m) * (x[c] - m);
        var /= C;
        real s = 1 / sqrt(var + (real)LAYERNORM_EPS);
        real *o = out + (size_t)n * C;
        for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[n] = m;
        rstd[n] = s;
    }
}

static inline void layernorm_backward(real *dinp, real *dweight, real *dbias, const real *dout,
                               const real *inp, const real *weight, const real *mean,
                               const real *rstd, int N, int C) {
    #pragma omp parallel for
    for (int n = 0; n < N; n++) {
        const real *d = dout + (size_t)n * C;
        const real *x = inp + (size_t)n * C;
        real *dx = dinp + (size_t)n * C;
        // dx = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)), dnorm = dout * weight
        real dnorm_mean = 0, dnorm_norm_mean = 0;
        for (int c = 0; c < C; c++) {
            real norm = (x[c] - mean[n]) * rstd[n];
            real dnorm = d[c] * weight[c];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= C;
        dnorm_norm_mean /= C;
        for (int c = 0; c < C; c++) {
            real norm = (x[c] - mean[n]) * rstd[n];
            dx[c] += rstd[n] * (d[c] * weight[c] - dnorm_mean - norm * dnorm_norm_mean);
        }
    }
    // Parameter gradients sum over rows: blocks of channels per thread so no two threads share
    // a sum, rows in the outer loop so each row is read contiguously.
    #pragma omp parallel for
    for (int c0 = 0; c0 < C; c0 += 64) {
        int c1 = c0 + 64 < C ? c0 + 64 : C;
        for (int n = 0; n < N; n++) {
            const real *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
            for (int c = c0; c < c1; c++) {
                dweight[c] += d[c] * (x[c] - mean[n]) * rstd[n];
                dbias[c] += d[c];
            }
        }
    }
}

// ----------------------------------------------------------------------------------------------
// linear (nn.Linear layout): out[N,OC] = inp[N,C] . weight[OC,C]^T + bias[OC]

static inline void matmul_forward(real *out, const real *inp, const real *weight, const real *bias, int N,
                           int C, int OC) {
    gemm(0, 1, N, OC, C, 1, inp, C, weight, C, 0, out, OC);
    if (!bias) return;
    #pragma omp parallel for
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) out[(size_t)n * OC + o] += bias[o];
}

// dinp may be NULL when nothing upstream needs it (the first layer's input is token ids).
static inline void matmul_backward(real *dinp, real *dweight, real *dbias, const real *dout, const real *inp,
                            const real *weight, int N, int C, int OC) {
    if (dinp) gemm(0, 0, N, C, OC, 1, dout, OC, weight, C, 1, dinp, C);  // dinp += dout . W
    gemm(1, 0, OC, C, N, 1, dout, OC, inp, C, 1, dweight, C);            // dW += dout^T . inp
    if (!dbias) return;
    // Blocks of outputs per thread, rows in the outer loop: each row is read contiguously.
    #pragma omp parallel for
    for (int o0 = 0; o0 < OC; o0 += 64) {
        int o1 = o0 + 64 < OC ? o0 + 64 : OC;
        for (int n = 0; n < N; n++)
            for (int o = o0; o < o1; o++) dbias[o] += dout[(size_t)n * OC + o];
    }
}

// ----------------------------------------------------------------------------------------------
// multi-head self-attention with a key padding mask.
// qkv[B,T,3C] holds q | k | v per token; mask[B,T] is 1 for real tokens; att[B,NH,T,T] keeps the
// softmax probabilities for the backward pass; out[B,T,C]. Scores are scaled by 1/sqrt(C/NH)
// and masked keys get probability 0 (Hugging Face fills them with the most negative float).

static inline void attention_forward(real *out, real *att, const real *qkv, const uint8_t *mask, int B,
                              int T, int C, int NH) {
    int hs = C / NH;
    real scale = 1 / sqrt((real)hs);
    for (int b = 0; b < B; b++) {
        const uint8_t *keep = mask + (size_t)b * T;
        for (int h = 0; h < NH; h++) {
            const real *q = qkv + (size_t)b * T * 3 * C + h * hs;
            const real *k = q + C;
            const real *v = q + 2 * C;
            real *a = att + ((size_t)b * NH + h) * T * T;
            gemm(0, 1, T, T, hs, scale, q, 3 * C, k, 3 * C, 0, a, T);  // a[T,T] = q . k^T
            #pragma omp parallel for
            for (int t = 0; t < T; t++) {
                real *row = a + (size_t)t * T;
                real max = -INFINITY;
                for (int t2 = 0; t2 < T; t2++)
                    if (keep[t2] && row[t2] > max) max = row[t2];
                real sum = 0;
                for (int t2 = 0; t2 < T; t2++) {
                    row[t2] = keep[t2] ? exp(row[t2] - max) : 0;
                    sum += row[t2];
                }
                for (int t2 = 0; t2 < T; t2++) row[t2] /= sum;
            }
            gemm(0, 0, T, hs, T, 1, a, T, v, 3 * C, 0, out + (size_t)b * T * C + h * hs, C);
        }
    }
}

// scratch holds T*T values.
static inline void attention_backward(real *dqkv, const real *dout, const real *qkv, const real *att,
                               int B, int T, int C, int NH, real *scratch) {
    int hs = C / NH;
    real scale = 1 / sqrt((real)hs);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            size_t head = (size_t)b * T * 3 * C + h * hs;
            const real *q = qkv + head, *k = q + C, *v = q + 2 * C;
            real *dq = dqkv + head, *dk = dq + C, *dv = dq + 2 * C;
            const real *a = att + ((size_t)b * NH + h) * T * T;
            const real *d = dout + (size_t)b * T * C + h * hs;
            real *da = scratch;                                  // [T,T]
            gemm(0, 1, T, T, hs, 1, d, C, v, 3 * C, 0, da, T);  // da = dout . v^T
            gemm(1, 0, T, hs, T, 1, a, T, d, C, 1, dv, 3 * C);  // dv += a^T . dout
            #pragma omp parallel for
            for (int t = 0; t < T; t++) {  // softmax backward; masked keys have a = 0, so ds = 0
                const real *arow = a + (size_t)t * T;
                real *row = da + (size_t)t * T;
                real dot = 0;
                for (int t2 = 0; t2 < T; t2++) dot += arow[t2] * row[t2];
                for (int t2 = 0; t2 < T; t2++) row[t2] = arow[t2] * (row[t2] - dot);
            }
            gemm(0, 0, T, hs, T, scale, da, T, k, 3 * C, 1, dq, 3 * C);  // dq += s ds . k
            gemm(1, 0, T, hs, T, scale, da, T, q, 3 * C, 1, dk, 3 * C);  // dk += s ds^T . q
        }
    }
}

// ----------------------------------------------------------------------------------------------
// elementwise: GELU (exact erf form), ReLU, residual sum, dropout

static inline void gelu_forward(real *out, const real *inp, size_t n) {
    #pragma omp parallel for
    for (size_t i = 0; i < n; i++) out[i] = (real)0.5 * inp[i] * (1 + erf(inp[i] * (real)M_SQRT1_2));
}

static inline void gelu_backward(real *dinp, const real *inp, const real *dout, size_t n) {
    #pragma omp parallel for
    for (size_t i = 0; i < n; i++) {
        real x = inp[i];
        real cdf = (real)0.5 * (1 + erf(x * (real)M_SQRT1_2));
        real pdf = exp((real)-0.5 * x * x) * (real)(0.5 * M_2_SQRTPI * M_SQRT1_2);
        dinp[i] += dout[i] * (cdf + x * pdf);
    }
}

static inline void relu_forward(real *out, const real *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : 0;
}

static inline void relu_backward(real *dinp, const real *inp, const real *dout, size_t n) {
    for (size_t i = 0; i < n; i++) dinp[i] += inp[i] > 0 ? dout[i] : 0;
}

static inline void residual_forward(real *out, const real *inp1, const real *inp2, size_t n) {
    #pragma omp parallel for
    for (size_t i = 0; i < n; i++) out[i] = inp1[i] + inp2[i];
}

static inline void residual_backward(real *dinp1, real *dinp2, const real *dout, size_t n) {
    #pragma omp parallel for
    for (size_t i = 0; i < n; i++) {
        dinp1[i] += dout[i];
        dinp2[i] += dout[i];
    }
}

// In place: x[n] *= keep / (1 - p); keep[n] records the mask. p == 0 keeps everything.
static inline void dropout_forward(real *x, uint8_t *keep, size_t n, real p, uint64_t seed) {
    real gain = 1 / (1 - p);
    #pragma omp parallel for
    for (size_t i = 0; i < n; i++) {
        keep[i] = p == 0 || uniform01(seed, i) >= p;
        x[i] = keep[i] ? x[i] * gain : 0;
    }
}

// In place on the gradient, as the forward pass was in place on the value.
static inline void dropout_backward(real *dx, const uint8_t *keep, size_t n, real p) {
    real gain = 1 / (1 - p);
    #pragma omp parallel for
    for (size_t i = 0; i < n; i++) dx[i] = keep[i] ? dx[i] * gain : 0;
}

// ----------------------------------------------------------------------------------------------
// softmax + cross-entropy: logits[N,NC] -> probs[N,NC], losses[N] (per row, nats);
// the backward adds (probs - onehot) * dloss to dlogits, dloss being the mean's 1/N usually.

// p[NC] = softmax(z[NC]), shifted by the maximum for stability; returns log(sum_i exp z_i).
static inline real softmax_row(real *p, const real *z, int NC) {
    real max = z[0];
    for (int i = 1; i < NC; i++) max = z[i] > max ? z[i] : max;
    real sum = 0;
    for (int i = 0; i < NC; i++) sum += p[i] = exp(z[i] - max);
    for (int i = 0; i < NC; i++) p[i] /= sum;
    return max + log(sum);
}

static inline void crossentropy_forward(real *losses, real *probs, const real *logits,
                                 const int32_t *targets, int N, int NC) {
    #pragma omp parallel for
    for (int n = 0; n < N; n++) {
        const real *z = logits + (size_t)n * NC;
        real *p = probs + (size_t)n * NC;
        real log_sum_exp = softmax_row(p, z, NC);
        losses[n] = log_sum_exp - z[targets[n]];
    }
}

static inline void crossentropy_backward(real *dlogits, const real *probs, const int32_t *targets,
                                  real dloss, int N, int NC) {
    #pragma omp parallel for
    for (int n = 0; n < N; n++) {
        const real *p = probs + (size_t)n * NC;
        real *d = dlogits + (size_t)n * NC;
        for (int i = 0; i < NC; i++) d[i] += (p[i] - (i == targets[n])) * dloss;
    }
}

// The same with soft targets[N,NC] (each row a distribution, e.g. a teacher's mixed with the
// label): losses[n] = -sum_i targets_i log p_i; the backward adds (probs - targets) * dloss.
static inline void soft_crossentropy_forward(real *losses, real *probs, const real *logits,
                                             const real *targets, int N, int NC) {
    #pragma omp parallel for
    for (int n = 0; n < N; n++) {
        const real *z = logits + (size_t)n * NC, *t = targets + (size_t)n * NC;
        real *p = probs + (size_t)n * NC;
        real log_sum_exp = softmax_row(p, z, NC);
        real loss = 0;   // -sum t log p, with log p = z - log_sum_exp
        for (int i = 0; i < NC; i++) loss -= t[i] * (z[i] - log_sum_exp);
        losses[n] = loss;
    }
}

static inline void soft_crossentropy_backward(real *dlogits, const real *probs, const real *targets,
                                              real dloss, int N, int NC) {
    #pragma omp parallel for
    for (int n = 0; n < N; n++) {
        const real *p = probs + (size_t)n * NC, *t = targets + (size_t)n * NC;
        real *d = dlogits + (size_t)n * NC;
        for (int i = 0; i < NC; i++) d[i] += (p[i] - t[i]) * dloss;
    }
}

#endif
