// Training data: IMDb reviews from the project's TSV.gz files (../shared/data/README.md: a header
// line, TAB-separated columns with `label` among them and `text` last, four backslash escapes),
// tokenized once into fixed-length id rows that are cached on disk, then cut into batches.
#ifndef SENT_TRAIN_DATA_H
#define SENT_TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

typedef struct {
    int n;
    int32_t *labels;    // [n] 1 positive, 0 negative, -1 unlabelled
    char **texts;       // [n] un-escaped, NUL-terminated
    size_t *lens;       // [n] bytes
} SentReviews;

// Reads one or more comma-separated paths: TSV.gz files, or split folders of the original
// aclImdb release (pos/, neg/, unsup/ of .txt files). Dies with file:line:reason on a malformed row.
void sent_reviews_read(SentReviews *reviews, const char *paths);
void sent_reviews_free(SentReviews *reviews);
// Un-escapes \\ \t \n \r in place; returns the new length, or -1 on any other escape.
long sent_tsv_unescape(char *text, size_t len);

// Reviews as token ids, T per row: [CLS] pieces [SEP] then padding (id 0).
typedef struct {
    int n, T;
    int32_t *ids;       // [n,T]
    int32_t *lens;      // [n] real tokens per row
    int32_t *labels;    // [n]
} SentTokenRows;

// Tokenizes every review, keeping head_tokens word pieces from the start and the rest from the
// end of long reviews. With cache_path, loads the rows from there when the file matches
// (same count, T, head and vocab size) and writes it otherwise (atomically).
void sent_token_rows_build(SentTokenRows *rows, const SentReviews *reviews, SentTokenizer *tok,
                           int T, int head_tokens, const char *cache_path);
void sent_token_rows_free(SentTokenRows *rows);
// Appends more's rows (same T) after rows' own, e.g. a second data set next to the first.
void sent_token_rows_append(SentTokenRows *rows, const SentTokenRows *more);

// A deterministic permutation of 0..n-1 (Fisher-Yates over the counter-based generator).
void sent_permutation(int32_t *perm, int n, uint64_t seed);

// Teacher probabilities for distillation: reads the TSV `teacher label` writes (file, row,
// p_positive) and returns P(positive)[n_rows] in the order sent_reviews_read(paths) gives the
// rows: every comma-separated path's file name, in order, each with rows 0, 1, ... and n_rows in
// all. Dies with file:line:reason on anything else, so labels can never join the wrong reviews.
float *sent_teacher_labels_read(const char *path, const char *paths, int n_rows);

// The train/validation split every trainer and teacher shares: the labelled rows in a permutation
// seeded by seed, written to order[0..*n_usable); the last n_valid of them (valid_size, at most
// half) are validation. The permutation runs over the labelled rows alone, so adding unlabelled
// files (in any position) leaves the validation reviews unchanged. With all_rows (pretraining on
// texts), the unlabelled rows join the training part and the validation rows are the same
// labelled ones, so no stage ever trains on a validation review's text; only when no row has a
// label are the validation rows drawn from all of them. Returns n_valid.
int sent_split_rows(const int32_t *labels, int n, int all_rows, int valid_size, uint64_t seed,
                    int32_t *order, int *n_usable);

// Copies rows[index[0..B)] into ids[B,Tb], mask[B,Tb] (1 for real tokens) and labels[B], where
// Tb, the return value, is the batch's longest row rounded up to a multiple of 8 (at most T):
// padding beyond it would only be masked out.
int sent_batch_gather(const SentTokenRows *rows, const int32_t *index, int B, int32_t *ids,
                      uint8_t *mask, int32_t *labels);

// Sorts index[0..n) by lens[index[i]], ties by index: evaluation batches then hold similar lengths.
void sent_sort_by_length(int32_t *index, size_t n, const int32_t *lens);

// One epoch's training rows, shuffled: order[0..n_sample + n_rest) gets n_sample of
// train_index[0..n_pool) (all of them, untouched, when n_sample >= n_pool; else a fresh draw from
// pool_seed) and every row of train_index[n_pool..n_pool + n_rest), in an order drawn from
// order_seed. The trainer's pool is IMDb, the rest SST-2 (--imdb-per-epoch). scratch and picked
// hold n_pool + n_rest each.
void sent_epoch_rows(int32_t *order, const int32_t *train_index, int n_pool, int n_sample, int n_rest,
                     uint64_t pool_seed, uint64_t order_seed, int32_t *scratch, int32_t *picked);

// Length bucketing: rewrites order[0..n_batches*B) (already shuffled) so each batch holds rows of
// similar length: every run of bucket_batches batches is sorted by length, then the batches are
// put in an order drawn from seed. Same rows, same number of batches; scratch holds n_batches*(B+1).
void sent_bucket_by_length(int32_t *order, int n_batches, int B, int bucket_batches,
                           const int32_t *lens, uint64_t seed, int32_t *scratch);

// BERT masking of ids[B,T] in place: of the tokens between [CLS] and [SEP], round(mask_prob *
// count) (at least one) are chosen; 80 % become mask_id, 10 % a random id in [first_random_id,
// vocab_size), 10 % stay. Writes the flat positions b*T+t to rows[] and original ids to
// targets[]; returns how many (at most max_masked).
int sent_mlm_mask(int32_t *ids, const uint8_t *mask, int B, int T, float mask_prob, int mask_id,
                  int first_random_id, int vocab_size, uint64_t seed, int32_t *rows,
                  int32_t *targets, int max_masked);

#endif
