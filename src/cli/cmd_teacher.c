// build/sentiment train teacher fit|label: the n-gram teacher the student is distilled from
// (src/train/teacher_ngram.h). fit trains on the trainer's training split only and reports its
// validation accuracy; label writes P(positive) for every review of the given files, keyed by
// file name and row, for `train finetune --teacher`.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "train/data.h"
#include "train/teacher_ngram.h"
#include "util.h"

static void usage(FILE *out) {
    SentTeacherOptions d;
    sent_teacher_default_options(&d);
    fprintf(out,
            "usage: sentiment train teacher fit --data FILES --out TEACHER [options]\n"
            "       sentiment train teacher label --teacher TEACHER --data FILES --out LABELS.tsv\n\n"
            "  fit     NB log-count-ratio n-grams + logistic regression on the labelled rows of FILES,\n"
            "          minus the validation reviews the trainer holds out (same split function)\n"
            "  label   one line per review: file name, row (from 0), P(positive)\n\n"
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

static int teacher_label(const char *teacher_path, const char *data, const char *out) {
    SentNgramTeacher teacher;
    if (!sent_teacher_load(&teacher, teacher_path)) return 1;
    FILE *f = fopenCheck(out, "w");
    fprintf(f, "file\trow\tp_positive\n");
    SentNgramScratch scratch = {0};
    char *list = mallocCheck(strlen(data) + 1);
    strcpy(list, data);
    for (char *save = NULL, *path = strtok_r(list, ",", &save); path; path = strtok_r(NULL, ",", &save)) {
        SentReviews reviews;
        sent_reviews_read(&reviews, path);
        long labelled = 0, correct = 0;
        for (int r = 0; r < reviews.n; r++) {
            float p = sent_teacher_predict(&teacher, reviews.texts[r], reviews.lens[r], &scratch);
            fprintf(f, "%s\t%d\t%.6f\n", base_name(path), r, p);
            if (reviews.labels[r] >= 0) labelled++, correct += (p > 0.5f) == (reviews.labels[r] == 1);
        }
        fprintf(stderr, "labelled %d reviews of %s", reviews.n, path);
        if (labelled) fprintf(stderr, " (agrees with %.2f%% of its %ld labels)", 100.0 * correct / labelled, labelled);
        fputc('\n', stderr);
        sent_reviews_free(&reviews);
    }
    fcloseCheck(f);
    free(list), free(scratch.ids);
    sent_teacher_free(&teacher);
    return 0;
}

int cmd_teacher(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *mode = argv[1], *data = NULL, *out = NULL, *teacher = NULL;
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
    if (!data || !out || (!strcmp(mode, "label") && !teacher)) {
        fprintf(stderr, "teacher: %s needs --data and --out%s\n", mode, strcmp(mode, "label") ? "" : " and --teacher");
        return 2;
    }
    if (!strcmp(mode, "fit")) return teacher_fit(data, out, &o, valid_size, split_seed);
    return teacher_label(teacher, data, out);
}
