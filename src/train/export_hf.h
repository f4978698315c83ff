// Writes a trained model as a Hugging Face checkpoint directory (config.json, model.safetensors,
// vocab.txt): the sequence-classification model, or with mlm the masked-LM one.
#ifndef SENT_TRAIN_EXPORT_HF_H
#define SENT_TRAIN_EXPORT_HF_H

#include "train/trainable_distilbert.h"

void sent_export_hf(const SentBert *model, const char *dir, const char *vocab_path, int mlm);

#endif
