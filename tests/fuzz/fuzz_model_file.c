// libFuzzer target for the model loader: every input is parsed as a .smf file twice, as given
// (the checksum rejects nearly all of them) and with its checksum repaired, so that mutations
// reach the header, table and metadata validation; whatever loads is then used to classify a
// text. `make fuzz` builds and runs it (clang, ASan + UBSan). tests/fuzz/corpus/model_file/tiny.smf
// was written by LLVMFuzzerInitialize with SENT_FUZZ_SEED=that path, and tiny-hybrid.smf (the same
// model with a 64-bucket n-gram model, src/engine/ngram.h) with SENT_FUZZ_HYBRID_SEED.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/convert.h"
#include "tools/hybrid.h"
#include "model_file.h"
#include "sentiment.h"

static void write_seed(const char *path, const uint8_t *bytes, size_t len) {
    FILE *f = path && bytes ? fopen(path, "wb") : NULL;
    if (f) {
        fwrite(bytes, 1, len, f);
        fclose(f);
    }
}

// Writes a small valid model into $SENT_FUZZ_SEED, and a hybrid of it into $SENT_FUZZ_HYBRID_SEED,
// as corpus entries.
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    const char *seed_path = getenv("SENT_FUZZ_SEED"), *hybrid_path = getenv("SENT_FUZZ_HYBRID_SEED");
    if (!seed_path && !hybrid_path) return 0;
    SentHfConfig cfg = {.model = {.vocab_size = 12, .dim = 8, .n_layers = 1, .n_heads = 2, .hidden_dim = 16,
                        .max_position_embeddings = 8, .n_labels = 2}, .positive_index = 1};
    SentConvertOptions opts = sent_convert_defaults();
    opts.quantize = 1;
    opts.group_size = 4;
    char err[256];
    size_t len;
    uint8_t *bytes = sent_convert_random(&cfg, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ngood\nbad\n", &opts, 1, &len,
                                         err, sizeof err);
    write_seed(seed_path, bytes, len);
    int8_t weight[64];
    float scale[1] = {0.05f};
    for (int i = 0; i < 64; i++) weight[i] = (int8_t)(i * 4 - 127);
    SentNgram ngram = {.bucket_bits = 6, .max_n = 2, .bias = 0.1f, .mix = 0.5f, .weight = weight, .scale = scale,
                       .group_size = 64};
    size_t hybrid_len = 0;
    uint8_t *hybrid = bytes ? sent_model_with_ngram(bytes, len, &ngram, "fuzz seed", &hybrid_len, err, sizeof err) : NULL;
    write_seed(hybrid_path, hybrid, hybrid_len);
    free(hybrid);
    free(bytes);
    return 0;
}

static void try_load(const uint8_t *bytes, size_t len) {
    SentError err;
    SentOptions opts = {.max_batch = 2, .kernels = NULL};
    SentClassifier *c = sent_load_memory(bytes, len, &opts, &err);
    if (!c) return;
    SentResult r;
    sent_classify(c, "good bad good", 13, &r, &err);
    sent_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    try_load(copy, size);
    if (size >= SENT_SMF_HEADER_SIZE) {
        uint32_t crc = sent_smf_checksum(copy, size);
        for (int i = 0; i < 4; i++) copy[60 + i] = (uint8_t)(crc >> (8 * i));
        try_load(copy, size);
    }
    free(copy);
    return 0;
}
