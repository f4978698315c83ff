// Checkpoint file: "SENTCKPT", uint32 version, uint32 size of the options block, the options
// block (below), int64 step, float64 elapsed seconds, uint64 parameter count, then parameters,
// Adam m and Adam v (float32, SentBertParams order). Dropout, masking and shuffling are drawn
// from counters keyed by (seed, step), so these fields are the whole state of a run: a resumed
// run continues bit-for-bit. Written to a temporary file, flushed to disk and renamed over the
// old one.
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/train.h"
#include "util.h"

static const char CHECKPOINT_MAGIC[8] = "SENTCKPT";
#define CHECKPOINT_VERSION 1u

// The options block: these fields of SentTrainOptions, packed in this order (version 1's layout,
// which was the struct's own while the model shape held its seven integers). The block only
// grows at its end: an older trainer's shorter block reads with the later fields zero (the
// distillation fields, then bucket_batches, then sst2 and imdb_per_epoch came last). The model's layer_norm_eps is not
// stored and reads 0: the trainer's LayerNorms are DistilBERT's.
#define FIELD(f) {offsetof(SentTrainOptions, f), sizeof(((SentTrainOptions *)0)->f)}
static const struct {
    size_t offset, size;
} STORED_OPTIONS[] = {
    FIELD(task), FIELD(data), FIELD(vocab), FIELD(out_dir), FIELD(init),
    FIELD(model.vocab_size), FIELD(model.max_position_embeddings), FIELD(model.n_layers), FIELD(model.dim),
    FIELD(model.n_heads), FIELD(model.hidden_dim), FIELD(model.n_labels),
    FIELD(seq_len), FIELD(head_tokens), FIELD(batch), FIELD(epochs), FIELD(max_steps), FIELD(warmup_steps),
    FIELD(cosine), FIELD(log_every), FIELD(checkpoint_every), FIELD(valid_size), FIELD(threads),
    FIELD(lr), FIELD(min_lr_ratio), FIELD(weight_decay), FIELD(beta1), FIELD(beta2), FIELD(adam_eps),
    FIELD(clip_norm), FIELD(dropout), FIELD(cls_dropout), FIELD(mask_prob), FIELD(seed), FIELD(split_seed),
    FIELD(teacher), FIELD(distill_alpha),
    FIELD(bucket_batches), FIELD(sst2), FIELD(imdb_per_epoch),
};
#define N_STORED_OPTIONS (int)(sizeof STORED_OPTIONS / sizeof STORED_OPTIONS[0])

// Where the field at `offset` of SentTrainOptions starts in the block (SIZE_MAX: the block's size).
static size_t block_offset(size_t offset) {
    size_t at = 0;
    for (int i = 0; i < N_STORED_OPTIONS && STORED_OPTIONS[i].offset != offset; i++) at += STORED_OPTIONS[i].size;
    return at;
}

static size_t pack_options(uint8_t *block, const SentTrainOptions *opts) {
    size_t at = 0;
    for (int i = 0; i < N_STORED_OPTIONS; i++) {
        memcpy(block + at, (const char *)opts + STORED_OPTIONS[i].offset, STORED_OPTIONS[i].size);
        at += STORED_OPTIONS[i].size;
    }
    return at;
}

static void unpack_options(SentTrainOptions *opts, const uint8_t *block, size_t len) {
    memset(opts, 0, sizeof *opts);
    size_t at = 0;
    for (int i = 0; i < N_STORED_OPTIONS && at + STORED_OPTIONS[i].size <= len; i++) {
        memcpy((char *)opts + STORED_OPTIONS[i].offset, block + at, STORED_OPTIONS[i].size);
        at += STORED_OPTIONS[i].size;
    }
}

void sent_checkpoint_save(const char *path, const SentTrainOptions *opts, const SentBert *model,
                          long step, double elapsed) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopenCheck(tmp, "wb");
    uint8_t block[sizeof *opts];
    size_t block_size = pack_options(block, opts);
    uint32_t header[2] = {CHECKPOINT_VERSION, (uint32_t)block_size};
    int64_t step64 = step;
    uint64_t n = model->num_params;
    fwriteCheck(CHECKPOINT_MAGIC, 1, 8, f);
    fwriteCheck(header, sizeof header, 1, f);
    fwriteCheck(block, 1, block_size, f);
    fwriteCheck(&step64, sizeof step64, 1, f);
    fwriteCheck(&elapsed, sizeof elapsed, 1, f);
    fwriteCheck(&n, sizeof n, 1, f);
    fwriteCheck(model->params_memory, sizeof(float), n, f);
    fwriteCheck(model->adam_m_memory, sizeof(float), n, f);
    fwriteCheck(model->adam_v_memory, sizeof(float), n, f);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fprintf(stderr, "error: cannot flush %s (%s)\n", tmp, strerror(errno));
        exit(EXIT_FAILURE);
    }
    fcloseCheck(f);
    renameCheck(tmp, path);
}

static void corrupt(const char *path, const char *why) {
    fprintf(stderr, "error: checkpoint %s: %s\n", path, why);
    exit(EXIT_FAILURE);
}

void sent_checkpoint_load(const char *path, SentTrainOptions *opts, SentBert *model, long *step,
                          double *elapsed, int with_adam) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "error: cannot open checkpoint %s (%s)\n", path, strerror(errno));
        exit(EXIT_FAILURE);
    }
    char magic[8];
    uint32_t header[2];
    int64_t step64;
    uint64_t n;
    SentTrainOptions stored;
    uint8_t block[sizeof stored];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, CHECKPOINT_MAGIC, 8)) corrupt(path, "not a checkpoint");
    if (fread(header, sizeof header, 1, f) != 1 || header[0] != CHECKPOINT_VERSION ||
        header[1] > block_offset(SIZE_MAX) || header[1] < block_offset(offsetof(SentTrainOptions, teacher)))
        corrupt(path, "written by another version of the trainer");
    // An older checkpoint's shorter block reads with the later fields zero: "no teacher", plain batches.
    if (fread(block, header[1], 1, f) != 1 || fread(&step64, sizeof step64, 1, f) != 1 ||
        fread(elapsed, sizeof *elapsed, 1, f) != 1 || fread(&n, sizeof n, 1, f) != 1)
        corrupt(path, "truncated header");
    unpack_options(&stored, block, header[1]);
    stored.task[sizeof stored.task - 1] = stored.data[sizeof stored.data - 1] = '\0';
    stored.vocab[sizeof stored.vocab - 1] = stored.out_dir[sizeof stored.out_dir - 1] = '\0';
    stored.init[sizeof stored.init - 1] = stored.teacher[sizeof stored.teacher - 1] = '\0';
    stored.sst2[sizeof stored.sst2 - 1] = '\0';
    if (opts) *opts = stored;
    *step = (long)step64;
    if (model) {
        if (!sent_distilbert_config_same(&model->config, &stored.model) || n != model->num_params)
            corrupt(path, "its model shape differs from this run's");
        int ok = fread(model->params_memory, sizeof(float), n, f) == n;
        if (with_adam)
            ok = ok && fread(model->adam_m_memory, sizeof(float), n, f) == n &&
                 fread(model->adam_v_memory, sizeof(float), n, f) == n;
        if (!ok) corrupt(path, "truncated tensors");
    }
    fclose(f);
}
