// Hugging Face checkpoint → .smf (see convert.h): read config.json, vocab.txt and
// model.safetensors, check every tensor against the config, quantize, write metadata + tensors.
#include "convert.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cJSON.h"
#include "model_file.h"
#include "safetensors.h"
#include "util.h"

#define MAX_LABELS 16

static int fail(char *err, size_t err_size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return -1;
}

SentConvertOptions sent_convert_defaults(void) {
    return (SentConvertOptions){.quantize = 0, .group_size = 64, .max_len = 0, .head_only = 0, .head_tokens = -1, .name = NULL};
}

void sent_quantize_rows(int8_t *q, float *scale, const float *w, int rows, int cols, int group) {
    int groups = cols / group;
    for (int r = 0; r < rows; r++)
        for (int g = 0; g < groups; g++) {
            const float *src = w + (size_t)r * cols + (size_t)g * group;
            int8_t *dst = q + (size_t)r * cols + (size_t)g * group;
            float amax = 0;
            for (int i = 0; i < group; i++) amax = fabsf(src[i]) > amax ? fabsf(src[i]) : amax;
            float s = amax / 127.0f, inv = s > 0 ? 1.0f / s : 0.0f;
            for (int i = 0; i < group; i++) {
                float v = roundf(src[i] * inv);
                dst[i] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
            }
            scale[(size_t)r * groups + g] = s;
        }
}

// --- config.json -------------------------------------------------------------------------------

typedef struct {
    int vocab_size, dim, n_layers, n_heads, hidden_dim, max_position, n_labels, positive_index;
    char labels[MAX_LABELS][64];
} HfConfig;

static int config_int(const cJSON *c, const char *key, int *out, char *err, size_t err_size) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e7 || v->valuedouble != floor(v->valuedouble))
        return fail(err, err_size, "config.json: \"%s\" missing or not a positive integer", key);
    *out = (int)v->valuedouble;
    return 0;
}

static int read_config(HfConfig *cfg, const char *path, char *err, size_t err_size) {
    memset(cfg, 0, sizeof *cfg);
    size_t len;
    char *text = sent_read_file(path, &len);
    if (!text) return fail(err, err_size, "cannot read '%s': %s", path, strerror(errno));
    cJSON *c = cJSON_ParseWithLength(text, len);
    free(text);
    int rc = -1;
    if (!cJSON_IsObject(c)) {
        fail(err, err_size, "'%s' is not a JSON object", path);
        goto done;
    }
    if (config_int(c, "vocab_size", &cfg->vocab_size, err, err_size) || config_int(c, "dim", &cfg->dim, err, err_size) ||
        config_int(c, "n_layers", &cfg->n_layers, err, err_size) ||
        config_int(c, "n_heads", &cfg->n_heads, err, err_size) ||
        config_int(c, "hidden_dim", &cfg->hidden_dim, err, err_size) ||
        config_int(c, "max_position_embeddings", &cfg->max_position, err, err_size))
        goto done;
    if (cfg->dim % cfg->n_heads) {
        fail(err, err_size, "config.json: dim %d is not a multiple of n_heads %d", cfg->dim, cfg->n_heads);
        goto done;
    }
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(c, "activation");
    if (act && (!cJSON_IsString(act) || strcmp(act->valuestring, "gelu"))) {
        fail(err, err_size, "config.json: activation must be \"gelu\" (the engine implements exact erf GELU)");
        goto done;
    }
    const cJSON *id2label = cJSON_GetObjectItemCaseSensitive(c, "id2label");
    cfg->n_labels = cJSON_IsObject(id2label) ? cJSON_GetArraySize(id2label) : 2;
    if (cfg->n_labels < 2 || cfg->n_labels > MAX_LABELS) {
        fail(err, err_size, "config.json: %d labels; 2..%d supported", cfg->n_labels, MAX_LABELS);
        goto done;
    }
    cfg->positive_index = -1;
    for (int i = 0; i < cfg->n_labels; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", i);
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(id2label, key);
        if (id2label && (!cJSON_IsString(l) || !l->valuestring[0] || strlen(l->valuestring) >= 64)) {
            fail(err, err_size, "config.json: id2label[\"%d\"] missing or not a short string", i);
            goto done;
        }
        snprintf(cfg->labels[i], sizeof cfg->labels[i], "%s", l ? l->valuestring : (i ? "LABEL_1" : "LABEL_0"));
        if (cfg->positive_index < 0 && (!strcasecmp(cfg->labels[i], "positive") || !strcasecmp(cfg->labels[i], "pos")))
            cfg->positive_index = i;
    }
    if (cfg->positive_index < 0) cfg->positive_index = 1;
    rc = 0;
done:
    cJSON_Delete(c);
    return rc;
}

// --- tensors -----------------------------------------------------------------------------------

typedef struct {
    SentTensor *tensors;   // [cap]
    void **buffers;        // [2 * cap] allocations to free
    int n, n_buffers, cap;
} TensorList;

// Fetches name from the checkpoint as fp32 [rows, cols] (rows 0: vector), appends it to the list
// quantized or not. Returns 0 or -1.
static int add_tensor(TensorList *list, const SentSafetensors *st, const char *name, int rows, int cols, int quantize,
                      int group, FILE *log, char *err, size_t err_size) {
    const SentStTensor *src = sent_safetensors_find(st, name);
    if (!src) return fail(err, err_size, "model.safetensors has no tensor '%s'", name);
    int ok_shape = rows ? src->ndim == 2 && src->shape[0] == rows && src->shape[1] == cols
                        : src->ndim == 1 && src->shape[0] == cols;
    if (!ok_shape)
        return fail(err, err_size, "tensor '%s' has shape [%lld, ...] (%d dims), config says [%d, %d]", name,
                    src->ndim ? (long long)src->shape[0] : 0LL, src->ndim, rows ? rows : cols, rows ? cols : 0);
    float *f = malloc((size_t)src->numel * sizeof(float));
    if (!f) return fail(err, err_size, "out of memory");
    list->buffers[list->n_buffers++] = f;
    if (sent_safetensors_to_f32(src, f)) return fail(err, err_size, "tensor '%s' is not F32/F16/BF16", name);
    for (int64_t i = 0; i < src->numel; i++)
        if (!isfinite(f[i])) return fail(err, err_size, "tensor '%s' holds a non-finite value at %lld", name, (long long)i);
    SentTensor *t = &list->tensors[list->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = rows ? 2 : 1;
    t->shape[0] = rows ? rows : cols;
    t->shape[1] = rows ? cols : 0;
    if (!quantize) {
        t->dtype = SENT_DTYPE_F32;
        t->data = f;
        t->size = (uint64_t)src->numel * 4;
        return 0;
    }
    int g = group ? group : cols;
    if (cols % g) {
        if (log) fprintf(log, "note: %s: group %d does not divide %d inputs; one scale per row instead\n", name, g, cols);
        g = cols;
    }
    int8_t *q = malloc((size_t)src->numel);
    float *scale = malloc((size_t)src->numel / g * sizeof(float));
    if (!q || !scale) {
        free(q);
        free(scale);
        return fail(err, err_size, "out of memory");
    }
    list->buffers[list->n_buffers++] = q;
    list->buffers[list->n_buffers++] = scale;
    sent_quantize_rows(q, scale, f, rows, cols, g);
    t->dtype = SENT_DTYPE_I8;
    t->data = q;
    t->size = (uint64_t)src->numel;
    t->scale = scale;
    t->scale_size = (uint64_t)src->numel / g * 4;
    t->group_size = g;
    return 0;
}

// --- metadata ----------------------------------------------------------------------------------

static char *build_metadata(const HfConfig *cfg, const SentConvertOptions *opts, int max_len, const char *vocab,
                            const char *dir, const SentSafetensors *st) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "format", "movie-sentiment model");
    cJSON_AddStringToObject(m, "name", opts->name ? opts->name : "movie-sentiment DistilBERT");
    cJSON_AddStringToObject(m, "architecture", "DistilBertForSequenceClassification");
    cJSON *c = cJSON_AddObjectToObject(m, "config");
    cJSON_AddNumberToObject(c, "vocab_size", cfg->vocab_size);
    cJSON_AddNumberToObject(c, "dim", cfg->dim);
    cJSON_AddNumberToObject(c, "n_layers", cfg->n_layers);
    cJSON_AddNumberToObject(c, "n_heads", cfg->n_heads);
    cJSON_AddNumberToObject(c, "hidden_dim", cfg->hidden_dim);
    cJSON_AddNumberToObject(c, "max_position_embeddings", cfg->max_position);
    cJSON_AddNumberToObject(c, "n_labels", cfg->n_labels);
    cJSON_AddStringToObject(c, "activation", "gelu");
    cJSON_AddNumberToObject(c, "layer_norm_eps", 1e-12);
    cJSON *labels = cJSON_AddArrayToObject(m, "labels");
    for (int i = 0; i < cfg->n_labels; i++) cJSON_AddItemToArray(labels, cJSON_CreateString(cfg->labels[i]));
    cJSON_AddNumberToObject(m, "positive_index", cfg->positive_index);
    cJSON *t = cJSON_AddObjectToObject(m, "tokenizer");
    cJSON_AddStringToObject(t, "type", "wordpiece");
    cJSON_AddTrueToObject(t, "lowercase");
    cJSON_AddNumberToObject(t, "max_len", max_len);
    if (opts->head_only) {
        cJSON_AddStringToObject(t, "truncation", "head");
    } else {
        cJSON_AddStringToObject(t, "truncation", "head_tail");
        cJSON_AddNumberToObject(t, "head_tokens", opts->head_tokens);
    }
    cJSON_AddStringToObject(t, "vocab", vocab);
    cJSON *q = cJSON_AddObjectToObject(m, "quantization");
    cJSON_AddStringToObject(q, "scheme", opts->quantize ? "int8" : "fp32");
    if (opts->quantize) {
        cJSON_AddNumberToObject(q, "group_size", opts->group_size);  // 0 = one scale per row
        cJSON_AddStringToObject(q, "tensors", "word_embeddings, q/k/v/out_lin, lin1, lin2, pre_classifier");
    }
    cJSON *p = cJSON_AddObjectToObject(m, "provenance");
    const char *base = strrchr(dir, '/');
    base = base && base[1] ? base + 1 : dir;  // no machine paths: the directory's own name only
    cJSON_AddStringToObject(p, "converted_from", base);
    cJSON_AddStringToObject(p, "tool", "sentiment convert");
    if (st->metadata) cJSON_AddItemToObject(p, "safetensors_metadata", cJSON_Duplicate(st->metadata, 1));
    char *json = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    return json;
}

// --- conversion --------------------------------------------------------------------------------

int sent_convert_hf(const char *dir, const char *out_path, const SentConvertOptions *opts_in, FILE *log, char *err,
                    size_t err_size) {
    SentConvertOptions opts = opts_in ? *opts_in : sent_convert_defaults();
    char path[4096];
    HfConfig cfg;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (read_config(&cfg, path, err, err_size)) return -1;

    int max_len = opts.max_len ? opts.max_len : (cfg.max_position < 512 ? cfg.max_position : 512);
    if (max_len < 2 || max_len > cfg.max_position)
        return fail(err, err_size, "max_len %d not in 2..%d (max_position_embeddings)", max_len, cfg.max_position);
    if (opts.head_tokens < 0) opts.head_tokens = (max_len - 2) / 2 < 128 ? (max_len - 2) / 2 : 128;
    if (opts.head_tokens > max_len - 2)
        return fail(err, err_size, "head_tokens %d exceeds max_len - 2 = %d", opts.head_tokens, max_len - 2);
    if (opts.group_size < 0) return fail(err, err_size, "group size %d is negative", opts.group_size);

    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    size_t vocab_len;
    char *vocab = sent_read_file(path, &vocab_len);
    if (!vocab) return fail(err, err_size, "cannot read '%s': %s", path, strerror(errno));
    int lines = 0;
    for (size_t i = 0; i < vocab_len; i++) lines += vocab[i] == '\n';
    if (vocab_len && vocab[vocab_len - 1] != '\n') lines++;
    if (strlen(vocab) != vocab_len || lines < 1 || lines > cfg.vocab_size) {
        free(vocab);
        return fail(err, err_size, "vocab.txt has %d tokens (or a NUL byte); config vocab_size is %d", lines,
                    cfg.vocab_size);
    }

    SentSafetensors st;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (sent_safetensors_read(&st, path, err, err_size)) {
        free(vocab);
        return -1;
    }

    int D = cfg.dim, H = cfg.hidden_dim, cap = 8 + 16 * cfg.n_layers;  // embeddings 4, per layer 16, head 4
    TensorList list = {.tensors = calloc((size_t)cap, sizeof(SentTensor)), .buffers = calloc((size_t)cap * 3, sizeof(void *)),
                       .cap = cap};
    char *meta = NULL;
    int rc = -1, q = opts.quantize, g = opts.group_size;
    if (!list.tensors || !list.buffers) {
        fail(err, err_size, "out of memory");
        goto done;
    }
#define ADD(name, rows, cols, quant) \
    if (add_tensor(&list, &st, name, rows, cols, quant, g, log, err, err_size)) goto done
    ADD("distilbert.embeddings.word_embeddings.weight", cfg.vocab_size, D, q);
    ADD("distilbert.embeddings.position_embeddings.weight", cfg.max_position, D, 0);
    ADD("distilbert.embeddings.LayerNorm.weight", 0, D, 0);
    ADD("distilbert.embeddings.LayerNorm.bias", 0, D, 0);
    static const char *const linears[] = {"attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin",
                                          "ffn.lin1", "ffn.lin2"};
    static const char *const norms[] = {"sa_layer_norm", "output_layer_norm"};
    for (int l = 0; l < cfg.n_layers; l++) {
        char name[128];
        for (int i = 0; i < 6; i++) {
            int rows = i == 4 ? H : D, cols = i == 5 ? H : D;
            snprintf(name, sizeof name, "distilbert.transformer.layer.%d.%s.weight", l, linears[i]);
            ADD(name, rows, cols, q);
            snprintf(name, sizeof name, "distilbert.transformer.layer.%d.%s.bias", l, linears[i]);
            ADD(name, 0, rows, 0);
        }
        for (int i = 0; i < 2; i++) {
            snprintf(name, sizeof name, "distilbert.transformer.layer.%d.%s.weight", l, norms[i]);
            ADD(name, 0, D, 0);
            snprintf(name, sizeof name, "distilbert.transformer.layer.%d.%s.bias", l, norms[i]);
            ADD(name, 0, D, 0);
        }
    }
    ADD("pre_classifier.weight", D, D, q);
    ADD("pre_classifier.bias", 0, D, 0);
    // The classifier is C x D: too small to matter for size, and its precision sets the decision.
    ADD("classifier.weight", cfg.n_labels, D, 0);
    ADD("classifier.bias", 0, cfg.n_labels, 0);
#undef ADD
    if (log && st.n_tensors > list.n) {
        fprintf(log, "note: ignoring %d tensor(s) the classifier does not use:", st.n_tensors - list.n);
        int shown = 0;
        for (int i = 0; i < st.n_tensors && shown < 6; i++) {
            int used = 0;
            for (int j = 0; j < list.n && !used; j++) used = !strcmp(list.tensors[j].name, st.tensors[i].name);
            if (!used) fprintf(log, "%s %s", shown++ ? "," : "", st.tensors[i].name);
        }
        fprintf(log, "%s\n", st.n_tensors - list.n > shown ? ", ..." : "");
    }
    meta = build_metadata(&cfg, &opts, max_len, vocab, dir, &st);
    if (!meta) {
        fail(err, err_size, "out of memory");
        goto done;
    }
    rc = sent_model_file_write(out_path, meta, list.tensors, list.n, err, err_size);
done:
    for (int i = 0; i < list.n_buffers; i++) free(list.buffers[i]);
    free(list.buffers);
    free(list.tensors);
    free(meta);
    free(vocab);
    sent_safetensors_free(&st);
    return rc;
}
