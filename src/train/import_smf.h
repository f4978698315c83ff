// Starting a training run from a shipped model file (.smf, weights/FORMAT.md) instead of a
// trainer checkpoint: the route that continues the shipped model when its fp32 checkpoint is not
// at hand (the repository keeps only the int8 file).
#ifndef SENT_TRAIN_IMPORT_SMF_H
#define SENT_TRAIN_IMPORT_SMF_H

#include <stddef.h>

#include "train/trainable_distilbert.h"

// 1 when path starts with the .smf magic (so --init can take either kind of file), else 0.
int sent_is_model_file(const char *path);

// Sets every encoder and classification-head parameter of model from the file at path, walked
// through distilbert_params.h's table; int8 tensors are dequantized (q * their group's scale), so
// the start is the file's own network to within its rounding. The masked-LM head, which a
// classifier file does not hold, keeps whatever model holds. The file's config must equal
// model->config. 0, or -1 with err naming the mismatch, the missing tensor or the bad file.
int sent_bert_import_model_file(SentBert *model, const char *path, char *err, size_t err_size);

#endif
