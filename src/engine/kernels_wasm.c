// The WebAssembly SIMD128 kernel table (what the page runs). Natively, with SENT_SIMDE_WASM
// defined (the unit tests), the same code compiles against libsimde's emulation of
// <wasm_simd128.h>, so it is tested against the scalar reference without a browser.
// Relaxed SIMD (FMA, relaxed dot products) is not available in our emcc, so multiply-adds are
// a mul and an add, and int8 dot products widen to int16 and use i32x4.dot_i16x8.
//
// Same structure as kernels_x86.c: dot-product fp32 GEMM tiles with horizontal reductions,
// packed-panel int8 GEMM tiles (see linear_q8_wasm), attention as blocked GEMMs, branch-free erf
// for GELU. V8 maps these onto 16 xmm registers, so tiles are small: 2x4 accumulators for fp32
// (3x4 measured slower: 23 instead of 34 GFLOP/s, node 20). Loops over a tile's rows and
// columns have constant trip counts so clang keeps the accumulators in wasm locals rather than
// in linear memory.
#include <stddef.h>

#include "kernels.h"

#if defined(__wasm_simd128__) || defined(SENT_SIMDE_WASM)

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#else
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif

#include <math.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

static int min_int(int a, int b) { return a < b ? a : b; }

INLINE v128_t madd(v128_t a, v128_t b, v128_t c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }

// [sum(a0), sum(a1), sum(a2), sum(a3)]
INLINE v128_t hsum4(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
    v128_t s01 = wasm_f32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
    v128_t s23 = wasm_f32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
    return wasm_f32x4_add(wasm_i32x4_shuffle(s01, s23, 0, 1, 4, 5), wasm_i32x4_shuffle(s01, s23, 2, 3, 6, 7));
}

INLINE float hsum(v128_t a) {
    v128_t s = wasm_f32x4_add(a, wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
    s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(s, 0);
}

INLINE float hmax(v128_t a) {
    v128_t s = wasm_f32x4_max(a, wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
    s = wasm_f32x4_max(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(s, 0);
}

// The constants of exp4 and gelu4. V8 rebuilds a v128.const at every use (several instructions
// on x64) and clang prefers re-emitting constants to keeping them in locals. Read once from a
// volatile table, their values are unknown to clang, so they are splatted once per call and
// stay in locals (registers or V8 spill slots) in loops. With pmin/pmax (one instruction each,
// where f32x4.min/max need NaN fix-ups) and the rounding trick in exp4, GELU went from 5.2 to
// 4.4 ns per value under node 20.
enum {
    C_ONE, C_HALF, C_TWO, C_RSQRT2, C_EXP_MIN, C_EXP_MAX, C_LOG2E, C_ROUNDER, C_LN2_HI, C_LN2_LO,
    C_E7, C_E6, C_E5, C_E4, C_E3,                        // 1/7! .. 1/3! of the exp polynomial
    C_P6, C_P5, C_P4, C_P3, C_P2, C_P1, C_P0,            // erf(a) = a P(a^2), |a| < 1
    C_X_MAX,                                             // 10 sqrt(2): erfc(10) < 1e-44
    C_Q9, C_Q8, C_Q7, C_Q6, C_Q5, C_Q4, C_Q3, C_Q2, C_Q1, C_Q0,   // erfc(a) = exp(-a^2) Q(2 / (2 + a))
    C_SWITCH,                                                   // |a| where erfc takes over
    MATH_CONSTANTS
};
static const volatile float math_constant_values[MATH_CONSTANTS] = {
    [C_ONE] = 1.0f, [C_HALF] = 0.5f, [C_TWO] = 2.0f, [C_RSQRT2] = 0.70710678118654752f,
    [C_EXP_MIN] = -87.3f, [C_EXP_MAX] = 88.3f, [C_LOG2E] = 1.44269504088896341f, [C_ROUNDER] = 12582912.0f,
    [C_LN2_HI] = 0.693145751953125f, [C_LN2_LO] = 1.428606765330187e-06f,
    [C_E7] = 1.0f / 5040.0f, [C_E6] = 1.0f / 720.0f, [C_E5] = 1.0f / 120.0f, [C_E4] = 1.0f / 24.0f,
    [C_E3] = 1.0f / 6.0f,
    [C_P6] = 7.898210209e-05f, [C_P5] = -8.024354129e-04f, [C_P4] = 5.190053578e-03f,
    [C_P3] = -2.685480854e-02f, [C_P2] = 1.128361243e-01f, [C_P1] = -3.761262884e-01f,
    [C_P0] = 1.128379167e+00f,
    [C_X_MAX] = 14.1421356f,
    [C_Q9] = -7.389774291e-02f, [C_Q8] = 3.489513582e-01f, [C_Q7] = -6.065960411e-01f,
    [C_Q6] = 4.017049657e-01f, [C_Q5] = -1.050498462e-01f, [C_Q4] = 2.341406710e-01f,
    [C_Q3] = 2.351630289e-01f, [C_Q2] = 2.835870975e-01f, [C_Q1] = 2.819853413e-01f, [C_Q0] = 3.500637830e-06f,
    [C_SWITCH] = 0.5f,
};

typedef struct {
    v128_t v[MATH_CONSTANTS];
} MathConstants;

INLINE void load_math_constants(MathConstants *c) {
    for (int i = 0; i < MATH_CONSTANTS; i++) c->v[i] = wasm_f32x4_splat(math_constant_values[i]);
}

// e^x as in kernels_x86.c: x = n ln2 + r, degree-7 Taylor polynomial for e^r, 2^n in the
// exponent bits; inputs below -87.3 give 0.
INLINE v128_t exp4(v128_t x, const MathConstants *c) {
    const v128_t *k = c->v;
    v128_t underflow = wasm_f32x4_lt(x, k[C_EXP_MIN]);
    x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, k[C_EXP_MIN]), k[C_EXP_MAX]);
    // Adding 1.5 * 2^23 rounds x log2e to an integer held in the low mantissa bits: n as a float
    // and, from the bits, 2^n, without nearest and trunc_sat (several instructions each in V8).
    v128_t shifted = madd(x, k[C_LOG2E], k[C_ROUNDER]);
    v128_t n = wasm_f32x4_sub(shifted, k[C_ROUNDER]);
    v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, k[C_LN2_HI]));
    r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, k[C_LN2_LO]));
    v128_t p = k[C_E7];
    p = madd(p, r, k[C_E6]);
    p = madd(p, r, k[C_E5]);
    p = madd(p, r, k[C_E4]);
    p = madd(p, r, k[C_E3]);
    p = madd(p, r, k[C_HALF]);
    p = madd(p, r, k[C_ONE]);
    p = madd(p, r, k[C_ONE]);
    v128_t two_n = wasm_i32x4_shl(wasm_i32x4_sub(shifted, wasm_i32x4_splat(0x4B400000 - 127)), 23);
    return wasm_v128_andnot(wasm_f32x4_mul(p, two_n), underflow);
}

// GELU with the erf / erfc fits of kernels_x86.c (see there). Without FMA, x^2 is split into
// hi + lo with Dekker's product so exp(-a^2) keeps its relative accuracy.
INLINE v128_t gelu4(v128_t x, const MathConstants *c) {
    const v128_t *k = c->v, one = k[C_ONE];
    v128_t z = wasm_f32x4_mul(x, k[C_RSQRT2]);
    v128_t a = wasm_f32x4_abs(z);
    v128_t negative = wasm_f32x4_lt(z, wasm_f32x4_splat(0.0f));

    v128_t u = wasm_f32x4_mul(a, a);
    v128_t p = k[C_P6];
    for (int i = C_P5; i <= C_P0; i++) p = madd(p, u, k[i]);
    v128_t erf_small = wasm_f32x4_mul(a, p);
    v128_t one_plus_small =
        wasm_v128_bitselect(wasm_f32x4_sub(one, erf_small), wasm_f32x4_add(one, erf_small), negative);

    // a^2 = x^2 / 2 from x itself, as hi + lo (Dekker: x split into 12 + 12 significant bits).
    v128_t xc = wasm_f32x4_pmin(wasm_f32x4_abs(x), k[C_X_MAX]);
    v128_t xh = wasm_v128_and(xc, wasm_i32x4_splat((int32_t)0xfffff000));
    v128_t xl = wasm_f32x4_sub(xc, xh);
    v128_t xx = wasm_f32x4_mul(xc, xc);
    v128_t xx_lo = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(xh, xh), xx),
                                  wasm_f32x4_mul(xl, wasm_f32x4_add(wasm_f32x4_add(xh, xh), xl)));
    v128_t uh = wasm_f32x4_mul(xx, k[C_HALF]), ul = wasm_f32x4_mul(xx_lo, k[C_HALF]);
    v128_t ac = wasm_f32x4_mul(xc, k[C_RSQRT2]);
    v128_t t = wasm_f32x4_div(k[C_TWO], wasm_f32x4_add(k[C_TWO], ac));
    v128_t q = k[C_Q9];
    for (int i = C_Q8; i <= C_Q0; i++) q = madd(q, t, k[i]);
    v128_t erfc_large = wasm_f32x4_mul(wasm_f32x4_mul(exp4(wasm_f32x4_neg(uh), c), q), wasm_f32x4_sub(one, ul));
    v128_t one_plus_large = wasm_v128_bitselect(erfc_large, wasm_f32x4_sub(k[C_TWO], erfc_large), negative);

    v128_t one_plus_erf = wasm_v128_bitselect(one_plus_large, one_plus_small, wasm_f32x4_ge(a, k[C_SWITCH]));
    return wasm_f32x4_mul(wasm_f32x4_mul(k[C_HALF], x), one_plus_erf);
}

// --- element-wise ops, LayerNorm, quantization --------------------------------------------------

static void gelu_erf_wasm(float *x, int n) {
    MathConstants c;
    load_math_constants(&c);
    int i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, gelu4(wasm_v128_load(x + i), &c));
    if (i < n) {
        float buf[4] = {0};
        memcpy(buf, x + i, sizeof(float) * (size_t)(n - i));
        wasm_v128_store(buf, gelu4(wasm_v128_load(buf), &c));
        memcpy(x + i, buf, sizeof(float) * (size_t)(n - i));
    }
}

static void add_wasm(float *y, const float *x, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_v128_load(x + i)));
    for (; i < n; i++) y[i] += x[i];
}

static void layernorm_wasm(float *y, const float *x, const float *gamma, const float *beta, int N, int D, float eps) {
    // y, x: [N, D]; gamma, beta: [D]
    int D4 = D & ~3;
    for (int n = 0; n < N; n++) {
        const float *xrow = x + (size_t)n * D;
        float *yrow = y + (size_t)n * D;
        v128_t acc = wasm_f32x4_splat(0.0f);
        for (int i = 0; i < D4; i += 4) acc = wasm_f32x4_add(acc, wasm_v128_load(xrow + i));
        float sum = hsum(acc);
        for (int i = D4; i < D; i++) sum += xrow[i];
        float mean = sum / D;
        v128_t vmean = wasm_f32x4_splat(mean);
        acc = wasm_f32x4_splat(0.0f);
        for (int i = 0; i < D4; i += 4) {
            v128_t d = wasm_f32x4_sub(wasm_v128_load(xrow + i), vmean);
            acc = madd(d, d, acc);
        }
        float var = hsum(acc);
        for (int i = D4; i < D; i++) var += (xrow[i] - mean) * (xrow[i] - mean);
        float rstd = 1.0f / sqrtf(var / D + eps);
        v128_t vrstd = wasm_f32x4_splat(rstd);
        for (int i = 0; i < D4; i += 4) {
            v128_t d = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xrow + i), vmean), vrstd);
            wasm_v128_store(yrow + i, madd(d, wasm_v128_load(gamma + i), wasm_v128_load(beta + i)));
        }
        for (int i = D4; i < D; i++) yrow[i] = (xrow[i] - mean) * rstd * gamma[i] + beta[i];
    }
}

static void quantize_q8_wasm(int8_t *xq, float *xs, const float *x, int N, int I, int group_size) {
    // xq: [N, I], xs: [N, I / group_size], x: [N, I]
    int groups = I / group_size, full = group_size & ~3;
    for (int n = 0; n < N; n++) {
        for (int g = 0; g < groups; g++) {
            const float *src = x + (size_t)n * I + (size_t)g * group_size;
            int8_t *dst = xq + (size_t)n * I + (size_t)g * group_size;
            v128_t vmax = wasm_f32x4_splat(0.0f);
            for (int i = 0; i < full; i += 4) vmax = wasm_f32x4_max(vmax, wasm_f32x4_abs(wasm_v128_load(src + i)));
            float amax = hmax(vmax);
            for (int i = full; i < group_size; i++) amax = fmaxf(amax, fabsf(src[i]));
            if (amax < SENT_Q8_TINY) amax = 0.0f;
            float inv_scale = amax > 0.0f ? 127.0f / amax : 0.0f;
            v128_t vinv = wasm_f32x4_splat(inv_scale);
            const v128_t lo = wasm_f32x4_splat(-127.0f), hi = wasm_f32x4_splat(127.0f);
            for (int i = 0; i < full; i += 4) {
                v128_t v = wasm_f32x4_min(wasm_f32x4_max(wasm_f32x4_mul(wasm_v128_load(src + i), vinv), lo), hi);
                v128_t q32 = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(v));   // round half to even
                v128_t q16 = wasm_i16x8_narrow_i32x4(q32, q32);
                v128_t q8 = wasm_i8x16_narrow_i16x8(q16, q16);
                int32_t four = wasm_i32x4_extract_lane(q8, 0);
                memcpy(dst + i, &four, 4);
            }
            for (int i = full; i < group_size; i++)
                dst[i] = (int8_t)fminf(fmaxf(rintf(src[i] * inv_scale), -127.0f), 127.0f);
            xs[(size_t)n * groups + g] = amax / 127.0f;
        }
    }
}

// --- attention ----------------------------------------------------------------------------------

// As in kernels_x86.c: sent_attention_blocked (kernels.c) with a broadcast-A GEMM tile, here 4
// rows x 2 vectors (8 columns): 8 accumulators, 2 B vectors, a broadcast and the product of
// the mul + add, 12 of x64's 16 xmm. B's and C's column tails go through a zero-padded copy
// (no masked loads in SIMD128).
enum { ATT_MR = 4, ATT_NW = 8 };

// c[MR, n] = row_scale * (a[MR, K] . b[K, n]), n <= 8 (FULL: n == 8).
INLINE void att_tile_wasm(float *c, int ldc, const float *a, int lda, const float *b, int ldb, int K, int n,
                          const float *row_scale, const int MR, const int FULL) {
    v128_t acc[ATT_MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = wasm_f32x4_splat(0.0f);
    for (int k = 0; k < K; k++) {
        const float *bk = b + (size_t)k * ldb;
        float pad[ATT_NW] = {0};
        if (!FULL) memcpy(pad, bk, sizeof(float) * (size_t)n), bk = pad;
        v128_t b0 = wasm_v128_load(bk), b1 = wasm_v128_load(bk + 4);
        for (int i = 0; i < MR; i++) {
            v128_t ai = wasm_v128_load32_splat(a + (size_t)i * lda + k);
            acc[i][0] = madd(ai, b0, acc[i][0]);
            acc[i][1] = madd(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < MR; i++) {
        v128_t r = wasm_f32x4_splat(row_scale[i]);
        float *ci = c + (size_t)i * ldc, buf[ATT_NW], *dst = FULL ? ci : buf;
        wasm_v128_store(dst, wasm_f32x4_mul(acc[i][0], r));
        wasm_v128_store(dst + 4, wasm_f32x4_mul(acc[i][1], r));
        if (!FULL) memcpy(ci, buf, sizeof(float) * (size_t)n);
    }
}

#define ATT_TILE_WASM(MR) \
    full ? att_tile_wasm(ct, ldc, at, lda, b + n0, ldb, K, n, rs, MR, 1) : att_tile_wasm(ct, ldc, at, lda, b + n0, ldb, K, n, rs, MR, 0)

static void att_gemm_wasm(float *c, int ldc, const float *a, int lda, const float *b, int ldb, int M, int N, int K,
                          const float *row_scale) {
    // c: [M, N], a: [M, K], b: [K, N], row_scale: [M]; B's columns outside (a [K, 8] slice stays in L1)
    for (int n0 = 0; n0 < N; n0 += ATT_NW) {
        int n = min_int(ATT_NW, N - n0), full = n == ATT_NW;
        for (int m0 = 0; m0 < M; m0 += ATT_MR) {
            int mr = min_int(ATT_MR, M - m0);
            float *ct = c + (size_t)m0 * ldc + n0;
            const float *at = a + (size_t)m0 * lda, *rs = row_scale + m0;
            if (mr == 4) ATT_TILE_WASM(4);
            else if (mr == 3) ATT_TILE_WASM(3);
            else if (mr == 2) ATT_TILE_WASM(2);
            else ATT_TILE_WASM(1);
        }
    }
}

static void att_softmax_rows_wasm(float *s, int ld, int M, int n, float *inv_sum) {
    // s: [M, n] rows ld apart; inv_sum: [M]
    MathConstants mc;
    load_math_constants(&mc);
    int n4 = n & ~3;
    for (int i = 0; i < M; i++) {
        float *row = s + (size_t)i * ld;
        v128_t vm = wasm_f32x4_splat(-INFINITY);
        for (int j = 0; j < n4; j += 4) vm = wasm_f32x4_pmax(vm, wasm_v128_load(row + j));
        float mx = hmax(vm);
        for (int j = n4; j < n; j++) mx = fmaxf(mx, row[j]);
        v128_t vmax = wasm_f32x4_splat(mx), sum = wasm_f32x4_splat(0.0f);
        for (int j = 0; j < n4; j += 4) {
            v128_t p = exp4(wasm_f32x4_sub(wasm_v128_load(row + j), vmax), &mc);
            wasm_v128_store(row + j, p);
            sum = wasm_f32x4_add(sum, p);
        }
        if (n4 < n) {
            float buf[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};   // exp4 gives 0 there
            memcpy(buf, row + n4, sizeof(float) * (size_t)(n - n4));
            v128_t p = exp4(wasm_f32x4_sub(wasm_v128_load(buf), vmax), &mc);
            wasm_v128_store(buf, p);
            memcpy(row + n4, buf, sizeof(float) * (size_t)(n - n4));
            sum = wasm_f32x4_add(sum, p);
        }
        inv_sum[i] = 1.0f / hsum(sum);   // >= 1: the max term is e^0
    }
}

static const SentAttentionOps att_ops_wasm = {.gemm = att_gemm_wasm, .softmax_rows = att_softmax_rows_wasm};

static void attention_wasm(float *out, const float *q, const float *k, const float *v, int ld, const uint8_t *mask,
                           int T, int n_heads, int head_dim, float *scratch) {
    sent_attention_blocked(&att_ops_wasm, out, q, k, v, ld, mask, T, n_heads, head_dim, scratch);
}

// --- linear layers ------------------------------------------------------------------------------

enum { F32_OB = 64, F32_KC = 512 };

// y[MR, NR] (+)= x[MR, K] . w[NR, K]^T (+ bias): 2x4 accumulators of 4 lanes.
INLINE void tile_f32_wasm(float *y, int ldy, const float *x, const float *w, int ld, int K, const float *bias,
                          int accumulate, const int MR, const int NR) {
    v128_t acc[2][4];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = wasm_f32x4_splat(0.0f);
    int K4 = K & ~3;
    for (int k = 0; k < K4; k += 4) {
        v128_t xv[2];
        for (int i = 0; i < MR; i++) xv[i] = wasm_v128_load(x + (size_t)i * ld + k);
        for (int j = 0; j < NR; j++) {
            v128_t wv = wasm_v128_load(w + (size_t)j * ld + k);
            for (int i = 0; i < MR; i++) acc[i][j] = madd(xv[i], wv, acc[i][j]);
        }
    }
    for (int i = 0; i < MR; i++) {
        float sums[4];
        wasm_v128_store(sums, hsum4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]));
        for (int j = 0; j < NR; j++) {
            for (int k = K4; k < K; k++) sums[j] += x[(size_t)i * ld + k] * w[(size_t)j * ld + k];
            float *dst = y + (size_t)i * ldy + j;
            *dst = sums[j] + (accumulate ? *dst : bias ? bias[j] : 0.0f);
        }
    }
}

static void linear_f32_wasm(float *y, const float *x, const float *w, const float *b, int N, int I, int O) {
    // y: [N, O], x: [N, I], w: [O, I], b: [O] or NULL
    for (int o0 = 0; o0 < O; o0 += F32_OB) {
        int o_end = min_int(O, o0 + F32_OB);
        for (int k0 = 0; k0 < I; k0 += F32_KC) {
            int kc = min_int(F32_KC, I - k0), accumulate = k0 > 0;
            for (int n = 0; n < N; n += 2) {
                int mr = min_int(2, N - n);
                for (int o = o0; o < o_end; o += 4) {
                    int nr = min_int(4, o_end - o);
                    float *yt = y + (size_t)n * O + o;
                    const float *xt = x + (size_t)n * I + k0, *wt = w + (size_t)o * I + k0, *bt = b ? b + o : NULL;
                    if (mr == 2 && nr == 4) {
                        tile_f32_wasm(yt, O, xt, wt, I, kc, bt, accumulate, 2, 4);
                    } else {
                        for (int i = 0; i < mr; i++)
                            tile_f32_wasm(yt + (size_t)i * O, O, xt + (size_t)i * I, wt, I, kc, bt, accumulate, 1, nr);
                    }
                }
            }
        }
    }
}

// int8: weights repacked once at load into panels of 8 output rows (SentQ8Format in
// kernels.h), pre-widened to int16 pairs, so i32x4.dot_i16x8 of a panel's two vectors against
// one broadcast pair of x (i16x8.extend of a load16_splat) adds two products into each of 8
// outputs' int32 lanes: no horizontal sums, and the weight widening of the previous kernel
// (done once per 4 x rows) is gone. A 4x8 tile: 8 int32 + 8 float accumulators, which V8
// partly spills on x64's 16 xmm registers. Products <= 127 * 128, pairs <= 32512: the dot is
// exact and i32x4.add wraps, so (see kernels.h) the group sums are exact.
enum { Q8_MR = 4 };

static const SentQ8Format Q8_FORMAT_WASM = {.nr = 8, .ku = 2, .wide = 1, .with_corr = 0};

static size_t q8_packed_size_wasm(const SentQ8 *w) {
    SentQ8Layout L = sent_q8_layout(&Q8_FORMAT_WASM, w->rows, w->cols, w->group_size);
    return L.panel_bytes * L.panels;
}

static void q8_pack_wasm(void *p, const SentQ8 *w) { sent_q8_pack_panels(p, &Q8_FORMAT_WASM, w); }

// x is read through an int16 copy of each 4-row tile (rows up to Q8_MAX_K inputs, zero-padded
// so a group's odd tail reads a neighbour against zero weight padding): a broadcast pair is
// then one v128.load32_splat instead of a load16_splat + i16x8.extend. Longer rows read the
// int8 row directly (PREP = 0).
enum { Q8_MAX_K = 4096, Q8_LDP = Q8_MAX_K + 16 };

// (x[k], x[k+1]) as an int16 pair in every 32-bit lane; from the int8 row, the odd last input
// of a group (last_odd) pairs with 0.
INLINE v128_t x_pair_wasm(const void *x, size_t k, int last_odd, const int PREP) {
    if (PREP) return wasm_v128_load32_splat((const int16_t *)x + k);
    const int8_t *p = (const int8_t *)x + k;
    if (last_odd) return wasm_i32x4_splat((int32_t)(uint16_t)(int16_t)p[0]);
    return wasm_i16x8_extend_low_i8x16(wasm_v128_load16_splat(p));
}

// dst[rows, ldp] = int16 x[rows, I], then zeros up to I + 8.
static void widen_rows_wasm(int16_t *dst, int ldp, const int8_t *x, int ldx, int rows, int I) {
    for (int r = 0; r < rows; r++) {
        int16_t *d = dst + (size_t)r * ldp;
        const int8_t *src = x + (size_t)r * ldx;
        int k = 0;
        for (; k + 16 <= I; k += 16) {
            v128_t v = wasm_v128_load(src + k);
            wasm_v128_store(d + k, wasm_i16x8_extend_low_i8x16(v));
            wasm_v128_store(d + k + 8, wasm_i16x8_extend_high_i8x16(v));
        }
        for (; k < I; k++) d[k] = src[k];
        wasm_v128_store(d + I, wasm_i32x4_splat(0));
    }
}

// y[MR, count] = act(sum over groups of xs * ws * (x . w) + bias), one panel of 8 outputs.
// ONE_GROUP (one scale per row, L->groups == 1): the float sums are made once, after the int32
// loop, so they are not live in it: 8 int32 accumulators + 2 weights + 1 broadcast fit x64's 16
// xmm registers, where with 8 float sums beside them V8 spills in the inner loop.
INLINE void tile_q8_wasm(float *y, int ldy, const void *x, int ldx, const float *xs, int ldxs,
                         const unsigned char *panel, const SentQ8Layout *L, int gs, const float *bias, int count,
                         int flags, const MathConstants *mc, const int MR, const int PREP, const int ONE_GROUP) {
    const int16_t *wp = (const int16_t *)panel;                   // [groups][steps][8][2]
    const float *ws = (const float *)(panel + L->scale_offset);   // [groups][8]
    int pairs = gs / 2;
    v128_t accf[Q8_MR][2];
    for (int i = 0; i < MR; i++) accf[i][0] = accf[i][1] = wasm_f32x4_splat(0.0f);
    for (int g = 0; g < (ONE_GROUP ? 1 : L->groups); g++) {
        size_t xg = (size_t)g * gs;
        const int16_t *wg = wp + (size_t)g * L->steps * 16;
        v128_t acc[Q8_MR][2];
        for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = wasm_i32x4_splat(0);
        for (int s = 0; s < pairs; s++) {
            v128_t w0 = wasm_v128_load(wg + (size_t)s * 16), w1 = wasm_v128_load(wg + (size_t)s * 16 + 8);
            for (int i = 0; i < MR; i++) {
                v128_t xv = x_pair_wasm(x, (size_t)i * ldx + xg + 2 * s, 0, PREP);
                acc[i][0] = wasm_i32x4_add(acc[i][0], wasm_i32x4_dot_i16x8(xv, w0));
                acc[i][1] = wasm_i32x4_add(acc[i][1], wasm_i32x4_dot_i16x8(xv, w1));
            }
        }
        if (gs & 1) {
            v128_t w0 = wasm_v128_load(wg + (size_t)pairs * 16), w1 = wasm_v128_load(wg + (size_t)pairs * 16 + 8);
            for (int i = 0; i < MR; i++) {
                v128_t xv = x_pair_wasm(x, (size_t)i * ldx + xg + gs - 1, 1, PREP);
                acc[i][0] = wasm_i32x4_add(acc[i][0], wasm_i32x4_dot_i16x8(xv, w0));
                acc[i][1] = wasm_i32x4_add(acc[i][1], wasm_i32x4_dot_i16x8(xv, w1));
            }
        }
        v128_t ws0 = wasm_v128_load(ws + (size_t)g * 8), ws1 = wasm_v128_load(ws + (size_t)g * 8 + 4);
        for (int i = 0; i < MR; i++) {
            v128_t xsv = wasm_f32x4_splat(xs[(size_t)i * ldxs + g]);
            accf[i][0] = madd(wasm_f32x4_convert_i32x4(acc[i][0]), wasm_f32x4_mul(ws0, xsv), accf[i][0]);
            accf[i][1] = madd(wasm_f32x4_convert_i32x4(acc[i][1]), wasm_f32x4_mul(ws1, xsv), accf[i][1]);
        }
    }
    float bias8[8] = {0};
    if (bias) memcpy(bias8, bias, sizeof(float) * (size_t)count);
    v128_t b0 = wasm_v128_load(bias8), b1 = wasm_v128_load(bias8 + 4);
    for (int i = 0; i < MR; i++) {
        v128_t v0 = wasm_f32x4_add(accf[i][0], b0), v1 = wasm_f32x4_add(accf[i][1], b1);
        if (flags & SENT_LINEAR_GELU) v0 = gelu4(v0, mc), v1 = gelu4(v1, mc);
        float *dst = y + (size_t)i * ldy;
        if (count == 8) {
            wasm_v128_store(dst, v0);
            wasm_v128_store(dst + 4, v1);
        } else {
            float out[8];
            wasm_v128_store(out, v0);
            wasm_v128_store(out + 4, v1);
            memcpy(dst, out, sizeof(float) * (size_t)count);
        }
    }
}

#define Q8_TILE_WASM(MR, PREP, ONE_GROUP) \
    tile_q8_wasm(yt, O, src, ld, xst, L.groups, panel, &L, gs, bt, count, flags, &mc, MR, PREP, ONE_GROUP)

static void linear_q8_wasm(float *y, const int8_t *xq, const float *xs, const SentQ8 *w, const void *packed,
                           const float *b, int N, int I, int O, int flags) {
    // y: [N, O], xq: [N, I], xs: [N, I / gs], packed: Q8_FORMAT_WASM panels of w [O, I]
    static _Thread_local int16_t xw[Q8_MR * Q8_LDP] __attribute__((aligned(16)));   // [MR, Q8_LDP], one per thread (parallel.h)
    int gs = w->group_size, prep = I <= Q8_MAX_K;
    SentQ8Layout L = sent_q8_layout(&Q8_FORMAT_WASM, O, I, gs);
    MathConstants mc;
    load_math_constants(&mc);
    // Row tiles outside, panels inside: the x copy is made once per tile; the weights of a
    // whole layer (<= 2 x 3 MiB as int16 for distilbert-base) come from L2/L3 either way.
    for (int n = 0; n < N; n += Q8_MR) {
        int mr = min_int(Q8_MR, N - n), ld = I;
        const int8_t *xt = xq + (size_t)n * I;
        const void *src = xt;
        if (prep) widen_rows_wasm(xw, Q8_LDP, xt, I, mr, I), src = xw, ld = Q8_LDP;
        const float *xst = xs + (size_t)n * L.groups;
        for (int p = 0; p < L.panels; p++) {
            const unsigned char *panel = (const unsigned char *)packed + L.panel_bytes * p;
            int o = p * 8, count = min_int(8, O - o);
            const float *bt = b ? b + o : NULL;
            float *yt = y + (size_t)n * O + o;
            if (prep) {
                if (mr == 4 && L.groups == 1) Q8_TILE_WASM(4, 1, 1);
                else if (mr == 4) Q8_TILE_WASM(4, 1, 0);
                else if (mr == 3) Q8_TILE_WASM(3, 1, 0);
                else if (mr == 2) Q8_TILE_WASM(2, 1, 0);
                else Q8_TILE_WASM(1, 1, 0);
            } else {
                if (mr == 4) Q8_TILE_WASM(4, 0, 0);
                else if (mr == 3) Q8_TILE_WASM(3, 0, 0);
                else if (mr == 2) Q8_TILE_WASM(2, 0, 0);
                else Q8_TILE_WASM(1, 0, 0);
            }
        }
    }
}

static const SentKernels wasm_kernels = {
    .name = "wasm-simd128",
    .linear_f32 = linear_f32_wasm,
    .quantize_q8 = quantize_q8_wasm,
    .q8_packed_size = q8_packed_size_wasm,
    .q8_pack = q8_pack_wasm,
    .linear_q8 = linear_q8_wasm,
    .layernorm = layernorm_wasm,
    .gelu_erf = gelu_erf_wasm,
    .add = add_wasm,
    .attention = attention_wasm,
};

const SentKernels *sent_kernels_wasm(void) { return &wasm_kernels; }

#else   // neither WebAssembly nor the simde emulation: no wasm table

const SentKernels *sent_kernels_wasm(void) { return NULL; }

#endif
