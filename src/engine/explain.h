// Reasons for a classification, by occlusion: the review is cut into passages (single words
// when few enough, otherwise runs of words inside a sentence), each passage is removed from the
// token sequence the model saw, and the shorter sequences are scored again in batches through
// sent_classify_ids. A passage's score is how much P(positive) drops without it, so the result is
// faithful by construction: it measures this model on this text, nothing approximated.
//
// Cost: one forward pass per passage, so the caller bounds the passages (sent_explain_budget
// turns a FLOP budget into that bound). Passages in the middle of a review that was truncated
// were never seen by the model and get no score.
#ifndef SENT_EXPLAIN_H
#define SENT_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "sentiment.h"

typedef struct {
    int32_t start;   // byte offset in the text where the passage starts
    int32_t end;     // byte offset one past its end
    float score;     // P(positive | whole text) - P(positive | text without the passage)
} SentSpan;

typedef struct SentExplainer SentExplainer;

// An explainer for classifier c with room for up to max_spans passages; all buffers are
// allocated here, none per review. c must outlive the explainer. NULL on error.
SentExplainer *sent_explainer_new(SentClassifier *c, int max_spans, SentError *err);
void sent_explainer_free(SentExplainer *e);
SentClassifier *sent_explainer_classifier(const SentExplainer *e);
int sent_explainer_capacity(const SentExplainer *e);  // the max_spans it was built with

typedef struct {
    int max_spans;        // passages at most (1 .. the explainer's capacity)
    double flop_budget;   // > 0: fewer passages for long reviews or big models, so that the
                          // re-scoring costs each part at most this many floating-point operations ...
    int min_spans;        // ... but never fewer than this many passages
    // Share the work between n_parts explainers (threads, web workers): each plans the same
    // passages and scores those with index % n_parts == part. 0 and 0 (or 1): all of them.
    int part, n_parts;
} SentExplainOptions;

// Explains text[0..len). base receives the classification of the whole text (its token
// pointers are not kept); *spans (in text order, valid until the next call) and *n_spans the
// scored passages. A passage whose re-scoring failed is left out. Returns SENT_OK or the reason
// the text could not be classified.
SentStatus sent_explain(SentExplainer *e, const char *text, size_t len, const SentExplainOptions *opts,
                        SentResult *base, const SentSpan **spans, int *n_spans, SentError *err);

// Floating-point operations of one forward pass over n_tokens tokens (matmuls and attention).
double sent_forward_flops(const SentModelInfo *info, int n_tokens);

#endif
