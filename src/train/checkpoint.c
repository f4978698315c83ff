// Checkpoint file: "SENTCKPT", uint32 version, uint32 sizeof(SentTrainOptions), the options,
// int64 step, float64 elapsed seconds, uint64 parameter count, then parameters, Adam m and Adam v
// (float32, SentBertParams order). Dropout, masking and shuffling are drawn from counters keyed
// by (seed, step), so these fields are the whole state of a run: a resumed run continues
// bit-for-bit. Written to a temporary file, flushed to disk and renamed over the old one.
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/train.h"
#include "util.h"

static const char CHECKPOINT_MAGIC[8] = "SENTCKPT";
#define CHECKPOINT_VERSION 1u

void sent_checkpoint_save(const char *path, const SentTrainOptions *opts, const SentBert *model,
                          long step, double elapsed) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopenCheck(tmp, "wb");
    uint32_t header[2] = {CHECKPOINT_VERSION, (uint32_t)sizeof *opts};
    int64_t step64 = step;
    uint64_t n = model->num_params;
    fwriteCheck(CHECKPOINT_MAGIC, 1, 8, f);
    fwriteCheck(header, sizeof header, 1, f);
    fwriteCheck(opts, sizeof *opts, 1, f);
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
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "error: cannot rename %s to %s (%s)\n", tmp, path, strerror(errno));
        exit(EXIT_FAILURE);
    }
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
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, CHECKPOINT_MAGIC, 8)) corrupt(path, "not a checkpoint");
    if (fread(header, sizeof header, 1, f) != 1 || header[0] != CHECKPOINT_VERSION ||
        header[1] > sizeof stored || header[1] < offsetof(SentTrainOptions, teacher))
        corrupt(path, "written by another version of the trainer");
    // Options only grow at their end (the distillation fields came last): an older checkpoint's
    // shorter block reads with those fields zero, which means "no teacher".
    memset(&stored, 0, sizeof stored);
    if (fread(&stored, header[1], 1, f) != 1 || fread(&step64, sizeof step64, 1, f) != 1 ||
        fread(elapsed, sizeof *elapsed, 1, f) != 1 || fread(&n, sizeof n, 1, f) != 1)
        corrupt(path, "truncated header");
    stored.task[sizeof stored.task - 1] = stored.data[sizeof stored.data - 1] = '\0';
    stored.vocab[sizeof stored.vocab - 1] = stored.out_dir[sizeof stored.out_dir - 1] = '\0';
    stored.init[sizeof stored.init - 1] = stored.teacher[sizeof stored.teacher - 1] = '\0';
    stored.sst2[sizeof stored.sst2 - 1] = '\0';
    if (opts) *opts = stored;
    *step = (long)step64;
    if (model) {
        SentBertConfig a = model->config, b = stored.model;
        if (a.vocab_size != b.vocab_size || a.max_positions != b.max_positions || a.n_layers != b.n_layers ||
            a.dim != b.dim || a.n_heads != b.n_heads || a.hidden_dim != b.hidden_dim ||
            a.n_labels != b.n_labels || n != model->num_params)
            corrupt(path, "its model shape differs from this run's");
        int ok = fread(model->params_memory, sizeof(float), n, f) == n;
        if (with_adam)
            ok = ok && fread(model->adam_m_memory, sizeof(float), n, f) == n &&
                 fread(model->adam_v_memory, sizeof(float), n, f) == n;
        if (!ok) corrupt(path, "truncated tensors");
    }
    fclose(f);
}
