// BERT uncased WordPiece tokenizer (the pipeline of Hugging Face's BertTokenizerFast for
// bert-base-uncased / distilbert-base-uncased): clean text, split CJK ideographs, lowercase and
// strip accents, split on whitespace and punctuation, greedy longest-match-first WordPiece.
// Produces exactly Hugging Face's ids, plus the byte span of each token in the original text.
#ifndef SENT_TOKENIZER_H
#define SENT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct SentTokenizer SentTokenizer;

typedef enum {
    SENT_TRUNCATE_HEAD = 0,      // keep the first max_len - 2 word pieces
    SENT_TRUNCATE_HEAD_TAIL = 1, // keep the first head_tokens and the last (max_len - 2 - head_tokens)
} SentTruncation;

typedef struct {
    int max_len;                // tokens in the output, [CLS] and [SEP] included (>= 2)
    SentTruncation truncation;
    int head_tokens;            // SENT_TRUNCATE_HEAD_TAIL only: word pieces kept from the start
} SentTokenizeOptions;

// One encoded text. The caller owns the arrays (capacity >= max_len); nothing is allocated
// per call. [CLS] and [SEP] have an empty span at the start / end of the text.
typedef struct {
    int32_t *ids;        // [capacity] token ids: [CLS] pieces... [SEP]
    int32_t *starts;     // [capacity] byte offset where each token's text starts
    int32_t *ends;       // [capacity] byte offset one past its end
    int n;               // tokens written, [CLS]/[SEP] included
    int n_total;         // tokens the whole text would have had, [CLS]/[SEP] included
    int truncated;       // 1 when n < n_total
} SentEncoding;

// Builds a tokenizer from vocab.txt's bytes (one token per line; the line index is the id).
// Returns NULL and writes a message into err on failure.
SentTokenizer *sent_tokenizer_new(const char *vocab_text, size_t vocab_len, char *err, size_t err_size);
void sent_tokenizer_free(SentTokenizer *tok);

int sent_tokenizer_vocab_size(const SentTokenizer *tok);
int sent_tokenizer_token_id(const SentTokenizer *tok, const char *token); // -1 when absent
const char *sent_tokenizer_token(const SentTokenizer *tok, int id);      // NULL when out of range

// Tokenizes text[0..len) (any bytes: invalid UTF-8 is handled as Hugging Face does, see
// tokenizer.c). Returns 0, or -1 with a message in err when the options are invalid.
// Memory use is O(max_len) whatever len is. The tokenizer holds scratch space, so one
// SentTokenizer must not be used by two threads at once.
int sent_tokenizer_encode(SentTokenizer *tok, const char *text, size_t len,
                          const SentTokenizeOptions *opts, SentEncoding *out, char *err, size_t err_size);

// Untruncated streaming form: calls piece(ctx, id, start, end) for every word piece of the text in
// order, without [CLS]/[SEP] (the caller adds them: sent_tokenizer_token_id(tok, "[CLS]")).
// For texts of any length with O(1) memory. Returns the number of pieces, or -1 with a message
// in err when the text is longer than int32 byte offsets can address.
typedef void (*SentPieceFn)(void *ctx, int32_t id, int32_t start, int32_t end);
long long sent_tokenizer_foreach_piece(SentTokenizer *tok, const char *text, size_t len, SentPieceFn piece,
                                       void *ctx, char *err, size_t err_size);

#endif
