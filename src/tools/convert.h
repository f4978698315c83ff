// Hugging Face checkpoint → .smf model file. A checkpoint directory holds model.safetensors
// (DistilBertForSequenceClassification state dict; F32, F16 or BF16), config.json
// (DistilBertConfig keys) and vocab.txt. Weights are written fp32, or int8 symmetric with one
// scale per group of group_size inputs (group 0 = one scale per row); which tensors are int8 is
// distilbert_params.h's table.
#ifndef SENT_CONVERT_H
#define SENT_CONVERT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "distilbert_params.h"

typedef struct {
    int quantize;          // 0: fp32, 1: int8
    int group_size;        // int8: inputs per scale; 0 = per output row
    int max_len;           // tokens per review (0: min(512, max_position_embeddings))
    int head_only;         // 1: truncation keeps the first max_len - 2 pieces
    int head_tokens;       // else head+tail keeps this many from the start (-1: min(128, (max_len-2)/2))
    const char *name;      // model name stored in the metadata (NULL: "movie-sentiment DistilBERT")
} SentConvertOptions;

// Default options: fp32 (int8: one scale per row, group 0), max_len 512, head+tail with 128 from
// the head. One scale per row is the default because the kernels run fastest on it (one int32
// sum per output, converted once) and on the shipped model it answered within 0.1 point of fp32
// on both validation sets (weights/MODEL_CARD.md); --group 64 remains for a model that needs it.
SentConvertOptions sent_convert_defaults(void);

// What a classifier's config.json says: the network's shape and its labels.
#define SENT_HF_MAX_LABELS 16
typedef struct {
    SentDistilBertConfig model;              // model.n_labels counts the labels
    int positive_index;                      // the label named positive/pos, else 1
    char labels[SENT_HF_MAX_LABELS][64];     // empty: LABEL_i
} SentHfConfig;

// Converts the checkpoint in dir into out_path. Notes (ignored tensors, group fallbacks) go to
// log when not NULL. Returns 0, or -1 with err filled.
int sent_convert_hf(const char *dir, const char *out_path, const SentConvertOptions *opts, FILE *log, char *err,
                    size_t err_size);

// A model with random weights (scaled so every part of the network matters) for benchmarks and
// tests: the .smf bytes in a malloc'd buffer of *out_len, or NULL with err. vocab: vocab.txt text.
uint8_t *sent_convert_random(const SentHfConfig *cfg, const char *vocab, const SentConvertOptions *opts,
                             uint64_t seed, size_t *out_len, char *err, size_t err_size);

// A model file with its weights quantized anew: int8 tensors are dequantized (q * scale), then
// written as opts says (quantize, group_size; the other options are ignored): group 64 to one
// scale per row, say, or int8 back to fp32. The metadata is kept (labels, tokenizer,
// calibration) but for "quantization", and provenance.requantized_from holds the old one. Int8
// twice over is lossier than converting the checkpoint once; the fp32 file this writes from the
// same input is the reference to compare against. Returns malloc'd bytes of *out_len, or NULL
// with err.
uint8_t *sent_requantize_model(const uint8_t *bytes, size_t len, const SentConvertOptions *opts, size_t *out_len,
                               char *err, size_t err_size);

// Quantizes w[rows, cols] symmetrically, per group of `group` consecutive columns, by the rule
// activations are quantized by (kernels.h): s = max|w| / 127, q = round-half-even(w * 127 / max|w|).
// q[rows*cols], scale[rows*cols/group].
void sent_quantize_rows(int8_t *q, float *scale, const float *w, int rows, int cols, int group);

#endif
