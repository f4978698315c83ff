// build/sentiment train: MLM pretraining and classification fine-tuning (src/train/).
//
// OpenBLAS 0.3.21 misdetects this CPU family and reads OPENBLAS_CORETYPE only when the library is
// loaded, before main() runs; so the command sets it (and the thread counts) and re-executes
// itself once.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "train/export_hf.h"
#include "train/pack.h"
#include "train/train.h"

#define REEXEC_MARK "SENT_TRAIN_ENV_READY"

#define DEFAULT_EMBED_STD 0.1f

static void usage(FILE *out) {
    SentTrainOptions d;
    sent_train_default_options(&d);
    SentEmbedOptions e;
    sent_embed_default_options(&e);
    fprintf(out,
            "usage: sentiment train pretrain|finetune|embed --data FILES --vocab VOCAB --out-dir DIR [options]\n"
            "       sentiment train resume --out-dir DIR [--threads N]\n"
            "       sentiment train export --out-dir DIR\n"
            "       sentiment train pack --data FILES --vocab VOCAB --out-dir DIR [--teacher TSV] [options]\n\n"
            "  pretrain         masked-LM pretraining (15%% of tokens, 80/10/10 mask/random/keep) on the\n"
            "                   texts of FILES (train + unsup; never test), labels ignored\n"
            "  finetune         sentiment classification on the labelled rows of FILES\n"
            "  embed            word-piece vectors by skip-gram (word2vec) on the texts of FILES, minus\n"
            "                   the validation reviews, written as the word embeddings of a new model\n"
            "                   checkpoint for --init (minutes; seq-len may exceed max-positions here)\n"
            "  resume           continue the run in DIR exactly where its last checkpoint left it\n"
            "  export           write DIR/checkpoint.bin's weights as DIR/hf-stepN (Hugging Face), e.g. to\n"
            "                   evaluate a run between epochs or one stopped before its epoch ended\n"
            "  pack             write DIR/pack.bin: the token rows, validation split and teacher labels\n"
            "                   finetune would use, for build_scripts/train/torch_mirror.py (train/pack.h)\n\n"
            "  --data FILES     comma-separated IMDb TSV.gz files (e.g. ../shared/data/imdb/train.tsv.gz)\n"
            "  --vocab FILE     WordPiece vocab.txt (e.g. ../shared/vocab/vocab.txt)\n"
            "  --out-dir DIR    checkpoint.bin, log.csv, token cache, hf/ (Hugging Face export, per epoch)\n"
            "  --init CKPT      start from this checkpoint's weights (e.g. a pretraining run's)\n"
            "  --teacher FILE   finetune: distil from `sentiment teacher label` output for every row of\n"
            "                   FILES; unlabelled rows (unsup) are trained on the teacher's P(positive)\n"
            "  --distill-alpha X (%g)  labelled rows: X * CE(label) + (1 - X) * CE(teacher)\n"
            "  --layers N (%d) --dim N (%d) --heads N (%d) --hidden N (%d) --max-positions N (%d)\n"
            "  --seq-len N (%d)        tokens per review, [CLS]/[SEP] included\n"
            "  --head-tokens N (%d)    word pieces kept from a long review's start; the rest from its end\n"
            "  --batch N (%d) --epochs N (%d) --steps N (0: from epochs) --warmup N (%d)\n"
            "  --lr X (%g) --min-lr-ratio X (%g) --schedule linear|cosine (linear)\n"
            "  --weight-decay X (%g) --clip X (%g, 0 = off) --dropout X (%g) --cls-dropout X (%g)\n"
            "  --mask-prob X (%g) --seed N (%llu) --split-seed N (%llu) --valid-size N (%d)\n"
            "  --threads N (%d) --log-every N (%d) --checkpoint-every N (%d)\n"
            "  --bucket N (%d)  batches of similar-length reviews, sorted in runs of N batches (0 = off)\n"
            "  embed only: --window N (%d) --negatives N (%d) --min-count N (%d) --subsample X (%g)\n"
            "              --embed-std X (%g: the vectors' per-component standard deviation);\n"
            "              --lr and --epochs default to %g and %d there\n",
            d.distill_alpha, d.model.n_layers, d.model.dim, d.model.n_heads, d.model.hidden_dim, d.model.max_position_embeddings,
            d.seq_len, d.head_tokens, d.batch, d.epochs, d.warmup_steps, d.lr, d.min_lr_ratio,
            d.weight_decay, d.clip_norm, d.dropout, d.cls_dropout, d.mask_prob,
            (unsigned long long)d.seed, (unsigned long long)d.split_seed, d.valid_size, d.threads,
            d.log_every, d.checkpoint_every, d.bucket_batches, e.window, e.negatives, e.min_count, e.subsample,
            DEFAULT_EMBED_STD, e.lr, e.epochs);
}

static int parse_int(const char *flag, const char *value, int *out) {
    char *end;
    long v = strtol(value, &end, 10);
    if (*end || end == value || v < 0 || v > 1000000000) {
        fprintf(stderr, "train: %s needs a non-negative integer, got '%s'\n", flag, value);
        return 0;
    }
    *out = (int)v;
    return 1;
}

static int parse_float(const char *flag, const char *value, float *out) {
    char *end;
    float v = strtof(value, &end);
    if (*end || end == value || !(v >= 0)) {
        fprintf(stderr, "train: %s needs a non-negative number, got '%s'\n", flag, value);
        return 0;
    }
    *out = v;
    return 1;
}

static int copy_string(const char *flag, const char *value, char *dst, size_t size) {
    if (strlen(value) >= size) {
        fprintf(stderr, "train: %s is longer than %zu bytes\n", flag, size - 1);
        return 0;
    }
    strcpy(dst, value);
    return 1;
}

// Re-executes with OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set; returns only
// when that already happened (or exec failed, which leaves a slower but correct run).
static void reexec_with_blas_env(int argc, char **argv, int threads) {
    if (getenv(REEXEC_MARK)) return;
    char n[16];
    snprintf(n, sizeof n, "%d", threads);
    setenv("OPENBLAS_CORETYPE", "SKYLAKEX", 0);   // a user's own choice wins
    setenv("OPENBLAS_NUM_THREADS", n, 1);
    setenv("OMP_NUM_THREADS", n, 1);
    setenv(REEXEC_MARK, "1", 1);
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args) return;
    args[0] = "sentiment";
    for (int i = 0; i < argc; i++) args[i + 1] = argv[i];
    execv("/proc/self/exe", args);
    fprintf(stderr, "train: warning: could not re-execute with OPENBLAS_CORETYPE set (%s)\n", strerror(errno));
    free(args);
}

static int export_checkpoint(const char *out_dir) {
    if (!out_dir[0]) {
        fprintf(stderr, "train: export needs --out-dir\n");
        return 2;
    }
    char path[2048];
    snprintf(path, sizeof path, "%s/checkpoint.bin", out_dir);
    SentTrainOptions stored;
    long step;
    double elapsed;
    sent_checkpoint_load(path, &stored, NULL, &step, &elapsed, 0);
    SentBert model;
    sent_bert_build(&model, stored.model, 1, 1, 0);   // parameters only
    sent_checkpoint_load(path, NULL, &model, &step, &elapsed, 0);
    snprintf(path, sizeof path, "%s/hf-step%ld", out_dir, step);
    sent_export_hf(&model, path, stored.vocab, !strcmp(stored.task, "pretrain"));
    printf("exported step %ld of %s to %s\n", step, out_dir, path);
    sent_bert_free(&model);
    return 0;
}

int cmd_train(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    SentTrainOptions o;
    sent_train_default_options(&o);
    const char *mode = argv[1];
    int resume = !strcmp(mode, "resume"), export = !strcmp(mode, "export"), embed = !strcmp(mode, "embed");
    int pack = !strcmp(mode, "pack");
    if (!resume && !export && !embed && !pack && strcmp(mode, "pretrain") && strcmp(mode, "finetune")) {
        fprintf(stderr, "train: unknown mode '%s' (pretrain, finetune, embed, pack, resume or export)\n", mode);
        return 2;
    }
    char schedule[16] = "linear";
    SentEmbedOptions eo;
    sent_embed_default_options(&eo);
    float embed_std = DEFAULT_EMBED_STD;
    int lr_given = 0, epochs_given = 0;
    for (int i = 2; i < argc; i++) {
        const char *flag = argv[i];
        if (i + 1 >= argc) {
            fprintf(stderr, "train: %s needs a value\n", flag);
            return 2;
        }
        const char *v = argv[++i];
        int ok;
        if (!strcmp(flag, "--data")) ok = copy_string(flag, v, o.data, sizeof o.data);
        else if (!strcmp(flag, "--vocab")) ok = copy_string(flag, v, o.vocab, sizeof o.vocab);
        else if (!strcmp(flag, "--out-dir")) ok = copy_string(flag, v, o.out_dir, sizeof o.out_dir);
        else if (!strcmp(flag, "--init")) ok = copy_string(flag, v, o.init, sizeof o.init);
        else if (!strcmp(flag, "--teacher")) ok = copy_string(flag, v, o.teacher, sizeof o.teacher);
        else if (!strcmp(flag, "--distill-alpha")) ok = parse_float(flag, v, &o.distill_alpha);
        else if (!strcmp(flag, "--schedule")) ok = copy_string(flag, v, schedule, sizeof schedule);
        else if (!strcmp(flag, "--layers")) ok = parse_int(flag, v, &o.model.n_layers);
        else if (!strcmp(flag, "--dim")) ok = parse_int(flag, v, &o.model.dim);
        else if (!strcmp(flag, "--heads")) ok = parse_int(flag, v, &o.model.n_heads);
        else if (!strcmp(flag, "--hidden")) ok = parse_int(flag, v, &o.model.hidden_dim);
        else if (!strcmp(flag, "--max-positions")) ok = parse_int(flag, v, &o.model.max_position_embeddings);
        else if (!strcmp(flag, "--seq-len")) ok = parse_int(flag, v, &o.seq_len);
        else if (!strcmp(flag, "--head-tokens")) ok = parse_int(flag, v, &o.head_tokens);
        else if (!strcmp(flag, "--batch")) ok = parse_int(flag, v, &o.batch);
        else if (!strcmp(flag, "--epochs")) ok = parse_int(flag, v, &o.epochs), epochs_given = 1;
        else if (!strcmp(flag, "--steps")) ok = parse_int(flag, v, &o.max_steps);
        else if (!strcmp(flag, "--warmup")) ok = parse_int(flag, v, &o.warmup_steps);
        else if (!strcmp(flag, "--valid-size")) ok = parse_int(flag, v, &o.valid_size);
        else if (!strcmp(flag, "--threads")) ok = parse_int(flag, v, &o.threads);
        else if (!strcmp(flag, "--log-every")) ok = parse_int(flag, v, &o.log_every);
        else if (!strcmp(flag, "--checkpoint-every")) ok = parse_int(flag, v, &o.checkpoint_every);
        else if (!strcmp(flag, "--bucket")) ok = parse_int(flag, v, &o.bucket_batches);
        else if (!strcmp(flag, "--lr")) ok = parse_float(flag, v, &o.lr), lr_given = 1;
        else if (!strcmp(flag, "--min-lr-ratio")) ok = parse_float(flag, v, &o.min_lr_ratio);
        else if (!strcmp(flag, "--weight-decay")) ok = parse_float(flag, v, &o.weight_decay);
        else if (!strcmp(flag, "--clip")) ok = parse_float(flag, v, &o.clip_norm);
        else if (!strcmp(flag, "--dropout")) ok = parse_float(flag, v, &o.dropout);
        else if (!strcmp(flag, "--cls-dropout")) ok = parse_float(flag, v, &o.cls_dropout);
        else if (!strcmp(flag, "--mask-prob")) ok = parse_float(flag, v, &o.mask_prob);
        else if (embed && !strcmp(flag, "--window")) ok = parse_int(flag, v, &eo.window);
        else if (embed && !strcmp(flag, "--negatives")) ok = parse_int(flag, v, &eo.negatives);
        else if (embed && !strcmp(flag, "--min-count")) ok = parse_int(flag, v, &eo.min_count);
        else if (embed && !strcmp(flag, "--subsample")) ok = parse_float(flag, v, &eo.subsample);
        else if (embed && !strcmp(flag, "--embed-std")) ok = parse_float(flag, v, &embed_std);
        else if (!strcmp(flag, "--seed") || !strcmp(flag, "--split-seed")) {
            char *end;
            unsigned long long s = strtoull(v, &end, 10);
            ok = *v && !*end;
            if (!ok) fprintf(stderr, "train: %s needs an integer\n", flag);
            *(!strcmp(flag, "--seed") ? &o.seed : &o.split_seed) = s;
        } else {
            fprintf(stderr, "train: unknown option %s (see sentiment train --help)\n", flag);
            return 2;
        }
        if (!ok) return 2;
    }
    if (o.threads < 1) o.threads = 1;
    reexec_with_blas_env(argc, argv, o.threads);

    if (export) return export_checkpoint(o.out_dir);
    if (resume) {
        if (!o.out_dir[0]) {
            fprintf(stderr, "train: resume needs --out-dir\n");
            return 2;
        }
        char path[2048];
        snprintf(path, sizeof path, "%s/checkpoint.bin", o.out_dir);
        SentTrainOptions stored;
        long step;
        double elapsed;
        sent_checkpoint_load(path, &stored, NULL, &step, &elapsed, 0);
        if (!strcmp(stored.task, "embed")) {
            fprintf(stderr, "train: %s is an embed result, which runs in one go; start a run from it with --init\n", path);
            return 2;
        }
        stored.threads = o.threads;
        strcpy(stored.out_dir, o.out_dir);   // the directory may have moved
        return sent_train_run(&stored, 1);
    }
    snprintf(o.task, sizeof o.task, "%s", mode);
    o.cosine = !strcmp(schedule, "cosine");
    if (!o.cosine && strcmp(schedule, "linear")) {
        fprintf(stderr, "train: --schedule is linear or cosine\n");
        return 2;
    }
    if (!o.data[0] || !o.vocab[0] || !o.out_dir[0]) {
        fprintf(stderr, "train: --data, --vocab and --out-dir are required\n");
        return 2;
    }
    if (o.batch < 1 || o.seq_len < 8 || o.model.n_layers < 1 || o.model.n_heads < 1 ||
        o.model.dim % o.model.n_heads || (o.seq_len > o.model.max_position_embeddings && !embed) ||
        o.head_tokens > o.seq_len - 2 || o.dropout >= 1 || o.cls_dropout >= 1 || o.mask_prob >= 1 ||
        o.distill_alpha > 1) {
        fprintf(stderr, "train: inconsistent shape options (dim divisible by heads, 8 <= seq-len <= "
                        "max-positions, head-tokens <= seq-len - 2, dropouts < 1, distill-alpha <= 1)\n");
        return 2;
    }
    if (embed) {
        if (lr_given) eo.lr = o.lr;
        if (epochs_given) eo.epochs = o.epochs;
        if (eo.window < 1 || eo.epochs < 1 || eo.min_count < 1 || !(eo.lr > 0)) {
            fprintf(stderr, "train: embed needs --window, --epochs and --min-count of at least 1 and --lr above 0\n");
            return 2;
        }
        eo.threads = o.threads;
        eo.seed = o.seed;
        return sent_train_embed(&o, &eo, embed_std);
    }
    if (pack) return sent_train_pack(&o);
    return sent_train_run(&o, 0);
}
