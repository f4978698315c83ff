// Quantizing a model file anew (sent_requantize_model, `sentiment convert --model`): the same
// group gives back the same int8 weights, fp32 holds exactly q * scale, one scale per row answers
// like the fp32 file, the metadata survives, and a damaged file is refused.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model_file.h"
#include "random_model.h"
#include "sentiment.h"
#include "tools/convert.h"

static const char *texts[] = {"the movie was great , i loved it !", "terrible acting and a boring plot .",
                              "not bad , but the plot was boring and the acting fun"};
#define N_TEXTS 3

static SentConvertOptions quant(int quantize, int group) {
    SentConvertOptions o = sent_convert_defaults();
    o.quantize = quantize;
    o.group_size = group;
    return o;
}

static uint8_t *requantized(const uint8_t *bytes, size_t len, SentConvertOptions opts, size_t *out_len) {
    char err[256];
    uint8_t *out = sent_requantize_model(bytes, len, &opts, out_len, err, sizeof err);
    CHECK_MSG(out != NULL, "%s", err);
    return out;
}

static void classify_all(const uint8_t *bytes, size_t len, SentResult *r) {
    SentError err;
    SentClassifier *c = sent_load_memory(bytes, len, NULL, &err);
    CHECK_MSG(c != NULL, "%s", err.message);
    if (!c) return;
    for (int i = 0; i < N_TEXTS; i++) CHECK(sent_classify(c, texts[i], strlen(texts[i]), &r[i], &err) == SENT_OK);
    sent_free(c);
}

static void check_tensors(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, const char *what) {
    SentModelFile fa, fb;
    char err[256];
    if (sent_model_file_parse(&fa, a, a_len, err, sizeof err) != SENT_OK) {
        CHECK_MSG(0, "%s", err);
        return;
    }
    if (sent_model_file_parse(&fb, b, b_len, err, sizeof err) != SENT_OK) {
        CHECK_MSG(0, "%s", err);
        sent_model_file_close(&fa);
        return;
    }
    CHECK(fa.n_tensors == fb.n_tensors);
    for (int i = 0; i < fa.n_tensors && i < fb.n_tensors; i++) {
        const SentTensor *x = &fa.tensors[i], *y = sent_model_file_find(&fb, x->name);
        CHECK_MSG(y && y->dtype == x->dtype && y->size == x->size, "%s: %s", what, x->name);
        if (!y || y->size != x->size || y->dtype != x->dtype) continue;
        CHECK_MSG(!memcmp(x->data, y->data, x->size), "%s: %s's payload differs", what, x->name);
        if (x->dtype != SENT_DTYPE_I8) continue;
        CHECK(y->group_size == x->group_size && y->scale_size == x->scale_size);
        // max|q * s| / 127 = s, to float rounding
        for (size_t k = 0; k < x->scale_size / 4 && y->scale_size == x->scale_size; k++)
            CHECK_MSG(fabsf(y->scale[k] - x->scale[k]) <= 1e-6f * x->scale[k], "%s: %s scale %zu", what, x->name, k);
    }
    sent_model_file_close(&fa);
    sent_model_file_close(&fb);
}

static const cJSON *meta_item(const SentModelFile *mf, const char *object, const char *key) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(mf->meta, object);
    return key ? cJSON_GetObjectItemCaseSensitive(o, key) : o;
}

static void test_requantize(void) {
    SentDistilBertConfig shape = {.vocab_size = 40, .dim = 64, .n_layers = 2, .n_heads = 4, .hidden_dim = 128,
                                  .max_position_embeddings = 24};
    size_t len, same_len, fp_len, row_len;
    uint8_t *g16 = random_model(shape, quant(1, 16), 7, &len);
    if (!g16) return;
    // The same group again: the very same int8 weights.
    uint8_t *same = requantized(g16, len, quant(1, 16), &same_len);
    if (same) check_tensors(g16, len, same, same_len, "group 16 again");
    // fp32: every weight exactly q * scale.
    uint8_t *fp = requantized(g16, len, quant(0, 0), &fp_len);
    SentModelFile src, f32;
    char err[256];
    if (fp && sent_model_file_parse(&src, g16, len, err, sizeof err) == SENT_OK) {
        CHECK(sent_model_file_parse(&f32, fp, fp_len, err, sizeof err) == SENT_OK);
        const SentTensor *q = sent_model_file_find(&src, "distilbert.transformer.layer.0.ffn.lin1.weight");
        const SentTensor *f = sent_model_file_find(&f32, "distilbert.transformer.layer.0.ffn.lin1.weight");
        CHECK(q && f && q->dtype == SENT_DTYPE_I8 && f->dtype == SENT_DTYPE_F32 && f->size == q->size * 4);
        if (q && f && f->size == q->size * 4)
            for (uint64_t k = 0; k < q->size; k++)
                CHECK_MSG(((const float *)f->data)[k] == (float)((const int8_t *)q->data)[k] * q->scale[k / 16],
                          "fp32 weight %llu", (unsigned long long)k);
        // The rest of the metadata stays; the quantization is the new one, the old one recorded.
        CHECK(cJSON_IsString(meta_item(&f32, "quantization", "scheme")) &&
              !strcmp(meta_item(&f32, "quantization", "scheme")->valuestring, "fp32"));
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(meta_item(&f32, "provenance", "requantized_from"), "group_size");
        CHECK(cJSON_IsNumber(from) && from->valueint == 16);
        CHECK(cJSON_Compare(meta_item(&src, "labels", NULL), meta_item(&f32, "labels", NULL), 1));
        CHECK(cJSON_Compare(meta_item(&src, "tokenizer", NULL), meta_item(&f32, "tokenizer", NULL), 1));
        sent_model_file_close(&f32);
        sent_model_file_close(&src);
    }
    // One scale per row: answers close to the fp32 file's, and the file says group 0.
    uint8_t *row = fp ? requantized(fp, fp_len, quant(1, 0), &row_len) : NULL;
    if (row) {
        SentResult r_fp[N_TEXTS], r_row[N_TEXTS];
        classify_all(fp, fp_len, r_fp);
        classify_all(row, row_len, r_row);
        for (int i = 0; i < N_TEXTS; i++)
            CHECK_MSG(fabs(r_row[i].positive - r_fp[i].positive) < 0.05, "%s: fp32 %.4f, per row %.4f", texts[i],
                      r_fp[i].positive, r_row[i].positive);
        SentModelFile m;
        if (sent_model_file_parse(&m, row, row_len, err, sizeof err) == SENT_OK) {
            const SentTensor *t = sent_model_file_find(&m, "distilbert.transformer.layer.1.ffn.lin2.weight");
            CHECK(t && t->dtype == SENT_DTYPE_I8 && t->group_size == shape.hidden_dim);
            CHECK(cJSON_IsNumber(meta_item(&m, "quantization", "group_size")) &&
                  meta_item(&m, "quantization", "group_size")->valueint == 0);
            sent_model_file_close(&m);
        }
    }
    // A damaged file is refused with a message, and nothing is written.
    g16[len / 2] ^= 0x40;
    size_t bad_len = 77;
    SentConvertOptions o = quant(1, 0);
    err[0] = 0;
    CHECK(sent_requantize_model(g16, len, &o, &bad_len, err, sizeof err) == NULL && err[0]);
    o.group_size = -1;
    CHECK(sent_requantize_model(g16, len, &o, &bad_len, err, sizeof err) == NULL && strstr(err, "group"));
    free(g16), free(same), free(fp), free(row);
}

int main(void) {
    test_requantize();
    return check_summary("requantize");
}
