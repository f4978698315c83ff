// The trainable DistilBERT: the network read top to bottom, built from the layers in layers.h.
// Block (post-LayerNorm, as DistilBERT):
//   x1 = sa_ln(x + dropout(out_lin(attention(q x, k x, v x))))
//   x2 = out_ln(x1 + dropout(lin2(gelu(lin1 x1))))
// Embeddings: dropout(emb_ln(word_embeddings[id] + position_embeddings[t])). Attention-probability
// dropout is not used (the exported config says attention_dropout 0).
#define real float
#include "train/layers.h"

#include "train/trainable_distilbert.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

// ----------------------------------------------------------------------------------------------
// allocation

// The SentBertParams tensors of p, in declaration order.
static void param_slots(float **slots[SENT_BERT_NUM_PARAMS], SentBertParams *p) {
    float **ptrs[SENT_BERT_NUM_PARAMS] = {
        &p->word_embeddings, &p->position_embeddings, &p->emb_ln_w, &p->emb_ln_b,
        &p->qkv_lin_w, &p->qkv_lin_b, &p->out_lin_w, &p->out_lin_b, &p->sa_ln_w, &p->sa_ln_b,
        &p->lin1_w, &p->lin1_b, &p->lin2_w, &p->lin2_b, &p->out_ln_w, &p->out_ln_b,
        &p->pre_classifier_w, &p->pre_classifier_b, &p->classifier_w, &p->classifier_b,
        &p->vocab_transform_w, &p->vocab_transform_b, &p->vocab_ln_w, &p->vocab_ln_b, &p->vocab_projector_b,
    };
    memcpy(slots, ptrs, sizeof ptrs);
}

float *sent_bert_param_tensor(const SentBertParams *p, int i) {
    float **slots[SENT_BERT_NUM_PARAMS];
    param_slots(slots, (SentBertParams *)p);
    return *slots[i];
}

// A SentBertParams field's index in its order.
#define SLOT(field) (int)(offsetof(SentBertParams, field) / sizeof(float *))
_Static_assert(sizeof(SentBertParams) == SENT_BERT_NUM_PARAMS * sizeof(float *), "SentBertParams: 25 pointers");

int sent_bert_param_index(const SentParam *p) {
    int bias = p->kind == SENT_TENSOR_BIAS || p->kind == SENT_TENSOR_NORM_BIAS;
    switch (p->module) {
    case SENT_MODULE_WORD_EMBEDDINGS: return SLOT(word_embeddings);
    case SENT_MODULE_POSITION_EMBEDDINGS: return SLOT(position_embeddings);
    case SENT_MODULE_EMBEDDINGS_LAYER_NORM: return bias ? SLOT(emb_ln_b) : SLOT(emb_ln_w);
    case SENT_MODULE_Q_LIN:   // q, k and v stacked, in this order
    case SENT_MODULE_K_LIN:
    case SENT_MODULE_V_LIN: return bias ? SLOT(qkv_lin_b) : SLOT(qkv_lin_w);
    case SENT_MODULE_OUT_LIN: return bias ? SLOT(out_lin_b) : SLOT(out_lin_w);
    case SENT_MODULE_SA_LAYER_NORM: return bias ? SLOT(sa_ln_b) : SLOT(sa_ln_w);
    case SENT_MODULE_LIN1: return bias ? SLOT(lin1_b) : SLOT(lin1_w);
    case SENT_MODULE_LIN2: return bias ? SLOT(lin2_b) : SLOT(lin2_w);
    case SENT_MODULE_OUTPUT_LAYER_NORM: return bias ? SLOT(out_ln_b) : SLOT(out_ln_w);
    case SENT_MODULE_PRE_CLASSIFIER: return bias ? SLOT(pre_classifier_b) : SLOT(pre_classifier_w);
    case SENT_MODULE_CLASSIFIER: return bias ? SLOT(classifier_b) : SLOT(classifier_w);
    case SENT_MODULE_VOCAB_TRANSFORM: return bias ? SLOT(vocab_transform_b) : SLOT(vocab_transform_w);
    case SENT_MODULE_VOCAB_LAYER_NORM: return bias ? SLOT(vocab_ln_b) : SLOT(vocab_ln_w);
    case SENT_MODULE_VOCAB_PROJECTOR: return SLOT(vocab_projector_b);
    default: return -1;
    }
}

// Sizes and kinds of the parameter tensors: the table's tensors (both heads) summed into the
// tensors that hold them.
static void param_shapes(size_t *sizes, SentTensorKind *kinds, const SentDistilBertConfig *c) {
    memset(sizes, 0, SENT_BERT_NUM_PARAMS * sizeof *sizes);
    SentParam p;
    for (int i = 0; sent_distilbert_param(c, SENT_ALL_PARTS, i, &p); i++) {
        int slot = sent_bert_param_index(&p);
        sizes[slot] += (size_t)(p.rows ? p.rows : 1) * p.cols;
        kinds[slot] = p.kind;
    }
}

// Points each tensor of a SentBertParams into memory, in declaration order.
static void carve_params(SentBertParams *p, float *memory, const size_t *sizes) {
    float **slots[SENT_BERT_NUM_PARAMS];
    param_slots(slots, p);
    for (int i = 0; i < SENT_BERT_NUM_PARAMS; i++) {
        *slots[i] = memory;
        memory += sizes[i];
    }
}

int sent_bert_param_decays(const SentBert *m, int i) {
    return m->param_kinds[i] == SENT_TENSOR_EMBEDDING || m->param_kinds[i] == SENT_TENSOR_WEIGHT;
}

#define NUM_ACTS 34
static size_t carve_acts(SentBertActs *a, float *memory, const SentBert *m) {
    size_t B = m->B_max, T = m->T_max, M = m->M_max, C = m->config.dim, L = m->config.n_layers,
           NH = m->config.n_heads, H = m->config.hidden_dim, V = m->config.vocab_size,
           NL = m->config.n_labels;
    size_t sizes[NUM_ACTS] = {
        B * T * C, B * T * C, B * T, B * T,
        L * B * T * 3 * C, L * B * NH * T * T, L * B * T * C, L * B * T * C, L * B * T * C,
        L * B * T * C, L * B * T, L * B * T, L * B * T * H, L * B * T * H, L * B * T * C,
        L * B * T * C, L * B * T * C, L * B * T, L * B * T,
        B * C, B * C, B * C, B * NL, B * NL, B,
        M * C, M * C, M * C, M * C, M, M, M * V, M * V, M,
    };
    float **ptrs[NUM_ACTS] = {
        &a->encoded, &a->emb_ln, &a->emb_mean, &a->emb_rstd,
        &a->qkv, &a->att, &a->atty, &a->out_lin, &a->sa_res, &a->sa_ln, &a->sa_ln_mean, &a->sa_ln_rstd,
        &a->lin1, &a->lin1_gelu, &a->lin2, &a->ffn_res, &a->out_ln, &a->out_ln_mean, &a->out_ln_rstd,
        &a->pooled, &a->pre, &a->pre_relu, &a->logits, &a->probs, &a->losses,
        &a->mlm_in, &a->mlm_t, &a->mlm_gelu, &a->mlm_ln, &a->mlm_mean, &a->mlm_rstd,
        &a->mlm_logits, &a->mlm_probs, &a->mlm_losses,
    };
    size_t total = 0;
    for (int i = 0; i < NUM_ACTS; i++) {
        if (memory) *ptrs[i] = memory + total;
        total += sizes[i];
    }
    return total;
}

void sent_bert_build(SentBert *model, SentDistilBertConfig config, int B_max, int T, int M_max) {
    char err[256];
    if (sent_distilbert_config_check(&config, "model: ", err, sizeof err)) {
        fprintf(stderr, "error: %s\n", err);
        exit(EXIT_FAILURE);
    }
    if (T > config.max_position_embeddings || config.layer_norm_eps != (float)LAYERNORM_EPS) {
        fprintf(stderr, "error: bad model shape (seq-len <= max positions, LayerNorm eps %g)\n", LAYERNORM_EPS);
        exit(EXIT_FAILURE);
    }
    memset(model, 0, sizeof *model);
    model->config = config;
    model->B_max = B_max;
    model->T = model->T_max = T;
    model->M_max = M_max > 0 ? M_max : 1;
    param_shapes(model->param_sizes, model->param_kinds, &model->config);
    for (int i = 0; i < SENT_BERT_NUM_PARAMS; i++) model->num_params += model->param_sizes[i];
    size_t bytes = model->num_params * sizeof(float);
    model->params_memory = callocCheck(1, bytes);
    model->grads_memory = callocCheck(1, bytes);
    model->adam_m_memory = callocCheck(1, bytes);
    model->adam_v_memory = callocCheck(1, bytes);
    carve_params(&model->params, model->params_memory, model->param_sizes);
    carve_params(&model->grads, model->grads_memory, model->param_sizes);
    carve_params(&model->adam_m, model->adam_m_memory, model->param_sizes);
    carve_params(&model->adam_v, model->adam_v_memory, model->param_sizes);

    model->num_acts = carve_acts(&model->acts, NULL, model);
    model->acts_memory = callocCheck(model->num_acts, sizeof(float));
    model->grad_acts_memory = callocCheck(model->num_acts, sizeof(float));
    carve_acts(&model->acts, model->acts_memory, model);
    carve_acts(&model->grad_acts, model->grad_acts_memory, model);

    size_t BTC = (size_t)B_max * T * config.dim, L = config.n_layers;
    model->keep_memory = callocCheck(BTC * (1 + 2 * L) + (size_t)B_max * config.dim, 1);
    model->keep.emb = model->keep_memory;
    model->keep.out_lin = model->keep.emb + BTC;
    model->keep.lin2 = model->keep.out_lin + L * BTC;
    model->keep.cls = model->keep.lin2 + L * BTC;
    model->att_scratch = mallocCheck((size_t)T * T * sizeof(float));
    model->mlm_rows = mallocCheck((size_t)model->M_max * sizeof(int32_t));
}

void sent_bert_set_seq_len(SentBert *model, int T) {
    if (T < 1 || T > model->T_max) {
        fprintf(stderr, "error: sequence length %d outside 1..%d\n", T, model->T_max);
        exit(EXIT_FAILURE);
    }
    model->T = T;
}

void sent_bert_free(SentBert *model) {
    free(model->params_memory);
    free(model->grads_memory);
    free(model->adam_m_memory);
    free(model->adam_v_memory);
    free(model->acts_memory);
    free(model->grad_acts_memory);
    free(model->keep_memory);
    free(model->att_scratch);
    free(model->mlm_rows);
}

// Box-Muller over the counter-based generator, so initial weights depend on the seed only.
static float normal01(uint64_t seed, uint64_t i) {
    double u1 = uniform01(seed, 2 * i), u2 = uniform01(seed, 2 * i + 1);
    if (u1 < 1e-300) u1 = 1e-300;
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

void sent_bert_init(SentBert *model, uint64_t seed) {
    float *p = model->params_memory;
    size_t offset = 0;
    for (int i = 0; i < SENT_BERT_NUM_PARAMS; i++) {
        size_t n = model->param_sizes[i];
        for (size_t j = 0; j < n; j++) {
            if (sent_bert_param_decays(model, i)) p[offset + j] = 0.02f * normal01(seed, offset + j);
            else p[offset + j] = model->param_kinds[i] == SENT_TENSOR_NORM_WEIGHT ? 1.0f : 0.0f;
        }
        offset += n;
    }
}

// ----------------------------------------------------------------------------------------------
// forward

// Per-site dropout seeds: one stream per (step seed, site), independent of thread count.
static uint64_t site_seed(uint64_t seed, int site) { return hash_u64(seed * 1000003u + (uint64_t)site); }

static void encoder_forward(SentBert *m, const int32_t *ids, const uint8_t *mask, int B,
                            int training, uint64_t seed) {
    SentDistilBertConfig c = m->config;
    int T = m->T, C = c.dim, NH = c.n_heads, H = c.hidden_dim, N = B * T;
    size_t BTC = (size_t)m->B_max * T * C, BT = (size_t)m->B_max * T;
    float p = training ? m->dropout : 0.0f;
    SentBertParams *w = &m->params;
    SentBertActs *a = &m->acts;

    embedding_forward(a->encoded, ids, w->word_embeddings, w->position_embeddings, B, T, C);
    layernorm_forward(a->emb_ln, a->emb_mean, a->emb_rstd, a->encoded, w->emb_ln_w, w->emb_ln_b, N, C);
    dropout_forward(a->emb_ln, m->keep.emb, (size_t)N * C, p, site_seed(seed, 0));

    for (int l = 0; l < c.n_layers; l++) {
        const float *x = l == 0 ? a->emb_ln : a->out_ln + (l - 1) * BTC;   // [B,T,C]
        float *qkv = a->qkv + l * 3 * BTC;                                 // [B,T,3C]
        float *att = a->att + (size_t)l * m->B_max * NH * T * T;           // [B,NH,T,T]
        float *atty = a->atty + l * BTC, *out_lin = a->out_lin + l * BTC, *sa_res = a->sa_res + l * BTC;
        float *sa_ln = a->sa_ln + l * BTC, *sa_ln_mean = a->sa_ln_mean + l * BT, *sa_ln_rstd = a->sa_ln_rstd + l * BT;
        float *lin1 = a->lin1 + l * BT * H, *lin1_gelu = a->lin1_gelu + l * BT * H;  // [B,T,H]
        float *lin2 = a->lin2 + l * BTC, *ffn_res = a->ffn_res + l * BTC;
        float *out_ln = a->out_ln + l * BTC, *out_ln_mean = a->out_ln_mean + l * BT;
        float *out_ln_rstd = a->out_ln_rstd + l * BT;

        matmul_forward(qkv, x, w->qkv_lin_w + (size_t)l * 3 * C * C, w->qkv_lin_b + l * 3 * C, N, C, 3 * C);
        attention_forward(atty, att, qkv, mask, B, T, C, NH);
        matmul_forward(out_lin, atty, w->out_lin_w + (size_t)l * C * C, w->out_lin_b + l * C, N, C, C);
        dropout_forward(out_lin, m->keep.out_lin + l * BTC, (size_t)N * C, p, site_seed(seed, 1 + 2 * l));
        residual_forward(sa_res, x, out_lin, (size_t)N * C);
        layernorm_forward(sa_ln, sa_ln_mean, sa_ln_rstd, sa_res, w->sa_ln_w + l * C, w->sa_ln_b + l * C, N, C);
        matmul_forward(lin1, sa_ln, w->lin1_w + (size_t)l * H * C, w->lin1_b + l * H, N, C, H);
        gelu_forward(lin1_gelu, lin1, (size_t)N * H);
        matmul_forward(lin2, lin1_gelu, w->lin2_w + (size_t)l * C * H, w->lin2_b + l * C, N, H, C);
        dropout_forward(lin2, m->keep.lin2 + l * BTC, (size_t)N * C, p, site_seed(seed, 2 + 2 * l));
        residual_forward(ffn_res, sa_ln, lin2, (size_t)N * C);
        layernorm_forward(out_ln, out_ln_mean, out_ln_rstd, ffn_res, w->out_ln_w + l * C, w->out_ln_b + l * C, N, C);
    }
}

static float mean_of(const float *x, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += x[i];
    return n ? (float)(sum / n) : 0.0f;
}

static const float *encoder_output(const SentBert *m) {
    return m->acts.out_ln + (size_t)(m->config.n_layers - 1) * m->B_max * m->T * m->config.dim;
}

float sent_bert_forward_classify(SentBert *m, const int32_t *ids, const uint8_t *mask,
                                 const int32_t *labels, int B, int training, uint64_t seed) {
    int T = m->T, C = m->config.dim, NL = m->config.n_labels;
    SentBertParams *w = &m->params;
    SentBertActs *a = &m->acts;
    m->ids = ids, m->mask = mask, m->targets = labels, m->soft_targets = NULL, m->B = B, m->M = 0;

    encoder_forward(m, ids, mask, B, training, seed);
    const float *hidden = encoder_output(m);   // [B,T,C]
    for (int b = 0; b < B; b++) memcpy(a->pooled + (size_t)b * C, hidden + (size_t)b * T * C, C * sizeof(float));
    matmul_forward(a->pre, a->pooled, w->pre_classifier_w, w->pre_classifier_b, B, C, C);
    relu_forward(a->pre_relu, a->pre, (size_t)B * C);
    dropout_forward(a->pre_relu, m->keep.cls, (size_t)B * C, training ? m->cls_dropout : 0.0f,
                    site_seed(seed, 1000));
    matmul_forward(a->logits, a->pre_relu, w->classifier_w, w->classifier_b, B, C, NL);
    if (!labels) {
        for (int b = 0; b < B; b++) {  // probabilities without a loss
            float *z = a->logits + b * NL, *pr = a->probs + b * NL, max = z[0], sum = 0;
            for (int i = 1; i < NL; i++) max = fmaxf(max, z[i]);
            for (int i = 0; i < NL; i++) sum += pr[i] = expf(z[i] - max);
            for (int i = 0; i < NL; i++) pr[i] /= sum;
        }
        return m->mean_loss = 0.0f;
    }
    crossentropy_forward(a->losses, a->probs, a->logits, labels, B, NL);
    return m->mean_loss = mean_of(a->losses, B);
}

float sent_bert_forward_classify_soft(SentBert *m, const int32_t *ids, const uint8_t *mask,
                                      const float *targets, int B, int training, uint64_t seed) {
    sent_bert_forward_classify(m, ids, mask, NULL, B, training, seed);   // logits and probabilities
    m->soft_targets = targets;
    soft_crossentropy_forward(m->acts.losses, m->acts.probs, m->acts.logits, targets, B, m->config.n_labels);
    return m->mean_loss = mean_of(m->acts.losses, B);
}

float sent_bert_forward_mlm(SentBert *m, const int32_t *ids, const uint8_t *mask,
                            const int32_t *rows, const int32_t *targets, int B, int M, int training,
                            uint64_t seed) {
    int C = m->config.dim, V = m->config.vocab_size;
    SentBertParams *w = &m->params;
    SentBertActs *a = &m->acts;
    if (M > m->M_max) {
        fprintf(stderr, "error: %d masked positions exceed the %d allocated\n", M, m->M_max);
        exit(EXIT_FAILURE);
    }
    m->ids = ids, m->mask = mask, m->targets = targets, m->soft_targets = NULL, m->B = B, m->M = M;
    memcpy(m->mlm_rows, rows, (size_t)M * sizeof(int32_t));

    encoder_forward(m, ids, mask, B, training, seed);
    const float *hidden = encoder_output(m);   // [B,T,C]
    for (int i = 0; i < M; i++) memcpy(a->mlm_in + (size_t)i * C, hidden + (size_t)rows[i] * C, C * sizeof(float));
    matmul_forward(a->mlm_t, a->mlm_in, w->vocab_transform_w, w->vocab_transform_b, M, C, C);
    gelu_forward(a->mlm_gelu, a->mlm_t, (size_t)M * C);
    layernorm_forward(a->mlm_ln, a->mlm_mean, a->mlm_rstd, a->mlm_gelu, w->vocab_ln_w, w->vocab_ln_b, M, C);
    matmul_forward(a->mlm_logits, a->mlm_ln, w->word_embeddings, w->vocab_projector_b, M, C, V);  // tied projector
    crossentropy_forward(a->mlm_losses, a->mlm_probs, a->mlm_logits, targets, M, V);
    return m->mean_loss = mean_of(a->mlm_losses, M);
}

// ----------------------------------------------------------------------------------------------
// backward

void sent_bert_zero_grad(SentBert *m) { memset(m->grads_memory, 0, m->num_params * sizeof(float)); }

static void encoder_backward(SentBert *m) {
    SentDistilBertConfig c = m->config;
    int B = m->B, T = m->T, C = c.dim, NH = c.n_heads, H = c.hidden_dim, N = B * T;
    size_t BTC = (size_t)m->B_max * T * C, BT = (size_t)m->B_max * T;
    float p = m->dropout;
    SentBertParams *w = &m->params, *g = &m->grads;
    SentBertActs *a = &m->acts, *d = &m->grad_acts;

    for (int l = c.n_layers - 1; l >= 0; l--) {
        const float *x = l == 0 ? a->emb_ln : a->out_ln + (l - 1) * BTC;
        float *dx = l == 0 ? d->emb_ln : d->out_ln + (l - 1) * BTC;
        size_t att_off = (size_t)l * m->B_max * NH * T * T;

        layernorm_backward(d->ffn_res + l * BTC, g->out_ln_w + l * C, g->out_ln_b + l * C, d->out_ln + l * BTC,
                           a->ffn_res + l * BTC, w->out_ln_w + l * C, a->out_ln_mean + l * BT, a->out_ln_rstd + l * BT,
                           N, C);
        residual_backward(d->sa_ln + l * BTC, d->lin2 + l * BTC, d->ffn_res + l * BTC, (size_t)N * C);
        dropout_backward(d->lin2 + l * BTC, m->keep.lin2 + l * BTC, (size_t)N * C, p);
        matmul_backward(d->lin1_gelu + l * BT * H, g->lin2_w + (size_t)l * C * H, g->lin2_b + l * C,
                        d->lin2 + l * BTC, a->lin1_gelu + l * BT * H, w->lin2_w + (size_t)l * C * H, N, H, C);
        gelu_backward(d->lin1 + l * BT * H, a->lin1 + l * BT * H, d->lin1_gelu + l * BT * H, (size_t)N * H);
        matmul_backward(d->sa_ln + l * BTC, g->lin1_w + (size_t)l * H * C, g->lin1_b + l * H, d->lin1 + l * BT * H,
                        a->sa_ln + l * BTC, w->lin1_w + (size_t)l * H * C, N, C, H);
        layernorm_backward(d->sa_res + l * BTC, g->sa_ln_w + l * C, g->sa_ln_b + l * C, d->sa_ln + l * BTC,
                           a->sa_res + l * BTC, w->sa_ln_w + l * C, a->sa_ln_mean + l * BT, a->sa_ln_rstd + l * BT,
                           N, C);
        residual_backward(dx, d->out_lin + l * BTC, d->sa_res + l * BTC, (size_t)N * C);
        dropout_backward(d->out_lin + l * BTC, m->keep.out_lin + l * BTC, (size_t)N * C, p);
        matmul_backward(d->atty + l * BTC, g->out_lin_w + (size_t)l * C * C, g->out_lin_b + l * C,
                        d->out_lin + l * BTC, a->atty + l * BTC, w->out_lin_w + (size_t)l * C * C, N, C, C);
        attention_backward(d->qkv + l * 3 * BTC, d->atty + l * BTC, a->qkv + l * 3 * BTC, a->att + att_off,
                           B, T, C, NH, m->att_scratch);
        matmul_backward(dx, g->qkv_lin_w + (size_t)l * 3 * C * C, g->qkv_lin_b + l * 3 * C, d->qkv + l * 3 * BTC, x,
                        w->qkv_lin_w + (size_t)l * 3 * C * C, N, C, 3 * C);
    }
    dropout_backward(d->emb_ln, m->keep.emb, (size_t)N * C, p);
    layernorm_backward(d->encoded, g->emb_ln_w, g->emb_ln_b, d->emb_ln, a->encoded, w->emb_ln_w,
                       a->emb_mean, a->emb_rstd, N, C);
    embedding_backward(g->word_embeddings, g->position_embeddings, d->encoded, m->ids, B, T, C);
}

void sent_bert_backward(SentBert *m, int mlm) {
    int B = m->B, T = m->T, C = m->config.dim, NL = m->config.n_labels, V = m->config.vocab_size;
    SentBertParams *w = &m->params, *g = &m->grads;
    SentBertActs *a = &m->acts, *d = &m->grad_acts;
    memset(m->grad_acts_memory, 0, m->num_acts * sizeof(float));
    float *dhidden = d->out_ln + (size_t)(m->config.n_layers - 1) * m->B_max * T * C;  // [B,T,C]

    if (mlm) {
        int M = m->M;
        crossentropy_backward(d->mlm_logits, a->mlm_probs, m->targets, 1.0f / M, M, V);
        matmul_backward(d->mlm_ln, g->word_embeddings, g->vocab_projector_b, d->mlm_logits, a->mlm_ln,
                        w->word_embeddings, M, C, V);
        layernorm_backward(d->mlm_gelu, g->vocab_ln_w, g->vocab_ln_b, d->mlm_ln, a->mlm_gelu, w->vocab_ln_w,
                           a->mlm_mean, a->mlm_rstd, M, C);
        gelu_backward(d->mlm_t, a->mlm_t, d->mlm_gelu, (size_t)M * C);
        matmul_backward(d->mlm_in, g->vocab_transform_w, g->vocab_transform_b, d->mlm_t, a->mlm_in,
                        w->vocab_transform_w, M, C, C);
        for (int i = 0; i < M; i++) {
            float *dst = dhidden + (size_t)m->mlm_rows[i] * C;
            const float *src = d->mlm_in + (size_t)i * C;
            for (int ch = 0; ch < C; ch++) dst[ch] += src[ch];
        }
    } else {
        if (m->soft_targets) soft_crossentropy_backward(d->logits, a->probs, m->soft_targets, 1.0f / B, B, NL);
        else crossentropy_backward(d->logits, a->probs, m->targets, 1.0f / B, B, NL);
        matmul_backward(d->pre_relu, g->classifier_w, g->classifier_b, d->logits, a->pre_relu, w->classifier_w, B, C,
                        NL);
        dropout_backward(d->pre_relu, m->keep.cls, (size_t)B * C, m->cls_dropout);
        relu_backward(d->pre, a->pre, d->pre_relu, (size_t)B * C);
        matmul_backward(d->pooled, g->pre_classifier_w, g->pre_classifier_b, d->pre, a->pooled, w->pre_classifier_w,
                        B, C, C);
        for (int b = 0; b < B; b++) {
            float *dst = dhidden + (size_t)b * T * C;
            const float *src = d->pooled + (size_t)b * C;
            for (int ch = 0; ch < C; ch++) dst[ch] += src[ch];
        }
    }
    encoder_backward(m);
}

// ----------------------------------------------------------------------------------------------
// optimizer

float sent_bert_grad_norm(const SentBert *m) {
    double sum = 0;
    #pragma omp parallel for reduction(+ : sum)
    for (size_t i = 0; i < m->num_params; i++) sum += (double)m->grads_memory[i] * m->grads_memory[i];
    return (float)sqrt(sum);
}

void sent_bert_adamw_update(SentBert *m, float lr, float beta1, float beta2, float eps,
                            float weight_decay, float grad_scale, int step) {
    float bias1 = 1.0f - powf(beta1, (float)step), bias2 = 1.0f - powf(beta2, (float)step);
    size_t offset = 0;
    for (int i = 0; i < SENT_BERT_NUM_PARAMS; i++) {
        size_t n = m->param_sizes[i];
        float decay = sent_bert_param_decays(m, i) ? weight_decay : 0.0f;
        float *p = m->params_memory + offset, *gr = m->grads_memory + offset;
        float *mm = m->adam_m_memory + offset, *vv = m->adam_v_memory + offset;
        #pragma omp parallel for
        for (size_t j = 0; j < n; j++) {
            float grad = gr[j] * grad_scale;
            mm[j] = beta1 * mm[j] + (1.0f - beta1) * grad;
            vv[j] = beta2 * vv[j] + (1.0f - beta2) * grad * grad;
            float update = (mm[j] / bias1) / (sqrtf(vv[j] / bias2) + eps);
            p[j] -= lr * (update + decay * p[j]);
        }
        offset += n;
    }
}

double sent_bert_flops_per_step(const SentBert *m, int B, int M) {
    SentDistilBertConfig c = m->config;
    double T = m->T, C = c.dim, H = c.hidden_dim, N = (double)B * T;
    double per_layer = 2 * N * (4 * C * C + 2 * C * H) + 2 * 2 * (double)B * T * T * C;
    double head = M ? 2.0 * M * (C * C + C * c.vocab_size) : 2.0 * B * (C * C + C * c.n_labels);
    return 3 * (c.n_layers * per_layer + head);  // backward costs about twice the forward
}
