// movie-sentiment public C API: load a .smf model, classify reviews.
//
// One SentClassifier owns a model (mapped or borrowed bytes), its tokenizer and every buffer a
// forward pass needs; nothing is allocated per review. No globals: use one classifier per thread.
// Every call that can fail returns a SentStatus and fills a SentError (code + message); a bad
// review fails alone and leaves the classifier ready for the next one.
//
//   SentError err;
//   SentClassifier *c = sent_load_path("weights/sentiment.smf", NULL, &err);
//   SentResult r;
//   if (sent_classify(c, text, strlen(text), &r, &err) == SENT_OK)
//       printf("%s %.3f\n", r.label, r.positive);
//   sent_free(c);
#ifndef SENT_SENTIMENT_H
#define SENT_SENTIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "kernels.h"
#include "tokenizer.h"

// The release: the CLI prints it, the Makefile names the shared library and sentiment.pc after it.
#define SENT_VERSION "0.1.0"

#define SENT_MAX_LABELS 16
// Texts longer than this are refused (SENT_ERR_INPUT) rather than tokenized: IMDb's longest
// review is ~14 KB, and a runaway input should cost a clear error, not seconds of work.
#define SENT_MAX_TEXT_BYTES (1u << 20)

typedef struct {
    int max_batch;                // sequences per forward pass (default 8)
    const SentKernels *kernels;   // NULL: sent_kernels_best()
} SentOptions;

typedef struct SentClassifier SentClassifier;

// One classified input. The token arrays point into the classifier and stay valid until its
// next classify call.
typedef struct {
    SentStatus status;        // SENT_OK, or why this input failed (message in error)
    SentError error;
    int n_labels;
    float probs[SENT_MAX_LABELS];   // softmax of the logits
    float logits[SENT_MAX_LABELS];
    int label_index;          // argmax
    const char *label;        // "Positive" / "Negative" (see sent_label_name)
    float positive;           // probability of the positive class
    int n_tokens;             // tokens the model saw, [CLS]/[SEP] included
    int n_total;              // tokens of the whole text ( > n_tokens when truncated)
    int truncated;
    const int32_t *ids;       // [n_tokens]
    const int32_t *starts;    // [n_tokens] byte offsets of each token in the text (text calls only)
    const int32_t *ends;      // [n_tokens]
} SentResult;

// Load from memory: the bytes are borrowed (keep them alive and unchanged until sent_free),
// copied only if not 4-byte aligned. Load from path maps the file. NULL on error.
SentClassifier *sent_load_memory(const void *bytes, size_t len, const SentOptions *opts, SentError *err);
SentClassifier *sent_load_path(const char *path, const SentOptions *opts, SentError *err);
void sent_free(SentClassifier *c);

// Classifies one text (any bytes; see tokenizer.h for invalid UTF-8). Texts longer than the
// model's max_len are truncated by the file's policy (head+tail by default).
SentStatus sent_classify(SentClassifier *c, const char *text, size_t len, SentResult *out, SentError *err);
// Classifies n texts; each out[i] carries its own status. Returns SENT_OK unless the call itself
// is invalid (a failed text does not fail the batch).
SentStatus sent_classify_batch(SentClassifier *c, const char *const *texts, const size_t *lens, int n,
                               SentResult *out, SentError *err);
// Classifies n pre-tokenized sequences ids[i][0..lens[i]) used as given ([CLS] ... [SEP]
// included, 1 <= lens[i] <= max_len, ids < vocab size); starts/ends of the results are NULL.
SentStatus sent_classify_ids(SentClassifier *c, const int32_t *const *ids, const int *lens, int n,
                             SentResult *out, SentError *err);

// Model information. The first seven fields are the model's config (SentDistilBertConfig,
// distilbert_params.h; max_position is max_position_embeddings), copied by sent_model_info.
typedef struct {
    int vocab_size, dim, n_layers, n_heads, hidden_dim, max_position, n_labels;
    int max_len;              // tokens per review the tokenizer keeps
    SentTruncation truncation;
    int head_tokens;
    int positive_index;
    int quantized;            // 1 when the matmul weights are int8
    int group_size;           // int8 group (row length for per-row), 0 for fp32
    uint32_t checksum;        // the file's CRC-32
} SentModelInfo;

void sent_model_info(const SentClassifier *c, SentModelInfo *info);
// A hybrid file's share of the n-gram model in the logit (ngram.h), 0 for a transformer alone.
// A function, not a SentModelInfo field: the struct's size is part of the library's ABI.
float sent_model_ngram_mix(const SentClassifier *c);
// The label of class i as stored in the model file (e.g. "POSITIVE"), NULL out of range.
const char *sent_label_raw(const SentClassifier *c, int i);
// "Positive" for the positive class, "Negative" for the others of a two-class model, else the raw label.
const char *sent_label_name(const SentClassifier *c, int i);
// The file's metadata: as stored (NUL-terminated JSON text), and parsed (the one tree the loader read).
const char *sent_metadata_json(const SentClassifier *c);
struct cJSON;
const struct cJSON *sent_metadata(const SentClassifier *c);
const SentTokenizer *sent_get_tokenizer(const SentClassifier *c);
const SentKernels *sent_get_kernels(const SentClassifier *c);

#endif
