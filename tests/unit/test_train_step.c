// One whole training step of the C trainer against PyTorch, and the exactness of resuming.
//
// 1. A tiny model with random weights runs a classification batch and an MLM batch (padding
//    included, dropout off); the weights, the batches, the losses and every parameter gradient
//    go to build/test-artifacts/train_step/ as Hugging Face checkpoints (the trainer's own
//    exporter). tests/reference/train_step_reference.py rebuilds the network in PyTorch with the
//    same parameter names, recomputes losses and gradients, prints the max differences and fails
//    beyond tolerance.
// 2. A checkpoint written mid-run and loaded into a fresh model continues bit-for-bit (dropout
//    on: its masks come from (seed, step) counters, not from state that could be lost).
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cJSON.h"
#include "check.h"
#include "tools/convert.h"
#include "sentiment.h"
#include "train/export_hf.h"
#include "train/import_smf.h"
#include "train/trainable_distilbert.h"
#include "train/rng.h"
#include "train/train.h"

#define OUT_DIR "build/test-artifacts/train_step"
#define VOCAB "weights/vocab.txt"

enum { B = 3, T = 7, M = 5 };
static const SentDistilBertConfig CONFIG = {.vocab_size = 50, .max_position_embeddings = 9, .n_layers = 2,
                                            .dim = 16, .n_heads = 2, .hidden_dim = 24, .n_labels = 2};
static const int LENS[B] = {7, 4, 2};

// Weights with enough spread that every parameter, LayerNorm and biases included, matters.
static void randomize(SentBert *m, uint64_t seed) {
    size_t offset = 0;
    for (int i = 0; i < SENT_BERT_NUM_PARAMS; i++) {
        int is_ln_weight = i == 2 || i == 8 || i == 14 || i == 22;
        for (size_t j = 0; j < m->param_sizes[i]; j++) {
            float r = (float)(2 * uniform01(seed, offset + j) - 1);
            m->params_memory[offset + j] = is_ln_weight ? 1.0f + 0.2f * r : 0.5f * r;
        }
        offset += m->param_sizes[i];
    }
}

static void make_batch(int32_t *ids, uint8_t *mask, int32_t *labels) {
    for (int b = 0; b < B; b++) {
        labels[b] = b % 2;
        for (int t = 0; t < T; t++) {
            mask[b * T + t] = t < LENS[b];
            ids[b * T + t] = t >= LENS[b] ? 0 : t == 0 ? 1 : t == LENS[b] - 1 ? 2 : 3 + (b * 13 + t * 7) % 47;
        }
    }
}

static cJSON *int_array(const int32_t *x, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(x[i]));
    return a;
}

static void export_grads(const SentBert *m, const char *dir, int mlm) {
    SentBert view = *m;   // the exporter walks `params`; point it at the gradients
    view.params = m->grads;
    sent_export_hf(&view, dir, VOCAB, mlm);
}

static void write_reference_inputs(void) {
    mkdir("build", 0755), mkdir("build/test-artifacts", 0755), mkdir(OUT_DIR, 0755);
    SentBert m;
    sent_bert_build(&m, CONFIG, B, T, M);
    randomize(&m, 7);
    int32_t ids[B * T], labels[B];
    uint8_t mask[B * T];
    make_batch(ids, mask, labels);
    int32_t mask_i32[B * T];
    for (int i = 0; i < B * T; i++) mask_i32[i] = mask[i];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "B", B);
    cJSON_AddNumberToObject(j, "T", T);
    cJSON_AddItemToObject(j, "ids", int_array(ids, B * T));
    cJSON_AddItemToObject(j, "mask", int_array(mask_i32, B * T));
    cJSON_AddItemToObject(j, "labels", int_array(labels, B));

    float loss = sent_bert_forward_classify(&m, ids, mask, labels, B, 0, 0);
    sent_bert_zero_grad(&m);
    sent_bert_backward(&m, 0);
    cJSON_AddNumberToObject(j, "loss", loss);
    sent_export_hf(&m, OUT_DIR "/cls", VOCAB, 0);
    export_grads(&m, OUT_DIR "/cls_grads", 0);

    // MLM: positions 1..3 of the first row, 1 of the second, 1 of the third ([SEP]-free rows aside)
    int32_t rows[M] = {1, 2, 5, T + 1, 2 * T + 1}, targets[M], mlm_ids[B * T];
    memcpy(mlm_ids, ids, sizeof ids);
    for (int i = 0; i < M; i++) targets[i] = ids[rows[i]], mlm_ids[rows[i]] = 4;   // 4 plays [MASK]
    float mlm_loss = sent_bert_forward_mlm(&m, mlm_ids, mask, rows, targets, B, M, 0, 0);
    sent_bert_zero_grad(&m);
    sent_bert_backward(&m, 1);
    cJSON_AddItemToObject(j, "mlm_ids", int_array(mlm_ids, B * T));
    cJSON_AddItemToObject(j, "mlm_rows", int_array(rows, M));
    cJSON_AddItemToObject(j, "mlm_targets", int_array(targets, M));
    cJSON_AddNumberToObject(j, "mlm_loss", mlm_loss);
    sent_export_hf(&m, OUT_DIR "/mlm", VOCAB, 1);
    export_grads(&m, OUT_DIR "/mlm_grads", 1);

    char *text = cJSON_Print(j);
    FILE *f = fopen(OUT_DIR "/batch.json", "w");
    CHECK(f != NULL);
    if (f) fputs(text, f), fclose(f);
    cJSON_free(text);
    cJSON_Delete(j);
    sent_bert_free(&m);
}

// Distillation's soft targets through the whole model: a one-hot target gives the hard loss and
// gradients; a target (1 - q, q) gives exactly q * (label 1) + (1 - q) * (label 0), loss and
// every parameter gradient, since soft cross-entropy is linear in its target.
static void test_soft_targets(void) {
    SentBert m;
    sent_bert_build(&m, CONFIG, B, T, 0);
    randomize(&m, 5);
    int32_t ids[B * T], labels[B], ones[B], zeros[B];
    uint8_t mask[B * T];
    make_batch(ids, mask, labels);
    size_t n = m.num_params;
    float *g_hard = malloc(n * sizeof(float)), *g1 = malloc(n * sizeof(float)), *g0 = malloc(n * sizeof(float));
    float soft[B * 2];

    float hard = sent_bert_forward_classify(&m, ids, mask, labels, B, 0, 0);
    sent_bert_zero_grad(&m), sent_bert_backward(&m, 0);
    memcpy(g_hard, m.grads_memory, n * sizeof(float));
    for (int b = 0; b < B; b++) soft[2 * b] = labels[b] == 0, soft[2 * b + 1] = labels[b] == 1;
    float one_hot = sent_bert_forward_classify_soft(&m, ids, mask, soft, B, 0, 0);
    sent_bert_zero_grad(&m), sent_bert_backward(&m, 0);
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(m.grads_memory[i] - g_hard[i]));
    printf("  one-hot soft targets: loss %.7f vs %.7f, max gradient difference %.2e\n", one_hot, hard, worst);
    CHECK_NEAR(one_hot, hard, 1e-5);
    CHECK_NEAR(worst, 0.0, 1e-6);

    for (int b = 0; b < B; b++) ones[b] = 1, zeros[b] = 0;
    float loss1 = sent_bert_forward_classify(&m, ids, mask, ones, B, 0, 0);
    sent_bert_zero_grad(&m), sent_bert_backward(&m, 0);
    memcpy(g1, m.grads_memory, n * sizeof(float));
    float loss0 = sent_bert_forward_classify(&m, ids, mask, zeros, B, 0, 0);
    sent_bert_zero_grad(&m), sent_bert_backward(&m, 0);
    memcpy(g0, m.grads_memory, n * sizeof(float));
    const float q = 0.3f;
    for (int b = 0; b < B; b++) soft[2 * b] = 1 - q, soft[2 * b + 1] = q;
    float mixed = sent_bert_forward_classify_soft(&m, ids, mask, soft, B, 0, 0);
    sent_bert_zero_grad(&m), sent_bert_backward(&m, 0);
    worst = 0;
    double largest = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(m.grads_memory[i] - (q * g1[i] + (1 - q) * g0[i])));
        largest = fmax(largest, fabs(m.grads_memory[i]));
    }
    printf("  soft target (0.7, 0.3): loss %.7f vs mix %.7f, max gradient difference %.2e (largest %.2e)\n", mixed,
           q * loss1 + (1 - q) * loss0, worst, largest);
    CHECK_NEAR(mixed, q * loss1 + (1 - q) * loss0, 1e-5);
    CHECK(largest > 1e-3);
    CHECK_NEAR(worst, 0.0, 1e-6);
    free(g_hard), free(g1), free(g0);
    sent_bert_free(&m);
}

static void train_step(SentBert *m, const int32_t *ids, const uint8_t *mask, const int32_t *labels, long step) {
    uint64_t seed = hash_u64(42 + (uint64_t)step);
    sent_bert_forward_classify(m, ids, mask, labels, B, 1, seed);
    sent_bert_zero_grad(m);
    sent_bert_backward(m, 0);
    float norm = sent_bert_grad_norm(m);
    sent_bert_adamw_update(m, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, norm > 1 ? 1 / norm : 1, (int)step + 1);
}

static void test_resume_is_exact(void) {
    SentTrainOptions opts;
    sent_train_default_options(&opts);
    opts.model = CONFIG;
    int32_t ids[B * T], labels[B];
    uint8_t mask[B * T];
    make_batch(ids, mask, labels);

    SentBert a, b;
    sent_bert_build(&a, CONFIG, B, T, 0);
    sent_bert_build(&b, CONFIG, B, T, 0);
    a.dropout = b.dropout = 0.1f;
    a.cls_dropout = b.cls_dropout = 0.2f;
    sent_bert_init(&a, 3);
    for (long s = 0; s < 3; s++) train_step(&a, ids, mask, labels, s);
    sent_checkpoint_save(OUT_DIR "/resume.bin", &opts, &a, 3, 1.5);
    for (long s = 3; s < 6; s++) train_step(&a, ids, mask, labels, s);

    long step;
    double elapsed;
    SentTrainOptions loaded;
    sent_checkpoint_load(OUT_DIR "/resume.bin", &loaded, &b, &step, &elapsed, 1);
    CHECK(step == 3 && elapsed == 1.5 && !memcmp(&loaded, &opts, sizeof opts));
    for (long s = step; s < 6; s++) train_step(&b, ids, mask, labels, s);
    size_t bytes = a.num_params * sizeof(float);
    CHECK_MSG(!memcmp(a.params_memory, b.params_memory, bytes), "resumed parameters differ");
    CHECK_MSG(!memcmp(a.adam_v_memory, b.adam_v_memory, bytes), "resumed Adam moments differ");
    // and training moved the weights at all
    SentBert fresh;
    sent_bert_build(&fresh, CONFIG, B, T, 0);
    sent_bert_init(&fresh, 3);
    CHECK(memcmp(a.params_memory, fresh.params_memory, bytes) != 0);
    sent_bert_free(&a), sent_bert_free(&b), sent_bert_free(&fresh);
}

// A batch cut to its longest row (what length bucketing runs) gives the loss and gradients of the
// same batch padded to the model's full length: padding only ever reaches masked positions.
static void test_shorter_batch_same_gradients(void) {
    int32_t ids[B * T], labels[B], cut_ids[2 * 4];
    uint8_t mask[B * T], cut_mask[2 * 4];
    make_batch(ids, mask, labels);   // rows 1 and 2 hold 4 and 2 tokens
    for (int b = 0; b < 2; b++)
        for (int t = 0; t < 4; t++) cut_ids[b * 4 + t] = ids[(b + 1) * T + t], cut_mask[b * 4 + t] = mask[(b + 1) * T + t];
    SentBert m;
    sent_bert_build(&m, CONFIG, B, T, 0);
    randomize(&m, 11);
    float full_loss = sent_bert_forward_classify(&m, ids + T, mask + T, labels + 1, 2, 1, 5);
    sent_bert_zero_grad(&m);
    sent_bert_backward(&m, 0);
    float *full_grads = malloc(m.num_params * sizeof(float));
    memcpy(full_grads, m.grads_memory, m.num_params * sizeof(float));
    sent_bert_set_seq_len(&m, 4);
    float cut_loss = sent_bert_forward_classify(&m, cut_ids, cut_mask, labels + 1, 2, 1, 5);
    sent_bert_zero_grad(&m);
    sent_bert_backward(&m, 0);
    double worst = 0, largest = 0;
    for (size_t i = 0; i < m.num_params; i++)
        worst = fmax(worst, fabs(full_grads[i] - m.grads_memory[i])), largest = fmax(largest, fabs(full_grads[i]));
    CHECK_NEAR(cut_loss, full_loss, 1e-6);
    CHECK_MSG(worst <= 1e-5 * largest && largest > 0, "gradients differ by up to %g (largest %g)", worst, largest);
    free(full_grads);
    sent_bert_free(&m);
}

// The engine (src/engine/sentiment.h) must read what the trainer exports and compute the same
// probabilities: export -> convert (fp32) -> load -> classify the same ids.
static void test_engine_agrees(void) {
    SentDistilBertConfig cfg = {.vocab_size = 30522, .max_position_embeddings = 32, .n_layers = 2, .dim = 32,
                                .n_heads = 2, .hidden_dim = 48, .n_labels = 2};
    SentBert m;
    sent_bert_build(&m, cfg, B, T, 0);
    randomize(&m, 11);
    int32_t ids[B * T], labels[B];
    uint8_t mask[B * T];
    make_batch(ids, mask, labels);
    for (int i = 0; i < B * T; i++) ids[i] = ids[i] > 2 ? 1000 + ids[i] * 97 : ids[i] == 1 ? 101 : ids[i] == 2 ? 102 : 0;
    sent_bert_forward_classify(&m, ids, mask, NULL, B, 0, 0);
    sent_export_hf(&m, OUT_DIR "/engine", VOCAB, 0);

    SentConvertOptions opts = sent_convert_defaults();
    opts.max_len = 32;
    opts.head_tokens = 8;
    char err[256];
    int rc = sent_convert_hf(OUT_DIR "/engine", OUT_DIR "/engine.smf", &opts, NULL, err, sizeof err);
    CHECK_MSG(rc == 0, "convert: %s", err);
    SentError serr;
    SentClassifier *c = rc == 0 ? sent_load_path(OUT_DIR "/engine.smf", NULL, &serr) : NULL;
    CHECK_MSG(c != NULL, "load: %s", rc == 0 ? serr.message : "not converted");
    if (c) {
        const int32_t *seqs[B];
        int lens[B];
        SentResult results[B];
        for (int b = 0; b < B; b++) seqs[b] = ids + b * T, lens[b] = LENS[b];
        CHECK(sent_classify_ids(c, seqs, lens, B, results, &serr) == SENT_OK);
        double worst = 0;
        for (int b = 0; b < B; b++)
            for (int k = 0; k < 2; k++) worst = fmax(worst, fabs(results[b].probs[k] - m.acts.probs[b * 2 + k]));
        printf("  engine vs trainer: max probability difference %.2e\n", worst);
        CHECK_NEAR(worst, 0.0, 1e-5);
        sent_free(c);
    }
    sent_bert_free(&m);
}

// --init FILE.smf (train/import_smf.h): a model file's weights become the trainer's, exactly from
// fp32 and to within half a quantization step from int8; the MLM head, which the file lacks,
// keeps the run's own start; a file of another shape is refused by name.
static void test_import_model_file(void) {
    SentDistilBertConfig cfg = {.vocab_size = 30522, .max_position_embeddings = 32, .n_layers = 2, .dim = 32,
                                .n_heads = 2, .hidden_dim = 48, .n_labels = 2};
    SentBert source, imported;
    sent_bert_build(&source, cfg, 1, 1, 0);
    randomize(&source, 23);
    sent_export_hf(&source, OUT_DIR "/import", VOCAB, 0);
    char err[256];
    for (int quantize = 0; quantize < 2; quantize++) {
        SentConvertOptions opts = sent_convert_defaults();
        opts.max_len = 32, opts.head_tokens = 8, opts.quantize = quantize, opts.group_size = 16;
        const char *path = quantize ? OUT_DIR "/import-int8.smf" : OUT_DIR "/import-fp32.smf";
        int rc = sent_convert_hf(OUT_DIR "/import", path, &opts, NULL, err, sizeof err);
        CHECK_MSG(rc == 0, "convert: %s", err);
        CHECK(sent_is_model_file(path));
        sent_bert_build(&imported, cfg, 1, 1, 0);
        sent_bert_init(&imported, 5);
        float mlm_start = imported.params.vocab_transform_w[3];
        CHECK_MSG(sent_bert_import_model_file(&imported, path, err, sizeof err) == 0, "import: %s", err);
        // worst gap over the encoder and classifier tensors (SentBertParams 0..19), against half
        // a step of each tensor's coarsest group (int8) or exactly (fp32)
        double worst = 0, bound = 0;
        size_t offset = 0;
        for (int i = 0; i < 20; i++) {
            float max_abs = 0;
            for (size_t j = 0; j < source.param_sizes[i]; j++) {
                float w = source.params_memory[offset + j];
                max_abs = fmaxf(max_abs, fabsf(w));
                worst = fmax(worst, fabs(w - imported.params_memory[offset + j]));
            }
            if (quantize) bound = fmax(bound, 0.5 * max_abs / 127 * 1.0001);
            offset += source.param_sizes[i];
        }
        printf("  import %s: max parameter gap %.3g (bound %.3g)\n", quantize ? "int8" : "fp32", worst, bound);
        CHECK(worst <= bound);
        CHECK(worst > 0 || !quantize);   // int8 really was dequantized, not read as fp32
        CHECK(imported.params.vocab_transform_w[3] == mlm_start);
        sent_bert_free(&imported);
    }
    CHECK(!sent_is_model_file(OUT_DIR "/import/model.safetensors"));
    SentDistilBertConfig other = cfg;
    other.n_layers = 1;
    sent_bert_build(&imported, other, 1, 1, 0);
    CHECK(sent_bert_import_model_file(&imported, OUT_DIR "/import-fp32.smf", err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "2 layers") && strstr(err, "1 x 32"), "mismatch message: %s", err);
    CHECK(sent_bert_import_model_file(&imported, OUT_DIR "/no-such.smf", err, sizeof err) == -1);
    sent_bert_free(&imported);
    sent_bert_free(&source);
}

int main(void) {
    write_reference_inputs();
    test_engine_agrees();
    test_import_model_file();
    test_resume_is_exact();
    test_soft_targets();
    test_shorter_batch_same_gradients();
    fflush(stdout);   // keep this program's lines before the reference's
    int rc = system("/usr/bin/python3 tests/reference/train_step_reference.py " OUT_DIR);
    CHECK_MSG(rc == 0, "the PyTorch comparison failed (exit status %d)", rc);
    return check_summary("test_train_step");
}
