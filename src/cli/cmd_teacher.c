// build/sentiment train teacher fit|label: the n-gram teacher the student is distilled from
// (src/train/teacher_ngram.h). fit trains on the trainer's training split only and reports its
// validation accuracy; label writes P(positive) for every review of the given files, keyed by
// file name and row, for `train finetune --teacher`: the n-gram model's, a transformer model
// file's (--model, e.g. the shipped one, for self-distillation), or the mean of the two (an
// ensemble teacher: their errors differ, so the mean is right more often than either).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "sentiment.h"
#include "train/data.h"
#include "train/teacher_ngram.h"
#include "util.h"

static void usage(FILE *out) {
    SentTeacherOptions d;
    sent_teacher_default_options(&d);
    fprintf(out,
            "usage: sentiment train teacher fit --data FILES --out TEACHER [options]\n"
            "       sentiment train teacher label [--teacher TEACHER] [--model M.smf] --data FILES --out LABELS.tsv\n\n"
            "  fit     NB log-count-ratio n-grams + logistic regression on the labelled rows of FILES,\n"
            "          minus the validation reviews the trainer holds out (same split function)\n"
            "  label   one line per review: file name, row (from 0), P(positive): the n-gram teacher's,\n"
            "          the model file's (--model), or with both the mean of the two; then the accuracy\n"
            "          on the labelled rows and on the trainer's validation split of FILES\n\n"
            "  --split-seed N (2024) --valid-size N (2500)   must match the student's run\n"
            "  --bits N (%d) hashed buckets 2^N   --ngrams N (%d)   --epochs N (%d)\n"
            "  --lr X (%g) --l2 X (%g) --nb-alpha X (%g)\n",
            d.bucket_bits, d.max_n, d.epochs, d.lr, d.l2, d.nb_alpha);
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int teacher_fit(const char *data, const char *out, const SentTeacherOptions *o, int valid_size,
                       uint64_t split_seed) {
    SentReviews reviews;
    sent_reviews_read(&reviews, data);
    int32_t *order = mallocCheck((size_t)(reviews.n > 0 ? reviews.n : 1) * sizeof(int32_t));
    int n_usable;
    int n_valid = sent_split_rows(reviews.labels, reviews.n, 0, valid_size, split_seed, order, &n_usable);
    int n_train = n_usable - n_valid;
    if (n_train < 2) {
        fprintf(stderr, "teacher: %s has %d labelled training reviews; need at least 2\n", data, n_train);
        return 1;
    }
    fprintf(stderr, "teacher: %d train, %d validation reviews\n", n_train, n_valid);
    double t0 = sent_now_seconds();
    SentNgramTeacher teacher;
    sent_teacher_fit(&teacher, &reviews, order, n_train, o);
    SentNgramScratch scratch = {0};
    long correct = 0;
    double loss = 0;
    for (int i = n_train; i < n_usable; i++) {
        int r = order[i];
        float p = sent_teacher_predict(&teacher, reviews.texts[r], reviews.lens[r], &scratch);
        correct += (p > 0.5f) == (reviews.labels[r] == 1);
        loss -= reviews.labels[r] == 1 ? log(p + 1e-12) : log(1 - p + 1e-12);
    }
    if (n_valid > 0)
        printf("teacher validation: accuracy %.2f%% (%ld / %d), log-loss %.4f (fit in %.1f s)\n",
               100.0 * correct / n_valid, correct, n_valid, loss / n_valid, sent_now_seconds() - t0);
    sent_teacher_save(&teacher, out);
    fprintf(stderr, "wrote %s\n", out);
    free(scratch.ids), free(order);
    sent_teacher_free(&teacher);
    sent_reviews_free(&reviews);
    return 0;
}

// The --model half of label: one classifier, batches of 8; a review the engine refuses stops the
// run, since a teacher file with a hole would join the wrong reviews.
static int model_label(SentClassifier *c, const SentReviews *reviews, float *p_out) {
    enum { BATCH = 8 };
    SentResult results[BATCH];
    SentError err;
    SentModelInfo info;
    sent_model_info(c, &info);
    for (int start = 0; start < reviews->n; start += BATCH) {
        int n = reviews->n - start < BATCH ? reviews->n - start : BATCH;
        if (sent_classify_batch(c, (const char *const *)reviews->texts + start, reviews->lens + start, n, results,
                                &err) != SENT_OK) {
            fprintf(stderr, "teacher: %s\n", err.message);
            return 0;
        }
        for (int k = 0; k < n; k++) {
            if (results[k].status != SENT_OK) {
                fprintf(stderr, "teacher: row %d: %s\n", start + k, results[k].error.message);
                return 0;
            }
            p_out[start + k] = results[k].positive;
        }
    }
    return 1;
}

static int teacher_label(const char *teacher_path, const char *model_path, const char *data, const char *out,
                         int valid_size, uint64_t split_seed) {
    SentNgramTeacher teacher;
    if (teacher_path && !sent_teacher_load(&teacher, teacher_path)) return 1;
    SentClassifier *model = NULL;
    if (model_path) {
        SentError err;
        SentModelInfo info;
        if (!(model = sent_load_path(model_path, NULL, &err))) {
            fprintf(stderr, "teacher: %s: %s\n", model_path, err.message);
            return 1;
        }
        sent_model_info(model, &info);
        if (info.n_labels != 2) {
            fprintf(stderr, "teacher: %s has %d labels; a teacher gives P(positive)\n", model_path, info.n_labels);
            return 1;
        }
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    FILE *f = fopenCheck(tmp, "w");
    fprintf(f, "file\trow\tp_positive\n");
    SentNgramScratch scratch = {0};
    char *list = mallocCheck(strlen(data) + 1);
    strcpy(list, data);
    int n_all = 0;   // every file's rows, in order, for the validation split of the whole list
    int32_t *all_labels = NULL;
    float *all_p = NULL;
    for (char *save = NULL, *path = strtok_r(list, ",", &save); path; path = strtok_r(NULL, ",", &save)) {
        SentReviews reviews;
        sent_reviews_read(&reviews, path);
        float *p_model = mallocCheck((size_t)(reviews.n > 0 ? reviews.n : 1) * sizeof(float));
        if (model && !model_label(model, &reviews, p_model)) return 1;
        all_labels = reallocCheck(all_labels, (size_t)(n_all + reviews.n + 1) * sizeof(int32_t));
        all_p = reallocCheck(all_p, (size_t)(n_all + reviews.n + 1) * sizeof(float));
        long labelled = 0, correct = 0;
        for (int r = 0; r < reviews.n; r++) {
            float p = teacher_path ? sent_teacher_predict(&teacher, reviews.texts[r], reviews.lens[r], &scratch) : 0;
            if (model) p = teacher_path ? 0.5f * (p + p_model[r]) : p_model[r];
            fprintf(f, "%s\t%d\t%.6f\n", base_name(path), r, p);
            if (reviews.labels[r] >= 0) labelled++, correct += (p > 0.5f) == (reviews.labels[r] == 1);
            all_labels[n_all] = reviews.labels[r], all_p[n_all++] = p;
        }
        fprintf(stderr, "labelled %d reviews of %s", reviews.n, path);
        if (labelled) fprintf(stderr, " (agrees with %.2f%% of its %ld labels)", 100.0 * correct / labelled, labelled);
        fputc('\n', stderr);
        free(p_model);
        sent_reviews_free(&reviews);
    }
    fcloseCheck(f);
    renameCheck(tmp, out);
    // the rows no teacher trained on (the shipped model's own run used the same split): the number
    // that says whether this teacher is worth distilling from
    int32_t *order = mallocCheck((size_t)(n_all > 0 ? n_all : 1) * sizeof(int32_t));
    int n_usable;
    int n_valid = sent_split_rows(all_labels, n_all, 0, valid_size, split_seed, order, &n_usable);
    long correct = 0;
    double loss = 0;
    for (int i = n_usable - n_valid; i < n_usable; i++) {
        int r = order[i];
        correct += (all_p[r] > 0.5f) == (all_labels[r] == 1);
        loss -= all_labels[r] == 1 ? log(all_p[r] + 1e-12) : log(1 - all_p[r] + 1e-12);
    }
    if (n_valid > 0)
        printf("teacher on the validation split: accuracy %.2f%% (%ld / %d), log-loss %.4f\n",
               100.0 * correct / n_valid, correct, n_valid, loss / n_valid);
    free(order), free(all_labels), free(all_p);
    free(list), free(scratch.ids);
    if (teacher_path) sent_teacher_free(&teacher);
    sent_free(model);
    return 0;
}

int cmd_teacher(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *mode = argv[1], *data = NULL, *out = NULL, *teacher = NULL, *model = NULL;
    if (strcmp(mode, "fit") && strcmp(mode, "label")) {
        fprintf(stderr, "teacher: unknown mode '%s' (fit or label)\n", mode);
        return 2;
    }
    SentTeacherOptions o;
    sent_teacher_default_options(&o);
    int valid_size = 2500;
    uint64_t split_seed = 2024;
    SentArg args[] = {
        SENT_OPT("--data", SENT_ARG_STRING, &data),
        SENT_OPT("--out", SENT_ARG_STRING, &out),
        SENT_OPT("--teacher", SENT_ARG_STRING, &teacher),
        SENT_OPT("--model", SENT_ARG_STRING, &model),
        SENT_OPT("--valid-size", SENT_ARG_INT, &valid_size, .min = 0, .max = SENT_ARGS_NO_LIMIT),
        SENT_OPT("--split-seed", SENT_ARG_U64, &split_seed),
        SENT_OPT("--bits", SENT_ARG_INT, &o.bucket_bits, .min = 4, .max = 28),
        SENT_OPT("--ngrams", SENT_ARG_INT, &o.max_n, .min = 1, .max = 8),
        SENT_OPT("--epochs", SENT_ARG_INT, &o.epochs, .min = 0, .max = 1000),
        SENT_OPT("--lr", SENT_ARG_FLOAT, &o.lr, .min = 0, .max = 100),
        {"--l2", SENT_ARG_FLOAT, &o.l2, .min = 0, .max = 100},
        SENT_OPT("--nb-alpha", SENT_ARG_FLOAT, &o.nb_alpha, .min = 1e-6, .max = 1e6),
    };
    int status = sent_args_parse("teacher", argc - 2, argv + 2, args, SENT_ARGS_COUNT(args), usage);
    if (status != SENT_ARGS_RUN) return status;
    int label = !strcmp(mode, "label");
    if (!data || !out || (label && !teacher && !model)) {
        fprintf(stderr, "teacher: %s needs --data and --out%s\n", mode, label ? " and --teacher or --model (or both)" : "");
        return 2;
    }
    if (!label && model) {
        fprintf(stderr, "teacher: fit takes no --model\n");
        return 2;
    }
    if (!label) return teacher_fit(data, out, &o, valid_size, split_seed);
    return teacher_label(teacher, model, data, out, valid_size, split_seed);
}
