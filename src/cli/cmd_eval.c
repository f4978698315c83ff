// sentiment eval [--model M] --data FILE.tsv.gz[,FILE2...] [--batch N] [--bins N] [--json]
// Classifies every labelled review of the files with the engine's public API (sentiment.h) and
// reports accuracy, the confusion matrix, calibration (expected calibration error over
// equal-width confidence bins), mean log-loss and throughput. Reviews the engine rejects are
// counted and reported, never silently dropped. The model: --model, else the one classify uses
// (sent_cli_default_model, weights_path.h).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "sentiment.h"
#include "train/data.h"
#include "train/sst2.h"
#include "util.h"
#include "weights_path.h"

#define MAX_BINS 100

static void usage(FILE *out) {
    fprintf(out,
            "usage: sentiment eval [--model M] (--data FILES | --sst2-valid FILE) [--batch N] [--bins N] [--json]\n"
            "  --model M  model file (default: as classify finds it: $SENTIMENT_MODEL,\n"
            "             ./weights/sentiment.smf, else ../weights/sentiment.smf, else\n"
            "             ../share/movie-sentiment/sentiment.smf from the executable's directory)\n"
            "  FILES      comma-separated IMDb TSV.gz files (label 1 positive, 0 negative)\n"
            "  --sst2-valid FILE  the held-out sentences of SST-2's train.tsv.gz, detokenized: the\n"
            "             trainer's SST-2 validation split (train/sst2.h)\n"
            "  --batch N  reviews per forward pass (default 16)\n"
            "  --bins N   confidence bins for the calibration error (default 10)\n"
            "  --json     one JSON object instead of the text report\n");
}

int cmd_eval(int argc, char **argv) {
    const char *model_path = NULL, *data = NULL, *sst2_valid = NULL;
    int batch = 16, n_bins = 10, json = 0;
    SentArg args[] = {
        SENT_OPT("--model", SENT_ARG_STRING, &model_path),
        SENT_OPT("--data", SENT_ARG_STRING, &data),
        SENT_OPT("--sst2-valid", SENT_ARG_STRING, &sst2_valid),
        SENT_OPT("--batch", SENT_ARG_INT, &batch, .min = 1, .max = 256),
        SENT_OPT("--bins", SENT_ARG_INT, &n_bins, .min = 1, .max = MAX_BINS),
        SENT_OPT("--json", SENT_ARG_FLAG, &json),
    };
    int status = sent_args_parse("eval", argc - 1, argv + 1, args, SENT_ARGS_COUNT(args), usage);
    if (status != SENT_ARGS_RUN) return status;
    if (sst2_valid && data) {
        fprintf(stderr, "eval: --data and --sst2-valid are two data sets; give one\n");
        return 2;
    }
    if (sst2_valid) data = sst2_valid;
    if (!data) {
        fprintf(stderr, "eval: --data (or --sst2-valid) is required\n\n");
        usage(stderr);
        return 2;
    }
    char default_path[4096];
    if (!model_path) model_path = sent_cli_default_model(default_path, sizeof default_path);

    SentError err;
    SentOptions opts = {.max_batch = batch, .kernels = NULL};
    SentClassifier *c = sent_load_path(model_path, &opts, &err);
    if (!c) {
        fprintf(stderr, "eval: %s: %s\n", model_path, err.message);
        return 1;
    }
    SentModelInfo info;
    sent_model_info(c, &info);
    int pos = info.positive_index;
    if (info.n_labels != 2) {
        fprintf(stderr, "eval: the model has %d labels; eval expects a Positive/Negative model\n", info.n_labels);
        sent_free(c);
        return 1;
    }
    SentReviews reviews;
    if (sst2_valid) sent_sst2_read_valid(sst2_valid, &reviews);
    else sent_reviews_read(&reviews, data);

    long confusion[2][2] = {{0}};   // [true][predicted], 1 = positive
    long bin_count[MAX_BINS] = {0}, failed = 0, truncated = 0;
    double bin_conf[MAX_BINS] = {0}, bin_correct[MAX_BINS] = {0}, log_loss = 0;
    SentResult *results = mallocCheck((size_t)batch * sizeof(SentResult));
    const char **texts = mallocCheck((size_t)batch * sizeof(char *));
    size_t *lens = mallocCheck((size_t)batch * sizeof(size_t));
    int *labels = mallocCheck((size_t)batch * sizeof(int));
    double start = sent_now_seconds();
    for (int i = 0; i < reviews.n;) {
        int n = 0;
        for (; i < reviews.n && n < batch; i++) {
            if (reviews.labels[i] < 0) continue;   // unlabelled rows cannot be scored
            texts[n] = reviews.texts[i], lens[n] = reviews.lens[i], labels[n] = reviews.labels[i];
            n++;
        }
        if (n == 0) break;
        if (sent_classify_batch(c, texts, lens, n, results, &err) != SENT_OK) {
            fprintf(stderr, "eval: %s\n", err.message);
            return 1;
        }
        for (int k = 0; k < n; k++) {
            const SentResult *r = &results[k];
            if (r->status != SENT_OK) {
                failed++;
                continue;
            }
            int predicted = r->label_index == pos;
            confusion[labels[k]][predicted]++;
            truncated += r->truncated;
            double p_true = labels[k] ? r->positive : 1.0 - r->positive;
            log_loss -= log(p_true > 1e-12 ? p_true : 1e-12);
            double confidence = predicted ? r->positive : 1.0 - r->positive;
            int bin = (int)(confidence * n_bins);
            if (bin >= n_bins) bin = n_bins - 1;
            bin_count[bin]++;
            bin_conf[bin] += confidence;
            bin_correct[bin] += predicted == labels[k];
        }
    }
    double seconds = sent_now_seconds() - start;
    long scored = confusion[0][0] + confusion[0][1] + confusion[1][0] + confusion[1][1];
    double accuracy = scored ? (double)(confusion[0][0] + confusion[1][1]) / scored : 0, ece = 0;
    for (int b = 0; b < n_bins; b++)
        if (bin_count[b]) ece += fabs(bin_correct[b] - bin_conf[b]) / (double)scored;

    if (json) {
        printf("{\"reviews\":%ld,\"failed\":%ld,\"accuracy\":%.6f,\"ece\":%.6f,\"log_loss\":%.6f,"
               "\"confusion\":{\"neg_as_neg\":%ld,\"neg_as_pos\":%ld,\"pos_as_neg\":%ld,\"pos_as_pos\":%ld},"
               "\"truncated\":%ld,\"seconds\":%.3f}\n",
               scored, failed, accuracy, ece, scored ? log_loss / scored : 0, confusion[0][0],
               confusion[0][1], confusion[1][0], confusion[1][1], truncated, seconds);
    } else {
        printf("model     %s (%d layers, dim %d, %s, max %d tokens)\n", model_path, info.n_layers, info.dim,
               info.quantized ? "int8" : "fp32", info.max_len);
        printf("data      %s%s: %ld reviews scored, %ld failed, %ld truncated\n", data,
               sst2_valid ? " (its SST-2 validation split)" : "", scored, failed, truncated);
        printf("accuracy  %.2f%%\n", 100 * accuracy);
        printf("confusion            predicted neg  predicted pos\n");
        printf("          true neg   %13ld  %13ld\n", confusion[0][0], confusion[0][1]);
        printf("          true pos   %13ld  %13ld\n", confusion[1][0], confusion[1][1]);
        printf("log-loss  %.4f\n", scored ? log_loss / scored : 0);
        printf("ECE       %.4f (%d equal-width confidence bins)\n", ece, n_bins);
        for (int b = 0; b < n_bins; b++)
            if (bin_count[b])
                printf("          confidence %.2f-%.2f: %6ld reviews, mean confidence %.3f, accuracy %.3f\n",
                       (double)b / n_bins, (double)(b + 1) / n_bins, bin_count[b], bin_conf[b] / bin_count[b],
                       bin_correct[b] / bin_count[b]);
        printf("speed     %.1f reviews/s (%.1f s)\n", scored / (seconds > 0 ? seconds : 1), seconds);
    }
    free(results), free(texts), free(lens), free(labels);
    sent_reviews_free(&reviews);
    sent_free(c);
    return failed ? 1 : 0;
}
