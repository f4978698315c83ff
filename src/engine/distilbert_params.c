// DistilBERT's config and state dict (see distilbert_params.h): the one place the tensor names,
// shapes and roles are written down.
#include "distilbert_params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

// --- config ------------------------------------------------------------------------------------

// The integer fields, under their config.json / .smf keys, and the range each must lie in.
static const struct {
    const char *key;
    size_t offset;
    int lo, hi;
} INT_FIELDS[] = {
    {"vocab_size", offsetof(SentDistilBertConfig, vocab_size), 1, 1 << 22},
    {"dim", offsetof(SentDistilBertConfig, dim), 1, 1 << 14},
    {"n_layers", offsetof(SentDistilBertConfig, n_layers), 1, 256},
    {"n_heads", offsetof(SentDistilBertConfig, n_heads), 1, 1024},
    {"hidden_dim", offsetof(SentDistilBertConfig, hidden_dim), 1, 1 << 16},
    {"max_position_embeddings", offsetof(SentDistilBertConfig, max_position_embeddings), 2, 1 << 14},
    {"n_labels", offsetof(SentDistilBertConfig, n_labels), 2, 64},
};
#define N_INT_FIELDS (int)(sizeof INT_FIELDS / sizeof INT_FIELDS[0])

// Like strchr, a non-const pointer into cfg; only sent_distilbert_config_from_json writes through it.
static int *int_field(const SentDistilBertConfig *cfg, int i) { return (int *)((char *)cfg + INT_FIELDS[i].offset); }

int sent_distilbert_config_check(SentDistilBertConfig *cfg, const char *where, char *err, size_t err_size) {
    for (int i = 0; i < N_INT_FIELDS; i++) {
        int v = *int_field(cfg, i);
        if (v < INT_FIELDS[i].lo || v > INT_FIELDS[i].hi)
            return sent_errorf(err, err_size, "%s%s = %d is not in %d..%d", where, INT_FIELDS[i].key, v,
                               INT_FIELDS[i].lo, INT_FIELDS[i].hi);
    }
    if (cfg->dim % cfg->n_heads)
        return sent_errorf(err, err_size, "%sdim %d is not a multiple of n_heads %d", where, cfg->dim, cfg->n_heads);
    if (cfg->layer_norm_eps == 0) cfg->layer_norm_eps = SENT_DISTILBERT_LAYER_NORM_EPS;
    if (!(cfg->layer_norm_eps > 0 && cfg->layer_norm_eps < 1))
        return sent_errorf(err, err_size, "%slayer_norm_eps %g is not in (0, 1)", where, (double)cfg->layer_norm_eps);
    return 0;
}

int sent_distilbert_config_same(const SentDistilBertConfig *a, const SentDistilBertConfig *b) {
    for (int i = 0; i < N_INT_FIELDS; i++)
        if (*int_field(a, i) != *int_field(b, i)) return 0;
    float eps_a = a->layer_norm_eps ? a->layer_norm_eps : SENT_DISTILBERT_LAYER_NORM_EPS;
    float eps_b = b->layer_norm_eps ? b->layer_norm_eps : SENT_DISTILBERT_LAYER_NORM_EPS;
    return eps_a == eps_b;
}

int sent_distilbert_config_from_json(SentDistilBertConfig *cfg, const cJSON *json, int hf, const char *where,
                                     char *err, size_t err_size) {
    memset(cfg, 0, sizeof *cfg);
    for (int i = 0; i < N_INT_FIELDS; i++) {
        const char *key = INT_FIELDS[i].key;
        if (hf && !strcmp(key, "n_labels")) continue;   // config.json counts labels in id2label
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, key);
        if (!cJSON_IsNumber(item)) return sent_errorf(err, err_size, "%s%s is missing or not a number", where, key);
        double v = item->valuedouble;
        if (v != floor(v) || v < INT_FIELDS[i].lo || v > INT_FIELDS[i].hi)
            return sent_errorf(err, err_size, "%s%s = %g is not an integer in %d..%d", where, key, v, INT_FIELDS[i].lo,
                               INT_FIELDS[i].hi);
        *int_field(cfg, i) = (int)v;
    }
    if (hf) {
        const cJSON *id2label = cJSON_GetObjectItemCaseSensitive(json, "id2label");
        cfg->n_labels = cJSON_IsObject(id2label) ? cJSON_GetArraySize(id2label) : 2;
    }
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(json, "activation");
    if ((act || !hf) && (!cJSON_IsString(act) || strcmp(act->valuestring, "gelu")))
        return sent_errorf(err, err_size, "%sactivation must be \"gelu\" (the engine implements exact erf GELU)",
                           where);
    if (!hf) {
        const cJSON *eps = cJSON_GetObjectItemCaseSensitive(json, "layer_norm_eps");
        if (!cJSON_IsNumber(eps) || !(eps->valuedouble > 0 && eps->valuedouble < 1))
            return sent_errorf(err, err_size, "%slayer_norm_eps is missing or not in (0, 1)", where);
        cfg->layer_norm_eps = (float)eps->valuedouble;
    }
    return sent_distilbert_config_check(cfg, where, err, err_size);
}

// The shortest decimal that reads back as x (1e-12, not 9.99999996e-13).
static double shortest(float x) {
    char text[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, (double)x);
        if (strtof(text, NULL) == x) break;
    }
    return strtod(text, NULL);
}

void sent_distilbert_config_to_json(const SentDistilBertConfig *cfg, cJSON *obj, int hf) {
    for (int i = 0; i < N_INT_FIELDS; i++)
        if (!hf || strcmp(INT_FIELDS[i].key, "n_labels"))
            cJSON_AddNumberToObject(obj, INT_FIELDS[i].key, *int_field(cfg, i));
    cJSON_AddStringToObject(obj, "activation", "gelu");
    if (!hf) cJSON_AddNumberToObject(obj, "layer_norm_eps", shortest(cfg->layer_norm_eps));
}

// --- tensors -----------------------------------------------------------------------------------

typedef enum { VECTOR, V, P, D, H, C } Dim;   // sizes from the config; VECTOR as rows: [cols]

typedef struct {
    SentModule module;
    SentTensorKind kind;
    Dim rows, cols;
    int quantize;       // word embeddings and matmul weights, not the classifier's
    const char *name;   // in a block, %d is the layer
} Entry;

#define EMBEDDING SENT_TENSOR_EMBEDDING
#define WEIGHT SENT_TENSOR_WEIGHT
#define BIAS SENT_TENSOR_BIAS
#define NORM_W SENT_TENSOR_NORM_WEIGHT
#define NORM_B SENT_TENSOR_NORM_BIAS

static const Entry EMBEDDINGS[] = {
    {SENT_MODULE_WORD_EMBEDDINGS, EMBEDDING, V, D, 1, "distilbert.embeddings.word_embeddings.weight"},
    {SENT_MODULE_POSITION_EMBEDDINGS, EMBEDDING, P, D, 0, "distilbert.embeddings.position_embeddings.weight"},
    {SENT_MODULE_EMBEDDINGS_LAYER_NORM, NORM_W, VECTOR, D, 0, "distilbert.embeddings.LayerNorm.weight"},
    {SENT_MODULE_EMBEDDINGS_LAYER_NORM, NORM_B, VECTOR, D, 0, "distilbert.embeddings.LayerNorm.bias"},
};

static const Entry BLOCK[] = {
    {SENT_MODULE_Q_LIN, WEIGHT, D, D, 1, "distilbert.transformer.layer.%d.attention.q_lin.weight"},
    {SENT_MODULE_Q_LIN, BIAS, VECTOR, D, 0, "distilbert.transformer.layer.%d.attention.q_lin.bias"},
    {SENT_MODULE_K_LIN, WEIGHT, D, D, 1, "distilbert.transformer.layer.%d.attention.k_lin.weight"},
    {SENT_MODULE_K_LIN, BIAS, VECTOR, D, 0, "distilbert.transformer.layer.%d.attention.k_lin.bias"},
    {SENT_MODULE_V_LIN, WEIGHT, D, D, 1, "distilbert.transformer.layer.%d.attention.v_lin.weight"},
    {SENT_MODULE_V_LIN, BIAS, VECTOR, D, 0, "distilbert.transformer.layer.%d.attention.v_lin.bias"},
    {SENT_MODULE_OUT_LIN, WEIGHT, D, D, 1, "distilbert.transformer.layer.%d.attention.out_lin.weight"},
    {SENT_MODULE_OUT_LIN, BIAS, VECTOR, D, 0, "distilbert.transformer.layer.%d.attention.out_lin.bias"},
    {SENT_MODULE_SA_LAYER_NORM, NORM_W, VECTOR, D, 0, "distilbert.transformer.layer.%d.sa_layer_norm.weight"},
    {SENT_MODULE_SA_LAYER_NORM, NORM_B, VECTOR, D, 0, "distilbert.transformer.layer.%d.sa_layer_norm.bias"},
    {SENT_MODULE_LIN1, WEIGHT, H, D, 1, "distilbert.transformer.layer.%d.ffn.lin1.weight"},
    {SENT_MODULE_LIN1, BIAS, VECTOR, H, 0, "distilbert.transformer.layer.%d.ffn.lin1.bias"},
    {SENT_MODULE_LIN2, WEIGHT, D, H, 1, "distilbert.transformer.layer.%d.ffn.lin2.weight"},
    {SENT_MODULE_LIN2, BIAS, VECTOR, D, 0, "distilbert.transformer.layer.%d.ffn.lin2.bias"},
    {SENT_MODULE_OUTPUT_LAYER_NORM, NORM_W, VECTOR, D, 0, "distilbert.transformer.layer.%d.output_layer_norm.weight"},
    {SENT_MODULE_OUTPUT_LAYER_NORM, NORM_B, VECTOR, D, 0, "distilbert.transformer.layer.%d.output_layer_norm.bias"},
};

// The classifier is C x D: too small to matter for size, and its precision sets the decision.
static const Entry CLASSIFIER_HEAD[] = {
    {SENT_MODULE_PRE_CLASSIFIER, WEIGHT, D, D, 1, "pre_classifier.weight"},
    {SENT_MODULE_PRE_CLASSIFIER, BIAS, VECTOR, D, 0, "pre_classifier.bias"},
    {SENT_MODULE_CLASSIFIER, WEIGHT, C, D, 0, "classifier.weight"},
    {SENT_MODULE_CLASSIFIER, BIAS, VECTOR, C, 0, "classifier.bias"},
};

// logits = vocab_projector(vocab_layer_norm(gelu(vocab_transform(x)))), the projector's weight
// being the word embeddings.
static const Entry MLM_HEAD[] = {
    {SENT_MODULE_VOCAB_TRANSFORM, WEIGHT, D, D, 1, "vocab_transform.weight"},
    {SENT_MODULE_VOCAB_TRANSFORM, BIAS, VECTOR, D, 0, "vocab_transform.bias"},
    {SENT_MODULE_VOCAB_LAYER_NORM, NORM_W, VECTOR, D, 0, "vocab_layer_norm.weight"},
    {SENT_MODULE_VOCAB_LAYER_NORM, NORM_B, VECTOR, D, 0, "vocab_layer_norm.bias"},
    {SENT_MODULE_VOCAB_PROJECTOR, BIAS, VECTOR, V, 0, "vocab_projector.bias"},
};

#define SECTION(part, per_layer, entries) {part, per_layer, entries, (int)(sizeof entries / sizeof entries[0])}
static const struct {
    SentPart part;
    int per_layer;   // 1: the entries repeat for every transformer block
    const Entry *entries;
    int n;
} SECTIONS[] = {
    SECTION(SENT_PART_ENCODER, 0, EMBEDDINGS),
    SECTION(SENT_PART_ENCODER, 1, BLOCK),
    SECTION(SENT_PART_CLASSIFIER, 0, CLASSIFIER_HEAD),
    SECTION(SENT_PART_MLM, 0, MLM_HEAD),
};
#define N_SECTIONS (int)(sizeof SECTIONS / sizeof SECTIONS[0])

static int size_of(const SentDistilBertConfig *cfg, Dim d) {
    switch (d) {
    case V: return cfg->vocab_size;
    case P: return cfg->max_position_embeddings;
    case D: return cfg->dim;
    case H: return cfg->hidden_dim;
    case C: return cfg->n_labels;
    default: return 0;
    }
}

int sent_distilbert_param(const SentDistilBertConfig *cfg, int parts, int i, SentParam *p) {
    if (i < 0) return 0;
    for (int s = 0; s < N_SECTIONS; s++) {
        if (!(parts & SECTIONS[s].part)) continue;
        int n = SECTIONS[s].n, count = SECTIONS[s].per_layer ? n * cfg->n_layers : n;
        if (i >= count) {
            i -= count;
            continue;
        }
        const Entry *e = &SECTIONS[s].entries[i % n];
        memset(p, 0, sizeof *p);
        p->layer = SECTIONS[s].per_layer ? i / n : -1;
        snprintf(p->name, sizeof p->name, e->name, p->layer);
        p->module = e->module;
        p->kind = e->kind;
        p->part = SECTIONS[s].part;
        p->rows = size_of(cfg, e->rows);
        p->cols = size_of(cfg, e->cols);
        p->quantize = e->quantize;
        return 1;
    }
    return 0;
}

int sent_distilbert_param_count(const SentDistilBertConfig *cfg, int parts) {
    int count = 0;
    for (int s = 0; s < N_SECTIONS; s++)
        if (parts & SECTIONS[s].part) count += SECTIONS[s].per_layer ? SECTIONS[s].n * cfg->n_layers : SECTIONS[s].n;
    return count;
}

int sent_param_read_f32(const SentParam *p, const SentTensor *t, float *dst, char *err, size_t err_size) {
    int64_t rows = p->rows ? p->rows : 1, cols = p->cols;
    int want_ndim = p->rows ? 2 : 1;
    if (t->ndim != want_ndim || (want_ndim == 2 ? t->shape[0] != rows || t->shape[1] != cols : t->shape[0] != cols))
        return sent_errorf(err, err_size, "tensor %s: its shape in the file differs from the config's", p->name);
    size_t n = (size_t)(rows * cols);
    if (t->dtype == SENT_DTYPE_F32) {
        memcpy(dst, t->data, n * sizeof(float));
    } else {
        const int8_t *q = t->data;   // the loader checked group_size divides the row and scale's size
        for (size_t i = 0; i < n; i++) dst[i] = (float)q[i] * t->scale[i / (size_t)t->group_size];
    }
    return 0;
}
