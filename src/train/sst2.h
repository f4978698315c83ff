// SST-2 (../shared/data/README.md, section 2) as training and validation data: its PTB-tokenised
// text turned back into what people type, and the one validation split every stage shares.
//
// The rows are phrases of the treebank's sentences, many of them sub-phrases of another row, so
// a random split leaks. The split here holds out the SENT_SST2_VALID_ROWS longest distinct rows
// (whole sentences: a row that occurs inside a longer one is not counted), and drops from training every row
// whose text occurs anywhere inside a held-out one (a plain byte substring of the detokenized
// texts, word boundaries or not: the strictest reading, at the cost of some short phrases).
#ifndef SENT_TRAIN_SST2_H
#define SENT_TRAIN_SST2_H

#include <stddef.h>
#include <stdint.h>

#include "train/data.h"

// How many rows are held out: fixed, so that the trainer, `train pack` and `eval --sst2-valid` can
// only ever mean the same rows.
#define SENT_SST2_VALID_ROWS 2000

// Rewrites PTB-tokenised text in place into ordinary spelling and returns the new length (the text
// is NUL-terminated there; it never grows): clitics and closing punctuation join the word before
// (`does n't` -> `doesn't`, `it 's` -> `it's`, `a , b .` -> `a, b.`), opening brackets, quotes and
// `$` join the word after, `-lrb-`/`-rrb-` (and -lsb- -rsb- -lcb- -rcb-) become brackets, `` and
// '' become ", ` becomes ', `gon na` -> `gonna`. Case is kept.
size_t sent_sst2_detokenize(char *text, size_t len);

typedef struct {
    int n_valid;        // held-out rows
    int n_train;        // rows to train on
    int n_redundant;    // long rows passed over for validation: inside a longer (or equal) held-out row
    int n_dropped;      // other rows left out of training: inside a held-out row
    int32_t *valid;     // [n_valid] row indices, longest first
    int32_t *train;     // [n_train] row indices, in file order
} SentSst2Split;

// The split of rows (detokenized texts): going through the rows from the longest (ties: the earlier
// row), each is held out unless it occurs inside one before it, until valid_rows are (or half the
// rows have been looked at). Every row is in exactly one of valid, train, or neither. Dies with a clear message
// if a text contains a newline (the separator of the substring index).
void sent_sst2_split(const SentReviews *rows, int valid_rows, SentSst2Split *split);
void sent_sst2_split_free(SentSst2Split *split);

// Reads an SST-2 TSV(.gz) (header with `label`, `text` last; every row labelled 0 or 1), with
// every text detokenized, and its split at SENT_SST2_VALID_ROWS. Dies with file:reason otherwise.
void sent_sst2_load(const char *path, SentReviews *rows, SentSst2Split *split);

// The rows of a split that anything trains or validates on, valid ones first then train ones,
// without copying texts (the result borrows rows' texts: free it with sent_sst2_subset_free).
void sent_sst2_subset(const SentReviews *rows, const SentSst2Split *split, SentReviews *subset);
void sent_sst2_subset_free(SentReviews *subset);

// The held-out rows of path alone, as reviews of their own (for `eval --sst2-valid`).
void sent_sst2_read_valid(const char *path, SentReviews *valid);

// The rows of path that anything trains or validates on, tokenized as sent_token_rows_build does
// (T per row, head + tail; not cached: it takes seconds), held-out ones first: rows [0, *n_valid)
// validate, the rest train. Prints the split's sizes to stderr.
void sent_sst2_token_rows(const char *path, SentTokenizer *tok, int T, int head_tokens, SentTokenRows *rows,
                         int *n_valid);

#endif
