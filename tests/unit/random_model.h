// A random-weight two-label model file (NEGATIVE, POSITIVE) over a 30-piece movie-review vocab,
// built in memory by the converter: the model the unit tests run the engine on.
#ifndef SENT_TEST_RANDOM_MODEL_H
#define SENT_TEST_RANDOM_MODEL_H

#include <stdint.h>
#include <string.h>

#include "check.h"
#include "tools/convert.h"

static const char *const RANDOM_MODEL_VOCAB =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nmovie\nwas\ngreat\nbad\nterrible\ngood\nfilm\ni\nloved\nit\n.\n,\n!\n"
    "a\nnot\n##s\n##ing\nplot\nacting\nboring\nfun\nand\nbut\nhated\n";

// shape's vocab_size must be at least the vocab's 30 pieces; n_labels is 2. opts sets the
// quantization, group size and truncation. The bytes are malloc'd (NULL after a failed CHECK).
static inline uint8_t *random_model(SentDistilBertConfig shape, SentConvertOptions opts, uint64_t seed, size_t *len) {
    SentHfConfig cfg = {.model = shape, .positive_index = 1};
    cfg.model.n_labels = 2;
    strcpy(cfg.labels[0], "NEGATIVE");
    strcpy(cfg.labels[1], "POSITIVE");
    char err[256];
    uint8_t *bytes = sent_convert_random(&cfg, RANDOM_MODEL_VOCAB, &opts, seed, len, err, sizeof err);
    CHECK_MSG(bytes != NULL, "%s", err);
    return bytes;
}

#endif
