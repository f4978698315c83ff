// The per-character rules of BERT's text normalizer and pre-tokenizer, as Hugging Face's Rust
// `tokenizers` applies them (BertNormalizer: clean text, pad CJK ideographs, NFD + drop Mn,
// lowercase; BertPreTokenizer: split on whitespace, isolate punctuation). Each input code point
// maps independently to zero or more normalized code points, each with the class that tells the
// pre-tokenizer what to do with it (tokenizer.c precomputes the answers for ASCII).
// Per-character NFD skips canonical reordering. That cannot change a token: reordering moves
// only combining characters, the nonspacing ones are dropped anyway, and none of the 26 others
// with a nonzero combining class (Mc such as U+1D165) is in the BERT vocab, so a word holding
// them is one [UNK] over the same bytes in either order.
#ifndef SENT_UNICODE_TEXT_H
#define SENT_UNICODE_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SENT_CHAR_WORD = 0,   // part of a word
    SENT_CHAR_SPACE = 1,  // ends the current word and is dropped
    SENT_CHAR_ALONE = 2,  // ends the current word and is a word by itself (punctuation, CJK)
} SentCharClass;

// Longest normalized expansion of one code point (NFD of a Hangul syllable or a precomposed
// Greek letter is at most 4 code points; U+0130 lowercases to 2).
#define SENT_MAX_NORMALIZED_CHARS 8

// Normalizes one code point. Writes its normalized code points to out[] with their classes to
// classes[] and returns how many (0: the character is removed, as control characters are).
int sent_unicode_normalize(int32_t cp, int32_t out[SENT_MAX_NORMALIZED_CHARS],
                           uint8_t classes[SENT_MAX_NORMALIZED_CHARS]);

// Decodes one UTF-8 character from s[0..len) (len >= 1). Writes the code point to *cp and
// returns the bytes consumed. An ill-formed sequence yields U+FFFD and consumes the maximal
// ill-formed prefix (1 to 3 bytes), as WHATWG's TextDecoder and Rust's from_utf8_lossy do.
int sent_utf8_decode(const unsigned char *s, size_t len, int32_t *cp);

// Encodes cp as UTF-8 into out (4 bytes room) and returns the byte count.
int sent_utf8_encode(int32_t cp, char *out);

#endif
