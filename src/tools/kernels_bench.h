// Micro-benchmark of the kernel tables (`sentiment bench-kernels`; the engine's `bench` may call
// it too). Prints numbers only; it asserts nothing.
#ifndef SENT_KERNELS_BENCH_H
#define SENT_KERNELS_BENCH_H

#include <stdio.h>

// Prints this CPU's clock and fp32 peak (measured), then GFLOP/s of every table this build and
// CPU can run on DistilBERT's linear shapes (fp32 and int8, one thread and all threads),
// attention, LayerNorm and GELU. Takes about a minute.
void sent_bench_kernels(FILE *out);

#endif
