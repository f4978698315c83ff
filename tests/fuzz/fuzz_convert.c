// libFuzzer target for the safetensors importer and `convert`: the input is written as
// model.safetensors next to a fixed config.json and vocab.txt (a 1-layer DistilBERT of dim 8) in
// a temporary directory, then converted to fp32 and to int8. Each conversion must fail with a
// message or write a file that loads and classifies. The bytes are also parsed in memory and
// every tensor converted to fp32 / int32 (what the importer reads). `make fuzz` runs it; the seeds
// in tests/fuzz/corpus/convert/ come from tests/fuzz/make_safetensors_seeds.py.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/safetensors.h"
#include "sentiment.h"
#include "tools/convert.h"

static char dir[256], st_path[320], out_path[320];

static void write_file(const char *path, const void *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f)) abort();
}

static void init_dir(void) {
    // The system's temporary folder ($TMPDIR, else the C library's default), never a fixed path.
    snprintf(dir, sizeof dir, "%s/sent-fuzz-convert-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir);
    if (!mkdtemp(dir)) abort();
    char path[320];
    static const char config[] = "{\"vocab_size\": 12, \"dim\": 8, \"n_layers\": 1, \"n_heads\": 2, \"hidden_dim\": 16, "
                                 "\"max_position_embeddings\": 8, \"activation\": \"gelu\", "
                                 "\"id2label\": {\"0\": \"NEGATIVE\", \"1\": \"POSITIVE\"}}";
    static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ngood\nbad\n";
    snprintf(path, sizeof path, "%s/config.json", dir);
    write_file(path, config, sizeof config - 1);
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    write_file(path, vocab, sizeof vocab - 1);
    snprintf(st_path, sizeof st_path, "%s/model.safetensors", dir);
    snprintf(out_path, sizeof out_path, "%s/out.smf", dir);
}

static void cleanup(void) {
    unlink(st_path), unlink(out_path);
    char path[320];
    snprintf(path, sizeof path, "%s/config.json", dir), unlink(path);
    snprintf(path, sizeof path, "%s/vocab.txt", dir), unlink(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dir[0]) init_dir(), atexit(cleanup);
    char err[512];

    SentSafetensors st;
    if (sent_safetensors_parse(&st, data, size, err, sizeof err) == 0) {
        for (int i = 0; i < st.n_tensors; i++) {
            const SentStTensor *t = &st.tensors[i];
            if (t->numel < 0 || (t->size && (t->data < data || t->data + t->size > data + size))) abort();
            void *out = malloc((size_t)t->numel * 4 + 1);
            if (!out) abort();
            if (sent_safetensors_to_f32(t, out)) sent_safetensors_to_i32(t, out);
            free(out);
        }
        sent_safetensors_free(&st);
    } else if (!err[0]) {
        abort();   // a refusal says why
    }

    write_file(st_path, data, size);
    for (int q = 0; q < 2; q++) {
        SentConvertOptions opts = sent_convert_defaults();
        opts.quantize = q, opts.group_size = 4;
        err[0] = 0;
        unlink(out_path);
        if (sent_convert_hf(dir, out_path, &opts, NULL, err, sizeof err)) {
            if (!err[0]) abort();
            if (access(out_path, F_OK) == 0) abort();   // a failed conversion leaves no file behind
            continue;
        }
        SentError e;
        SentClassifier *c = sent_load_path(out_path, NULL, &e);
        if (!c) {
            fprintf(stderr, "converted file does not load: %s\n", e.message);
            abort();
        }
        SentResult r;
        if (sent_classify(c, "good bad", 8, &r, &e) != SENT_OK) abort();
        sent_free(c);
    }
    return 0;
}
