// In-domain word-piece embeddings by skip-gram with negative sampling (word2vec, Mikolov et al.
// 2013) over the unlabelled texts: minutes of one core, against hours for masked-LM pretraining,
// and it gives every word piece of IMDb's 75,000 training + unlabelled reviews a vector before
// fine-tuning sees the 22,500 labelled ones. `train embed` writes the vectors into the word
// embeddings of a freshly initialised model checkpoint, which `--init` then starts from.
#ifndef SENT_TRAIN_EMBED_H
#define SENT_TRAIN_EMBED_H

#include <stdint.h>

#include "train/data.h"

typedef struct {
    int dim;              // C: the model's embedding width
    int window;           // context: up to this many word pieces on each side (shrunk at random)
    int negatives;        // sampled negatives per (centre, context) pair
    int epochs;
    int min_count;        // word pieces seen fewer times keep their initial vector
    int threads;          // Hogwild over reviews; 1 gives a deterministic result
    float lr;             // starting step size, decayed linearly to lr * 1e-4
    float subsample;      // frequent pieces are dropped with probability 1 - sqrt(t / f) (t = this)
    uint64_t seed;
} SentEmbedOptions;

void sent_embed_default_options(SentEmbedOptions *o);

// One skip-gram step for a centre vector x[C] against one output vector y[C]: label 1 for the
// observed context, 0 for a negative. Ascends log σ(x·y) (or log σ(-x·y)) by lr: adds
// lr * dL/dx to grad_x[C] (applied by the caller after all its targets) and updates y in place.
// Returns the pair's loss, -log σ(±x·y).
float sent_sgns_step(const float *x, float *y, float *grad_x, int label, float lr, int C);

// Trains vectors[V,C] (input vectors, initialised here) on the word pieces of rows[i] for the
// n_rows indices in row_index, skipping [CLS], [SEP] and ids below first_token_id. Prints the
// loss per epoch to stderr. counts[V] receives each piece's frequency. Returns the last epoch's
// mean pair loss.
float sent_embed_train(float *vectors, int64_t *counts, int V, const SentTokenRows *rows,
                       const int32_t *row_index, int n_rows, int first_token_id,
                       const SentEmbedOptions *o);

#endif
