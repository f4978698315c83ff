// Hugging Face checkpoint → .smf (see convert.h): read config.json, vocab.txt and
// model.safetensors, check every tensor against the config, quantize, write metadata + tensors.
#include "tools/convert.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cJSON.h"
#include "distilbert_params.h"
#include "kernels.h"
#include "model.h"
#include "model_file.h"
#include "tools/safetensors.h"
#include "util.h"



SentConvertOptions sent_convert_defaults(void) {
    return (SentConvertOptions){.quantize = 0, .group_size = 0, .max_len = 0, .head_only = 0, .head_tokens = -1, .name = NULL};
}

// Weights are quantized exactly as the engine quantizes activations: the scalar reference of
// quantize_q8 is the one definition of the rule (a group below SENT_Q8_TINY, e.g. denormals, is
// all zeros: fuzz_convert once found 0 * inf there).
void sent_quantize_rows(int8_t *q, float *scale, const float *w, int rows, int cols, int group) {
    sent_kernels_scalar()->quantize_q8(q, scale, w, rows, cols, group);
}

// --- config.json -------------------------------------------------------------------------------

static int read_config(SentHfConfig *cfg, const char *path, char *err, size_t err_size) {
    memset(cfg, 0, sizeof *cfg);
    size_t len;
    char *text = sent_read_file(path, &len);
    if (!text) return sent_errorf(err, err_size, "cannot read '%s': %s", path, strerror(errno));
    cJSON *c = cJSON_ParseWithLength(text, len);
    free(text);
    int rc = -1;
    if (!cJSON_IsObject(c)) {
        sent_errorf(err, err_size, "'%s' is not a JSON object", path);
        goto done;
    }
    if (sent_distilbert_config_from_json(&cfg->model, c, 1, "config.json: ", err, err_size)) goto done;
    int n_labels = cfg->model.n_labels;
    if (n_labels > SENT_HF_MAX_LABELS) {
        sent_errorf(err, err_size, "config.json: %d labels; 2..%d supported", n_labels, SENT_HF_MAX_LABELS);
        goto done;
    }
    const cJSON *id2label = cJSON_GetObjectItemCaseSensitive(c, "id2label");
    cfg->positive_index = -1;
    for (int i = 0; i < n_labels; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", i);
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(id2label, key);
        if (id2label && (!cJSON_IsString(l) || !l->valuestring[0] || strlen(l->valuestring) >= 64)) {
            sent_errorf(err, err_size, "config.json: id2label[\"%d\"] missing or not a short string", i);
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

// Where tensors come from: a checkpoint, or a random generator (benchmarks and tests). A source
// returns tensor p as a malloc'd fp32 [rows, cols] (rows 0: a vector), or NULL with err filled.
typedef float *(*TensorSource)(void *ctx, const SentParam *p, char *err, size_t err_size);

static float *checkpoint_source(void *ctx, const SentParam *p, char *err, size_t err_size) {
    const char *name = p->name;
    int rows = p->rows, cols = p->cols;
    const SentStTensor *src = sent_safetensors_find(ctx, name);
    if (!src) {
        sent_errorf(err, err_size, "model.safetensors has no tensor '%s'", name);
        return NULL;
    }
    int ok_shape = rows ? src->ndim == 2 && src->shape[0] == rows && src->shape[1] == cols
                        : src->ndim == 1 && src->shape[0] == cols;
    if (!ok_shape) {
        sent_errorf(err, err_size, "tensor '%s' has shape [%lld, ...] (%d dims), config says [%d, %d]", name,
             src->ndim ? (long long)src->shape[0] : 0LL, src->ndim, rows ? rows : cols, rows ? cols : 0);
        return NULL;
    }
    float *f = malloc((size_t)src->numel * sizeof(float));
    if (!f) {
        sent_errorf(err, err_size, "out of memory");
        return NULL;
    }
    if (sent_safetensors_to_f32(src, f)) {
        free(f);
        sent_errorf(err, err_size, "tensor '%s' is not F32/F16/BF16", name);
        return NULL;
    }
    for (int64_t i = 0; i < src->numel; i++)
        if (!isfinite(f[i])) {
            free(f);
            sent_errorf(err, err_size, "tensor '%s' holds a non-finite value at %lld", name, (long long)i);
            return NULL;
        }
    return f;
}

// Approximately normal numbers from a 64-bit LCG (sum of four uniforms), scaled like
// tests/reference's randomize(): LayerNorm around 1 / 0, biases 0.1, embeddings 1, weights
// 1/sqrt(inputs), so every part of the network matters.
static float *random_source(void *ctx, const SentParam *p, char *err, size_t err_size) {
    uint64_t *rng = ctx;
    size_t n = (size_t)(p->rows ? p->rows : 1) * (size_t)p->cols;
    float *f = malloc(n * sizeof(float));
    if (!f) {
        sent_errorf(err, err_size, "out of memory");
        return NULL;
    }
    float scale = p->kind == SENT_TENSOR_EMBEDDING ? 1.0f
                  : p->kind == SENT_TENSOR_WEIGHT  ? 1.0f / sqrtf((float)p->cols)
                                                   : 0.1f;   // biases and LayerNorms
    float offset = p->kind == SENT_TENSOR_NORM_WEIGHT ? 1.0f : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float sum = 0;
        for (int k = 0; k < 4; k++) {
            *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
            sum += (float)(*rng >> 40) / (float)(1 << 24) - 0.5f;
        }
        f[i] = offset + scale * sum * 1.7320508f;  // four uniforms on [-0.5, 0.5): variance 1/3
    }
    return f;
}

// A model file's tensor p as fp32: int8 weights dequantized (q * the group's scale), so a file
// can be quantized anew (sent_requantize_model).
static float *model_file_source(void *ctx, const SentParam *p, char *err, size_t err_size) {
    const SentTensor *t = sent_model_file_find(ctx, p->name);
    if (!t) {
        sent_errorf(err, err_size, "the model file has no tensor '%s'", p->name);
        return NULL;
    }
    float *f = malloc((size_t)(p->rows ? p->rows : 1) * (size_t)p->cols * sizeof(float));
    if (!f) sent_errorf(err, err_size, "out of memory");
    else if (sent_param_read_f32(p, t, f, err, err_size)) free(f), f = NULL;
    return f;
}

// Appends tensor p, fetched from source as fp32 [rows, cols], to the list, quantized or not.
static int add_tensor(TensorList *list, TensorSource source, void *ctx, const SentParam *p, int quantize, int group,
                      FILE *log, char *err, size_t err_size) {
    const char *name = p->name;
    int rows = p->rows, cols = p->cols;
    float *f = source(ctx, p, err, err_size);
    if (!f) return -1;
    list->buffers[list->n_buffers++] = f;
    int64_t numel = (int64_t)(rows ? rows : 1) * cols;
    SentTensor *t = &list->tensors[list->n++];
    memset(t, 0, sizeof *t);
    if (strlen(name) >= sizeof t->name) return sent_errorf(err, err_size, "tensor name '%s' is too long", name);
    memcpy(t->name, name, strlen(name) + 1);
    t->ndim = rows ? 2 : 1;
    t->shape[0] = rows ? rows : cols;
    t->shape[1] = rows ? cols : 0;
    if (!quantize) {
        t->dtype = SENT_DTYPE_F32;
        t->data = f;
        t->size = (uint64_t)numel * 4;
        return 0;
    }
    int g = group ? group : cols;
    if (cols % g) {
        if (log) fprintf(log, "note: %s: group %d does not divide %d inputs; one scale per row instead\n", name, g, cols);
        g = cols;
    }
    int8_t *q = malloc((size_t)numel);
    float *scale = malloc((size_t)numel / g * sizeof(float));
    if (!q || !scale) {
        free(q);
        free(scale);
        return sent_errorf(err, err_size, "out of memory");
    }
    list->buffers[list->n_buffers++] = q;
    list->buffers[list->n_buffers++] = scale;
    sent_quantize_rows(q, scale, f, rows, cols, g);
    t->dtype = SENT_DTYPE_I8;
    t->data = q;
    t->size = (uint64_t)numel;
    t->scale = scale;
    t->scale_size = (uint64_t)numel / g * 4;
    t->group_size = g;
    return 0;
}

// --- metadata ----------------------------------------------------------------------------------

// The metadata's "quantization" object for opts (weights/FORMAT.md).
static cJSON *quantization_meta(const SentConvertOptions *opts) {
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "scheme", opts->quantize ? "int8" : "fp32");
    if (opts->quantize) {
        cJSON_AddNumberToObject(q, "group_size", opts->group_size);  // 0 = one scale per row
        cJSON_AddStringToObject(q, "tensors", "the word embeddings and the Linear weights but the classifier's");
    }
    return q;
}

// source: what the weights came from (a directory's own name, never a machine path);
// extra: optional provenance object copied in (the safetensors "__metadata__").
static char *build_metadata(const SentHfConfig *cfg, const SentConvertOptions *opts, int max_len, const char *vocab,
                            const char *source, const cJSON *extra) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "format", "movie-sentiment model");
    cJSON_AddStringToObject(m, "name", opts->name ? opts->name : "movie-sentiment DistilBERT");
    cJSON_AddStringToObject(m, "architecture", "DistilBertForSequenceClassification");
    sent_distilbert_config_to_json(&cfg->model, cJSON_AddObjectToObject(m, "config"), 0);
    cJSON *labels = cJSON_AddArrayToObject(m, "labels");
    for (int i = 0; i < cfg->model.n_labels; i++) cJSON_AddItemToArray(labels, cJSON_CreateString(cfg->labels[i]));
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
    cJSON_AddItemToObject(m, "quantization", quantization_meta(opts));
    cJSON *p = cJSON_AddObjectToObject(m, "provenance");
    cJSON_AddStringToObject(p, "converted_from", source);
    cJSON_AddStringToObject(p, "tool", "sentiment convert");
    if (extra) cJSON_AddItemToObject(p, "safetensors_metadata", cJSON_Duplicate(extra, 1));
    char *json = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    return json;
}

// --- conversion --------------------------------------------------------------------------------

static void free_tensor_list(TensorList *list) {
    for (int i = 0; i < list->n_buffers; i++) free(list->buffers[i]);
    free(list->buffers);
    free(list->tensors);
    memset(list, 0, sizeof *list);
}

// Fetches every tensor of DistilBertForSequenceClassification from source, in the table's order
// (distilbert_params.h), quantizing those it marks when asked.
static int collect_tensors(TensorList *list, const SentHfConfig *cfg, TensorSource source, void *ctx,
                           const SentConvertOptions *opts, FILE *log, char *err, size_t err_size) {
    list->cap = sent_distilbert_param_count(&cfg->model, SENT_SEQUENCE_CLASSIFIER);
    list->tensors = calloc((size_t)list->cap, sizeof(SentTensor));
    list->buffers = calloc((size_t)list->cap * 3, sizeof(void *));
    if (!list->tensors || !list->buffers) return sent_errorf(err, err_size, "out of memory");
    SentParam p;
    for (int i = 0; sent_distilbert_param(&cfg->model, SENT_SEQUENCE_CLASSIFIER, i, &p); i++)
        if (add_tensor(list, source, ctx, &p, opts->quantize && p.quantize, opts->group_size, log, err, err_size))
            return -1;
    return 0;
}

// Resolves the defaults of opts against cfg and checks them.
static int resolve_options(SentConvertOptions *opts, int *max_len, const SentHfConfig *cfg, char *err,
                           size_t err_size) {
    int positions = cfg->model.max_position_embeddings;
    *max_len = opts->max_len ? opts->max_len : (positions < 512 ? positions : 512);
    if (*max_len < 2 || *max_len > positions)
        return sent_errorf(err, err_size, "max_len %d not in 2..%d (max_position_embeddings)", *max_len, positions);
    if (opts->head_tokens < 0) opts->head_tokens = (*max_len - 2) / 2 < 128 ? (*max_len - 2) / 2 : 128;
    if (opts->head_tokens > *max_len - 2)
        return sent_errorf(err, err_size, "head_tokens %d exceeds max_len - 2 = %d", opts->head_tokens, *max_len - 2);
    if (opts->group_size < 0) return sent_errorf(err, err_size, "group size %d is negative", opts->group_size);
    return 0;
}

// Tokens in vocab.txt's text (one per line, the last newline optional).
static int count_vocab(const char *vocab, size_t len) {
    int lines = 0;
    for (size_t i = 0; i < len; i++) lines += vocab[i] == '\n';
    return lines + (len && vocab[len - 1] != '\n');
}

int sent_convert_hf(const char *dir, const char *out_path, const SentConvertOptions *opts_in, FILE *log, char *err,
                    size_t err_size) {
    SentConvertOptions opts = opts_in ? *opts_in : sent_convert_defaults();
    char path[4096];
    SentHfConfig cfg;
    int max_len;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (read_config(&cfg, path, err, err_size) || resolve_options(&opts, &max_len, &cfg, err, err_size)) return -1;

    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    size_t vocab_len;
    char *vocab = sent_read_file(path, &vocab_len);
    if (!vocab) return sent_errorf(err, err_size, "cannot read '%s': %s", path, strerror(errno));
    int lines = count_vocab(vocab, vocab_len);
    if (strlen(vocab) != vocab_len || lines < 1 || lines > cfg.model.vocab_size) {
        free(vocab);
        return sent_errorf(err, err_size, "vocab.txt has %d tokens (or a NUL byte); config vocab_size is %d", lines,
                    cfg.model.vocab_size);
    }

    SentSafetensors st;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (sent_safetensors_read(&st, path, err, err_size)) {
        free(vocab);
        return -1;
    }
    TensorList list = {0};
    char *meta = NULL;
    int rc = -1;
    if (collect_tensors(&list, &cfg, checkpoint_source, &st, &opts, log, err, err_size)) goto done;
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
    const char *base = strrchr(dir, '/');
    base = base && base[1] ? base + 1 : dir;  // the directory's own name: no machine paths
    meta = build_metadata(&cfg, &opts, max_len, vocab, base, st.metadata);
    if (!meta) {
        sent_errorf(err, err_size, "out of memory");
        goto done;
    }
    rc = sent_model_file_write(out_path, meta, list.tensors, list.n, err, err_size);
done:
    free_tensor_list(&list);
    free(meta);
    free(vocab);
    sent_safetensors_free(&st);
    return rc;
}

uint8_t *sent_convert_random(const SentHfConfig *cfg_in, const char *vocab, const SentConvertOptions *opts_in,
                             uint64_t seed, size_t *out_len, char *err, size_t err_size) {
    SentConvertOptions opts = opts_in ? *opts_in : sent_convert_defaults();
    SentHfConfig cfg = *cfg_in;
    int max_len;
    if (sent_distilbert_config_check(&cfg.model, "random model: ", err, err_size)) return NULL;
    if (cfg.model.n_labels > SENT_HF_MAX_LABELS || cfg.positive_index < 0 || cfg.positive_index >= cfg.model.n_labels ||
        count_vocab(vocab, strlen(vocab)) > cfg.model.vocab_size) {
        sent_errorf(err, err_size, "inconsistent random model config");
        return NULL;
    }
    for (int i = 0; i < cfg.model.n_labels; i++)
        if (!cfg.labels[i][0]) snprintf(cfg.labels[i], sizeof cfg.labels[i], "LABEL_%d", i);
    if (resolve_options(&opts, &max_len, &cfg, err, err_size)) return NULL;
    TensorList list = {0};
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1;
    uint8_t *bytes = NULL;
    if (collect_tensors(&list, &cfg, random_source, &rng, &opts, NULL, err, err_size) == 0) {
        char source[64];
        snprintf(source, sizeof source, "random weights, seed %llu", (unsigned long long)seed);
        char *meta = build_metadata(&cfg, &opts, max_len, vocab, source, NULL);
        if (meta) bytes = sent_model_file_build(meta, list.tensors, list.n, out_len, err, err_size);
        else sent_errorf(err, err_size, "out of memory");
        free(meta);
    }
    free_tensor_list(&list);
    return bytes;
}

uint8_t *sent_requantize_model(const uint8_t *bytes, size_t len, const SentConvertOptions *opts_in, size_t *out_len,
                               char *err, size_t err_size) {
    SentConvertOptions opts = opts_in ? *opts_in : sent_convert_defaults();
    if (opts.group_size < 0) {
        sent_errorf(err, err_size, "group size %d is negative", opts.group_size);
        return NULL;
    }
    SentModelFile mf;
    if (sent_model_file_parse(&mf, bytes, len, err, err_size) != SENT_OK) return NULL;
    SentHfConfig cfg = {0};
    TensorList list = {0};
    cJSON *meta = NULL;
    char *meta_text = NULL;
    uint8_t *out = NULL;
    if (sent_config_from_meta(&cfg.model, mf.meta, err, err_size) ||
        collect_tensors(&list, &cfg, model_file_source, &mf, &opts, NULL, err, err_size))
        goto done;
    // Everything else the file says (labels, tokenizer, calibration, provenance) stays as it was.
    meta = cJSON_Duplicate(mf.meta, 1);
    if (!meta) {
        sent_errorf(err, err_size, "out of memory");
        goto done;
    }
    cJSON *provenance = cJSON_GetObjectItemCaseSensitive(meta, "provenance");
    if (!cJSON_IsObject(provenance)) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "provenance");
        provenance = cJSON_AddObjectToObject(meta, "provenance");
    }
    cJSON *before = cJSON_DetachItemFromObjectCaseSensitive(meta, "quantization");
    cJSON_DeleteItemFromObjectCaseSensitive(provenance, "requantized_from");
    if (before) cJSON_AddItemToObject(provenance, "requantized_from", before);
    cJSON_AddItemToObject(meta, "quantization", quantization_meta(&opts));
    meta_text = cJSON_PrintUnformatted(meta);
    if (!meta_text) {
        sent_errorf(err, err_size, "out of memory");
        goto done;
    }
    out = sent_model_file_build(meta_text, list.tensors, list.n, out_len, err, err_size);
done:
    free(meta_text);
    cJSON_Delete(meta);
    free_tensor_list(&list);
    sent_model_file_close(&mf);
    return out;
}
