// The trainable DistilBERT (fp32): parameters, their gradients and AdamW moments, activations,
// the forward and backward passes of the two heads the trainer uses — sequence classification
// (DistilBertForSequenceClassification) and masked-language modelling (DistilBertForMaskedLM,
// projector tied to the word embeddings). Shapes use B, T, C (= dim), NH, H (= hidden_dim),
// V, P (= max_position_embeddings), L, NL (= n_labels), M (masked positions in a batch).
#ifndef SENT_TRAIN_TRAINABLE_DISTILBERT_H
#define SENT_TRAIN_TRAINABLE_DISTILBERT_H

#include <stddef.h>
#include <stdint.h>

#include "distilbert_params.h"

// Parameters in one allocation, in this order (checkpoints rely on it). Each tensor holds the
// state-dict tensors of distilbert_params.h's table that sent_bert_param_index maps to it, one
// after the other in the table's order: a block module's tensor of every layer ([L, ...]), and
// per layer the q, k and v projections stacked ([L, 3C, ...]). Exported names come from the table.
#define SENT_BERT_NUM_PARAMS 25
typedef struct {
    float *word_embeddings;       // [V,C]
    float *position_embeddings;   // [P,C]
    float *emb_ln_w;              // [C]      the embeddings' LayerNorm
    float *emb_ln_b;              // [C]
    float *qkv_lin_w;             // [L,3C,C] the attention's q, k, v projections, stacked
    float *qkv_lin_b;             // [L,3C]
    float *out_lin_w;             // [L,C,C]  the attention's output projection
    float *out_lin_b;             // [L,C]
    float *sa_ln_w;               // [L,C]    LayerNorm after the attention
    float *sa_ln_b;               // [L,C]
    float *lin1_w;                // [L,H,C]  feed-forward
    float *lin1_b;                // [L,H]
    float *lin2_w;                // [L,C,H]
    float *lin2_b;                // [L,C]
    float *out_ln_w;              // [L,C]    LayerNorm after the feed-forward
    float *out_ln_b;              // [L,C]
    float *pre_classifier_w;      // [C,C]    classification head
    float *pre_classifier_b;      // [C]
    float *classifier_w;          // [NL,C]
    float *classifier_b;          // [NL]
    float *vocab_transform_w;     // [C,C]    MLM head
    float *vocab_transform_b;     // [C]
    float *vocab_ln_w;            // [C]
    float *vocab_ln_b;            // [C]
    float *vocab_projector_b;     // [V]      (the projector's weight is word_embeddings)
} SentBertParams;

// Which of the SentBertParams tensors (their index in its order) holds state-dict tensor p.
int sent_bert_param_index(const SentParam *p);
// Tensor i (in SentBertParams' order) of p: parameters, gradients or an Adam moment.
float *sent_bert_param_tensor(const SentBertParams *p, int i);

// Activations for a batch of at most B_max sequences of T tokens; per-layer tensors are
// [L, B_max, ...] so layer l starts at l * B_max * T * (row width).
typedef struct {
    float *encoded;      // [B,T,C]  word + position embeddings
    float *emb_ln;       // [B,T,C]  after LayerNorm and dropout: the first layer's input
    float *emb_mean;     // [B,T]
    float *emb_rstd;     // [B,T]
    float *qkv;          // [L,B,T,3C]
    float *att;          // [L,B,NH,T,T] softmax probabilities
    float *atty;         // [L,B,T,C]  heads concatenated
    float *out_lin;      // [L,B,T,C]  after dropout
    float *sa_res;       // [L,B,T,C]  x + out_lin
    float *sa_ln;        // [L,B,T,C]
    float *sa_ln_mean;   // [L,B,T]
    float *sa_ln_rstd;   // [L,B,T]
    float *lin1;         // [L,B,T,H]
    float *lin1_gelu;    // [L,B,T,H]
    float *lin2;         // [L,B,T,C]  after dropout
    float *ffn_res;      // [L,B,T,C]  sa_ln + lin2
    float *out_ln;       // [L,B,T,C]  the layer's output
    float *out_ln_mean;  // [L,B,T]
    float *out_ln_rstd;  // [L,B,T]
    float *pooled;       // [B,C]   hidden[:,0]
    float *pre;          // [B,C]   pre_classifier
    float *pre_relu;     // [B,C]   after ReLU and dropout
    float *logits;       // [B,NL]
    float *probs;        // [B,NL]
    float *losses;       // [B]
    float *mlm_in;       // [M,C]   encoder output at the masked positions
    float *mlm_t;        // [M,C]   vocab_transform
    float *mlm_gelu;     // [M,C]
    float *mlm_ln;       // [M,C]
    float *mlm_mean;     // [M]
    float *mlm_rstd;     // [M]
    float *mlm_logits;   // [M,V]
    float *mlm_probs;    // [M,V]
    float *mlm_losses;   // [M]
} SentBertActs;

typedef struct {
    uint8_t *emb;        // [B,T,C]
    uint8_t *out_lin;    // [L,B,T,C]
    uint8_t *lin2;       // [L,B,T,C]
    uint8_t *cls;        // [B,C]
} SentBertDropoutMasks;

typedef struct {
    SentDistilBertConfig config;
    int B_max, T_max, M_max;
    int T;                        // this batch's sequence length (<= T_max), set before a forward pass
    float dropout, cls_dropout;   // hidden dropout (embeddings, out_lin, lin2); classifier dropout

    SentBertParams params, grads, adam_m, adam_v;
    size_t param_sizes[SENT_BERT_NUM_PARAMS];
    SentTensorKind param_kinds[SENT_BERT_NUM_PARAMS];   // embedding, weight, bias, LayerNorm gain/shift
    size_t num_params;
    float *params_memory, *grads_memory, *adam_m_memory, *adam_v_memory;

    SentBertActs acts, grad_acts;
    size_t num_acts;
    float *acts_memory, *grad_acts_memory;
    SentBertDropoutMasks keep;
    uint8_t *keep_memory;
    float *att_scratch;           // [T,T] attention backward
    int32_t *mlm_rows;            // [M] row b*T+t of each masked position

    // what the last forward pass saw, for its backward pass
    const int32_t *ids;           // [B,T]
    const uint8_t *mask;          // [B,T]
    const int32_t *targets;       // [B] labels or [M] original token ids
    const float *soft_targets;    // [B,NL] distributions, when the last pass was forward_classify_soft
    int B, M;
    float mean_loss;
} SentBert;

// Allocates everything for batches of up to B_max sequences of T tokens (no allocation after
// this); at most M_max masked positions per MLM batch.
// Dies with a message on a config the trainer cannot build (distilbert_params.h's checks).
void sent_bert_build(SentBert *model, SentDistilBertConfig config, int B_max, int T, int M_max);
void sent_bert_free(SentBert *model);
// Runs the following passes on sequences of T <= T_max tokens: activations are laid out for the
// current T, so batches of short reviews cost what their length costs.
void sent_bert_set_seq_len(SentBert *model, int T);
// Hugging Face's initialisation: normal(0, 0.02) matrices and embeddings, zero biases, LN 1/0.
void sent_bert_init(SentBert *model, uint64_t seed);
// Whether AdamW decays parameter tensor i (matrices and embeddings; not biases or LayerNorm).
int sent_bert_param_decays(const SentBert *model, int i);

// Classification: ids/mask [B,T], labels [B] (or NULL for inference). training enables dropout
// drawn from seed. Returns the mean loss (0 without labels); probabilities in acts.probs.
float sent_bert_forward_classify(SentBert *model, const int32_t *ids, const uint8_t *mask,
                                 const int32_t *labels, int B, int training, uint64_t seed);
// Classification against soft targets[B,NL] (rows sum to 1; distillation): the mean of
// -sum_k targets[b,k] log p[b,k]. The backward pass uses (p - targets) / B.
float sent_bert_forward_classify_soft(SentBert *model, const int32_t *ids, const uint8_t *mask,
                                      const float *targets, int B, int training, uint64_t seed);
// MLM: ids already masked; rows[M] the flattened positions b*T+t to predict, targets[M] their
// original ids. Returns the mean loss over the M positions.
float sent_bert_forward_mlm(SentBert *model, const int32_t *ids, const uint8_t *mask,
                            const int32_t *rows, const int32_t *targets, int B, int M, int training,
                            uint64_t seed);
void sent_bert_zero_grad(SentBert *model);
// Backward pass of the last forward pass (either head), accumulating into model->grads.
void sent_bert_backward(SentBert *model, int mlm);

// Global L2 norm of the gradients.
float sent_bert_grad_norm(const SentBert *model);
// One AdamW step (decoupled weight decay on decaying tensors); step counts from 1. grad_scale
// multiplies every gradient first (gradient clipping).
void sent_bert_adamw_update(SentBert *model, float lr, float beta1, float beta2, float eps,
                            float weight_decay, float grad_scale, int step);

// Approximate training FLOPs (forward + backward) per step, for the GFLOP/s readout.
double sent_bert_flops_per_step(const SentBert *model, int B, int M);

#endif
