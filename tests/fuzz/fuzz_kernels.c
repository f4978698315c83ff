// libFuzzer target: the int8 kernels of every table this build and CPU run (sent_kernels_all:
// scalar, avx2, avx512, avx512vnni, and the wasm table through libsimde) against the scalar
// reference, on shapes and values taken from the fuzz input. quantize_q8 must give the same
// bytes and scales; linear_q8 (each table on its own packed weights, with and without bias and
// the fused GELU) must stay within the tolerance tests/unit/test_kernels.c uses too
// (q8_tolerance.h, derived there), with GELU 1.13 times that + 1e-6 |r|.
// Input layout: 4 bytes of shape (N, I, O, group choice), then the bytes that fill activations,
// weights, scales and biases in turn (cycled when the input is shorter). `make fuzz` runs it.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "q8_tolerance.h"

static double gelu_ref(double v) { return 0.5 * v * erfc(-v / sqrt(2.0)); }

typedef struct {
    const uint8_t *data;
    size_t size, pos;
} Bytes;

static uint8_t next_byte(Bytes *b) {
    if (!b->size) return 0;
    uint8_t v = b->data[b->pos % b->size];
    b->pos++;
    return v;
}

static void fail(const char *what, const SentKernels *k, int N, int I, int O, int gs) {
    fprintf(stderr, "%s: %s differs from scalar at N=%d I=%d O=%d group=%d\n", k->name, what, N, I, O, gs);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return 0;
    int N = 1 + data[0] % 6, I = 1 + (data[1] | (data[2] & 1) << 8) % 320, O = 1 + data[3] % 40;
    // A group size dividing I, chosen among its divisors by the input (per-row included).
    int divisors[64], n_div = 0;
    for (int d = 1; d <= I && n_div < 64; d++)
        if (I % d == 0) divisors[n_div++] = d;
    int gs = divisors[(data[2] >> 1) % n_div], groups = I / gs;
    Bytes b = {data + 4, size - 4, 0};

    float *x = malloc(sizeof(float) * N * I), *bias = malloc(sizeof(float) * O);
    float *ws = malloc(sizeof(float) * O * groups), *xs = malloc(sizeof(float) * N * groups);
    float *xs_ref = malloc(sizeof(float) * N * groups);
    int8_t *wq = malloc((size_t)O * I), *xq = malloc((size_t)N * I), *xq_ref = malloc((size_t)N * I);
    float *y = malloc(sizeof(float) * N * O), *ref = malloc(sizeof(float) * N * O);
    // Activations: small integers scaled by a per-input exponent, so groups of zeros, of tiny
    // values (below SENT_Q8_TINY) and of large ones all occur.
    for (int i = 0; i < N * I; i++) {
        int8_t m = (int8_t)next_byte(&b);
        int e = next_byte(&b) % 8;
        static const float scales[8] = {0.0f, 1e-35f, 1e-3f, 0.05f, 1.0f, 3.0f, 100.0f, 1e4f};
        x[i] = (float)m * scales[e];
    }
    for (int i = 0; i < O * I; i++) wq[i] = (int8_t)next_byte(&b);   // the whole int8 range, -128 included
    for (int i = 0; i < O * groups; i++) ws[i] = (1 + next_byte(&b)) * 1e-4f;
    for (int i = 0; i < O; i++) bias[i] = ((int8_t)next_byte(&b)) / 64.0f;
    SentQ8 w = {.q = wq, .scale = ws, .rows = O, .cols = I, .group_size = gs};

    const SentKernels *scalar = sent_kernels_scalar(), *tables[8];
    int n_tables = sent_kernels_all(tables, 8);
    scalar->quantize_q8(xq_ref, xs_ref, x, N, I, gs);
    for (int t = 0; t < n_tables; t++) {
        const SentKernels *k = tables[t];
        k->quantize_q8(xq, xs, x, N, I, gs);
        if (memcmp(xq, xq_ref, (size_t)N * I)) fail("quantize_q8 bytes", k, N, I, O, gs);
        if (memcmp(xs, xs_ref, sizeof(float) * N * groups)) fail("quantize_q8 scales", k, N, I, O, gs);
        for (int i = 0; i < N * I; i++)
            if (xq[i] < -127) fail("quantize_q8 wrote -128", k, N, I, O, gs);
    }
    // sum_g xs ws sum|xq wq| per output: the tolerance's scale, the same for every table.
    double *mag = malloc(sizeof(double) * N * O);
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++) {
            double m = 0.0;
            for (int g = 0; g < groups; g++) {
                double dot = 0.0;
                for (int i = g * gs; i < (g + 1) * gs; i++) dot += fabs((double)xq_ref[(size_t)n * I + i] * wq[(size_t)o * I + i]);
                m += dot * xs_ref[(size_t)n * groups + g] * ws[(size_t)o * groups + g];
            }
            mag[(size_t)n * O + o] = m;
        }
    for (int t = 0; t < n_tables; t++) {
        const SentKernels *k = tables[t];
        void *packed = NULL;
        if (sent_q8_pack(k, &w, &packed)) abort();
        for (int variant = 0; variant < 4; variant++) {
            int flags = variant & 2 ? SENT_LINEAR_GELU : 0;
            const float *bb = variant & 1 ? bias : NULL;
            scalar->linear_q8(ref, xq_ref, xs_ref, &w, NULL, bb, N, I, O, 0);
            k->linear_q8(y, xq_ref, xs_ref, &w, packed, bb, N, I, O, flags);
            for (int n = 0; n < N; n++)
                for (int o = 0; o < O; o++) {
                    double r = ref[(size_t)n * O + o];
                    double tol = q8_tolerance(groups, mag[(size_t)n * O + o] + (bb ? fabs(bb[o]) : 0.0));
                    if (flags) r = gelu_ref(r), tol = 1.13 * tol + 1e-6 * fabs(r) + 1e-30;
                    if (!(fabs((double)y[(size_t)n * O + o] - r) <= tol)) {
                        double exact = bb ? bb[o] : 0.0;
                        for (int i = 0; i < I; i++)
                            exact += (double)xq_ref[(size_t)n * I + i] * wq[(size_t)o * I + i] *
                                     xs_ref[(size_t)n * groups + i / gs] * ws[(size_t)o * groups + i / gs];
                        if (flags) exact = gelu_ref(exact);
                        fprintf(stderr, "y[%d,%d] = %.9g, reference %.9g, exact %.9g, tolerance %.3g\n", n, o,
                                y[(size_t)n * O + o], r, exact, tol);
                        fail(flags ? "linear_q8 (GELU)" : "linear_q8", k, N, I, O, gs);
                    }
                }
        }
        free(packed);
    }
    free(x), free(bias), free(ws), free(xs), free(xs_ref), free(wq), free(xq), free(xq_ref), free(y), free(ref), free(mag);
    return 0;
}
