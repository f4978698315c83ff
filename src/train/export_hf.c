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
    char name[SENT_PARAM_NAME_SIZE];
    const float *data;
    int ndim;
    long shape[2];
} ExportTensor;

// The state dict of the model with the classification head, or with mlm the masked-LM head, in
// the table's order (distilbert_params.h), each tensor a view into the trainer's: a trainer
// tensor holds its table tensors one after the other in table order, so walking the whole table
// (both heads) and advancing an offset per trainer tensor finds every view. Returns the count;
// list has sent_distilbert_param_count entries.
static int collect(ExportTensor *list, const SentBert *m, int mlm) {
    size_t offset[SENT_BERT_NUM_PARAMS] = {0};
    int n = 0;
    SentParam p;
    for (int i = 0; sent_distilbert_param(&m->config, SENT_ALL_PARTS, i, &p); i++) {
        int slot = sent_bert_param_index(&p);
        const float *data = sent_bert_param_tensor(&m->params, slot) + offset[slot];
        offset[slot] += (size_t)(p.rows ? p.rows : 1) * p.cols;
        if (p.part == (mlm ? SENT_PART_CLASSIFIER : SENT_PART_MLM)) continue;
        ExportTensor *t = &list[n++];
        memcpy(t->name, p.name, sizeof t->name);
        t->data = data;
        t->ndim = p.rows ? 2 : 1;
        t->shape[0] = p.rows ? p.rows : p.cols;
        t->shape[1] = p.rows ? p.cols : 0;
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
    int n_labels = m->config.n_labels;
    cJSON *j = cJSON_CreateObject();
    cJSON *arch = cJSON_AddArrayToObject(j, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString(mlm ? "DistilBertForMaskedLM" : "DistilBertForSequenceClassification"));
    cJSON_AddStringToObject(j, "model_type", "distilbert");
    sent_distilbert_config_to_json(&m->config, j, 1);
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
        for (int i = 0; i < n_labels; i++) {
            char key[16], value[32];
            snprintf(key, sizeof key, "%d", i);
            if (n_labels == 2) snprintf(value, sizeof value, "%s", names[i]);
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
    int capacity = sent_distilbert_param_count(&model->config, SENT_ALL_PARTS);
    ExportTensor *list = mallocCheck((size_t)capacity * sizeof *list);
    int n = collect(list, model, mlm);
    char path[4096], tmp[sizeof path + 8];
    const char *files[3] = {"model.safetensors", "config.json", "vocab.txt"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        if (i == 0) write_safetensors(tmp, list, n);
        if (i == 1) write_config(tmp, model, mlm);
        if (i == 2) copy_file(tmp, vocab_path);
        renameCheck(tmp, path);
    }
    free(list);
}
