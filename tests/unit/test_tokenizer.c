// Unit tests of the tokenizer (src/engine/tokenizer.c): vocab loading and its errors, WordPiece,
// special tokens, byte offsets, truncation (head, head+tail, the ring buffer against the full
// encoding) and a 10 MB review. Ids for real text are checked against the shipped
// weights/vocab.txt (HF's ids, see shared/vocab/README.md); the exhaustive comparison with
// Hugging Face is tests/tokenizer/parity.mjs.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tokenizer.h"
#include "util.h"

#define CAP 4096
static int32_t ids[CAP], starts[CAP], ends[CAP];
static char err[256];

static SentTokenizer *tokenizer_from(const char *vocab) {
    return sent_tokenizer_new(vocab, strlen(vocab), err, sizeof err);
}

static SentEncoding encode_opts(SentTokenizer *tok, const char *text, size_t len, int max_len, SentTruncation mode,
                                int head) {
    SentTokenizeOptions opts = {max_len, mode, head};
    SentEncoding enc = {ids, starts, ends, 0, 0, 0};
    int rc = sent_tokenizer_encode(tok, text, len, &opts, &enc, err, sizeof err);
    CHECK_MSG(rc == 0, "encode failed: %s", err);
    return enc;
}

static SentEncoding encode(SentTokenizer *tok, const char *text) {
    return encode_opts(tok, text, strlen(text), CAP, SENT_TRUNCATE_HEAD, 0);
}

// Compares enc's ids with expected (a -1 terminated list).
static int ids_are(const SentEncoding *enc, const int32_t *expected) {
    int n = 0;
    while (expected[n] >= 0) n++;
    if (enc->n != n) return 0;
    for (int i = 0; i < n; i++)
        if (enc->ids[i] != expected[i]) return 0;
    return 1;
}
#define CHECK_IDS(enc, ...)                                                              \
    do {                                                                                 \
        const int32_t e_[] = {__VA_ARGS__, -1};                                          \
        CHECK_MSG(ids_are(&(enc), e_), "ids differ (n=%d, second id %d)", (enc).n, (enc).n > 1 ? (enc).ids[1] : -1); \
    } while (0)

// A tiny vocab: ids are line numbers.
static const char *tiny_vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\nhello\n,\n##a\na\nabcd\n##cd\nab\n";
enum { PAD, UNK, CLS, SEP, MASK, UN, AFF, ABLE, HELLO, COMMA, CONT_A, A, ABCD, CONT_CD, AB };

static void test_vocab_loading(void) {
    SentTokenizer *tok = tokenizer_from(tiny_vocab);
    CHECK(tok != NULL);
    CHECK(sent_tokenizer_vocab_size(tok) == 15);
    CHECK(sent_tokenizer_token_id(tok, "hello") == HELLO);
    CHECK(sent_tokenizer_token_id(tok, "##aff") == AFF);
    CHECK(sent_tokenizer_token_id(tok, "aff") == -1);
    CHECK(sent_tokenizer_token_id(tok, "##") == -1);
    CHECK(strcmp(sent_tokenizer_token(tok, ABLE), "##able") == 0);
    CHECK(sent_tokenizer_token(tok, 15) == NULL && sent_tokenizer_token(tok, -1) == NULL);
    sent_tokenizer_free(tok);

    // CRLF line ends and a missing final newline are accepted.
    tok = tokenizer_from("[UNK]\r\n[CLS]\r\n[SEP]\r\nx");
    CHECK(tok && sent_tokenizer_vocab_size(tok) == 4 && sent_tokenizer_token_id(tok, "x") == 3);
    sent_tokenizer_free(tok);

    // Each bad vocab gives a clear error and no tokenizer.
    CHECK(tokenizer_from("") == NULL && strstr(err, "empty"));
    CHECK(tokenizer_from("[UNK]\n[CLS]\n[SEP]\na\na\n") == NULL && strstr(err, "repeats"));
    CHECK(tokenizer_from("[CLS]\n[SEP]\na\n") == NULL && strstr(err, "[UNK]"));
    CHECK(tokenizer_from("[UNK]\n[CLS]\n\n[SEP]\n") == NULL && strstr(err, "line 3"));
    CHECK(sent_tokenizer_new("[UNK]\0x", 7, err, sizeof err) == NULL && strstr(err, "NUL"));
    CHECK(sent_tokenizer_new(NULL, 0, err, sizeof err) == NULL);
}

static void test_wordpiece(void) {
    SentTokenizer *tok = tokenizer_from(tiny_vocab);
    SentEncoding e = encode(tok, "unaffable");
    CHECK_IDS(e, CLS, UN, AFF, ABLE, SEP);
    e = encode(tok, "UnAffable, hello");
    CHECK_IDS(e, CLS, UN, AFF, ABLE, COMMA, HELLO, SEP);
    e = encode(tok, "unaffablex hello"); // the rest "x" matches nothing: the whole word is [UNK]
    CHECK_IDS(e, CLS, UNK, HELLO, SEP);
    e = encode(tok, "abcd"); // longest match first: abcd, not ab + ##cd
    CHECK_IDS(e, CLS, ABCD, SEP);
    e = encode(tok, "aaa");
    CHECK_IDS(e, CLS, A, CONT_A, CONT_A, SEP);
    e = encode(tok, "");
    CHECK_IDS(e, CLS, SEP);
    CHECK(e.n_total == 2 && !e.truncated);
    e = encode(tok, " \t\r\n ");
    CHECK_IDS(e, CLS, SEP);

    // 100 normalized characters are a word; 101 are [UNK]. Accents do not count (dropped).
    char word[512];
    memset(word, 'a', 100);
    word[100] = '\0';
    e = encode(tok, word);
    CHECK(e.n == 102 && e.ids[1] == A && e.ids[100] == CONT_A);
    memset(word, 'a', 101);
    word[101] = '\0';
    e = encode(tok, word);
    CHECK_IDS(e, CLS, UNK, SEP);
    CHECK(e.starts[1] == 0 && e.ends[1] == 101);
    char accented[512] = "";
    for (int i = 0; i < 100; i++) strcat(accented, "a\xCC\x81"); // a + U+0301
    e = encode(tok, accented);
    CHECK(e.n == 102 && e.ids[1] == A);
    sent_tokenizer_free(tok);
}

static void test_special_tokens_and_offsets(void) {
    SentTokenizer *tok = tokenizer_from(tiny_vocab);
    // Special tokens are matched in the raw text, case-sensitively, even inside a word.
    SentEncoding e = encode(tok, "hello[SEP]a [MASK] [mask]");
    CHECK_IDS(e, CLS, HELLO, SEP, A, MASK, UNK, UNK, UNK, SEP);
    CHECK(e.starts[2] == 5 && e.ends[2] == 10);
    CHECK(e.starts[4] == 12 && e.ends[4] == 18);

    // Byte spans point into the original text: accents, dropped characters, invalid bytes.
    e = encode(tok, "H\xC3\xA9llo, \xE2\x80\x8B" "ab\xFF" "cd");
    CHECK_IDS(e, CLS, HELLO, COMMA, ABCD, SEP);
    CHECK(e.starts[1] == 0 && e.ends[1] == 6);   // "Héllo": é is 2 bytes
    CHECK(e.starts[2] == 6 && e.ends[2] == 7);   // ","
    CHECK(e.starts[3] == 11 && e.ends[3] == 16); // zero width space dropped; \xFF inside, no split
    CHECK(e.starts[0] == 0 && e.ends[0] == 0);   // [CLS] at the start, [SEP] at the end
    CHECK(e.starts[4] == 16 && e.ends[4] == 16);
    e = encode(tok, "AB\xCC\x81" "CD"); // pieces of one word: ab (with its accent) + ##cd
    CHECK_IDS(e, CLS, ABCD, SEP);
    CHECK(e.starts[1] == 0 && e.ends[1] == 6);
    sent_tokenizer_free(tok);
}

static SentTokenizer *bert_tokenizer(void) {
    size_t len;
    char *vocab = sent_read_file("weights/vocab.txt", &len);
    CHECK_MSG(vocab != NULL, "weights/vocab.txt not readable (run from the repo root)");
    if (!vocab) exit(1);
    SentTokenizer *tok = sent_tokenizer_new(vocab, len, err, sizeof err);
    free(vocab);
    CHECK_MSG(tok != NULL, "%s", err);
    if (!tok) exit(1);
    return tok;
}

static void test_bert_vocab(void) {
    SentTokenizer *tok = bert_tokenizer();
    CHECK(sent_tokenizer_vocab_size(tok) == 30522);
    CHECK(sent_tokenizer_token_id(tok, "[UNK]") == 100 && sent_tokenizer_token_id(tok, "[CLS]") == 101);
    SentEncoding e = encode(tok, "The movie was GREAT!");
    CHECK_IDS(e, 101, 1996, 3185, 2001, 2307, 999, 102);
    e = encode(tok, "Héllo wörld! 😀 x"); // ids from Hugging Face's tokenizer
    CHECK_IDS(e, 101, 7592, 2088, 999, 100, 1060, 102);
    e = encode(tok, "İstanbul ΟΔΟΣ straße");
    CHECK_IDS(e, 101, 9960, 1169, 29722, 29730, 29733, 2358, 27807, 102);
    sent_tokenizer_free(tok);
}

// Streams all pieces of a text, keeping the first `head` and a copy of every piece in `all`.
typedef struct {
    int32_t *ids;
    long long n, cap;
} Collected;

static void collect(void *ctx, int32_t id, int32_t start, int32_t end) {
    Collected *c = ctx;
    if (c->n < c->cap) c->ids[c->n] = id;
    c->n++;
}

static void test_truncation(void) {
    SentTokenizer *tok = bert_tokenizer();
    // A text whose every piece is distinct enough to catch any reordering.
    char text[8192] = "";
    for (int i = 0; i < 300; i++) {
        char word[32];
        snprintf(word, sizeof word, "w%d, ", i);
        strcat(text, word);
    }
    size_t len = strlen(text);
    Collected all = {mallocCheck(4096 * sizeof(int32_t)), 0, 4096};
    long long n_pieces = sent_tokenizer_foreach_piece(tok, text, len, collect, &all, err, sizeof err);
    CHECK(n_pieces == all.n && n_pieces > 600);

    SentEncoding e = encode_opts(tok, text, len, 64, SENT_TRUNCATE_HEAD, 0);
    CHECK(e.n == 64 && e.n_total == n_pieces + 2 && e.truncated);
    int same = e.ids[0] == 101 && e.ids[63] == 102;
    for (int i = 0; i < 62; i++) same &= e.ids[1 + i] == all.ids[i];
    CHECK_MSG(same, "head truncation is not the first max_len - 2 pieces");

    for (int head = 0; head <= 62; head += 31) {
        e = encode_opts(tok, text, len, 64, SENT_TRUNCATE_HEAD_TAIL, head);
        int tail = 62 - head;
        same = e.n == 64 && e.ids[0] == 101 && e.ids[63] == 102 && e.truncated;
        for (int i = 0; i < head; i++) same &= e.ids[1 + i] == all.ids[i];
        for (int i = 0; i < tail; i++) same &= e.ids[1 + head + i] == all.ids[n_pieces - tail + i];
        CHECK_MSG(same, "head+tail (head %d) is not the first and last pieces", head);
    }

    // Texts that fit are not truncated, whatever the mode; the ring must not reorder them.
    for (long long fit = n_pieces; fit <= n_pieces + 2; fit++) {
        e = encode_opts(tok, text, len, (int)fit + 2, SENT_TRUNCATE_HEAD_TAIL, 10);
        same = e.n == n_pieces + 2 && !e.truncated;
        for (int i = 0; same && i < n_pieces; i++) same &= e.ids[1 + i] == all.ids[i];
        CHECK_MSG(same, "a text that fits (max_len %lld) changed", fit + 2);
    }
    e = encode_opts(tok, text, len, 2, SENT_TRUNCATE_HEAD, 0);
    CHECK(e.n == 2 && e.ids[0] == 101 && e.ids[1] == 102 && e.truncated);

    // Invalid options give errors, not output.
    SentTokenizeOptions bad = {1, SENT_TRUNCATE_HEAD, 0};
    SentEncoding out = {ids, starts, ends, 0, 0, 0};
    CHECK(sent_tokenizer_encode(tok, text, len, &bad, &out, err, sizeof err) == -1 && strstr(err, "max_len"));
    bad = (SentTokenizeOptions){64, SENT_TRUNCATE_HEAD_TAIL, 63};
    CHECK(sent_tokenizer_encode(tok, text, len, &bad, &out, err, sizeof err) == -1 && strstr(err, "head_tokens"));
    bad = (SentTokenizeOptions){64, (SentTruncation)7, 0};
    CHECK(sent_tokenizer_encode(tok, text, len, &bad, &out, err, sizeof err) == -1);
    CHECK(sent_tokenizer_encode(tok, text, len, NULL, &out, err, sizeof err) == -1);
    free(all.ids);
    sent_tokenizer_free(tok);
}

// A 10 MB review with a known start and end goes through head+tail truncation in max_len slots.
static void test_huge_review(void) {
    SentTokenizer *tok = bert_tokenizer();
    size_t len = 10u << 20;
    char *text = mallocCheck(len);
    const char *filler = "the movie ";
    for (size_t i = 0; i < len; i++) text[i] = filler[i % 10];
    memcpy(text, "great the ", 10);
    memcpy(text + len - 10, "a terrible", 10);
    Collected none = {NULL, 0, 0};
    long long n_pieces = sent_tokenizer_foreach_piece(tok, text, len, collect, &none, err, sizeof err);
    CHECK(n_pieces == (long long)(len / 10) * 2);
    SentEncoding e = encode_opts(tok, text, len, 512, SENT_TRUNCATE_HEAD_TAIL, 128);
    CHECK(e.n == 512 && e.truncated && e.n_total == n_pieces + 2);
    CHECK(e.ids[1] == 2307 && e.ids[2] == 1996 && e.ids[3] == 1996 && e.ids[4] == 3185); // great the the movie
    CHECK(e.ids[129] == 1996 && e.ids[130] == 3185);                                       // the tail: ... the movie
    CHECK(e.ids[510] == 6659 && e.ids[511] == 102);                                        // ... terrible [SEP]
    CHECK(e.starts[510] == (int32_t)(len - 8) && e.ends[510] == (int32_t)len);
    free(text);
    sent_tokenizer_free(tok);
}

// Random bytes (ASCII, pieces of UTF-8, special-token fragments, invalid bytes) under the
// sanitizers: spans stay inside the text and in order, and every truncated encoding is the
// matching part of the untruncated piece stream.
static uint32_t rng_state = 12345;
static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

typedef struct {
    int32_t ids[CAP], starts[CAP], ends[CAP];
    int n;
} Stream;

static void stream_piece(void *ctx, int32_t id, int32_t start, int32_t end) {
    Stream *s = ctx;
    if (s->n < CAP) s->ids[s->n] = id, s->starts[s->n] = start, s->ends[s->n] = end;
    s->n++;
}

static void test_random_bytes(void) {
    SentTokenizer *tok = bert_tokenizer();
    static const char *const parts[] = {"a", "The", " ", "\t", "!", "[SEP]", "[SE", "\xC3\xA9", "\xC3", "\xE2\x80\x8B",
                                        "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xFF", "\x80", "\xED\xA0\x80",
                                        "\xCC\x81", "xyzzy", "##", "\x00", "\xEA\xB0\x80"};
    static Stream all;
    int bad_span = 0, bad_truncation = 0;
    for (int round = 0; round < 3000; round++) {
        char text[1024];
        size_t len = 0;
        int n_parts = (int)(rng() % 60);
        for (int p = 0; p < n_parts; p++) {
            const char *part = parts[rng() % (sizeof parts / sizeof parts[0])];
            size_t part_len = part[0] ? strlen(part) : 1; // "\x00" is one NUL byte
            if (len + part_len > sizeof text) break;
            memcpy(text + len, part, part_len);
            len += part_len;
        }
        all.n = 0;
        long long n = sent_tokenizer_foreach_piece(tok, text, len, stream_piece, &all, err, sizeof err);
        if (n != all.n) bad_span++;
        for (int i = 0; i < all.n && i < CAP; i++) {
            if (all.starts[i] < 0 || all.ends[i] > (int32_t)len || all.starts[i] >= all.ends[i]) bad_span++;
            if (i > 0 && all.starts[i] < all.starts[i - 1]) bad_span++;
        }
        int max_len = 2 + (int)(rng() % 20), head = (int)(rng() % (uint32_t)(max_len - 1));
        SentEncoding e = encode_opts(tok, text, len, max_len, SENT_TRUNCATE_HEAD_TAIL, head);
        int budget = max_len - 2, kept = all.n < budget ? all.n : budget;
        if (e.n != kept + 2 || e.n_total != all.n + 2 || e.truncated != (all.n > budget)) bad_truncation++;
        for (int i = 0; i < kept; i++) {
            int from = all.n <= budget || i < head ? i : all.n - (budget - i);
            if (e.ids[1 + i] != all.ids[from] || e.starts[1 + i] != all.starts[from]) bad_truncation++;
        }
    }
    CHECK_MSG(bad_span == 0, "%d pieces with a span outside the text or out of order", bad_span);
    CHECK_MSG(bad_truncation == 0, "%d truncated encodings differ from the piece stream", bad_truncation);
    sent_tokenizer_free(tok);
}

int main(void) {
    test_vocab_loading();
    test_wordpiece();
    test_special_tokens_and_offsets();
    test_bert_vocab();
    test_truncation();
    test_huge_review();
    test_random_bytes();
    return check_summary("test_tokenizer");
}
