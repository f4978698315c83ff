// Export of a Hugging Face checkpoint directory: config.json (DistilBertConfig keys),
// model.safetensors (8-byte little-endian header length, JSON header, raw little-endian tensors)
// and vocab.txt, which `build/sentiment convert --hf DIR` and PyTorch both read.
#include "train/export_hf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cJSON.h"
#include "util.h"

typedef struct {
    char name[96];
    const float *data;
    int ndim;
    long shape[2];
} ExportTensor;

#define MAX_EXPORT_TENSORS 256

static int add(ExportTensor *list, int n, const char *name, const float *data, long rows, long cols) {
    if (n >= MAX_EXPORT_TENSORS) {
        fprintf(stderr, "error: too many tensors to export\n");
        exit(EXIT_FAILURE);
    }
    ExportTensor *t = &list[n];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->data = data;
    t->ndim = cols ? 2 : 1;
    t->shape[0] = rows;
    t->shape[1] = cols;
    return n + 1;
}

// The tensors under their Hugging Face names; q/k/v are views into the stacked qkv tensors.
static int collect(ExportTensor *list, const SentBert *m, int mlm) {
    const SentBertParams *p = &m->params;
    SentBertConfig c = m->config;
    long C = c.dim, H = c.hidden_dim;
    int n = 0;
    char name[sizeof list[0].name];
    n = add(list, n, "distilbert.embeddings.word_embeddings.weight", p->wte, c.vocab_size, C);
    n = add(list, n, "distilbert.embeddings.position_embeddings.weight", p->wpe, c.max_positions, C);
    n = add(list, n, "distilbert.embeddings.LayerNorm.weight", p->emb_lnw, C, 0);
    n = add(list, n, "distilbert.embeddings.LayerNorm.bias", p->emb_lnb, C, 0);
    static const char *qkv_names[3] = {"q_lin", "k_lin", "v_lin"};
    for (int l = 0; l < c.n_layers; l++) {
#define LAYER(suffix) (snprintf(name, sizeof name, "distilbert.transformer.layer.%d.%s", l, suffix), name)
        for (int j = 0; j < 3; j++) {
            char sub[32]; // "attention.q_lin.weight"
            snprintf(sub, sizeof sub, "attention.%s.weight", qkv_names[j]);
            n = add(list, n, LAYER(sub), p->qkvw + ((size_t)l * 3 + j) * C * C, C, C);
            snprintf(sub, sizeof sub, "attention.%s.bias", qkv_names[j]);
            n = add(list, n, LAYER(sub), p->qkvb + ((size_t)l * 3 + j) * C, C, 0);
        }
        n = add(list, n, LAYER("attention.out_lin.weight"), p->attprojw + (size_t)l * C * C, C, C);
        n = add(list, n, LAYER("attention.out_lin.bias"), p->attprojb + l * C, C, 0);
        n = add(list, n, LAYER("sa_layer_norm.weight"), p->ln1w + l * C, C, 0);
        n = add(list, n, LAYER("sa_layer_norm.bias"), p->ln1b + l * C, C, 0);
        n = add(list, n, LAYER("ffn.lin1.weight"), p->fcw + (size_t)l * H * C, H, C);
        n = add(list, n, LAYER("ffn.lin1.bias"), p->fcb + l * H, H, 0);
        n = add(list, n, LAYER("ffn.lin2.weight"), p->fcprojw + (size_t)l * C * H, C, H);
        n = add(list, n, LAYER("ffn.lin2.bias"), p->fcprojb + l * C, C, 0);
        n = add(list, n, LAYER("output_layer_norm.weight"), p->ln2w + l * C, C, 0);
        n = add(list, n, LAYER("output_layer_norm.bias"), p->ln2b + l * C, C, 0);
#undef LAYER
    }
    if (mlm) {  // vocab_projector.weight is tied to the word embeddings and, as in HF, not stored
        n = add(list, n, "vocab_transform.weight", p->mlmw, C, C);
        n = add(list, n, "vocab_transform.bias", p->mlmb, C, 0);
        n = add(list, n, "vocab_layer_norm.weight", p->mlm_lnw, C, 0);
        n = add(list, n, "vocab_layer_norm.bias", p->mlm_lnb, C, 0);
        n = add(list, n, "vocab_projector.bias", p->mlm_bias, c.vocab_size, 0);
    } else {
        n = add(list, n, "pre_classifier.weight", p->prew, C, C);
        n = add(list, n, "pre_classifier.bias", p->preb, C, 0);
        n = add(list, n, "classifier.weight", p->clsw, c.n_labels, C);
        n = add(list, n, "classifier.bias", p->clsb, c.n_labels, 0);
    }
    return n;
}

static size_t numel(const ExportTensor *t) { return (size_t)t->shape[0] * (t->ndim == 2 ? (size_t)t->shape[1] : 1); }

static void write_safetensors(const char *path, const ExportTensor *list, int n) {
    cJSON *header = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(header, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "pt");
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        cJSON *entry = cJSON_AddObjectToObject(header, list[i].name);
        cJSON_AddStringToObject(entry, "dtype", "F32");
        cJSON *shape = cJSON_AddArrayToObject(entry, "shape");
        for (int d = 0; d < list[i].ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)list[i].shape[d]));
        cJSON *offsets = cJSON_AddArrayToObject(entry, "data_offsets");
        cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)offset));
        offset += numel(&list[i]) * sizeof(float);
        cJSON_AddItemToArray(offsets, cJSON_CreateNumber((double)offset));
    }
    char *json = cJSON_PrintUnformatted(header);
    size_t json_len = strlen(json), padded = (json_len + 7) / 8 * 8;  // tensors start 8-aligned
    uint8_t len_le[8];
    for (int i = 0; i < 8; i++) len_le[i] = (uint8_t)((uint64_t)padded >> (8 * i));

    FILE *f = fopenCheck(path, "wb");
    fwriteCheck(len_le, 1, 8, f);
    fwriteCheck(json, 1, json_len, f);
    for (size_t i = json_len; i < padded; i++) fputc(' ', f);
    for (int i = 0; i < n; i++) fwriteCheck(list[i].data, sizeof(float), numel(&list[i]), f);  // x86: already LE
    fcloseCheck(f);
    cJSON_free(json);
    cJSON_Delete(header);
}

static void write_config(const char *path, const SentBert *m, int mlm) {
    SentBertConfig c = m->config;
    cJSON *j = cJSON_CreateObject();
    cJSON *arch = cJSON_AddArrayToObject(j, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString(mlm ? "DistilBertForMaskedLM" : "DistilBertForSequenceClassification"));
    cJSON_AddStringToObject(j, "model_type", "distilbert");
    cJSON_AddNumberToObject(j, "vocab_size", c.vocab_size);
    cJSON_AddNumberToObject(j, "max_position_embeddings", c.max_positions);
    cJSON_AddNumberToObject(j, "n_layers", c.n_layers);
    cJSON_AddNumberToObject(j, "n_heads", c.n_heads);
    cJSON_AddNumberToObject(j, "dim", c.dim);
    cJSON_AddNumberToObject(j, "hidden_dim", c.hidden_dim);
    cJSON_AddStringToObject(j, "activation", "gelu");
    cJSON_AddNumberToObject(j, "dropout", m->dropout);
    cJSON_AddNumberToObject(j, "attention_dropout", 0.0);
    cJSON_AddNumberToObject(j, "seq_classif_dropout", m->cls_dropout);
    cJSON_AddNumberToObject(j, "initializer_range", 0.02);
    cJSON_AddNumberToObject(j, "pad_token_id", 0);
    cJSON_AddBoolToObject(j, "sinusoidal_pos_embds", 0);
    cJSON_AddBoolToObject(j, "tie_weights_", 1);
    if (!mlm) {
        cJSON *id2label = cJSON_AddObjectToObject(j, "id2label"), *label2id = cJSON_AddObjectToObject(j, "label2id");
        static const char *names[2] = {"NEGATIVE", "POSITIVE"};
        for (int i = 0; i < c.n_labels; i++) {
            char key[16], value[32];
            snprintf(key, sizeof key, "%d", i);
            if (c.n_labels == 2) snprintf(value, sizeof value, "%s", names[i]);
            else snprintf(value, sizeof value, "LABEL_%d", i);
            cJSON_AddStringToObject(id2label, key, value);
            cJSON_AddNumberToObject(label2id, value, i);
        }
    }
    char *text = cJSON_Print(j);
    FILE *f = fopenCheck(path, "wb");
    fwriteCheck(text, 1, strlen(text), f);
    fputc('\n', f);
    fcloseCheck(f);
    cJSON_free(text);
    cJSON_Delete(j);
}

static void copy_file(const char *dst, const char *src) {
    size_t len;
    char *bytes = sent_read_file(src, &len);
    if (!bytes) {
        fprintf(stderr, "error: cannot read %s (%s)\n", src, strerror(errno));
        exit(EXIT_FAILURE);
    }
    FILE *f = fopenCheck(dst, "wb");
    fwriteCheck(bytes, 1, len, f);
    fcloseCheck(f);
    free(bytes);
}

// Each file is written beside its final name and renamed, so a reader never sees half a file.
void sent_export_hf(const SentBert *model, const char *dir, const char *vocab_path, int mlm) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "error: cannot create %s (%s)\n", dir, strerror(errno));
        exit(EXIT_FAILURE);
    }
    static ExportTensor list[MAX_EXPORT_TENSORS];
    int n = collect(list, model, mlm);
    char path[4096], tmp[sizeof path + 8];
    const char *files[3] = {"model.safetensors", "config.json", "vocab.txt"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        if (i == 0) write_safetensors(tmp, list, n);
        if (i == 1) write_config(tmp, model, mlm);
        if (i == 2) copy_file(tmp, vocab_path);
        if (rename(tmp, path) != 0) {
            fprintf(stderr, "error: cannot rename %s (%s)\n", tmp, strerror(errno));
            exit(EXIT_FAILURE);
        }
    }
}
