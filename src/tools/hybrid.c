// The hybrid file: the transformer's tensors and metadata as they were, plus the n-gram model's.
#include "hybrid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "distilbert_params.h"
#include "model.h"
#include "model_file.h"
#include "util.h"

uint8_t *sent_model_with_ngram(const uint8_t *bytes, size_t len, const SentNgram *ngram, const char *fitted_on,
                               size_t *out_len, char *err, size_t err_size) {
    SentModelFile mf;
    if (sent_model_file_parse(&mf, bytes, len, err, err_size) != SENT_OK) return NULL;
    uint8_t *out = NULL;
    SentTensor *tensors = malloc(((size_t)mf.n_tensors + 1) * sizeof *tensors);
    cJSON *meta = cJSON_Duplicate(mf.meta, 1), *o = cJSON_CreateObject();
    char *meta_text = NULL;
    SentDistilBertConfig cfg;
    if (!tensors || !meta || !o) {
        sent_errorf(err, err_size, "out of memory");
        goto done;
    }
    if (sent_config_from_meta(&cfg, mf.meta, err, err_size)) goto done;
    if (cfg.n_labels != 2) {
        sent_errorf(err, err_size, "an n-gram model needs 2 labels, the file has %d", cfg.n_labels);
        goto done;
    }
    if (cJSON_GetObjectItemCaseSensitive(mf.meta, "ngram") || sent_model_file_find(&mf, SENT_NGRAM_TENSOR)) {
        sent_errorf(err, err_size, "the file already has an n-gram model");
        goto done;
    }
    memcpy(tensors, mf.tensors, (size_t)mf.n_tensors * sizeof *tensors);
    size_t n_buckets = (size_t)1 << ngram->bucket_bits;
    SentTensor *t = &tensors[mf.n_tensors];
    *t = (SentTensor){.dtype = SENT_DTYPE_I8, .ndim = 1, .shape = {(int64_t)n_buckets}, .data = ngram->weight,
                      .size = n_buckets, .scale = ngram->scale, .scale_size = n_buckets / ngram->group_size * sizeof(float),
                      .group_size = ngram->group_size};
    snprintf(t->name, sizeof t->name, "%s", SENT_NGRAM_TENSOR);
    cJSON_AddNumberToObject(o, "bucket_bits", ngram->bucket_bits);
    cJSON_AddNumberToObject(o, "max_n", ngram->max_n);
    cJSON_AddNumberToObject(o, "bias", ngram->bias);
    cJSON_AddNumberToObject(o, "mix", round(ngram->mix * 1e6) / 1e6);   // 0.6, not 0.600000023841858
    cJSON_AddStringToObject(o, "fitted_on", fitted_on ? fitted_on : "");
    cJSON_AddItemToObject(meta, "ngram", o);
    o = NULL;
    if (!(meta_text = cJSON_PrintUnformatted(meta))) {
        sent_errorf(err, err_size, "out of memory");
        goto done;
    }
    out = sent_model_file_build(meta_text, tensors, mf.n_tensors + 1, out_len, err, err_size);
done:
    free(tensors);
    free(meta_text);
    cJSON_Delete(meta);
    cJSON_Delete(o);
    sent_model_file_close(&mf);
    return out;
}
