// Temperature scaling: the fit (a one-dimensional convex problem) and the calibrated file.
#include "calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "distilbert_params.h"
#include "model.h"
#include "model_file.h"
#include "ngram.h"
#include "util.h"

#define MIN_LOG_T (-4.1588830833596715)   // log(1/64)
#define MAX_LOG_T (4.1588830833596715)    // log(64)
#define MAX_TEMPERATURE 1000.0

// log(1 + exp(x)) without overflow.
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

double sent_temperature_nll(const SentCalibrationPoint *points, int n, double temperature) {
    double loss = 0, weight = 0;
    for (int i = 0; i < n; i++) {
        double z = points[i].margin / temperature;
        // -log sigmoid(z) for a positive, -log sigmoid(-z) for a negative.
        loss += points[i].weight * softplus(points[i].label ? -z : z);
        weight += points[i].weight;
    }
    return weight > 0 ? loss / weight : 0;
}

double sent_fit_temperature(const SentCalibrationPoint *points, int n) {
    // The NLL is convex in 1/T, so unimodal in log T: golden-section search.
    const double phi = 0.6180339887498949;
    double lo = MIN_LOG_T, hi = MAX_LOG_T;
    double a = hi - phi * (hi - lo), b = lo + phi * (hi - lo);
    double fa = sent_temperature_nll(points, n, exp(a)), fb = sent_temperature_nll(points, n, exp(b));
    while (hi - lo > 1e-6) {
        if (fa <= fb) {
            hi = b, b = a, fb = fa;
            a = hi - phi * (hi - lo);
            fa = sent_temperature_nll(points, n, exp(a));
        } else {
            lo = a, a = b, fa = fb;
            b = lo + phi * (hi - lo);
            fb = sent_temperature_nll(points, n, exp(b));
        }
    }
    return exp((lo + hi) / 2);
}

// A copy of tensor t's payload (scale = 0) or of its int8 scales (scale = 1), divided by divisor.
static float *divided_copy(const SentTensor *t, int scale, double divisor) {
    size_t bytes = scale ? t->scale_size : t->size;
    const float *src = scale ? t->scale : t->data;
    float *dst = malloc(bytes ? bytes : 1);
    if (!dst) return NULL;
    for (size_t i = 0; i < bytes / sizeof(float); i++) dst[i] = (float)(src[i] / divisor);
    return dst;
}

uint8_t *sent_model_with_temperature(const uint8_t *bytes, size_t len, double temperature, const char *fitted_on,
                                     size_t *out_len, char *err, size_t err_size) {
    if (!(temperature > 0 && temperature <= MAX_TEMPERATURE)) {
        sent_errorf(err, err_size, "temperature must be in (0, %g], got %g", MAX_TEMPERATURE, temperature);
        return NULL;
    }
    SentModelFile mf;
    if (sent_model_file_parse(&mf, bytes, len, err, err_size) != SENT_OK) return NULL;
    uint8_t *out = NULL;
    float *copies[3] = {NULL, NULL, NULL};   // the head's weight (or its int8 scales) and bias, the n-gram's scales, divided
    SentTensor *tensors = malloc((size_t)mf.n_tensors * sizeof *tensors);
    cJSON *meta = cJSON_Duplicate(mf.meta, 1);
    char *meta_text = NULL;
    SentDistilBertConfig cfg;
    if (!tensors || !meta) {
        sent_errorf(err, err_size, "out of memory");
        goto done;
    }
    if (sent_config_from_meta(&cfg, mf.meta, err, err_size)) goto done;
    memcpy(tensors, mf.tensors, (size_t)mf.n_tensors * sizeof *tensors);
    // The head's tensors, by the one table that names them.
    int found = 0;
    SentParam p;
    for (int i = 0; sent_distilbert_param(&cfg, SENT_SEQUENCE_CLASSIFIER, i, &p); i++) {
        if (p.module != SENT_MODULE_CLASSIFIER) continue;
        int k = 0;
        while (k < mf.n_tensors && strcmp(tensors[k].name, p.name) != 0) k++;
        if (k == mf.n_tensors) {
            sent_errorf(err, err_size, "the model has no %s: not a classifier", p.name);
            goto done;
        }
        int int8 = tensors[k].dtype == SENT_DTYPE_I8;
        float *copy = divided_copy(&tensors[k], int8, temperature);
        if (!copy) {
            sent_errorf(err, err_size, "out of memory");
            goto done;
        }
        copies[found++] = copy;
        if (int8) tensors[k].scale = copy;
        else tensors[k].data = copy;
    }
    // A hybrid's n-gram logit is half of the mixed margin: divided alike (its scales and bias).
    cJSON *ngram = cJSON_GetObjectItemCaseSensitive(meta, "ngram");
    cJSON *ngram_bias = cJSON_GetObjectItemCaseSensitive(ngram, "bias");
    for (int k = 0; k < mf.n_tensors; k++) {
        if (strcmp(tensors[k].name, SENT_NGRAM_TENSOR) != 0) continue;
        if (tensors[k].dtype != SENT_DTYPE_I8 || !cJSON_IsNumber(ngram_bias)) {
            sent_errorf(err, err_size, "%s without an int8 payload and a metadata ngram.bias", SENT_NGRAM_TENSOR);
            goto done;
        }
        if (!(copies[found++] = divided_copy(&tensors[k], 1, temperature))) {
            sent_errorf(err, err_size, "out of memory");
            goto done;
        }
        tensors[k].scale = copies[found - 1];
        cJSON_SetNumberValue(ngram_bias, ngram_bias->valuedouble / temperature);
    }
    // The temperature the file's logits are now divided by, all calibrations together.
    double total = temperature;
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(mf.meta, "calibration"),
                                                        "temperature");
    if (cJSON_IsNumber(old) && old->valuedouble > 0) total *= old->valuedouble;
    cJSON *calibration = cJSON_CreateObject();
    cJSON_AddNumberToObject(calibration, "temperature", total);
    cJSON_AddStringToObject(calibration, "fitted_on", fitted_on ? fitted_on : "");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "calibration");
    cJSON_AddItemToObject(meta, "calibration", calibration);
    meta_text = cJSON_PrintUnformatted(meta);
    if (!meta_text) {
        sent_errorf(err, err_size, "out of memory");
        goto done;
    }
    out = sent_model_file_build(meta_text, tensors, mf.n_tensors, out_len, err, err_size);
done:
    free(copies[0]), free(copies[1]), free(copies[2]);
    free(tensors);
    free(meta_text);
    cJSON_Delete(meta);
    sent_model_file_close(&mf);
    return out;
}
