// A hybrid model file: a transformer file with an n-gram model (src/engine/ngram.h) added, whose
// logit the engine mixes with the transformer's. `train hybrid` (src/cli/cmd_hybrid.c) fits the
// n-gram model and chooses the mix; this writes the file.
#ifndef SENT_TOOLS_HYBRID_H
#define SENT_TOOLS_HYBRID_H

#include <stddef.h>
#include <stdint.h>

#include "ngram.h"

// The n-gram group size: one scale per 64 buckets (hashing spreads large weights evenly).
#define SENT_NGRAM_GROUP 64

// A copy of the .smf file bytes[len] with ngram's tensor (SENT_NGRAM_TENSOR, int8, its weight and
// scale arrays) and metadata "ngram": {bucket_bits, max_n, bias, mix, fitted_on}. malloc'd,
// *out_len bytes; NULL with err on a file that does not parse, has 2 labels, or already has one.
uint8_t *sent_model_with_ngram(const uint8_t *bytes, size_t len, const SentNgram *ngram, const char *fitted_on,
                               size_t *out_len, char *err, size_t err_size);

#endif
