// DistilBERT for sequence classification, exactly as Hugging Face's
// DistilBertForSequenceClassification computes it in eval mode:
//   x = emb_ln(word_embeddings[ids] + position_embeddings[t])
//   per layer: x = sa_ln(x + out_lin(attention(q x, k x, v x, mask)))
//              x = out_ln(x + lin2(gelu(lin1 x)))
//   logits = classifier(relu(pre_classifier(x[:, 0])))
// Shapes: B sequences of T tokens (padded, mask 0 on padding; or packed end to end, N rows in
// all) and the config's letters (distilbert_params.h): D = dim, H = hidden_dim, L = n_layers,
// V = vocab_size, P = max_position_embeddings, C = n_labels. The tensors and their Hugging Face
// names are distilbert_params.h's table; the loader walks it.
// Weights point into a model file (nothing copied); RunState holds every activation buffer,
// allocated once for a maximum batch and length, so a forward pass allocates nothing.
#ifndef SENT_MODEL_H
#define SENT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "distilbert_params.h"
#include "kernels.h"
#include "model_file.h"

// A Linear layer y = x W^T + b with W [out, in], stored fp32 or int8.
typedef struct {
    const float *w;   // [out, in] when fp32, else NULL
    SentQ8 q;         // int8 weights and scales when w is NULL
    const float *b;   // [out]
    int in, out;
    void *packed;     // int8: q in the layout of SentWeights.packed_for (owned; NULL: plain)
} SentLinear;

// An embedding table [rows, cols], fp32 or int8 (rows dequantized when looked up).
typedef struct {
    const float *f;       // [rows, cols] when fp32, else NULL
    const int8_t *q;      // [rows, cols] when int8
    const float *scale;   // [rows, cols / group]
    int group, rows, cols;
} SentEmbedding;

// A LayerNorm's gain and shift, fp32.
typedef struct {
    const float *w, *b;   // [D]
} SentLayerNorm;

typedef struct {
    SentLinear q, k, v;      // [D, D] the attention's query, key and value projections (the file's)
    // [3D, D] q, k and v stacked (rows 0..D-1 q, then k, then v), built at load when the three
    // share dtype and group size, so the layer input is quantized once and one GEMM has 3x the
    // outputs; out == 0 when they do not (then the three run apart). Its arrays: qkv_owned.
    SentLinear qkv;
    void *qkv_owned;
    SentLinear out_lin;      // [D, D]
    SentLayerNorm sa_ln;     // after the attention's residual
    SentLinear lin1;         // [H, D]
    SentLinear lin2;         // [D, H]
    SentLayerNorm out_ln;    // after the feed-forward's residual
} SentLayerWeights;

typedef struct {
    SentEmbedding word_embeddings;       // [V, D]
    SentEmbedding position_embeddings;   // [P, D]
    SentLayerNorm emb_ln;
    SentLayerWeights *layers;            // [L] (owned array of views)
    int n_layers;                        // L: what layers holds
    SentLinear pre_classifier;           // [D, D]
    SentLinear classifier;               // [C, D]
    const SentKernels *packed_for;       // the table the int8 linears are packed for (NULL: none)
    int q8_group;                        // the smallest int8 group of any Linear (0: all fp32)
} SentWeights;

typedef struct {
    int max_batch, max_len;
    float *x;         // [B*T, D] hidden state
    float *xb;        // [B*T, D] sublayer output before the residual LayerNorm
    float *qkv;       // [B*T, 3D] projections: rows of q|k|v (fused), or q, k, v as three [B*T, D]
    float *ctx;       // [B*T, D] attention output
    float *h;         // [B*T, H] feed-forward hidden
    int8_t *xq;       // [B*T, xq_stride] activations quantized for int8 matmuls: a layer's rows
                      // r0.. start at r0 * xq_stride, so threads on disjoint rows of different
                      // layers (model.c's block_tail) never share bytes
    float *xs;        // [B*T, xs_stride] their scales, placed the same way
    int xq_stride;    // max(D, H)
    int xs_stride;    // max(D, H) / smallest group + 1
    float *scratch;   // attention's: [sent_attention_scratch_floats(max_len, n_heads, head_dim)] with one
                      // slot, one head's per slot with more
    int n_slots;      // attention work slots: parallel.h's threads when the state was made; with 1
                      // the kernel's attention runs on all heads at once, as natively
    float *head_out;  // [n_slots, max_len, head_dim] one head's attention output per slot, before
                      // it goes into ctx (n_slots > 1 only: each slot runs one head at a time)
    uint8_t *ones;    // [max_len] the mask of a packed sequence: every token real
    int *seq_start;   // [max_batch] first row of each sequence in x
    int *seq_len;     // [max_batch] its rows (padded length in a padded batch)
    float *pooled;    // [B, D] hidden state of [CLS]
    float *pre;       // [B, D] pre_classifier output
    float *logits;    // [B, C]
} SentRunState;

// Reads config from the file's metadata ("config" object), 0 or -1 with err.
int sent_config_from_meta(SentDistilBertConfig *cfg, const cJSON *meta, char *err, size_t err_size);
// Points w at the file's tensors after checking every name, dtype and shape against cfg: the
// tensors of distilbert_params.h's table for a sequence classifier, in its order.
int sent_weights_from_file(SentWeights *w, const SentDistilBertConfig *cfg, const SentModelFile *mf, char *err,
                           size_t err_size);
void sent_weights_free(SentWeights *w);
// Repacks every int8 linear for table k (freeing an earlier packing): 0, or -1 when out of
// memory, and then nothing is packed (passes fall back to the scalar reference on the plain
// layout). The classifier packs at load, so its passes never allocate.
int sent_weights_pack(SentWeights *w, const SentKernels *k);

int sent_runstate_new(SentRunState *s, const SentDistilBertConfig *cfg, const SentWeights *w, int max_batch,
                      int max_len, char *err, size_t err_size);
void sent_runstate_free(SentRunState *s);

// Runs B padded sequences of T tokens. ids[B*T] must be < V, 1 <= T <= min(P, max_len),
// B <= max_batch, mask[B*T] is 1 on real tokens, 0 on padding (checked by the caller).
// Leaves logits in s->logits [B, C]. hidden_states, when not NULL, receives the embeddings
// output and every layer's output: [L+1, B, T, D]. Both forward functions first pack w for k
// (sent_weights_pack) when it is packed for another table: a one-off cost on a table change.
void sent_model_forward(const SentDistilBertConfig *cfg, SentWeights *w, SentRunState *s, const SentKernels *k,
                        const int32_t *ids, const uint8_t *mask, int B, int T, float *hidden_states);

// Runs B sequences packed end to end without padding: ids[offsets[b] .. offsets[b+1]) is
// sequence b (1 <= length <= min(P, max_len), offsets[0] = 0, offsets[B] <= max_batch * max_len).
// Each sequence attends only to itself, so the logits equal the padded batch's, with no work
// spent on padding. Leaves logits in s->logits [B, C]; hidden_states, when not NULL, is
// [L+1, offsets[B], D].
void sent_model_forward_packed(const SentDistilBertConfig *cfg, SentWeights *w, SentRunState *s,
                               const SentKernels *k, const int32_t *ids, const int *offsets, int B,
                               float *hidden_states);

// Multiply-adds of one forward pass over one sequence of T tokens: the matmuls (q, k, v, out_lin,
// lin1, lin2 per token; pre_classifier, classifier once), QK^T and attention x V. 2 FLOP each;
// GFLOP/s figures and the explainer's budget use it.
double sent_model_macs(const SentDistilBertConfig *cfg, int T);

#endif
