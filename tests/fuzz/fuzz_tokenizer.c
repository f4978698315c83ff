// libFuzzer target for the tokenizer: any bytes through the streaming and the truncating
// encoders, under ASan/UBSan. Checks that every piece has a non-empty span inside the text, that
// both encoders count the same pieces and that truncation respects max_len.
// Build and run with tests/tokenizer/fuzz.sh (clang's -fsanitize=fuzzer; not part of make test).
#include <stdint.h>
#include <stdlib.h>

#include "tokenizer.h"
#include "util.h"

static SentTokenizer *tok;

typedef struct {
    long long count;
    int32_t text_len;
} SpanCheck;

static void check_piece(void *ctx, int32_t id, int32_t start, int32_t end) {
    SpanCheck *c = ctx;
    if (start < 0 || end <= start || end > c->text_len) abort();
    c->count++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    if (!tok) {
        size_t vocab_len;
        char *vocab = sent_read_file("weights/vocab.txt", &vocab_len);
        if (!vocab) abort();
        tok = sent_tokenizer_new(vocab, vocab_len, err, sizeof err);
        free(vocab);
        if (!tok) abort();
    }
    SpanCheck spans = {0, (int32_t)size};
    long long n = sent_tokenizer_foreach_piece(tok, (const char *)data, size, check_piece, &spans, err, sizeof err);
    if (n != spans.count) abort();

    enum { MAX_LEN = 42 };
    int32_t ids[MAX_LEN], starts[MAX_LEN], ends[MAX_LEN];
    int max_len = 2 + (int)(size % (MAX_LEN - 1));
    SentTokenizeOptions opts = {max_len, SENT_TRUNCATE_HEAD_TAIL, (int)(size % 7) % (max_len - 1)};
    SentEncoding enc = {ids, starts, ends, 0, 0, 0};
    if (sent_tokenizer_encode(tok, (const char *)data, size, &opts, &enc, err, sizeof err)) abort();
    if (enc.n_total != n + 2 || enc.n > max_len || enc.truncated != (n + 2 > max_len)) abort();
    return 0;
}
