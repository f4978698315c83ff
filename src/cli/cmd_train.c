// build/sentiment train <subcommand>: everything that makes a model (src/train/): MLM
// pretraining, fine-tuning, word-piece embeddings, the packed data for the PyTorch mirror,
// resuming and exporting runs, and the n-gram teacher (cmd_teacher.c) they distil from.
//
// OpenBLAS reads OPENBLAS_CORETYPE (train/blas_cpu.h: which kernels this CPU gets) and its thread
// count only when the library is loaded, before main() runs; so the command sets them and
// re-executes itself once.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "train/blas_cpu.h"
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
            "       sentiment train pack --data FILES --vocab VOCAB --out-dir DIR [--teacher TSV] [options]\n"
            "       sentiment train teacher fit|label ...   (sentiment train teacher --help)\n"
            "       sentiment train calibrate --model IN --out OUT --data FILES ...   (--help)\n"
            "       sentiment train hybrid --model IN --out OUT --data FILES ...   (--help)\n\n"
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
            "                   finetune would use, for build_scripts/train/torch_mirror.py (train/pack.h)\n"
            "  teacher          the n-gram teacher finetune --teacher distils from: fit it, or label reviews\n"
            "  calibrate        temperature scaling of a model file on the validation data (honest confidences)\n"
            "  hybrid           add an n-gram model to a model file, its logit mixed with the transformer's\n\n"
            "  --data FILES     comma-separated IMDb TSV.gz files (e.g. ../shared/data/imdb/train.tsv.gz)\n"
            "  --vocab FILE     WordPiece vocab.txt (e.g. ../shared/vocab/vocab.txt)\n"
            "  --out-dir DIR    checkpoint.bin, log.csv, token cache, hf/ (Hugging Face export, per epoch)\n"
            "  --sst2 FILE      also SST-2 (../shared/data/sst2/train.tsv.gz): its phrases train, its 2,000 longest\n"
            "                   sentences are a second validation set (train/sst2.h; not for embed)\n"
            "  --imdb-per-epoch N (0 = all)  each epoch: N IMDb training rows, drawn afresh per epoch,\n"
            "                   and every SST-2 row (continuing a model on SST-2 without the cost of all reviews)\n"
            "  --init FILE      start from this checkpoint's weights (e.g. a pretraining run's), or from a\n"
            "                   model file's (.smf, e.g. weights/sentiment.smf; int8 tensors dequantized)\n"
            "  --teacher FILE   finetune: distil from `sentiment train teacher label` output for every row of\n"
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

// Re-executes with OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set; returns only
// when that already happened (or exec failed, which leaves a slower but correct run).
static void reexec_with_blas_env(int argc, char **argv, int threads) {
    if (getenv(REEXEC_MARK)) return;
    char n[16];
    snprintf(n, sizeof n, "%d", threads);
    const char *coretype = sent_openblas_coretype();
    if (coretype) setenv("OPENBLAS_CORETYPE", coretype, 0);   // a user's own choice wins
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
    const char *mode = argv[1];
    if (sent_args_choice(CMD_TRAIN_SUBCOMMANDS, mode) < 0) {
        fprintf(stderr, "train: unknown mode '%s' (one of %s)\n", mode, CMD_TRAIN_SUBCOMMANDS);
        return 2;
    }
    if (!strcmp(mode, "teacher")) return cmd_teacher(argc - 1, argv + 1);
    if (!strcmp(mode, "calibrate")) return cmd_calibrate(argc - 1, argv + 1);
    if (!strcmp(mode, "hybrid")) return cmd_hybrid(argc - 1, argv + 1);
    int resume = !strcmp(mode, "resume"), export = !strcmp(mode, "export"), embed = !strcmp(mode, "embed");
    int pack = !strcmp(mode, "pack");
    SentTrainOptions o;
    sent_train_default_options(&o);
    int cosine = 0;
    SentEmbedOptions eo;
    sent_embed_default_options(&eo);
    float embed_std = DEFAULT_EMBED_STD;
    int lr_given = 0, epochs_given = 0;
    int embed_option_given = 0;   // embed's own options; the other modes refuse them
    const double any = SENT_ARGS_NO_LIMIT;
    SentArg args[] = {
        SENT_OPT("--data", SENT_ARG_BUFFER, o.data, .size = sizeof o.data),
        SENT_OPT("--vocab", SENT_ARG_BUFFER, o.vocab, .size = sizeof o.vocab),
        SENT_OPT("--out-dir", SENT_ARG_BUFFER, o.out_dir, .size = sizeof o.out_dir),
        SENT_OPT("--init", SENT_ARG_BUFFER, o.init, .size = sizeof o.init),
        SENT_OPT("--teacher", SENT_ARG_BUFFER, o.teacher, .size = sizeof o.teacher),
        SENT_OPT("--sst2", SENT_ARG_BUFFER, o.sst2, .size = sizeof o.sst2),
        SENT_OPT("--imdb-per-epoch", SENT_ARG_INT, &o.imdb_per_epoch, .min = 0, .max = any),
        SENT_OPT("--distill-alpha", SENT_ARG_FLOAT, &o.distill_alpha, .min = 0, .max = any),
        SENT_OPT("--schedule", SENT_ARG_CHOICE, &cosine, .choices = "linear|cosine"),
        SENT_OPT("--layers", SENT_ARG_INT, &o.model.n_layers, .min = 0, .max = any),
        SENT_OPT("--dim", SENT_ARG_INT, &o.model.dim, .min = 0, .max = any),
        SENT_OPT("--heads", SENT_ARG_INT, &o.model.n_heads, .min = 0, .max = any),
        SENT_OPT("--hidden", SENT_ARG_INT, &o.model.hidden_dim, .min = 0, .max = any),
        SENT_OPT("--max-positions", SENT_ARG_INT, &o.model.max_position_embeddings, .min = 0, .max = any),
        SENT_OPT("--seq-len", SENT_ARG_INT, &o.seq_len, .min = 0, .max = any),
        SENT_OPT("--head-tokens", SENT_ARG_INT, &o.head_tokens, .min = 0, .max = any),
        SENT_OPT("--batch", SENT_ARG_INT, &o.batch, .min = 0, .max = any),
        SENT_OPT("--epochs", SENT_ARG_INT, &o.epochs, .min = 0, .max = any, .given = &epochs_given),
        SENT_OPT("--steps", SENT_ARG_INT, &o.max_steps, .min = 0, .max = any),
        SENT_OPT("--warmup", SENT_ARG_INT, &o.warmup_steps, .min = 0, .max = any),
        SENT_OPT("--valid-size", SENT_ARG_INT, &o.valid_size, .min = 0, .max = any),
        SENT_OPT("--threads", SENT_ARG_INT, &o.threads, .min = 0, .max = any),
        SENT_OPT("--log-every", SENT_ARG_INT, &o.log_every, .min = 0, .max = any),
        SENT_OPT("--checkpoint-every", SENT_ARG_INT, &o.checkpoint_every, .min = 0, .max = any),
        SENT_OPT("--bucket", SENT_ARG_INT, &o.bucket_batches, .min = 0, .max = any),
        SENT_OPT("--lr", SENT_ARG_FLOAT, &o.lr, .min = 0, .max = any, .given = &lr_given),
        SENT_OPT("--min-lr-ratio", SENT_ARG_FLOAT, &o.min_lr_ratio, .min = 0, .max = any),
        SENT_OPT("--weight-decay", SENT_ARG_FLOAT, &o.weight_decay, .min = 0, .max = any),
        SENT_OPT("--clip", SENT_ARG_FLOAT, &o.clip_norm, .min = 0, .max = any),
        SENT_OPT("--dropout", SENT_ARG_FLOAT, &o.dropout, .min = 0, .max = any),
        SENT_OPT("--cls-dropout", SENT_ARG_FLOAT, &o.cls_dropout, .min = 0, .max = any),
        SENT_OPT("--mask-prob", SENT_ARG_FLOAT, &o.mask_prob, .min = 0, .max = any),
        SENT_OPT("--seed", SENT_ARG_U64, &o.seed),
        SENT_OPT("--split-seed", SENT_ARG_U64, &o.split_seed),
        SENT_OPT("--window", SENT_ARG_INT, &eo.window, .min = 0, .max = any, .given = &embed_option_given),
        SENT_OPT("--negatives", SENT_ARG_INT, &eo.negatives, .min = 0, .max = any, .given = &embed_option_given),
        SENT_OPT("--min-count", SENT_ARG_INT, &eo.min_count, .min = 0, .max = any, .given = &embed_option_given),
        SENT_OPT("--subsample", SENT_ARG_FLOAT, &eo.subsample, .min = 0, .max = any, .given = &embed_option_given),
        SENT_OPT("--embed-std", SENT_ARG_FLOAT, &embed_std, .min = 0, .max = any, .given = &embed_option_given),
    };
    int status = sent_args_parse("train", argc - 2, argv + 2, args, SENT_ARGS_COUNT(args), usage);
    if (status != SENT_ARGS_RUN) return status;
    if (!embed && embed_option_given) {
        fprintf(stderr, "train: --window, --negatives, --min-count, --subsample and --embed-std are embed options\n");
        return 2;
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
    o.cosine = cosine;
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
    if (embed && o.sst2[0]) {
        fprintf(stderr, "train: --sst2 is for pretrain, finetune and pack, not embed\n");
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
