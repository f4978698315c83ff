// libFuzzer target for the tokenizer: any bytes through the streaming and the truncating
// encoders (both truncation policies, and a max_len large enough not to truncate), under
// ASan/UBSan. Checks that every piece has a non-empty span inside the text, that spans never go
// backwards (starts and ends both non-decreasing), that both encoders count the same pieces, that
// truncation respects max_len and keeps [CLS] ... [SEP], and that without truncation the encoder
// writes exactly the streaming pieces. `make fuzz` builds and runs it (from the repository root:
// it reads weights/vocab.txt).
#include <stdint.h>
#include <stdlib.h>

#include "tokenizer.h"
#include "util.h"

static SentTokenizer *tok;
static int32_t cls_id, sep_id;

enum { MAX_PIECES = 4096 };   // libFuzzer's default max_len is 4096 bytes

typedef struct {
    long long count;
    int32_t text_len, last_start, last_end;
    int32_t ids[MAX_PIECES], starts[MAX_PIECES], ends[MAX_PIECES];
} SpanCheck;

static void check_piece(void *ctx, int32_t id, int32_t start, int32_t end) {
    SpanCheck *c = ctx;
    if (start < 0 || end <= start || end > c->text_len) abort();
    if (start < c->last_start || end < c->last_end) abort();
    if (id < 0 || id >= sent_tokenizer_vocab_size(tok)) abort();
    if (c->count < MAX_PIECES) {
        c->ids[c->count] = id, c->starts[c->count] = start, c->ends[c->count] = end;
    }
    c->last_start = start, c->last_end = end;
    c->count++;
}

static void check_encoding(const SentEncoding *enc, int max_len, size_t size) {
    if (enc->n < 2 || enc->n > max_len || enc->ids[0] != cls_id || enc->ids[enc->n - 1] != sep_id) abort();
    int32_t last_start = 0, last_end = 0;
    for (int i = 1; i < enc->n - 1; i++) {
        if (enc->starts[i] < 0 || enc->ends[i] <= enc->starts[i] || enc->ends[i] > (int32_t)size) abort();
        // Head+tail truncation drops a middle run: spans still never go backwards.
        if (enc->starts[i] < last_start || enc->ends[i] < last_end) abort();
        last_start = enc->starts[i], last_end = enc->ends[i];
    }
}

static SpanCheck spans;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    if (!tok) {
        size_t vocab_len;
        char *vocab = sent_read_file("weights/vocab.txt", &vocab_len);
        if (!vocab) abort();
        tok = sent_tokenizer_new(vocab, vocab_len, err, sizeof err);
        free(vocab);
        if (!tok) abort();
        cls_id = sent_tokenizer_token_id(tok, "[CLS]"), sep_id = sent_tokenizer_token_id(tok, "[SEP]");
    }
    if (size > MAX_PIECES) return -1;   // keeps the piece arrays bounded (libFuzzer drops the input)
    spans = (SpanCheck){.text_len = (int32_t)size};
    long long n = sent_tokenizer_foreach_piece(tok, (const char *)data, size, check_piece, &spans, err, sizeof err);
    if (n != spans.count) abort();

    enum { MAX_LEN = 42 };
    int32_t ids[MAX_PIECES + 2], starts[MAX_PIECES + 2], ends[MAX_PIECES + 2];
    int max_len = 2 + (int)(size % (MAX_LEN - 1));
    SentTruncation policies[2] = {SENT_TRUNCATE_HEAD_TAIL, SENT_TRUNCATE_HEAD};
    for (int p = 0; p < 2; p++) {
        SentTokenizeOptions opts = {max_len, policies[p], (int)(size % 7) % (max_len - 1)};
        SentEncoding enc = {ids, starts, ends, 0, 0, 0};
        if (sent_tokenizer_encode(tok, (const char *)data, size, &opts, &enc, err, sizeof err)) abort();
        if (enc.n_total != n + 2 || enc.n > max_len || enc.truncated != (n + 2 > max_len)) abort();
        check_encoding(&enc, max_len, size);
        if (policies[p] == SENT_TRUNCATE_HEAD)   // the head policy keeps the first pieces as they came
            for (int i = 1; i < enc.n - 1; i++)
                if (ids[i] != spans.ids[i - 1] || starts[i] != spans.starts[i - 1] || ends[i] != spans.ends[i - 1]) abort();
    }

    // No truncation: the encoder's pieces are exactly the streaming ones.
    if (n > MAX_PIECES) return 0;
    SentTokenizeOptions whole = {(int)n + 2, SENT_TRUNCATE_HEAD_TAIL, 0};
    SentEncoding enc = {ids, starts, ends, 0, 0, 0};
    if (sent_tokenizer_encode(tok, (const char *)data, size, &whole, &enc, err, sizeof err)) abort();
    if (enc.truncated || enc.n != n + 2) abort();
    check_encoding(&enc, (int)n + 2, size);
    for (int i = 1; i < enc.n - 1; i++)
        if (ids[i] != spans.ids[i - 1] || starts[i] != spans.starts[i - 1] || ends[i] != spans.ends[i - 1]) abort();
    return 0;
}
