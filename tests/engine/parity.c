// Parity driver: runs the C engine on the inputs of a golden.safetensors written by
// tests/reference/distilbert_reference.py and compares logits and every layer's hidden states
// with PyTorch's, for each kernel table this CPU runs; or compares two models' decisions.
//
//   parity golden MODEL.smf GOLDEN.safetensors [--tol T] [--hidden-tol T] [--tables all|simd]
//       padded batch as in the golden file, each sequence alone (unpadded), and all of them
//       packed end to end (sent_model_forward_packed, what the API runs); max relative
//       difference = max |c - ref| / max |ref| over the tensor, printed per tensor. Every kernel
//       table this CPU runs (scalar first), or only the SIMD ones with --tables simd.
//   parity agree FP32.smf INT8.smf N LEN [--min-agree F] [--tol T]
//       N random sequences of up to LEN tokens through both models: prints the max logit
//       difference and the fraction with the same decision; fails below F (default 0.995) or
//       when a logit differs by more than T (default 0.1 relative to the largest logit).
// Exit 0 when everything is within tolerance.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "model.h"
#include "model_file.h"
#include "tools/safetensors.h"
#include "util.h"

typedef struct {
    SentModelFile file;
    SentDistilBertConfig cfg;
    SentWeights w;
    SentRunState s;
} Engine;

static void engine_load(Engine *e, const char *path, int max_batch, int max_len) {
    char err[512];
    if (sent_model_file_open(&e->file, path, err, sizeof err) || sent_config_from_meta(&e->cfg, e->file.meta, err, sizeof err) ||
        sent_weights_from_file(&e->w, &e->cfg, &e->file, err, sizeof err) ||
        sent_runstate_new(&e->s, &e->cfg, &e->w, max_batch, max_len, err, sizeof err)) {
        fprintf(stderr, "parity: %s\n", err);
        exit(1);
    }
}

static void engine_free(Engine *e) {
    sent_runstate_free(&e->s);
    sent_weights_free(&e->w);
    sent_model_file_close(&e->file);
}

static float *golden_f32(const SentSafetensors *st, const char *name, int64_t numel) {
    const SentStTensor *t = sent_safetensors_find(st, name);
    if (!t || t->numel != numel) {
        fprintf(stderr, "parity: golden tensor %s missing or of the wrong size\n", name);
        exit(1);
    }
    float *out = mallocCheck((size_t)numel * sizeof(float));
    if (sent_safetensors_to_f32(t, out)) exit(1);
    return out;
}

// max |a - b| / max |b| over n values.
static double rel_diff(const float *a, const float *b, size_t n) {
    double diff = 0, scale = 1e-30;
    for (size_t i = 0; i < n; i++) {
        diff = fmax(diff, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs((double)b[i]));
    }
    return diff / scale;
}

static int golden(int argc, char **argv) {
    if (argc < 4) return 2;
    double tol = 1e-4, hidden_tol = 1e-4;
    int simd_only = 0;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--tol")) tol = atof(argv[i + 1]);
        if (!strcmp(argv[i], "--hidden-tol")) hidden_tol = atof(argv[i + 1]);
        if (!strcmp(argv[i], "--tables")) simd_only = !strcmp(argv[i + 1], "simd");
    }
    char err[512];
    SentSafetensors st;
    if (sent_safetensors_read(&st, argv[3], err, sizeof err)) {
        fprintf(stderr, "parity: %s\n", err);
        return 1;
    }
    const SentStTensor *ids_t = sent_safetensors_find(&st, "input_ids");
    const SentStTensor *mask_t = sent_safetensors_find(&st, "attention_mask");
    if (!ids_t || !mask_t || ids_t->ndim != 2 || mask_t->numel != ids_t->numel) {
        fprintf(stderr, "parity: golden file lacks input_ids/attention_mask [B, T]\n");
        return 1;
    }
    int B = (int)ids_t->shape[0], T = (int)ids_t->shape[1];
    int32_t *ids = mallocCheck((size_t)B * T * sizeof(int32_t)), *mask32 = mallocCheck((size_t)B * T * sizeof(int32_t));
    uint8_t *mask = mallocCheck((size_t)B * T);
    if (sent_safetensors_to_i32(ids_t, ids) || sent_safetensors_to_i32(mask_t, mask32)) return 1;
    int *lens = callocCheck((size_t)B, sizeof(int));
    for (int i = 0; i < B * T; i++) {
        mask[i] = mask32[i] != 0;
        lens[i / T] += mask[i];
    }
    Engine e;
    engine_load(&e, argv[2], B, T);
    int L = e.cfg.n_layers, D = e.cfg.dim, C = e.cfg.n_labels;
    float *ref_logits = golden_f32(&st, "logits", (int64_t)B * C);
    size_t layer = (size_t)B * T * D;
    float *ref_hidden = golden_f32(&st, "hidden_states", (int64_t)(L + 1) * layer);
    float *hidden = mallocCheck((L + 1) * layer * sizeof(float));
    float *single = mallocCheck((size_t)B * C * sizeof(float));
    float *gathered = mallocCheck((L + 1) * layer * sizeof(float));  // golden hidden states of real tokens, packed
    int32_t *packed_ids = mallocCheck((size_t)B * T * sizeof(int32_t));
    int *offsets = callocCheck((size_t)B + 1, sizeof(int));

    const SentKernels *tables[8];
    int n_tables = sent_kernels_all(tables, 8), failed = 0;
    printf("model %s: L=%d D=%d heads=%d H=%d V=%d, batch %d x %d (lengths", argv[2], L, D, e.cfg.n_heads,
           e.cfg.hidden_dim, e.cfg.vocab_size, B, T);
    for (int b = 0; b < B; b++) printf(" %d", lens[b]);
    printf(")\n");
    for (int k = simd_only && n_tables > 1; k < n_tables; k++) {
        const SentKernels *kt = tables[k];
        sent_model_forward(&e.cfg, &e.w, &e.s, kt, ids, mask, B, T, hidden);
        double d_logits = rel_diff(e.s.logits, ref_logits, (size_t)B * C), d_hidden = 0;
        int worst_layer = 0;
        for (int l = 0; l <= L; l++) {
            double d = rel_diff(hidden + l * layer, ref_hidden + l * layer, layer);
            if (d > d_hidden) d_hidden = d, worst_layer = l;
        }
        // Each sequence alone, unpadded: must give the padded batch's logits.
        for (int b = 0; b < B; b++) {
            sent_model_forward(&e.cfg, &e.w, &e.s, kt, ids + (size_t)b * T, mask + (size_t)b * T, 1, lens[b], NULL);
            memcpy(single + (size_t)b * C, e.s.logits, C * sizeof(float));
        }
        double d_single = rel_diff(single, ref_logits, (size_t)B * C);
        // All sequences packed end to end: the same logits, and the same hidden states on real tokens.
        for (int b = 0; b < B; b++) {
            offsets[b + 1] = offsets[b] + lens[b];
            memcpy(packed_ids + offsets[b], ids + (size_t)b * T, (size_t)lens[b] * sizeof(int32_t));
        }
        sent_model_forward_packed(&e.cfg, &e.w, &e.s, kt, packed_ids, offsets, B, hidden);
        double d_packed = rel_diff(e.s.logits, ref_logits, (size_t)B * C);
        size_t packed_layer = (size_t)offsets[B] * D;
        for (int l = 0; l <= L; l++)
            for (int b = 0; b < B; b++)
                memcpy(gathered + l * packed_layer + (size_t)offsets[b] * D, ref_hidden + l * layer + (size_t)b * T * D,
                       (size_t)lens[b] * D * sizeof(float));
        double d_packed_hidden = rel_diff(hidden, gathered, (L + 1) * packed_layer);
        int ok = d_logits <= tol && d_hidden <= hidden_tol && d_single <= tol && d_packed <= tol &&
                 d_packed_hidden <= hidden_tol;
        failed |= !ok;
        printf("  %-12s logits %.2e  hidden %.2e (worst: %s %d)  unpadded logits %.2e  packed logits %.2e hidden "
               "%.2e  %s\n", kt->name, d_logits, d_hidden, worst_layer ? "layer" : "embeddings", worst_layer, d_single,
               d_packed, d_packed_hidden, ok ? "ok" : "FAIL");
    }
    printf("tolerance: logits %.1e, hidden states %.1e (relative to the largest reference value)\n", tol, hidden_tol);
    engine_free(&e);
    sent_safetensors_free(&st);
    free(ids);
    free(mask32);
    free(mask);
    free(lens);
    free(ref_logits);
    free(ref_hidden);
    free(hidden);
    free(single);
    free(gathered);
    free(packed_ids);
    free(offsets);
    return failed;
}

static int agree(int argc, char **argv) {
    if (argc < 6) return 2;
    int N = atoi(argv[4]), len = atoi(argv[5]);
    double min_agree = 0.995, tol = 0.1;
    for (int i = 6; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--min-agree")) min_agree = atof(argv[i + 1]);
        if (!strcmp(argv[i], "--tol")) tol = atof(argv[i + 1]);
    }
    Engine f, q;
    engine_load(&f, argv[2], 1, len);
    engine_load(&q, argv[3], 1, len);
    if (len < 3 || len > f.cfg.max_position_embeddings || N < 1) return 2;
    const SentKernels *k = sent_kernels_best();
    int32_t *ids = mallocCheck((size_t)len * sizeof(int32_t));
    uint8_t *mask = mallocCheck((size_t)len);
    memset(mask, 1, (size_t)len);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    int same = 0, C = f.cfg.n_labels;
    double max_diff = 0, max_logit = 0;
    for (int n = 0; n < N; n++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        int T = 3 + (int)((rng >> 33) % (uint64_t)(len - 2));
        ids[0] = 101;  // [CLS]
        for (int t = 1; t < T - 1; t++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            ids[t] = 999 + (int)((rng >> 33) % (uint64_t)(f.cfg.vocab_size - 999));
        }
        ids[T - 1] = 102;  // [SEP]
        sent_model_forward(&f.cfg, &f.w, &f.s, k, ids, mask, 1, T, NULL);
        sent_model_forward(&q.cfg, &q.w, &q.s, k, ids, mask, 1, T, NULL);
        int af = 0, aq = 0;
        for (int c = 0; c < C; c++) {
            max_diff = fmax(max_diff, fabs(f.s.logits[c] - q.s.logits[c]));
            max_logit = fmax(max_logit, fabs(f.s.logits[c]));
            if (f.s.logits[c] > f.s.logits[af]) af = c;
            if (q.s.logits[c] > q.s.logits[aq]) aq = c;
        }
        same += af == aq;
    }
    double rate = (double)same / N, rel = max_diff / fmax(max_logit, 1e-30);
    printf("%s vs %s (%s kernels): %d sequences of 3..%d tokens: same decision %.2f %%, max logit difference %.4f "
           "(%.2e relative to the largest logit %.3f)\n",
           argv[2], argv[3], k->name, N, len, 100 * rate, max_diff, rel, max_logit);
    engine_free(&f);
    engine_free(&q);
    free(ids);
    free(mask);
    int ok = rate >= min_agree && rel <= tol;
    printf("%s (need >= %.1f %% same decisions, relative difference <= %.2f)\n", ok ? "ok" : "FAIL", 100 * min_agree, tol);
    return !ok;
}

int main(int argc, char **argv) {
    int rc = 2;
    if (argc > 1 && !strcmp(argv[1], "golden")) rc = golden(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "agree")) rc = agree(argc, argv);
    if (rc == 2) fprintf(stderr, "usage: parity golden MODEL GOLDEN [--tol T] | parity agree FP32 INT8 N LEN\n");
    return rc;
}
