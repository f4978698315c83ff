#include "train/pack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "train/data.h"
#include "train/sst2.h"
#include "util.h"

// Writes rows as the pack file dir/name (pack.h): valid[i] marks the held-out rows, teacher[i] the
// teacher's P(positive) (NaN: none). Returns the tokens written, or -1 after printing why.
static long long write_pack(const char *dir, const char *name, const SentTokenRows *rows, const uint8_t *valid,
                            const float *teacher, int head_tokens, int vocab_size) {
    int n = rows->n;
    int8_t *label = mallocCheck((size_t)(n > 0 ? n : 1));
    uint16_t *len = mallocCheck((size_t)(n > 0 ? n : 1) * sizeof(uint16_t));
    uint64_t n_tokens = 0;
    for (int i = 0; i < n; i++) {
        label[i] = (int8_t)rows->labels[i];
        len[i] = (uint16_t)rows->lens[i];
        n_tokens += (uint64_t)rows->lens[i];
    }
    uint16_t *ids = mallocCheck((size_t)(n_tokens ? n_tokens : 1) * sizeof(uint16_t));
    size_t at = 0;
    for (int i = 0; i < n; i++)
        for (int t = 0; t < rows->lens[i]; t++) ids[at++] = (uint16_t)rows->ids[(size_t)i * rows->T + t];

    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopenCheck(tmp, "wb");
    uint32_t header[5] = {SENT_PACK_VERSION, (uint32_t)n, (uint32_t)rows->T, (uint32_t)head_tokens,
                          (uint32_t)vocab_size};
    fwriteCheck("SMPK", 1, 4, f);
    fwriteCheck(header, sizeof header[0], 5, f);
    fwriteCheck(&n_tokens, sizeof n_tokens, 1, f);
    fwriteCheck(label, 1, (size_t)n, f);
    fwriteCheck(valid, 1, (size_t)n, f);
    fwriteCheck(teacher, sizeof(float), (size_t)n, f);
    fwriteCheck(len, sizeof(uint16_t), (size_t)n, f);
    fwriteCheck(ids, sizeof(uint16_t), (size_t)n_tokens, f);
    fcloseCheck(f);
    free(label), free(len), free(ids);
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "error: cannot rename %s to %s\n", tmp, path);
        return -1;
    }
    return (long long)n_tokens;
}

int sent_train_pack(const SentTrainOptions *o) {
    if (o->model.vocab_size > 65536 || o->seq_len > 65535) {
        fprintf(stderr, "error: pack stores ids and lengths as 16 bits (vocab %d, seq-len %d)\n",
                o->model.vocab_size, o->seq_len);
        return 1;
    }
    SentTokenRows rows;
    SentTokenizer *tok = sent_train_load_rows(o, &rows);
    if (!tok) return 1;
    int n = rows.n;

    int32_t *order = mallocCheck((size_t)n * sizeof(int32_t));
    int n_usable;
    int n_valid = sent_split_rows(rows.labels, n, 0, o->valid_size, o->split_seed, order, &n_usable);
    uint8_t *valid = callocCheck((size_t)n, 1);
    float *teacher = o->teacher[0] ? sent_teacher_labels_read(o->teacher, o->data, n) : mallocCheck((size_t)n * sizeof(float));
    for (int i = n_usable - n_valid; i < n_usable; i++) valid[order[i]] = 1;
    if (!o->teacher[0])
        for (int i = 0; i < n; i++) teacher[i] = NAN;
    long long n_tokens = write_pack(o->out_dir, "pack.bin", &rows, valid, teacher, o->head_tokens, o->model.vocab_size);
    if (n_tokens < 0) return 1;
    int n_labelled = 0;
    for (int i = 0; i < n; i++) n_labelled += rows.labels[i] >= 0;
    printf("packed %d reviews (%d labelled, %d of them validation), %llu tokens, into %s/pack.bin\n", n, n_labelled,
           n_valid, (unsigned long long)n_tokens, o->out_dir);
    free(order), free(valid), free(teacher);
    sent_token_rows_free(&rows);

    if (o->sst2[0]) {   // a second pack of the same format: SST-2's rows, its split, no teacher
        int n_sst2_valid;
        sent_sst2_token_rows(o->sst2, tok, o->seq_len, o->head_tokens, &rows, &n_sst2_valid);
        valid = callocCheck((size_t)(rows.n > 0 ? rows.n : 1), 1);
        teacher = mallocCheck((size_t)(rows.n > 0 ? rows.n : 1) * sizeof(float));
        for (int i = 0; i < rows.n; i++) valid[i] = i < n_sst2_valid, teacher[i] = NAN;
        n_tokens = write_pack(o->out_dir, "pack-sst2.bin", &rows, valid, teacher, o->head_tokens, o->model.vocab_size);
        if (n_tokens < 0) return 1;
        printf("packed %d SST-2 rows (%d of them validation), %llu tokens, into %s/pack-sst2.bin\n", rows.n,
               n_sst2_valid, (unsigned long long)n_tokens, o->out_dir);
        free(valid), free(teacher);
        sent_token_rows_free(&rows);
    }
    sent_tokenizer_free(tok);
    return 0;
}
