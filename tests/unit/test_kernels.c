// Every kernel table this build and CPU can run (scalar, avx2, avx512, avx512vnni, and the wasm
// table through libsimde) against the scalar reference, on random data over odd sizes; plus
// known values for the reference itself, and the properties the model relies on (padding is
// ignored, attention weights sum to one, int8 stays within its quantization error).
//
// Tolerances:
// - fp32 dot products: |y - ref| <= 2e-6 * sum|x_i w_i| + 1e-6 * |b| (float accumulation over
//   up to 3072 terms in vector lanes; the bound is relative to the magnitudes summed).
// - quantize_q8 and add: bit-exact (the rounding is part of the contract).
// - linear_q8 (each table on its own packed weights): the integer dot products are exact, so
//   only the float scaling and summation differ: |y - ref| <= q8_tolerance (q8_tolerance.h: (G +
//   6) * 2^-24 * (sum_g xs ws sum|xq wq| + |b|) over G groups); with the fused GELU, against
//   GELU in double of the reference, 1.13 times that (the slope of GELU) + 1e-6 relative.
// - int8 vs fp32 on the same weights: |y - y32| <= sum_i |w_i| xs_g / 2 (half a step of
//   activation quantization per input) + the fp32 tolerance.
// - LayerNorm, attention: 1e-5 relative + 2e-6 absolute (outputs are O(1)).
// - GELU: 1e-6 relative to erf in double; against 0.5 x (1 + erff(x / sqrt 2)) in float, whose
//   own error is ~|x| * 6e-8 near the negative tail, 2e-7 |x| + 1e-6 |y|.
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels.h"
#include "q8_tolerance.h"
#include "util.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng_u32(void) {   // xorshift64*
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static float rng_uniform(float lo, float hi) { return lo + (hi - lo) * (float)(rng_u32() >> 8) / 16777216.0f; }

static float *random_floats(size_t n, float lo, float hi) {
    float *p = mallocCheck(n * sizeof(float) + 1);   // +1 byte: never a zero-size allocation
    for (size_t i = 0; i < n; i++) p[i] = rng_uniform(lo, hi);
    return p;
}

// Weights over the whole int8 range, -128 included (a converter may write it).
static int8_t *random_q8(size_t n) {
    int8_t *p = mallocCheck(n + 1);
    for (size_t i = 0; i < n; i++) p[i] = (int8_t)((int)(rng_u32() % 256) - 128);
    if (n > 0) p[0] = -128;
    return p;
}

// --- the reference itself, on values computed by hand or by libm in double ---------------------

static void test_scalar_known_values(void) {
    const SentKernels *k = sent_kernels_scalar();
    // [2, 3] . [2, 3]^T + b
    float x[6] = {1, 2, 3, -1, 0.5f, 2}, w[6] = {1, 0, -1, 2, 1, 0.5f}, b[2] = {0.5f, -1}, y[4];
    k->linear_f32(y, x, w, b, 2, 3, 2);
    CHECK_NEAR(y[0], 1 - 3 + 0.5, 1e-6);
    CHECK_NEAR(y[1], 2 + 2 + 1.5 - 1, 1e-6);
    CHECK_NEAR(y[2], -1 - 2 + 0.5, 1e-6);
    CHECK_NEAR(y[3], -2 + 0.5 + 1 - 1, 1e-6);

    float ln[3] = {1, 2, 3}, gamma[3] = {1, 2, 1}, beta[3] = {0, 0, 1};
    k->layernorm(ln, ln, gamma, beta, 1, 3, 0.0f);   // mean 2, var 2/3
    CHECK_NEAR(ln[0], -sqrt(1.5), 1e-6);
    CHECK_NEAR(ln[1], 0.0, 1e-6);
    CHECK_NEAR(ln[2], sqrt(1.5) + 1, 1e-6);

    float g[3] = {1.0f, -1.0f, 0.0f};
    k->gelu_erf(g, 3);
    CHECK_NEAR(g[0], 0.8413447460685429, 1e-7);
    CHECK_NEAR(g[1], -0.15865525393145707, 1e-7);
    CHECK(g[2] == 0.0f);

    // amax 127 gives scale 1: ties round to even (2.5 -> 2, -3.5 -> -4).
    float qx[4] = {127.0f, 2.5f, -3.5f, 0.4f};
    int8_t q[4];
    float qs;
    k->quantize_q8(q, &qs, qx, 1, 4, 4);
    CHECK(qs == 1.0f && q[0] == 127 && q[1] == 2 && q[2] == -4 && q[3] == 0);

    // One head, two keys, second padded: the query sees only the first value.
    float aq[4] = {1, 0, 0, 1}, ak[4] = {1, 0, 5, 5}, av[4] = {3, -2, 100, 100}, ao[4];
    float *scratch = mallocCheck(sent_attention_scratch_floats(2, 1, 2) * sizeof(float));
    uint8_t mask[2] = {1, 0};
    k->attention(ao, aq, ak, av, 2, mask, 2, 1, 2, scratch);
    for (int t = 0; t < 2; t++) CHECK(fabsf(ao[2 * t] - 3.0f) < 1e-6f && fabsf(ao[2 * t + 1] + 2.0f) < 1e-6f);
    // Both keys real: weights softmax(q.k / sqrt 2) = softmax(1/sqrt2, 5/sqrt2) for query 0.
    uint8_t both[2] = {1, 1};
    k->attention(ao, aq, ak, av, 2, both, 2, 1, 2, scratch);
    double p1 = 1.0 / (1.0 + exp((1.0 - 5.0) / sqrt(2.0)));   // weight of key 1
    CHECK_NEAR(ao[0], 3.0 * (1.0 - p1) + 100.0 * p1, 1e-4);
    free(scratch);
}

// --- each table against the reference ----------------------------------------------------------

static void test_linear_f32(const SentKernels *k) {
    static const int sizes[][3] = {   // N, I, O
        {1, 1, 1},     {3, 17, 5},    {1, 768, 2},    {17, 255, 33},  {5, 768, 64},   {64, 768, 70},
        {4, 3072, 64}, {7, 64, 3072}, {130, 100, 67}, {9, 513, 129},  {2, 1025, 3},   {33, 3, 255},
    };
    for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        int N = sizes[c][0], I = sizes[c][1], O = sizes[c][2];
        float *x = random_floats((size_t)N * I + 1, -1, 1), *w = random_floats((size_t)O * I + 1, -1, 1);
        float *b = random_floats((size_t)O, -1, 1);
        float *y = mallocCheck((size_t)N * O * sizeof(float)), *ref = mallocCheck((size_t)N * O * sizeof(float));
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            // x + 1: rows that start off any vector alignment.
            const float *xin = x + 1, *bias = with_bias ? b : NULL;
            sent_kernels_scalar()->linear_f32(ref, xin, w, bias, N, I, O);
            k->linear_f32(y, xin, w, bias, N, I, O);
            double worst = 0.0;
            int bad = 0;
            for (int n = 0; n < N; n++)
                for (int o = 0; o < O; o++) {
                    double mag = 0.0;
                    for (int i = 0; i < I; i++) mag += fabs((double)xin[(size_t)n * I + i] * w[(size_t)o * I + i]);
                    double tol = 2e-6 * mag + (bias ? 1e-6 * fabs(bias[o]) : 0.0) + 1e-30;
                    double err = fabs((double)y[(size_t)n * O + o] - ref[(size_t)n * O + o]);
                    if (err > tol) bad++;
                    if (err / tol > worst) worst = err / tol;
                }
            CHECK_MSG(bad == 0, "%s linear_f32 N=%d I=%d O=%d bias=%d: %d outputs off, worst %.2f x tol", k->name, N,
                      I, O, with_bias, bad, worst);
        }
        free(x), free(w), free(b), free(y), free(ref);
    }
}

static void test_quantize_q8(const SentKernels *k) {
    static const int sizes[][3] = {   // N, I, group_size
        {1, 1, 1},   {3, 17, 17}, {2, 255, 3},  {5, 255, 85}, {4, 768, 768}, {3, 768, 32},
        {2, 768, 8}, {1, 3072, 64}, {2, 3072, 3072}, {7, 40, 5},
        {30, 3072, 64},   // large enough for the threaded path
    };
    for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        int N = sizes[c][0], I = sizes[c][1], gs = sizes[c][2], groups = I / gs;
        float *x = random_floats((size_t)N * I, -3, 3);
        for (int i = 0; i < gs; i++) x[i] = 0.0f;                                  // a group of zeros
        if (N > 1)
            for (int i = 0; i < gs; i++) x[(size_t)I + i] = 1e-35f * (float)(i % 3);   // below SENT_Q8_TINY
        int8_t *q = mallocCheck((size_t)N * I), *qref = mallocCheck((size_t)N * I);
        float *s = mallocCheck((size_t)N * groups * sizeof(float)), *sref = mallocCheck((size_t)N * groups * sizeof(float));
        sent_kernels_scalar()->quantize_q8(qref, sref, x, N, I, gs);
        k->quantize_q8(q, s, x, N, I, gs);
        CHECK_MSG(!memcmp(q, qref, (size_t)N * I), "%s quantize_q8 N=%d I=%d gs=%d: bytes differ", k->name, N, I, gs);
        CHECK_MSG(!memcmp(s, sref, (size_t)N * groups * sizeof(float)), "%s quantize_q8 N=%d I=%d gs=%d: scales differ",
                  k->name, N, I, gs);
        int in_range = 1;
        for (size_t i = 0; i < (size_t)N * I; i++) in_range &= q[i] >= -127;
        CHECK(in_range);
        CHECK(sref[0] == 0.0f && qref[0] == 0);
        free(x), free(q), free(qref), free(s), free(sref);
    }
}

// Double-precision GELU, the yardstick for the fused GELU of linear_q8.
static double gelu_ref(double v) { return 0.5 * v * erfc(-v / sqrt(2.0)); }

// The table's packed copy of w (NULL for the scalar table's identity packing).
static void *pack_for(const SentKernels *k, const SentQ8 *w) {
    void *packed = NULL;
    CHECK_MSG(sent_q8_pack(k, w, &packed) == 0, "%s q8_pack: out of memory", k->name);
    CHECK_MSG(!k->q8_packed_size(w) == !packed, "%s q8_pack: packed size and pointer disagree", k->name);
    return packed;
}

// Shapes not multiples of any tile (N of 4 rows, O of 8/16/32 outputs), group sizes 32, 64
// and per row, and group sizes that are not multiples of the 2- or 4-input k steps.
static void test_linear_q8(const SentKernels *k) {
    static const int sizes[][4] = {   // N, I, O, group_size
        {1, 1, 1, 1},      {3, 17, 5, 17},    {2, 255, 7, 3},     {5, 255, 64, 85},  {4, 768, 50, 768},
        {9, 768, 100, 32}, {6, 768, 49, 8},   {5, 3072, 20, 64},  {4, 3072, 7, 3072}, {17, 64, 130, 64},
        {1, 768, 2, 768},  {130, 96, 97, 48}, {3, 200, 11, 100},  {8, 120, 13, 40},  {7, 192, 33, 64},
        {13, 96, 47, 32},  {5, 99, 31, 33},   {6, 102, 17, 51},   {11, 70, 63, 70},  {4, 256, 256, 64},
        {2, 130, 16, 65},  {9, 66, 15, 66},   {3, 1024, 19, 1024}, {5, 45, 9, 15},  {6, 4160, 37, 64},
        {3, 4097, 9, 4097}, {5, 4096, 70, 4096},   // rows longer than the SIMD tables' x tile copy, and exactly as long
    };
    for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        int N = sizes[c][0], I = sizes[c][1], O = sizes[c][2], gs = sizes[c][3], groups = I / gs;
        float *x = random_floats((size_t)N * I, -2, 2), *b = random_floats((size_t)O, -1, 1);
        int8_t *wq = random_q8((size_t)O * I), *xq = mallocCheck((size_t)N * I);
        float *ws = random_floats((size_t)O * groups, 0.001f, 0.02f), *xs = mallocCheck((size_t)N * groups * sizeof(float));
        SentQ8 w = {.q = wq, .scale = ws, .rows = O, .cols = I, .group_size = gs};
        float *y = mallocCheck((size_t)N * O * sizeof(float)), *ref = mallocCheck((size_t)N * O * sizeof(float));
        sent_kernels_scalar()->quantize_q8(xq, xs, x, N, I, gs);
        // Activations over all of -127..127 on one row (quantize_q8 never writes -128).
        for (int i = 0; i < I; i++) xq[i] = (int8_t)(i % 255 - 127);
        void *packed = pack_for(k, &w);
        for (int variant = 0; variant < 4; variant++) {
            int with_bias = variant & 1, flags = variant & 2 ? SENT_LINEAR_GELU : 0;
            const float *bias = with_bias ? b : NULL;
            sent_kernels_scalar()->linear_q8(ref, xq, xs, &w, NULL, bias, N, I, O, 0);
            k->linear_q8(y, xq, xs, &w, packed, bias, N, I, O, flags);
            int bad = 0;
            for (int n = 0; n < N; n++)
                for (int o = 0; o < O; o++) {
                    double mag = bias ? fabs(bias[o]) : 0.0;
                    for (int g = 0; g < groups; g++) {
                        double dot = 0.0;
                        for (int i = g * gs; i < (g + 1) * gs; i++)
                            dot += fabs((double)xq[(size_t)n * I + i] * wq[(size_t)o * I + i]);
                        mag += dot * xs[(size_t)n * groups + g] * ws[(size_t)o * groups + g];
                    }
                    double r = ref[(size_t)n * O + o], tol = q8_tolerance(groups, mag);
                    // GELU: its slope is below 1.13, plus the SIMD GELU's own 1e-6 relative error.
                    if (flags) r = gelu_ref(r), tol = 1.13 * tol + 1e-6 * fabs(r) + 1e-30;
                    if (fabs((double)y[(size_t)n * O + o] - r) > tol) bad++;
                }
            CHECK_MSG(bad == 0, "%s linear_q8 N=%d I=%d O=%d gs=%d bias=%d gelu=%d: %d outputs off", k->name, N, I, O,
                      gs, with_bias, flags != 0, bad);
        }
        sent_kernels_scalar()->quantize_q8(xq, xs, x, N, I, gs);

        // Against fp32 on the dequantized weights: within half a quantization step per input.
        float *wf = mallocCheck((size_t)O * I * sizeof(float)), *y32 = mallocCheck((size_t)N * O * sizeof(float));
        for (int o = 0; o < O; o++)
            for (int i = 0; i < I; i++) wf[(size_t)o * I + i] = wq[(size_t)o * I + i] * ws[(size_t)o * groups + i / gs];
        k->linear_q8(y, xq, xs, &w, packed, b, N, I, O, 0);
        sent_kernels_scalar()->linear_f32(y32, x, wf, b, N, I, O);
        int outside = 0;
        for (int n = 0; n < N; n++)
            for (int o = 0; o < O; o++) {
                double bound = 1e-6 * fabs(b[o]);
                for (int i = 0; i < I; i++) {
                    double wi = fabs((double)wf[(size_t)o * I + i]);
                    bound += wi * (0.5 * xs[(size_t)n * groups + i / gs] + 2e-6 * fabs(x[(size_t)n * I + i]));
                }
                if (fabs((double)y[(size_t)n * O + o] - y32[(size_t)n * O + o]) > bound) outside++;
            }
        CHECK_MSG(outside == 0, "%s linear_q8 vs fp32 N=%d I=%d O=%d gs=%d: %d outputs beyond the quantization bound",
                  k->name, N, I, O, gs, outside);
        free(x), free(b), free(wq), free(xq), free(ws), free(xs), free(y), free(ref), free(wf), free(y32), free(packed);
    }
}

// The worst case for int32 accumulation: every weight -128, every activation -127 or 127
// (largest products, and VNNI's u8 + 128 offset at its extreme), per-row groups of 3072.
static void test_linear_q8_extremes(const SentKernels *k) {
    enum { N = 5, I = 3072, O = 19 };
    int8_t *wq = mallocCheck((size_t)O * I), *xq = mallocCheck((size_t)N * I);
    float ws[O], xs[N], y[N * O], ref[N * O];
    for (int o = 0; o < O; o++) ws[o] = 1e-3f;
    for (int n = 0; n < N; n++) xs[n] = 1e-3f;
    for (size_t i = 0; i < (size_t)O * I; i++) wq[i] = (int8_t)(i % 7 == 3 ? 127 : -128);
    for (size_t i = 0; i < (size_t)N * I; i++) xq[i] = (int8_t)(i / I % 2 ? 127 : -127);
    SentQ8 w = {.q = wq, .scale = ws, .rows = O, .cols = I, .group_size = I};
    void *packed = pack_for(k, &w);
    sent_kernels_scalar()->linear_q8(ref, xq, xs, &w, NULL, NULL, N, I, O, 0);
    k->linear_q8(y, xq, xs, &w, packed, NULL, N, I, O, 0);
    int bad = 0;
    for (int i = 0; i < N * O; i++) bad += fabs((double)y[i] - ref[i]) > 1e-6 * fabs(ref[i]);
    CHECK_MSG(bad == 0, "%s linear_q8 extremes: %d outputs off", k->name, bad);
    free(wq), free(xq), free(packed);
}

static void test_layernorm(const SentKernels *k) {
    static const int sizes[][2] = {{1, 1}, {3, 3}, {2, 17}, {5, 64}, {4, 255}, {7, 768}, {2, 1001},
                                   {100, 768}};   // large enough for the threaded path
    for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        int N = sizes[c][0], D = sizes[c][1];
        float *x = random_floats((size_t)N * D, -4, 6), *gamma = random_floats((size_t)D, 0.5f, 1.5f);
        float *beta = random_floats((size_t)D, -1, 1);
        float *y = mallocCheck((size_t)N * D * sizeof(float)), *ref = mallocCheck((size_t)N * D * sizeof(float));
        sent_kernels_scalar()->layernorm(ref, x, gamma, beta, N, D, 1e-12f);
        k->layernorm(y, x, gamma, beta, N, D, 1e-12f);
        int bad = 0;
        for (size_t i = 0; i < (size_t)N * D; i++) bad += fabs((double)y[i] - ref[i]) > 2e-6 + 1e-5 * fabs(ref[i]);
        CHECK_MSG(bad == 0, "%s layernorm N=%d D=%d: %d values off", k->name, N, D, bad);
        k->layernorm(x, x, gamma, beta, N, D, 1e-12f);   // in place
        CHECK_MSG(!memcmp(x, y, (size_t)N * D * sizeof(float)), "%s layernorm N=%d D=%d: in place differs", k->name, N, D);
        free(x), free(gamma), free(beta), free(y), free(ref);
    }
}

static void test_gelu(const SentKernels *k) {
    int n = 4001;
    float *x = mallocCheck((size_t)n * sizeof(float)), *y = mallocCheck((size_t)n * sizeof(float));
    for (int i = 0; i < n; i++) x[i] = -13.0f + 26.0f * (float)i / (float)(n - 1);   // both tails and 0
    x[1] = rng_uniform(-1e-3f, 1e-3f);
    x[2] = 1e-30f;
    memcpy(y, x, (size_t)n * sizeof(float));
    k->gelu_erf(y, n);
    double worst_double = 0.0, worst_erff = 0.0;
    int bad_double = 0, bad_erff = 0;
    for (int i = 0; i < n; i++) {
        double exact = 0.5 * x[i] * erfc(-x[i] / sqrt(2.0));
        double err = fabs(y[i] - exact);
        if (err > 1e-6 * fabs(exact) + 1e-37) bad_double++;
        if (fabs(exact) > 1e-30 && err / fabs(exact) > worst_double) worst_double = err / fabs(exact);
        float with_erff = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678f));
        double err_erff = fabs((double)y[i] - with_erff);
        if (err_erff > 2e-7 * fabs(x[i]) + 1e-6 * fabs(with_erff)) bad_erff++;
        if (fabs(x[i]) > 0 && err_erff / fabs(x[i]) > worst_erff) worst_erff = err_erff / fabs(x[i]);
    }
    CHECK_MSG(bad_double == 0, "%s gelu: %d values off erf in double (worst relative %.3g)", k->name, bad_double,
              worst_double);
    CHECK_MSG(bad_erff == 0, "%s gelu: %d values off the erff formula (worst |diff|/|x| %.3g)", k->name, bad_erff,
              worst_erff);
    printf("  %-13s gelu: max relative error vs erf in double %.3g, max |diff|/|x| vs erff formula %.3g\n", k->name,
           worst_double, worst_erff);
    // A long array (the threaded path splits it in chunks) against the reference.
    int long_n = 200003;
    float *got = random_floats((size_t)long_n, -6, 6), *want = mallocCheck((size_t)long_n * sizeof(float));
    memcpy(want, got, (size_t)long_n * sizeof(float));
    k->gelu_erf(got, long_n);
    sent_kernels_scalar()->gelu_erf(want, long_n);
    int bad_long = 0;
    for (int i = 0; i < long_n; i++) bad_long += fabs((double)got[i] - want[i]) > 1e-6 * fabs(want[i]) + 1e-37;
    CHECK_MSG(bad_long == 0, "%s gelu n=%d: %d values off", k->name, long_n, bad_long);
    free(got), free(want);
    // Odd lengths exercise the tails.
    for (int len = 1; len <= 19; len += 3) {
        float a[19], r[19];
        for (int i = 0; i < len; i++) a[i] = r[i] = rng_uniform(-5, 5);
        k->gelu_erf(a, len);
        sent_kernels_scalar()->gelu_erf(r, len);
        int bad = 0;
        for (int i = 0; i < len; i++) bad += fabs((double)a[i] - r[i]) > 1e-6 * fabs(r[i]) + 1e-37;
        CHECK_MSG(bad == 0, "%s gelu length %d", k->name, len);
    }
    free(x), free(y);
}

static void test_add(const SentKernels *k) {
    static const int lengths[] = {1, 3, 8, 17, 255, 1000};
    for (size_t c = 0; c < sizeof lengths / sizeof lengths[0]; c++) {
        int n = lengths[c];
        float *a = random_floats((size_t)n, -1, 1), *b = random_floats((size_t)n, -1, 1);
        float *expected = mallocCheck((size_t)n * sizeof(float));
        for (int i = 0; i < n; i++) expected[i] = a[i] + b[i];
        k->add(a, b, n);
        CHECK_MSG(!memcmp(a, expected, (size_t)n * sizeof(float)), "%s add n=%d", k->name, n);
        free(a), free(b), free(expected);
    }
}

static void test_attention(const SentKernels *k) {
    static const int sizes[][3] = {   // T, n_heads, head_dim
        {1, 1, 1}, {1, 4, 64}, {3, 2, 3}, {7, 2, 64}, {7, 4, 32}, {8, 1, 8}, {17, 4, 17}, {64, 2, 64},
        {64, 4, 32}, {130, 3, 32}, {33, 12, 64}, {9, 2, 5}, {5, 1, 260}, {300, 2, 64}, {300, 3, 32},
        {512, 4, 64},   // the shipped shape's longest input: 8 query blocks, many full tiles
        {512, 2, 32},
    };
    for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        int T = sizes[c][0], H = sizes[c][1], hd = sizes[c][2], C = H * hd;
        size_t n = (size_t)T * C;
        float *q = random_floats(n, -3, 3), *kk = random_floats(n, -3, 3), *v = random_floats(n, -1, 1);
        float *out = mallocCheck(n * sizeof(float)), *ref = mallocCheck(n * sizeof(float));
        float *scratch = mallocCheck(sent_attention_scratch_floats(T, H, hd) * sizeof(float));
        uint8_t *mask = mallocCheck((size_t)T);
        // Real tokens first, then padding, as the model lays out a batch row.
        int real = T > 2 ? T - T / 3 : T;
        for (int t = 0; t < T; t++) mask[t] = t < real;

        sent_kernels_scalar()->attention(ref, q, kk, v, C, mask, T, H, hd, scratch);
        k->attention(out, q, kk, v, C, mask, T, H, hd, scratch);
        // Each output is a convex combination of T values in [-1, 1] that may cancel to near 0,
        // so its float error scales with max |v| (1), not with |out|: kernels that sum in another
        // order differ from the scalar one by up to ~2.5e-6 at T = 512 (seen on the simde table).
        int bad = 0;
        for (size_t i = 0; i < n; i++) bad += fabs((double)out[i] - ref[i]) > 1e-5 + 1e-5 * fabs(ref[i]);
        CHECK_MSG(bad == 0, "%s attention T=%d H=%d hd=%d: %d values off", k->name, T, H, hd, bad);

        // Padded keys are ignored: other values there (even NaN) change nothing, bit for bit.
        float *again = mallocCheck(n * sizeof(float));
        for (int t = real; t < T; t++)
            for (int i = 0; i < C; i++) {
                kk[(size_t)t * C + i] = i % 2 ? NAN : 1e4f;
                v[(size_t)t * C + i] = i % 3 ? NAN : -1e4f;
            }
        k->attention(again, q, kk, v, C, mask, T, H, hd, scratch);
        CHECK_MSG(!memcmp(again, out, n * sizeof(float)), "%s attention T=%d H=%d hd=%d: padded keys leak", k->name,
                  T, H, hd);

        // q, k, v side by side in rows of 3C (the fused QKV projection's layout): the same output.
        float *qkv = mallocCheck(3 * n * sizeof(float));
        for (int t = 0; t < T; t++) {
            memcpy(qkv + (size_t)t * 3 * C, q + (size_t)t * C, (size_t)C * sizeof(float));
            memcpy(qkv + (size_t)t * 3 * C + C, kk + (size_t)t * C, (size_t)C * sizeof(float));
            memcpy(qkv + (size_t)t * 3 * C + 2 * C, v + (size_t)t * C, (size_t)C * sizeof(float));
        }
        k->attention(again, qkv, qkv + C, qkv + 2 * C, 3 * C, mask, T, H, hd, scratch);
        CHECK_MSG(!memcmp(again, out, n * sizeof(float)), "%s attention T=%d H=%d hd=%d: row stride 3C differs",
                  k->name, T, H, hd);
        free(qkv);

        // The weights of each query sum to one: with every value 1 the output is 1, within the
        // worst-case rounding of two float sums of T terms (denominator and output).
        for (size_t i = 0; i < n; i++) v[i] = 1.0f;
        k->attention(again, q, kk, v, C, mask, T, H, hd, scratch);
        int off_one = 0;
        for (size_t i = 0; i < n; i++) off_one += fabs(again[i] - 1.0) > 1e-6 + 1.2e-7 * T;
        CHECK_MSG(off_one == 0, "%s attention T=%d: %d outputs show weights not summing to 1", k->name, T, off_one);

        // Every key masked: nothing to attend to, the output is zero.
        memset(mask, 0, (size_t)T);
        k->attention(again, q, kk, v, C, mask, T, H, hd, scratch);
        int nonzero = 0;
        for (size_t i = 0; i < n; i++) nonzero += again[i] != 0.0f;
        CHECK_MSG(nonzero == 0, "%s attention T=%d all masked: %d nonzero outputs", k->name, T, nonzero);
        free(q), free(kk), free(v), free(out), free(ref), free(scratch), free(mask), free(again);
    }
}

// Non-finite and huge inputs (a corrupt model can produce them): every op runs to the end
// without a sanitizer report, quantization stays in [-127, 127], finite rows stay finite.
static void test_hostile_values(const SentKernels *k) {
    enum { N = 3, I = 64, O = 5, GS = 32 };
    float x[N * I], w[O * I], y[N * O], xs[N * (I / GS)];
    int8_t xq[N * I], wq[O * I];
    float ws[O * (I / GS)];
    for (int i = 0; i < N * I; i++) x[i] = rng_uniform(-1, 1);
    for (int i = 0; i < O * I; i++) w[i] = rng_uniform(-1, 1), wq[i] = (int8_t)(i % 255 - 127);
    for (int i = 0; i < O * (I / GS); i++) ws[i] = 0.01f;
    x[3] = NAN, x[I + 5] = INFINITY, x[I + 6] = -INFINITY, x[2 * I + 7] = 1e30f;   // row 2: huge but finite
    k->quantize_q8(xq, xs, x, N, I, GS);
    int in_range = 1;
    for (int i = 0; i < N * I; i++) in_range &= xq[i] >= -127;
    CHECK_MSG(in_range, "%s quantize_q8: a byte below -127 on non-finite input", k->name);
    SentQ8 q = {.q = wq, .scale = ws, .rows = O, .cols = I, .group_size = GS};
    void *packed = pack_for(k, &q);
    k->linear_q8(y, xq, xs, &q, packed, NULL, N, I, O, 0);
    free(packed);
    int finite = 1;
    for (int o = 0; o < O; o++) finite &= isfinite(y[2 * O + o]);
    CHECK_MSG(finite, "%s linear_q8: a huge but finite row gave a non-finite output", k->name);
    k->linear_f32(y, x, w, NULL, N, I, O);
    float g[N * I], gamma[I], beta[I];
    for (int i = 0; i < I; i++) gamma[i] = 1, beta[i] = 0;
    k->layernorm(g, x, gamma, beta, N, I, 1e-12f);
    memcpy(g, x, sizeof g);
    k->gelu_erf(g, N * I);
    uint8_t mask[N] = {1, 1, 1};
    float *scratch = mallocCheck(sent_attention_scratch_floats(N, 2, I / 2) * sizeof(float));
    k->attention(g, x, x, x, I, mask, N, 2, I / 2, scratch);
    free(scratch);
}

int main(void) {
    test_scalar_known_values();
    const SentKernels *tables[8];
    int n_tables = sent_kernels_all(tables, 8);
    CHECK(n_tables >= 1 && tables[0] == sent_kernels_scalar());
    CHECK(sent_kernels_best() != NULL);
    printf("tables:");
    for (int t = 0; t < n_tables; t++) printf(" %s", tables[t]->name);
    printf(" (best: %s)\n", sent_kernels_best()->name);
#if defined(SENT_SIMDE_WASM)
    CHECK_MSG(sent_kernels_wasm() != NULL, "built with SENT_SIMDE_WASM but no wasm table");
#endif
    for (int t = 0; t < n_tables; t++) CHECK(sent_kernels_by_name(tables[t]->name) == tables[t]);
    CHECK(sent_kernels_by_name("best") == sent_kernels_best());
    CHECK(sent_kernels_by_name("no-such-table") == NULL);
    for (int t = 0; t < n_tables; t++) {
        const SentKernels *k = tables[t];
        test_linear_f32(k);
        test_quantize_q8(k);
        test_linear_q8(k);
        test_linear_q8_extremes(k);
        test_layernorm(k);
        test_gelu(k);
        test_add(k);
        test_attention(k);
        test_hostile_values(k);
    }
    return check_summary("test_kernels");
}
