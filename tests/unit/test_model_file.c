// The .smf loader against damaged and hostile files: truncation at every header/table/tensor
// boundary, flipped bytes (with and without a repaired checksum), huge sizes and offsets, bad
// JSON, wrong JSON types, shape mismatches, missing tensors. Each must be a clean error (this
// test runs under ASan/UBSan, so an out-of-bounds read fails it), and a valid file must load.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "smf_bytes.h"
#include "tools/convert.h"
#include "model_file.h"
#include "sentiment.h"

static const char *vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nmovie\nwas\ngreat\nbad\n.\n";

static uint8_t *valid_model(int quantize, size_t *len) {
    SentHfConfig cfg = {.model = {.vocab_size = 16, .dim = 16, .n_layers = 1, .n_heads = 2, .hidden_dim = 32,
                        .max_position_embeddings = 16, .n_labels = 2}, .positive_index = 1};
    strcpy(cfg.labels[0], "NEGATIVE");
    strcpy(cfg.labels[1], "POSITIVE");
    SentConvertOptions opts = sent_convert_defaults();
    opts.quantize = quantize;
    opts.group_size = 8;
    char err[256];
    uint8_t *bytes = sent_convert_random(&cfg, vocab, &opts, 1, len, err, sizeof err);
    if (!bytes) {
        fprintf(stderr, "cannot build the test model: %s\n", err);
        exit(1);
    }
    return bytes;
}


// Parses a copy of bytes[0..len) (so ASan sees its exact end); returns 0 when it was accepted.
static int parse_copy(const uint8_t *bytes, size_t len, char *err, size_t err_size) {
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, bytes, len);
    SentModelFile mf;
    int rc = sent_model_file_parse(&mf, copy, len, err, err_size);
    if (rc == 0) sent_model_file_close(&mf);
    free(copy);
    return rc;
}

// Loads bytes through the public API, and if they load, classifies a text.
static SentStatus load_copy(const uint8_t *bytes, size_t len, SentError *err) {
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, bytes, len);
    SentClassifier *c = sent_load_memory(copy, len, NULL, err);
    if (c) {
        SentResult r;
        sent_classify(c, "the movie was great.", 20, &r, err);
        sent_free(c);
    }
    free(copy);
    return c ? SENT_OK : err->code;
}

static void test_crc32(void) {
    CHECK(sent_crc32(0, "123456789", 9) == 0xCBF43926u);  // the standard check value
    CHECK(sent_crc32(sent_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u);
    // The 8-byte path and the byte path agree, whatever the split.
    uint8_t buf[1000];
    for (int i = 0; i < 1000; i++) buf[i] = (uint8_t)(i * 131 + 7);
    uint32_t whole = sent_crc32(0, buf, sizeof buf), bytewise = 0;
    for (int i = 0; i < 1000; i++) bytewise = sent_crc32(bytewise, buf + i, 1);
    CHECK(whole == bytewise);
    CHECK(sent_crc32(sent_crc32(0, buf, 333), buf + 333, 667) == whole);
    CHECK(sent_crc32(0, "The quick brown fox jumps over the lazy dog", 43) == 0x414FA339u);
}

static void test_valid(const uint8_t *bytes, size_t len) {
    char err[512];
    SentModelFile mf;
    CHECK_MSG(sent_model_file_parse(&mf, bytes, len, err, sizeof err) == 0, "%s", err);
    CHECK(mf.n_tensors == 8 + 16);
    const SentTensor *t = sent_model_file_find(&mf, "distilbert.transformer.layer.0.ffn.lin1.weight");
    CHECK(t && t->ndim == 2 && t->shape[0] == 32 && t->shape[1] == 16);
    CHECK(t && ((const uint8_t *)t->data - bytes) % SENT_SMF_ALIGN == 0);
    CHECK(sent_model_file_find(&mf, "no.such.tensor") == NULL);
    sent_model_file_close(&mf);
    SentError e;
    CHECK_MSG(load_copy(bytes, len, &e) == SENT_OK, "%s", e.message);
}

// Every prefix that ends on a structural boundary (and a stride of others) is rejected.
static void test_truncation(const uint8_t *bytes, size_t len) {
    char err[512];
    uint64_t meta_size = smf_rd64(bytes + 32), table = smf_rd64(bytes + 40);
    uint32_t n = (uint32_t)smf_rd64(bytes + 48) & 0xFFFFFFFFu;
    size_t cuts[512];
    int n_cuts = 0;
    size_t fixed[] = {0, 1, 7, 8, 12, 16, 24, 40, 56, 60, 63, 64, 65, 64 + meta_size - 1, 64 + meta_size, table, len - 1};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) cuts[n_cuts++] = fixed[i];
    for (uint32_t i = 0; i <= n && n_cuts < 400; i++) cuts[n_cuts++] = table + (size_t)i * SENT_SMF_ENTRY_SIZE;
    for (uint32_t i = 0; i < n && n_cuts < 480; i++) {
        const uint8_t *e = bytes + table + (size_t)i * SENT_SMF_ENTRY_SIZE;
        cuts[n_cuts++] = smf_rd64(e + 136);                     // start of the tensor's data
        cuts[n_cuts++] = smf_rd64(e + 136) + smf_rd64(e + 144) - 1; // its last byte missing
    }
    int rejected = 0;
    for (int i = 0; i < n_cuts; i++) {
        if (cuts[i] >= len) continue;
        err[0] = '\0';
        int rc = parse_copy(bytes, cuts[i], err, sizeof err);
        CHECK_MSG(rc != 0 && err[0], "prefix of %zu bytes accepted", cuts[i]);
        rejected += rc != 0;
    }
    for (size_t cut = 0; cut < len; cut += 997) CHECK(parse_copy(bytes, cut, err, sizeof err) != 0);
    CHECK(rejected > 50);
    // One byte too many is rejected as well (the header records the size).
    uint8_t *longer = calloc(1, len + 1);
    memcpy(longer, bytes, len);
    CHECK(parse_copy(longer, len + 1, err, sizeof err) != 0 && strstr(err, "header says"));
    free(longer);
}

// A flipped byte anywhere before the data is caught by the checksum; with the checksum repaired,
// the structural checks (or the model's own) must catch it or the file must still be safe to use.
static void test_flips(const uint8_t *bytes, size_t len) {
    char err[512];
    size_t data_start = smf_rd64(bytes + 40) + (size_t)(smf_rd64(bytes + 48) & 0xFFFFFFFFu) * SENT_SMF_ENTRY_SIZE;
    uint8_t *copy = malloc(len);
    int caught = 0, flips = 0;
    for (size_t pos = 0; pos < data_start; pos += (pos < 64 ? 1 : 7)) {
        memcpy(copy, bytes, len);
        copy[pos] ^= 0x5A;
        int rc = parse_copy(copy, len, err, sizeof err);
        CHECK_MSG(rc != 0, "flip at %zu accepted", pos);
        if (pos >= 60 && pos < 64) continue;  // the checksum field itself
        smf_fix_checksum(copy, len);
        SentError e;
        caught += load_copy(copy, len, &e) != SENT_OK;
        flips++;
    }
    // Data bytes are not structure: a flip there fails the checksum only.
    memcpy(copy, bytes, len);
    copy[len - 3] ^= 1;
    CHECK(parse_copy(copy, len, err, sizeof err) != 0 && strstr(err, "checksum"));
    printf("flips with a repaired checksum: %d of %d rejected by validation, the rest loaded and ran safely\n", caught,
           flips);
    CHECK(caught > flips / 2);
    free(copy);
}

// Hostile values in the header and the table, each with a valid checksum.
static void test_hostile_fields(const uint8_t *bytes, size_t len) {
    char err[512];
    uint8_t *copy = malloc(len);
    size_t table = smf_rd64(bytes + 40);
    uint8_t *e0 = copy + table;  // first entry: the word embeddings
    struct {
        const char *what;
        size_t offset;  // into the file, or table-relative when >= 1 << 30
        int width;
        uint64_t value;
        const char *expect;
    } cases[] = {
        {"version", 8, 4, 2, "version"},
        {"header size", 12, 4, 128, "bad header"},
        {"file size", 16, 8, UINT64_MAX, "header says"},
        {"metadata offset", 24, 8, 65, "metadata"},
        {"metadata size", 32, 8, UINT64_MAX, "metadata"},
        {"metadata size past the file", 32, 8, (uint64_t)len, "metadata"},
        {"table offset", 40, 8, UINT64_MAX - 7, "tensor table"},
        {"table offset misaligned", 40, 8, table + 1, "tensor table"},
        {"tensor count", 48, 4, 0xFFFFFFFFu, "tensor count"},
        {"tensor count 0", 48, 4, 0, "tensor count"},
        {"entry size", 52, 4, 100, "bad header"},
        {"flags", 56, 4, 1, "bad header"},
        {"dtype", (1u << 30) + 96, 4, 9, "dtype"},
        {"ndim 0", (1u << 30) + 100, 4, 0, "ndim"},
        {"ndim 5", (1u << 30) + 100, 4, 5, "ndim"},
        {"dim 0", (1u << 30) + 104, 8, 0, "out of range"},
        {"dim huge", (1u << 30) + 104, 8, UINT64_MAX, "out of range"},
        {"unused dim", (1u << 30) + 120, 8, 3, "unused dim"},
        {"offset huge", (1u << 30) + 136, 8, UINT64_MAX - 63, "outside"},
        {"offset misaligned", (1u << 30) + 136, 8, 64 * 3 + 1, "aligned"},
        {"offset in the table", (1u << 30) + 136, 8, 64, "outside"},
        {"size", (1u << 30) + 144, 8, UINT64_MAX, "does not match"},
        {"reserved", (1u << 30) + 156, 4, 1, "reserved"},
        {"f32 with a group", (1u << 30) + 152, 4, 8, "quantization fields"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(copy, bytes, len);
        uint8_t *p = cases[i].offset >= (1u << 30) ? e0 + (cases[i].offset - (1u << 30)) : copy + cases[i].offset;
        if (cases[i].width == 4) smf_wr32(p, (uint32_t)cases[i].value);
        else smf_wr64(p, cases[i].value);
        smf_fix_checksum(copy, len);
        err[0] = '\0';
        int rc = parse_copy(copy, len, err, sizeof err);
        CHECK_MSG(rc != 0 && strstr(err, cases[i].expect), "%s: rc %d, message '%s'", cases[i].what, rc, err);
    }
    // A name without its NUL, and a duplicated name.
    memcpy(copy, bytes, len);
    memset(e0, 'x', SENT_SMF_NAME_SIZE);
    smf_fix_checksum(copy, len);
    CHECK(parse_copy(copy, len, err, sizeof err) != 0 && strstr(err, "NUL"));
    memcpy(copy, bytes, len);
    memcpy(e0 + SENT_SMF_ENTRY_SIZE, e0, SENT_SMF_NAME_SIZE);
    smf_fix_checksum(copy, len);
    CHECK(parse_copy(copy, len, err, sizeof err) != 0 && strstr(err, "twice"));
    free(copy);
}

static void test_int8_fields(const uint8_t *bytes, size_t len) {
    char err[512];
    uint8_t *copy = malloc(len);
    uint8_t *e0 = copy + smf_rd64(bytes + 40);  // word embeddings, int8 here
    struct {
        const char *what;
        int offset, width;
        uint64_t value;
        const char *expect;
    } cases[] = {
        {"group 0", 152, 4, 0, "group size"},
        {"group not dividing", 152, 4, 7, "group size"},
        {"scale size", 168, 8, 4, "scale size"},
        {"scale offset huge", 160, 8, UINT64_MAX - 63, "scales outside"},
        {"scale offset misaligned", 160, 8, 65, "aligned"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(copy, bytes, len);
        if (cases[i].width == 4) smf_wr32(e0 + cases[i].offset, (uint32_t)cases[i].value);
        else smf_wr64(e0 + cases[i].offset, cases[i].value);
        smf_fix_checksum(copy, len);
        err[0] = '\0';
        CHECK_MSG(parse_copy(copy, len, err, sizeof err) != 0 && strstr(err, cases[i].expect), "%s: '%s'",
                  cases[i].what, err);
    }
    free(copy);
}

// Rebuilds the file from its own tensors with edited metadata (or a dropped/renamed tensor) and
// checks that loading fails with a format error mentioning expect.
static void expect_rebuilt_rejected(const SentModelFile *mf, const char *meta, int drop_last, const char *expect) {
    char err[512];
    size_t len;
    uint8_t *bytes = sent_model_file_build(meta, mf->tensors, mf->n_tensors - drop_last, &len, err, sizeof err);
    CHECK_MSG(bytes != NULL, "%s", err);
    if (!bytes) return;
    SentError e = {0};
    SentStatus st = load_copy(bytes, len, &e);
    CHECK_MSG(st == SENT_ERR_FORMAT && strstr(e.message, expect), "expected '%s', got %d '%s'", expect, st, e.message);
    free(bytes);
}

static void test_metadata(const uint8_t *bytes, size_t len) {
    char err[512];
    SentModelFile mf;
    if (sent_model_file_parse(&mf, bytes, len, err, sizeof err)) return;
    char *good = cJSON_PrintUnformatted(mf.meta);
    expect_rebuilt_rejected(&mf, "{not json", 0, "not a JSON object");
    expect_rebuilt_rejected(&mf, "[1, 2, 3]", 0, "not a JSON object");
    expect_rebuilt_rejected(&mf, "{}", 0, "config");
    expect_rebuilt_rejected(&mf, good, 1, "classifier.bias");  // last tensor missing

    struct {
        const char *path[3];
        const char *json;  // replacement value, NULL to delete
        const char *expect;
    } edits[] = {
        {{"config", "dim"}, "\"16\"", "config.dim"},
        {{"config", "dim"}, "32", "shape"},
        {{"config", "dim"}, "-1", "config.dim"},
        {{"config", "n_heads"}, "3", "multiple of n_heads"},
        {{"config", "hidden_dim"}, "1e300", "config.hidden_dim"},
        {{"config", "vocab_size"}, "17", "shape"},
        {{"config", "n_layers"}, "2", "missing"},
        {{"config", "activation"}, "\"relu\"", "activation"},
        {{"config", "layer_norm_eps"}, NULL, "layer_norm_eps"},
        {{"labels"}, "[\"a\"]", "labels"},
        {{"labels"}, "[\"a\", 7]", "label 1"},
        {{"positive_index"}, "2", "positive_index"},
        {{"positive_index"}, "0.5", "positive_index"},
        {{"tokenizer", "max_len"}, "17", "max_len"},
        {{"tokenizer", "lowercase"}, "false", "lowercase"},
        {{"tokenizer", "truncation"}, "\"middle\"", "truncation"},
        {{"tokenizer", "head_tokens"}, "15", "head_tokens"},
        {{"tokenizer", "vocab"}, NULL, "vocab"},
        {{"tokenizer", "vocab"}, "\"a\\nb\\nc\\nd\\ne\\nf\\ng\\nh\\ni\\nj\\nk\\nl\\nm\\nn\\no\\np\\nq\\nr\\n\"", "embedded vocab"},
        {{"quantization"}, NULL, "quantization"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        cJSON *meta = cJSON_Parse(good);
        cJSON *parent = meta;
        int depth = edits[i].path[1] ? (edits[i].path[2] ? 2 : 1) : 0;
        for (int d = 0; d < depth; d++) parent = cJSON_GetObjectItemCaseSensitive(parent, edits[i].path[d]);
        const char *key = edits[i].path[depth];
        if (edits[i].json) cJSON_ReplaceItemInObjectCaseSensitive(parent, key, cJSON_Parse(edits[i].json));
        else cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
        char *text = cJSON_PrintUnformatted(meta);
        expect_rebuilt_rejected(&mf, text, 0, edits[i].expect);
        free(text);
        cJSON_Delete(meta);
    }
    free(good);
    sent_model_file_close(&mf);
}

int main(void) {
    size_t len, q_len;
    uint8_t *bytes = valid_model(0, &len), *q_bytes = valid_model(1, &q_len);
    test_crc32();
    test_valid(bytes, len);
    test_valid(q_bytes, q_len);
    test_truncation(bytes, len);
    test_truncation(q_bytes, q_len);
    test_flips(bytes, len);
    test_hostile_fields(bytes, len);
    test_int8_fields(q_bytes, q_len);
    test_metadata(bytes, len);
    free(bytes);
    free(q_bytes);
    return check_summary("model_file");
}
