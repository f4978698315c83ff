// Compute kernels of the forward pass. Every op has a plain scalar reference (kernels_scalar.c)
// and SIMD versions (AVX2 / AVX-512 / AVX-512 VNNI natively, SIMD128 in WebAssembly); the model
// calls them through a SentKernels table so tests can run the same network on both and compare.
//
// Layouts follow Hugging Face nn.Linear: a weight is [out, in], row-major; activations are
// [N, features], row-major. int8 weights are symmetric, one fp32 scale per group of group_size
// consecutive inputs of an output row (group_size == in means per-row).
#ifndef SENT_KERNELS_H
#define SENT_KERNELS_H

#include <stdint.h>

typedef struct {
    const int8_t *q;      // [rows, cols]
    const float *scale;   // [rows, cols / group_size]
    int rows, cols, group_size;
} SentQ8;

typedef struct {
    const char *name;     // "scalar", "avx2", "avx512", "avx512vnni", "wasm-simd128"
    // y[N,O] = x[N,I] . w[O,I]^T + b[O]   (b may be NULL)
    void (*linear_f32)(float *y, const float *x, const float *w, const float *b, int N, int I, int O);
    // Quantizes activations x[N,I] to xq[N,I] with one scale per group: xs[N, I/group_size].
    void (*quantize_q8)(int8_t *xq, float *xs, const float *x, int N, int I, int group_size);
    // y[N,O] = dequant(xq, xs) . dequant(w)^T + b   (w->group_size is the activations' group)
    void (*linear_q8)(float *y, const int8_t *xq, const float *xs, const SentQ8 *w, const float *b,
                      int N, int I, int O);
    // y[N,D] = LayerNorm(x[N,D]) * gamma + beta   (y may alias x)
    void (*layernorm)(float *y, const float *x, const float *gamma, const float *beta, int N, int D,
                      float eps);
    void (*gelu_erf)(float *x, int n);              // in place, exact erf form
    void (*add)(float *y, const float *x, int n);   // y += x
    // Multi-head self-attention on already projected q, k, v [T, n_heads*head_dim]:
    // out[T, n_heads*head_dim]; mask[T] is 1 for real tokens, 0 for padding (keys masked out).
    // q is scaled by 1/sqrt(head_dim) inside. scratch holds at least T floats.
    void (*attention)(float *out, const float *q, const float *k, const float *v, const uint8_t *mask,
                      int T, int n_heads, int head_dim, float *scratch);
} SentKernels;

const SentKernels *sent_kernels_scalar(void);
// The fastest table this build and CPU support (checked at run time natively).
const SentKernels *sent_kernels_best(void);

#endif
