// The DistilBERT forward pass (see model.h), read top to bottom like the network: config,
// weights (distilbert_params.h's table, walked in order), run state, then embeddings → blocks →
// head.
#include "model.h"
#include "parallel.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// --- config ------------------------------------------------------------------------------------

int sent_config_from_meta(SentDistilBertConfig *cfg, const cJSON *meta, char *err, size_t err_size) {
    memset(cfg, 0, sizeof *cfg);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(meta, "config");
    if (!cJSON_IsObject(c)) return sent_errorf(err, err_size, "metadata has no \"config\" object");
    return sent_distilbert_config_from_json(cfg, c, 0, "config.", err, err_size);
}

// --- weights -----------------------------------------------------------------------------------

// The file's tensor p after checking its shape and dtype (int8 allowed for embedding tables and
// Linear weights), or NULL with err.
static const SentTensor *find(const SentModelFile *mf, const SentParam *p, char *err, size_t err_size) {
    const SentTensor *t = sent_model_file_find(mf, p->name);
    if (!t) {
        sent_errorf(err, err_size, "tensor '%s' is missing", p->name);
        return NULL;
    }
    int rows = p->rows, cols = p->cols, want_ndim = rows ? 2 : 1;
    if (t->ndim != want_ndim || (rows && t->shape[0] != rows) || t->shape[want_ndim - 1] != cols) {
        sent_errorf(err, err_size, "tensor '%s' has shape [%lld%s%lld], expected [%d%s%d]", p->name,
                    (long long)t->shape[0], t->ndim > 1 ? ", " : "", t->ndim > 1 ? (long long)t->shape[1] : 0LL,
                    rows ? rows : cols, rows ? ", " : "", rows ? cols : 0);
        return NULL;
    }
    int allow_i8 = p->kind == SENT_TENSOR_EMBEDDING || p->kind == SENT_TENSOR_WEIGHT;
    if (t->dtype != SENT_DTYPE_F32 && !allow_i8) {
        sent_errorf(err, err_size, "tensor '%s' must be f32", p->name);
        return NULL;
    }
    return t;
}

// Where a module's tensors go in w: its Linear, embedding table or LayerNorm.
typedef struct {
    SentLinear *linear;
    SentEmbedding *embedding;
    SentLayerNorm *norm;
} Slot;

static Slot slot_of(SentWeights *w, SentModule module, int layer) {
    SentLayerWeights *lw = layer >= 0 ? &w->layers[layer] : NULL;
    switch (module) {
    case SENT_MODULE_WORD_EMBEDDINGS: return (Slot){.embedding = &w->word_embeddings};
    case SENT_MODULE_POSITION_EMBEDDINGS: return (Slot){.embedding = &w->position_embeddings};
    case SENT_MODULE_EMBEDDINGS_LAYER_NORM: return (Slot){.norm = &w->emb_ln};
    case SENT_MODULE_Q_LIN: return (Slot){.linear = &lw->q};
    case SENT_MODULE_K_LIN: return (Slot){.linear = &lw->k};
    case SENT_MODULE_V_LIN: return (Slot){.linear = &lw->v};
    case SENT_MODULE_OUT_LIN: return (Slot){.linear = &lw->out_lin};
    case SENT_MODULE_SA_LAYER_NORM: return (Slot){.norm = &lw->sa_ln};
    case SENT_MODULE_LIN1: return (Slot){.linear = &lw->lin1};
    case SENT_MODULE_LIN2: return (Slot){.linear = &lw->lin2};
    case SENT_MODULE_OUTPUT_LAYER_NORM: return (Slot){.norm = &lw->out_ln};
    case SENT_MODULE_PRE_CLASSIFIER: return (Slot){.linear = &w->pre_classifier};
    case SENT_MODULE_CLASSIFIER: return (Slot){.linear = &w->classifier};
    default: return (Slot){0};   // the MLM head: not part of a classifier
    }
}

// Points the slot of p at tensor t (fp32, or int8 with its scales).
static void bind(SentWeights *w, const SentParam *p, const SentTensor *t) {
    Slot slot = slot_of(w, p->module, p->layer);
    int i8 = t->dtype != SENT_DTYPE_F32;
    switch (p->kind) {
    case SENT_TENSOR_EMBEDDING:
        *slot.embedding = i8 ? (SentEmbedding){.q = t->data, .scale = t->scale, .group = t->group_size}
                             : (SentEmbedding){.f = t->data};
        slot.embedding->rows = p->rows;
        slot.embedding->cols = p->cols;
        break;
    case SENT_TENSOR_WEIGHT:
        if (i8) {
            slot.linear->q = (SentQ8){.q = t->data, .scale = t->scale, .rows = p->rows, .cols = p->cols,
                                      .group_size = t->group_size};
            if (!w->q8_group || t->group_size < w->q8_group) w->q8_group = t->group_size;
        } else {
            slot.linear->w = t->data;
        }
        slot.linear->out = p->rows;
        slot.linear->in = p->cols;
        break;
    case SENT_TENSOR_BIAS: slot.linear->b = t->data; break;
    case SENT_TENSOR_NORM_WEIGHT: slot.norm->w = t->data; break;
    case SENT_TENSOR_NORM_BIAS: slot.norm->b = t->data; break;
    }
}

// Builds lw->qkv, the three projections stacked into one [3D, D] Linear (one allocation:
// bias, then int8 scales, then weights), when q, k and v are all fp32 or all int8 with one
// group size; otherwise leaves it empty. 0, or -1 when out of memory.
static int fuse_qkv(SentLayerWeights *lw) {
    const SentLinear *part[3] = {&lw->q, &lw->k, &lw->v};
    int D = lw->q.out, I = lw->q.in, i8 = !lw->q.w, gs = lw->q.q.group_size;
    for (int i = 1; i < 3; i++)
        if ((part[i]->w == NULL) != i8 || part[i]->in != I || (i8 && part[i]->q.group_size != gs)) return 0;
    size_t rows = 3 * (size_t)D, groups = i8 ? (size_t)(I / gs) : 0;
    size_t floats = rows + rows * groups + (i8 ? 0 : rows * I), bytes = floats * sizeof(float) + (i8 ? rows * I : 0);
    float *bias = malloc(bytes);
    if (!bias) return -1;
    float *scale = bias + rows, *wf = scale + rows * groups;
    int8_t *wq = (int8_t *)(scale + rows * groups);
    for (int i = 0; i < 3; i++) {
        size_t r0 = (size_t)i * D;
        memcpy(bias + r0, part[i]->b, (size_t)D * sizeof(float));
        if (i8) {
            memcpy(wq + r0 * I, part[i]->q.q, (size_t)D * I);
            memcpy(scale + r0 * groups, part[i]->q.scale, (size_t)D * groups * sizeof(float));
        } else {
            memcpy(wf + r0 * I, part[i]->w, (size_t)D * I * sizeof(float));
        }
    }
    lw->qkv = (SentLinear){.w = i8 ? NULL : wf, .b = bias, .in = I, .out = 3 * D};
    if (i8) lw->qkv.q = (SentQ8){.q = wq, .scale = scale, .rows = 3 * D, .cols = I, .group_size = gs};
    lw->qkv_owned = bias;
    return 0;
}

int sent_weights_from_file(SentWeights *w, const SentDistilBertConfig *cfg, const SentModelFile *mf, char *err,
                           size_t err_size) {
    memset(w, 0, sizeof *w);
    w->layers = calloc((size_t)cfg->n_layers, sizeof *w->layers);
    w->n_layers = w->layers ? cfg->n_layers : 0;
    if (!w->layers) return sent_errorf(err, err_size, "out of memory");
    SentParam p;
    for (int i = 0; sent_distilbert_param(cfg, SENT_SEQUENCE_CLASSIFIER, i, &p); i++) {
        const SentTensor *t = find(mf, &p, err, err_size);
        if (!t) {
            sent_weights_free(w);
            return -1;
        }
        bind(w, &p, t);
    }
    for (int l = 0; l < w->n_layers; l++)
        if (fuse_qkv(&w->layers[l])) {
            sent_weights_free(w);
            return sent_errorf(err, err_size, "out of memory");
        }
    return 0;
}

// Every linear layer the forward pass runs: per block qkv (or q, k, v when not fused),
// out_lin, lin1, lin2; then the head's two; returns how many.
static int all_linears(SentWeights *w, SentLinear **out) {
    int n = 0;
    for (int l = 0; l < w->n_layers; l++) {
        SentLayerWeights *lw = &w->layers[l];
        if (lw->qkv.out) {
            out[n++] = &lw->qkv;
        } else {
            out[n++] = &lw->q;
            out[n++] = &lw->k;
            out[n++] = &lw->v;
        }
        out[n++] = &lw->out_lin;
        out[n++] = &lw->lin1;
        out[n++] = &lw->lin2;
    }
    out[n++] = &w->pre_classifier;
    out[n++] = &w->classifier;
    return n;
}

static void free_packed(SentWeights *w) {
    SentLinear *lins[6 * 256 + 2];   // n_layers <= 256 (sent_config_from_meta)
    int n = all_linears(w, lins);
    for (int i = 0; i < n; i++) {
        free(lins[i]->packed);
        lins[i]->packed = NULL;
    }
    w->packed_for = NULL;
}

int sent_weights_pack(SentWeights *w, const SentKernels *k) {
    free_packed(w);
    SentLinear *lins[6 * 256 + 2];
    int n = all_linears(w, lins);
    for (int i = 0; i < n; i++)
        if (!lins[i]->w && sent_q8_pack(k, &lins[i]->q, &lins[i]->packed)) {
            free_packed(w);
            return -1;
        }
    w->packed_for = k;
    return 0;
}

void sent_weights_free(SentWeights *w) {
    free_packed(w);
    for (int l = 0; l < w->n_layers; l++) free(w->layers[l].qkv_owned);
    free(w->layers);
    memset(w, 0, sizeof *w);
}

// --- run state ---------------------------------------------------------------------------------

int sent_runstate_new(SentRunState *s, const SentDistilBertConfig *cfg, const SentWeights *w, int max_batch,
                      int max_len, char *err, size_t err_size) {
    memset(s, 0, sizeof *s);
    if (max_batch < 1 || max_len < 1 || max_len > cfg->max_position_embeddings)
        return sent_errorf(err, err_size, "run state: batch %d / length %d out of range (max length %d)", max_batch, max_len,
                    cfg->max_position_embeddings);
    int D = cfg->dim, H = cfg->hidden_dim, widest = D > H ? D : H;
    int group = w->q8_group && w->q8_group < widest ? w->q8_group : widest;   // activation scales per row
    size_t N = (size_t)max_batch * (size_t)max_len;
    s->max_batch = max_batch;
    s->max_len = max_len;
    s->x = malloc(N * D * sizeof(float));
    s->xb = malloc(N * D * sizeof(float));
    s->qkv = malloc(N * 3 * D * sizeof(float));
    s->ctx = malloc(N * D * sizeof(float));
    s->h = malloc(N * H * sizeof(float));
    s->xq_stride = widest;
    s->xs_stride = widest / group + 1;
    s->xq = malloc(N * s->xq_stride);
    s->xs = malloc(N * s->xs_stride * sizeof(float));
    // attention's scratch: one head's per slot when threads share the heads out, all heads' with
    // one slot (the kernel then runs every head of a sequence itself)
    s->n_slots = sent_parallel_threads();
    int head_dim = D / cfg->n_heads;
    s->scratch = malloc(sent_attention_scratch_floats(max_len, s->n_slots > 1 ? s->n_slots : cfg->n_heads, head_dim) *
                        sizeof(float));
    if (s->n_slots > 1) s->head_out = malloc((size_t)s->n_slots * max_len * head_dim * sizeof(float));
    s->ones = malloc((size_t)max_len);
    s->seq_start = malloc((size_t)max_batch * sizeof(int));
    s->seq_len = malloc((size_t)max_batch * sizeof(int));
    s->pooled = malloc((size_t)max_batch * D * sizeof(float));
    s->pre = malloc((size_t)max_batch * D * sizeof(float));
    s->logits = malloc((size_t)max_batch * cfg->n_labels * sizeof(float));
    if (!s->x || !s->xb || !s->qkv || !s->ctx || !s->h || !s->xq || !s->xs || !s->scratch ||
        (s->n_slots > 1 && !s->head_out) || !s->ones || !s->seq_start || !s->seq_len || !s->pooled || !s->pre ||
        !s->logits) {
        sent_runstate_free(s);
        return sent_errorf(err, err_size, "out of memory for activations (batch %d x %d tokens)", max_batch, max_len);
    }
    memset(s->ones, 1, (size_t)max_len);
    return 0;
}

void sent_runstate_free(SentRunState *s) {
    free(s->x);
    free(s->xb);
    free(s->qkv);
    free(s->ctx);
    free(s->h);
    free(s->xq);
    free(s->xs);
    free(s->scratch);
    free(s->head_out);
    free(s->ones);
    free(s->seq_start);
    free(s->seq_len);
    free(s->pooled);
    free(s->pre);
    free(s->logits);
    memset(s, 0, sizeof *s);
}

// --- forward -----------------------------------------------------------------------------------

// Linear layers and LayerNorms are split over parallel.h's threads by rows, in multiples of the
// int8 kernels' 4-row register tile so no thread gets a ragged tile in the middle; a layer under
// PARALLEL_MIN_MACS multiply-adds (or a LayerNorm under PARALLEL_MIN_ELEMENTS values) runs in
// the caller: a hand-over costs microseconds.
#define ROW_TILE 4
#define PARALLEL_MIN_MACS (1 << 20)
#define PARALLEL_MIN_ELEMENTS (1 << 15)

static int row_units(int N) { return (N + ROW_TILE - 1) / ROW_TILE; }

typedef struct {
    const SentKernels *k, *kq;   // the table, and the one the int8 path runs (k or the scalar reference)
    const SentLinear *lin;
    SentRunState *s;
    float *y;                    // [N, out]
    const float *x;              // [N, in]
    int N, flags;
} LinearJob;

// Rows [begin, end) tiles of a LinearJob: each thread quantizes its own rows of x into its rows of
// s->xq / s->xs and multiplies them, so the two steps need no barrier between them.
static void linear_rows(void *arg, int begin, int end) {
    const LinearJob *j = arg;
    const SentLinear *lin = j->lin;
    int r0 = begin * ROW_TILE, r1 = end * ROW_TILE < j->N ? end * ROW_TILE : j->N, rows = r1 - r0;
    int I = lin->in, O = lin->out;
    float *y = j->y + (size_t)r0 * O;         // [rows, O]
    const float *x = j->x + (size_t)r0 * I;   // [rows, I]
    if (lin->w) {
        j->k->linear_f32(y, x, lin->w, lin->b, rows, I, O);
        if (j->flags & SENT_LINEAR_GELU) j->k->gelu_erf(y, rows * O);
    } else {
        int8_t *xq = j->s->xq + (size_t)r0 * j->s->xq_stride;   // [rows, I]
        float *xs = j->s->xs + (size_t)r0 * j->s->xs_stride;    // [rows, I / group_size]
        j->k->quantize_q8(xq, xs, x, rows, I, lin->q.group_size);
        j->kq->linear_q8(y, xq, xs, &lin->q, j->kq == j->k ? lin->packed : NULL, lin->b, rows, I, O, j->flags);
    }
}

// The job for y[N, out] = act(x[N, in] W^T + b) (act: GELU with SENT_LINEAR_GELU in flags),
// through the fp32 or the int8 kernel; int8 weights not packed for k (an out-of-memory repack) go
// through the scalar reference, which reads the plain layout.
static LinearJob linear_job(const SentKernels *k, const SentWeights *w, SentRunState *s, float *y, const float *x,
                            const SentLinear *lin, int N, int flags) {
    return (LinearJob){.k = k, .kq = lin->w || w->packed_for == k ? k : sent_kernels_scalar(), .lin = lin, .s = s,
                       .y = y, .x = x, .N = N, .flags = flags};
}

static void linear_forward(const SentKernels *k, const SentWeights *w, SentRunState *s, float *y, const float *x,
                           const SentLinear *lin, int N, int flags) {
    LinearJob job = linear_job(k, w, s, y, x, lin, N, flags);
    if ((double)N * lin->in * lin->out >= PARALLEL_MIN_MACS) sent_parallel_for(row_units(N), linear_rows, &job);
    else linear_rows(&job, 0, row_units(N));
}

typedef struct {
    const SentKernels *k;
    const SentLayerNorm *ln;
    float *x;         // [N, D] the residual stream, overwritten with LayerNorm(x + sub)
    float *sub;       // [N, D] the sublayer's output (clobbered)
    int N, D;
    float eps;
} ResidualJob;

static void residual_rows(void *arg, int begin, int end) {
    const ResidualJob *j = arg;
    int r0 = begin * ROW_TILE, r1 = end * ROW_TILE < j->N ? end * ROW_TILE : j->N;
    size_t off = (size_t)r0 * j->D;
    j->k->add(j->sub + off, j->x + off, (r1 - r0) * j->D);
    j->k->layernorm(j->x + off, j->sub + off, j->ln->w, j->ln->b, r1 - r0, j->D, j->eps);
}

// x = LayerNorm(x + sub), by rows over the threads.
static void residual_layernorm(const SentKernels *k, const SentLayerNorm *ln, float *x, float *sub, int N, int D,
                               float eps) {
    ResidualJob job = {.k = k, .ln = ln, .x = x, .sub = sub, .N = N, .D = D, .eps = eps};
    if ((double)N * D >= PARALLEL_MIN_ELEMENTS) sent_parallel_for(row_units(N), residual_rows, &job);
    else residual_rows(&job, 0, row_units(N));
}

// out[D] = table[row] (+=, when accumulate), dequantizing int8 rows.
static void embedding_row(float *out, const SentEmbedding *e, int row, int accumulate) {
    int D = e->cols;
    if (e->f) {
        const float *src = e->f + (size_t)row * D;
        for (int i = 0; i < D; i++) out[i] = accumulate ? out[i] + src[i] : src[i];
        return;
    }
    const int8_t *q = e->q + (size_t)row * D;
    const float *scale = e->scale + (size_t)row * (D / e->group);
    for (int i = 0; i < D; i++) {
        float v = (float)q[i] * scale[i / e->group];
        out[i] = accumulate ? out[i] + v : v;
    }
}

// Where a layer's projections of N rows are: q, k, v rows ld floats apart.
typedef struct {
    float *q, *k, *v;
    int ld;
} Projections;

// Where q, k and v of N rows go in s->qkv: interleaved rows [N, 3D] when the layer's projections
// are fused into one GEMM, else three [N, D] blocks.
static Projections qkv_layout(SentRunState *s, const SentLayerWeights *lw, int N) {
    int D = lw->q.out;
    if (lw->qkv.out) return (Projections){s->qkv, s->qkv + D, s->qkv + 2 * D, 3 * D};
    return (Projections){s->qkv, s->qkv + (size_t)N * D, s->qkv + 2 * (size_t)N * D, D};
}

// Rows [begin, end) tiles of q, k and v of x[N, D] into qkv_layout's places: one GEMM, or three.
static void qkv_rows(const SentKernels *k, const SentWeights *w, SentRunState *s, const SentLayerWeights *lw,
                     const float *x, int N, int begin, int end) {
    Projections p = qkv_layout(s, lw, N);
    int fused = lw->qkv.out != 0;
    const SentLinear *lins[3] = {fused ? &lw->qkv : &lw->q, &lw->k, &lw->v};
    float *outs[3] = {p.q, p.k, p.v};
    for (int i = 0; i < (fused ? 1 : 3); i++) {
        LinearJob job = linear_job(k, w, s, outs[i], x, lins[i], N, 0);
        linear_rows(&job, begin, end);
    }
}

typedef struct {
    const SentKernels *k;
    const SentWeights *w;
    SentRunState *s;
    const SentLayerWeights *lw;
    const float *x;   // [N, D]
    int N;
} QkvJob;

static void qkv_job_rows(void *arg, int begin, int end) {
    const QkvJob *j = arg;
    qkv_rows(j->k, j->w, j->s, j->lw, j->x, j->N, begin, end);
}

// q, k and v of x[N, D] by rows over the threads.
static Projections project_qkv(const SentKernels *k, const SentWeights *w, SentRunState *s, const SentLayerWeights *lw,
                               const float *x, int N) {
    QkvJob job = {.k = k, .w = w, .s = s, .lw = lw, .x = x, .N = N};
    if ((double)N * lw->q.in * 3 * lw->q.out >= PARALLEL_MIN_MACS) sent_parallel_for(row_units(N), qkv_job_rows, &job);
    else qkv_job_rows(&job, 0, row_units(N));
    return qkv_layout(s, lw, N);
}

// Everything of a block after its attention, and the next block's projections: out_lin, the
// residual LayerNorm, the FFN, the second residual LayerNorm, then q, k, v of the result for
// `next` (NULL: none). Each of these reads only its own row, so one job does all of them for a
// range of rows: with threads, one hand-over per block here instead of five or six, which at a
// hundred tokens cost as much as the work between them. The per-row arithmetic is the same as
// running them one at a time, so results do not depend on the thread count.
typedef struct {
    const SentKernels *k;
    const SentWeights *w;
    SentRunState *s;
    const SentLayerWeights *lw, *next;
    int N, D;
    float eps;
} BlockTailJob;

static void block_tail_rows(void *arg, int begin, int end) {
    const BlockTailJob *j = arg;
    const SentLayerWeights *lw = j->lw;
    SentRunState *s = j->s;
    LinearJob out_lin = linear_job(j->k, j->w, s, s->xb, s->ctx, &lw->out_lin, j->N, 0);
    LinearJob lin1 = linear_job(j->k, j->w, s, s->h, s->x, &lw->lin1, j->N, SENT_LINEAR_GELU);
    LinearJob lin2 = linear_job(j->k, j->w, s, s->xb, s->h, &lw->lin2, j->N, 0);
    ResidualJob sa_ln = {.k = j->k, .ln = &lw->sa_ln, .x = s->x, .sub = s->xb, .N = j->N, .D = j->D, .eps = j->eps};
    ResidualJob out_ln = sa_ln;
    out_ln.ln = &lw->out_ln;
    linear_rows(&out_lin, begin, end);
    residual_rows(&sa_ln, begin, end);
    linear_rows(&lin1, begin, end);
    linear_rows(&lin2, begin, end);
    residual_rows(&out_ln, begin, end);
    if (j->next) qkv_rows(j->k, j->w, s, j->next, s->x, j->N, begin, end);
}

static void block_tail(const SentKernels *k, const SentWeights *w, SentRunState *s, const SentLayerWeights *lw,
                       const SentLayerWeights *next, int N, int D, float eps) {
    BlockTailJob job = {.k = k, .w = w, .s = s, .lw = lw, .next = next, .N = N, .D = D, .eps = eps};
    if ((double)N * lw->lin1.in * lw->lin1.out >= PARALLEL_MIN_MACS) sent_parallel_for(row_units(N), block_tail_rows, &job);
    else block_tail_rows(&job, 0, row_units(N));
}

typedef struct {
    const SentKernels *k;
    SentRunState *s;
    Projections p;
    const uint8_t *masks;   // [B, mask_stride], or NULL for the packed case (s->ones)
    int mask_stride, B, n_heads, head_dim;
} AttentionJob;

// Slots [begin, end) of an AttentionJob: slot j takes its share of the B * n_heads (sequence,
// head) pairs and runs the kernel on each with one head, reading that head's columns of q, k, v
// in place (rows p.ld apart); its output goes through the slot's [T, head_dim] buffer into s->ctx.
static void attention_slots(void *arg, int begin, int end) {
    const AttentionJob *j = arg;
    SentRunState *s = j->s;
    int hd = j->head_dim, C = j->n_heads * hd, items = j->B * j->n_heads, ld = j->p.ld;
    size_t scratch_floats = sent_attention_scratch_floats(s->max_len, 1, hd);
    for (int slot = begin; slot < end; slot++) {
        float *o = s->head_out + (size_t)slot * s->max_len * hd;   // [T, hd]
        float *scratch = s->scratch + (size_t)slot * scratch_floats;
        int first = (int)((long long)items * slot / s->n_slots), last = (int)((long long)items * (slot + 1) / s->n_slots);
        for (int item = first; item < last; item++) {
            int b = item / j->n_heads, h = item % j->n_heads, T = s->seq_len[b];
            size_t in = (size_t)s->seq_start[b] * ld + (size_t)h * hd;
            const uint8_t *mask = j->masks ? j->masks + (size_t)b * j->mask_stride : s->ones;
            j->k->attention(o, j->p.q + in, j->p.k + in, j->p.v + in, ld, mask, T, 1, hd, scratch);
            size_t out = (size_t)s->seq_start[b] * C + (size_t)h * hd;
            for (int t = 0; t < T; t++) memcpy(s->ctx + out + (size_t)t * C, o + (size_t)t * hd, hd * sizeof(float));
        }
    }
}

// s->ctx = self-attention of every sequence on the projections p. With one slot (native, or
// wasm without threads) the kernel runs all heads of a sequence at once, and natively splits them
// over OpenMP itself; with more, (sequence, head) pairs are shared out over the slots.
static void attention_forward(const SentKernels *k, SentRunState *s, Projections p, int B, const uint8_t *masks,
                              int mask_stride, int n_heads, int head_dim) {
    if (s->n_slots == 1) {
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)s->seq_start[b];
            const uint8_t *mask = mask_stride ? masks + (size_t)b * mask_stride : s->ones;
            k->attention(s->ctx + row * n_heads * head_dim, p.q + row * p.ld, p.k + row * p.ld, p.v + row * p.ld, p.ld,
                         mask, s->seq_len[b], n_heads, head_dim, s->scratch);
        }
        return;
    }
    AttentionJob job = {.k = k, .s = s, .p = p, .masks = mask_stride ? masks : NULL, .mask_stride = mask_stride,
                        .B = B, .n_heads = n_heads, .head_dim = head_dim};
    sent_parallel_for(s->n_slots, attention_slots, &job);
}

// One query row against a sequence's keys, all heads: out[C] = softmax(q k^T / sqrt(hd)) v
// over the keys with mask[t] set (zero when none is), computed as the kernels' attention does
// (max-subtracted exponentials, float), without their per-query-block machinery.
static void attention_one_query(float *out, const float *q, const float *k, const float *v, int ld, const uint8_t *mask,
                                int T, int n_heads, int head_dim, float *scores) {
    // out, q: [n_heads * head_dim]; k, v: [T] rows of ld floats; mask: [T]; scores: [T]
    float scale = 1.0f / sqrtf((float)head_dim);
    for (int h = 0; h < n_heads; h++) {
        const float *qh = q + (size_t)h * head_dim;
        float max_score = -INFINITY, denom = 0.0f;
        for (int t = 0; t < T; t++) {
            if (!mask[t]) continue;
            const float *kt = k + (size_t)t * ld + (size_t)h * head_dim;
            float dot = 0.0f;
            for (int d = 0; d < head_dim; d++) dot += qh[d] * kt[d];
            scores[t] = dot * scale;
            if (scores[t] > max_score) max_score = scores[t];
        }
        float *oh = out + (size_t)h * head_dim;
        for (int d = 0; d < head_dim; d++) oh[d] = 0.0f;
        for (int t = 0; t < T; t++) {
            if (!mask[t]) continue;
            float p = expf(scores[t] - max_score);
            denom += p;
            const float *vt = v + (size_t)t * ld + (size_t)h * head_dim;
            for (int d = 0; d < head_dim; d++) oh[d] += p * vt[d];
        }
        float inv = denom > 0.0f ? 1.0f / denom : 0.0f;
        for (int d = 0; d < head_dim; d++) oh[d] *= inv;
    }
}

// The last block when only the head's input is wanted: the classifier reads each sequence's
// [CLS] row, so K and V are computed for every row (every key), but attention, out_lin, both
// LayerNorms and the FFN only for the B [CLS] rows. Q comes out of the fused projection for
// every row too (one GEMM, the input quantized once; the unused rows of Q cost about 1/3 of
// that GEMM), by the block before, into p. Leaves those rows in s->pooled [B, D]; s->ctx, s->xb,
// s->h are used for B rows.
static void last_layer_cls(const SentDistilBertConfig *cfg, const SentLayerWeights *lw, const SentWeights *w, SentRunState *s,
                           const SentKernels *k, Projections p, int B, const uint8_t *masks, int mask_stride) {
    int D = cfg->dim, head_dim = D / cfg->n_heads;
    float eps = cfg->layer_norm_eps;
    for (int b = 0; b < B; b++)
        memcpy(s->pooled + (size_t)b * D, s->x + (size_t)s->seq_start[b] * D, D * sizeof(float));
    for (int b = 0; b < B; b++) {
        size_t off = (size_t)s->seq_start[b] * p.ld;
        const uint8_t *mask = mask_stride ? masks + (size_t)b * mask_stride : s->ones;
        attention_one_query(s->ctx + (size_t)b * D, p.q + off, p.k + off, p.v + off, p.ld, mask, s->seq_len[b],
                            cfg->n_heads, head_dim, s->scratch);
    }
    linear_forward(k, w, s, s->xb, s->ctx, &lw->out_lin, B, 0);
    residual_layernorm(k, &lw->sa_ln, s->pooled, s->xb, B, D, eps);
    linear_forward(k, w, s, s->h, s->pooled, &lw->lin1, B, SENT_LINEAR_GELU);
    linear_forward(k, w, s, s->xb, s->h, &lw->lin2, B, 0);
    residual_layernorm(k, &lw->out_ln, s->pooled, s->xb, B, D, eps);
}

// The network over N rows holding B sequences: sequence b is rows [seq_start[b], +seq_len[b])
// with key mask masks + b * mask_stride (mask_stride 0: s->ones, the packed case).
static void forward(const SentDistilBertConfig *cfg, const SentWeights *w, SentRunState *s, const SentKernels *k,
                    const int32_t *ids, int N, int B, const uint8_t *masks, int mask_stride, float *hidden_states) {
    int D = cfg->dim, head_dim = D / cfg->n_heads;
    float eps = cfg->layer_norm_eps;
    size_t layer_stride = (size_t)N * D;

    // embeddings: word + position, then LayerNorm
    for (int b = 0; b < B; b++)
        for (int t = 0; t < s->seq_len[b]; t++) {
            int n = s->seq_start[b] + t;
            float *xn = s->x + (size_t)n * D;
            embedding_row(xn, &w->word_embeddings, ids[n], 0);
            embedding_row(xn, &w->position_embeddings, t, 1);
        }
    k->layernorm(s->x, s->x, w->emb_ln.w, w->emb_ln.b, N, D, eps);
    if (hidden_states) memcpy(hidden_states, s->x, layer_stride * sizeof(float));

    // Without hidden_states the last block runs for the [CLS] rows only (last_layer_cls).
    int full_layers = hidden_states ? cfg->n_layers : cfg->n_layers - 1;
    Projections p = project_qkv(k, w, s, &w->layers[0], s->x, N);
    for (int l = 0; l < full_layers; l++) {
        const SentLayerWeights *next = l + 1 < cfg->n_layers ? &w->layers[l + 1] : NULL;
        attention_forward(k, s, p, B, masks, mask_stride, cfg->n_heads, head_dim);
        block_tail(k, w, s, &w->layers[l], next, N, D, eps);
        if (next) p = qkv_layout(s, next, N);
        if (hidden_states) memcpy(hidden_states + (size_t)(l + 1) * layer_stride, s->x, layer_stride * sizeof(float));
    }

    if (full_layers < cfg->n_layers)
        last_layer_cls(cfg, &w->layers[full_layers], w, s, k, p, B, masks, mask_stride);
    else
        for (int b = 0; b < B; b++)
            memcpy(s->pooled + (size_t)b * D, s->x + (size_t)s->seq_start[b] * D, D * sizeof(float));

    // head: [CLS] state → pre_classifier → ReLU → classifier
    linear_forward(k, w, s, s->pre, s->pooled, &w->pre_classifier, B, 0);
    for (int i = 0; i < B * D; i++) s->pre[i] = s->pre[i] > 0 ? s->pre[i] : 0;
    linear_forward(k, w, s, s->logits, s->pre, &w->classifier, B, 0);
}

void sent_model_forward(const SentDistilBertConfig *cfg, SentWeights *w, SentRunState *s, const SentKernels *k,
                        const int32_t *ids, const uint8_t *mask, int B, int T, float *hidden_states) {
    if (w->packed_for != k) sent_weights_pack(w, k);
    for (int b = 0; b < B; b++) {
        s->seq_start[b] = b * T;
        s->seq_len[b] = T;
    }
    forward(cfg, w, s, k, ids, B * T, B, mask, T, hidden_states);
}

void sent_model_forward_packed(const SentDistilBertConfig *cfg, SentWeights *w, SentRunState *s, const SentKernels *k,
                               const int32_t *ids, const int *offsets, int B, float *hidden_states) {
    if (w->packed_for != k) sent_weights_pack(w, k);
    for (int b = 0; b < B; b++) {
        s->seq_start[b] = offsets[b];
        s->seq_len[b] = offsets[b + 1] - offsets[b];
    }
    forward(cfg, w, s, k, ids, offsets[B], B, NULL, 0, hidden_states);
}

double sent_model_macs(const SentDistilBertConfig *cfg, int T) {
    double D = cfg->dim, H = cfg->hidden_dim;
    double per_layer = T * (4 * D * D + 2 * D * H) + 2.0 * T * T * D;  // projections + QK^T and AV
    return cfg->n_layers * per_layer + D * D + D * cfg->n_labels;
}
