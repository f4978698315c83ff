// The training run: MLM pretraining or classification fine-tuning of a SentBert on IMDb, with
// AdamW, warmup + linear/cosine decay, global-norm clipping, dropout, per-epoch validation,
// checkpoints that resume a run exactly, and Hugging Face exports.
#ifndef SENT_TRAIN_TRAIN_H
#define SENT_TRAIN_TRAIN_H

#include <stdint.h>

#include "train/data.h"
#include "train/embed.h"
#include "train/trainable_distilbert.h"

// Plain data (no pointers): a checkpoint stores every field, so --resume needs only the
// directory. checkpoint.c lists them in the file's order; a new field is appended there too.
typedef struct {
    char task[16];            // "pretrain" (masked LM), "finetune" (classification) or "embed"
    char data[2048];          // comma-separated TSV.gz files
    char vocab[1024];         // vocab.txt
    char out_dir[1024];       // checkpoints, token cache, log.csv, hf/ export
    char init[1024];          // checkpoint whose weights start a fresh run ("" = random init)
    SentDistilBertConfig model;   // layer_norm_eps 0 (DistilBERT's): checkpoints do not store it
    int seq_len;              // tokens per review, [CLS]/[SEP] included
    int head_tokens;          // word pieces kept from the start of a long review (rest: its end)
    int batch;
    int epochs;               // used when max_steps == 0
    int max_steps;
    int warmup_steps;
    int cosine;               // 1: cosine decay, 0: linear decay
    int log_every;
    int checkpoint_every;     // steps; a checkpoint is also written after every epoch
    int valid_size;           // reviews carved from the training data for validation
    int threads;
    float lr, min_lr_ratio;   // peak learning rate; final = peak * min_lr_ratio
    float weight_decay, beta1, beta2, adam_eps, clip_norm;
    float dropout, cls_dropout, mask_prob;
    uint64_t seed;            // initialisation, shuffling, dropout, masking
    uint64_t split_seed;      // which reviews are held out for validation
    // distillation (fine-tuning only; appended last so older checkpoints still load)
    char teacher[1024];       // teacher labels (teacher label's TSV) for every row of data; "" = none
    float distill_alpha;      // labelled rows: alpha * CE(label) + (1 - alpha) * CE(teacher)
    // appended later still: 0 (what older checkpoints read) keeps their plain shuffled batches
    int bucket_batches;       // batches of similar-length reviews, sorted in runs of this many
    // SST-2 next to IMDb (train/sst2.h): its training rows join the training data, its held-out
    // rows are a second validation set; "" (what older checkpoints read) = IMDb alone
    char sst2[1024];
    // each epoch's IMDb rows: this many, drawn afresh per epoch, beside every SST-2 row, so the
    // short phrases are seen every epoch without paying for all the long reviews; 0 = all
    int imdb_per_epoch;
} SentTrainOptions;

void sent_train_default_options(SentTrainOptions *opts);
// The tokenizer and the token rows of opts->data (rows of opts->seq_len, head + tail), cached in
// opts->out_dir (created if missing). Returns the tokenizer (the caller frees it), or NULL after printing why.
SentTokenizer *sent_train_load_rows(const SentTrainOptions *opts, SentTokenRows *rows);
// The learning rate of step (from 0) of total: linear warmup to lr over warmup_steps, then
// linear or cosine decay to lr * min_lr_ratio at the last step.
float sent_train_learning_rate(const SentTrainOptions *opts, long step, long total);
// Runs (or, with resume, continues from out_dir/checkpoint.bin) a training run. Returns 0.
int sent_train_run(SentTrainOptions *opts, int resume);
// Trains word-piece vectors (embed.h) on every row of opts->data except the labelled validation
// reviews, scales them to per-component standard deviation embed_std, and writes
// opts->out_dir/checkpoint.bin: a freshly initialised model with those word embeddings, for
// --init. Returns 0.
int sent_train_embed(SentTrainOptions *opts, const SentEmbedOptions *embed, float embed_std);

// Checkpoints: options, step, elapsed seconds, parameters and both Adam moments.
void sent_checkpoint_save(const char *path, const SentTrainOptions *opts, const SentBert *model,
                          long step, double elapsed);
// Reads the options and step of a checkpoint (model == NULL), or also its tensors into a model
// built with the same shape. Dies with a clear message on a corrupt or mismatched file.
void sent_checkpoint_load(const char *path, SentTrainOptions *opts, SentBert *model, long *step,
                          double *elapsed, int with_adam);

#endif
