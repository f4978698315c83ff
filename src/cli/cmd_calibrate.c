// sentiment train calibrate --model IN --out OUT --data FILES [--sst2 FILE] [--split-seed N]
//                           [--valid-size N] [--batch N]
// Temperature scaling of a finished model (tools/calibrate.h) on the validation data the trainer
// held out: the IMDb reviews `train` sets aside from FILES (same --split-seed and --valid-size)
// and, with --sst2, SST-2's held-out sentences; each set counts alike in the fit. Reads no test
// data. Prints each set's accuracy and log-loss before and after, and writes OUT.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "model_file.h"
#include "sentiment.h"
#include "tools/calibrate.h"
#include "train/data.h"
#include "train/sst2.h"
#include "train/train.h"
#include "util.h"

static void usage(FILE *out) {
    SentTrainOptions d;
    sent_train_default_options(&d);
    fprintf(out,
            "usage: sentiment train calibrate --model IN --out OUT --data FILES [--sst2 FILE]\n"
            "                                 [--split-seed N] [--valid-size N] [--batch N]\n"
            "  fits one temperature T on held-out data so that softmax(logits / T) is calibrated, and\n"
            "  writes OUT: IN with its classifier divided by T (answers unchanged, confidences honest)\n"
            "  --data FILES     the IMDb files the model was trained on: their validation split is used\n"
            "  --sst2 FILE      also SST-2's held-out sentences (train/sst2.h); the two sets weigh alike\n"
            "  --split-seed N (%llu) --valid-size N (%d)  the split `train` used\n"
            "  --batch N (16)   reviews per forward pass\n",
            (unsigned long long)d.split_seed, d.valid_size);
}

// Appends the margins of reviews rows[0..n) (labelled) to points, each weighing 1 / n.
static int add_margins(SentClassifier *c, const SentReviews *reviews, const int32_t *rows, int n, int batch,
                       int pos, SentCalibrationPoint *points, int *n_points) {
    SentResult *results = mallocCheck((size_t)batch * sizeof *results);
    const char **texts = mallocCheck((size_t)batch * sizeof *texts);
    size_t *lens = mallocCheck((size_t)batch * sizeof *lens);
    int status = 0;
    for (int i = 0; i < n && !status; i += batch) {
        int m = n - i < batch ? n - i : batch;
        for (int k = 0; k < m; k++) texts[k] = reviews->texts[rows[i + k]], lens[k] = reviews->lens[rows[i + k]];
        SentError err;
        if (sent_classify_batch(c, texts, lens, m, results, &err) != SENT_OK) {
            fprintf(stderr, "calibrate: %s\n", err.message);
            status = 1;
            break;
        }
        for (int k = 0; k < m; k++) {
            if (results[k].status != SENT_OK) {   // a held-out row the engine refuses: say so, stop
                fprintf(stderr, "calibrate: row %d: %s\n", rows[i + k], results[k].error.message);
                status = 1;
                break;
            }
            points[(*n_points)++] = (SentCalibrationPoint){
                .margin = results[k].logits[pos] - results[k].logits[1 - pos],
                .label = reviews->labels[rows[i + k]],
                .weight = 1.0 / n,
            };
        }
    }
    free(results), free(texts), free(lens);
    return status;
}

static void report(const char *set, const SentCalibrationPoint *p, int n, double temperature) {
    int correct = 0;
    for (int i = 0; i < n; i++) correct += (p[i].margin > 0) == (p[i].label == 1);
    printf("%-22s %5d rows  accuracy %.2f%%  log-loss %.4f -> %.4f\n", set, n, 100.0 * correct / n,
           sent_temperature_nll(p, n, 1.0), sent_temperature_nll(p, n, temperature));
}

int cmd_calibrate(int argc, char **argv) {
    const char *model_path = NULL, *out = NULL, *data = NULL, *sst2 = NULL;
    SentTrainOptions d;
    sent_train_default_options(&d);
    uint64_t split_seed = d.split_seed;
    int valid_size = d.valid_size, batch = 16;
    SentArg args[] = {
        SENT_OPT("--model", SENT_ARG_STRING, &model_path),
        SENT_OPT("--out", SENT_ARG_STRING, &out),
        SENT_OPT("--data", SENT_ARG_STRING, &data),
        SENT_OPT("--sst2", SENT_ARG_STRING, &sst2),
        SENT_OPT("--split-seed", SENT_ARG_U64, &split_seed),
        SENT_OPT("--valid-size", SENT_ARG_INT, &valid_size, .min = 1, .max = 1 << 24),
        SENT_OPT("--batch", SENT_ARG_INT, &batch, .min = 1, .max = 256),
    };
    int status = sent_args_parse("train calibrate", argc - 1, argv + 1, args, SENT_ARGS_COUNT(args), usage);
    if (status != SENT_ARGS_RUN) return status;
    status = 0;
    if (!model_path || !out || !data) {
        usage(stderr);
        return 2;
    }
    // One mapping of the file serves both the margins and the rewrite, so the temperature is
    // folded into exactly the bytes it was fitted on.
    SentModelFile mf;
    char msg[512];
    if (sent_model_file_open(&mf, model_path, msg, sizeof msg) != SENT_OK) {
        fprintf(stderr, "calibrate: %s: %s\n", model_path, msg);
        return 1;
    }
    SentError err;
    SentOptions opts = {.max_batch = batch};
    SentClassifier *c = sent_load_memory(mf.bytes, mf.len, &opts, &err);
    if (!c) {
        fprintf(stderr, "calibrate: %s: %s\n", model_path, err.message);
        sent_model_file_close(&mf);
        return 1;
    }
    SentModelInfo info;
    sent_model_info(c, &info);
    if (info.n_labels != 2) {
        fprintf(stderr, "calibrate: the model has %d labels; calibrate fits a Positive/Negative model\n", info.n_labels);
        sent_free(c);
        sent_model_file_close(&mf);
        return 1;
    }
    int pos = info.positive_index;

    SentReviews imdb, sst2_valid = {0};
    sent_reviews_read(&imdb, data);
    int32_t *order = mallocCheck((size_t)(imdb.n > 0 ? imdb.n : 1) * sizeof *order);
    int n_usable = 0;
    int n_valid = sent_split_rows(imdb.labels, imdb.n, 0, valid_size, split_seed, order, &n_usable);
    const int32_t *imdb_rows = order + n_usable - n_valid;
    int32_t *sst2_rows = NULL;
    if (sst2) {
        sent_sst2_read_valid(sst2, &sst2_valid);
        sst2_rows = mallocCheck((size_t)(sst2_valid.n > 0 ? sst2_valid.n : 1) * sizeof *sst2_rows);
        for (int i = 0; i < sst2_valid.n; i++) sst2_rows[i] = i;
    }
    SentCalibrationPoint *points = mallocCheck((size_t)(n_valid + sst2_valid.n + 1) * sizeof *points);
    int n_points = 0;
    if (n_valid == 0) {
        fprintf(stderr, "calibrate: %s has no labelled validation rows\n", data);
        status = 1;
    }
    if (!status) status = add_margins(c, &imdb, imdb_rows, n_valid, batch, pos, points, &n_points);
    if (!status && sst2) status = add_margins(c, &sst2_valid, sst2_rows, sst2_valid.n, batch, pos, points, &n_points);
    sent_free(c);
    if (!status) {
        double t = sent_fit_temperature(points, n_points);
        printf("temperature %.4f (fitted on %d rows)\n", t, n_points);
        report("IMDb validation", points, n_valid, t);
        if (sst2) report("SST-2 validation", points + n_valid, sst2_valid.n, t);
        char fitted_on[160];
        snprintf(fitted_on, sizeof fitted_on, "%d IMDb validation reviews (split seed %llu)%s", n_valid,
                 (unsigned long long)split_seed,
                 sst2 ? " and the SST-2 validation sentences, weighted alike" : "");
        size_t len = 0;
        uint8_t *bytes = sent_model_with_temperature(mf.bytes, mf.len, t, fitted_on, &len, msg, sizeof msg);
        if (!bytes) {
            fprintf(stderr, "calibrate: %s: %s\n", model_path, msg);
            status = 1;
        } else {
            FILE *f = fopenCheck(out, "wb");
            fwriteCheck(bytes, 1, len, f);
            fcloseCheck(f);
            printf("wrote %s\n", out);
        }
        free(bytes);
    }
    sent_model_file_close(&mf);
    free(points), free(order), free(sst2_rows);
    sent_reviews_free(&imdb);
    if (sst2) sent_reviews_free(&sst2_valid);
    return status;
}
