// Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017): one
// number T, fitted on held-out data, so that softmax(logits / T) says how often the model is
// right. Dividing every logit by T leaves each answer as it was and changes only its confidence.
// T is folded into the classification head (classifier.weight and .bias divided by T: exact in
// fp32, and in int8 the scales change, not the integers), so a calibrated file is read by every
// engine unchanged; its metadata records the temperature under "calibration". A hybrid's n-gram
// model (ngram.h) is divided alike: its scales and bias.
#ifndef SENT_TOOLS_CALIBRATE_H
#define SENT_TOOLS_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>

// One held-out answer of a two-label model: margin = logit(positive) - logit(negative), label 1
// positive / 0 negative, weight its share of the objective (e.g. 1 / the size of its data set,
// so two sets count alike).
typedef struct {
    float margin;
    int label;
    double weight;
} SentCalibrationPoint;

// The weighted mean negative log-likelihood of the labels under P(positive) = sigmoid(margin / T).
double sent_temperature_nll(const SentCalibrationPoint *points, int n, double temperature);
// The T in [1/64, 64] minimising sent_temperature_nll (convex in 1 / T; golden-section search on
// log T to 1e-6 relative). n must be at least 1.
double sent_fit_temperature(const SentCalibrationPoint *points, int n);

// A copy of the .smf file bytes[len] whose classifier weight and bias are divided by temperature,
// with "calibration": {"temperature": T, "fitted_on": fitted_on} in its metadata, T the product of
// this temperature and any the file already had. malloc'd, *out_len bytes; NULL with err on a file
// that does not parse, has no classification head, or a temperature outside (0, 1000].
uint8_t *sent_model_with_temperature(const uint8_t *bytes, size_t len, double temperature, const char *fitted_on,
                                     size_t *out_len, char *err, size_t err_size);

#endif
