// The trainable DistilBERT: the network read top to bottom, built from the layers in layers.h.
// Block (post-LayerNorm, as DistilBERT):
//   x1 = LN_sa(x + dropout(out_lin(attention(q_lin x, k_lin x, v_lin x))))
//   x2 = LN_out(x1 + dropout(lin2(gelu(lin1 x1))))
// Embeddings: dropout(LN(wte[id] + wpe[t])). Attention-probability dropout is not used (the
// exported config says attention_dropout 0).
#define real float
#include "train/layers.h"

#include "train/trainable_distilbert.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

// ----------------------------------------------------------------------------------------------
// allocation

static void param_sizes(size_t *sizes, SentBertConfig c) {
    size_t V = c.vocab_size, P = c.max_positions, L = c.n_layers, C = c.dim, H = c.hidden_dim,
           NL = c.n_labels;
    size_t s[SENT_BERT_NUM_PARAMS] = {
        V * C, P * C, C, C,                                  // embeddings
        L * 3 * C * C, L * 3 * C, L * C * C, L * C, L * C, L * C,  // attention, sa_layer_norm
        L * H * C, L * H, L * C * H, L * C, L * C, L * C,    // ffn, output_layer_norm
        C * C, C, NL * C, NL,                                // classification head
        C * C, C, C, C, V,                                   // MLM head
    };
    memcpy(sizes, s, sizeof s);
}

// Points each tensor of a SentBertParams into memory, in declaration order.
static void carve_params(SentBertParams *p, float *memory, const size_t *sizes) {
    float **ptrs[SENT_BERT_NUM_PARAMS] = {
        &p->wte, &p->wpe, &p->emb_lnw, &p->emb_lnb, &p->qkvw, &p->qkvb, &p->attprojw, &p->attprojb,
        &p->ln1w, &p->ln1b, &p->fcw, &p->fcb, &p->fcprojw, &p->fcprojb, &p->ln2w, &p->ln2b,
        &p->prew, &p->preb, &p->clsw, &p->clsb, &p->mlmw, &p->mlmb, &p->mlm_lnw, &p->mlm_lnb,
        &p->mlm_bias,
    };
    for (int i = 0; i < SENT_BERT_NUM_PARAMS; i++) {
        *ptrs[i] = memory;
        memory += sizes[i];
    }
}

int sent_bert_param_decays(int i) {
    static const int decays[SENT_BERT_NUM_PARAMS] = {
        1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0,
    };
    return decays[i];
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
        &a->qkv, &a->att, &a->atty, &a->attproj, &a->res1, &a->ln1, &a->ln1_mean, &a->ln1_rstd,
        &a->fch, &a->fch_gelu, &a->fcproj, &a->res2, &a->ln2, &a->ln2_mean, &a->ln2_rstd,
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

void sent_bert_build(SentBert *model, SentBertConfig config, int B_max, int T, int M_max) {
    if (config.dim % config.n_heads != 0 || T > config.max_positions || config.n_layers < 1) {
        fprintf(stderr, "error: bad model shape (dim %% heads, seq-len <= max positions, layers >= 1)\n");
        exit(EXIT_FAILURE);
    }
    memset(model, 0, sizeof *model);
    model->config = config;
    model->B_max = B_max;
    model->T = model->T_max = T;
    model->M_max = M_max > 0 ? M_max : 1;
    param_sizes(model->param_sizes, config);
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
    model->keep.attproj = model->keep.emb + BTC;
    model->keep.fcproj = model->keep.attproj + L * BTC;
    model->keep.cls = model->keep.fcproj + L * BTC;
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
    static const int is_layernorm_weight[SENT_BERT_NUM_PARAMS] = {
        [2] = 1, [8] = 1, [14] = 1, [22] = 1,
    };
    float *p = model->params_memory;
    size_t offset = 0;
    for (int i = 0; i < SENT_BERT_NUM_PARAMS; i++) {
        size_t n = model->param_sizes[i];
        for (size_t j = 0; j < n; j++) {
            if (sent_bert_param_decays(i)) p[offset + j] = 0.02f * normal01(seed, offset + j);
            else p[offset + j] = is_layernorm_weight[i] ? 1.0f : 0.0f;
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
    SentBertConfig c = m->config;
    int T = m->T, C = c.dim, NH = c.n_heads, H = c.hidden_dim, N = B * T;
    size_t BTC = (size_t)m->B_max * T * C, BT = (size_t)m->B_max * T;
    float p = training ? m->dropout : 0.0f;
    SentBertParams *w = &m->params;
    SentBertActs *a = &m->acts;

    embedding_forward(a->encoded, ids, w->wte, w->wpe, B, T, C);
    layernorm_forward(a->emb_ln, a->emb_mean, a->emb_rstd, a->encoded, w->emb_lnw, w->emb_lnb, N, C);
    dropout_forward(a->emb_ln, m->keep.emb, (size_t)N * C, p, site_seed(seed, 0));

    for (int l = 0; l < c.n_layers; l++) {
        const float *x = l == 0 ? a->emb_ln : a->ln2 + (l - 1) * BTC;   // [B,T,C]
        float *qkv = a->qkv + l * 3 * BTC;                              // [B,T,3C]
        float *att = a->att + (size_t)l * m->B_max * NH * T * T;        // [B,NH,T,T]
        float *atty = a->atty + l * BTC, *attproj = a->attproj + l * BTC, *res1 = a->res1 + l * BTC;
        float *ln1 = a->ln1 + l * BTC, *ln1_mean = a->ln1_mean + l * BT, *ln1_rstd = a->ln1_rstd + l * BT;
        float *fch = a->fch + l * BT * H, *fch_gelu = a->fch_gelu + l * BT * H;  // [B,T,H]
        float *fcproj = a->fcproj + l * BTC, *res2 = a->res2 + l * BTC;
        float *ln2 = a->ln2 + l * BTC, *ln2_mean = a->ln2_mean + l * BT, *ln2_rstd = a->ln2_rstd + l * BT;

        matmul_forward(qkv, x, w->qkvw + (size_t)l * 3 * C * C, w->qkvb + l * 3 * C, N, C, 3 * C);
        attention_forward(atty, att, qkv, mask, B, T, C, NH);
        matmul_forward(attproj, atty, w->attprojw + (size_t)l * C * C, w->attprojb + l * C, N, C, C);
        dropout_forward(attproj, m->keep.attproj + l * BTC, (size_t)N * C, p, site_seed(seed, 1 + 2 * l));
        residual_forward(res1, x, attproj, (size_t)N * C);
        layernorm_forward(ln1, ln1_mean, ln1_rstd, res1, w->ln1w + l * C, w->ln1b + l * C, N, C);
        matmul_forward(fch, ln1, w->fcw + (size_t)l * H * C, w->fcb + l * H, N, C, H);
        gelu_forward(fch_gelu, fch, (size_t)N * H);
        matmul_forward(fcproj, fch_gelu, w->fcprojw + (size_t)l * C * H, w->fcprojb + l * C, N, H, C);
        dropout_forward(fcproj, m->keep.fcproj + l * BTC, (size_t)N * C, p, site_seed(seed, 2 + 2 * l));
        residual_forward(res2, ln1, fcproj, (size_t)N * C);
        layernorm_forward(ln2, ln2_mean, ln2_rstd, res2, w->ln2w + l * C, w->ln2b + l * C, N, C);
    }
}

static float mean_of(const float *x, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += x[i];
    return n ? (float)(sum / n) : 0.0f;
}

static const float *encoder_output(const SentBert *m) {
    return m->acts.ln2 + (size_t)(m->config.n_layers - 1) * m->B_max * m->T * m->config.dim;
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
    matmul_forward(a->pre, a->pooled, w->prew, w->preb, B, C, C);
    relu_forward(a->pre_relu, a->pre, (size_t)B * C);
    dropout_forward(a->pre_relu, m->keep.cls, (size_t)B * C, training ? m->cls_dropout : 0.0f,
                    site_seed(seed, 1000));
    matmul_forward(a->logits, a->pre_relu, w->clsw, w->clsb, B, C, NL);
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
    matmul_forward(a->mlm_t, a->mlm_in, w->mlmw, w->mlmb, M, C, C);
    gelu_forward(a->mlm_gelu, a->mlm_t, (size_t)M * C);
    layernorm_forward(a->mlm_ln, a->mlm_mean, a->mlm_rstd, a->mlm_gelu, w->mlm_lnw, w->mlm_lnb, M, C);
    matmul_forward(a->mlm_logits, a->mlm_ln, w->wte, w->mlm_bias, M, C, V);  // tied projector
    crossentropy_forward(a->mlm_losses, a->mlm_probs, a->mlm_logits, targets, M, V);
    return m->mean_loss = mean_of(a->mlm_losses, M);
}

// ----------------------------------------------------------------------------------------------
// backward

void sent_bert_zero_grad(SentBert *m) { memset(m->grads_memory, 0, m->num_params * sizeof(float)); }

static void encoder_backward(SentBert *m) {
    SentBertConfig c = m->config;
    int B = m->B, T = m->T, C = c.dim, NH = c.n_heads, H = c.hidden_dim, N = B * T;
    size_t BTC = (size_t)m->B_max * T * C, BT = (size_t)m->B_max * T;
    float p = m->dropout;
    SentBertParams *w = &m->params, *g = &m->grads;
    SentBertActs *a = &m->acts, *d = &m->grad_acts;

    for (int l = c.n_layers - 1; l >= 0; l--) {
        const float *x = l == 0 ? a->emb_ln : a->ln2 + (l - 1) * BTC;
        float *dx = l == 0 ? d->emb_ln : d->ln2 + (l - 1) * BTC;
        size_t att_off = (size_t)l * m->B_max * NH * T * T;

        layernorm_backward(d->res2 + l * BTC, g->ln2w + l * C, g->ln2b + l * C, d->ln2 + l * BTC,
                           a->res2 + l * BTC, w->ln2w + l * C, a->ln2_mean + l * BT, a->ln2_rstd + l * BT, N, C);
        residual_backward(d->ln1 + l * BTC, d->fcproj + l * BTC, d->res2 + l * BTC, (size_t)N * C);
        dropout_backward(d->fcproj + l * BTC, m->keep.fcproj + l * BTC, (size_t)N * C, p);
        matmul_backward(d->fch_gelu + l * BT * H, g->fcprojw + (size_t)l * C * H, g->fcprojb + l * C,
                        d->fcproj + l * BTC, a->fch_gelu + l * BT * H, w->fcprojw + (size_t)l * C * H, N, H, C);
        gelu_backward(d->fch + l * BT * H, a->fch + l * BT * H, d->fch_gelu + l * BT * H, (size_t)N * H);
        matmul_backward(d->ln1 + l * BTC, g->fcw + (size_t)l * H * C, g->fcb + l * H, d->fch + l * BT * H,
                        a->ln1 + l * BTC, w->fcw + (size_t)l * H * C, N, C, H);
        layernorm_backward(d->res1 + l * BTC, g->ln1w + l * C, g->ln1b + l * C, d->ln1 + l * BTC,
                           a->res1 + l * BTC, w->ln1w + l * C, a->ln1_mean + l * BT, a->ln1_rstd + l * BT, N, C);
        residual_backward(dx, d->attproj + l * BTC, d->res1 + l * BTC, (size_t)N * C);
        dropout_backward(d->attproj + l * BTC, m->keep.attproj + l * BTC, (size_t)N * C, p);
        matmul_backward(d->atty + l * BTC, g->attprojw + (size_t)l * C * C, g->attprojb + l * C,
                        d->attproj + l * BTC, a->atty + l * BTC, w->attprojw + (size_t)l * C * C, N, C, C);
        attention_backward(d->qkv + l * 3 * BTC, d->atty + l * BTC, a->qkv + l * 3 * BTC, a->att + att_off,
                           B, T, C, NH, m->att_scratch);
        matmul_backward(dx, g->qkvw + (size_t)l * 3 * C * C, g->qkvb + l * 3 * C, d->qkv + l * 3 * BTC, x,
                        w->qkvw + (size_t)l * 3 * C * C, N, C, 3 * C);
    }
    dropout_backward(d->emb_ln, m->keep.emb, (size_t)N * C, p);
    layernorm_backward(d->encoded, g->emb_lnw, g->emb_lnb, d->emb_ln, a->encoded, w->emb_lnw,
                       a->emb_mean, a->emb_rstd, N, C);
    embedding_backward(g->wte, g->wpe, d->encoded, m->ids, B, T, C);
}

void sent_bert_backward(SentBert *m, int mlm) {
    int B = m->B, T = m->T, C = m->config.dim, NL = m->config.n_labels, V = m->config.vocab_size;
    SentBertParams *w = &m->params, *g = &m->grads;
    SentBertActs *a = &m->acts, *d = &m->grad_acts;
    memset(m->grad_acts_memory, 0, m->num_acts * sizeof(float));
    float *dhidden = d->ln2 + (size_t)(m->config.n_layers - 1) * m->B_max * T * C;  // [B,T,C]

    if (mlm) {
        int M = m->M;
        crossentropy_backward(d->mlm_logits, a->mlm_probs, m->targets, 1.0f / M, M, V);
        matmul_backward(d->mlm_ln, g->wte, g->mlm_bias, d->mlm_logits, a->mlm_ln, w->wte, M, C, V);
        layernorm_backward(d->mlm_gelu, g->mlm_lnw, g->mlm_lnb, d->mlm_ln, a->mlm_gelu, w->mlm_lnw,
                           a->mlm_mean, a->mlm_rstd, M, C);
        gelu_backward(d->mlm_t, a->mlm_t, d->mlm_gelu, (size_t)M * C);
        matmul_backward(d->mlm_in, g->mlmw, g->mlmb, d->mlm_t, a->mlm_in, w->mlmw, M, C, C);
        for (int i = 0; i < M; i++) {
            float *dst = dhidden + (size_t)m->mlm_rows[i] * C;
            const float *src = d->mlm_in + (size_t)i * C;
            for (int ch = 0; ch < C; ch++) dst[ch] += src[ch];
        }
    } else {
        if (m->soft_targets) soft_crossentropy_backward(d->logits, a->probs, m->soft_targets, 1.0f / B, B, NL);
        else crossentropy_backward(d->logits, a->probs, m->targets, 1.0f / B, B, NL);
        matmul_backward(d->pre_relu, g->clsw, g->clsb, d->logits, a->pre_relu, w->clsw, B, C, NL);
        dropout_backward(d->pre_relu, m->keep.cls, (size_t)B * C, m->cls_dropout);
        relu_backward(d->pre, a->pre, d->pre_relu, (size_t)B * C);
        matmul_backward(d->pooled, g->prew, g->preb, d->pre, a->pooled, w->prew, B, C, C);
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
        float decay = sent_bert_param_decays(i) ? weight_decay : 0.0f;
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
    SentBertConfig c = m->config;
    double T = m->T, C = c.dim, H = c.hidden_dim, N = (double)B * T;
    double per_layer = 2 * N * (4 * C * C + 2 * C * H) + 2 * 2 * (double)B * T * T * C;
    double head = M ? 2.0 * M * (C * C + C * c.vocab_size) : 2.0 * B * (C * C + C * c.n_labels);
    return 3 * (c.n_layers * per_layer + head);  // backward costs about twice the forward
}
