// SST-2: detokenizing its PTB text, and the leak-free validation split (a suffix array over the
// held-out sentences answers "does this row occur inside one of them" in a binary search).
#include "train/sst2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

// ----------------------------------------------------------------------------------------------
// detokenizer

static int token_is(const char *tok, size_t len, const char *word) {
    return strlen(word) == len && !strncasecmp(tok, word, len);   // -LRB- as well as -lrb-
}

static int token_in(const char *tok, size_t len, const char *const *words) {
    for (; *words; words++)
        if (token_is(tok, len, *words)) return 1;
    return 0;
}

// Tokens that belong to the word before them: clitics, closing quotes and brackets.
static const char *const JOIN_LEFT[] = {"n't", "'s", "'re", "'ve", "'ll", "'d", "'m", "'", "''", ")", "]", "}",
                                        "-rrb-", "-rsb-", "-rcb-", "%", NULL};
// Tokens that belong to the word after them: opening quotes and brackets, currency.
static const char *const JOIN_RIGHT[] = {"`", "``", "(", "[", "{", "-lrb-", "-lsb-", "-lcb-", "$", NULL};
// PTB's escapes of brackets and quotes, and what a person types instead.
static const char *const SPELLED[][2] = {{"-lrb-", "("}, {"-rrb-", ")"}, {"-lsb-", "["}, {"-rsb-", "]"},
                                         {"-lcb-", "{"}, {"-rcb-", "}"}, {"``", "\""},  {"''", "\""},
                                         {"`", "'"},     {NULL, NULL}};

// Sentence punctuation runs (`,` `.` `...` `?!`) also join the word before.
static int is_punctuation_run(const char *tok, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (!strchr(".,!?;:", tok[i])) return 0;
    return len > 0;
}

// PTB splits gonna, wanna and gotta in two.
static int joins_split_word(const char *prev, size_t prev_len, const char *tok, size_t len) {
    return (token_is(tok, len, "na") && (token_is(prev, prev_len, "gon") || token_is(prev, prev_len, "wan"))) ||
           (token_is(tok, len, "ta") && token_is(prev, prev_len, "got"));
}

size_t sent_sst2_detokenize(char *text, size_t len) {
    // w never passes r: every token's spelling is at most as long as the token, and each space
    // written replaces at least one read, so the rewrite works in place.
    size_t w = 0, r = 0, prev_start = 0, prev_len = 0;
    int glue_next = 1;   // no space before the first token, nor after an opening one
    while (r < len) {
        while (r < len && text[r] == ' ') r++;
        if (r == len) break;
        size_t end = r;
        while (end < len && text[end] != ' ') end++;
        const char *tok = text + r;
        size_t tok_len = end - r;
        int left = token_in(tok, tok_len, JOIN_LEFT) || is_punctuation_run(tok, tok_len) ||
                   (prev_len && joins_split_word(text + prev_start, prev_len, tok, tok_len));
        int right = token_in(tok, tok_len, JOIN_RIGHT);
        const char *spelling = tok;
        size_t spelling_len = tok_len;
        for (int i = 0; SPELLED[i][0]; i++)
            if (tok_len == strlen(SPELLED[i][0]) && !strncasecmp(tok, SPELLED[i][0], tok_len)) {
                spelling = SPELLED[i][1], spelling_len = strlen(spelling);
                break;
            }
        if (w > 0 && !glue_next && !left) text[w++] = ' ';
        memmove(text + w, spelling, spelling_len);
        prev_start = w, prev_len = spelling_len;
        w += spelling_len;
        glue_next = right;
        r = end;
    }
    text[w] = '\0';
    return w;
}

// ----------------------------------------------------------------------------------------------
// split

// qsort has no context argument; what the comparisons read is passed through these.
static const size_t *sort_lens;
static const char *suffix_text;

static int by_length_desc_then_index(const void *pa, const void *pb) {
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    if (sort_lens[a] != sort_lens[b]) return sort_lens[a] > sort_lens[b] ? -1 : 1;
    return (a > b) - (a < b);
}

static int by_suffix(const void *pa, const void *pb) {
    // distinct positions of one NUL-terminated buffer never compare equal: a total order
    return strcmp(suffix_text + *(const int32_t *)pa, suffix_text + *(const int32_t *)pb);
}

// The first suffix (in sorted order) that is >= pattern (strictly > with after), comparing only
// the pattern's length: [lower, upper) are the suffixes starting with the pattern.
static size_t suffix_bound(const char *text, const int32_t *sa, size_t n, const char *pattern, size_t len, int after) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(text + sa[mid], pattern, len);
        if (c < 0 || (after && c == 0)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

// The suffix array of the first k rows of by_len: their texts, each followed by '\n', and the
// sorted suffixes of that buffer.
typedef struct {
    char *text;       // [total + 1]
    size_t total;
    size_t *start;    // [k + 1] where each row's text begins
    int32_t *sa;      // [total]
    int k;
} SuffixIndex;

static void index_build(SuffixIndex *x, const SentReviews *rows, const int32_t *by_len, int k) {
    x->k = k;
    x->total = 0;
    for (int i = 0; i < k; i++) x->total += rows->lens[by_len[i]] + 1;
    x->text = mallocCheck(x->total + 1);
    x->start = mallocCheck((size_t)(k + 1) * sizeof(size_t));
    size_t at = 0;
    for (int i = 0; i < k; i++) {
        x->start[i] = at;
        memcpy(x->text + at, rows->texts[by_len[i]], rows->lens[by_len[i]]);
        at += rows->lens[by_len[i]];
        x->text[at++] = '\n';
    }
    x->start[k] = x->total;
    x->text[x->total] = '\0';
    x->sa = mallocCheck((x->total ? x->total : 1) * sizeof(int32_t));
    for (size_t i = 0; i < x->total; i++) x->sa[i] = (int32_t)i;
    suffix_text = x->text;
    qsort(x->sa, x->total, sizeof(int32_t), by_suffix);
}

static void index_free(SuffixIndex *x) {
    free(x->text), free(x->start), free(x->sa);
}

// Whether text occurs in the index at all, or (before >= 0) inside one of its first `before` rows.
static int index_holds(const SuffixIndex *x, const char *text, size_t len, int before) {
    size_t lo = suffix_bound(x->text, x->sa, x->total, text, len, 0);
    if (before < 0) return lo < x->total && !strncmp(x->text + x->sa[lo], text, len);
    size_t hi = suffix_bound(x->text, x->sa, x->total, text, len, 1);
    for (size_t s = lo; s < hi; s++) {
        size_t a = 0, b = (size_t)x->k;   // the row that holds position sa[s]
        while (b - a > 1) {
            size_t m = (a + b) / 2;
            if (x->start[m] <= (size_t)x->sa[s]) a = m;
            else b = m;
        }
        if ((int)a < before) return 1;
    }
    return 0;
}

void sent_sst2_split(const SentReviews *rows, int valid_rows, SentSst2Split *split) {
    memset(split, 0, sizeof *split);
    int n = rows->n, limit = n / 2;
    for (int i = 0; i < n; i++)
        if (memchr(rows->texts[i], '\n', rows->lens[i])) {
            fprintf(stderr, "error: SST-2 row %d contains a newline, which the split uses as its separator\n", i);
            exit(EXIT_FAILURE);
        }
    int32_t *by_len = mallocCheck((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    for (int i = 0; i < n; i++) by_len[i] = i;
    sort_lens = rows->lens;
    qsort(by_len, (size_t)n, sizeof(int32_t), by_length_desc_then_index);

    // Rows in that order are held out unless they occur inside an earlier one (a longer row, or
    // an identical copy), until valid_rows are; a row can only occur inside one at least as long,
    // so whether it does depends on the rows before it alone. Many long rows are a sentence minus
    // its final mark, hence the candidate list grows until it yields valid_rows sentences.
    uint8_t *redundant = callocCheck((size_t)(limit > 0 ? limit : 1), 1);
    SuffixIndex x;
    int k = valid_rows < limit ? valid_rows : limit, held = 0, last = 0;
    for (;;) {
        index_build(&x, rows, by_len, k);
        held = 0;
        for (int i = 0; i < k && held < valid_rows; i++) {
            redundant[i] = (uint8_t)index_holds(&x, rows->texts[by_len[i]], rows->lens[by_len[i]], i);
            held += !redundant[i];
            last = i + 1;
        }
        if (held == valid_rows || k == limit) break;
        index_free(&x);
        k = 2 * k < limit ? 2 * k : limit;
    }
    if (last < k) {   // the index must hold the candidates up to the last held-out row, no more
        index_free(&x);
        index_build(&x, rows, by_len, last);
    }
    uint8_t *is_candidate = callocCheck((size_t)(n > 0 ? n : 1), 1);
    split->valid = mallocCheck((size_t)(held > 0 ? held : 1) * sizeof(int32_t));
    for (int i = 0; i < last; i++) {
        is_candidate[by_len[i]] = 1;
        if (redundant[i]) split->n_redundant++;
        else split->valid[split->n_valid++] = by_len[i];
    }
    // Every other row trains unless it occurs inside a candidate (hence inside a held-out row).
    split->train = mallocCheck((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    for (int r = 0; r < n; r++) {
        if (is_candidate[r]) continue;
        if (index_holds(&x, rows->texts[r], rows->lens[r], -1)) split->n_dropped++;
        else split->train[split->n_train++] = r;
    }
    index_free(&x);
    free(by_len), free(redundant), free(is_candidate);
}

void sent_sst2_split_free(SentSst2Split *split) {
    free(split->valid);
    free(split->train);
    memset(split, 0, sizeof *split);
}

void sent_sst2_load(const char *path, SentReviews *rows, SentSst2Split *split) {
    if (strchr(path, ',')) {
        fprintf(stderr, "error: --sst2 takes one file, got '%s'\n", path);
        exit(EXIT_FAILURE);
    }
    sent_reviews_read(rows, path);
    for (int i = 0; i < rows->n; i++) {
        if (rows->labels[i] < 0) {
            fprintf(stderr, "error: %s: row %d has no label (SST-2 rows are all labelled 0 or 1)\n", path, i + 1);
            exit(EXIT_FAILURE);
        }
        rows->lens[i] = sent_sst2_detokenize(rows->texts[i], rows->lens[i]);
    }
    if (rows->n < 2 * SENT_SST2_VALID_ROWS) {
        fprintf(stderr, "error: %s has %d rows; the SST-2 split holds out %d and needs at least twice that\n", path,
                rows->n, SENT_SST2_VALID_ROWS);
        exit(EXIT_FAILURE);
    }
    sent_sst2_split(rows, SENT_SST2_VALID_ROWS, split);
}

void sent_sst2_subset(const SentReviews *rows, const SentSst2Split *split, SentReviews *subset) {
    int n = split->n_valid + split->n_train;
    subset->n = n;
    subset->labels = mallocCheck((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    subset->texts = mallocCheck((size_t)(n > 0 ? n : 1) * sizeof(char *));
    subset->lens = mallocCheck((size_t)(n > 0 ? n : 1) * sizeof(size_t));
    for (int i = 0; i < n; i++) {
        int r = i < split->n_valid ? split->valid[i] : split->train[i - split->n_valid];
        subset->labels[i] = rows->labels[r];
        subset->texts[i] = rows->texts[r];
        subset->lens[i] = rows->lens[r];
    }
}

void sent_sst2_subset_free(SentReviews *subset) {
    free(subset->labels);
    free(subset->texts);
    free(subset->lens);
    memset(subset, 0, sizeof *subset);
}

void sent_sst2_read_valid(const char *path, SentReviews *valid) {
    SentReviews rows;
    SentSst2Split split;
    sent_sst2_load(path, &rows, &split);
    memset(valid, 0, sizeof *valid);
    valid->n = split.n_valid;
    valid->labels = mallocCheck((size_t)split.n_valid * sizeof(int32_t));
    valid->texts = mallocCheck((size_t)split.n_valid * sizeof(char *));
    valid->lens = mallocCheck((size_t)split.n_valid * sizeof(size_t));
    for (int i = 0; i < split.n_valid; i++) {
        int r = split.valid[i];
        valid->labels[i] = rows.labels[r], valid->texts[i] = rows.texts[r], valid->lens[i] = rows.lens[r];
        rows.texts[r] = NULL;   // moved
    }
    sent_reviews_free(&rows);
    sent_sst2_split_free(&split);
}

void sent_sst2_token_rows(const char *path, SentTokenizer *tok, int T, int head_tokens, SentTokenRows *rows,
                         int *n_valid) {
    double t0 = sent_now_seconds();
    SentReviews all, used;
    SentSst2Split split;
    sent_sst2_load(path, &all, &split);
    sent_sst2_subset(&all, &split, &used);
    sent_token_rows_build(rows, &used, tok, T, head_tokens, NULL);
    long n_tokens = 0;
    for (int i = 0; i < rows->n; i++) n_tokens += rows->lens[i];
    fprintf(stderr, "sst2: %d rows: %d held out (the longest distinct sentences), %d train, %d left out as inside a "
                    "held-out row (%d of them long ones passed over); %.1f tokens each on average (%.1f s)\n",
            all.n, split.n_valid, split.n_train, split.n_dropped + split.n_redundant, split.n_redundant,
            (double)n_tokens / (rows->n ? rows->n : 1), sent_now_seconds() - t0);
    *n_valid = split.n_valid;
    sent_sst2_subset_free(&used);
    sent_sst2_split_free(&split);
    sent_reviews_free(&all);
}
