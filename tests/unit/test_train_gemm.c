// OpenBLAS's sgemm (what the trainer runs) against the naive kernel beside it, for every
// transpose combination and the strided operands attention uses. OpenBLAS picks its kernels when
// it is loaded, and the trainer may force a core type (train/blas_cpu.h); so the program checks the
// kernels it was started with, then, where the trainer forces one, re-executes itself once with it.
#define real float
#include "train/layers.h"

#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "train/blas_cpu.h"

static void fill(float *x, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(2 * uniform01(seed, i) - 1);
}

// c = alpha op(a) op(b) + beta c on [M,N] with leading dimensions padded by `pad`.
static void check_case(int ta, int tb, int M, int N, int K, int pad, float beta) {
    int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
    size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb, nc = (size_t)M * ldc;
    float *a = malloc(na * sizeof(float)), *b = malloc(nb * sizeof(float));
    float *c_blas = malloc(nc * sizeof(float)), *c_ref = malloc(nc * sizeof(float));
    fill(a, na, 1), fill(b, nb, 2), fill(c_blas, nc, 3);
    memcpy(c_ref, c_blas, nc * sizeof(float));
    gemm(ta, tb, M, N, K, 0.5f, a, lda, b, ldb, beta, c_blas, ldc);
    gemm_naive(ta, tb, M, N, K, 0.5f, a, lda, b, ldb, beta, c_ref, ldc);
    double worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double r = c_ref[(size_t)i * ldc + j], x = c_blas[(size_t)i * ldc + j];
            worst = fmax(worst, fabs(r - x) / fmax(1.0, fabs(r)));
        }
    CHECK_MSG(worst < 1e-5, "trans %d%d M%d N%d K%d pad %d beta %g: relative gap %g", ta, tb, M, N, K, pad,
              beta, worst);
    free(a), free(b), free(c_blas), free(c_ref);
}

int main(int argc, char **argv) {
    const char *core = getenv("OPENBLAS_CORETYPE");
    printf("OpenBLAS core type: %s\n", core ? core : "(auto-detected)");
    static const int shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {64, 48, 33}, {257, 130, 96}, {512, 128, 640}};
    for (int s = 0; s < 5; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                check_case(ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 0, 0.0f);
                check_case(ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 17, 1.0f);  // strided, accumulate
            }
    int failed = check_summary("test_train_gemm");
    const char *forced = sent_openblas_coretype();   // what the trainer runs with on this CPU
    if (failed || !forced || (core && !strcmp(core, forced))) return failed;
    setenv("OPENBLAS_CORETYPE", forced, 1);
    fflush(stdout);   // execv drops what stdio still buffers
    execv("/proc/self/exe", argv);
    (void)argc;
    perror("re-executing with the trainer's OPENBLAS_CORETYPE");
    return 1;
}
