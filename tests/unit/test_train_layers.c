// Every backward pass of the trainer's layers against central finite differences, in double
// precision (layers.h compiled again with real = double): the loss is a fixed random projection
// of the layer's output, sum(out * proj), so d loss / d out = proj is what the backward gets.
#define real double
#include "train/layers.h"

#include <stdlib.h>

#include "check.h"

#define FD_STEP 1e-5
#define FD_TOL 1e-7   // relative to max(1, |gradient|)

static uint64_t fill_counter;
static void fill(double *x, size_t n, double scale) {
    for (size_t i = 0; i < n; i++) x[i] = scale * (2 * uniform01(12345, fill_counter++) - 1);
}

static double *vec(size_t n, double scale) {
    double *x = calloc(n, sizeof(double));
    fill(x, n, scale);
    return x;
}

// The op under test: writes its output (n_out values) from the current inputs.
typedef void (*Forward)(double *out);
static double *proj;     // [n_out] the fixed projection
static double *fd_out;   // [n_out] scratch output
static size_t n_out;

static double loss(Forward f) {
    f(fd_out);
    double sum = 0;
    for (size_t i = 0; i < n_out; i++) sum += fd_out[i] * proj[i];
    return sum;
}

// Compares grad[n] with the central difference of loss() in x[n]; prints the worst gap.
static void check_grad(const char *name, Forward f, double *x, const double *grad, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double saved = x[i];
        x[i] = saved + FD_STEP;
        double up = loss(f);
        x[i] = saved - FD_STEP;
        double down = loss(f);
        x[i] = saved;
        double numeric = (up - down) / (2 * FD_STEP);
        double gap = fabs(numeric - grad[i]) / fmax(1.0, fabs(numeric));
        if (gap > worst) worst = gap;
    }
    printf("  %-28s max relative gap %.3g over %zu values\n", name, worst, n);
    CHECK_MSG(worst <= FD_TOL, "%s: gap %g", name, worst);
}

static void setup_output(size_t n) {
    n_out = n;
    free(proj);
    free(fd_out);
    proj = vec(n, 1.0);
    fd_out = calloc(n, sizeof(double));
}

// ---- shapes: small but every dimension distinct, so a transposed index shows
enum { B = 2, T = 5, C = 8, NH = 2, OC = 6, V = 11 };

static double *a_inp, *a_w, *a_b, *a_mean, *a_rstd;
static int32_t ids[B * T];
static uint8_t mask[B * T];

static void fwd_embedding(double *out) { embedding_forward(out, ids, a_w, a_b, B, T, C); }
static void fwd_layernorm(double *out) { layernorm_forward(out, a_mean, a_rstd, a_inp, a_w, a_b, B * T, C); }
static void fwd_matmul(double *out) { matmul_forward(out, a_inp, a_w, a_b, B * T, C, OC); }
static double *a_att;
static void fwd_attention(double *out) { attention_forward(out, a_att, a_inp, mask, B, T, C, NH); }
static void fwd_gelu(double *out) { gelu_forward(out, a_inp, B * T * C); }
static void fwd_relu(double *out) { relu_forward(out, a_inp, B * T * C); }
static void fwd_residual(double *out) { residual_forward(out, a_inp, a_w, B * T * C); }
static uint8_t keep[B * T * C];
static void fwd_dropout(double *out) {  // the mask is drawn from a fixed seed, so it is the same each call
    memcpy(out, a_inp, sizeof(double) * B * T * C);
    dropout_forward(out, keep, B * T * C, 0.25, 99);
}
static int32_t targets[B * T];
static void fwd_crossentropy(double *out) { crossentropy_forward(out, a_w, a_inp, targets, B * T, V); }
static double *soft_targets;   // [B*T,V] rows that sum to 1
static void fwd_soft_crossentropy(double *out) { soft_crossentropy_forward(out, a_w, a_inp, soft_targets, B * T, V); }

static void test_embedding(void) {
    for (int i = 0; i < B * T; i++) ids[i] = (i * 7) % V;
    ids[3] = ids[1];   // a repeated token: its gradient must sum both uses
    a_w = vec(V * C, 1), a_b = vec(T * C, 1);
    setup_output(B * T * C);
    double *dw = calloc(V * C, sizeof(double)), *db = calloc(T * C, sizeof(double));
    embedding_backward(dw, db, proj, ids, B, T, C);
    check_grad("embedding dwte", fwd_embedding, a_w, dw, V * C);
    check_grad("embedding dwpe", fwd_embedding, a_b, db, T * C);
    free(a_w), free(a_b), free(dw), free(db);
}

static void test_layernorm(void) {
    a_inp = vec(B * T * C, 2), a_w = vec(C, 1), a_b = vec(C, 1);
    a_mean = calloc(B * T, sizeof(double)), a_rstd = calloc(B * T, sizeof(double));
    setup_output(B * T * C);
    double *di = calloc(B * T * C, sizeof(double)), *dw = calloc(C, sizeof(double)), *db = calloc(C, sizeof(double));
    fwd_layernorm(fd_out);
    layernorm_backward(di, dw, db, proj, a_inp, a_w, a_mean, a_rstd, B * T, C);
    check_grad("layernorm dinp", fwd_layernorm, a_inp, di, B * T * C);
    check_grad("layernorm dweight", fwd_layernorm, a_w, dw, C);
    check_grad("layernorm dbias", fwd_layernorm, a_b, db, C);
    // the forward itself: normalised rows have mean 0 and variance 1 before the affine part
    double *ones = malloc(C * sizeof(double)), *zeros = calloc(C, sizeof(double)), *out = malloc(B * T * C * sizeof(double));
    for (int c = 0; c < C; c++) ones[c] = 1;
    layernorm_forward(out, a_mean, a_rstd, a_inp, ones, zeros, B * T, C);
    double m = 0, v = 0;
    for (int c = 0; c < C; c++) m += out[c];
    for (int c = 0; c < C; c++) v += out[c] * out[c];
    CHECK_NEAR(m / C, 0.0, 1e-12);
    CHECK_NEAR(v / C, 1.0, 1e-9);
    free(ones), free(zeros), free(out);
    free(a_inp), free(a_w), free(a_b), free(a_mean), free(a_rstd), free(di), free(dw), free(db);
}

static void test_matmul(void) {
    a_inp = vec(B * T * C, 1), a_w = vec(OC * C, 1), a_b = vec(OC, 1);
    setup_output(B * T * OC);
    double *di = calloc(B * T * C, sizeof(double)), *dw = calloc(OC * C, sizeof(double)), *db = calloc(OC, sizeof(double));
    matmul_backward(di, dw, db, proj, a_inp, a_w, B * T, C, OC);
    check_grad("matmul dinp", fwd_matmul, a_inp, di, B * T * C);
    check_grad("matmul dweight", fwd_matmul, a_w, dw, OC * C);
    check_grad("matmul dbias", fwd_matmul, a_b, db, OC);
    // forward against the naive kernel (dgemm here; test_train_gemm checks sgemm)
    double *ref = malloc(B * T * OC * sizeof(double));
    fwd_matmul(fd_out);
    gemm_naive(0, 1, B * T, OC, C, 1, a_inp, C, a_w, C, 0, ref, OC);
    double worst = 0;
    for (int n = 0; n < B * T; n++)
        for (int o = 0; o < OC; o++) worst = fmax(worst, fabs(ref[n * OC + o] + a_b[o] - fd_out[n * OC + o]));
    CHECK_NEAR(worst, 0.0, 1e-12);
    free(ref), free(a_inp), free(a_w), free(a_b), free(di), free(dw), free(db);
}

static void test_attention(void) {
    for (int i = 0; i < B * T; i++) mask[i] = 1;
    mask[T + 3] = mask[T + 4] = 0;   // the second sequence has two padding tokens
    a_inp = vec(B * T * 3 * C, 1);
    a_att = calloc(B * NH * T * T, sizeof(double));
    setup_output(B * T * C);
    double *dqkv = calloc(B * T * 3 * C, sizeof(double)), *scratch = calloc(T * T, sizeof(double));
    fwd_attention(fd_out);
    attention_backward(dqkv, proj, a_inp, a_att, B, T, C, NH, scratch);
    check_grad("attention dqkv", fwd_attention, a_inp, dqkv, B * T * 3 * C);
    // padding keys get no attention, and rows sum to one
    double pad_weight = 0, row_sum = 0;
    for (int h = 0; h < NH; h++)
        for (int t = 0; t < T; t++) {
            const double *row = a_att + ((size_t)(1 * NH + h) * T + t) * T;
            pad_weight += row[3] + row[4];
            row_sum += row[0] + row[1] + row[2];
        }
    CHECK_NEAR(pad_weight, 0.0, 0.0);
    CHECK_NEAR(row_sum, NH * T, 1e-12);
    // changing a padding token's k or v changes nothing
    double *before = malloc(B * T * C * sizeof(double));
    memcpy(before, fd_out, B * T * C * sizeof(double));
    a_inp[(T + 4) * 3 * C + C + 1] += 5, a_inp[(T + 3) * 3 * C + 2 * C + 2] -= 5;
    fwd_attention(fd_out);
    double moved = 0;
    for (int i = 0; i < B * T; i++)
        if (mask[i]) for (int c = 0; c < C; c++) moved = fmax(moved, fabs(fd_out[i * C + c] - before[i * C + c]));
    CHECK_NEAR(moved, 0.0, 0.0);
    free(before), free(a_inp), free(a_att), free(dqkv), free(scratch);
}

static void test_elementwise(void) {
    size_t n = B * T * C;
    setup_output(n);
    a_inp = vec(n, 3);
    for (size_t i = 0; i < n; i++)  // keep ReLU's inputs away from its kink
        if (fabs(a_inp[i]) < 0.01) a_inp[i] = 0.5;
    double *di = calloc(n, sizeof(double));
    gelu_backward(di, a_inp, proj, n);
    check_grad("gelu dinp", fwd_gelu, a_inp, di, n);
    double g;
    gelu_forward(&g, (double[]){1.0}, 1);
    CHECK_NEAR(g, 0.8413447460685429, 1e-15);   // 1 * Phi(1), the erf form
    memset(di, 0, n * sizeof(double));
    relu_backward(di, a_inp, proj, n);
    check_grad("relu dinp", fwd_relu, a_inp, di, n);

    a_w = vec(n, 1);
    double *dw = calloc(n, sizeof(double));
    memset(di, 0, n * sizeof(double));
    residual_backward(di, dw, proj, n);
    check_grad("residual dinp1", fwd_residual, a_inp, di, n);
    check_grad("residual dinp2", fwd_residual, a_w, dw, n);

    memcpy(di, proj, n * sizeof(double));
    fwd_dropout(fd_out);
    dropout_backward(di, keep, n, 0.25);
    check_grad("dropout dinp", fwd_dropout, a_inp, di, n);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) kept += keep[i];
    CHECK_MSG(kept > n / 2 && kept < n, "dropout kept %zu of %zu at p=0.25", kept, n);
    free(a_inp), free(a_w), free(di), free(dw);
}

static void test_crossentropy(void) {
    for (int i = 0; i < B * T; i++) targets[i] = (i * 3) % V;
    a_inp = vec(B * T * V, 4);
    a_w = calloc(B * T * V, sizeof(double));
    setup_output(B * T);   // the output is the per-row loss; proj weighs each row
    double *dl = calloc(B * T * V, sizeof(double));
    fwd_crossentropy(fd_out);
    // backward with one weight per row: call it row by row
    for (int n = 0; n < B * T; n++)
        crossentropy_backward(dl + n * V, a_w + n * V, targets + n, proj[n], 1, V);
    check_grad("crossentropy dlogits", fwd_crossentropy, a_inp, dl, B * T * V);
    // uniform logits cost log(V)
    double zero_logits[V] = {0}, probs[V], one_loss;
    int32_t t0 = 2;
    crossentropy_forward(&one_loss, probs, zero_logits, &t0, 1, V);
    CHECK_NEAR(one_loss, log((double)V), 1e-12);
    free(a_inp), free(a_w), free(dl);
}

// Distillation's loss: soft targets (random distributions) against finite differences, and a
// one-hot soft target reproduces the hard cross-entropy exactly.
static void test_soft_crossentropy(void) {
    a_inp = vec(B * T * V, 4);
    a_w = calloc(B * T * V, sizeof(double));
    soft_targets = calloc(B * T * V, sizeof(double));
    for (int n = 0; n < B * T; n++) {
        double sum = 0;
        for (int i = 0; i < V; i++) sum += soft_targets[n * V + i] = uniform01(77, (uint64_t)(n * V + i)) + 0.01;
        for (int i = 0; i < V; i++) soft_targets[n * V + i] /= sum;
    }
    setup_output(B * T);
    double *dl = calloc(B * T * V, sizeof(double));
    fwd_soft_crossentropy(fd_out);
    for (int n = 0; n < B * T; n++)
        soft_crossentropy_backward(dl + n * V, a_w + n * V, soft_targets + n * V, proj[n], 1, V);
    check_grad("soft crossentropy dlogits", fwd_soft_crossentropy, a_inp, dl, B * T * V);

    double *hard = calloc(B * T, sizeof(double)), *soft = calloc(B * T, sizeof(double));
    double *dhard = calloc(B * T * V, sizeof(double)), *dsoft = calloc(B * T * V, sizeof(double));
    for (int n = 0; n < B * T; n++) {
        targets[n] = (n * 5) % V;
        for (int i = 0; i < V; i++) soft_targets[n * V + i] = i == targets[n];
    }
    crossentropy_forward(hard, a_w, a_inp, targets, B * T, V);
    crossentropy_backward(dhard, a_w, targets, 0.5, B * T, V);
    soft_crossentropy_forward(soft, a_w, a_inp, soft_targets, B * T, V);
    soft_crossentropy_backward(dsoft, a_w, soft_targets, 0.5, B * T, V);
    double worst = 0;
    for (int n = 0; n < B * T; n++) worst = fmax(worst, fabs(hard[n] - soft[n]));
    for (int i = 0; i < B * T * V; i++) worst = fmax(worst, fabs(dhard[i] - dsoft[i]));
    CHECK_MSG(worst < 1e-12, "one-hot soft targets differ from the hard loss by %g", worst);
    free(a_inp), free(a_w), free(dl), free(soft_targets), free(hard), free(soft), free(dhard), free(dsoft);
}

int main(void) {
    test_embedding();
    test_layernorm();
    test_matmul();
    test_attention();
    test_elementwise();
    test_crossentropy();
    test_soft_crossentropy();
    free(proj), free(fd_out);
    return check_summary("test_train_layers");
}
