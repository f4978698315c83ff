// x86 SIMD kernel tables: AVX2+FMA, AVX-512 and AVX-512 VNNI. Each function carries its own
// target attribute and the tables are handed out after __builtin_cpu_supports, so one native
// binary runs on any x86-64 CPU. Under emcc this file compiles to the NULL getters only.
//
// Linear layers are "dot-product" GEMMs: the weight is [O, I] row-major (nn.Linear), so a
// register tile holds MR rows of x against NR rows of w, each accumulator a vector of partial
// dot products along I, reduced horizontally once per tile. No packing, no allocation. The loops
// around the tile block for the caches: a block of OB weight rows and KC inputs (a few hundred
// KiB) stays in L2 while every MR-row tile of x (a few KiB) sweeps it from L1.
// (That is the fp32 GEMM; the int8 GEMMs read weights packed at load, see "int8 linear layers".)
//
// The element-wise ops and LayerNorm use 256-bit vectors in every table: Zen 4 (this machine)
// executes 512-bit arithmetic on 256-bit units, so wider vectors would only add code. The
// GEMMs and attention's GEMMs are where AVX-512 pays: 32 registers for bigger tiles, masks for
// tails.
//
// Measured numbers: `build/sentiment bench-kernels` (src/tools/kernels_bench.c); docs/engine.md.
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
#define PARALLEL_MIN_MACS (1L << 18)        // linear layers (attention: kernels.c, the same)
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

// Attention is sent_attention_blocked (kernels.c): two GEMMs per head and block of queries,
// S = Q K^T and O = P V, both C = A . B with B row-major, plus a row softmax. The tile
// broadcasts one element of A per row and step against NV vectors of B's row: MR x NV
// accumulators, no horizontal sums. The one-per-key-block online softmax this replaced ran at
// ~41 GFLOP/s (AVX-512, T = 512); see docs/engine.md for the blocked figures.
enum { ATT_MR_AVX2 = 6 };   // 6 x 2 accumulators + 2 B vectors + 1 broadcast = 15 of 16 ymm

// c[MR, n] = row_scale * (a[MR, K] . b[K, n]), n <= 16 (FULL: n == 16).
INLINE AVX2 void att_tile_avx2(float *c, int ldc, const float *a, int lda, const float *b, int ldb, int K, int n,
                               const float *row_scale, const int MR, const int FULL) {
    __m256 acc[ATT_MR_AVX2][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    __m256i m0 = tail_mask256(min_int(8, n)), m1 = tail_mask256(n > 8 ? n - 8 : 0);
    for (int k = 0; k < K; k++) {
        const float *bk = b + (size_t)k * ldb;
        __m256 b0 = FULL ? _mm256_loadu_ps(bk) : _mm256_maskload_ps(bk, m0);
        __m256 b1 = FULL ? _mm256_loadu_ps(bk + 8) : _mm256_maskload_ps(bk + 8, m1);
        KEEP_IN_REGISTER(b0);
        KEEP_IN_REGISTER(b1);
        for (int i = 0; i < MR; i++) {
            __m256 ai = _mm256_broadcast_ss(a + (size_t)i * lda + k);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < MR; i++) {
        __m256 r = _mm256_set1_ps(row_scale[i]);
        float *ci = c + (size_t)i * ldc;
        if (FULL) {
            _mm256_storeu_ps(ci, _mm256_mul_ps(acc[i][0], r));
            _mm256_storeu_ps(ci + 8, _mm256_mul_ps(acc[i][1], r));
        } else {
            _mm256_maskstore_ps(ci, m0, _mm256_mul_ps(acc[i][0], r));
            _mm256_maskstore_ps(ci + 8, m1, _mm256_mul_ps(acc[i][1], r));
        }
    }
}

// One tile call with MR (1..MAX) rows: constant arguments for the always-inline tile.
#define ATT_TILE_DISPATCH(TILE, mr, full, ...)                                                   \
    do {                                                                                         \
        switch (mr) {                                                                            \
        case 6: full ? TILE(__VA_ARGS__, 6, 1) : TILE(__VA_ARGS__, 6, 0); break;                 \
        case 5: full ? TILE(__VA_ARGS__, 5, 1) : TILE(__VA_ARGS__, 5, 0); break;                 \
        case 4: full ? TILE(__VA_ARGS__, 4, 1) : TILE(__VA_ARGS__, 4, 0); break;                 \
        case 3: full ? TILE(__VA_ARGS__, 3, 1) : TILE(__VA_ARGS__, 3, 0); break;                 \
        case 2: full ? TILE(__VA_ARGS__, 2, 1) : TILE(__VA_ARGS__, 2, 0); break;                 \
        default: full ? TILE(__VA_ARGS__, 1, 1) : TILE(__VA_ARGS__, 1, 0); break;                \
        }                                                                                        \
    } while (0)

// The GEMM of SentAttentionOps: B's columns in chunks of NW (outside, so a [K, NW] slice of B
// stays in L1 while A's rows pass), A's rows in tiles of MR_MAX.
#define ATT_GEMM(TILE, MR_MAX, NW)                                                                        \
    for (int n0 = 0; n0 < N; n0 += NW) {                                                                  \
        int n = min_int(NW, N - n0);                                                                      \
        for (int m0 = 0; m0 < M; m0 += MR_MAX)                                                            \
            ATT_TILE_DISPATCH(TILE, min_int(MR_MAX, M - m0), n == NW, c + (size_t)m0 * ldc + n0, ldc,     \
                              a + (size_t)m0 * lda, lda, b + n0, ldb, K, n, row_scale + m0);              \
    }

static AVX2 void att_gemm_avx2(float *c, int ldc, const float *a, int lda, const float *b, int ldb, int M, int N,
                               int K, const float *row_scale) {
    // c: [M, N], a: [M, K], b: [K, N], row_scale: [M]
    ATT_GEMM(att_tile_avx2, ATT_MR_AVX2, 16)
}

static AVX2 void att_softmax_rows_avx2(float *s, int ld, int M, int n, float *inv_sum) {
    // s: [M, n] rows ld apart; inv_sum: [M]
    int n8 = n & ~7;
    __m256i m = tail_mask256(n - n8);
    const __m256 minus_inf = _mm256_set1_ps(-INFINITY);
    for (int i = 0; i < M; i++) {
        float *row = s + (size_t)i * ld;
        __m256 mx = minus_inf;
        for (int j = 0; j < n8; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(row + j));
        if (n8 < n) mx = _mm256_max_ps(mx, _mm256_blendv_ps(minus_inf, _mm256_maskload_ps(row + n8, m), _mm256_castsi256_ps(m)));
        __m256 vmax = _mm256_set1_ps(hmax_256(mx)), sum = _mm256_setzero_ps();
        for (int j = 0; j < n8; j += 8) {
            __m256 p = exp256(_mm256_sub_ps(_mm256_loadu_ps(row + j), vmax));
            _mm256_storeu_ps(row + j, p);
            sum = _mm256_add_ps(sum, p);
        }
        if (n8 < n) {
            __m256 p = _mm256_and_ps(exp256(_mm256_sub_ps(_mm256_maskload_ps(row + n8, m), vmax)), _mm256_castsi256_ps(m));
            _mm256_maskstore_ps(row + n8, m, p);
            sum = _mm256_add_ps(sum, p);
        }
        inv_sum[i] = 1.0f / hsum_256(sum);   // >= 1: the max term is e^0
    }
}

static const SentAttentionOps att_ops_avx2 = {.gemm = att_gemm_avx2, .softmax_rows = att_softmax_rows_avx2};

static AVX2 void attention_avx2(float *out, const float *q, const float *k, const float *v, int ld,
                                const uint8_t *mask, int T, int n_heads, int head_dim, float *scratch) {
    sent_attention_blocked(&att_ops_avx2, out, q, k, v, ld, mask, T, n_heads, head_dim, scratch);
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

// --- int8 linear layers (packed panels) ---------------------------------------------------------

// The weights are repacked once at load (SentQ8Format in kernels.h): panels of NR output rows
// with k interleaved the way the multiply instruction takes it, so a register tile of MR rows
// of x by one or two panels accumulates whole int32 vectors of NR outputs: one broadcast of x
// per row and step, one load per panel and step, no horizontal sums. Per group, each int32
// accumulator is converted once and FMA'd into a float accumulator with (x scale) * (the
// panel's NR weight scales); bias and GELU are applied in the store.
//
// Instruction choices and why they are exact:
// - VNNI (vpdpbusd, u8 x s8 -> 4 products summed into int32): x goes in as u8 (x + 128, an XOR
//   with 0x80 per broadcast) against signed weights, and the accumulator starts each group at
//   -128 * sum(w) of that group and output (precomputed at pack time), so it ends at
//   sum(x w) exactly. vpdpbusd does not saturate: intermediate sums may wrap, the final one
//   (|sum| <= 127 * 128 * group_size) fits int32, and wrapping arithmetic makes it exact.
// - No VNNI (avx512, avx2): vpmaddwd on int16 pairs, weights pre-widened to int16 at pack time
//   and x widened per broadcast. Products are <= 127 * 128 = 16256 in magnitude (x never -128),
//   a pair <= 32512: vpmaddwd is exact (it only wraps for (-32768)^2 twice) and vpaddd wraps
//   like vpdpbusd, with the same exact end result. vpmaddubsw is not usable: u8 (x + 128, up to
//   255) times s8 (-128) pairs reach 65280 and saturate int16; the old abs/sign trick needs
//   vpsignb, which AVX-512 lacks. Pre-widened int16 weights vs int8 widened per load: only the
//   former is implemented (time); it costs twice the weight bytes, which stay in L1/L2 here.
// Rows of x per AVX2 tile: 6 x 16 outputs = 12 int32 accumulators + 2 weight vectors + 1 broadcast
// + 1 product of the 16 ymm, 8 loads per 12 vpmaddwd (4 x 8 loaded 5 per 4; docs/engine.md, "After:
// the AVX2 int8 tile at 6 rows x 16 outputs").
enum { Q8_MR = 6 };
// Rows of x per 512-bit tile: 6 x 2 panels = 12 int32 accumulators (12 independent vpdpbusd
// chains, enough to cover its latency at 2 per cycle) + 12 fp32 group sums + 2 weight vectors +
// 1 broadcast of 32 zmm. 4 rows (8 chains) ran the VNNI GEMM at ~560 GOP/s on Zen 5.
enum { Q8_MR_512 = 6 };

static const SentQ8Format Q8_FORMAT_AVX2 = {.nr = 16, .ku = 2, .wide = 1, .with_corr = 0};
static const SentQ8Format Q8_FORMAT_AVX512 = {.nr = 16, .ku = 2, .wide = 1, .with_corr = 0};
static const SentQ8Format Q8_FORMAT_VNNI = {.nr = 16, .ku = 4, .wide = 0, .with_corr = 1};

static size_t q8_size(const SentQ8Format *f, const SentQ8 *w) {
    SentQ8Layout L = sent_q8_layout(f, w->rows, w->cols, w->group_size);
    return L.panel_bytes * L.panels;
}
static size_t q8_packed_size_avx2(const SentQ8 *w) { return q8_size(&Q8_FORMAT_AVX2, w); }
static size_t q8_packed_size_avx512(const SentQ8 *w) { return q8_size(&Q8_FORMAT_AVX512, w); }
static size_t q8_packed_size_vnni(const SentQ8 *w) { return q8_size(&Q8_FORMAT_VNNI, w); }
static void q8_pack_avx2(void *p, const SentQ8 *w) { sent_q8_pack_panels(p, &Q8_FORMAT_AVX2, w); }
static void q8_pack_avx512(void *p, const SentQ8 *w) { sent_q8_pack_panels(p, &Q8_FORMAT_AVX512, w); }
static void q8_pack_vnni(void *p, const SentQ8 *w) { sent_q8_pack_panels(p, &Q8_FORMAT_VNNI, w); }

// x is read through a prepared copy of each MR-row tile (rows up to Q8_MAX_K inputs): for the
// int16 paths widened to int16, for VNNI offset to u8, so each broadcast of a pair or quad is
// a single load (vpbroadcastd m32 runs on the load ports). Widening (or offsetting) at every
// broadcast instead costs one or two shuffle-port uops per row and step, and that port was the
// bottleneck: 4x2 tiles on the shipped shapes (512 x 256 -> 1024, 1 thread, load ~10) ran at
// ~33 GOP/s (avx512) and ~15 (avx2) that way. The copy is made once per row tile and panel
// block, and padded with zeros, so a group's odd tail reads a neighbour (against zero
// weight padding) instead of needing its own code. Longer rows read x directly (PREP = 0).
enum { Q8_MAX_K = 4096, Q8_LDP = Q8_MAX_K + 64 };
// Panels per block (the unit of the thread split): the x tile copy is shared by a block.
enum { Q8_BLOCK_AVX2 = 4, Q8_BLOCK_512 = 4 };   // 64 outputs each

INLINE AVX2 int32_t x_single(const int8_t *x) { return (int32_t)(uint16_t)(int16_t)x[0]; }

// (x[k], x[k+1]) as an int16 pair in every 32-bit lane; from the int8 row, the odd last input
// of a group (last_odd) pairs with 0 (its weight pair's second half is the zero padding).
INLINE AVX2 __m256i x_pair256(const void *x, size_t k, int last_odd, const int PREP) {
    int32_t v;
    if (PREP) {
        memcpy(&v, (const int16_t *)x + k, 4);
        return _mm256_set1_epi32(v);
    }
    const int8_t *p = (const int8_t *)x + k;
    if (last_odd) return _mm256_set1_epi32(x_single(p));
    int16_t v2;
    memcpy(&v2, p, 2);
    return _mm256_cvtepi8_epi16(_mm_set1_epi16(v2));
}

// dst[rows, ldp] = int16 x[rows, I] (row stride ldx), then zeros up to I + 16.
INLINE AVX2 void widen_rows_avx2(int16_t *dst, int ldp, const int8_t *x, int ldx, int rows, int I) {
    for (int r = 0; r < rows; r++) {
        int16_t *d = dst + (size_t)r * ldp;
        const int8_t *s = x + (size_t)r * ldx;
        int k = 0;
        for (; k + 16 <= I; k += 16)
            _mm256_storeu_si256((__m256i *)(d + k), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(s + k))));
        for (; k < I; k++) d[k] = s[k];
        _mm256_storeu_si256((__m256i *)(d + I), _mm256_setzero_si256());
    }
}

// acc[0..1] += the int16 pair products of a 16-output weight step (w0: outputs 0-7, w1: 8-15) with xv.
INLINE AVX2 void madd_pair16(__m256i acc[2], __m256i w0, __m256i w1, __m256i xv) {
    acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(w0, xv));
    acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(w1, xv));
}

// y[MR, count] = act(sum over groups of xs * ws * (x . w) + bias), one panel of 16 outputs as two
// ymm halves: each broadcast pair of x feeds two vpmaddwd, so a step loads 2 weight vectors and
// MR pairs for 2 * MR multiplies (a panel of 8 loaded 1 + MR for MR).
INLINE AVX2 void tile_q8_avx2(float *y, int ldy, const void *x, int ldx, const float *xs, int ldxs,
                              const unsigned char *panel, const SentQ8Layout *L, int gs, const float *bias, int count,
                              int flags, const int MR, const int PREP) {
    const int16_t *wp = (const int16_t *)panel;   // [groups][steps][16][2]
    const float *ws = (const float *)(panel + L->scale_offset);   // [groups][16]
    int pairs = gs / 2;
    __m256 accf[Q8_MR][2];
    for (int i = 0; i < MR; i++) accf[i][0] = accf[i][1] = _mm256_setzero_ps();
    for (int g = 0; g < L->groups; g++) {
        size_t xg = (size_t)g * gs;
        const int16_t *wg = wp + (size_t)g * L->steps * 32;
        __m256i acc[Q8_MR][2];
        for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
        for (int s = 0; s < pairs; s++) {
            __m256i w0 = _mm256_loadu_si256((const __m256i *)(wg + (size_t)s * 32));
            __m256i w1 = _mm256_loadu_si256((const __m256i *)(wg + (size_t)s * 32 + 16));
            KEEP_IN_REGISTER(w0);
            KEEP_IN_REGISTER(w1);
            for (int i = 0; i < MR; i++) madd_pair16(acc[i], w0, w1, x_pair256(x, (size_t)i * ldx + xg + 2 * s, 0, PREP));
        }
        if (gs & 1) {
            __m256i w0 = _mm256_loadu_si256((const __m256i *)(wg + (size_t)pairs * 32));
            __m256i w1 = _mm256_loadu_si256((const __m256i *)(wg + (size_t)pairs * 32 + 16));
            for (int i = 0; i < MR; i++) madd_pair16(acc[i], w0, w1, x_pair256(x, (size_t)i * ldx + xg + gs - 1, 1, PREP));
        }
        for (int h = 0; h < 2; h++) {
            __m256 wsv = _mm256_loadu_ps(ws + (size_t)g * 16 + 8 * h);
            for (int i = 0; i < MR; i++)
                accf[i][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][h]),
                                             _mm256_mul_ps(wsv, _mm256_set1_ps(xs[(size_t)i * ldxs + g])), accf[i][h]);
        }
    }
    for (int h = 0; h < 2; h++) {
        int c = min_int(8, count - 8 * h);
        if (c <= 0) break;
        __m256i m = tail_mask256(c);
        const float *bh = bias ? bias + 8 * h : NULL;
        __m256 bv = !bh ? _mm256_setzero_ps() : c == 8 ? _mm256_loadu_ps(bh) : _mm256_maskload_ps(bh, m);
        for (int i = 0; i < MR; i++) {
            __m256 v = _mm256_add_ps(accf[i][h], bv);
            if (flags & SENT_LINEAR_GELU) v = gelu256(v);
            float *yh = y + (size_t)i * ldy + 8 * h;
            if (c == 8) _mm256_storeu_ps(yh, v);
            else _mm256_maskstore_ps(yh, m, v);
        }
    }
}

// One tile call with MR (1..6) rows and prepared or direct x: constant arguments for the
// always-inline tiles, so each combination gets its own register allocation.
#define Q8_DISPATCH_ROWS(TILE, mr, prep, ...)                                     \
    do {                                                                          \
        if (mr == 6) TILE(__VA_ARGS__, 6, prep);                                  \
        else if (mr == 5) TILE(__VA_ARGS__, 5, prep);                             \
        else if (mr == 4) TILE(__VA_ARGS__, 4, prep);                             \
        else if (mr == 3) TILE(__VA_ARGS__, 3, prep);                             \
        else if (mr == 2) TILE(__VA_ARGS__, 2, prep);                             \
        else TILE(__VA_ARGS__, 1, prep);                                          \
    } while (0)
#define Q8_DISPATCH(TILE, mr, prep, ...)                                          \
    do {                                                                          \
        if (prep) Q8_DISPATCH_ROWS(TILE, mr, 1, __VA_ARGS__);                     \
        else Q8_DISPATCH_ROWS(TILE, mr, 0, __VA_ARGS__);                          \
    } while (0)

static AVX2 void linear_q8_avx2(float *y, const int8_t *xq, const float *xs, const SentQ8 *w, const void *packed,
                                const float *b, int N, int I, int O, int flags) {
    // y: [N, O], xq: [N, I], xs: [N, I / gs], packed: Q8_FORMAT_AVX2 panels of w [O, I]
    int gs = w->group_size, prep = I <= Q8_MAX_K;
    SentQ8Layout L = sent_q8_layout(&Q8_FORMAT_AVX2, O, I, gs);
    int blocks = (L.panels + Q8_BLOCK_AVX2 - 1) / Q8_BLOCK_AVX2;
#pragma omp parallel for schedule(static) if ((long)N * I * O >= PARALLEL_MIN_MACS)
    for (int blk = 0; blk < blocks; blk++) {
        int16_t xw[Q8_MR * Q8_LDP] __attribute__((aligned(64)));   // [MR, Q8_LDP] the tile's x as int16
        int p_end = min_int(L.panels, (blk + 1) * Q8_BLOCK_AVX2);
        for (int n = 0; n < N; n += Q8_MR) {
            int mr = min_int(Q8_MR, N - n), ld = I;
            const int8_t *xt = xq + (size_t)n * I;
            const void *src = xt;
            if (prep) widen_rows_avx2(xw, Q8_LDP, xt, I, mr, I), src = xw, ld = Q8_LDP;
            for (int p = blk * Q8_BLOCK_AVX2; p < p_end; p++) {
                const unsigned char *panel = (const unsigned char *)packed + L.panel_bytes * p;
                int o = p * 16, count = min_int(16, O - o);
                Q8_DISPATCH(tile_q8_avx2, mr, prep, y + (size_t)n * O + o, O, src, ld, xs + (size_t)n * L.groups,
                            L.groups, panel, &L, gs, b ? b + o : NULL, count, flags);
            }
        }
    }
}

// 16 lanes of the first `count` outputs of a panel (count may be <= 0: none).
INLINE AVX512 __mmask16 lanes16(int count) { return count >= 16 ? (__mmask16)0xffff : count <= 0 ? 0 : tail_mask16(count); }

INLINE AVX512 __m512 gelu512(__m512 v) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(gelu256(_mm512_castps512_ps256(v))),
                              gelu256(_mm512_extractf32x8_ps(v, 1)), 1);
}

// The store of a 512-bit tile: y[MR, count] = act(accf + bias) over NP panels of 16.
INLINE AVX512 void store_tile_q8_avx512(float *y, int ldy, __m512 accf[Q8_MR_512][2], const float *bias, int count, int flags,
                                        const int MR, const int NP) {
    for (int p = 0; p < NP; p++) {
        __mmask16 m = lanes16(count - 16 * p);
        __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias + 16 * p) : _mm512_setzero_ps();
        for (int i = 0; i < MR; i++) {
            __m512 v = _mm512_add_ps(accf[i][p], bv);
            if (flags & SENT_LINEAR_GELU) v = gelu512(v);
            _mm512_mask_storeu_ps(y + (size_t)i * ldy + 16 * p, m, v);
        }
    }
}

INLINE AVX512 __m512i x_pair512(const void *x, size_t k, int last_odd, const int PREP) {
    int32_t v;
    if (PREP) {
        memcpy(&v, (const int16_t *)x + k, 4);
        return _mm512_set1_epi32(v);
    }
    const int8_t *p = (const int8_t *)x + k;
    if (last_odd) return _mm512_set1_epi32(x_single(p));
    int16_t v2;
    memcpy(&v2, p, 2);
    return _mm512_cvtepi8_epi16(_mm256_set1_epi16(v2));
}

// AVX-512 without VNNI: MR rows x NP panels of 16 outputs, int16 pairs through vpmaddwd.
INLINE AVX512 void tile_q8_avx512(float *y, int ldy, const void *x, int ldx, const float *xs, int ldxs,
                                  const unsigned char *panel, const SentQ8Layout *L, int gs, const float *bias,
                                  int count, int flags, const int NP, const int MR, const int PREP) {
    int pairs = gs / 2;
    __m512 accf[Q8_MR_512][2];
    for (int i = 0; i < MR; i++)
        for (int p = 0; p < NP; p++) accf[i][p] = _mm512_setzero_ps();
    for (int g = 0; g < L->groups; g++) {
        size_t xg = (size_t)g * gs;
        const int16_t *wg[2];   // [steps][16][2] each
        for (int p = 0; p < NP; p++) wg[p] = (const int16_t *)(panel + L->panel_bytes * p) + (size_t)g * L->steps * 32;
        __m512i acc[Q8_MR_512][2];
        for (int i = 0; i < MR; i++)
            for (int p = 0; p < NP; p++) acc[i][p] = _mm512_setzero_si512();
        for (int s = 0; s < L->steps; s++) {
            int last_odd = s == pairs;   // only when gs is odd
            __m512i wv[2];
            for (int p = 0; p < NP; p++) {
                wv[p] = _mm512_loadu_si512(wg[p] + (size_t)s * 32);
                KEEP_IN_REGISTER(wv[p]);
            }
            for (int i = 0; i < MR; i++) {
                __m512i xv = x_pair512(x, (size_t)i * ldx + xg + 2 * s, last_odd, PREP);
                for (int p = 0; p < NP; p++) acc[i][p] = _mm512_add_epi32(acc[i][p], _mm512_madd_epi16(wv[p], xv));
            }
        }
        for (int p = 0; p < NP; p++) {
            __m512 wsv = _mm512_loadu_ps((const float *)(panel + L->panel_bytes * p + L->scale_offset) + (size_t)g * 16);
            for (int i = 0; i < MR; i++)
                accf[i][p] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[i][p]),
                                             _mm512_mul_ps(wsv, _mm512_set1_ps(xs[(size_t)i * ldxs + g])), accf[i][p]);
        }
    }
    store_tile_q8_avx512(y, ldy, accf, bias, count, flags, MR, NP);
}

// dst[rows, ldp] = x[rows, I] + 128 as u8 (an XOR), then zeros up to I + 64.
INLINE VNNI void offset_rows_vnni(uint8_t *dst, int ldp, const int8_t *x, int ldx, int rows, int I) {
    const __m512i offset = _mm512_set1_epi8((char)0x80);
    for (int r = 0; r < rows; r++) {
        uint8_t *d = dst + (size_t)r * ldp;
        const int8_t *s = x + (size_t)r * ldx;
        for (int k = 0; k < I; k += 64) {
            __mmask64 m = I - k >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << (I - k)) - 1;
            _mm512_mask_storeu_epi8(d + k, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, s + k), offset));
        }
        _mm512_storeu_si512(d + I, _mm512_setzero_si512());
    }
}

// x[k..k+3] + 128 as u8 in every lane: one load from the prepared row, or from the int8 row
// (`r` < 4 inputs at a group's tail, the rest 0 against zero weight padding).
INLINE VNNI __m512i x_quad_u8(const void *x, size_t k, int r, const int PREP) {
    uint32_t v = 0;
    if (PREP) {
        memcpy(&v, (const uint8_t *)x + k, 4);
        return _mm512_set1_epi32((int)v);
    }
    memcpy(&v, (const int8_t *)x + k, (size_t)r);
    return _mm512_set1_epi32((int)(v ^ 0x80808080u));
}

// AVX-512 VNNI: MR rows x NP panels of 16 outputs, four inputs per vpdpbusd.
INLINE VNNI void tile_q8_vnni(float *y, int ldy, const void *x, int ldx, const float *xs, int ldxs,
                              const unsigned char *panel, const SentQ8Layout *L, int gs, const float *bias, int count,
                              int flags, const int NP, const int MR, const int PREP) {
    int quads = gs / 4, rest = gs % 4;
    __m512 accf[Q8_MR_512][2];
    for (int i = 0; i < MR; i++)
        for (int p = 0; p < NP; p++) accf[i][p] = _mm512_setzero_ps();
    for (int g = 0; g < L->groups; g++) {
        size_t xg = (size_t)g * gs;
        const int8_t *wg[2];   // [steps][16][4] each
        __m512i acc[Q8_MR_512][2];
        for (int p = 0; p < NP; p++) {
            const unsigned char *pp = panel + L->panel_bytes * p;
            wg[p] = (const int8_t *)pp + (size_t)g * L->steps * 64;
            __m512i corr = _mm512_loadu_si512((const int32_t *)(pp + L->corr_offset) + (size_t)g * 16);
            for (int i = 0; i < MR; i++) acc[i][p] = corr;
        }
        for (int s = 0; s < quads; s++) {
            __m512i wv[2];
            for (int p = 0; p < NP; p++) {
                wv[p] = _mm512_loadu_si512(wg[p] + (size_t)s * 64);
                KEEP_IN_REGISTER(wv[p]);
            }
            for (int i = 0; i < MR; i++) {
                __m512i xv = x_quad_u8(x, (size_t)i * ldx + xg + 4 * s, 4, PREP);
                for (int p = 0; p < NP; p++) acc[i][p] = _mm512_dpbusd_epi32(acc[i][p], xv, wv[p]);
            }
        }
        if (rest) {
            for (int i = 0; i < MR; i++) {
                __m512i xv = x_quad_u8(x, (size_t)i * ldx + xg + 4 * quads, rest, PREP);
                for (int p = 0; p < NP; p++)
                    acc[i][p] = _mm512_dpbusd_epi32(acc[i][p], xv, _mm512_loadu_si512(wg[p] + (size_t)quads * 64));
            }
        }
        for (int p = 0; p < NP; p++) {
            __m512 wsv = _mm512_loadu_ps((const float *)(panel + L->panel_bytes * p + L->scale_offset) + (size_t)g * 16);
            for (int i = 0; i < MR; i++)
                accf[i][p] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[i][p]),
                                             _mm512_mul_ps(wsv, _mm512_set1_ps(xs[(size_t)i * ldxs + g])), accf[i][p]);
        }
    }
    store_tile_q8_avx512(y, ldy, accf, bias, count, flags, MR, NP);
}

// Both 512-bit drivers: threads over blocks of Q8_BLOCK_512 panels; in a block, each MR-row
// tile of x is prepared once (PREPARE into a stack copy) and swept over the block's panels two
// at a time (32 outputs), whose weights (block: 64 x I bytes, int16: twice) stay in L2.
#define LINEAR_Q8_512(TILE, FORMAT, XT, PREPARE)                                                                  \
    int gs = w->group_size, prep = I <= Q8_MAX_K;                                                                 \
    SentQ8Layout L = sent_q8_layout(&FORMAT, O, I, gs);                                                           \
    int blocks = (L.panels + Q8_BLOCK_512 - 1) / Q8_BLOCK_512;                                                    \
    _Pragma("omp parallel for schedule(static) if ((long)N * I * O >= PARALLEL_MIN_MACS)")                      \
    for (int blk = 0; blk < blocks; blk++) {                                                                      \
        XT xw[Q8_MR_512 * Q8_LDP] __attribute__((aligned(64)));   /* [MR, Q8_LDP] the tile's prepared x */        \
        int p_end = min_int(L.panels, (blk + 1) * Q8_BLOCK_512);                                                  \
        for (int n = 0; n < N; n += Q8_MR_512) {                                                                  \
            int mr = min_int(Q8_MR_512, N - n), ld = I;                                                           \
            const int8_t *xt = xq + (size_t)n * I;                                                                \
            const void *src = xt;                                                                                 \
            if (prep) PREPARE(xw, Q8_LDP, xt, I, mr, I), src = xw, ld = Q8_LDP;                                   \
            for (int p = blk * Q8_BLOCK_512; p < p_end; p += 2) {                                                 \
                const unsigned char *panel = (const unsigned char *)packed + L.panel_bytes * p;                   \
                int o = p * 16, count = min_int(32, O - o);                                                       \
                float *yt = y + (size_t)n * O + o;                                                                \
                const float *xst = xs + (size_t)n * L.groups, *bt = b ? b + o : NULL;                             \
                if (p + 1 < p_end)                                                                                \
                    Q8_DISPATCH(TILE, mr, prep, yt, O, src, ld, xst, L.groups, panel, &L, gs, bt, count, flags, 2); \
                else                                                                                              \
                    Q8_DISPATCH(TILE, mr, prep, yt, O, src, ld, xst, L.groups, panel, &L, gs, bt, count, flags, 1); \
            }                                                                                                     \
        }                                                                                                         \
    }

// dst[rows, ldp] = int16 x[rows, I], then zeros up to I + 32.
INLINE AVX512 void widen_rows_avx512(int16_t *dst, int ldp, const int8_t *x, int ldx, int rows, int I) {
    for (int r = 0; r < rows; r++) {
        int16_t *d = dst + (size_t)r * ldp;
        const int8_t *s = x + (size_t)r * ldx;
        for (int k = 0; k < I; k += 32) {
            __mmask32 m = I - k >= 32 ? ~(__mmask32)0 : ((__mmask32)1 << (I - k)) - 1;
            _mm512_mask_storeu_epi16(d + k, m, _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, s + k)));
        }
        _mm512_storeu_si512(d + I, _mm512_setzero_si512());
    }
}

static AVX512 void linear_q8_avx512(float *y, const int8_t *xq, const float *xs, const SentQ8 *w, const void *packed,
                                    const float *b, int N, int I, int O, int flags) {
    // y: [N, O], xq: [N, I], xs: [N, I / gs], packed: Q8_FORMAT_AVX512 panels of w [O, I]
    LINEAR_Q8_512(tile_q8_avx512, Q8_FORMAT_AVX512, int16_t, widen_rows_avx512)
}

static VNNI void linear_q8_vnni(float *y, const int8_t *xq, const float *xs, const SentQ8 *w, const void *packed,
                                const float *b, int N, int I, int O, int flags) {
    // y: [N, O], xq: [N, I], xs: [N, I / gs], packed: Q8_FORMAT_VNNI panels of w [O, I]
    LINEAR_Q8_512(tile_q8_vnni, Q8_FORMAT_VNNI, uint8_t, offset_rows_vnni)
}

// --- AVX-512 attention ---------------------------------------------------------------------------

// The AVX2 scheme with 16 lanes: 6 rows x 4 vectors (64 columns, a whole head of 64) = 24
// accumulators + 4 B vectors + 1 broadcast of 32 zmm; masks for tails. The softmax is AVX2's.
enum { ATT_MR_512 = 6 };

// c[MR, n] = row_scale * (a[MR, K] . b[K, n]), n <= 64 (FULL: n == 64).
INLINE AVX512 void att_tile_avx512(float *c, int ldc, const float *a, int lda, const float *b, int ldb, int K, int n,
                                   const float *row_scale, const int MR, const int FULL) {
    __m512 acc[ATT_MR_512][4];
    __mmask16 m[4];
    for (int j = 0; j < 4; j++) m[j] = FULL ? (__mmask16)0xffff : lanes16(n - 16 * j);
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        const float *bk = b + (size_t)k * ldb;
        __m512 bv[4];
        for (int j = 0; j < 4; j++) {
            bv[j] = FULL ? _mm512_loadu_ps(bk + 16 * j) : _mm512_maskz_loadu_ps(m[j], bk + 16 * j);
            KEEP_IN_REGISTER(bv[j]);
        }
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[(size_t)i * lda + k]);
            for (int j = 0; j < 4; j++) acc[i][j] = _mm512_fmadd_ps(ai, bv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < MR; i++) {
        __m512 r = _mm512_set1_ps(row_scale[i]);
        for (int j = 0; j < 4; j++) _mm512_mask_storeu_ps(c + (size_t)i * ldc + 16 * j, m[j], _mm512_mul_ps(acc[i][j], r));
    }
}

static AVX512 void att_gemm_avx512(float *c, int ldc, const float *a, int lda, const float *b, int ldb, int M, int N,
                                   int K, const float *row_scale) {
    // c: [M, N], a: [M, K], b: [K, N], row_scale: [M]
    ATT_GEMM(att_tile_avx512, ATT_MR_512, 64)
}

static const SentAttentionOps att_ops_avx512 = {.gemm = att_gemm_avx512, .softmax_rows = att_softmax_rows_avx2};

static AVX512 void attention_avx512(float *out, const float *q, const float *k, const float *v, int ld,
                                    const uint8_t *mask, int T, int n_heads, int head_dim, float *scratch) {
    sent_attention_blocked(&att_ops_avx512, out, q, k, v, ld, mask, T, n_heads, head_dim, scratch);
}

// --- the tables ---------------------------------------------------------------------------------

static const SentKernels avx2_kernels = {
    .name = "avx2",
    .linear_f32 = linear_f32_avx2,
    .quantize_q8 = quantize_q8_avx2,
    .q8_packed_size = q8_packed_size_avx2,
    .q8_pack = q8_pack_avx2,
    .linear_q8 = linear_q8_avx2,
    .layernorm = layernorm_avx2,
    .gelu_erf = gelu_erf_avx2,
    .add = add_avx2,
    .attention = attention_avx2,
};

// AVX-512 without VNNI (Skylake-X class): 512-bit fp32 GEMM, int8 through 512-bit vpmaddwd.
static const SentKernels avx512_kernels = {
    .name = "avx512",
    .linear_f32 = linear_f32_avx512,
    .quantize_q8 = quantize_q8_avx2,
    .q8_packed_size = q8_packed_size_avx512,
    .q8_pack = q8_pack_avx512,
    .linear_q8 = linear_q8_avx512,
    .layernorm = layernorm_avx2,
    .gelu_erf = gelu_erf_avx2,
    .add = add_avx2,
    .attention = attention_avx512,
};

static const SentKernels avx512vnni_kernels = {
    .name = "avx512vnni",
    .linear_f32 = linear_f32_avx512,
    .quantize_q8 = quantize_q8_avx2,
    .q8_packed_size = q8_packed_size_vnni,
    .q8_pack = q8_pack_vnni,
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
