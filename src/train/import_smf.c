#include "train/import_smf.h"

#include <stdio.h>
#include <string.h>

#include "model_file.h"
#include "util.h"

int sent_is_model_file(const char *path) {
    char magic[sizeof SENT_SMF_MAGIC - 1];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    return n == sizeof magic && !memcmp(magic, SENT_SMF_MAGIC, sizeof magic);
}

int sent_bert_import_model_file(SentBert *model, const char *path, char *err, size_t err_size) {
    SentModelFile mf;
    if (sent_model_file_open(&mf, path, err, err_size) != SENT_OK) return -1;
    SentDistilBertConfig stored;
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(mf.meta, "config");
    int st = sent_distilbert_config_from_json(&stored, config, 0, "config.", err, err_size);
    if (st == 0 && !sent_distilbert_config_same(&stored, &model->config))
        st = sent_errorf(err, err_size, "%s is %d layers x %d (hidden %d, %d positions, %d labels); the run's model is %d x %d "
                         "(hidden %d, %d positions, %d labels)", path, stored.n_layers, stored.dim, stored.hidden_dim,
                         stored.max_position_embeddings, stored.n_labels, model->config.n_layers, model->config.dim,
                         model->config.hidden_dim, model->config.max_position_embeddings, model->config.n_labels);
    // A trainer tensor holds its table tensors one after another in table order (as export_hf.c
    // walks them), so one offset per trainer tensor places each file tensor.
    size_t offset[SENT_BERT_NUM_PARAMS] = {0};
    SentParam p;
    for (int i = 0; st == 0 && sent_distilbert_param(&model->config, SENT_ALL_PARTS, i, &p); i++) {
        int slot = sent_bert_param_index(&p);
        float *dst = sent_bert_param_tensor(&model->params, slot) + offset[slot];
        offset[slot] += (size_t)(p.rows ? p.rows : 1) * p.cols;
        if (p.part == SENT_PART_MLM) continue;
        const SentTensor *t = sent_model_file_find(&mf, p.name);
        st = t ? sent_param_read_f32(&p, t, dst, err, err_size)
               : sent_errorf(err, err_size, "%s has no tensor %s", path, p.name);
    }
    sent_model_file_close(&mf);
    return st;
}
