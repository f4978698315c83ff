// The scalar reference for every op in the kernel table: plain loops, accumulation in double,
// libm for exp/erf. It is the yardstick the SIMD tables are tested against, so it favours being
// obviously right over being fast.
#include <math.h>
#include <stddef.h>

#include "kernels.h"

static void linear_f32_scalar(float *y, const float *x, const float *w, const float *b, int N, int I,
                              int O) {
    // y: [N, O], x: [N, I], w: [O, I], b: [O] or NULL
    for (int n = 0; n < N; n++) {
        const float *xrow = x + (size_t)n * I;
        for (int o = 0; o < O; o++) {
            const float *wrow = w + (size_t)o * I;
            double sum = b ? b[o] : 0.0;
            for (int i = 0; i < I; i++) sum += (double)xrow[i] * wrow[i];
            y[(size_t)n * O + o] = (float)sum;
        }
    }
}

static void quantize_q8_scalar(int8_t *xq, float *xs, const float *x, int N, int I, int group_size) {
    // xq: [N, I], xs: [N, I / group_size], x: [N, I]
    int groups = I / group_size;
    for (int n = 0; n < N; n++) {
        for (int g = 0; g < groups; g++) {
            const float *src = x + (size_t)n * I + (size_t)g * group_size;
            int8_t *dst = xq + (size_t)n * I + (size_t)g * group_size;
            float amax = 0.0f;
            for (int i = 0; i < group_size; i++) amax = fmaxf(amax, fabsf(src[i]));
            // Below SENT_Q8_TINY 127/amax would overflow; such a group quantizes to zeros.
            if (amax < SENT_Q8_TINY) amax = 0.0f;
            float inv_scale = amax > 0.0f ? 127.0f / amax : 0.0f;
            for (int i = 0; i < group_size; i++) {
                float q = rintf(src[i] * inv_scale);   // round half to even, as the SIMD converts do
                dst[i] = (int8_t)fminf(fmaxf(q, -127.0f), 127.0f);
            }
            xs[(size_t)n * groups + g] = amax / 127.0f;
        }
    }
}

static void gelu_erf_scalar(float *x, int n);

// The reference reads the plain [O, I] layout: its "packing" is the identity.
static size_t q8_packed_size_scalar(const SentQ8 *w) {
    (void)w;
    return 0;
}

static void q8_pack_scalar(void *packed, const SentQ8 *w) { (void)packed, (void)w; }

static void linear_q8_scalar(float *y, const int8_t *xq, const float *xs, const SentQ8 *w, const void *packed,
                             const float *b, int N, int I, int O, int flags) {
    // y: [N, O], xq: [N, I], xs: [N, I / gs], w->q: [O, I], w->scale: [O, I / gs]; packed unused
    (void)packed;
    int gs = w->group_size, groups = I / gs;
    for (int n = 0; n < N; n++) {
        for (int o = 0; o < O; o++) {
            double sum = b ? b[o] : 0.0;
            for (int g = 0; g < groups; g++) {
                const int8_t *xg = xq + (size_t)n * I + (size_t)g * gs;
                const int8_t *wg = w->q + (size_t)o * I + (size_t)g * gs;
                int64_t dot = 0;
                for (int i = 0; i < gs; i++) dot += (int32_t)xg[i] * wg[i];
                sum += (double)dot * xs[(size_t)n * groups + g] * w->scale[(size_t)o * groups + g];
            }
            y[(size_t)n * O + o] = (float)sum;
        }
        if (flags & SENT_LINEAR_GELU) gelu_erf_scalar(y + (size_t)n * O, O);
    }
}

static void layernorm_scalar(float *y, const float *x, const float *gamma, const float *beta, int N, int D,
                             float eps) {
    // y, x: [N, D]; gamma, beta: [D]
    for (int n = 0; n < N; n++) {
        const float *xrow = x + (size_t)n * D;
        float *yrow = y + (size_t)n * D;
        double mean = 0.0, var = 0.0;
        for (int i = 0; i < D; i++) mean += xrow[i];
        mean /= D;
        for (int i = 0; i < D; i++) var += (xrow[i] - mean) * (xrow[i] - mean);
        var /= D;   // biased variance, as torch.nn.LayerNorm
        double rstd = 1.0 / sqrt(var + eps);
        for (int i = 0; i < D; i++) yrow[i] = (float)((xrow[i] - mean) * rstd * gamma[i] + beta[i]);
    }
}

// 0.5 x (1 + erf(x / sqrt 2)), written with erfc so the negative tail keeps its precision.
static void gelu_erf_scalar(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = (float)(0.5 * x[i] * erfc(-x[i] / sqrt(2.0)));
}

static void add_scalar(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += x[i];
}

static void attention_scalar(float *out, const float *q, const float *k, const float *v, int ld, const uint8_t *mask,
                             int T, int n_heads, int head_dim, float *scratch) {
    // out: [T, C]; q, k, v: [T] rows of ld floats; mask: [T]; scratch: [T] weights of one query
    int C = n_heads * head_dim;
    double scale = 1.0 / sqrt((double)head_dim);
    for (int h = 0; h < n_heads; h++) {
        for (int t = 0; t < T; t++) {
            const float *qrow = q + (size_t)t * ld + (size_t)h * head_dim;
            double max_score = -INFINITY;
            for (int s = 0; s < T; s++) {
                if (!mask[s]) continue;
                const float *krow = k + (size_t)s * ld + (size_t)h * head_dim;
                double dot = 0.0;
                for (int d = 0; d < head_dim; d++) dot += (double)qrow[d] * krow[d];
                scratch[s] = (float)(dot * scale);
                if (scratch[s] > max_score) max_score = scratch[s];
            }
            double denom = 0.0;
            for (int s = 0; s < T; s++) {
                scratch[s] = mask[s] ? (float)exp(scratch[s] - max_score) : 0.0f;
                denom += scratch[s];
            }
            // With every key masked there is nothing to attend to: the output is zero.
            double inv_denom = denom > 0.0 ? 1.0 / denom : 0.0;
            float *orow = out + (size_t)t * C + (size_t)h * head_dim;
            for (int d = 0; d < head_dim; d++) {
                double sum = 0.0;
                for (int s = 0; s < T; s++)
                    if (scratch[s] != 0.0f) sum += (double)scratch[s] * v[(size_t)s * ld + (size_t)h * head_dim + d];
                orow[d] = (float)(sum * inv_denom);
            }
        }
    }
}

static const SentKernels scalar_kernels = {
    .name = "scalar",
    .linear_f32 = linear_f32_scalar,
    .quantize_q8 = quantize_q8_scalar,
    .q8_packed_size = q8_packed_size_scalar,
    .q8_pack = q8_pack_scalar,
    .linear_q8 = linear_q8_scalar,
    .layernorm = layernorm_scalar,
    .gelu_erf = gelu_erf_scalar,
    .add = add_scalar,
    .attention = attention_scalar,
};

const SentKernels *sent_kernels_scalar(void) { return &scalar_kernels; }
