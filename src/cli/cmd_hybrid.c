// sentiment train hybrid --model IN --out OUT --data FILES [--sst2 FILE] [--teacher LABELS] [--mix X]
// Adds an n-gram model (src/engine/ngram.h) to a transformer model file: fits it on the word-piece
// ids IN's tokenizer gives the trainer's IMDb training split of FILES (the same split as `train`,
// --split-seed and --valid-size; with --teacher, FILES' unlabelled reviews too, against the
// teacher's probabilities), then chooses the share of its logit in the mix on the held-out
// IMDb reviews and, with --sst2, SST-2's held-out sentences (the mean of the two accuracies), and
// writes OUT. Reads no test data. Calibrate OUT afterwards (`train calibrate`): the mix changes
// the confidences.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ngram.h"
#include "sentiment.h"
#include "tokenizer.h"
#include "tools/convert.h"
#include "tools/hybrid.h"
#include "train/data.h"
#include "train/sst2.h"
#include "train/teacher_ngram.h"
#include "train/train.h"
#include "util.h"

static void usage(FILE *out) {
    SentTrainOptions d;
    SentTeacherOptions t;
    sent_train_default_options(&d);
    sent_teacher_default_options(&t);
    fprintf(out,
            "usage: sentiment train hybrid --model IN --out OUT --data FILES [--sst2 FILE] [--teacher LABELS]\n"
            "                              [--mix X] [--bits N] [--ngrams N] [--split-seed N] [--valid-size N]\n"
            "  fits an n-gram model on the word pieces of FILES' training split and writes OUT: IN with\n"
            "  it added, its logit mixed with the transformer's (src/engine/ngram.h)\n"
            "  --data FILES     the IMDb files the model was trained on (labelled rows of the training split fit it)\n"
            "  --sst2 FILE      also choose the mix on SST-2's held-out sentences (the mean of the two accuracies)\n"
            "  --teacher LABELS `train teacher label`'s probabilities for every row of FILES: the unlabelled\n"
            "                   training rows fit too, against them (labelled rows keep their labels)\n"
            "  --mix X          the n-gram model's share of the logit, in [0, 1] (default: the best on validation)\n"
            "  --bits N (%d)    2^N hashed buckets;  --ngrams N (%d)  n-grams of 1..N word pieces\n"
            "  --split-seed N (%llu) --valid-size N (%d)  the split `train` used\n",
            t.bucket_bits, t.max_n, (unsigned long long)d.split_seed, d.valid_size);
}

// One held-out answer: the transformer's margin (logit positive - negative), the n-gram logit.
typedef struct {
    float margin, ngram;
    int label;
} HybridPoint;

// Appends the held-out rows[0..n) of reviews to points; 0, or 1 after saying why.
static int add_points(SentClassifier *c, const SentNgram *ngram, const SentReviews *reviews, const int32_t *rows,
                      int n, HybridPoint *points, int *n_points) {
    enum { BATCH = 8 };
    SentResult results[BATCH];
    const char *texts[BATCH];
    size_t lens[BATCH];
    SentModelInfo info;
    sent_model_info(c, &info);
    int pos = info.positive_index;
    uint32_t *scratch = mallocCheck((size_t)info.max_len * ngram->max_n * sizeof *scratch);
    int status = 0;
    for (int i = 0; i < n && !status; i += BATCH) {
        int m = n - i < BATCH ? n - i : BATCH;
        for (int k = 0; k < m; k++) texts[k] = reviews->texts[rows[i + k]], lens[k] = reviews->lens[rows[i + k]];
        SentError err;
        if (sent_classify_batch(c, texts, lens, m, results, &err) != SENT_OK) {
            fprintf(stderr, "hybrid: %s\n", err.message);
            status = 1;
            break;
        }
        for (int k = 0; k < m; k++) {
            if (results[k].status != SENT_OK) {
                fprintf(stderr, "hybrid: row %d: %s\n", rows[i + k], results[k].error.message);
                status = 1;
                break;
            }
            points[(*n_points)++] = (HybridPoint){
                .margin = results[k].logits[pos] - results[k].logits[1 - pos],
                .ngram = sent_ngram_logit(ngram, results[k].ids, results[k].n_tokens, scratch),
                .label = reviews->labels[rows[i + k]],
            };
        }
    }
    free(scratch);
    return status;
}

static double accuracy(const HybridPoint *p, int n, double mix) {
    long correct = 0;
    for (int i = 0; i < n; i++) correct += ((1 - mix) * p[i].margin + mix * p[i].ngram > 0) == (p[i].label == 1);
    return n ? 100.0 * correct / n : 0;
}

// The training split's rows as n-gram buckets of the ids IN's tokenizer gives them, against their
// labels; unlabelled rows against teacher[row], or skipped where teacher is NULL.
static void training_buckets(const SentClassifier *c, const SentReviews *reviews, const float *teacher,
                             const int32_t *rows, int n, int max_n, int bits, SentBucketRows *out) {
    SentModelInfo info;
    sent_model_info(c, &info);
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(sent_metadata(c), "tokenizer"), "vocab");
    char msg[256];
    SentTokenizer *tok = sent_tokenizer_new(vocab->valuestring, strlen(vocab->valuestring), msg, sizeof msg);
    if (!tok) {
        fprintf(stderr, "hybrid: the model's vocab: %s\n", msg);
        exit(EXIT_FAILURE);
    }
    SentTokenizeOptions opts = {info.max_len, info.truncation, info.head_tokens};
    int32_t *ids = mallocCheck((size_t)info.max_len * 3 * sizeof *ids);
    uint32_t *buckets = mallocCheck((size_t)info.max_len * max_n * sizeof *buckets);
    for (int i = 0; i < n; i++) {
        int r = rows[i];
        int labelled = reviews->labels[r] == 0 || reviews->labels[r] == 1;
        if (!labelled && !teacher) continue;
        SentEncoding enc = {ids, ids + info.max_len, ids + 2 * info.max_len, 0, 0, 0};
        if (sent_tokenizer_encode(tok, reviews->texts[r], reviews->lens[r], &opts, &enc, msg, sizeof msg)) {
            fprintf(stderr, "hybrid: review %d: %s\n", r, msg);
            exit(EXIT_FAILURE);
        }
        size_t k = sent_ngram_buckets(enc.ids, enc.n, max_n, bits, buckets);
        sent_buckets_append(out, buckets, k, labelled ? (float)reviews->labels[r] : teacher[r]);
    }
    free(ids), free(buckets);
    sent_tokenizer_free(tok);
}

int cmd_hybrid(int argc, char **argv) {
    SentTrainOptions d;
    sent_train_default_options(&d);
    SentTeacherOptions topts;
    sent_teacher_default_options(&topts);
    const char *model_path = NULL, *out = NULL, *data = NULL, *sst2 = NULL, *teacher_path = NULL;
    int valid_size = d.valid_size;
    uint64_t split_seed = d.split_seed;
    float mix = -1;
    SentArg args[] = {
        SENT_OPT("--model", SENT_ARG_STRING, &model_path),
        SENT_OPT("--out", SENT_ARG_STRING, &out),
        SENT_OPT("--data", SENT_ARG_STRING, &data),
        SENT_OPT("--sst2", SENT_ARG_STRING, &sst2),
        SENT_OPT("--teacher", SENT_ARG_STRING, &teacher_path),
        SENT_OPT("--mix", SENT_ARG_FLOAT, &mix, .min = 0, .max = 1),
        SENT_OPT("--bits", SENT_ARG_INT, &topts.bucket_bits, .min = SENT_NGRAM_MIN_BITS, .max = SENT_NGRAM_MAX_BITS),
        SENT_OPT("--ngrams", SENT_ARG_INT, &topts.max_n, .min = 1, .max = SENT_NGRAM_MAX_N),
        SENT_OPT("--split-seed", SENT_ARG_U64, &split_seed),
        SENT_OPT("--valid-size", SENT_ARG_INT, &valid_size, .min = 1, .max = SENT_ARGS_NO_LIMIT),
    };
    int status = sent_args_parse("hybrid", argc - 1, argv + 1, args, SENT_ARGS_COUNT(args), usage);
    if (status != SENT_ARGS_RUN) return status;
    if (!model_path || !out || !data) {
        fprintf(stderr, "hybrid: needs --model, --out and --data\n");
        usage(stderr);
        return 2;
    }
    if ((size_t)1 << topts.bucket_bits < SENT_NGRAM_GROUP) {
        fprintf(stderr, "hybrid: --bits %d gives fewer buckets than one group of %d\n", topts.bucket_bits, SENT_NGRAM_GROUP);
        return 2;
    }
    size_t len;
    uint8_t *bytes = (uint8_t *)sent_read_file(model_path, &len);
    if (!bytes) {
        fprintf(stderr, "hybrid: cannot read %s\n", model_path);
        return 1;
    }
    SentError err;
    SentClassifier *c = sent_load_memory(bytes, len, NULL, &err);
    if (!c) {
        fprintf(stderr, "hybrid: %s: %s\n", model_path, err.message);
        free(bytes);
        return 1;
    }
    SentModelInfo info;
    sent_model_info(c, &info);
    if (info.n_labels != 2 || sent_model_ngram_mix(c) > 0) {
        fprintf(stderr, "hybrid: %s must be a Positive/Negative model without an n-gram model\n", model_path);
        sent_free(c), free(bytes);
        return 1;
    }

    SentReviews imdb, sst2_valid = {0};
    sent_reviews_read(&imdb, data);
    int32_t *order = mallocCheck((size_t)(imdb.n > 0 ? imdb.n : 1) * sizeof *order);
    int n_usable = 0;
    // With a teacher the unlabelled rows join the training part; the validation rows are the same.
    float *teacher = teacher_path ? sent_teacher_labels_read(teacher_path, data, imdb.n) : NULL;
    int n_valid = sent_split_rows(imdb.labels, imdb.n, teacher != NULL, valid_size, split_seed, order, &n_usable);
    SentBucketRows train_rows = {0};
    training_buckets(c, &imdb, teacher, order, n_usable - n_valid, topts.max_n, topts.bucket_bits, &train_rows);
    free(teacher);
    int train_count = train_rows.n;
    fprintf(stderr, "hybrid: fitting the n-gram model on %d training reviews%s\n", train_count,
            teacher_path ? " (the unlabelled ones against the teacher)" : "");
    SentNgramTeacher fit;
    sent_teacher_fit_buckets(&fit, &train_rows, &topts);
    sent_buckets_free(&train_rows);

    // One int8 weight per bucket: the NB ratio and the regression weight folded together.
    size_t n_buckets = (size_t)1 << topts.bucket_bits;
    float *folded = mallocCheck(n_buckets * sizeof *folded);
    for (size_t b = 0; b < n_buckets; b++) folded[b] = fit.ratio[b] * fit.weight[b];
    int8_t *weight = mallocCheck(n_buckets);
    float *scale = mallocCheck(n_buckets / SENT_NGRAM_GROUP * sizeof *scale);
    sent_quantize_rows(weight, scale, folded, (int)(n_buckets / SENT_NGRAM_GROUP), SENT_NGRAM_GROUP, SENT_NGRAM_GROUP);
    SentNgram ngram = {.bucket_bits = topts.bucket_bits, .max_n = topts.max_n, .bias = fit.bias, .weight = weight,
                       .scale = scale, .group_size = SENT_NGRAM_GROUP};
    free(folded);
    sent_teacher_free(&fit);

    if (sst2) sent_sst2_read_valid(sst2, &sst2_valid);
    HybridPoint *points = mallocCheck((size_t)(n_valid + sst2_valid.n + 1) * sizeof *points);
    int n_points = 0;
    int32_t *sst2_rows = mallocCheck((size_t)(sst2_valid.n + 1) * sizeof *sst2_rows);
    for (int i = 0; i < sst2_valid.n; i++) sst2_rows[i] = i;
    status = add_points(c, &ngram, &imdb, order + n_usable - n_valid, n_valid, points, &n_points);
    if (!status && sst2) status = add_points(c, &ngram, &sst2_valid, sst2_rows, sst2_valid.n, points, &n_points);
    sent_free(c);
    if (!status) {
        // The mix: every 0.05, the best mean of the sets' accuracies (the smaller mix on a tie).
        printf("n-gram share | IMDb validation (%d)%s\n", n_valid, sst2 ? " | SST-2 validation" : "");
        double best = -1, chosen = 0;
        for (int step = 0; step <= 20; step++) {
            double m = step / 20.0, a = accuracy(points, n_valid, m);
            double b = sst2 ? accuracy(points + n_valid, sst2_valid.n, m) : a;
            printf("%.2f | %.2f%%", m, a);
            printf(sst2 ? " | %.2f%%\n" : "\n", b);
            if ((a + b) / 2 > best + 1e-9) best = (a + b) / 2, chosen = m;
        }
        ngram.mix = mix >= 0 ? mix : (float)chosen;
        printf("mix %.2f%s: IMDb validation %.2f%%%s", ngram.mix, mix >= 0 ? " (given)" : " (best on validation)",
               accuracy(points, n_valid, ngram.mix), sst2 ? ", SST-2 validation " : "\n");
        if (sst2) printf("%.2f%%\n", accuracy(points + n_valid, sst2_valid.n, ngram.mix));
        char fitted_on[256];   // no paths: the metadata never names a machine's files
        snprintf(fitted_on, sizeof fitted_on,
                 "%d IMDb training reviews (split seed %llu)%s; mix chosen on %d validation reviews%s", train_count,
                 (unsigned long long)split_seed, teacher_path ? ", the unlabelled against a teacher" : ", labelled",
                 n_valid, sst2 ? " and the SST-2 validation sentences" : "");
        char msg[512];
        size_t out_len;
        uint8_t *file = sent_model_with_ngram(bytes, len, &ngram, fitted_on, &out_len, msg, sizeof msg);
        if (!file) {
            fprintf(stderr, "hybrid: %s\n", msg);
            status = 1;
        } else {
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s.tmp", out);
            FILE *f = fopenCheck(tmp, "wb");
            fwriteCheck(file, 1, out_len, f);
            fcloseCheck(f);
            renameCheck(tmp, out);
            fprintf(stderr, "wrote %s (%zu bytes)\n", out, out_len);
            free(file);
        }
    }
    free(points), free(sst2_rows), free(order), free(weight), free(scale), free(bytes);
    sent_reviews_free(&imdb);
    if (sst2) sent_reviews_free(&sst2_valid);
    return status;
}
