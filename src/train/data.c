// Reading IMDb TSV.gz files, tokenizing them once into cached id rows, batching and MLM masking.
#include "train/data.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "train/rng.h"
#include "util.h"

// ----------------------------------------------------------------------------------------------
// TSV.gz

long sent_tsv_unescape(char *text, size_t len) {
    size_t w = 0;
    for (size_t r = 0; r < len; r++) {
        if (text[r] != '\\') {
            text[w++] = text[r];
            continue;
        }
        if (++r == len) return -1;
        switch (text[r]) {
        case '\\': text[w++] = '\\'; break;
        case 't': text[w++] = '\t'; break;
        case 'n': text[w++] = '\n'; break;
        case 'r': text[w++] = '\r'; break;
        default: return -1;
        }
    }
    text[w] = '\0';
    return (long)w;
}

// Reads one line of any length (without its '\n') into *buf; returns its length or -1 at EOF.
static long gz_read_line(gzFile f, char **buf, size_t *cap) {
    size_t len = 0;
    for (;;) {
        if (*cap - len < 2) {
            *cap = *cap ? *cap * 2 : 1 << 16;
            *buf = reallocCheck(*buf, *cap);
        }
        if (!gzgets(f, *buf + len, (int)(*cap - len))) return len ? (long)len : -1;
        len += strlen(*buf + len);
        if (len && (*buf)[len - 1] == '\n') {
            (*buf)[--len] = '\0';
            return (long)len;
        }
    }
}

static void append_review(SentReviews *r, int *cap, int32_t label, char *text, size_t len) {
    if (r->n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        r->labels = reallocCheck(r->labels, (size_t)*cap * sizeof(int32_t));
        r->texts = reallocCheck(r->texts, (size_t)*cap * sizeof(char *));
        r->lens = reallocCheck(r->lens, (size_t)*cap * sizeof(size_t));
    }
    r->labels[r->n] = label;
    r->texts[r->n] = text;
    r->lens[r->n] = len;
    r->n++;
}

static void die_at(const char *path, long line, const char *why) {
    fprintf(stderr, "error: %s:%ld: %s\n", path, line, why);
    exit(EXIT_FAILURE);
}

static void read_one_tsv(SentReviews *r, const char *path, int *cap) {
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fprintf(stderr, "error: cannot open %s (%s)\n", path, strerror(errno));
        exit(EXIT_FAILURE);
    }
    char *line = NULL;
    size_t line_cap = 0;
    long len = gz_read_line(f, &line, &line_cap), line_no = 1;
    if (len < 0) die_at(path, 1, "empty file (expected a header line)");
    // The header names the columns: find `label`; `text` must be the last one.
    int n_cols = 1, label_col = -1;
    for (char *field = line, *end;; field = end + 1, n_cols++) {
        end = strchr(field, '\t');
        size_t flen = end ? (size_t)(end - field) : strlen(field);
        if (flen == 5 && !strncmp(field, "label", 5)) label_col = n_cols - 1;
        if (!end) {
            if (flen != 4 || strncmp(field, "text", 4)) die_at(path, 1, "the last column must be `text`");
            break;
        }
    }
    if (label_col < 0) die_at(path, 1, "no `label` column in the header");

    while ((len = gz_read_line(f, &line, &line_cap)) >= 0) {
        line_no++;
        char *field = line;
        long label = 0;
        for (int col = 0; col < n_cols - 1; col++) {
            char *tab = strchr(field, '\t');
            if (!tab) die_at(path, line_no, "fewer columns than the header");
            if (col == label_col) {
                char *end;
                label = strtol(field, &end, 10);
                if (end != tab || label < -1 || label > 1) die_at(path, line_no, "label is not -1, 0 or 1");
            }
            field = tab + 1;
        }
        long text_len = sent_tsv_unescape(field, (size_t)(line + len - field));
        if (text_len < 0) die_at(path, line_no, "bad escape in text (only \\\\ \\t \\n \\r occur)");
        char *text = mallocCheck((size_t)text_len + 1);
        memcpy(text, field, (size_t)text_len + 1);
        append_review(r, cap, (int32_t)label, text, (size_t)text_len);
    }
    int errnum;
    const char *gz_err = gzerror(f, &errnum);
    if (errnum != Z_OK && errnum != Z_STREAM_END) die_at(path, line_no, gz_err);
    gzclose(f);
    free(line);
}

// The original release's layout, one split folder (aclImdb/train or aclImdb/test): pos/, neg/
// and unsup/ hold one review per .txt file; files are read in name order, so runs repeat.
static void read_aclimdb_split(SentReviews *r, const char *dir, int *cap) {
    static const char *folders[3] = {"neg", "pos", "unsup"};
    int found = 0;
    for (int label = 0; label < 3; label++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, folders[label]);
        struct dirent **names;
        int n = scandir(sub, &names, NULL, alphasort);
        if (n < 0) continue;
        found = 1;
        for (int i = 0; i < n; i++) {
            size_t name_len = strlen(names[i]->d_name);
            if (name_len > 4 && !strcmp(names[i]->d_name + name_len - 4, ".txt")) {
                char path[8192];
                snprintf(path, sizeof path, "%s/%s", sub, names[i]->d_name);
                size_t len;
                char *text = sent_read_file(path, &len);
                if (!text) {
                    fprintf(stderr, "error: cannot read %s (%s)\n", path, strerror(errno));
                    exit(EXIT_FAILURE);
                }
                append_review(r, cap, label == 2 ? -1 : label, text, len);
            }
            free(names[i]);
        }
        free(names);
    }
    if (!found) {
        fprintf(stderr, "error: %s has none of pos/, neg/, unsup/ (an aclImdb split folder)\n", dir);
        exit(EXIT_FAILURE);
    }
}

void sent_reviews_read(SentReviews *reviews, const char *paths) {
    memset(reviews, 0, sizeof *reviews);
    int cap = 0;
    char *list = mallocCheck(strlen(paths) + 1);
    strcpy(list, paths);
    for (char *save = NULL, *path = strtok_r(list, ",", &save); path; path = strtok_r(NULL, ",", &save)) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) read_aclimdb_split(reviews, path, &cap);
        else read_one_tsv(reviews, path, &cap);
    }
    free(list);
}

void sent_reviews_free(SentReviews *reviews) {
    for (int i = 0; i < reviews->n; i++) free(reviews->texts[i]);
    free(reviews->texts);
    free(reviews->labels);
    free(reviews->lens);
    memset(reviews, 0, sizeof *reviews);
}

// ----------------------------------------------------------------------------------------------
// token rows and their cache: "SENTTOK1", then int32 n, T, head, vocab size, then ids, lens, labels

static const char TOKEN_CACHE_MAGIC[8] = "SENTTOK1";

static void rows_alloc(SentTokenRows *rows, int n, int T) {
    rows->n = n;
    rows->T = T;
    rows->ids = callocCheck((size_t)n * T, sizeof(int32_t));
    rows->lens = callocCheck((size_t)n, sizeof(int32_t));
    rows->labels = callocCheck((size_t)n, sizeof(int32_t));
}

static int cache_load(SentTokenRows *rows, const char *path, int n, int T, int head, int vocab) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char magic[8];
    int32_t header[4];
    int ok = fread(magic, 1, 8, f) == 8 && !memcmp(magic, TOKEN_CACHE_MAGIC, 8) &&
             fread(header, sizeof header, 1, f) == 1 && header[0] == n && header[1] == T &&
             header[2] == head && header[3] == vocab;
    if (ok) {
        rows_alloc(rows, n, T);
        ok = fread(rows->ids, sizeof(int32_t), (size_t)n * T, f) == (size_t)n * T &&
             fread(rows->lens, sizeof(int32_t), (size_t)n, f) == (size_t)n &&
             fread(rows->labels, sizeof(int32_t), (size_t)n, f) == (size_t)n;
        if (!ok) sent_token_rows_free(rows);
    }
    fclose(f);
    return ok;
}

static void cache_save(const SentTokenRows *rows, const char *path, int head, int vocab) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopenCheck(tmp, "wb");
    int32_t header[4] = {rows->n, rows->T, head, vocab};
    fwriteCheck(TOKEN_CACHE_MAGIC, 1, 8, f);
    fwriteCheck(header, sizeof header, 1, f);
    fwriteCheck(rows->ids, sizeof(int32_t), (size_t)rows->n * rows->T, f);
    fwriteCheck(rows->lens, sizeof(int32_t), (size_t)rows->n, f);
    fwriteCheck(rows->labels, sizeof(int32_t), (size_t)rows->n, f);
    fcloseCheck(f);
    renameCheck(tmp, path);
}

void sent_token_rows_build(SentTokenRows *rows, const SentReviews *reviews, SentTokenizer *tok,
                           int T, int head_tokens, const char *cache_path) {
    int vocab = sent_tokenizer_vocab_size(tok);
    if (cache_path && cache_load(rows, cache_path, reviews->n, T, head_tokens, vocab)) return;
    rows_alloc(rows, reviews->n, T);
    SentTokenizeOptions opts = {T, SENT_TRUNCATE_HEAD_TAIL, head_tokens};
    int32_t *starts = mallocCheck((size_t)T * sizeof(int32_t)), *ends = mallocCheck((size_t)T * sizeof(int32_t));
    char err[256];
    for (int i = 0; i < reviews->n; i++) {
        SentEncoding enc = {rows->ids + (size_t)i * T, starts, ends, 0, 0, 0};
        if (sent_tokenizer_encode(tok, reviews->texts[i], reviews->lens[i], &opts, &enc, err, sizeof err) != 0) {
            fprintf(stderr, "error: tokenizing review %d: %s\n", i, err);
            exit(EXIT_FAILURE);
        }
        rows->lens[i] = enc.n;
        rows->labels[i] = reviews->labels[i];
    }
    free(starts);
    free(ends);
    if (cache_path) cache_save(rows, cache_path, head_tokens, vocab);
}

void sent_token_rows_free(SentTokenRows *rows) {
    free(rows->ids);
    free(rows->lens);
    free(rows->labels);
    memset(rows, 0, sizeof *rows);
}

void sent_token_rows_append(SentTokenRows *rows, const SentTokenRows *more) {
    if (more->T != rows->T) {
        fprintf(stderr, "error: appending rows of %d tokens to rows of %d\n", more->T, rows->T);
        exit(EXIT_FAILURE);
    }
    size_t n = (size_t)rows->n + (size_t)more->n, T = (size_t)rows->T;
    rows->ids = reallocCheck(rows->ids, (n ? n : 1) * T * sizeof(int32_t));
    rows->lens = reallocCheck(rows->lens, (n ? n : 1) * sizeof(int32_t));
    rows->labels = reallocCheck(rows->labels, (n ? n : 1) * sizeof(int32_t));
    memcpy(rows->ids + (size_t)rows->n * T, more->ids, (size_t)more->n * T * sizeof(int32_t));
    memcpy(rows->lens + rows->n, more->lens, (size_t)more->n * sizeof(int32_t));
    memcpy(rows->labels + rows->n, more->labels, (size_t)more->n * sizeof(int32_t));
    rows->n = (int)n;
}

// ----------------------------------------------------------------------------------------------
// batches

void sent_permutation(int32_t *perm, int n, uint64_t seed) {
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(uniform01(seed, (uint64_t)i) * (i + 1));
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

float *sent_teacher_labels_read(const char *path, const char *paths, int n_rows) {
    char *list = mallocCheck(strlen(paths) + 1);
    strcpy(list, paths);
    const char *names[64];
    int n_names = 0;
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (n_names == 64) die_at(path, 0, "more than 64 data files");
        names[n_names++] = base_name(p);
    }
    gzFile f = gzopen(path, "rb");   // reads plain text too
    if (!f) {
        fprintf(stderr, "error: cannot open teacher labels %s (%s)\n", path, strerror(errno));
        exit(EXIT_FAILURE);
    }
    float *probs = mallocCheck((size_t)(n_rows > 0 ? n_rows : 1) * sizeof(float));
    char *line = NULL;
    size_t cap = 0;
    long len, line_no = 1;
    if (gz_read_line(f, &line, &cap) < 0 || strcmp(line, "file\trow\tp_positive"))
        die_at(path, 1, "expected the header `file<TAB>row<TAB>p_positive`");
    int file = 0, offset = 0;
    long expected_row = 0;
    while ((len = gz_read_line(f, &line, &cap)) >= 0) {
        line_no++;
        char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL, *end;
        if (!tab2) die_at(path, line_no, "expected three TAB-separated fields");
        *tab1 = '\0';
        long row = strtol(tab1 + 1, &end, 10);
        if (end != tab2) die_at(path, line_no, "row is not an integer");
        double p = strtod(tab2 + 1, &end);
        if (*end || !(p >= 0 && p <= 1)) die_at(path, line_no, "p_positive is not a number in [0, 1]");
        if (row == 0 && expected_row > 0 && file + 1 < n_names && !strcmp(line, names[file + 1]))
            offset += (int)expected_row, file++, expected_row = 0;
        if (strcmp(line, names[file]) || row != expected_row)
            die_at(path, line_no, "rows must follow the data files in order (file name, row 0, 1, ...)");
        if (offset + row >= n_rows) die_at(path, line_no, "more rows than the data has");
        probs[offset + row] = (float)p;
        expected_row++;
    }
    gzclose(f);
    if (file != n_names - 1 || offset + expected_row != n_rows) {
        fprintf(stderr, "error: %s labels %ld rows of %d files, the data has %d rows in %d files\n", path,
                offset + expected_row, file + 1, n_rows, n_names);
        exit(EXIT_FAILURE);
    }
    free(line), free(list);
    return probs;
}

int sent_split_rows(const int32_t *labels, int n, int all_rows, int valid_size, uint64_t seed,
                    int32_t *order, int *n_usable) {
    int32_t *usable = mallocCheck((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    int m = 0;
    for (int i = 0; i < n; i++)
        if (labels[i] >= 0) usable[m++] = i;
    sent_permutation(order, m, seed);
    for (int i = 0; i < m; i++) order[i] = usable[order[i]];
    int n_valid = valid_size < m / 2 ? valid_size : m / 2;
    *n_usable = m;
    if (m == 0 && all_rows) {   // no labels at all: validation comes from the texts themselves
        for (int i = 0; i < n; i++) usable[i] = i;
        sent_permutation(order, n, seed);
        for (int i = 0; i < n; i++) order[i] = usable[order[i]];
        n_valid = valid_size < n / 2 ? valid_size : n / 2;
        *n_usable = n;
    } else if (all_rows) {
        // every other row, labelled or not, trains; the same labelled validation rows stay last
        int n_train = m - n_valid;
        memmove(order + n - n_valid, order + n_train, (size_t)n_valid * sizeof(int32_t));
        for (int i = 0; i < n; i++)
            if (labels[i] < 0) order[n_train++] = i;
        *n_usable = n;
    }
    free(usable);
    return n_valid;
}

int sent_batch_gather(const SentTokenRows *rows, const int32_t *index, int B, int32_t *ids,
                      uint8_t *mask, int32_t *labels) {
    int T = 0;
    for (int b = 0; b < B; b++)
        if (rows->lens[index[b]] > T) T = rows->lens[index[b]];
    T = (T + 7) / 8 * 8;
    if (T > rows->T) T = rows->T;
    for (int b = 0; b < B; b++) {
        int r = index[b];
        memcpy(ids + (size_t)b * T, rows->ids + (size_t)r * rows->T, (size_t)T * sizeof(int32_t));
        for (int t = 0; t < T; t++) mask[(size_t)b * T + t] = t < rows->lens[r];
        if (labels) labels[b] = rows->labels[r];
    }
    return T;
}

// qsort has no context argument; the lengths being sorted by are passed through this.
static const int32_t *sort_lens;
static int by_length_then_index(const void *pa, const void *pb) {
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    if (sort_lens[a] != sort_lens[b]) return sort_lens[a] < sort_lens[b] ? -1 : 1;
    return (a > b) - (a < b);   // a total order, so the result never depends on qsort's algorithm
}

void sent_sort_by_length(int32_t *index, size_t n, const int32_t *lens) {
    sort_lens = lens;
    qsort(index, n, sizeof(int32_t), by_length_then_index);
}

void sent_epoch_rows(int32_t *order, const int32_t *train_index, int n_pool, int n_sample, int n_rest,
                     uint64_t pool_seed, uint64_t order_seed, int32_t *scratch, int32_t *picked) {
    const int32_t *rows = train_index;
    if (n_sample < n_pool) {
        sent_permutation(scratch, n_pool, pool_seed);
        for (int i = 0; i < n_sample; i++) picked[i] = train_index[scratch[i]];
        memcpy(picked + n_sample, train_index + n_pool, (size_t)n_rest * sizeof(int32_t));
        rows = picked;
    } else {
        n_sample = n_pool;
    }
    int n = n_sample + n_rest;
    sent_permutation(scratch, n, order_seed);
    for (int i = 0; i < n; i++) order[i] = rows[scratch[i]];
}

void sent_bucket_by_length(int32_t *order, int n_batches, int B, int bucket_batches,
                           const int32_t *lens, uint64_t seed, int32_t *scratch) {
    if (bucket_batches < 1 || n_batches < 1) return;
    size_t n = (size_t)n_batches * B, run = (size_t)bucket_batches * B;
    for (size_t start = 0; start < n; start += run)
        sent_sort_by_length(order + start, n - start < run ? n - start : run, lens);
    int32_t *sorted = scratch, *batch_order = scratch + n;   // [n], [n_batches]
    sent_permutation(batch_order, n_batches, seed);
    memcpy(sorted, order, n * sizeof(int32_t));
    for (int k = 0; k < n_batches; k++)
        memcpy(order + (size_t)k * B, sorted + (size_t)batch_order[k] * B, (size_t)B * sizeof(int32_t));
}

int sent_mlm_mask(int32_t *ids, const uint8_t *mask, int B, int T, float mask_prob, int mask_id,
                  int first_random_id, int vocab_size, uint64_t seed, int32_t *rows,
                  int32_t *targets, int max_masked) {
    int M = 0;
    int32_t candidates[T];
    for (int b = 0; b < B; b++) {
        int len = 0;
        while (len < T && mask[(size_t)b * T + len]) len++;
        int n_cand = len - 2;   // between [CLS] and [SEP]
        if (n_cand < 1) continue;
        int n_mask = (int)(mask_prob * n_cand + 0.5f);
        if (n_mask < 1) n_mask = 1;
        for (int i = 0; i < n_cand; i++) candidates[i] = 1 + i;
        uint64_t row_seed = hash_u64(seed + (uint64_t)b);
        for (int k = 0; k < n_mask && M < max_masked; k++) {  // partial Fisher-Yates
            int j = k + (int)(uniform01(row_seed, (uint64_t)k) * (n_cand - k));
            int32_t t = candidates[j];
            candidates[j] = candidates[k];
            candidates[k] = t;
            size_t pos = (size_t)b * T + t;
            rows[M] = (int32_t)pos;
            targets[M] = ids[pos];
            double r = uniform01(row_seed, (uint64_t)(T + k));
            if (r < 0.8) ids[pos] = mask_id;
            else if (r < 0.9)
                ids[pos] = first_random_id +
                           (int)(uniform01(row_seed, (uint64_t)(2 * T + k)) * (vocab_size - first_random_id));
            M++;
        }
    }
    return M;
}
