// The training data as one file for the PyTorch mirror of the trainer (build_scripts/train/torch_mirror.py),
// which has no tokenizer or split of its own: the same token rows, validation reviews and teacher
// labels as `train finetune` with the same options, so both trainers learn from the same data.
//
// Layout (little-endian), every array in row order, the order sent_reviews_read gives:
//   char magic[4] "SMPK"; uint32 version (1); uint32 n_rows, T, head_tokens, vocab_size;
//   uint64 n_tokens;
//   int8   label[n_rows]       1 positive, 0 negative, -1 unlabelled
//   uint8  valid[n_rows]       1 for the held-out validation reviews (never trained on)
//   float  teacher[n_rows]     the teacher's P(positive), NaN without --teacher
//   uint16 len[n_rows]         tokens of each row, [CLS] and [SEP] included (at most T)
//   uint16 ids[n_tokens]       the rows' tokens, one after another (no padding)
//
// With --sst2, SST-2 goes into a second file of this same format, pack-sst2.bin (pack.bin stays
// what it is without it): its held-out rows (valid 1) first, then its training rows, teacher NaN.
#ifndef SENT_TRAIN_PACK_H
#define SENT_TRAIN_PACK_H

#include "train/train.h"

#define SENT_PACK_VERSION 1

// Writes o->out_dir/pack.bin from o->data (tokenized with o->vocab into o->seq_len rows, head +
// tail), o->valid_size / o->split_seed and, when set, o->teacher; and with o->sst2, pack-sst2.bin.
// Returns 0, or 1 after printing why.
int sent_train_pack(const SentTrainOptions *o);

#endif
