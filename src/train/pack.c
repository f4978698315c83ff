#include "train/pack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "train/data.h"
#include "util.h"

int sent_train_pack(const SentTrainOptions *o) {
    if (o->model.vocab_size > 65536 || o->seq_len > 65535) {
        fprintf(stderr, "error: pack stores ids and lengths as 16 bits (vocab %d, seq-len %d)\n",
                o->model.vocab_size, o->seq_len);
        return 1;
    }
    SentTokenRows rows;
    SentTokenizer *tok = sent_train_load_rows(o, &rows);
    if (!tok) return 1;
    sent_tokenizer_free(tok);
    int n = rows.n;

    int32_t *order = mallocCheck((size_t)n * sizeof(int32_t));
    int n_usable;
    int n_valid = sent_split_rows(rows.labels, n, 0, o->valid_size, o->split_seed, order, &n_usable);
    uint8_t *valid = callocCheck((size_t)n, 1);
    int8_t *label = mallocCheck((size_t)n);
    uint16_t *len = mallocCheck((size_t)n * sizeof(uint16_t));
    float *teacher = o->teacher[0] ? sent_teacher_labels_read(o->teacher, o->data, n) : mallocCheck((size_t)n * sizeof(float));
    uint64_t n_tokens = 0;
    for (int i = n_usable - n_valid; i < n_usable; i++) valid[order[i]] = 1;
    for (int i = 0; i < n; i++) {
        label[i] = (int8_t)rows.labels[i];
        len[i] = (uint16_t)rows.lens[i];
        if (!o->teacher[0]) teacher[i] = NAN;
        n_tokens += (uint64_t)rows.lens[i];
    }
    uint16_t *ids = mallocCheck((size_t)n_tokens * sizeof(uint16_t));
    size_t at = 0;
    for (int i = 0; i < n; i++)
        for (int t = 0; t < rows.lens[i]; t++) ids[at++] = (uint16_t)rows.ids[(size_t)i * rows.T + t];

    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/pack.bin", o->out_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopenCheck(tmp, "wb");
    uint32_t header[5] = {SENT_PACK_VERSION, (uint32_t)n, (uint32_t)rows.T, (uint32_t)o->head_tokens,
                          (uint32_t)o->model.vocab_size};
    fwriteCheck("SMPK", 1, 4, f);
    fwriteCheck(header, sizeof header[0], 5, f);
    fwriteCheck(&n_tokens, sizeof n_tokens, 1, f);
    fwriteCheck(label, 1, (size_t)n, f);
    fwriteCheck(valid, 1, (size_t)n, f);
    fwriteCheck(teacher, sizeof(float), (size_t)n, f);
    fwriteCheck(len, sizeof(uint16_t), (size_t)n, f);
    fwriteCheck(ids, sizeof(uint16_t), (size_t)n_tokens, f);
    fcloseCheck(f);
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "error: cannot rename %s to %s\n", tmp, path);
        return 1;
    }
    int n_labelled = 0;
    for (int i = 0; i < n; i++) n_labelled += rows.labels[i] >= 0;
    printf("packed %d reviews (%d labelled, %d of them validation), %llu tokens, into %s\n", n, n_labelled,
           n_valid, (unsigned long long)n_tokens, path);
    free(order), free(valid), free(label), free(len), free(teacher), free(ids);
    sent_token_rows_free(&rows);
    return 0;
}
