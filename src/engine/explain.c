// Occlusion explanations (see explain.h). The data path:
//   text -> sent_classify (ids + byte offsets of the tokens the model saw)
//        -> words (pieces not separated by whitespace; an HTML tag like <br /> apart)
//        -> sentences (split after . ! ? and at tags; tags themselves are never occluded)
//        -> passages (each sentence cut into runs of k words; k as small as the budget allows)
//        -> one id sequence per passage, with the passage left out
//        -> sent_classify_ids (batched forward passes) -> score = P(pos) before - after.
#include "explain.h"
#include "model.h"

#include <stdlib.h>
#include <string.h>

struct SentExplainer {
    SentClassifier *classifier;
    int max_len;            // L: tokens per sequence the classifier accepts
    int capacity;           // S: passages per explanation at most
    // The whole text's tokens, copied out of the classifier (its arrays change on the next call).
    int32_t *ids;           // [L]
    int32_t *starts;        // [L] byte offsets
    int32_t *ends;          // [L]
    // Words over the tokens 1 .. n-2 (between [CLS] and [SEP]).
    int *word_first_token;  // [L + 1] first token of each word; word w spans tokens
                            //     word_first_token[w] .. word_first_token[w + 1] - 1
    uint8_t *word_is_tag;   // [L] 1 for an HTML tag such as <br />
    int *sentence_first_word; // [L] first word of each sentence
    int *sentence_end_word;   // [L] one past its last word
    // Passages: a run of words, as a token range [first, end).
    int *span_first_token;  // [S]
    int *span_end_token;    // [S]
    // The occluded sequences handed to sent_classify_ids.
    int32_t *seq_ids;       // [S, L]
    const int32_t **seq_ptrs; // [S] rows of seq_ids
    int *seq_lens;          // [S]
    SentResult *results;    // [S]
    SentSpan *spans;        // [S] the answer
};

SentExplainer *sent_explainer_new(SentClassifier *c, int max_spans, SentError *err) {
    if (!c || max_spans < 1 || max_spans > 4096) {
        sent_set_error(err, SENT_ERR_ARGUMENT, "explainer: need a classifier and 1..4096 passages (got %d)", max_spans);
        return NULL;
    }
    SentModelInfo info;
    sent_model_info(c, &info);
    size_t L = (size_t)info.max_len, S = (size_t)max_spans;
    SentExplainer *e = calloc(1, sizeof *e);
    if (!e) {
        sent_set_error(err, SENT_ERR_MEMORY, "explainer: out of memory");
        return NULL;
    }
    e->classifier = c;
    e->max_len = info.max_len;
    e->capacity = max_spans;
    e->ids = malloc(L * sizeof *e->ids);
    e->starts = malloc(L * sizeof *e->starts);
    e->ends = malloc(L * sizeof *e->ends);
    e->word_first_token = malloc((L + 1) * sizeof *e->word_first_token);
    e->word_is_tag = malloc(L * sizeof *e->word_is_tag);
    e->sentence_first_word = malloc(L * sizeof *e->sentence_first_word);
    e->sentence_end_word = malloc(L * sizeof *e->sentence_end_word);
    e->span_first_token = malloc(S * sizeof *e->span_first_token);
    e->span_end_token = malloc(S * sizeof *e->span_end_token);
    e->seq_ids = malloc(S * L * sizeof *e->seq_ids);
    e->seq_ptrs = malloc(S * sizeof *e->seq_ptrs);
    e->seq_lens = malloc(S * sizeof *e->seq_lens);
    e->results = malloc(S * sizeof *e->results);
    e->spans = malloc(S * sizeof *e->spans);
    if (!e->ids || !e->starts || !e->ends || !e->word_first_token || !e->word_is_tag ||
        !e->sentence_first_word || !e->sentence_end_word ||
        !e->span_first_token || !e->span_end_token || !e->seq_ids || !e->seq_ptrs || !e->seq_lens ||
        !e->results || !e->spans) {
        sent_explainer_free(e);
        sent_set_error(err, SENT_ERR_MEMORY, "explainer: out of memory for %d passages of %d tokens", max_spans, info.max_len);
        return NULL;
    }
    for (size_t s = 0; s < S; s++) e->seq_ptrs[s] = e->seq_ids + s * L;
    return e;
}

void sent_explainer_free(SentExplainer *e) {
    if (!e) return;
    free(e->ids);
    free(e->starts);
    free(e->ends);
    free(e->word_first_token);
    free(e->word_is_tag);
    free(e->sentence_first_word);
    free(e->sentence_end_word);
    free(e->span_first_token);
    free(e->span_end_token);
    free(e->seq_ids);
    free(e->seq_ptrs);
    free(e->seq_lens);
    free(e->results);
    free(e->spans);
    free(e);
}

SentClassifier *sent_explainer_classifier(const SentExplainer *e) { return e->classifier; }
int sent_explainer_capacity(const SentExplainer *e) { return e->capacity; }

double sent_forward_flops(const SentModelInfo *info, int n_tokens) {
    SentDistilBertConfig shape = {.dim = info->dim, .hidden_dim = info->hidden_dim, .n_layers = info->n_layers,
                                  .n_labels = info->n_labels};
    return 2 * sent_model_macs(&shape, n_tokens);
}

// --- words and sentences -----------------------------------------------------------------------

static int token_is(const SentTokenizer *tok, int32_t id, const char *text) {
    const char *s = sent_tokenizer_token(tok, id);
    return s && !strcmp(s, text);
}

// Tokens in an HTML tag starting at token t (a '<' closed by '>' within a few pieces, as in
// <br />), or 0 when t starts none.
static int tag_length(const SentExplainer *e, const SentTokenizer *tok, int t, int n) {
    if (!token_is(tok, e->ids[t], "<")) return 0;
    for (int j = t + 1; j < n - 1 && j <= t + 8; j++) {
        if (token_is(tok, e->ids[j], ">")) return j - t + 1;
        if (token_is(tok, e->ids[j], "<")) return 0;
    }
    return 0;
}

// Splits tokens 1..n-2 (between [CLS] and [SEP]) into words as a reader sees them: runs of pieces
// with no whitespace between them ("great!", "film's", "最高"), except that an HTML tag such as
// <br /> is a word of its own even when text touches it. Fills word_first_token (then n - 1 as
// a sentinel) and word_is_tag; returns the number of words.
static int split_words(SentExplainer *e, const SentTokenizer *tok, int n) {
    int n_words = 0;
    for (int t = 1; t < n - 1;) {
        int tag = tag_length(e, tok, t, n);
        e->word_is_tag[n_words] = tag > 0;
        e->word_first_token[n_words++] = t;
        if (tag) {
            t += tag;
            continue;
        }
        for (t++; t < n - 1 && e->starts[t] == e->ends[t - 1] && !tag_length(e, tok, t, n); t++) {}
    }
    e->word_first_token[n_words] = n - 1;
    return n_words;
}

// A word ends a sentence when its last piece is terminal punctuation (or a quote or bracket right
// after it, as in: it was great!").
static int ends_sentence(const SentExplainer *e, const SentTokenizer *tok, int w) {
    int first = e->word_first_token[w], last = e->word_first_token[w + 1] - 1;
    for (int t = last; t >= first; t--) {
        int32_t id = e->ids[t];
        if (token_is(tok, id, ".") || token_is(tok, id, "!") || token_is(tok, id, "?")) return 1;
        if (!(token_is(tok, id, "\"") || token_is(tok, id, "'") || token_is(tok, id, ")"))) return 0;
    }
    return 0;
}

// Fills sentence_first_word / sentence_end_word with runs of words split after terminal
// punctuation and around tags; tags belong to no sentence, so they are never occluded (removing
// a <br /> says nothing about the review). Returns the number of sentences.
static int split_sentences(SentExplainer *e, const SentTokenizer *tok, int n_words) {
    int n_sentences = 0, open = 0;
    for (int w = 0; w < n_words; w++) {
        if (e->word_is_tag[w]) {
            if (open) e->sentence_end_word[n_sentences++] = w;
            open = 0;
            continue;
        }
        if (!open) e->sentence_first_word[n_sentences] = w;
        open = 1;
        if (ends_sentence(e, tok, w)) {
            e->sentence_end_word[n_sentences++] = w + 1;
            open = 0;
        }
    }
    if (open) e->sentence_end_word[n_sentences++] = n_words;
    return n_sentences;
}

// More sentences than passages allowed: merge the adjacent pair with the fewest words until they
// fit (a merged pair also takes any tag between them). Returns the new number of sentences.
static int merge_sentences(SentExplainer *e, int n_sentences, int max_spans) {
    int *first = e->sentence_first_word, *end = e->sentence_end_word;
    while (n_sentences > max_spans) {
        int best = 0, best_words = end[1] - first[0];
        for (int s = 1; s + 1 < n_sentences; s++) {
            int words = end[s + 1] - first[s];
            if (words < best_words) {
                best = s;
                best_words = words;
            }
        }
        end[best] = end[best + 1];
        memmove(&first[best + 1], &first[best + 2], (size_t)(n_sentences - best - 2) * sizeof *first);
        memmove(&end[best + 1], &end[best + 2], (size_t)(n_sentences - best - 2) * sizeof *end);
        n_sentences--;
    }
    return n_sentences;
}

// --- passages ----------------------------------------------------------------------------------

static int passages_for_run(const SentExplainer *e, int n_sentences, int k) {
    int total = 0;
    for (int s = 0; s < n_sentences; s++) {
        int words = e->sentence_end_word[s] - e->sentence_first_word[s];
        total += (words + k - 1) / k;
    }
    return total;
}

// Cuts every sentence into runs of at most k words, k the smallest that gives <= max_spans
// passages in all (it exists: n_sentences <= max_spans, so k = the longest sentence fits); runs
// inside a sentence are balanced. Returns the number of passages.
static int make_passages(SentExplainer *e, int n_words, int n_sentences, int max_spans) {
    int k = (n_words + max_spans - 1) / max_spans;
    if (k < 1) k = 1;
    while (passages_for_run(e, n_sentences, k) > max_spans) k++;
    int n_spans = 0;
    for (int s = 0; s < n_sentences; s++) {
        int first = e->sentence_first_word[s], words = e->sentence_end_word[s] - first;
        int pieces = (words + k - 1) / k;
        for (int p = 0; p < pieces; p++) {
            int w0 = first + (int)((long)words * p / pieces), w1 = first + (int)((long)words * (p + 1) / pieces);
            e->span_first_token[n_spans] = e->word_first_token[w0];
            e->span_end_token[n_spans] = e->word_first_token[w1];
            n_spans++;
        }
    }
    return n_spans;
}

// --- explain -----------------------------------------------------------------------------------

SentStatus sent_explain(SentExplainer *e, const char *text, size_t len, const SentExplainOptions *opts,
                        SentResult *base, const SentSpan **spans, int *n_spans_out, SentError *err) {
    if (!e || !text || !opts || !base || !spans || !n_spans_out)
        return sent_set_error(err, SENT_ERR_ARGUMENT, "explain: bad arguments");
    if (opts->max_spans < 1 || opts->max_spans > e->capacity)
        return sent_set_error(err, SENT_ERR_ARGUMENT, "explain: max_spans %d not in 1..%d", opts->max_spans, e->capacity);
    int n_parts = opts->n_parts > 1 ? opts->n_parts : 1;
    if (opts->part < 0 || opts->part >= n_parts)
        return sent_set_error(err, SENT_ERR_ARGUMENT, "explain: part %d not in 0..%d", opts->part, n_parts - 1);
    *spans = e->spans;
    *n_spans_out = 0;
    SentStatus status = sent_classify(e->classifier, text, len, base, err);
    if (status != SENT_OK) return status;
    int n = base->n_tokens;
    if (n > e->max_len) return sent_set_error(err, SENT_ERR_ARGUMENT, "explain: classifier returned %d tokens > %d", n, e->max_len);
    memcpy(e->ids, base->ids, (size_t)n * sizeof *e->ids);
    memcpy(e->starts, base->starts, (size_t)n * sizeof *e->starts);
    memcpy(e->ends, base->ends, (size_t)n * sizeof *e->ends);
    base->ids = base->starts = base->ends = NULL;

    int max_spans = opts->max_spans;
    if (opts->flop_budget > 0) {
        SentModelInfo info;
        sent_model_info(e->classifier, &info);
        // The budget is per part: with several explainers sharing the work, finer passages.
        double affordable = n_parts * opts->flop_budget / sent_forward_flops(&info, n);
        int floor_spans = opts->min_spans < 1 ? 1 : opts->min_spans;
        if (affordable < max_spans) max_spans = affordable < floor_spans ? floor_spans : (int)affordable;
        if (max_spans > opts->max_spans) max_spans = opts->max_spans;
    }

    const SentTokenizer *tok = sent_get_tokenizer(e->classifier);
    int n_words = split_words(e, tok, n);
    int n_sentences = merge_sentences(e, split_sentences(e, tok, n_words), max_spans);
    if (n_sentences == 0) return SENT_OK;  // only tags (or no words): nothing worth occluding
    int n_planned = make_passages(e, n_words, n_sentences, max_spans);

    // This part's passages, moved to the front.
    int n_spans = 0;
    for (int s = opts->part; s < n_planned; s += n_parts) {
        e->span_first_token[n_spans] = e->span_first_token[s];
        e->span_end_token[n_spans] = e->span_end_token[s];
        n_spans++;
    }

    // Sequence s: [CLS] + every token outside passage s + [SEP] (the ends of the original).
    for (int s = 0; s < n_spans; s++) {
        int32_t *seq = e->seq_ids + (size_t)s * e->max_len;
        int first = e->span_first_token[s], end = e->span_end_token[s], m = 0;
        for (int t = 0; t < n; t++)
            if (t < first || t >= end) seq[m++] = e->ids[t];
        e->seq_lens[s] = m;
    }
    status = sent_classify_ids(e->classifier, e->seq_ptrs, e->seq_lens, n_spans, e->results, err);
    if (status != SENT_OK) return status;

    int kept = 0;
    for (int s = 0; s < n_spans; s++) {
        if (e->results[s].status != SENT_OK) continue;
        SentSpan *span = &e->spans[kept++];
        span->start = e->starts[e->span_first_token[s]];
        span->end = e->ends[e->span_end_token[s] - 1];
        span->score = base->positive - e->results[s].positive;
    }
    *n_spans_out = kept;
    return SENT_OK;
}
