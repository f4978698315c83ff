// The trainable DistilBERT (fp32): parameters, their gradients and AdamW moments, activations,
// the forward and backward passes of the two heads the trainer uses — sequence classification
// (DistilBertForSequenceClassification) and masked-language modelling (DistilBertForMaskedLM,
// projector tied to the word embeddings). Shapes use B, T, C (= dim), NH, H (= hidden_dim),
// V, P (= max_position_embeddings), L, NL (labels), M (masked positions in a batch).
#ifndef SENT_TRAIN_TRAINABLE_DISTILBERT_H
#define SENT_TRAIN_TRAINABLE_DISTILBERT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int vocab_size;        // V
    int max_positions;     // P
    int n_layers;          // L
    int dim;               // C
    int n_heads;           // NH
    int hidden_dim;        // H
    int n_labels;          // NL
} SentBertConfig;

// Parameters in one allocation, in this order (checkpoints rely on it). HF names in comments.
#define SENT_BERT_NUM_PARAMS 25
typedef struct {
    float *wte;        // [V,C]    distilbert.embeddings.word_embeddings.weight
    float *wpe;        // [P,C]    distilbert.embeddings.position_embeddings.weight
    float *emb_lnw;    // [C]      distilbert.embeddings.LayerNorm.weight
    float *emb_lnb;    // [C]      distilbert.embeddings.LayerNorm.bias
    float *qkvw;       // [L,3C,C] attention.{q_lin,k_lin,v_lin}.weight, stacked
    float *qkvb;       // [L,3C]   attention.{q_lin,k_lin,v_lin}.bias, stacked
    float *attprojw;   // [L,C,C]  attention.out_lin.weight
    float *attprojb;   // [L,C]    attention.out_lin.bias
    float *ln1w;       // [L,C]    sa_layer_norm.weight
    float *ln1b;       // [L,C]    sa_layer_norm.bias
    float *fcw;        // [L,H,C]  ffn.lin1.weight
    float *fcb;        // [L,H]    ffn.lin1.bias
    float *fcprojw;    // [L,C,H]  ffn.lin2.weight
    float *fcprojb;    // [L,C]    ffn.lin2.bias
    float *ln2w;       // [L,C]    output_layer_norm.weight
    float *ln2b;       // [L,C]    output_layer_norm.bias
    float *prew;       // [C,C]    pre_classifier.weight
    float *preb;       // [C]      pre_classifier.bias
    float *clsw;       // [NL,C]   classifier.weight
    float *clsb;       // [NL]     classifier.bias
    float *mlmw;       // [C,C]    vocab_transform.weight
    float *mlmb;       // [C]      vocab_transform.bias
    float *mlm_lnw;    // [C]      vocab_layer_norm.weight
    float *mlm_lnb;    // [C]      vocab_layer_norm.bias
    float *mlm_bias;   // [V]      vocab_projector.bias (its weight is wte)
} SentBertParams;

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
    float *attproj;      // [L,B,T,C]  out_lin, after dropout
    float *res1;         // [L,B,T,C]
    float *ln1;          // [L,B,T,C]
    float *ln1_mean;     // [L,B,T]
    float *ln1_rstd;     // [L,B,T]
    float *fch;          // [L,B,T,H]
    float *fch_gelu;     // [L,B,T,H]
    float *fcproj;       // [L,B,T,C]  lin2, after dropout
    float *res2;         // [L,B,T,C]
    float *ln2;          // [L,B,T,C]  the layer's output
    float *ln2_mean;     // [L,B,T]
    float *ln2_rstd;     // [L,B,T]
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
    uint8_t *attproj;    // [L,B,T,C]
    uint8_t *fcproj;     // [L,B,T,C]
    uint8_t *cls;        // [B,C]
} SentBertDropoutMasks;

typedef struct {
    SentBertConfig config;
    int B_max, T_max, M_max;
    int T;                        // this batch's sequence length (<= T_max), set before a forward pass
    float dropout, cls_dropout;   // hidden dropout (embeddings, out_lin, lin2); classifier dropout

    SentBertParams params, grads, adam_m, adam_v;
    size_t param_sizes[SENT_BERT_NUM_PARAMS];
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
void sent_bert_build(SentBert *model, SentBertConfig config, int B_max, int T, int M_max);
void sent_bert_free(SentBert *model);
// Runs the following passes on sequences of T <= T_max tokens: activations are laid out for the
// current T, so batches of short reviews cost what their length costs.
void sent_bert_set_seq_len(SentBert *model, int T);
// Hugging Face's initialisation: normal(0, 0.02) matrices and embeddings, zero biases, LN 1/0.
void sent_bert_init(SentBert *model, uint64_t seed);
// Whether AdamW decays parameter tensor i (matrices and embeddings; not biases or LayerNorm).
int sent_bert_param_decays(int i);

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
