// The kernel micro-benchmark: how fast each table runs DistilBERT's linear layers (128/256/512
// rows x 768->768, 768->3072, 3072->768) in fp32 and int8, and how that compares with the
// core's fp32 peak. The peak is not taken from a data sheet: the clock is measured with a chain
// of dependent integer adds (one per cycle on every x86 core), and the FMA throughput with
// independent FMA chains; peak = clock x FMA flops per cycle (rounded to the power of two the
// hardware provides). Each figure is the best of several runs (the machine is shared);
// single-thread runs are timed in thread CPU time (node's process CPU time in the wasm build),
// multi-thread ones in wall time.
#include "tools/kernels_bench.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.h"
#include "util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// The clock a run is timed with. One thread: the thread's CPU time, so the time other processes
// on a shared machine take the core away is not counted. Several threads: wall time.
static int timing_threads = 1;

#if defined(__EMSCRIPTEN__) && defined(SENT_KERNELS_BENCH_MAIN)
#include <emscripten.h>
// The stand-alone wasm benchmark runs under node: its process CPU time (the wasm code is the
// only busy thread) plays the part of the thread CPU time.
EM_JS(double, node_cpu_seconds, (void), {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
});
#endif

static double bench_clock(void) {
#if defined(__EMSCRIPTEN__) && defined(SENT_KERNELS_BENCH_MAIN)
    if (timing_threads == 1) return node_cpu_seconds();
#endif
#if defined(CLOCK_THREAD_CPUTIME_ID) && !defined(__EMSCRIPTEN__)
    struct timespec ts;
    if (timing_threads == 1 && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#endif
    return sent_now_seconds();
}

// Runs fn until min_seconds have passed (and at least min_reps times); returns the best time.
typedef void (*BenchFn)(void *ctx);
static double best_seconds(BenchFn fn, void *ctx, int min_reps, double min_seconds) {
    double best = 1e30, start = bench_clock();
    for (int rep = 0; rep < min_reps || bench_clock() - start < min_seconds; rep++) {
        double t0 = bench_clock();
        fn(ctx);
        double t = bench_clock() - t0;
        if (t < best) best = t;
    }
    return best;
}

static void set_threads(int n) {
    timing_threads = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

static int max_threads(void) {
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

// --- the CPU: clock and fp32 peak ----------------------------------------------------------------

#if defined(__x86_64__)
static void add_chain(void *ctx) {
    uint64_t x = 0, n = *(uint64_t *)ctx;
    __asm__ volatile("1:\n\t"
                     "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                     "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                     "dec %1\n\tjnz 1b\n\t"
                     : "+r"(x), "+r"(n));
}

typedef struct {
    long iters;
    float sink;
} FmaCtx;

// 12 independent FMA chains: enough to cover latency x throughput on current cores.
#define FMA_CHAINS(VEC, SET1, FMA, ADD, STORE, LANES)                                             \
    VEC acc[12], m = SET1(0.999999f), c = SET1(1e-7f);                                            \
    for (int i = 0; i < 12; i++) acc[i] = SET1((float)i);                                         \
    for (long it = 0; it < ctx->iters; it++)                                                     \
        for (int i = 0; i < 12; i++) {                                                           \
            acc[i] = FMA(acc[i], m, c);                                                          \
            __asm__ volatile("" : "+v"(acc[i])); /* keeps the compiler from folding the chain */ \
        }                                                                                        \
    VEC s = acc[0];                                                                              \
    for (int i = 1; i < 12; i++) s = ADD(s, acc[i]);                                              \
    float lanes[LANES];                                                                          \
    STORE(lanes, s);                                                                             \
    ctx->sink = lanes[0];

__attribute__((target("avx2,fma"))) static void fma_ymm(void *p) {
    FmaCtx *ctx = p;
    FMA_CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps, 8)
}

__attribute__((target("avx512f"))) static void fma_zmm(void *p) {
    FmaCtx *ctx = p;
    FMA_CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps, 16)
}

static double cpuinfo_mhz(char *model, size_t model_size) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    double mhz = 0.0;
    snprintf(model, model_size, "unknown");
    if (!f) return 0.0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        if (!strncmp(line, "model name", 10)) {
            snprintf(model, model_size, "%s", colon + 2);
            model[strcspn(model, "\n")] = 0;
        } else if (!strncmp(line, "cpu MHz", 7) && mhz == 0.0) {
            mhz = atof(colon + 1);
        }
    }
    fclose(f);
    return mhz;
}
#endif

// Prints the CPU lines; returns the single-core fp32 peak in GFLOP/s (0 if unknown).
static double print_cpu_peak(FILE *out) {
#if defined(__x86_64__)
    char model[256];
    double mhz = cpuinfo_mhz(model, sizeof model);
    uint64_t adds = 20 * 1000 * 1000;   // x 10 adds per iteration
    double ghz = (double)adds * 10 / best_seconds(add_chain, &adds, 5, 0.0) / 1e9;
    fprintf(out, "CPU: %s, /proc/cpuinfo %.0f MHz; measured clock %.2f GHz (dependent adds)\n", model, mhz, ghz);
    double peak_flops_per_cycle = 0.0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        FmaCtx ctx = {.iters = 2000000};
        double ymm = 2.0 * 8 * 12 * ctx.iters / best_seconds(fma_ymm, &ctx, 3, 0.0) / 1e9;
        fprintf(out, "  measured FMA throughput, 256-bit: %.1f GFLOP/s = %.1f flops/cycle = %.2f FMA/cycle x 8 lanes x 2\n",
                ymm, ymm / ghz, ymm / ghz / 16.0);
        peak_flops_per_cycle = ymm / ghz;
        if (__builtin_cpu_supports("avx512f")) {
            double zmm = 2.0 * 16 * 12 * ctx.iters / best_seconds(fma_zmm, &ctx, 3, 0.0) / 1e9;
            fprintf(out, "  measured FMA throughput, 512-bit: %.1f GFLOP/s = %.1f flops/cycle = %.2f FMA/cycle x 16 lanes x 2\n",
                    zmm, zmm / ghz, zmm / ghz / 32.0);
            if (zmm / ghz > peak_flops_per_cycle) peak_flops_per_cycle = zmm / ghz;
        }
    }
    if (peak_flops_per_cycle <= 0.0) return 0.0;
    // FMA units come in powers of two: 16, 32 or 64 fp32 flops per cycle.
    double rounded = 1.0;
    while (rounded * 1.41 < peak_flops_per_cycle) rounded *= 2.0;
    fprintf(out, "  single-core fp32 peak: %.0f flops/cycle x %.2f GHz = %.1f GFLOP/s\n", rounded, ghz, rounded * ghz);
    return rounded * ghz;
#else
    fprintf(out, "CPU: not x86-64; no peak figure\n");
    return 0.0;
#endif
}

// Multi-thread figures are wall time: on a shared machine they are only as good as the load lets
// them be, so the load is printed with them.
static void print_load(FILE *out, int threads) {
    if (threads == 1) return;
    FILE *f = fopen("/proc/loadavg", "r");
    double load = -1.0;
    if (f) {
        if (fscanf(f, "%lf", &load) != 1) load = -1.0;
        fclose(f);
    }
    if (load >= 0.0) fprintf(out, "(wall time; load average %.1f on %d cores: other processes share them)\n", load, threads);
}

// --- linear layers -----------------------------------------------------------------------------

typedef struct {
    const SentKernels *k;
    int N, I, O, group_size;
    const float *x, *w, *b;   // [N, I], [O, I], [O]
    SentQ8 wq;
    void *packed;             // wq in c->k's layout (sent_q8_pack), NULL for the scalar table
    int8_t *xq;               // [N, I]
    float *xs, *y;            // [N, I / group_size], [N, O]
} LinearCtx;

static void run_linear_f32(void *p) {
    LinearCtx *c = p;
    c->k->linear_f32(c->y, c->x, c->w, c->b, c->N, c->I, c->O);
}

// What the model pays for an int8 layer: quantizing the activations, then the int8 GEMM.
static void run_linear_q8(void *p) {
    LinearCtx *c = p;
    c->k->quantize_q8(c->xq, c->xs, c->x, c->N, c->I, c->group_size);
    c->k->linear_q8(c->y, c->xq, c->xs, &c->wq, c->packed, c->b, c->N, c->I, c->O, 0);
}

static const int bench_rows[] = {128, 256, 512};
static const int bench_shapes[][2] = {{768, 768}, {768, 3072}, {3072, 768}};   // I -> O
enum { N_ROWS = 3, N_SHAPES = 3, GROUP = 64 };

static void print_linear_table(FILE *out, const SentKernels **tables, int n_tables, int threads, double peak,
                               const float *x, const float *w, const float *b, const int8_t *wq, const float *ws,
                               int8_t *xq, float *xs, float *y) {
    fprintf(out, "\nlinear layers, %d thread%s: GFLOP/s (2 N I O per second; int8 = quantize_q8 + linear_q8, "
                 "group %d)\n", threads, threads > 1 ? "s" : "", GROUP);
    print_load(out, threads);
    fprintf(out, "%-16s", "N x (I->O)");
    for (int t = 0; t < n_tables; t++) fprintf(out, " %12.12s-f32 %12.12s-q8", tables[t]->name, tables[t]->name);
    if (peak > 0) fprintf(out, "   best f32 / peak");
    fputc('\n', out);
    set_threads(threads);
    for (int r = 0; r < N_ROWS; r++)
        for (int s = 0; s < N_SHAPES; s++) {
            int N = bench_rows[r], I = bench_shapes[s][0], O = bench_shapes[s][1];
            char label[32];
            snprintf(label, sizeof label, "%d x (%d->%d)", N, I, O);
            fprintf(out, "%-16s", label);
            double flops = 2.0 * N * I * O, best_f32 = 0.0;
            for (int t = 0; t < n_tables; t++) {
                LinearCtx c = {.k = tables[t], .N = N, .I = I, .O = O, .group_size = GROUP, .x = x, .w = w, .b = b,
                               .wq = {.q = wq, .scale = ws, .rows = O, .cols = I, .group_size = GROUP},
                               .xq = xq, .xs = xs, .y = y};
                // The scalar reference is slow (seconds per call): two runs (the first warms up, which
                // matters under a JIT), smallest row count only.
                int scalar = tables[t] == sent_kernels_scalar();
                if (scalar && N != bench_rows[0]) {
                    fprintf(out, " %16s %15s", "-", "-");
                    continue;
                }
                // Packing happens once per model load, so it is not timed.
                if (sent_q8_pack(c.k, &c.wq, &c.packed)) exit(1);
                double f32 = flops / best_seconds(run_linear_f32, &c, scalar ? 2 : 3, scalar ? 0.0 : 0.25) / 1e9;
                double q8 = flops / best_seconds(run_linear_q8, &c, scalar ? 2 : 3, scalar ? 0.0 : 0.25) / 1e9;
                free(c.packed);
                fprintf(out, " %16.1f %15.1f", f32, q8);
                if (f32 > best_f32) best_f32 = f32;
            }
            if (peak > 0) fprintf(out, "   %5.1f%%", 100.0 * best_f32 / (peak * threads));
            fputc('\n', out);
            fflush(out);
        }
}

// int8 speed against the quantization group size, best table, one thread: the per-group
// rescaling (int32 -> float, times two scales) was most of the int8 cost with the dot-product
// kernels; with packed panels it is a convert, a multiply of the scales and an FMA per
// accumulator and group.
static void print_group_sizes(FILE *out, const float *x, const float *w, const float *b, int8_t *wq, float *ws,
                              int8_t *xq, float *xs, float *y) {
    const SentKernels *k = sent_kernels_best();
    fprintf(out, "\nint8 (quantize_q8 + linear_q8) by group size, %s, 1 thread: GOP/s\n", k->name);
    fprintf(out, "%-16s %10s %10s %10s\n", "N x (I->O)", "group 64", "group 256", "per row");
    set_threads(1);
    for (int s = 0; s < N_SHAPES; s++) {
        int N = bench_rows[N_ROWS - 1], I = bench_shapes[s][0], O = bench_shapes[s][1];
        char label[32];
        snprintf(label, sizeof label, "%d x (%d->%d)", N, I, O);
        fprintf(out, "%-16s", label);
        const int groups[] = {64, 256, I};
        for (int g = 0; g < 3; g++) {
            sent_kernels_scalar()->quantize_q8(wq, ws, w, O, I, groups[g]);
            LinearCtx c = {.k = k, .N = N, .I = I, .O = O, .group_size = groups[g], .x = x, .w = w, .b = b,
                           .wq = {.q = wq, .scale = ws, .rows = O, .cols = I, .group_size = groups[g]},
                           .xq = xq, .xs = xs, .y = y};
            if (sent_q8_pack(c.k, &c.wq, &c.packed)) exit(1);
            fprintf(out, " %10.1f", 2.0 * N * I * O / best_seconds(run_linear_q8, &c, 3, 0.25) / 1e9);
            free(c.packed);
        }
        fputc('\n', out);
        fflush(out);
    }
}

// --- attention, LayerNorm, GELU ----------------------------------------------------------------

typedef struct {
    const SentKernels *k;
    int T, H, hd, n;
    float *q, *kk, *v, *out, *scratch, *x, *gamma, *beta;
    uint8_t *mask;
} OpCtx;

static void run_attention(void *p) {
    OpCtx *c = p;
    c->k->attention(c->out, c->q, c->kk, c->v, c->H * c->hd, c->mask, c->T, c->H, c->hd, c->scratch);
}
static void run_layernorm(void *p) {
    OpCtx *c = p;
    c->k->layernorm(c->out, c->x, c->gamma, c->beta, c->T, c->n, 1e-12f);
}
static void run_gelu(void *p) {
    OpCtx *c = p;
    c->k->gelu_erf(c->x, c->T * c->n);
}

static void print_other_ops(FILE *out, const SentKernels **tables, int n_tables, int threads, float *buf, float *gamma,
                            float *beta, uint8_t *mask, float *scratch) {
    fprintf(out, "\nattention (12 heads x 64, 4 T^2 768 flops), LayerNorm (T x 768), GELU (T x 3072), %d thread%s\n",
            threads, threads > 1 ? "s" : "");
    print_load(out, threads);
    fprintf(out, "%-28s", "op");
    for (int t = 0; t < n_tables; t++) fprintf(out, " %14.14s", tables[t]->name);
    fputc('\n', out);
    set_threads(threads);
    const int C = 768, H = 12, hidden = 3072;
    for (int r = 0; r < N_ROWS; r++) {
        int T = bench_rows[r];
        for (int op = 0; op < 3; op++) {
            char label[48];
            static const char *names[] = {"attention GFLOP/s", "layernorm ns/row", "gelu ns/value"};
            snprintf(label, sizeof label, "T=%d %s", T, names[op]);
            fprintf(out, "%-28s", label);
            for (int t = 0; t < n_tables; t++) {
                OpCtx c = {.k = tables[t], .T = T, .H = H, .hd = C / H, .n = op == 2 ? hidden : C,
                           .q = buf, .kk = buf + (size_t)T * C, .v = buf + 2 * (size_t)T * C,
                           .out = buf + 3 * (size_t)T * C, .x = buf + 4 * (size_t)T * C, .scratch = scratch,
                           .gamma = gamma, .beta = beta, .mask = mask};
                int scalar = tables[t] == sent_kernels_scalar();
                int reps = scalar ? 2 : 3;
                double min_s = scalar ? 0.0 : 0.1;
                if (op == 0) {
                    double secs = best_seconds(run_attention, &c, reps, min_s);
                    fprintf(out, " %14.2f", 4.0 * T * T * C / secs / 1e9);
                } else if (op == 1) {
                    fprintf(out, " %14.1f", best_seconds(run_layernorm, &c, reps, min_s) / T * 1e9);
                } else {
                    // GELU runs in place: refill with model-like values so every run sees the same input.
                    for (size_t i = 0; i < (size_t)T * hidden; i++) c.x[i] = (float)((int)(i % 17) - 8) * 0.5f;
                    fprintf(out, " %14.2f", best_seconds(run_gelu, &c, reps, min_s) / ((double)T * hidden) * 1e9);
                }
            }
            fputc('\n', out);
            fflush(out);
        }
    }
}

// --- entry point -------------------------------------------------------------------------------

static void fill_random(float *p, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)(seed >> 8) / 16777216.0f * 2.0f - 1.0f;
    }
}

void sent_bench_kernels(FILE *out) {
    const SentKernels *tables[8];
    int n_tables = sent_kernels_all(tables, 8);
    fprintf(out, "kernel tables:");
    for (int t = 0; t < n_tables; t++) fprintf(out, " %s", tables[t]->name);
    fprintf(out, " (best: %s)\n", sent_kernels_best()->name);
    double peak = print_cpu_peak(out);

    const int max_n = 512, max_i = 3072, max_o = 3072;
    float *x = mallocCheck((size_t)max_n * max_i * sizeof(float));
    float *w = mallocCheck((size_t)max_o * max_i * sizeof(float));
    float *b = mallocCheck((size_t)max_o * sizeof(float));
    float *y = mallocCheck((size_t)max_n * max_o * sizeof(float));
    int8_t *wq = mallocCheck((size_t)max_o * max_i);
    int8_t *xq = mallocCheck((size_t)max_n * max_i);
    float *ws = mallocCheck((size_t)max_o * (max_i / GROUP) * sizeof(float));
    float *xs = mallocCheck((size_t)max_n * (max_i / GROUP) * sizeof(float));
    fill_random(x, (size_t)max_n * max_i, 1);
    fill_random(w, (size_t)max_o * max_i, 2);
    fill_random(b, (size_t)max_o, 3);
    // Any shape reads the leading part of the weight buffers: quantize them for the widest shape.
    sent_kernels_scalar()->quantize_q8(wq, ws, w, max_o, max_i, GROUP);

    print_linear_table(out, tables, n_tables, 1, peak, x, w, b, wq, ws, xq, xs, y);
    int threads = max_threads();
    if (threads > 1) print_linear_table(out, tables + 1, n_tables - 1, threads, peak, x, w, b, wq, ws, xq, xs, y);
    print_group_sizes(out, x, w, b, wq, ws, xq, xs, y);

    size_t buf_len = (size_t)4 * max_n * 768 + (size_t)max_n * 3072;   // q, k, v, out; x
    float *buf = mallocCheck(buf_len * sizeof(float));
    fill_random(buf, buf_len, 4);
    float *gamma = mallocCheck(768 * sizeof(float)), *beta = mallocCheck(768 * sizeof(float));
    fill_random(gamma, 768, 5);
    fill_random(beta, 768, 6);
    float *scratch = mallocCheck(sent_attention_scratch_floats(max_n, 12, 64) * sizeof(float));   // print_other_ops' heads
    uint8_t *mask = mallocCheck((size_t)max_n);
    memset(mask, 1, (size_t)max_n);
    print_other_ops(out, tables, n_tables, 1, buf, gamma, beta, mask, scratch);
    if (threads > 1) print_other_ops(out, tables + 1, n_tables - 1, threads, buf, gamma, beta, mask, scratch);
    set_threads(threads);

    free(x), free(w), free(b), free(y), free(wq), free(xq), free(ws), free(xs);
    free(buf), free(gamma), free(beta), free(scratch), free(mask);
}

#if defined(SENT_KERNELS_BENCH_MAIN)
// A stand-alone program, for the WebAssembly build of the benchmark (`make bench-kernels-wasm`).
int main(void) {
    sent_bench_kernels(stdout);
    return 0;
}
#endif
