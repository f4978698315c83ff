// x86 SIMD kernel tables: AVX2+FMA, AVX-512 and AVX-512 VNNI. Each function carries its own
// target attribute and the tables are handed out after __builtin_cpu_supports, so one native
// binary runs on any x86-64 CPU. Under emcc this file compiles to the NULL getters only.
//
// Linear layers are "dot-product" GEMMs: the weight is [O, I] row-major (nn.Linear), so a
// register tile holds MR rows of x against NR rows of w, each accumulator a vector of partial
// dot products along I, reduced horizontally once per tile. No packing, no allocation. The loops
// around the tile block for the caches: a block of OB weight rows and KC inputs (a few hundred
// KiB) stays in L2 while every MR-row tile of x (a few KiB) sweeps it from L1.
//
// The element-wise ops and LayerNorm use 256-bit vectors in every table: Zen 4 (this machine)
// executes 512-bit arithmetic on 256-bit units, so wider vectors would only add code. The
// GEMMs and attention are where AVX-512 pays: 32 registers for bigger tiles, masks for tails,
// and 16-key attention blocks whose scores need no horizontal sums.
//
// Measured numbers: `build/sentiment bench-kernels` (src/tools/kernels_bench.c); README "Compute kernels".
#include <stddef.h>

#include "kernels.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <math.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")))
#define VNNI __attribute__((target("avx2,fma,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))
#define INLINE static inline __attribute__((always_inline))

// Work below these sizes runs on one thread: waking the team costs more.
#define PARALLEL_MIN_MACS (1L << 18)        // linear layers, attention
#define PARALLEL_MIN_ELEMENTS (1L << 16)    // GELU, LayerNorm, quantization

static int min_int(int a, int b) { return a < b ? a : b; }

// GCC likes to fold every use of a loaded vector into its FMA as a memory operand, which turns
// a tile's MR + NR loads per step into MR x NR and makes the GEMMs load-bound. An empty asm that
// "modifies" the register pins the value there.
#define KEEP_IN_REGISTER(v) __asm__("" : "+v"(v))

// --- AVX2 helpers ------------------------------------------------------------------------------

// Lane mask for the first `count` (0..8) floats of a 256-bit vector.
INLINE AVX2 __m256i tail_mask256(int count) {
    static const int32_t ones_then_zeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(ones_then_zeros + 8 - count));
}

// [sum(a0), sum(a1), sum(a2), sum(a3)]
INLINE AVX2 __m128 hsum4_256(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

// [sum(a[0]), ..., sum(a[7])]
INLINE AVX2 __m256 hsum8_256(const __m256 a[8]) {
    __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
    __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20), _mm256_permute2f128_ps(s0123, s4567, 0x31));
}

INLINE AVX2 float hsum_256(__m256 a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

INLINE AVX2 float hmax_256(__m256 a) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// e^x to ~2 ulp: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so r is exact), e^r by its
// degree-7 Taylor polynomial (truncation < 6e-9), 2^n built in the exponent bits. Inputs below
// -87.3 (where 2^n would leave the normal range) give 0.
INLINE AVX2 __m256 exp256(__m256 x) {
    __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i two_n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(two_n)));
}

// GELU(x) = x/2 (1 + erf(z)), z = x/sqrt(2), with erf from two fits (coefficients fitted here
// by relative least squares on Chebyshev nodes; fit errors 1.4e-9 and 1.9e-9):
//   |z| < 0.5:  erf(a) = a P(a^2)                      (P degree 6, fitted on [0, 1])
//   |z| >= 0.5: erfc(a) = exp(-a^2) Q(2 / (2 + a))     (Q degree 9, fitted on [0.5, 10.5])
// Switching at 0.5 rather than 1 keeps 1 - erf(a) away from cancellation: max relative error
// of GELU over every 7th float in [FLT_MIN, 14], both signs (outputs >= 1e-36), 4.4e-7; it was
// 8.9e-7 with the switch at 1.
// For negative z, 1 + erf(z) = erfc(|z|) is computed directly, so GELU keeps its relative
// accuracy far into the negative tail where 1 + erff(z) cancels. a^2 is split in hi + lo with an
// FMA so exp(-a^2) does not inherit the rounding of a^2 (exp(-hi - lo) = exp(-hi) (1 - lo)).
INLINE AVX2 __m256 gelu256(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
    __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), z);
    __m256 negative = _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ);

    __m256 u = _mm256_mul_ps(a, a);
    __m256 p = _mm256_set1_ps(7.898210209e-05f);
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(-8.024354129e-04f));
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(5.190053578e-03f));
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(-2.685480854e-02f));
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(1.128361243e-01f));
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(-3.761262884e-01f));
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(1.128379167e+00f));
    __m256 erf_small = _mm256_mul_ps(a, p);
    __m256 one_plus_small = _mm256_blendv_ps(_mm256_add_ps(one, erf_small), _mm256_sub_ps(one, erf_small), negative);

    // a^2 = x^2 / 2 from x itself (hi + lo, exact): rounding z = x / sqrt(2) first would cost
    // up to 1e-5 relative in exp(-a^2) at a ~ 9. |x| <= 10 sqrt(2): erfc(10) < 1e-44.
    __m256 xc = _mm256_min_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(14.1421356f));
    __m256 xx = _mm256_mul_ps(xc, xc);
    __m256 uh = _mm256_mul_ps(xx, _mm256_set1_ps(0.5f));
    __m256 ul = _mm256_mul_ps(_mm256_fmsub_ps(xc, xc, xx), _mm256_set1_ps(0.5f));
    __m256 ac = _mm256_mul_ps(xc, _mm256_set1_ps(0.70710678118654752f));
    __m256 t = _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(_mm256_set1_ps(2.0f), ac));
    __m256 q = _mm256_set1_ps(-7.389774291e-02f);
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(3.489513582e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(-6.065960411e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(4.017049657e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(-1.050498462e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(2.341406710e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(2.351630289e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(2.835870975e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(2.819853413e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(3.500637830e-06f));
    __m256 erfc_large = _mm256_mul_ps(_mm256_mul_ps(exp256(_mm256_sub_ps(_mm256_setzero_ps(), uh)), q),
                                      _mm256_sub_ps(one, ul));
    __m256 one_plus_large = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), erfc_large), erfc_large, negative);

    __m256 one_plus_erf =
        _mm256_blendv_ps(one_plus_small, one_plus_large, _mm256_cmp_ps(a, _mm256_set1_ps(0.5f), _CMP_GE_OQ));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), one_plus_erf);
}

// --- element-wise ops, LayerNorm, quantization (all tables) -------------------------------------

static AVX2 void gelu_erf_avx2(float *x, int n) {
    enum { CHUNK = 4096 };   // a multiple of 8: only the last chunk has a tail
    int chunks = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN_ELEMENTS)
    for (int c = 0; c < chunks; c++) {
        int i = c * CHUNK, end = min_int(n, i + CHUNK);
        for (; i + 8 <= end; i += 8) _mm256_storeu_ps(x + i, gelu256(_mm256_loadu_ps(x + i)));
        if (i < end) {
            __m256i m = tail_mask256(end - i);
            _mm256_maskstore_ps(x + i, m, gelu256(_mm256_maskload_ps(x + i, m)));
        }
    }
}

static AVX2 void add_avx2(float *y, const float *x, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
    for (; i < n; i++) y[i] += x[i];
}

static AVX2 void layernorm_avx2(float *y, const float *x, const float *gamma, const float *beta, int N, int D,
                                float eps) {
    // y, x: [N, D]; gamma, beta: [D]
    int D8 = D & ~7, tail = D - D8;
    __m256i m = tail_mask256(tail);
#pragma omp parallel for schedule(static) if ((long)N * D >= PARALLEL_MIN_ELEMENTS)
    for (int n = 0; n < N; n++) {
        const float *xrow = x + (size_t)n * D;
        float *yrow = y + (size_t)n * D;
        __m256 acc = _mm256_setzero_ps();
        for (int i = 0; i < D8; i += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(xrow + i));
        if (tail) acc = _mm256_add_ps(acc, _mm256_maskload_ps(xrow + D8, m));
        __m256 mean = _mm256_set1_ps(hsum_256(acc) / D);
        // Second pass on centred values: no cancellation between E[x^2] and E[x]^2.
        acc = _mm256_setzero_ps();
        for (int i = 0; i < D8; i += 8) {
            __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xrow + i), mean);
            acc = _mm256_fmadd_ps(d, d, acc);
        }
        if (tail) {
            __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(xrow + D8, m), mean), _mm256_castsi256_ps(m));
            acc = _mm256_fmadd_ps(d, d, acc);
        }
        __m256 rstd = _mm256_set1_ps(1.0f / sqrtf(hsum_256(acc) / D + eps));
        for (int i = 0; i < D8; i += 8) {
            __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xrow + i), mean), rstd);
            _mm256_storeu_ps(yrow + i, _mm256_fmadd_ps(d, _mm256_loadu_ps(gamma + i), _mm256_loadu_ps(beta + i)));
        }
        if (tail) {
            __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(xrow + D8, m), mean), rstd);
            _mm256_maskstore_ps(yrow + D8, m,
                                _mm256_fmadd_ps(d, _mm256_maskload_ps(gamma + D8, m), _mm256_maskload_ps(beta + D8, m)));
        }
    }
}

static AVX2 void quantize_q8_avx2(int8_t *xq, float *xs, const float *x, int N, int I, int group_size) {
    // xq: [N, I], xs: [N, I / group_size], x: [N, I]
    int groups = I / group_size;
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
#pragma omp parallel for schedule(static) if ((long)N * I >= PARALLEL_MIN_ELEMENTS)
    for (int n = 0; n < N; n++) {
        for (int g = 0; g < groups; g++) {
            const float *src = x + (size_t)n * I + (size_t)g * group_size;
            int8_t *dst = xq + (size_t)n * I + (size_t)g * group_size;
            int full = group_size & ~7, tail = group_size - full;
            __m256i m = tail_mask256(tail);
            __m256 vmax = _mm256_setzero_ps();
            for (int i = 0; i < full; i += 8) vmax = _mm256_max_ps(vmax, _mm256_and_ps(_mm256_loadu_ps(src + i), abs_mask));
            if (tail) vmax = _mm256_max_ps(vmax, _mm256_and_ps(_mm256_maskload_ps(src + full, m), abs_mask));
            float amax = hmax_256(vmax);
            if (amax < SENT_Q8_TINY) amax = 0.0f;
            __m256 inv_scale = _mm256_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
            const __m256 lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
            for (int i = 0; i < group_size; i += 8) {
                int count = min_int(8, group_size - i);
                __m256 v = count == 8 ? _mm256_loadu_ps(src + i) : _mm256_maskload_ps(src + i, tail_mask256(count));
                v = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v, inv_scale), lo), hi);
                __m256i q32 = _mm256_cvtps_epi32(v);   // round half to even (default MXCSR mode)
                __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q32), _mm256_extracti128_si256(q32, 1));
                __m128i q8 = _mm_packs_epi16(q16, q16);
                if (count == 8) {
                    _mm_storel_epi64((__m128i *)(dst + i), q8);
                } else {
                    int8_t bytes[16];
                    _mm_storeu_si128((__m128i *)bytes, q8);
                    for (int j = 0; j < count; j++) dst[i + j] = bytes[j];
                }
            }
            xs[(size_t)n * groups + g] = amax / 127.0f;
        }
    }
}

// --- attention (all tables) ---------------------------------------------------------------------

// Attention runs per head on blocks of ATT_QB queries. Keys are visited in blocks of 8, and
// each key block (8 rows of k and v, 4 KiB at head_dim 64) serves every query of the block
// while it sits in L1; visiting all keys per query instead re-reads k and v from L2/L3 for
// each query, which made attention memory-bound from T = 256 on. The softmax is online
// (running max and denominator per query, output rescaled when the max grows), so no scratch
// is needed and (head, query block) pairs can run on any thread.
enum { ATT_QB = 16 };

typedef struct {
    float running_max, denom;
} OnlineSoftmax;

// Folds one block of 8 keys into one query's output row. rows[j] is key j's row, or for a
// padded or missing key the row of a real key of the block, so every loop has a constant trip
// count (the accumulators stay in registers) and only real rows are read: a padded key's score
// lane is replaced by -inf (`keys`) and its weight is exactly 0.
INLINE AVX2 void attend_key_block_avx2(float *orow, OnlineSoftmax *state, const float *qrow, const float *k,
                                       const float *v, __m256 keys, const int rows[8], int C, int head_dim,
                                       float scale) {
    // orow, qrow: [head_dim]; k, v: [T, C] already offset to this head
    int D8 = head_dim & ~7, dtail = head_dim - D8;
    __m256i dmask = tail_mask256(dtail);
    const float *krow[8], *vrow[8];
    __m256 acc[8];
    for (int j = 0; j < 8; j++) {
        krow[j] = k + (size_t)rows[j] * C;
        vrow[j] = v + (size_t)rows[j] * C;
        acc[j] = _mm256_setzero_ps();
    }
    for (int d = 0; d < D8; d += 8) {
        __m256 qv = _mm256_loadu_ps(qrow + d);
        for (int j = 0; j < 8; j++) acc[j] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(krow[j] + d), acc[j]);
    }
    if (dtail) {
        __m256 qv = _mm256_maskload_ps(qrow + D8, dmask);
        for (int j = 0; j < 8; j++) acc[j] = _mm256_fmadd_ps(qv, _mm256_maskload_ps(krow[j] + D8, dmask), acc[j]);
    }
    __m256 scores = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_mul_ps(hsum8_256(acc), _mm256_set1_ps(scale)), keys);
    float block_max = hmax_256(scores);
    if (block_max > state->running_max) {
        // The max grew: earlier terms shrink by e^(old - new) (0 on the first block).
        float rescale = expf(state->running_max - block_max);
        state->running_max = block_max;
        state->denom *= rescale;
        __m256 rv = _mm256_set1_ps(rescale);
        for (int d = 0; d < D8; d += 8) _mm256_storeu_ps(orow + d, _mm256_mul_ps(_mm256_loadu_ps(orow + d), rv));
        for (int d = D8; d < head_dim; d++) orow[d] *= rescale;
    }
    __m256 pv = exp256(_mm256_sub_ps(scores, _mm256_set1_ps(state->running_max)));   // padded lanes: 0
    state->denom += hsum_256(pv);
    __m256 p[8];
    for (int j = 0; j < 8; j++) p[j] = _mm256_permutevar8x32_ps(pv, _mm256_set1_epi32(j));
    for (int d = 0; d < D8; d += 8) {
        __m256 o = _mm256_loadu_ps(orow + d);
        for (int j = 0; j < 8; j++) o = _mm256_fmadd_ps(p[j], _mm256_loadu_ps(vrow[j] + d), o);
        _mm256_storeu_ps(orow + d, o);
    }
    if (dtail) {
        __m256 o = _mm256_maskload_ps(orow + D8, dmask);
        for (int j = 0; j < 8; j++) o = _mm256_fmadd_ps(p[j], _mm256_maskload_ps(vrow[j] + D8, dmask), o);
        _mm256_maskstore_ps(orow + D8, dmask, o);
    }
}

// Queries [t0, t0 + nq) (nq <= ATT_QB) of one head against all keys.
static AVX2 void attend_query_block_avx2(float *out, const float *q, const float *k, const float *v,
                                         const uint8_t *mask, int T, int C, int head_dim, float scale, int t0, int nq) {
    // out, q, k, v: [T, C] already offset to this head
    OnlineSoftmax state[ATT_QB];
    for (int i = 0; i < nq; i++) {
        state[i] = (OnlineSoftmax){.running_max = -INFINITY, .denom = 0.0f};
        for (int d = 0; d < head_dim; d++) out[(size_t)(t0 + i) * C + d] = 0.0f;
    }
    for (int s0 = 0; s0 < T; s0 += 8) {
        int count = min_int(8, T - s0), first_real = -1, rows[8];
        int32_t lanes[8] = {0};
        for (int j = 0; j < count; j++)
            if (mask[s0 + j]) {
                lanes[j] = -1;
                if (first_real < 0) first_real = s0 + j;
            }
        if (first_real < 0) continue;   // all padding
        for (int j = 0; j < 8; j++) rows[j] = lanes[j] ? s0 + j : first_real;
        __m256 keys = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)lanes));
        for (int i = 0; i < nq; i++)
            attend_key_block_avx2(out + (size_t)(t0 + i) * C, &state[i], q + (size_t)(t0 + i) * C, k, v, keys, rows, C,
                                  head_dim, scale);
    }
    // With every key masked there is nothing to attend to: the output stays zero.
    for (int i = 0; i < nq; i++) {
        if (state[i].denom <= 0.0f) continue;
        __m256 inv = _mm256_set1_ps(1.0f / state[i].denom);
        float *orow = out + (size_t)(t0 + i) * C;
        for (int d = 0; d < head_dim; d += 8) {
            __m256i m = tail_mask256(min_int(8, head_dim - d));
            _mm256_maskstore_ps(orow + d, m, _mm256_mul_ps(_mm256_maskload_ps(orow + d, m), inv));
        }
    }
}

static AVX2 void attention_avx2(float *out, const float *q, const float *k, const float *v, const uint8_t *mask,
                                int T, int n_heads, int head_dim, float *scratch) {
    // out, q, k, v: [T, n_heads * head_dim]; mask: [T]
    (void)scratch;
    int C = n_heads * head_dim, q_blocks = (T + ATT_QB - 1) / ATT_QB;
    float scale = 1.0f / sqrtf((float)head_dim);
    long work = (long)n_heads * T * T * head_dim;
#pragma omp parallel for collapse(2) schedule(dynamic) if (work >= PARALLEL_MIN_MACS)
    for (int h = 0; h < n_heads; h++)
        for (int qb = 0; qb < q_blocks; qb++) {
            size_t off = (size_t)h * head_dim;
            attend_query_block_avx2(out + off, q + off, k + off, v + off, mask, T, C, head_dim, scale, qb * ATT_QB,
                                    min_int(ATT_QB, T - qb * ATT_QB));
        }
}

// --- AVX2 linear layers -------------------------------------------------------------------------

enum { F32_OB = 64, F32_KC = 768 };   // weight block: 64 rows x <= 768 inputs <= 192 KiB (L2)

// Inputs are split into equal chunks of at most F32_KC, multiples of 16: I = 768 is one chunk
// (one horizontal reduction per tile; chunks of 512 measured 90-95 GFLOP/s at 768 -> 768,
// one chunk 97-104), I = 3072 four.
static int f32_chunk(int I) {
    int chunks = (I + F32_KC - 1) / F32_KC, kc = (I + chunks - 1) / chunks;
    return (kc + 15) & ~15;
}

// The MR rows of an x tile are copied to a small buffer whose row stride is not a multiple of
// 4 KiB: with I = 3072 the rows of x and w all sit 12 KiB apart, so the 8 streams a tile reads
// map to the same L1 set and evict each other (packing took 3072->768 from ~69 to ~75 GFLOP/s).
enum { X_PACK_LD = F32_KC + 16 };

static void pack_x_rows(float *dst, const float *x, int ld, int rows, int cols) {
    // dst: [rows, X_PACK_LD]; x: [rows, cols] with row stride ld
    for (int i = 0; i < rows; i++) memcpy(dst + (size_t)i * X_PACK_LD, x + (size_t)i * ld, (size_t)cols * sizeof(float));
}

// y[MR, NR] (+)= x[MR, K] . w[NR, K]^T (+ bias): 3x4 accumulators of 8 lanes = 12 of 16 ymm.
INLINE AVX2 void tile_f32_avx2(float *y, int ldy, const float *x, int ldx, const float *w, int ldw, int K,
                               const float *bias, int accumulate, const int MR, const int NR) {
    __m256 acc[3][4];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = _mm256_setzero_ps();
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        __m256 xv[3];
        for (int i = 0; i < MR; i++) {
            xv[i] = _mm256_loadu_ps(x + (size_t)i * ldx + k);
            KEEP_IN_REGISTER(xv[i]);
        }
        for (int j = 0; j < NR; j++) {
            __m256 wv = _mm256_loadu_ps(w + (size_t)j * ldw + k);
            KEEP_IN_REGISTER(wv);
            for (int i = 0; i < MR; i++) acc[i][j] = _mm256_fmadd_ps(xv[i], wv, acc[i][j]);
        }
    }
    if (k < K) {
        __m256i m = tail_mask256(K - k);
        __m256 xv[3];
        for (int i = 0; i < MR; i++) xv[i] = _mm256_maskload_ps(x + (size_t)i * ldx + k, m);
        for (int j = 0; j < NR; j++) {
            __m256 wv = _mm256_maskload_ps(w + (size_t)j * ldw + k, m);
            for (int i = 0; i < MR; i++) acc[i][j] = _mm256_fmadd_ps(xv[i], wv, acc[i][j]);
        }
    }
    for (int i = 0; i < MR; i++) {
        float sums[4];
        if (NR == 4) {
            _mm_storeu_ps(sums, hsum4_256(acc[i][0], acc[i][1], acc[i][2], acc[i][3]));
        } else {
            for (int j = 0; j < NR; j++) sums[j] = hsum_256(acc[i][j]);
        }
        for (int j = 0; j < NR; j++) {
            float *dst = y + (size_t)i * ldy + j;
            *dst = sums[j] + (accumulate ? *dst : bias ? bias[j] : 0.0f);
        }
    }
}

// The fp32 driver of both ISAs: blocks of F32_OB weight rows (one per thread) x chunks of the
// inputs, swept by MR x 4 tiles of tile_f32_<isa> (MR rows of x packed first), with 1 x 4 and
// 1 x 1 tiles at the edges. One body, instantiated per ISA so each copy is compiled for its
// target and calls its tile with constant MR and NR.
#define LINEAR_F32(isa, TARGET, MR)                                                                              \
    static TARGET void linear_f32_##isa(float *y, const float *x, const float *w, const float *b, int N, int I,   \
                                        int O) {                                                                 \
        /* y: [N, O], x: [N, I], w: [O, I], b: [O] or NULL */                                                    \
        int n_blocks = (O + F32_OB - 1) / F32_OB, chunk = f32_chunk(I);                                           \
        _Pragma("omp parallel for schedule(static) if ((long)N * I * O >= PARALLEL_MIN_MACS)")                    \
        for (int ob = 0; ob < n_blocks; ob++) {                                                                   \
            int o_end = min_int(O, (ob + 1) * F32_OB);                                                            \
            for (int k0 = 0; k0 < I; k0 += chunk) {                                                               \
                int kc = min_int(chunk, I - k0), accumulate = k0 > 0;                                             \
                for (int n = 0; n < N; n += MR) {                                                                 \
                    int mr = min_int(MR, N - n);                                                                  \
                    const float *xt = x + (size_t)n * I + k0;                                                     \
                    int ldx = I;                                                                                  \
                    float xpack[MR * X_PACK_LD];   /* [MR, X_PACK_LD] */                                          \
                    if (mr == MR) {                                                                               \
                        pack_x_rows(xpack, xt, I, MR, kc);                                                        \
                        xt = xpack, ldx = X_PACK_LD;                                                              \
                    }                                                                                             \
                    for (int o = ob * F32_OB; o < o_end; o += 4) {                                                \
                        int nr = min_int(4, o_end - o);                                                           \
                        float *yt = y + (size_t)n * O + o;                                                        \
                        const float *wt = w + (size_t)o * I + k0, *bt = b ? b + o : NULL;                         \
                        if (mr == MR && nr == 4) {                                                                \
                            tile_f32_##isa(yt, O, xt, ldx, wt, I, kc, bt, accumulate, MR, 4);                     \
                        } else if (nr == 4) {                                                                     \
                            for (int i = 0; i < mr; i++)                                                          \
                                tile_f32_##isa(yt + (size_t)i * O, O, xt + (size_t)i * ldx, ldx, wt, I, kc, bt,   \
                                               accumulate, 1, 4);                                                 \
                        } else {                                                                                  \
                            for (int i = 0; i < mr; i++)                                                          \
                                for (int j = 0; j < nr; j++)                                                      \
                                    tile_f32_##isa(yt + (size_t)i * O + j, O, xt + (size_t)i * ldx, ldx,          \
                                                   wt + (size_t)j * I, I, kc, bt ? bt + j : NULL, accumulate, 1,  \
                                                   1);                                                            \
                        }                                                                                         \
                    }                                                                                             \
                }                                                                                                 \
            }                                                                                                     \
        }                                                                                                         \
    }

LINEAR_F32(avx2, AVX2, 3)

// int8 without VNNI: maddubs multiplies unsigned by signed bytes, so it gets |w| (as unsigned,
// |-128| = 128 too) and x with w's sign moved onto it (x is in [-127, 127], so negating it is
// safe). The pair sums (<= 2*128*127) cannot saturate int16. madd with ones widens the pairs.
enum { Q8_OB = 48 };   // weight block: 48 rows x I bytes (<= 150 KiB for I = 3072)

// y[MR, NR] (+)= sum over groups of xs * ws * (xq . wq), 2x2 tiles (int and float accumulators).
INLINE AVX2 void tile_q8_avx2(float *y, int ldy, const int8_t *x, const float *xs, const int8_t *w, const float *ws,
                              int ld, int ld_scale, int groups, int gs, const float *bias, const int MR,
                              const int NR) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 accf[2][2];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) accf[i][j] = _mm256_setzero_ps();
    for (int g = 0; g < groups; g++) {
        __m256i acc[2][2];
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] = _mm256_setzero_si256();
        for (int k = g * gs; k < (g + 1) * gs; k += 32) {
            int count = min_int(32, (g + 1) * gs - k);
            __m256i xv[2], wv[2];
            if (count == 32) {
                for (int i = 0; i < MR; i++) xv[i] = _mm256_loadu_si256((const __m256i *)(x + (size_t)i * ld + k));
                for (int j = 0; j < NR; j++) wv[j] = _mm256_loadu_si256((const __m256i *)(w + (size_t)j * ld + k));
            } else {
                // Group tails (group sizes not a multiple of 32): copy through zero-filled buffers.
                for (int i = 0; i < MR; i++) {
                    int8_t buf[32] = {0};
                    for (int c = 0; c < count; c++) buf[c] = x[(size_t)i * ld + k + c];
                    xv[i] = _mm256_loadu_si256((const __m256i *)buf);
                }
                for (int j = 0; j < NR; j++) {
                    int8_t buf[32] = {0};
                    for (int c = 0; c < count; c++) buf[c] = w[(size_t)j * ld + k + c];
                    wv[j] = _mm256_loadu_si256((const __m256i *)buf);
                }
            }
            for (int j = 0; j < NR; j++) {
                __m256i wabs = _mm256_abs_epi8(wv[j]);
                for (int i = 0; i < MR; i++) {
                    __m256i pairs = _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(xv[i], wv[j]));
                    acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(pairs, ones));
                }
            }
        }
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                accf[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][j]),
                                             _mm256_set1_ps(xs[(size_t)i * ld_scale + g] * ws[(size_t)j * ld_scale + g]),
                                             accf[i][j]);
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) y[(size_t)i * ldy + j] = hsum_256(accf[i][j]) + (bias ? bias[j] : 0.0f);
}

static AVX2 void linear_q8_avx2(float *y, const int8_t *xq, const float *xs, const SentQ8 *w, const float *b, int N,
                                int I, int O) {
    // y: [N, O], xq: [N, I], xs: [N, I / gs], w->q: [O, I], w->scale: [O, I / gs]
    int gs = w->group_size, groups = I / gs;
    int n_blocks = (O + Q8_OB - 1) / Q8_OB;
#pragma omp parallel for schedule(static) if ((long)N * I * O >= PARALLEL_MIN_MACS)
    for (int ob = 0; ob < n_blocks; ob++) {
        int o_end = min_int(O, (ob + 1) * Q8_OB);
        for (int n = 0; n < N; n += 2) {
            int mr = min_int(2, N - n);
            for (int o = ob * Q8_OB; o < o_end; o += 2) {
                int nr = min_int(2, o_end - o);
                float *yt = y + (size_t)n * O + o;
                const int8_t *xt = xq + (size_t)n * I, *wt = w->q + (size_t)o * I;
                const float *xst = xs + (size_t)n * groups, *wst = w->scale + (size_t)o * groups;
                const float *bt = b ? b + o : NULL;
                if (mr == 2 && nr == 2) {
                    tile_q8_avx2(yt, O, xt, xst, wt, wst, I, groups, groups, gs, bt, 2, 2);
                } else {
                    for (int i = 0; i < mr; i++)
                        for (int j = 0; j < nr; j++)
                            tile_q8_avx2(yt + (size_t)i * O + j, O, xt + (size_t)i * I, xst + (size_t)i * groups,
                                         wt + (size_t)j * I, wst + (size_t)j * groups, I, groups, groups, gs,
                                         bt ? bt + j : NULL, 1, 1);
                }
            }
        }
    }
}

// --- AVX-512 linear layers ----------------------------------------------------------------------

INLINE AVX512 __m256 fold512(__m512 a) {
    return _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
}

INLINE AVX512 __mmask16 tail_mask16(int count) { return (__mmask16)((1u << count) - 1u); }

// y[MR, NR] (+)= x[MR, K] . w[NR, K]^T (+ bias): 4x4 accumulators of 16 lanes (16 of 32 zmm),
// 8 loads per 16 FMAs.
INLINE AVX512 void tile_f32_avx512(float *y, int ldy, const float *x, int ldx, const float *w, int ldw, int K,
                                   const float *bias, int accumulate, const int MR, const int NR) {
    __m512 acc[4][4];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = _mm512_setzero_ps();
    int k = 0;
    for (; k + 16 <= K; k += 16) {
        __m512 xv[4];
        for (int i = 0; i < MR; i++) {
            xv[i] = _mm512_loadu_ps(x + (size_t)i * ldx + k);
            KEEP_IN_REGISTER(xv[i]);
        }
        for (int j = 0; j < NR; j++) {
            __m512 wv = _mm512_loadu_ps(w + (size_t)j * ldw + k);
            KEEP_IN_REGISTER(wv);
            for (int i = 0; i < MR; i++) acc[i][j] = _mm512_fmadd_ps(xv[i], wv, acc[i][j]);
        }
    }
    if (k < K) {
        __mmask16 m = tail_mask16(K - k);
        __m512 xv[4];
        for (int i = 0; i < MR; i++) xv[i] = _mm512_maskz_loadu_ps(m, x + (size_t)i * ldx + k);
        for (int j = 0; j < NR; j++) {
            __m512 wv = _mm512_maskz_loadu_ps(m, w + (size_t)j * ldw + k);
            for (int i = 0; i < MR; i++) acc[i][j] = _mm512_fmadd_ps(xv[i], wv, acc[i][j]);
        }
    }
    for (int i = 0; i < MR; i++) {
        float sums[4];
        if (NR == 4) {
            _mm_storeu_ps(sums, hsum4_256(fold512(acc[i][0]), fold512(acc[i][1]), fold512(acc[i][2]),
                                          fold512(acc[i][3])));
        } else {
            for (int j = 0; j < NR; j++) sums[j] = _mm512_reduce_add_ps(acc[i][j]);
        }
        for (int j = 0; j < NR; j++) {
            float *dst = y + (size_t)i * ldy + j;
            *dst = sums[j] + (accumulate ? *dst : bias ? bias[j] : 0.0f);
        }
    }
}

LINEAR_F32(avx512, AVX512, 4)

// int8 with VNNI: vpdpbusd multiplies unsigned by signed bytes, four at a time into int32
// lanes. The weight is made unsigned (w + 128, an XOR) and the activations stay signed, so
// sum((w + 128) x) = sum(w x) + 128 sum(x): the correction depends on the activations only and
// is computed per lane, per group, once per MR-row tile of x (vpdpbusd of 128s with x), then
// reused against every weight row of the block. Every lane then holds an exact int32 before
// it is scaled into the float accumulators. That rescaling (convert, two scales, FMA per
// accumulator per group) costs more than the vpdpbusd itself at group 64: the bench measures
// ~108 GOP/s at group 64, ~180 at 256, ~240 per row, against 76-103 GFLOP/s for fp32.
enum { Q8_GCHUNK = 64 };   // groups whose corrections are kept at once: 4 x 64 x 64 B = 16 KiB

INLINE AVX512 __mmask64 tail_mask64(int count) { return count >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << count) - 1; }

// Lane-wise -128 * sum(x) of each group of the MR rows, for groups [0, groups).
INLINE VNNI void q8_corrections_vnni(__m512i *neg_corr, const int8_t *x, int ld, int groups, int gs, int MR) {
    // neg_corr: [MR, Q8_GCHUNK] vectors; x: [MR, groups * gs] (row stride ld)
    const __m512i offset = _mm512_set1_epi8((char)0x80);
    for (int i = 0; i < MR; i++)
        for (int g = 0; g < groups; g++) {
            __m512i c = _mm512_setzero_si512();
            for (int k = g * gs; k < (g + 1) * gs; k += 64)
                c = _mm512_dpbusd_epi32(c, offset, _mm512_maskz_loadu_epi8(tail_mask64((g + 1) * gs - k), x + (size_t)i * ld + k));
            neg_corr[i * Q8_GCHUNK + g] = _mm512_sub_epi32(_mm512_setzero_si512(), c);
        }
}

// y[MR, NR] (+)= sum over groups of xs * ws * (xq . wq): 4x3 int accumulators + 4x3 float ones.
INLINE VNNI void tile_q8_vnni(float *y, int ldy, const int8_t *x, const float *xs, const int8_t *w, const float *ws,
                              const __m512i *neg_corr, int ld, int ld_scale, int groups, int gs, const float *bias,
                              int accumulate, const int MR, const int NR) {
    const __m512i offset = _mm512_set1_epi8((char)0x80);
    __m512 accf[4][3];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) accf[i][j] = _mm512_setzero_ps();
    for (int g = 0; g < groups; g++) {
        __m512i acc[4][3];
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] = neg_corr[i * Q8_GCHUNK + g];
        for (int k = g * gs; k < (g + 1) * gs; k += 64) {
            __mmask64 m = tail_mask64((g + 1) * gs - k);
            __m512i xv[4];
            for (int i = 0; i < MR; i++) {
                xv[i] = _mm512_maskz_loadu_epi8(m, x + (size_t)i * ld + k);
                KEEP_IN_REGISTER(xv[i]);
            }
            for (int j = 0; j < NR; j++) {
                // Bytes past the group load as 0 in x, so their (0 + 128) * 0 adds nothing.
                __m512i wv = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, w + (size_t)j * ld + k), offset);
                KEEP_IN_REGISTER(wv);
                for (int i = 0; i < MR; i++) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], wv, xv[i]);
            }
        }
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                accf[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[i][j]),
                                             _mm512_set1_ps(xs[(size_t)i * ld_scale + g] * ws[(size_t)j * ld_scale + g]),
                                             accf[i][j]);
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) {
            float *dst = y + (size_t)i * ldy + j;
            *dst = _mm512_reduce_add_ps(accf[i][j]) + (accumulate ? *dst : bias ? bias[j] : 0.0f);
        }
}

static VNNI void linear_q8_vnni(float *y, const int8_t *xq, const float *xs, const SentQ8 *w, const float *b, int N,
                                int I, int O) {
    // y: [N, O], xq: [N, I], xs: [N, I / gs], w->q: [O, I], w->scale: [O, I / gs]
    int gs = w->group_size, groups = I / gs;
    int n_blocks = (O + Q8_OB - 1) / Q8_OB;
#pragma omp parallel for schedule(static) if ((long)N * I * O >= PARALLEL_MIN_MACS)
    for (int ob = 0; ob < n_blocks; ob++) {
        __m512i neg_corr[4 * Q8_GCHUNK];   // [MR, Q8_GCHUNK]
        int o_end = min_int(O, (ob + 1) * Q8_OB);
        for (int g0 = 0; g0 < groups; g0 += Q8_GCHUNK) {
            int gc = min_int(Q8_GCHUNK, groups - g0), accumulate = g0 > 0;
            size_t k0 = (size_t)g0 * gs;
            for (int n = 0; n < N; n += 4) {
                int mr = min_int(4, N - n);
                const int8_t *xt = xq + (size_t)n * I + k0;
                const float *xst = xs + (size_t)n * groups + g0;
                if (mr == 4) {
                    q8_corrections_vnni(neg_corr, xt, I, gc, gs, 4);
                } else {
                    q8_corrections_vnni(neg_corr, xt, I, gc, gs, 1);
                    for (int i = 1; i < mr; i++)
                        q8_corrections_vnni(neg_corr + i * Q8_GCHUNK, xt + (size_t)i * I, I, gc, gs, 1);
                }
                for (int o = ob * Q8_OB; o < o_end; o += 3) {
                    int nr = min_int(3, o_end - o);
                    float *yt = y + (size_t)n * O + o;
                    const int8_t *wt = w->q + (size_t)o * I + k0;
                    const float *wst = w->scale + (size_t)o * groups + g0;
                    const float *bt = b ? b + o : NULL;
                    if (mr == 4 && nr == 3) {
                        tile_q8_vnni(yt, O, xt, xst, wt, wst, neg_corr, I, groups, gc, gs, bt, accumulate, 4, 3);
                    } else {
                        for (int i = 0; i < mr; i++)
                            for (int j = 0; j < nr; j++)
                                tile_q8_vnni(yt + (size_t)i * O + j, O, xt + (size_t)i * I, xst + (size_t)i * groups,
                                             wt + (size_t)j * I, wst + (size_t)j * groups, neg_corr + i * Q8_GCHUNK,
                                             I, groups, gc, gs, bt ? bt + j : NULL, accumulate, 1, 1);
                    }
                }
            }
        }
    }
}

// --- AVX-512 attention ---------------------------------------------------------------------------

// With 16 lanes, a block of 16 keys is transposed once (kt[d][j] = k[s0 + j][d]) and then every
// query of the block gets its 16 scores as one vector of FMAs, q[d] broadcast against kt[d]:
// no horizontal sums. P.V is FMAs of broadcast p[j] against v rows. Both halves run at FMA
// throughput; the transposition is paid once per 16 keys for ATT512_QB queries (measured at
// T = 512: 31 GFLOP/s with 32 queries per block, 43 with 256).
enum { ATT512_QB = 256, ATT512_MAX_HD = 256 };

// Folds one block of 16 keys (lanes in `keys`) into one query's output row; kt: [head_dim, 16].
// vrows[j] is key j's row of v, or a real key's row for padded or missing keys (weight 0), as
// in the AVX2 version: constant trip counts keep everything in registers.
INLINE AVX512 void attend_key_block_avx512(float *orow, OnlineSoftmax *state, const float *qrow, const float *kt,
                                           const float *const vrows[16], __mmask16 keys, int head_dim, float scale) {
    // orow, qrow: [head_dim]; v: [T, C] already offset to this head
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    int d = 0;
    for (; d + 4 <= head_dim; d += 4)
        for (int u = 0; u < 4; u++)
            acc[u] = _mm512_fmadd_ps(_mm512_set1_ps(qrow[d + u]), _mm512_load_ps(kt + (size_t)(d + u) * 16), acc[u]);
    for (; d < head_dim; d++) acc[0] = _mm512_fmadd_ps(_mm512_set1_ps(qrow[d]), _mm512_load_ps(kt + (size_t)d * 16), acc[0]);
    __m512 dots = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    __m512 scores = _mm512_mask_mul_ps(_mm512_set1_ps(-INFINITY), keys, dots, _mm512_set1_ps(scale));
    float block_max = _mm512_reduce_max_ps(scores);
    if (block_max > state->running_max) {
        // The max grew: earlier terms shrink by e^(old - new) (0 on the first block).
        float rescale = expf(state->running_max - block_max);
        state->running_max = block_max;
        state->denom *= rescale;
        __m512 rv = _mm512_set1_ps(rescale);
        for (int c = 0; c < head_dim; c += 16) {
            __mmask16 m = tail_mask16(min_int(16, head_dim - c));
            _mm512_mask_storeu_ps(orow + c, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, orow + c), rv));
        }
    }
    __m512 shifted = _mm512_sub_ps(scores, _mm512_set1_ps(state->running_max));
    __m512 pv = _mm512_insertf32x8(_mm512_castps256_ps512(exp256(_mm512_castps512_ps256(shifted))),
                                   exp256(_mm512_extractf32x8_ps(shifted, 1)), 1);   // masked lanes: 0
    state->denom += _mm512_reduce_add_ps(pv);
    float p[16];
    _mm512_storeu_ps(p, pv);
    // Four 16-wide column chunks at a time stay in registers across the block's keys.
    for (int c0 = 0; c0 < head_dim; c0 += 64) {
        __mmask16 m[4];
        __m512 o[4];
        for (int c = 0; c < 4; c++) {
            int cols = head_dim - (c0 + 16 * c);
            m[c] = tail_mask16(cols <= 0 ? 0 : cols >= 16 ? 16 : cols);
            o[c] = _mm512_maskz_loadu_ps(m[c], orow + c0 + 16 * c);
        }
        for (int j = 0; j < 16; j++) {
            __m512 pj = _mm512_set1_ps(p[j]);
            for (int c = 0; c < 4; c++)
                o[c] = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(m[c], vrows[j] + c0 + 16 * c), o[c]);
        }
        for (int c = 0; c < 4; c++) _mm512_mask_storeu_ps(orow + c0 + 16 * c, m[c], o[c]);
    }
}

// Queries [t0, t0 + nq) (nq <= ATT512_QB) of one head against all keys.
static AVX512 void attend_query_block_avx512(float *out, const float *q, const float *k, const float *v,
                                             const uint8_t *mask, int T, int C, int head_dim, float scale, int t0,
                                             int nq) {
    // out, q, k, v: [T, C] already offset to this head
    float kt[ATT512_MAX_HD * 16] __attribute__((aligned(64)));   // [head_dim, 16]
    OnlineSoftmax state[ATT512_QB];
    for (int i = 0; i < nq; i++) {
        state[i] = (OnlineSoftmax){.running_max = -INFINITY, .denom = 0.0f};
        for (int d = 0; d < head_dim; d++) out[(size_t)(t0 + i) * C + d] = 0.0f;
    }
    for (int s0 = 0; s0 < T; s0 += 16) {
        int count = min_int(16, T - s0), first_real = -1;
        __mmask16 keys = 0;
        for (int j = 0; j < count; j++)
            if (mask[s0 + j]) {
                keys |= (__mmask16)(1u << j);
                if (first_real < 0) first_real = s0 + j;
            }
        if (!keys) continue;   // all padding
        // Padded or missing keys get zero columns in kt (finite scores, masked out) and a real
        // key's row of v (weight 0).
        const float *vrows[16];
        for (int j = 0; j < 16; j++) {
            int row = (keys >> j) & 1 ? s0 + j : -1;
            for (int d = 0; d < head_dim; d++) kt[(size_t)d * 16 + j] = row >= 0 ? k[(size_t)row * C + d] : 0.0f;
            vrows[j] = v + (size_t)(row >= 0 ? row : first_real) * C;
        }
        for (int i = 0; i < nq; i++)
            attend_key_block_avx512(out + (size_t)(t0 + i) * C, &state[i], q + (size_t)(t0 + i) * C, kt, vrows, keys,
                                    head_dim, scale);
    }
    // With every key masked there is nothing to attend to: the output stays zero.
    for (int i = 0; i < nq; i++) {
        if (state[i].denom <= 0.0f) continue;
        __m512 inv = _mm512_set1_ps(1.0f / state[i].denom);
        float *orow = out + (size_t)(t0 + i) * C;
        for (int c = 0; c < head_dim; c += 16) {
            __mmask16 m = tail_mask16(min_int(16, head_dim - c));
            _mm512_mask_storeu_ps(orow + c, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, orow + c), inv));
        }
    }
}

static AVX512 void attention_avx512(float *out, const float *q, const float *k, const float *v, const uint8_t *mask,
                                    int T, int n_heads, int head_dim, float *scratch) {
    // out, q, k, v: [T, n_heads * head_dim]; mask: [T]
    if (head_dim > ATT512_MAX_HD) {
        attention_avx2(out, q, k, v, mask, T, n_heads, head_dim, scratch);
        return;
    }
    int C = n_heads * head_dim, q_blocks = (T + ATT512_QB - 1) / ATT512_QB;
    float scale = 1.0f / sqrtf((float)head_dim);
    long work = (long)n_heads * T * T * head_dim;
#pragma omp parallel for collapse(2) schedule(dynamic) if (work >= PARALLEL_MIN_MACS)
    for (int h = 0; h < n_heads; h++)
        for (int qb = 0; qb < q_blocks; qb++) {
            size_t off = (size_t)h * head_dim;
            attend_query_block_avx512(out + off, q + off, k + off, v + off, mask, T, C, head_dim, scale,
                                      qb * ATT512_QB, min_int(ATT512_QB, T - qb * ATT512_QB));
        }
}

// --- the tables ---------------------------------------------------------------------------------

static const SentKernels avx2_kernels = {
    .name = "avx2",
    .linear_f32 = linear_f32_avx2,
    .quantize_q8 = quantize_q8_avx2,
    .linear_q8 = linear_q8_avx2,
    .layernorm = layernorm_avx2,
    .gelu_erf = gelu_erf_avx2,
    .add = add_avx2,
    .attention = attention_avx2,
};

// AVX-512 without VNNI (Skylake-X class): 512-bit fp32 GEMM, the AVX2 int8 path.
static const SentKernels avx512_kernels = {
    .name = "avx512",
    .linear_f32 = linear_f32_avx512,
    .quantize_q8 = quantize_q8_avx2,
    .linear_q8 = linear_q8_avx2,
    .layernorm = layernorm_avx2,
    .gelu_erf = gelu_erf_avx2,
    .add = add_avx2,
    .attention = attention_avx512,
};

static const SentKernels avx512vnni_kernels = {
    .name = "avx512vnni",
    .linear_f32 = linear_f32_avx512,
    .quantize_q8 = quantize_q8_avx2,
    .linear_q8 = linear_q8_vnni,
    .layernorm = layernorm_avx2,
    .gelu_erf = gelu_erf_avx2,
    .add = add_avx2,
    .attention = attention_avx512,
};

static int has_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

static int has_avx512(void) {
    return has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

const SentKernels *sent_kernels_avx2(void) { return has_avx2() ? &avx2_kernels : NULL; }
const SentKernels *sent_kernels_avx512(void) { return has_avx512() ? &avx512_kernels : NULL; }
const SentKernels *sent_kernels_avx512vnni(void) {
    return has_avx512() && __builtin_cpu_supports("avx512vnni") ? &avx512vnni_kernels : NULL;
}

#else   // not x86-64: no x86 tables

const SentKernels *sent_kernels_avx2(void) { return NULL; }
const SentKernels *sent_kernels_avx512(void) { return NULL; }
const SentKernels *sent_kernels_avx512vnni(void) { return NULL; }

#endif
