// Hostile inputs not covered elsewhere, each with the clear error (or the exact answer) it must
// get. Texts, through a small random model with the real vocabulary: Unicode-only whitespace and
// format characters (no words), a 10 MB review (refused at once), every class of ill-formed UTF-8
// (tokenized as if the bad bytes were not there: they decode to U+FFFD, which BERT's cleaning
// drops), NUL bytes, a BOM, bidirectional controls. Model files: wrong magic with a valid
// checksum, truncation through sent_load_path, overlapping tensors, metadata nested 10,000 deep.
// Safetensors: header longer than the file, offsets out of range, unknown dtypes, deep nesting.
// (test_model.c, test_model_file.c and test_tokenizer*.c cover the rest; docs/reliability.md.)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "smf_bytes.h"
#include "model_file.h"
#include "sentiment.h"
#include "tools/convert.h"
#include "tools/safetensors.h"
#include "util.h"

static SentClassifier *model;

static SentClassifier *random_classifier(uint8_t **bytes, size_t *len) {
    size_t vocab_len;
    char *vocab = sent_read_file("weights/vocab.txt", &vocab_len);
    if (!vocab) {
        fprintf(stderr, "test_hostile: run from the repository root (needs weights/vocab.txt)\n");
        exit(1);
    }
    SentHfConfig cfg = {.model = {.vocab_size = 30522, .dim = 16, .n_layers = 1, .n_heads = 2, .hidden_dim = 32,
                                  .max_position_embeddings = 64, .n_labels = 2}, .positive_index = 1};
    SentConvertOptions opts = sent_convert_defaults();
    opts.quantize = 1, opts.group_size = 8;
    char err[256];
    *bytes = sent_convert_random(&cfg, vocab, &opts, 3, len, err, sizeof err);
    free(vocab);
    if (!*bytes) {
        fprintf(stderr, "random model: %s\n", err);
        exit(1);
    }
    SentError e;
    SentClassifier *c = sent_load_memory(*bytes, *len, NULL, &e);
    if (!c) {
        fprintf(stderr, "load: %s\n", e.message);
        exit(1);
    }
    return c;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_no_words(void) {
    static const char *const texts[] = {
        "\xc2\xa0\xc2\xa0",               // NO-BREAK SPACE
        "\xe3\x80\x80",                    // IDEOGRAPHIC SPACE
        "\xe2\x80\xa8\xe2\x80\xa9",        // LINE / PARAGRAPH SEPARATOR
        "\x01\x02\x1b\x7f",                // C0 controls and DEL
        "\xe2\x80\x8b\xe2\x80\x8d",        // zero-width space, zero-width joiner (format characters)
        "\xe2\x80\xae\xe2\x81\xa6\xe2\x80\xac",   // bidi: RLO, LRI, PDF only
        "\xef\xbb\xbf",                    // a BOM alone
        "\xff\xfe\xc0\x80",                // ill-formed bytes only
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        SentResult r;
        SentError err;
        SentStatus st = sent_classify(model, texts[i], strlen(texts[i]), &r, &err);
        CHECK_MSG(st == SENT_ERR_INPUT && strstr(err.message, "no words"), "text %zu: status %d '%s'", i, st,
                  err.message);
    }
    SentResult r;
    SentError err;
    CHECK(sent_classify(model, "\0\0\0", 3, &r, &err) == SENT_ERR_INPUT && strstr(err.message, "no words"));
}

static void test_ten_megabytes(void) {
    size_t len = 10u << 20;
    char *text = malloc(len);
    for (size_t i = 0; i < len; i++) text[i] = "great film "[i % 11];
    SentResult r;
    SentError err;
    double t0 = now();
    SentStatus st = sent_classify(model, text, len, &r, &err);
    double ms = (now() - t0) * 1e3;
    CHECK_MSG(st == SENT_ERR_INPUT && strstr(err.message, "10485760 bytes") && strstr(err.message, "limit"),
              "status %d '%s'", st, err.message);
    CHECK_MSG(ms < 50, "refusing 10 MB took %.1f ms", ms);   // refused before any tokenizing
    // In a batch it fails alone.
    const char *texts[3] = {"a great film", text, "a dull film"};
    size_t lens[3] = {12, len, 11};
    SentResult out[3];
    CHECK(sent_classify_batch(model, texts, lens, 3, out, &err) == SENT_OK);
    CHECK(out[0].status == SENT_OK && out[1].status == SENT_ERR_INPUT && out[2].status == SENT_OK);
    free(text);
}

// text classifies exactly as clean does: same ids, same probabilities.
static void expect_same_as(const char *what, const char *text, size_t len, const char *clean) {
    SentResult a, b;
    SentError err;
    SentStatus st = sent_classify(model, text, len, &a, &err);
    CHECK_MSG(st == SENT_OK, "%s: status %d '%s'", what, st, err.message);
    if (st != SENT_OK) return;
    int32_t ids[64], starts[64], ends[64];
    int n = a.n_tokens;
    memcpy(ids, a.ids, n * sizeof *ids), memcpy(starts, a.starts, n * sizeof *ids), memcpy(ends, a.ends, n * sizeof *ids);
    float p = a.positive;
    CHECK(sent_classify(model, clean, strlen(clean), &b, &err) == SENT_OK);
    int same = b.n_tokens == n && !memcmp(b.ids, ids, n * sizeof *ids) && b.positive == p;
    CHECK_MSG(same, "%s: %d tokens, clean text %d", what, n, b.n_tokens);
    for (int i = 0; i < n; i++)
        CHECK_MSG(starts[i] >= 0 && starts[i] <= ends[i] && ends[i] <= (int32_t)len, "%s: span %d", what, i);
}

static void test_ill_formed_utf8(void) {
    static const struct {
        const char *what, *text, *clean;
    } cases[] = {
        {"overlong 2-byte '/'", "good \xc0\xaf film", "good  film"},
        {"overlong 3-byte NUL", "good \xe0\x80\x80 film", "good  film"},
        {"overlong 4-byte", "good \xf0\x80\x80\xaf film", "good  film"},
        {"high surrogate in UTF-8", "good \xed\xa0\x80 film", "good  film"},
        {"low surrogate in UTF-8", "good \xed\xbf\xbf film", "good  film"},
        {"surrogate pair in UTF-8 (CESU-8)", "good \xed\xa0\xbd\xed\xb8\x80 film", "good  film"},
        {"above U+10FFFF", "good \xf4\x90\x80\x80 film", "good  film"},
        {"5-byte form", "good \xf8\x88\x80\x80\x80 film", "good  film"},
        {"0xFF and 0xFE", "good \xff\xfe film", "good  film"},
        {"truncated 2-byte at the end", "good film \xc3", "good film "},
        {"truncated 3-byte before ASCII", "good \xe2\x82 film", "good  film"},
        {"truncated 4-byte inside a word", "go\xf0\x9f\x98od film", "good film"},
        {"stray continuation bytes", "good \x80\xbf\x80 film", "good  film"},
        {"continuation inside a word", "fi\x80lm good", "film good"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_same_as(cases[i].what, cases[i].text, strlen(cases[i].text), cases[i].clean);
}

static void test_nul_bom_bidi(void) {
    static const char nul[] = "a great\0 film\0";
    expect_same_as("NUL bytes", nul, sizeof nul - 1, "a great film");
    expect_same_as("BOM at the start", "\xef\xbb\xbf" "a great film", 15, "a great film");
    expect_same_as("BOM inside", "a great\xef\xbb\xbf film", 15, "a great film");
    const char *bidi = "a \xe2\x80\xaegreat\xe2\x80\xac film \xe2\x81\xa7x\xe2\x81\xa9 \xe2\x80\x8f";   // RLO PDF, RLI PDI, RLM
    expect_same_as("bidirectional controls", bidi, strlen(bidi), "a great film x ");
    // The spans of a text after a BOM start after it.
    SentResult r;
    SentError err;
    CHECK(sent_classify(model, "\xef\xbb\xbfgreat", 8, &r, &err) == SENT_OK && r.n_tokens == 3 && r.starts[1] == 3 &&
          r.ends[1] == 8);
}

// --- model files ---------------------------------------------------------------------------------


static SentStatus load_bytes(const uint8_t *bytes, size_t len, SentError *err) {
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, bytes, len);
    SentClassifier *c = sent_load_memory(copy, len, NULL, err);
    sent_free(c);
    free(copy);
    return c ? SENT_OK : err->code;
}

static void test_model_files(const uint8_t *bytes, size_t len) {
    uint8_t *copy = malloc(len);
    SentError err;

    memcpy(copy, bytes, len);
    memcpy(copy, "GGUF\0\0\0\0", 8);
    smf_fix_checksum(copy, len);
    CHECK(load_bytes(copy, len, &err) == SENT_ERR_FORMAT && strstr(err.message, "bad magic"));

    // Overlapping tensors: the second entry's data moved onto the first's.
    size_t table = smf_rd64(bytes + 40);
    memcpy(copy, bytes, len);
    uint8_t *e1 = copy + table + SENT_SMF_ENTRY_SIZE;
    uint64_t first = smf_rd64(copy + table + 136), second_size = smf_rd64(e1 + 144);
    CHECK(second_size <= smf_rd64(copy + table + 144));   // position embeddings fit in the word embeddings
    smf_wr64(e1 + 136, first);
    smf_fix_checksum(copy, len);
    SentStatus st = load_bytes(copy, len, &err);
    CHECK_MSG(st == SENT_ERR_FORMAT && strstr(err.message, "overlaps"), "overlap: %d '%s'", st, err.message);
    // Partly overlapping: the last aligned offset inside the first tensor.
    memcpy(copy, bytes, len);
    smf_wr64(e1 + 136, (first + smf_rd64(copy + table + 144) - 1) / SENT_SMF_ALIGN * SENT_SMF_ALIGN);
    smf_fix_checksum(copy, len);
    CHECK(load_bytes(copy, len, &err) == SENT_ERR_FORMAT && strstr(err.message, "overlaps"));

    // Truncated files on disk, through sent_load_path: a format error that names the file.
    char path[512];
    check_temp_template(path, sizeof path, "sent-hostile");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    size_t cuts[] = {0, 3, 63, 64, 65, 200, table, table + 100, len / 2, len - 1};
    for (size_t i = 0; fd >= 0 && i < sizeof cuts / sizeof cuts[0]; i++) {
        CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, bytes, cuts[i], 0) == (ssize_t)cuts[i]);
        SentClassifier *c = sent_load_path(path, NULL, &err);
        CHECK_MSG(!c && err.code == SENT_ERR_FORMAT && strstr(err.message, path), "cut at %zu: '%s'", cuts[i],
                  err.message);
        sent_free(c);
    }
    if (fd >= 0) close(fd), unlink(path);
    CHECK(sent_load_path("/nonexistent/model.smf", NULL, &err) == NULL && err.code == SENT_ERR_IO &&
          strstr(err.message, "/nonexistent/model.smf"));
    CHECK(sent_load_path(check_temp_dir(), NULL, &err) == NULL && err.code == SENT_ERR_IO &&
          strstr(err.message, "regular"));
    free(copy);
}

// Metadata nested 10,000 deep: cJSON's nesting limit (1000) refuses it; no stack overflow.
static void test_deep_metadata(const uint8_t *bytes, size_t len) {
    char err[256];
    SentModelFile mf;
    CHECK(sent_model_file_parse(&mf, bytes, len, err, sizeof err) == 0);
    enum { DEPTH = 10000 };
    for (int arrays = 0; arrays < 2; arrays++) {
        char *meta = malloc(DEPTH * 6 + 16), *p = meta;
        p += sprintf(p, "{\"x\":");
        for (int i = 0; i < DEPTH; i++) p += sprintf(p, arrays ? "[" : "{\"a\":");
        *p++ = '1';
        for (int i = 0; i < DEPTH; i++) *p++ = arrays ? ']' : '}';
        *p++ = '}', *p = 0;
        size_t out_len;
        uint8_t *file = sent_model_file_build(meta, mf.tensors, mf.n_tensors, &out_len, err, sizeof err);
        CHECK_MSG(file != NULL, "%s", err);
        SentError e;
        if (file) {
            SentStatus st = load_bytes(file, out_len, &e);
            CHECK_MSG(st == SENT_ERR_FORMAT && strstr(e.message, "not a JSON object"), "nested %s: %d '%s'",
                      arrays ? "arrays" : "objects", st, e.message);
        }
        free(file);
        free(meta);
    }
    sent_model_file_close(&mf);
}

// --- safetensors ---------------------------------------------------------------------------------

// A safetensors file of header text + data bytes (the length prefix written from the header).
static uint8_t *safetensors(const char *header, size_t data_len, uint64_t claimed, size_t *len) {
    size_t h = strlen(header);
    *len = 8 + h + data_len;
    uint8_t *b = calloc(1, *len);
    smf_wr64(b, claimed ? claimed : h);
    memcpy(b + 8, header, h);
    return b;
}

static void expect_st(const char *what, const uint8_t *bytes, size_t len, const char *expect) {
    SentSafetensors st;
    char err[256] = "";
    uint8_t *copy = malloc(len ? len : 1);   // exact size, so ASan sees any read past the end
    memcpy(copy, bytes, len);
    int rc = sent_safetensors_parse(&st, copy, len, err, sizeof err);
    if (rc == 0) sent_safetensors_free(&st);
    CHECK_MSG(rc != 0 && strstr(err, expect), "%s: rc %d '%s' (expected '%s')", what, rc, err, expect);
    free(copy);
}

static void test_safetensors(void) {
    size_t len;
    uint8_t *b = safetensors("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 0, &len);
    SentSafetensors st;
    char err[256];
    CHECK_MSG(sent_safetensors_parse(&st, b, len, err, sizeof err) == 0, "%s", err);
    CHECK(st.n_tensors == 1);
    sent_safetensors_free(&st);
    free(b);

    static const struct {
        const char *what, *header;
        size_t data;
        uint64_t claimed;
        const char *expect;
    } cases[] = {
        {"header length larger than the file", "{}", 0, 1000, "does not fit"},
        {"header length 2^64 - 1", "{}", 0, UINT64_MAX, "does not fit"},
        {"header not an object", "[1,2]", 0, 0, "not a JSON object"},
        {"header not JSON", "{\"t\":", 0, 0, "not a JSON object"},
        {"end past the data", "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, 0, "outside"},
        {"begin after end", "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, 0, "outside"},
        {"negative offset", "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8, 0, "outside"},
        {"offset 2^70", "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1e21]}}", 8, 0, "outside"},
        {"size not the shape's", "{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, 0, "bytes for"},
        {"unknown dtype F64", "{\"t\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, 0, "unsupported dtype"},
        {"unknown dtype", "{\"t\":{\"dtype\":\"Q4_K\",\"shape\":[1],\"data_offsets\":[0,1]}}", 8, 0, "unsupported dtype"},
        {"dtype not a string", "{\"t\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 8, 0, "needs dtype"},
        {"negative dim", "{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, 0, "bad shape"},
        {"dims overflowing", "{\"t\":{\"dtype\":\"U8\",\"shape\":[65536,65536,65536,65536],\"data_offsets\":[0,8]}}", 8,
         0, "overflows"},
        {"nine dims", "{\"t\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 8, 0, "dims"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        b = safetensors(cases[i].header, cases[i].data, cases[i].claimed, &len);
        expect_st(cases[i].what, b, len, cases[i].expect);
        free(b);
    }
    // A file shorter than the length prefix.
    expect_st("7 bytes", (const uint8_t *)"\x02\0\0\0\0\0\0", 7, "too short");
    // A header nested 10,000 deep: cJSON's nesting limit, not a stack overflow.
    enum { DEPTH = 10000 };
    char *deep = malloc(DEPTH * 2 + 8), *p = deep;
    p += sprintf(p, "{\"t\":");
    for (int i = 0; i < DEPTH; i++) *p++ = '[';
    for (int i = 0; i < DEPTH; i++) *p++ = ']';
    *p++ = '}', *p = 0;
    b = safetensors(deep, 0, 0, &len);
    expect_st("nested 10,000 deep", b, len, "not a JSON object");
    free(b);
    free(deep);
}

// Regression (fuzz_convert): a weight group of denormals made 1 / scale infinite and 0 * inf a
// NaN cast to int8 (undefined behaviour, caught by UBSan). Such a group quantizes as zeros.
static void test_quantize_denormal_group(void) {
    float w[8] = {0.0f, 1e-40f, -3e-41f, 0.0f, 1.0f, -0.5f, 0.25f, 0.0f};
    int8_t q[8];
    float scale[2];
    sent_quantize_rows(q, scale, w, 1, 8, 4);
    CHECK(q[0] == 0 && q[1] == 0 && q[2] == 0 && q[3] == 0 && scale[0] == 0.0f);
    CHECK(q[4] == 127 && q[5] == -64 && q[6] == 32 && q[7] == 0 && scale[1] == 1.0f / 127.0f);
}

int main(void) {
    uint8_t *bytes;
    size_t len;
    model = random_classifier(&bytes, &len);
    test_no_words();
    test_ten_megabytes();
    test_ill_formed_utf8();
    test_nul_bom_bidi();
    test_model_files(bytes, len);
    test_deep_metadata(bytes, len);
    test_safetensors();
    test_quantize_denormal_group();
    sent_free(model);
    free(bytes);
    return check_summary("hostile");
}
