// BERT uncased WordPiece tokenizer, matching Hugging Face's Rust `tokenizers` with the
// bert-base-uncased tokenizer.json (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP]).
//
// One pass over the bytes, with no allocation after sent_tokenizer_new:
//   1. special tokens ([PAD] [UNK] [CLS] [SEP] [MASK]) are matched on the raw text first, as HF's
//      added-vocabulary does (case-sensitive; "wo[SEP]rd" gives "wo", [SEP], "rd");
//   2. each character is decoded and normalized on its own (unicode_text.c): removed, a space,
//      a standalone character (punctuation, CJK) or part of a word;
//   3. a finished word goes through greedy longest-match-first WordPiece; a word of more than
//      100 normalized characters, or one with an unmatchable rest, becomes a single [UNK];
//   4. each piece is handed to a sink with its byte span in the original text.
// Invalid UTF-8: HF's tokenizer takes a string, so a page's or node's bytes reach it decoded
// with U+FFFD for ill-formed sequences, and clean_text removes U+FFFD. Here an ill-formed
// sequence is removed the same way; it does not split the word around it.
#include "tokenizer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unicode_text.h"

#define MAX_WORD_CHARS 100 // HF's max_input_chars_per_word, counted in normalized characters
#define WORD_BYTES_CAP ((MAX_WORD_CHARS + 1) * 4) // the characters kept of a word, UTF-8

static const char *const special_token_names[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
#define N_SPECIAL ((int)(sizeof special_token_names / sizeof special_token_names[0]))

// Open-addressing hash set of vocab ids keyed by token bytes. A slot holds everything a probe
// needs (full hash, key length, where the key's bytes are), so a lookup costs one cache miss
// for the slot and one for the bytes, and the bytes only when the hashes agree.
typedef struct {
    uint32_t hash;
    int32_t id;       // -1 when the slot is empty
    uint32_t key_at;  // offset of the key's bytes in SentTokenizer.text
    int32_t key_len;
} TokenSlot;

typedef struct {
    TokenSlot *slots; // [mask + 1]
    uint32_t mask;
} TokenTable;

// What an ASCII byte normalizes to, precomputed from the same rules as every other character.
typedef struct {
    uint8_t removed;  // 1 for control characters
    uint8_t cls;      // SentCharClass
    char lower;       // the lowercased byte
} AsciiRule;

struct SentTokenizer {
    char *text;            // [text_len + 1] copy of vocab.txt, each line NUL-terminated in place
    const char **tokens;   // [vocab_size] token text by id
    int32_t *token_lens;   // [vocab_size] token length in bytes
    int vocab_size;
    TokenTable words;        // tokens that start a word, by their bytes
    TokenTable continuations; // "##x" tokens, by the bytes after "##"
    int longest_piece;       // longest key in either table, in bytes: bounds the WordPiece search
    int32_t unk_id, cls_id, sep_id;
    int32_t special_ids[N_SPECIAL]; // -1 when the vocab lacks that special token
    AsciiRule ascii[128];

    // The word being built: normalized UTF-8 bytes and, per normalized character, where its
    // bytes start in word_bytes and which bytes of the original text it came from.
    char word_bytes[WORD_BYTES_CAP];
    int32_t char_offset[MAX_WORD_CHARS + 2];    // [word_chars + 1] byte offset into word_bytes
    int32_t char_src_start[MAX_WORD_CHARS + 1]; // [word_chars] original start byte
    int32_t char_src_end[MAX_WORD_CHARS + 1];   // [word_chars] original end byte
    int word_chars;             // normalized characters in the word (counts past the cap too)
    int32_t word_src_start, word_src_end;
    // Pieces of the current word, held until the whole word is known to match.
    int32_t piece_ids[MAX_WORD_CHARS];
    int32_t piece_first[MAX_WORD_CHARS]; // [n] first character of the piece
    int32_t piece_last[MAX_WORD_CHARS];  // [n] last character of the piece
    uint32_t prefix_hash[WORD_BYTES_CAP + 1]; // [bytes + 1] hash of the candidate's first bytes
};

// --- vocabulary ---------------------------------------------------------------------------------

// FNV-1a, one byte at a time, so the hash of every prefix of a word comes out of one pass.
#define HASH_SEED 2166136261u
static inline uint32_t hash_step(uint32_t h, unsigned char c) { return (h ^ c) * 16777619u; }

static uint32_t hash_bytes(const char *s, int n) {
    uint32_t h = HASH_SEED;
    for (int i = 0; i < n; i++) h = hash_step(h, (unsigned char)s[i]);
    return h;
}

static int table_init(TokenTable *t, int n_keys) { // sized for a load factor of at most 1/2
    uint32_t cap = 16;
    while (cap < (uint32_t)n_keys * 2u) cap <<= 1;
    t->slots = malloc(cap * sizeof *t->slots);
    if (!t->slots) return -1;
    for (uint32_t i = 0; i < cap; i++) t->slots[i] = (TokenSlot){0, -1, 0, 0};
    t->mask = cap - 1;
    return 0;
}

// hash: hash_bytes(key, n).
static int32_t table_find(const SentTokenizer *tok, const TokenTable *t, const char *key, int n, uint32_t hash) {
    for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        const TokenSlot *slot = &t->slots[i];
        if (slot->id < 0) return -1;
        if (slot->hash != hash || slot->key_len != n) continue;
        const char *stored = tok->text + slot->key_at;
        int k = 0;
        while (k < n && stored[k] == key[k]) k++; // keys are a few bytes: no memcmp call
        if (k == n) return slot->id;
    }
}

// key_skip: bytes of the token that are not part of its key (2 for "##").
// Returns 0, or 1 when the key is already present (a duplicate vocab line).
static int table_insert(const SentTokenizer *tok, TokenTable *t, int32_t id, int key_skip) {
    const char *key = tok->tokens[id] + key_skip;
    int n = tok->token_lens[id] - key_skip;
    uint32_t hash = hash_bytes(key, n);
    if (table_find(tok, t, key, n, hash) >= 0) return 1;
    uint32_t i = hash & t->mask;
    while (t->slots[i].id >= 0) i = (i + 1) & t->mask;
    t->slots[i] = (TokenSlot){hash, id, (uint32_t)(key - tok->text), n};
    return 0;
}

static int is_continuation(const char *token, int len) { return len > 2 && token[0] == '#' && token[1] == '#'; }

SentTokenizer *sent_tokenizer_new(const char *vocab_text, size_t vocab_len, char *err, size_t err_size) {
    if (!vocab_text || vocab_len == 0) {
        snprintf(err, err_size, "vocab is empty");
        return NULL;
    }
    if (vocab_len > (size_t)INT32_MAX) {
        snprintf(err, err_size, "vocab is too large (%zu bytes)", vocab_len);
        return NULL;
    }
    if (memchr(vocab_text, '\0', vocab_len)) {
        snprintf(err, err_size, "vocab contains a NUL byte: not a vocab.txt");
        return NULL;
    }
    SentTokenizer *tok = calloc(1, sizeof *tok);
    if (!tok) goto out_of_memory;
    tok->text = malloc(vocab_len + 1);
    if (!tok->text) goto out_of_memory;
    memcpy(tok->text, vocab_text, vocab_len);
    tok->text[vocab_len] = '\0';

    // One token per line; a final newline does not start another token.
    int n = 0;
    for (size_t i = 0; i < vocab_len; i++) n += tok->text[i] == '\n';
    if (tok->text[vocab_len - 1] != '\n') n++;
    tok->tokens = malloc((size_t)n * sizeof *tok->tokens);
    tok->token_lens = malloc((size_t)n * sizeof *tok->token_lens);
    if (!tok->tokens || !tok->token_lens) goto out_of_memory;
    char *line = tok->text;
    for (int id = 0; id < n; id++) {
        char *nl = strchr(line, '\n');
        char *end = nl ? nl : tok->text + vocab_len;
        if (end > line && end[-1] == '\r') end--; // tolerate CRLF files
        *end = '\0';
        tok->tokens[id] = line;
        tok->token_lens[id] = (int32_t)(end - line);
        line = nl ? nl + 1 : end;
    }
    tok->vocab_size = n;

    int n_continuations = 0;
    for (int id = 0; id < n; id++) n_continuations += is_continuation(tok->tokens[id], tok->token_lens[id]);
    if (table_init(&tok->words, n - n_continuations) || table_init(&tok->continuations, n_continuations))
        goto out_of_memory;
    for (int id = 0; id < n; id++) {
        int len = tok->token_lens[id];
        if (len == 0) {
            snprintf(err, err_size, "vocab line %d is empty", id + 1);
            goto fail;
        }
        int cont = is_continuation(tok->tokens[id], len);
        if (table_insert(tok, cont ? &tok->continuations : &tok->words, id, cont ? 2 : 0)) {
            snprintf(err, err_size, "vocab line %d repeats the token '%.60s'", id + 1, tok->tokens[id]);
            goto fail;
        }
        int key_len = cont ? len - 2 : len;
        if (key_len > tok->longest_piece) tok->longest_piece = key_len;
    }

    for (int s = 0; s < N_SPECIAL; s++) tok->special_ids[s] = sent_tokenizer_token_id(tok, special_token_names[s]);
    tok->unk_id = sent_tokenizer_token_id(tok, "[UNK]");
    tok->cls_id = sent_tokenizer_token_id(tok, "[CLS]");
    tok->sep_id = sent_tokenizer_token_id(tok, "[SEP]");
    if (tok->unk_id < 0 || tok->cls_id < 0 || tok->sep_id < 0) {
        snprintf(err, err_size, "vocab lacks [UNK], [CLS] or [SEP]: not a BERT vocab");
        goto fail;
    }

    for (int c = 0; c < 128; c++) {
        int32_t norm[SENT_MAX_NORMALIZED_CHARS];
        uint8_t classes[SENT_MAX_NORMALIZED_CHARS];
        int nn = sent_unicode_normalize(c, norm, classes);
        tok->ascii[c].removed = nn == 0;
        tok->ascii[c].cls = nn ? classes[0] : SENT_CHAR_WORD;
        tok->ascii[c].lower = nn ? (char)norm[0] : (char)c;
    }
    return tok;

out_of_memory:
    snprintf(err, err_size, "out of memory loading the vocab (%zu bytes)", vocab_len);
fail:
    sent_tokenizer_free(tok);
    return NULL;
}

void sent_tokenizer_free(SentTokenizer *tok) {
    if (!tok) return;
    free(tok->words.slots);
    free(tok->continuations.slots);
    free(tok->tokens);
    free(tok->token_lens);
    free(tok->text);
    free(tok);
}

int sent_tokenizer_vocab_size(const SentTokenizer *tok) { return tok->vocab_size; }

int sent_tokenizer_token_id(const SentTokenizer *tok, const char *token) {
    int len = (int)strlen(token);
    if (is_continuation(token, len))
        return table_find(tok, &tok->continuations, token + 2, len - 2, hash_bytes(token + 2, len - 2));
    return table_find(tok, &tok->words, token, len, hash_bytes(token, len));
}

const char *sent_tokenizer_token(const SentTokenizer *tok, int id) {
    return id >= 0 && id < tok->vocab_size ? tok->tokens[id] : NULL;
}

// --- words and WordPiece ------------------------------------------------------------------------

typedef struct {
    SentPieceFn fn;
    void *ctx;
    long long count;
} PieceSink;

static void emit(PieceSink *sink, int32_t id, int32_t start, int32_t end) {
    sink->fn(sink->ctx, id, start, end);
    sink->count++;
}

static void word_push(SentTokenizer *tok, int32_t cp, int32_t src_start, int32_t src_end) {
    if (tok->word_chars == 0) tok->word_src_start = src_start;
    tok->word_src_end = src_end;
    int i = tok->word_chars++;
    if (i > MAX_WORD_CHARS) return; // the word is [UNK] already; only its span still grows
    int32_t at = i == 0 ? 0 : tok->char_offset[i];
    tok->char_offset[i] = at;
    if (cp < 0x80) {
        tok->word_bytes[at] = (char)cp;
        tok->char_offset[i + 1] = at + 1;
    } else {
        tok->char_offset[i + 1] = at + sent_utf8_encode(cp, tok->word_bytes + at);
    }
    tok->char_src_start[i] = src_start;
    tok->char_src_end[i] = src_end;
}

// Greedy longest-match-first over the word's characters, then emits its pieces (or one [UNK]).
static void word_finish(SentTokenizer *tok, PieceSink *sink) {
    int n = tok->word_chars;
    if (n == 0) return;
    tok->word_chars = 0;
    if (n > MAX_WORD_CHARS) {
        emit(sink, tok->unk_id, tok->word_src_start, tok->word_src_end);
        return;
    }
    int n_pieces = 0;
    for (int first = 0; first < n;) {
        const TokenTable *table = first == 0 ? &tok->words : &tok->continuations;
        const char *key = tok->word_bytes + tok->char_offset[first];
        // Candidates are at most longest_piece bytes; hash every candidate length in one pass.
        int limit = first;
        while (limit < n && tok->char_offset[limit + 1] - tok->char_offset[first] <= tok->longest_piece) limit++;
        uint32_t h = HASH_SEED;
        for (int b = 0, end_b = tok->char_offset[limit] - tok->char_offset[first]; b < end_b; b++)
            tok->prefix_hash[b + 1] = h = hash_step(h, (unsigned char)key[b]);
        int32_t id = -1;
        int end = limit;
        for (; end > first; end--) {
            int bytes = tok->char_offset[end] - tok->char_offset[first];
            id = table_find(tok, table, key, bytes, tok->prefix_hash[bytes]);
            if (id >= 0) break;
        }
        if (id < 0) {
            emit(sink, tok->unk_id, tok->word_src_start, tok->word_src_end);
            return;
        }
        tok->piece_ids[n_pieces] = id;
        tok->piece_first[n_pieces] = first;
        tok->piece_last[n_pieces] = end - 1;
        n_pieces++;
        first = end;
    }
    for (int p = 0; p < n_pieces; p++)
        emit(sink, tok->piece_ids[p], tok->char_src_start[tok->piece_first[p]], tok->char_src_end[tok->piece_last[p]]);
}

// Returns the vocab id of the special token that text[at..len) starts with, or -1.
static int32_t match_special(const SentTokenizer *tok, const char *text, size_t at, size_t len, int *match_len) {
    for (int s = 0; s < N_SPECIAL; s++) {
        if (tok->special_ids[s] < 0) continue;
        size_t n = strlen(special_token_names[s]);
        if (len - at >= n && memcmp(text + at, special_token_names[s], n) == 0) {
            *match_len = (int)n;
            return tok->special_ids[s];
        }
    }
    return -1;
}

static void add_char(SentTokenizer *tok, PieceSink *sink, int32_t cp, int cls, int32_t start, int32_t end) {
    if (cls == SENT_CHAR_WORD) {
        word_push(tok, cp, start, end);
    } else {
        word_finish(tok, sink);
        if (cls == SENT_CHAR_ALONE) {
            word_push(tok, cp, start, end);
            word_finish(tok, sink);
        }
    }
}

static long long tokenize(SentTokenizer *tok, const char *text, size_t len, PieceSink *sink, char *err,
                          size_t err_size) {
    if (len > (size_t)INT32_MAX) {
        snprintf(err, err_size, "text too long (%zu bytes; offsets are int32)", len);
        return -1;
    }
    if (len > 0 && !text) {
        snprintf(err, err_size, "text is NULL");
        return -1;
    }
    const unsigned char *s = (const unsigned char *)text;
    tok->word_chars = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char b = s[i];
        int32_t start = (int32_t)i;
        if (b < 0x80) {
            if (b == '[') {
                int match_len = 0;
                int32_t special = match_special(tok, text, i, len, &match_len);
                if (special >= 0) {
                    word_finish(tok, sink);
                    emit(sink, special, start, start + match_len);
                    i += (size_t)match_len;
                    continue;
                }
            }
            const AsciiRule *rule = &tok->ascii[b];
            i++;
            if (!rule->removed) add_char(tok, sink, (unsigned char)rule->lower, rule->cls, start, start + 1);
            continue;
        }
        int32_t cp;
        i += (size_t)sent_utf8_decode(s + i, len - i, &cp);
        int32_t norm[SENT_MAX_NORMALIZED_CHARS];
        uint8_t classes[SENT_MAX_NORMALIZED_CHARS];
        int n = sent_unicode_normalize(cp, norm, classes);
        for (int k = 0; k < n; k++) add_char(tok, sink, norm[k], classes[k], start, (int32_t)i);
    }
    word_finish(tok, sink);
    return sink->count;
}

long long sent_tokenizer_foreach_piece(SentTokenizer *tok, const char *text, size_t len, SentPieceFn piece,
                                       void *ctx, char *err, size_t err_size) {
    PieceSink sink = {piece, ctx, 0};
    return tokenize(tok, text, len, &sink, err, err_size);
}

// --- truncation ---------------------------------------------------------------------------------

// Pieces land in out->ids[1..]: the first `head` in order, the rest in a ring of `tail` slots
// after them that always holds the latest pieces, so a text of any length needs max_len slots.
typedef struct {
    SentEncoding *out;
    int head, tail;
    long long seen; // pieces written so far
} TruncatingWriter;

static void truncating_write(void *ctx, int32_t id, int32_t start, int32_t end) {
    TruncatingWriter *w = ctx;
    long long i = w->seen++;
    int slot;
    if (i < w->head) {
        slot = (int)i;
    } else if (w->tail > 0) {
        slot = w->head + (int)((i - w->head) % w->tail);
    } else {
        return;
    }
    w->out->ids[1 + slot] = id;
    w->out->starts[1 + slot] = start;
    w->out->ends[1 + slot] = end;
}

static void reverse_span(int32_t *a, int lo, int hi) { // reverses a[lo..hi)
    for (hi--; lo < hi; lo++, hi--) {
        int32_t t = a[lo];
        a[lo] = a[hi];
        a[hi] = t;
    }
}

// Rotates a[lo..hi) left by k, in place.
static void rotate_left(int32_t *a, int lo, int hi, int k) {
    reverse_span(a, lo, lo + k);
    reverse_span(a, lo + k, hi);
    reverse_span(a, lo, hi);
}

int sent_tokenizer_encode(SentTokenizer *tok, const char *text, size_t len, const SentTokenizeOptions *opts,
                          SentEncoding *out, char *err, size_t err_size) {
    if (!opts || !out || !out->ids || !out->starts || !out->ends) {
        snprintf(err, err_size, "encode needs options and output arrays");
        return -1;
    }
    if (opts->max_len < 2) {
        snprintf(err, err_size, "max_len must be at least 2 (got %d)", opts->max_len);
        return -1;
    }
    int budget = opts->max_len - 2; // word pieces that fit between [CLS] and [SEP]
    int head = budget;
    if (opts->truncation == SENT_TRUNCATE_HEAD_TAIL) {
        if (opts->head_tokens < 0 || opts->head_tokens > budget) {
            snprintf(err, err_size, "head_tokens must be in 0..%d (got %d)", budget, opts->head_tokens);
            return -1;
        }
        head = opts->head_tokens;
    } else if (opts->truncation != SENT_TRUNCATE_HEAD) {
        snprintf(err, err_size, "unknown truncation %d", (int)opts->truncation);
        return -1;
    }
    TruncatingWriter writer = {out, head, budget - head, 0};
    PieceSink sink = {truncating_write, &writer, 0};
    if (tokenize(tok, text, len, &sink, err, err_size) < 0) return -1;

    long long pieces = sink.count;
    int kept = pieces < budget ? (int)pieces : budget;
    if (pieces > budget && writer.tail > 0) {
        int oldest = (int)((pieces - head) % writer.tail); // ring slot of the oldest kept piece
        rotate_left(out->ids, 1 + head, 1 + budget, oldest);
        rotate_left(out->starts, 1 + head, 1 + budget, oldest);
        rotate_left(out->ends, 1 + head, 1 + budget, oldest);
    }
    int32_t text_end = (int32_t)len;
    out->ids[0] = tok->cls_id;
    out->starts[0] = out->ends[0] = 0;
    out->ids[kept + 1] = tok->sep_id;
    out->starts[kept + 1] = out->ends[kept + 1] = text_end;
    out->n = kept + 2;
    out->n_total = pieces + 2 > INT_MAX ? INT_MAX : (int)(pieces + 2);
    out->truncated = out->n < out->n_total;
    return 0;
}
