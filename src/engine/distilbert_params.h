// DistilBERT's parameters, described once: the config that shapes the network (Hugging Face
// DistilBertConfig's names) and every tensor of its state dict (name, shape, order, role, and
// whether the converter quantizes it). The engine's loader (model.c), the converter
// (tools/convert.c) and the trainer (train/trainable_distilbert.c, train/export_hf.c) all walk
// this table; nothing else spells a tensor name.
#ifndef SENT_DISTILBERT_PARAMS_H
#define SENT_DISTILBERT_PARAMS_H

#include <stddef.h>

#include "cJSON.h"
#include "model_file.h"

// DistilBERT's LayerNorms use this eps (modeling_distilbert.py; config.json has no such key).
#define SENT_DISTILBERT_LAYER_NORM_EPS 1e-12f

// The network's shape. Letters are the shape vocabulary of the tensors below.
typedef struct {
    int vocab_size;                // V
    int max_position_embeddings;   // P
    int n_layers;                  // L
    int dim;                       // D
    int n_heads;                   // attention heads of D / n_heads each
    int hidden_dim;                // H, the feed-forward width
    int n_labels;                  // C, the classification head's outputs
    float layer_norm_eps;          // 0 in an initializer: DistilBERT's (sent_distilbert_config_check)
} SentDistilBertConfig;

// Checks every field against what the engine and the trainer support (the same ranges whatever
// the config came from) and resolves layer_norm_eps 0 to DistilBERT's. Messages start with
// `where` ("config." for the .smf metadata, "config.json: "...). 0, or -1 with err.
int sent_distilbert_config_check(SentDistilBertConfig *cfg, const char *where, char *err, size_t err_size);

// 1 when a and b describe the same network (layer_norm_eps 0 and DistilBERT's are the same).
int sent_distilbert_config_same(const SentDistilBertConfig *a, const SentDistilBertConfig *b);

// Reads and checks a config from a JSON object with DistilBertConfig's keys, one rule for both
// sources: vocab_size, dim, n_layers, n_heads, hidden_dim and max_position_embeddings are
// required integers; activation must be "gelu". The .smf metadata's "config" object (hf = 0)
// also holds n_labels, activation and layer_norm_eps, all required. A Hugging Face config.json
// (hf = 1) counts its labels in id2label (2 without one), may omit activation, and its LayerNorm
// eps is DistilBERT's. 0, or -1 with err.
int sent_distilbert_config_from_json(SentDistilBertConfig *cfg, const cJSON *json, int hf, const char *where,
                                     char *err, size_t err_size);

// Adds cfg's keys to obj: as the .smf metadata's "config" (hf = 0: every field, activation and
// layer_norm_eps) or as a config.json (hf = 1: the shape; labels are id2label's business).
void sent_distilbert_config_to_json(const SentDistilBertConfig *cfg, cJSON *obj, int hf);

// The modules holding the tensors, in state-dict order.
typedef enum {
    SENT_MODULE_WORD_EMBEDDINGS,
    SENT_MODULE_POSITION_EMBEDDINGS,
    SENT_MODULE_EMBEDDINGS_LAYER_NORM,
    SENT_MODULE_Q_LIN,                  // per transformer block from here
    SENT_MODULE_K_LIN,
    SENT_MODULE_V_LIN,
    SENT_MODULE_OUT_LIN,
    SENT_MODULE_SA_LAYER_NORM,
    SENT_MODULE_LIN1,
    SENT_MODULE_LIN2,
    SENT_MODULE_OUTPUT_LAYER_NORM,      // ... to here
    SENT_MODULE_PRE_CLASSIFIER,
    SENT_MODULE_CLASSIFIER,
    SENT_MODULE_VOCAB_TRANSFORM,
    SENT_MODULE_VOCAB_LAYER_NORM,
    SENT_MODULE_VOCAB_PROJECTOR,
    SENT_MODULE_COUNT
} SentModule;

typedef enum {
    SENT_TENSOR_EMBEDDING,     // a lookup table [rows, D]
    SENT_TENSOR_WEIGHT,        // a Linear's weight [out, in]
    SENT_TENSOR_BIAS,          // a Linear's bias [out]
    SENT_TENSOR_NORM_WEIGHT,   // a LayerNorm's gain [D]
    SENT_TENSOR_NORM_BIAS,     // a LayerNorm's shift [D]
} SentTensorKind;

// The parts of the network a walk covers; a model is the encoder plus one head.
typedef enum {
    SENT_PART_ENCODER = 1,       // embeddings and transformer blocks
    SENT_PART_CLASSIFIER = 2,    // DistilBertForSequenceClassification's head
    SENT_PART_MLM = 4,           // DistilBertForMaskedLM's head; its projector's weight is tied to
                                 // the word embeddings and, as in HF's state dict, not listed
} SentPart;
#define SENT_SEQUENCE_CLASSIFIER (SENT_PART_ENCODER | SENT_PART_CLASSIFIER)
#define SENT_MASKED_LM (SENT_PART_ENCODER | SENT_PART_MLM)
#define SENT_ALL_PARTS (SENT_PART_ENCODER | SENT_PART_CLASSIFIER | SENT_PART_MLM)

#define SENT_PARAM_NAME_SIZE 96   // the .smf tensor name field's size

// One tensor of a config's state dict.
typedef struct {
    char name[SENT_PARAM_NAME_SIZE];   // Hugging Face's state-dict name, layer index expanded
    SentModule module;
    SentTensorKind kind;
    SentPart part;
    int layer;                         // the transformer block, -1 outside the blocks
    int rows, cols;                    // shape [rows, cols]; rows 0: a vector of cols
    int quantize;                      // 1: int8 when the converter quantizes
} SentParam;

// Tensor i (from 0) of the state dict of `parts` (SentPart bits), in state-dict order: the
// encoder, then the classification head, then the MLM head. Returns 1, or 0 when i is past the
// last (p untouched). Loop: for (int i = 0; sent_distilbert_param(cfg, parts, i, &p); i++).
int sent_distilbert_param(const SentDistilBertConfig *cfg, int parts, int i, SentParam *p);
// How many tensors sent_distilbert_param walks for `parts`.
int sent_distilbert_param_count(const SentDistilBertConfig *cfg, int parts);

// dst[numel] = a model file's tensor t for parameter p as fp32 (int8 dequantized: q times its
// group's scale), after checking it has exactly p's shape. 0, or -1 with err naming the tensor.
int sent_param_read_f32(const SentParam *p, const SentTensor *t, float *dst, char *err, size_t err_size);

#endif
