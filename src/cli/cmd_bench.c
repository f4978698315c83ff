// sentiment bench [--reps N] [--group N] [--save DIR] [--quick] [--config all|base|small]
// Milliseconds per review through the public API (tokenize + forward + softmax) at 128, 256 and
// 512 tokens, for distilbert-base and a small config with random weights built in memory, fp32
// vs int8 (one scale per row as converted by default, or --group N), scalar vs the best SIMD kernels, and
// the GFLOP/s that makes (2 FLOP per multiply-add of the matmuls and attention). Compare with
// the fp32 peak printed by `sentiment bench-kernels`. Threads: OpenMP's default
// (OMP_NUM_THREADS). --save writes the models as DIR/{base,small}-{fp32,int8}.smf for the wasm
// benchmark (build_scripts/bench/engine_wasm.mjs).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "tools/convert.h"
#include "explain.h"
#include "sentiment.h"
#include "util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

// A vocab whose tokens are "w5", "w6", ...: a text of n such words is exactly n word pieces.
static char *synthetic_vocab(int size) {
    char *text = mallocCheck((size_t)size * 8 + 64);
    size_t o = (size_t)sprintf(text, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n");
    for (int i = 5; i < size; i++) o += (size_t)sprintf(text + o, "w%d\n", i);
    return text;
}

// n_tokens - 2 words, so that with [CLS] and [SEP] the model sees exactly n_tokens.
static char *synthetic_review(int n_tokens, int vocab_size) {
    char *text = mallocCheck((size_t)n_tokens * 8 + 1);
    size_t o = 0;
    for (int i = 0; i < n_tokens - 2; i++) o += (size_t)sprintf(text + o, "%sw%d", i ? " " : "", 5 + (i * 7919) % (vocab_size - 5));
    text[o] = '\0';
    return text;
}

typedef struct {
    const char *name;
    SentHfConfig cfg;
} BenchConfig;

static double time_review(SentClassifier *c, const char *text, int reps, int expect_tokens) {
    SentResult r;
    SentError err;
    double best = 1e30;
    for (int i = 0; i < reps + 1; i++) {  // the first run warms caches and is not counted
        double t0 = sent_now_seconds();
        if (sent_classify(c, text, strlen(text), &r, &err) != SENT_OK) {
            fprintf(stderr, "bench: %s\n", err.message);
            exit(1);
        }
        double dt = sent_now_seconds() - t0;
        if (i > 0 && dt < best) best = dt;
    }
    if (r.n_tokens != expect_tokens) {
        fprintf(stderr, "bench: review has %d tokens, expected %d\n", r.n_tokens, expect_tokens);
        exit(1);
    }
    return best;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: sentiment bench [--reps N] [--group N] [--save DIR] [--quick] [--config all|base|small]\n"
            "  ms per review at 128, 256 and 512 tokens on random distilbert-base and 4x256 models,\n"
            "  fp32 and int8, scalar and the best SIMD kernels, and the GFLOP/s that makes\n"
            "  --reps N    timed runs per case, the best one reported (default 3)\n"
            "  --group N   int8 inputs per scale (default 0: one scale per row, as convert writes)\n"
            "  --save DIR  also write the models as DIR/{base,small}-{fp32,int8}.smf\n"
            "  --quick     distilbert-base with the best kernels only\n"
            "  --config C  all (default), base (distilbert-base) or small (4x256, the shipped shape)\n");
}

int cmd_bench(int argc, char **argv) {
    int reps = 3, quick = 0, group = sent_convert_defaults().group_size, only = 0;   // only: 0 all, 1 base, 2 small
    const char *save = NULL;
    SentArg args[] = {
        SENT_OPT("--reps", SENT_ARG_INT, &reps, .min = 1, .max = 1000000),
        SENT_OPT("--group", SENT_ARG_INT, &group, .min = 0, .max = 1 << 20),
        SENT_OPT("--save", SENT_ARG_STRING, &save),
        SENT_OPT("--quick", SENT_ARG_FLAG, &quick),
        SENT_OPT("--config", SENT_ARG_CHOICE, &only, .choices = "all|base|small"),
    };
    int status = sent_args_parse("bench", argc - 1, argv + 1, args, SENT_ARGS_COUNT(args), usage);
    if (status != SENT_ARGS_RUN) return status;
    BenchConfig configs[] = {
        {"distilbert-base", {.model = {.vocab_size = 30522, .dim = 768, .n_layers = 6, .n_heads = 12,
                                       .hidden_dim = 3072, .max_position_embeddings = 512, .n_labels = 2},
                             .positive_index = 1}},
        {"small (4x256)", {.model = {.vocab_size = 30522, .dim = 256, .n_layers = 4, .n_heads = 4,
                                     .hidden_dim = 1024, .max_position_embeddings = 512, .n_labels = 2},
                           .positive_index = 1}},
    };
    const char *file_names[2] = {"base", "small"};
    int lengths[] = {128, 256, 512};
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    printf("engine benchmark: ms per review (tokenize + forward + softmax), best of %d, %d thread(s)\n", reps, threads);
    printf("%-16s %-5s %-11s %6s %10s %9s\n", "config", "quant", "kernels", "tokens", "ms/review", "GFLOP/s");
    char *vocab = synthetic_vocab(30522);
    for (int ci = 0; ci < (quick ? 1 : 2); ci++) {
        if (only && ci != only - 1) continue;
        for (int quant = 0; quant < 2; quant++) {
            SentConvertOptions opts = sent_convert_defaults();
            opts.quantize = quant;
            opts.group_size = group;
            char err[256];
            size_t len;
            uint8_t *bytes = sent_convert_random(&configs[ci].cfg, vocab, &opts, 42, &len, err, sizeof err);
            if (!bytes) {
                fprintf(stderr, "bench: %s\n", err);
                return 1;
            }
            if (save) {
                char path[4096];
                snprintf(path, sizeof path, "%s/%s-%s.smf", save, file_names[ci], quant ? "int8" : "fp32");
                FILE *f = fopenCheck(path, "wb");
                fwriteCheck(bytes, 1, len, f);
                fcloseCheck(f);
            }
            const SentKernels *tables[2] = {sent_kernels_scalar(), sent_kernels_best()};
            for (int k = quick ? 1 : 0; k < 2; k++) {
                SentOptions sopts = {.max_batch = 1, .kernels = tables[k]};
                SentError serr;
                SentClassifier *c = sent_load_memory(bytes, len, &sopts, &serr);
                if (!c) {
                    fprintf(stderr, "bench: %s\n", serr.message);
                    return 1;
                }
                SentModelInfo info;
                sent_model_info(c, &info);
                for (int li = 0; li < 3; li++) {
                    // The scalar reference on distilbert-base: 128 tokens only (seconds per review).
                    if (k == 0 && ci == 0 && li > 0) continue;
                    char *review = synthetic_review(lengths[li], 30522);
                    double s = time_review(c, review, k == 0 ? 1 : reps, lengths[li]);
                    printf("%-16s %-5s %-11s %6d %10.2f %9.1f\n", configs[ci].name, quant ? "int8" : "fp32",
                           tables[k]->name, lengths[li], 1e3 * s, sent_forward_flops(&info, lengths[li]) / s / 1e9);
                    fflush(stdout);
                    free(review);
                }
                sent_free(c);
            }
            free(bytes);
        }
    }
    free(vocab);
    return 0;
}
