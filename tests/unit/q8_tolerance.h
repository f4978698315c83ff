// How far a kernel table's linear_q8 may be from the scalar reference: one bound, derived here,
// for tests/unit/test_kernels.c and tests/fuzz/fuzz_kernels.c.
//
// Both compute y = b + sum over G groups of t_g, t_g = dot_g * xs_g * ws_g, with the integer dot
// products exact. With u = 2^-24 (float's unit roundoff: one rounding moves a value x by at most
// u |x|) and M = |b| + sum_g |t_g| (the callers' `mag`, which sums |xq wq| inside each group, is at
// least that):
//   - the reference sums in double and rounds once to float: u M;
//   - every SIMD table (avx2, avx512, avx512vnni, wasm) converts dot_g to float (u |t_g|; exact
//     below 2^24), multiplies ws xs (u |t_g|) and accumulates the product into one float sum
//     per output with a fused multiply-add, or (wasm) a multiply and an add (u |t_g| more): at
//     most 3u |t_g| per term. Each of the G accumulations rounds a partial sum no larger than M
//     (u M each), and the bias add rounds once more (u M).
// So |y - ref| <= (3 + G + 1 + 1) u M = (G + 5) u M to first order; the higher-order terms (about
// G^2 u^2 M) stay below u M while G < 4096, and that one is added. The fused GELU (slope below
// 1.13, and its own 1e-6 relative error) is applied by the callers.
//
// A fixed relative bound cannot hold: the accumulation error grows with G. fuzz_kernels found
// N=6 I=255 O=8 with groups of 1 (G = 255): avx2 80421.625, scalar 80421.4297, exact 80421.4315,
// 2.4e-6 relative, over the 2e-6 the tests used before (tests/fuzz/corpus/kernels/
// regress-255-groups.bin); and, against a first version of this bound that counted each
// rounding as u/2, N=6 I=41 O=27 with groups of 1: avx2 260.023254, exact 260.022831, 4.2e-4
// against 3.7e-4 allowed (regress-41-groups.bin); this bound allows 7.3e-4 there.
#ifndef SENT_TEST_Q8_TOLERANCE_H
#define SENT_TEST_Q8_TOLERANCE_H

static inline double q8_tolerance(int groups, double mag) { return (groups + 6) * 0x1p-24 * mag + 1e-30; }

#endif
