// Temperature scaling (tools/calibrate.h): the fit recovers a known temperature, and the
// calibrated file divides every logit by it and changes nothing else.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model_file.h"
#include "random_model.h"
#include "sentiment.h"
#include "tools/calibrate.h"
#include "train/rng.h"

// n points whose labels are drawn from sigmoid(margin / temperature): the fit should find it.
static void test_fit(double temperature) {
    enum { N = 40000 };
    SentCalibrationPoint *p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++) {
        double margin = 16.0 * uniform01(42, 2 * (uint64_t)i) - 8.0;
        int label = uniform01(42, 2 * (uint64_t)i + 1) < 1.0 / (1.0 + exp(-margin / temperature));
        p[i] = (SentCalibrationPoint){.margin = (float)margin, .label = label, .weight = 1.0};
    }
    double t = sent_fit_temperature(p, N);
    CHECK_MSG(fabs(t / temperature - 1) < 0.05, "drawn at T = %g, fitted %g", temperature, t);
    double at = sent_temperature_nll(p, N, t);
    CHECK(at <= sent_temperature_nll(p, N, t * 1.05) && at <= sent_temperature_nll(p, N, t / 1.05));
    // Doubling every weight changes nothing.
    for (int i = 0; i < N; i++) p[i].weight = 2.0;
    CHECK_NEAR(sent_fit_temperature(p, N), t, 1e-4 * t);
    free(p);
}

static const char *texts[] = {"the movie was great , i loved it !", "terrible acting and a boring plot .", "not bad"};
#define N_TEXTS 3

static void logits_of(const uint8_t *bytes, size_t len, SentResult *r) {
    SentError err;
    SentClassifier *c = sent_load_memory(bytes, len, NULL, &err);
    CHECK_MSG(c != NULL, "%s", err.message);
    if (!c) return;
    for (int i = 0; i < N_TEXTS; i++) CHECK(sent_classify(c, texts[i], strlen(texts[i]), &r[i], &err) == SENT_OK);
    sent_free(c);
}

static double temperature_in(const uint8_t *bytes, size_t len) {
    SentModelFile mf;
    char err[256];
    if (sent_model_file_parse(&mf, bytes, len, err, sizeof err) != SENT_OK) return -1;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(mf.meta, "calibration"), "temperature");
    double v = cJSON_IsNumber(t) ? t->valuedouble : -1;
    sent_model_file_close(&mf);
    return v;
}

static void test_model_file(int quantize) {
    SentConvertOptions opts = sent_convert_defaults();
    opts.quantize = quantize;
    opts.group_size = 16;
    SentDistilBertConfig shape = {.vocab_size = 40, .dim = 32, .n_layers = 2, .n_heads = 4, .hidden_dim = 64,
                                  .max_position_embeddings = 24};
    size_t len, cal_len, twice_len;
    uint8_t *bytes = random_model(shape, opts, 11, &len);
    char err[256];
    uint8_t *cal = sent_model_with_temperature(bytes, len, 2.0, "test", &cal_len, err, sizeof err);
    CHECK_MSG(cal != NULL, "%s", err);
    if (!bytes || !cal) return;
    CHECK_NEAR(temperature_in(cal, cal_len), 2.0, 1e-12);
    SentResult before[N_TEXTS], after[N_TEXTS];
    logits_of(bytes, len, before);
    logits_of(cal, cal_len, after);
    for (int i = 0; i < N_TEXTS; i++) {
        for (int k = 0; k < 2; k++)
            CHECK_MSG(fabsf(after[i].logits[k] - before[i].logits[k] / 2) <= 1e-5f * (1 + fabsf(before[i].logits[k])),
                      "%s: logit %d %g, calibrated %g", texts[i], k, before[i].logits[k], after[i].logits[k]);
        CHECK(after[i].label_index == before[i].label_index);
        double margin = before[i].logits[1] - before[i].logits[0];
        CHECK_NEAR(after[i].positive, 1.0 / (1.0 + exp(-margin / 2)), 1e-5);
    }
    // A second calibration multiplies: the file records the temperature of all of them.
    uint8_t *twice = sent_model_with_temperature(cal, cal_len, 1.5, "again", &twice_len, err, sizeof err);
    CHECK_MSG(twice != NULL, "%s", err);
    if (twice) CHECK_NEAR(temperature_in(twice, twice_len), 3.0, 1e-12);
    free(twice);
    // Refused: temperatures outside (0, 1000], and bytes that are not a model file.
    const double bad[] = {0.0, -1.0, NAN, INFINITY, 1001.0};
    for (int i = 0; i < 5; i++) {
        err[0] = 0;
        CHECK_MSG(sent_model_with_temperature(bytes, len, bad[i], "", &twice_len, err, sizeof err) == NULL &&
                      strstr(err, "temperature must be"), "T = %g: %s", bad[i], err);
    }
    bytes[0] ^= 0xff;
    CHECK(sent_model_with_temperature(bytes, len, 2.0, "", &twice_len, err, sizeof err) == NULL && err[0]);
    free(cal);
    free(bytes);
}

int main(void) {
    test_fit(2.5);
    test_fit(0.5);
    test_model_file(0);
    test_model_file(1);
    return check_summary("calibrate");
}
