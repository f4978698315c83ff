// Skip-gram embeddings (src/train/embed.c): one step's updates against finite differences of its
// loss, the counts (specials and out-of-range ids never counted), determinism with one thread,
// and that pieces sharing contexts end up closer than pieces that never do.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "train/embed.h"

#define C 8

static double pair_loss(const float *x, const float *y, int label) {
    double dot = 0;
    for (int c = 0; c < C; c++) dot += (double)x[c] * y[c];
    double z = label ? dot : -dot;
    return log1p(exp(-z));
}

// The step moves x (through grad_x) and y by -lr times the loss gradient; checked by central
// differences of the loss in double precision.
static void test_step_matches_finite_differences(void) {
    for (int label = 0; label <= 1; label++) {
        float x[C], y[C], y_before[C], grad_x[C] = {0};
        for (int c = 0; c < C; c++) x[c] = 0.3f * sinf(1.7f * c + 0.4f), y[c] = y_before[c] = 0.25f * cosf(0.9f * c - 0.2f);
        const float lr = 0.01f;
        float loss = sent_sgns_step(x, y, grad_x, label, lr, C);
        CHECK_NEAR(loss, pair_loss(x, y_before, label), 1e-6);
        double worst = 0;
        for (int c = 0; c < C; c++) {
            const float h = 1e-3f;
            float xp[C], xm[C], yp[C], ym[C];
            memcpy(xp, x, sizeof x), memcpy(xm, x, sizeof x), memcpy(yp, y_before, sizeof y), memcpy(ym, y_before, sizeof y);
            xp[c] += h, xm[c] -= h, yp[c] += h, ym[c] -= h;
            double dldx = (pair_loss(xp, y_before, label) - pair_loss(xm, y_before, label)) / (2 * h);
            double dldy = (pair_loss(x, yp, label) - pair_loss(x, ym, label)) / (2 * h);
            worst = fmax(worst, fabs(grad_x[c] - (-lr * dldx)));
            worst = fmax(worst, fabs((y[c] - y_before[c]) - (-lr * dldy)));
        }
        CHECK_MSG(worst < 1e-6, "label %d: worst update error %g", label, worst);
    }
    // a confident, correct pair has near-zero loss and moves nothing; no overflow at large dots
    float big_x[C], big_y[C], g[C] = {0};
    for (int c = 0; c < C; c++) big_x[c] = 10, big_y[c] = 10;
    float loss = sent_sgns_step(big_x, big_y, g, 1, 0.1f, C);
    CHECK(isfinite(loss) && loss < 1e-6f && fabsf(g[0]) < 1e-6f);
    loss = sent_sgns_step(big_x, big_y, g, 0, 0.1f, C);
    CHECK_MSG(isfinite(loss) && loss > 700, "loss %g", loss);
}

// Rows of two topics: ids 1000-1004 only ever appear together, 1005-1009 likewise. Every row is
// [CLS] pieces [SEP] and carries a special (id 500) and an out-of-vocabulary id that must be skipped.
enum { V = 1012, FIRST = 999, N_ROWS = 400, T = 24 };

static void make_rows(SentTokenRows *rows) {
    rows->n = N_ROWS, rows->T = T;
    rows->ids = calloc((size_t)N_ROWS * T, sizeof(int32_t));
    rows->lens = calloc(N_ROWS, sizeof(int32_t));
    rows->labels = calloc(N_ROWS, sizeof(int32_t));
    uint32_t state = 12345;
    for (int r = 0; r < N_ROWS; r++) {
        int32_t *ids = rows->ids + (size_t)r * T;
        int topic = r % 2, len = 12 + r % 10;
        ids[0] = 101;
        for (int t = 1; t < len - 1; t++) {
            state = state * 1664525u + 1013904223u;
            ids[t] = 1000 + 5 * topic + (int)(state >> 16) % 5;
        }
        ids[3] = 500;                // a special inside the text: never counted
        ids[5] = V + 7;              // beyond the vocabulary: never counted
        ids[len - 1] = 102;
        rows->lens[r] = len;
        rows->labels[r] = -1;
    }
}

static double cosine(const float *a, const float *b) {
    double ab = 0, aa = 0, bb = 0;
    for (int c = 0; c < C; c++) ab += (double)a[c] * b[c], aa += (double)a[c] * a[c], bb += (double)b[c] * b[c];
    return ab / sqrt(aa * bb);
}

static void test_training(void) {
    SentTokenRows rows;
    make_rows(&rows);
    int32_t index[N_ROWS];
    for (int i = 0; i < N_ROWS; i++) index[i] = i;
    SentEmbedOptions o;
    sent_embed_default_options(&o);
    o.dim = C, o.window = 3, o.negatives = 3, o.epochs = 10, o.min_count = 1, o.subsample = 0, o.lr = 0.05f;
    float *vectors = malloc((size_t)V * C * sizeof(float)), *again = malloc((size_t)V * C * sizeof(float));
    int64_t counts[V];
    float loss = sent_embed_train(vectors, counts, V, &rows, index, N_ROWS, FIRST, &o);
    CHECK_MSG(isfinite(loss) && loss < 0.69f * (1 + o.negatives), "final loss per pair %g", loss);

    int64_t expected = 0, counted = 0;
    for (int r = 0; r < N_ROWS; r++) expected += rows.lens[r] - 4;   // minus [CLS], [SEP], 500, V + 7
    for (int v = 0; v < V; v++) counted += counts[v];
    CHECK_MSG(counted == expected, "%lld counted, %lld expected", (long long)counted, (long long)expected);
    CHECK(counts[500] == 0 && counts[101] == 0 && counts[102] == 0 && counts[1010] == 0);

    double within = 0, across = 0;
    int n_within = 0, n_across = 0;
    for (int a = 1000; a < 1010; a++)
        for (int b = a + 1; b < 1010; b++) {
            double s = cosine(vectors + (size_t)a * C, vectors + (size_t)b * C);
            if ((a < 1005) == (b < 1005)) within += s, n_within++;
            else across += s, n_across++;
        }
    within /= n_within, across /= n_across;
    CHECK_MSG(within > across + 0.5, "mean cosine within topics %.3f, across %.3f", within, across);

    sent_embed_train(again, counts, V, &rows, index, N_ROWS, FIRST, &o);
    CHECK(!memcmp(vectors, again, (size_t)V * C * sizeof(float)));   // one thread: deterministic
    free(vectors), free(again);
    free(rows.ids), free(rows.lens), free(rows.labels);
}

int main(void) {
    test_step_matches_finite_differences();
    test_training();
    return check_summary("test_train_embed");
}
