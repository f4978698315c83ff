// Picks the kernel table: the fastest one this build and this CPU can run, and the list of all
// of them for the tests and the benchmark. The SIMD tables answer NULL where they cannot run.
// Also the parts the SIMD tables share: int8 weight packing and the blocked attention driver.
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

const SentKernels *sent_kernels_best(void) {
    const SentKernels *(*const by_speed[])(void) = {sent_kernels_avx512vnni, sent_kernels_avx512,
                                                   sent_kernels_avx2, sent_kernels_wasm};
    for (size_t i = 0; i < sizeof by_speed / sizeof by_speed[0]; i++) {
        const SentKernels *k = by_speed[i]();
        if (k) return k;
    }
    return sent_kernels_scalar();
}

int sent_kernels_all(const SentKernels **tables, int max_tables) {
    const SentKernels *(*const all[])(void) = {sent_kernels_scalar, sent_kernels_avx2, sent_kernels_avx512,
                                              sent_kernels_avx512vnni, sent_kernels_wasm};
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0] && n < max_tables; i++) {
        const SentKernels *k = all[i]();
        if (k) tables[n++] = k;
    }
    return n;
}

const SentKernels *sent_kernels_by_name(const char *name) {
    if (!strcmp(name, "best")) return sent_kernels_best();
    const SentKernels *tables[8];
    int n = sent_kernels_all(tables, 8);
    for (int i = 0; i < n; i++)
        if (!strcmp(tables[i]->name, name)) return tables[i];
    return NULL;
}

int sent_q8_pack(const SentKernels *k, const SentQ8 *w, void **packed) {
    *packed = NULL;
    size_t bytes = k->q8_packed_size(w);
    if (!bytes) return 0;
    // aligned_alloc wants a multiple of the alignment; the layouts are already.
    *packed = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (!*packed) return -1;
    k->q8_pack(*packed, w);
    return 0;
}

SentQ8Layout sent_q8_layout(const SentQ8Format *f, int O, int I, int group_size) {
    SentQ8Layout L;
    L.groups = I / group_size;
    L.steps = (group_size + f->ku - 1) / f->ku;
    L.panels = (O + f->nr - 1) / f->nr;
    size_t weights = (size_t)L.groups * L.steps * f->nr * f->ku * (f->wide ? 2 : 1);
    size_t per_group = (size_t)L.groups * f->nr * 4;
    L.scale_offset = (weights + 63) & ~(size_t)63;
    L.corr_offset = L.scale_offset + ((per_group + 63) & ~(size_t)63);
    L.panel_bytes = f->with_corr ? L.corr_offset + ((per_group + 63) & ~(size_t)63) : L.corr_offset;
    return L;
}

void sent_q8_pack_panels(void *packed, const SentQ8Format *f, const SentQ8 *w) {
    // packed: [panels] blocks of L.panel_bytes; w->q: [O, I], w->scale: [O, I / gs]
    int O = w->rows, I = w->cols, gs = w->group_size, nr = f->nr, ku = f->ku;
    SentQ8Layout L = sent_q8_layout(f, O, I, gs);
    memset(packed, 0, L.panel_bytes * L.panels);
    for (int p = 0; p < L.panels; p++) {
        unsigned char *panel = (unsigned char *)packed + L.panel_bytes * p;
        int8_t *w8 = (int8_t *)panel;
        int16_t *w16 = (int16_t *)panel;
        float *scale = (float *)(panel + L.scale_offset);
        int32_t *corr = (int32_t *)(panel + L.corr_offset);
        for (int j = 0; j < nr && p * nr + j < O; j++) {
            int o = p * nr + j;
            for (int g = 0; g < L.groups; g++) {
                int32_t sum = 0;
                for (int k = 0; k < gs; k++) {
                    int8_t v = w->q[(size_t)o * I + (size_t)g * gs + k];
                    size_t at = (((size_t)g * L.steps + k / ku) * nr + j) * ku + k % ku;
                    if (f->wide) w16[at] = v;
                    else w8[at] = v;
                    sum += v;
                }
                scale[(size_t)g * nr + j] = w->scale[(size_t)o * L.groups + g];
                if (f->with_corr) corr[(size_t)g * nr + j] = -128 * sum;
            }
        }
    }
}

// --- blocked attention ---------------------------------------------------------------------------

// K^T's row stride for T keys: T rounded up to 16, plus 16 so that rows are not a multiple of
// 2 KiB apart (at T = 512 the 64 rows a tile column reads would otherwise share two L1 sets).
static int kt_stride(int T) { return ((T + 15) & ~15) + 16; }

static size_t attention_head_floats(int T, int head_dim) {
    size_t ldk = (size_t)kt_stride(T);
    return (size_t)head_dim * ldk + (size_t)T * head_dim + (size_t)SENT_ATT_QB * ldk;
}

size_t sent_attention_scratch_floats(int T, int n_heads, int head_dim) {
    return (size_t)n_heads * attention_head_floats(T, head_dim);   // the scalar table needs T of them
}

#define ATT_PARALLEL_MIN_MACS (1L << 18)   // below this, waking the thread team costs more

void sent_attention_blocked(const SentAttentionOps *ops, float *out, const float *q, const float *k, const float *v,
                            int ld, const uint8_t *mask, int T, int n_heads, int head_dim, float *scratch) {
    // out: [T, C]; q, k, v: [T] rows of ld floats, head h at columns h * head_dim; mask: [T]
    int C = n_heads * head_dim, ldk = kt_stride(T);
    float scale = 1.0f / sqrtf((float)head_dim), scales[SENT_ATT_QB];
    for (int i = 0; i < SENT_ATT_QB; i++) scales[i] = scale;
    // One head per thread: each owns its slice of scratch, so K^T and V are built once per head.
#pragma omp parallel for schedule(dynamic) if ((long)n_heads * T * T * head_dim >= ATT_PARALLEL_MIN_MACS)
    for (int h = 0; h < n_heads; h++) {
        float *kt = scratch + (size_t)h * attention_head_floats(T, head_dim);   // [head_dim, ldk]
        float *vr = kt + (size_t)head_dim * ldk;                                // [nk, head_dim]
        float *s = vr + (size_t)T * head_dim;                                   // [SENT_ATT_QB, ldk]
        size_t col = (size_t)h * head_dim;
        int nk = 0;
        for (int t = 0; t < T; t++) {
            if (!mask[t]) continue;
            const float *kr = k + (size_t)t * ld + col;
            for (int d = 0; d < head_dim; d++) kt[(size_t)d * ldk + nk] = kr[d];
            memcpy(vr + (size_t)nk * head_dim, v + (size_t)t * ld + col, (size_t)head_dim * sizeof(float));
            nk++;
        }
        if (!nk) {   // every key masked: nothing to attend to, the output is zero
            for (int t = 0; t < T; t++) memset(out + (size_t)t * C + col, 0, (size_t)head_dim * sizeof(float));
            continue;
        }
        for (int t0 = 0; t0 < T; t0 += SENT_ATT_QB) {
            int nq = T - t0 < SENT_ATT_QB ? T - t0 : SENT_ATT_QB;
            float inv_sum[SENT_ATT_QB];
            ops->gemm(s, ldk, q + (size_t)t0 * ld + col, ld, kt, ldk, nq, nk, head_dim, scales);
            ops->softmax_rows(s, ldk, nq, nk, inv_sum);
            ops->gemm(out + (size_t)t0 * C + col, C, s, ldk, vr, head_dim, nq, head_dim, nk, inv_sum);
        }
    }
}
