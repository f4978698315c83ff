// Which OpenBLAS kernels the trainer asks for on this CPU.
#ifndef SENT_TRAIN_BLAS_CPU_H
#define SENT_TRAIN_BLAS_CPU_H

// The OPENBLAS_CORETYPE to run OpenBLAS with here, or NULL to leave the choice to OpenBLAS.
// OpenBLAS 0.3.21 does not recognise AMD Zen 4 and falls back to slower kernels, so on a CPU with
// AVX-512 (F, BW, VL, DQ: what its SKYLAKEX kernels execute) SKYLAKEX is forced; on a CPU without
// AVX-512 those kernels die on an invalid opcode, so nothing is forced.
const char *sent_openblas_coretype(void);

#endif
