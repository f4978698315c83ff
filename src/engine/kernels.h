// Compute kernels of the forward pass. Every op has a plain scalar reference (kernels_scalar.c)
// and SIMD versions (AVX2 / AVX-512 / AVX-512 VNNI natively, SIMD128 in WebAssembly); the model
// calls them through a SentKernels table so tests can run the same network on both and compare.
//
// Layouts follow Hugging Face nn.Linear: a weight is [out, in], row-major; activations are
// [N, features], row-major. int8 weights are symmetric, one fp32 scale per group of group_size
// consecutive inputs of an output row (group_size == in means per-row).
//
// Rules every table follows (the tests hold them to it):
// - Any size works: no multiple-of-vector-width requirement; group_size must divide the row.
// - Quantized activations lie in [-127, 127] (the SIMD dot products rely on it; quantize_q8
//   never writes -128); weights may use the whole int8 range. quantize_q8 defines the rounding
//   exactly, so every table produces the same bytes:
//   amax = max |x| over the group, xs = amax / 127, xq = round-half-even(x * (127 / amax)),
//   and a group with amax < SENT_Q8_TINY (zeros included) gets xs = 0, xq = 0.
// - No table allocates: attention gets its scratch from the caller (sent_attention_scratch_floats).
// - int8 accumulation is exact: every table sums xq * wq in int32 (wrapping arithmetic where
//   the instruction wraps; the true sum of a group, |sum| <= 127 * 128 * group_size, fits as
//   long as group_size < 2^17, so the wrapped result is the exact one), then scales per group.
// - Native SIMD tables split linear and attention work over OpenMP threads.
#ifndef SENT_KERNELS_H
#define SENT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define SENT_Q8_TINY 1e-30f
#define SENT_LINEAR_GELU 1   // linear_q8 flag: GELU applied to the output (lin1's, fused in the store)

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
    // int8 weights are repacked once (at model load) into the layout this table's linear_q8
    // streams: q8_packed_size(w) bytes (0: the table reads w as it is, the scalar table), which
    // q8_pack fills from w; `packed` must be 64-byte aligned (sent_q8_pack allocates it so).
    size_t (*q8_packed_size)(const SentQ8 *w);
    void (*q8_pack)(void *packed, const SentQ8 *w);
    // y[N,O] = act(dequant(xq, xs) . dequant(w)^T + b), act = GELU (erf) when flags has
    // SENT_LINEAR_GELU, else identity; w->group_size is the activations' group. `packed` is
    // what this table's q8_pack wrote for w (NULL when q8_packed_size is 0); w's plain arrays
    // are then not read, only its sizes.
    void (*linear_q8)(float *y, const int8_t *xq, const float *xs, const SentQ8 *w, const void *packed,
                      const float *b, int N, int I, int O, int flags);
    // y[N,D] = LayerNorm(x[N,D]) * gamma + beta   (y may alias x)
    void (*layernorm)(float *y, const float *x, const float *gamma, const float *beta, int N, int D,
                      float eps);
    void (*gelu_erf)(float *x, int n);              // in place, exact erf form
    void (*add)(float *y, const float *x, int n);   // y += x
    // Multi-head self-attention on already projected q, k, v: T rows each, ld floats apart
    // (ld >= n_heads*head_dim: the fused QKV projection leaves them side by side in one row);
    // out[T, n_heads*head_dim]; mask[T] is 1 for real tokens, 0 for padding (keys masked out).
    // q is scaled by 1/sqrt(head_dim) inside. scratch holds sent_attention_scratch_floats(T,
    // n_heads, head_dim) floats.
    void (*attention)(float *out, const float *q, const float *k, const float *v, int ld, const uint8_t *mask,
                      int T, int n_heads, int head_dim, float *scratch);
} SentKernels;

const SentKernels *sent_kernels_scalar(void);
// The fastest table this build and CPU support (checked at run time natively).
const SentKernels *sent_kernels_best(void);

// Each SIMD table, or NULL when this build or this CPU cannot run it. The wasm table exists in
// the WebAssembly build, and natively only when compiled with SENT_SIMDE_WASM (unit tests),
// through libsimde's emulation of <wasm_simd128.h>.
const SentKernels *sent_kernels_avx2(void);
const SentKernels *sent_kernels_avx512(void);
const SentKernels *sent_kernels_avx512vnni(void);
const SentKernels *sent_kernels_wasm(void);

// Allocates and fills k's packed copy of w (64-byte aligned, free() it): 0 and *packed = NULL
// when k reads w as it is, 0 with *packed set, or -1 when out of memory.
int sent_q8_pack(const SentKernels *k, const SentQ8 *w, void **packed);

// The panel layout the SIMD tables pack int8 weights into (kernels.c packs, the tables read):
// output rows in panels of nr (the last zero-padded), each panel one contiguous block
//   weights [groups][steps][nr][ku]  (steps = ceil(group_size / ku), k zero-padded per group;
//                                    int8, or int16 when wide: the multiply instruction's pairs)
//   scales  [groups][nr]  float      (w->scale of each row)
//   corr    [groups][nr]  int32      (with_corr: -128 * sum of the group's weights, for u8 x s8)
// so a tile streams one panel front to back and a group's rescale reads nr scales at once.
typedef struct {
    int nr, ku, wide, with_corr;
} SentQ8Format;

typedef struct {
    int groups, steps;                  // per panel: groups, k steps (of ku inputs) per group
    size_t scale_offset, corr_offset;   // bytes from the panel's start
    size_t panel_bytes;                 // panel stride, a multiple of 64
    int panels;
} SentQ8Layout;

SentQ8Layout sent_q8_layout(const SentQ8Format *f, int O, int I, int group_size);
void sent_q8_pack_panels(void *packed, const SentQ8Format *f, const SentQ8 *w);

// Attention as blocked GEMMs, the SIMD tables' `attention` (kernels.c): per head, the real
// keys' K is transposed into K^T [head_dim, nk] and their V rows gathered into [nk, head_dim]
// (masked keys are dropped, so they are never read), then for each block of SENT_ATT_QB
// queries S = scale * Q_blk . K^T, a row softmax of S in place, and O = (P . V) / row sums.
// Both products are C = A . B with B row-major [K, N], which a broadcast-A register tile
// computes with no horizontal sums; a table supplies that tile's GEMM and the softmax.
enum { SENT_ATT_QB = 64 };   // queries per block: S is [64, T], 128 KiB at T = 512 (L2)

typedef struct {
    // c[M, N] = row_scale[i] * (a[M, K] . b[K, N]) (rows lda / ldb / ldc floats apart).
    void (*gemm)(float *c, int ldc, const float *a, int lda, const float *b, int ldb, int M, int N, int K,
                 const float *row_scale);
    // Each of the M rows of s (n values, rows ld apart) becomes exp(s - its max); inv_sum[i] = 1 / its sum.
    void (*softmax_rows)(float *s, int ld, int M, int n, float *inv_sum);
} SentAttentionOps;

void sent_attention_blocked(const SentAttentionOps *ops, float *out, const float *q, const float *k, const float *v,
                            int ld, const uint8_t *mask, int T, int n_heads, int head_dim, float *scratch);

// The scratch `attention` needs, in floats, for every table: per head K^T, V and one block of S.
size_t sent_attention_scratch_floats(int T, int n_heads, int head_dim);

// Every table this build and CPU can run, scalar first; returns how many were written.
int sent_kernels_all(const SentKernels **tables, int max_tables);

// The table called `name` ("scalar", "avx2", ..., or "best"), or NULL when this build or CPU
// cannot run it (or no table has that name).
const SentKernels *sent_kernels_by_name(const char *name);

#endif
