// `sentiment bench-kernels`: the kernel micro-benchmark (see kernels_bench.h). Numbers only.
#include <stdio.h>

#include "args.h"
#include "commands.h"
#include "tools/kernels_bench.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: sentiment bench-kernels\n"
            "Prints the CPU's measured clock and fp32 peak, then GFLOP/s of every kernel table this\n"
            "CPU runs (scalar, avx2, avx512, avx512vnni) on DistilBERT's linear shapes in fp32 and\n"
            "int8, on one thread and on all, and attention / LayerNorm / GELU speed. About a minute.\n"
            "OMP_NUM_THREADS does not apply: the thread counts are set per table.\n");
}

int cmd_bench_kernels(int argc, char **argv) {
    int status = sent_args_parse("bench-kernels", argc - 1, argv + 1, NULL, 0, usage);
    if (status != SENT_ARGS_RUN) return status;
    sent_bench_kernels(stdout);
    return 0;
}
