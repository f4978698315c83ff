// BERT's per-character text rules on top of utf8proc's Unicode tables. The order of the steps is
// Hugging Face's BertNormalizer order: clean text, pad CJK ideographs, strip accents (NFD, then
// drop Mn), lowercase; then the pre-tokenizer's whitespace / punctuation split.
#include "unicode_text.h"

#include <stddef.h>

#include "utf8proc.h"

// Where Hugging Face's tables differ from utf8proc 2.8 (Unicode 15.0). HF takes categories from
// the `unicode_categories` crate (Unicode 8.0: later code points are unassigned there, so never
// control, Mn or punctuation), NFD from `unicode-normalization-alignments` (before Unicode 13)
// and lowercase from Rust's std (Unicode 16). Derived from Unicode's DerivedAge and confirmed
// code point by code point against HF (tests/tokenizer/parity_codepoints.mjs checks all of them).
// Between listed code points of one UNASSIGNED range only characters whose category none of the
// rules test (letters, digits, symbols, Mc, unassigned) lie, so the range may cover them.
typedef enum { AS_UNASSIGNED, AS_NONSPACING_MARK, AS_PUNCTUATION, NO_DECOMPOSITION, LOWERCASE_DELTA } Override;
typedef struct {
    int32_t first, last;
    Override what;
    int32_t lowercase_delta; // LOWERCASE_DELTA: lowercase = cp + delta
} HfOverride;

static const HfOverride hf_overrides[] = {
    {0x61D, 0x61D, AS_UNASSIGNED, 0},
    {0x7FD, 0x7FD, AS_UNASSIGNED, 0},
    {0x890, 0x8E2, AS_UNASSIGNED, 0},
    {0x9FD, 0x9FE, AS_UNASSIGNED, 0},
    {0xA76, 0xA76, AS_UNASSIGNED, 0},
    {0xAFA, 0xAFF, AS_UNASSIGNED, 0},
    {0xB55, 0xB55, AS_UNASSIGNED, 0},
    {0xC04, 0xC3C, AS_UNASSIGNED, 0},
    {0xC77, 0xC77, AS_UNASSIGNED, 0},
    {0xC84, 0xC84, AS_UNASSIGNED, 0},
    {0xD00, 0xD00, AS_UNASSIGNED, 0},
    {0xD3B, 0xD3C, AS_UNASSIGNED, 0},
    {0xD81, 0xD81, AS_UNASSIGNED, 0},
    {0xEBA, 0xEBA, AS_UNASSIGNED, 0},
    {0xECE, 0xECE, AS_UNASSIGNED, 0},
    {0x166D, 0x166D, AS_PUNCTUATION, 0},
    {0x1734, 0x1734, AS_NONSPACING_MARK, 0},
    {0x180F, 0x1886, AS_UNASSIGNED, 0},
    {0x1ABF, 0x1ACE, AS_UNASSIGNED, 0},
    {0x1B7D, 0x1B7E, AS_UNASSIGNED, 0},
    {0x1C89, 0x1C89, LOWERCASE_DELTA, 1},
    {0x1DF6, 0x1DFB, AS_UNASSIGNED, 0},
    {0x2E43, 0x2E5D, AS_UNASSIGNED, 0},
    {0xA7CB, 0xA7CB, LOWERCASE_DELTA, -42343},
    {0xA7CC, 0xA7CC, LOWERCASE_DELTA, 1},
    {0xA7CE, 0xA7CE, LOWERCASE_DELTA, 1},
    {0xA7D2, 0xA7D2, LOWERCASE_DELTA, 1},
    {0xA7D4, 0xA7D4, LOWERCASE_DELTA, 1},
    {0xA7DA, 0xA7DA, LOWERCASE_DELTA, 1},
    {0xA7DC, 0xA7DC, LOWERCASE_DELTA, -42561},
    {0xA82C, 0xA82C, AS_UNASSIGNED, 0},
    {0xA8C5, 0xA8C5, AS_UNASSIGNED, 0},
    {0xA8FF, 0xA8FF, AS_UNASSIGNED, 0},
    {0xA9BD, 0xA9BD, AS_UNASSIGNED, 0},
    {0x10D24, 0x10D27, AS_UNASSIGNED, 0},
    {0x10D50, 0x10D65, LOWERCASE_DELTA, 32},
    {0x10EAB, 0x10F89, AS_UNASSIGNED, 0},
    {0x11070, 0x11074, AS_UNASSIGNED, 0},
    {0x110C2, 0x110CD, AS_UNASSIGNED, 0},
    {0x111C9, 0x111C9, AS_PUNCTUATION, 0},
    {0x111CF, 0x111CF, AS_UNASSIGNED, 0},
    {0x1123E, 0x11241, AS_UNASSIGNED, 0},
    {0x1133B, 0x1133B, AS_UNASSIGNED, 0},
    {0x11438, 0x1145E, AS_UNASSIGNED, 0},
    {0x11660, 0x1166C, AS_UNASSIGNED, 0},
    {0x116B9, 0x116B9, AS_UNASSIGNED, 0},
    {0x1182F, 0x1183B, AS_UNASSIGNED, 0},
    {0x11938, 0x11938, NO_DECOMPOSITION, 0},
    {0x1193B, 0x11FFF, AS_UNASSIGNED, 0},
    {0x12FF1, 0x13455, AS_UNASSIGNED, 0},
    {0x16E97, 0x16E9A, AS_UNASSIGNED, 0},
    {0x16EA0, 0x16EB8, LOWERCASE_DELTA, 27},
    {0x16F4F, 0x16F4F, AS_UNASSIGNED, 0},
    {0x16FE2, 0x16FE4, AS_UNASSIGNED, 0},
    {0x1CF00, 0x1CF46, AS_UNASSIGNED, 0},
    {0x1E000, 0x1E4EF, AS_UNASSIGNED, 0},
    {0x1E944, 0x1E95F, AS_UNASSIGNED, 0},
};

static const HfOverride *find_override(int32_t cp) {
    if (cp < 0x61D) return NULL;
    int lo = 0, hi = (int)(sizeof hf_overrides / sizeof hf_overrides[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (cp < hf_overrides[mid].first) hi = mid - 1;
        else if (cp > hf_overrides[mid].last) lo = mid + 1;
        else return &hf_overrides[mid];
    }
    return NULL;
}

// The general category as HF's unicode_categories crate reports it.
static utf8proc_category_t hf_category(int32_t cp) {
    const HfOverride *o = find_override(cp);
    if (o && o->what == AS_UNASSIGNED) return UTF8PROC_CATEGORY_CN;
    if (o && o->what == AS_NONSPACING_MARK) return UTF8PROC_CATEGORY_MN;
    if (o && o->what == AS_PUNCTUATION) return UTF8PROC_CATEGORY_PO;
    return utf8proc_category(cp);
}

static int32_t hf_lowercase(int32_t cp) {
    const HfOverride *o = find_override(cp);
    if (o && o->what == LOWERCASE_DELTA) return cp + o->lowercase_delta;
    return utf8proc_tolower(cp);
}

// Rust's char::is_whitespace: the Unicode White_Space property.
static int is_whitespace(int32_t cp) {
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return 1;
    if (cp < 0x85) return 0;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// HF's is_control: categories Cc, Cf, Co, Cs, except \t \n \r, which count as whitespace.
// Unassigned code points (Cn) are kept. This runs before the whitespace test, so \v, \f and
// U+0085 (Cc and White_Space at once) are removed rather than turned into spaces.
static int is_control(int32_t cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') return 0;
    utf8proc_category_t cat = hf_category(cp);
    return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CO ||
           cat == UTF8PROC_CATEGORY_CS;
}

// The "CJK Unified Ideographs" blocks that BERT isolates like punctuation (HF's is_chinese_char).
static int is_cjk_ideograph(int32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// All ASCII symbols count as punctuation (so '$', '+', '^', '`' split words), plus Unicode P*.
static int is_punctuation(int32_t cp) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
        return 1;
    if (cp < 128) return 0;
    utf8proc_category_t cat = hf_category(cp);
    return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

int sent_unicode_normalize(int32_t cp, int32_t out[SENT_MAX_NORMALIZED_CHARS],
                           uint8_t classes[SENT_MAX_NORMALIZED_CHARS]) {
    if (cp == 0 || cp == 0xFFFD || is_control(cp)) return 0;
    if (is_whitespace(cp)) {
        out[0] = ' ';
        classes[0] = SENT_CHAR_SPACE;
        return 1;
    }
    int cjk = is_cjk_ideograph(cp);
    utf8proc_int32_t decomposed[SENT_MAX_NORMALIZED_CHARS];
    int boundclass = 0;
    const HfOverride *o = find_override(cp);
    utf8proc_ssize_t nd = o && o->what == NO_DECOMPOSITION ? 0 : utf8proc_decompose_char(cp, decomposed, SENT_MAX_NORMALIZED_CHARS, UTF8PROC_DECOMPOSE,
                                                  &boundclass);
    if (nd <= 0 || nd > SENT_MAX_NORMALIZED_CHARS) { // NO_DECOMPOSITION (errors cannot happen)
        decomposed[0] = cp;
        nd = 1;
    }
    int n = 0;
    for (int i = 0; i < nd; i++) {
        int32_t c = decomposed[i];
        if (hf_category(c) == UTF8PROC_CATEGORY_MN) continue;
        // Rust's char::to_lowercase is utf8proc's simple mapping except for U+0130, whose full
        // lowercase is "i" + U+0307; NFD has already split U+0130 into 'I' + U+0307 (dropped).
        int32_t lower = hf_lowercase(c);
        out[n] = lower;
        classes[n] = cjk                   ? SENT_CHAR_ALONE
                     : is_whitespace(lower) ? SENT_CHAR_SPACE
                     : is_punctuation(lower) ? SENT_CHAR_ALONE
                                             : SENT_CHAR_WORD;
        n++;
    }
    return n;
}

int sent_utf8_decode(const unsigned char *s, size_t len, int32_t *cp) {
    unsigned char b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    int need;
    int32_t value;
    unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte (Unicode Table 3-7)
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1, value = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2, value = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F; // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3, value = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    size_t i = 1;
    for (; i <= (size_t)need; i++) {
        if (i >= len) break;
        unsigned char b = s[i];
        unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
        if (b < min || b > max) break;
        value = (value << 6) | (b & 0x3F);
    }
    if (i <= (size_t)need) {
        *cp = 0xFFFD;
        return (int)i;
    }
    *cp = value;
    return need + 1;
}

int sent_utf8_encode(int32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}
