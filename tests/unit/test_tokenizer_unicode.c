// Unit tests of the tokenizer's first stages (src/engine/unicode_text.c): UTF-8 decoding with
// replacement of ill-formed sequences, and the per-character BERT normalization and classes.
// The exhaustive comparison with Hugging Face over every code point is
// tests/tokenizer/parity.mjs --codepoints; these pin the rules one by one.
#include <string.h>

#include "check.h"
#include "unicode_text.h"

static int decode(const char *bytes, size_t len, int32_t *cp) {
    return sent_utf8_decode((const unsigned char *)bytes, len, cp);
}

static void test_utf8_decode(void) {
    int32_t cp;
    CHECK(decode("A", 1, &cp) == 1 && cp == 'A');
    CHECK(decode("\xC3\xA9", 2, &cp) == 2 && cp == 0xE9);
    CHECK(decode("\xE2\x82\xAC", 3, &cp) == 3 && cp == 0x20AC);
    CHECK(decode("\xF0\x9F\x98\x80", 4, &cp) == 4 && cp == 0x1F600);
    CHECK(decode("\xF4\x8F\xBF\xBF", 4, &cp) == 4 && cp == 0x10FFFF);
    // Ill-formed: U+FFFD for each maximal ill-formed subpart (Unicode 3.9, as TextDecoder).
    CHECK(decode("\x80", 1, &cp) == 1 && cp == 0xFFFD);        // lone continuation byte
    CHECK(decode("\xFF", 1, &cp) == 1 && cp == 0xFFFD);        // never valid
    CHECK(decode("\xC0\xAF", 2, &cp) == 1 && cp == 0xFFFD);    // overlong lead
    CHECK(decode("\xE0\x80\x80", 3, &cp) == 1 && cp == 0xFFFD); // overlong 3-byte
    CHECK(decode("\xED\xA0\x80", 3, &cp) == 1 && cp == 0xFFFD); // encoded surrogate
    CHECK(decode("\xF4\x90\x80\x80", 4, &cp) == 1 && cp == 0xFFFD); // above U+10FFFF
    CHECK(decode("\xE2\x82", 2, &cp) == 2 && cp == 0xFFFD);    // truncated at the end
    CHECK(decode("\xE2\x82x", 3, &cp) == 2 && cp == 0xFFFD);   // truncated before ASCII
    CHECK(decode("\xF0\x9F\x98", 3, &cp) == 3 && cp == 0xFFFD);
    CHECK(decode("\xC3\xA9\xA9", 3, &cp) == 2 && cp == 0xE9);  // the extra byte is the next char

    char buf[4];
    CHECK(sent_utf8_encode(0x7F, buf) == 1 && buf[0] == 0x7F);
    CHECK(sent_utf8_encode(0xE9, buf) == 2 && memcmp(buf, "\xC3\xA9", 2) == 0);
    CHECK(sent_utf8_encode(0x20AC, buf) == 3 && memcmp(buf, "\xE2\x82\xAC", 3) == 0);
    CHECK(sent_utf8_encode(0x1F600, buf) == 4 && memcmp(buf, "\xF0\x9F\x98\x80", 4) == 0);
}

// Normalizes cp and checks it becomes exactly the expected code points, all of class cls.
static void expect(int32_t cp, int n_expected, const int32_t *expected, int cls) {
    int32_t out[SENT_MAX_NORMALIZED_CHARS];
    uint8_t classes[SENT_MAX_NORMALIZED_CHARS];
    int n = sent_unicode_normalize(cp, out, classes);
    int same = n == n_expected;
    for (int i = 0; same && i < n; i++) same = out[i] == expected[i] && classes[i] == cls;
    CHECK_MSG(same, "U+%04X: got %d chars (first U+%04X class %d), expected %d (first U+%04X class %d)", (unsigned)cp,
              n, n ? (unsigned)out[0] : 0u, n ? classes[0] : -1, n_expected,
              n_expected ? (unsigned)expected[0] : 0u, cls);
}
#define EXPECT(cp, cls, ...)                                                                \
    do {                                                                                    \
        const int32_t e_[] = {__VA_ARGS__};                                                 \
        expect((cp), (int)(sizeof e_ / sizeof e_[0]), e_, (cls));                           \
    } while (0)
#define EXPECT_REMOVED(cp) expect((cp), 0, NULL, 0)

static void test_clean_text(void) {
    EXPECT_REMOVED(0x00);
    EXPECT_REMOVED(0xFFFD);
    EXPECT_REMOVED(0x01);
    EXPECT_REMOVED(0x7F);
    EXPECT_REMOVED(0x200B); // zero width space is Cf
    EXPECT_REMOVED(0xFEFF); // byte order mark
    EXPECT_REMOVED(0x00AD); // soft hyphen
    EXPECT_REMOVED(0xE000); // private use (Co)
    // Cc and White_Space at once: removed before the whitespace rule sees them.
    EXPECT_REMOVED(0x0B);
    EXPECT_REMOVED(0x0C);
    EXPECT_REMOVED(0x85);
    EXPECT(' ', SENT_CHAR_SPACE, ' ');
    EXPECT('\t', SENT_CHAR_SPACE, ' ');
    EXPECT('\n', SENT_CHAR_SPACE, ' ');
    EXPECT('\r', SENT_CHAR_SPACE, ' ');
    EXPECT(0x00A0, SENT_CHAR_SPACE, ' ');
    EXPECT(0x3000, SENT_CHAR_SPACE, ' ');
    EXPECT(0x2028, SENT_CHAR_SPACE, ' ');
    EXPECT(0x0378, SENT_CHAR_WORD, 0x0378); // unassigned (Cn) is kept
}

static void test_lowercase_and_accents(void) {
    EXPECT('A', SENT_CHAR_WORD, 'a');
    EXPECT('z', SENT_CHAR_WORD, 'z');
    EXPECT(0x00E9, SENT_CHAR_WORD, 'e');     // é -> e + U+0301 (Mn, dropped)
    EXPECT(0x00C5, SENT_CHAR_WORD, 'a');     // Å
    EXPECT(0x212B, SENT_CHAR_WORD, 'a');     // ANGSTROM SIGN decomposes to Å
    EXPECT_REMOVED(0x0301);                  // a lone combining accent vanishes
    EXPECT(0x0130, SENT_CHAR_WORD, 'i');     // İ: NFD first, so the dot is dropped
    EXPECT(0x0131, SENT_CHAR_WORD, 0x0131);  // dotless ı stays
    EXPECT(0x03A3, SENT_CHAR_WORD, 0x03C3);  // Σ -> σ, never final ς (no context)
    EXPECT(0x00DF, SENT_CHAR_WORD, 0x00DF);  // ß stays ß
    EXPECT(0x1E9E, SENT_CHAR_WORD, 0x00DF);  // ẞ -> ß
    EXPECT(0xFB01, SENT_CHAR_WORD, 0xFB01);  // ligature ﬁ: NFD keeps it (NFKD would not)
    EXPECT(0xFF21, SENT_CHAR_WORD, 0xFF41);  // fullwidth A -> fullwidth a
    EXPECT(0xD55C, SENT_CHAR_WORD, 0x1112, 0x1161, 0x11AB); // 한 -> three jamo
    EXPECT(0x01C4, SENT_CHAR_WORD, 0x01C6);  // Ǆ -> ǆ
}

static void test_punctuation_and_cjk(void) {
    EXPECT('!', SENT_CHAR_ALONE, '!');
    EXPECT('$', SENT_CHAR_ALONE, '$'); // every ASCII symbol counts, though '$' is Sc
    EXPECT('`', SENT_CHAR_ALONE, '`');
    EXPECT('~', SENT_CHAR_ALONE, '~');
    EXPECT(0x2014, SENT_CHAR_ALONE, 0x2014); // em dash (Pd)
    EXPECT(0x00AB, SENT_CHAR_ALONE, 0x00AB); // « (Pi)
    EXPECT(0x203F, SENT_CHAR_ALONE, 0x203F); // ‿ (Pc)
    EXPECT(0x3002, SENT_CHAR_ALONE, 0x3002); // 。 (Po)
    EXPECT(0x20AC, SENT_CHAR_WORD, 0x20AC);  // € is a symbol, not punctuation
    EXPECT(0x00A9, SENT_CHAR_WORD, 0x00A9);  // ©
    EXPECT(0x4E2D, SENT_CHAR_ALONE, 0x4E2D); // 中
    EXPECT(0x20000, SENT_CHAR_ALONE, 0x20000);
    EXPECT(0xF900, SENT_CHAR_ALONE, 0x8C48); // CJK compatibility ideograph: isolated, then NFD
    EXPECT(0x3042, SENT_CHAR_WORD, 0x3042);  // hiragana is not in BERT's CJK ranges
}

// Hugging Face's category tables are Unicode 8.0, its lowercase Unicode 16 (see unicode_text.c).
static void test_hf_unicode_versions(void) {
    EXPECT(0x061D, SENT_CHAR_WORD, 0x061D);   // Po since Unicode 14: a letter-like char for HF
    EXPECT(0x08D4, SENT_CHAR_WORD, 0x08D4);   // Mn since Unicode 9: kept
    EXPECT(0x166D, SENT_CHAR_ALONE, 0x166D);  // Po in Unicode 8, So later
    EXPECT_REMOVED(0x1734);                   // Mn in Unicode 8, Mc later: dropped
    EXPECT(0x11938, SENT_CHAR_WORD, 0x11938); // not decomposed (NFD tables before Unicode 13)
    EXPECT(0x1C89, SENT_CHAR_WORD, 0x1C8A);   // Unicode 16 case pair
    EXPECT(0x10D50, SENT_CHAR_WORD, 0x10D70);
}

int main(void) {
    test_utf8_decode();
    test_clean_text();
    test_lowercase_and_accents();
    test_punctuation_and_cjk();
    test_hf_unicode_versions();
    return check_summary("test_tokenizer_unicode");
}
