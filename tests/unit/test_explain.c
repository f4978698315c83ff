// Occlusion explanations (src/engine/explain.c) on a small random-weight model built in memory, and on
// the shipped weights/sentiment.smf (or the file SENT_TEST_MODEL names) when present: the checks
// hold for any weights.
//  - passages are in order, disjoint, inside the text, and never cut a word;
//  - faithful: deleting a passage's bytes from the text and classifying that text again gives
//    exactly P(positive) - score (so the byte offsets point at what was occluded);
//  - short reviews get one passage per word; the FLOP budget and max_spans bound the passages;
//  - long (200 KB, 10 MB) and bad inputs give answers or clear errors, and the explainer keeps working.
// SENT_TEST_QUICK=1 (make valgrind sets it: memcheck runs the shipped model's several hundred
// forward passes for more than 9 minutes) keeps every check on the random model, which runs the
// same code, and gives the shipped model one short review: loaded from its path, explained, and
// each passage checked for faithfulness.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tools/convert.h"
#include "explain.h"
#include "util.h"

static const char *REVIEWS[] = {
    "A wonderful film. The acting is superb and the story moving; I loved it!",
    "Dreadful. Boring plot, wooden actors, awful script.<br /><br />Avoid this one at all costs.",
    "Café scene 😀 — « très bien » 最高! The film was unforgettable, a true masterpiece.",
    "It was fine",
};

// P(positive) of text with bytes [start, end) replaced by one space (keeps neighbours apart).
static float positive_without(SentClassifier *c, const char *text, int start, int end) {
    size_t len = strlen(text);
    char *cut = malloc(len + 2);
    memcpy(cut, text, (size_t)start);
    cut[start] = ' ';
    memcpy(cut + start + 1, text + end, len - (size_t)end);
    size_t cut_len = (size_t)start + 1 + (len - (size_t)end);
    SentResult r;
    SentError err;
    SentStatus status = sent_classify(c, cut, cut_len, &r, &err);
    free(cut);
    CHECK_MSG(status == SENT_OK, "classify without passage: %s", err.message);
    return status == SENT_OK ? r.positive : -1.0f;
}

static int is_word_byte(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch >= 0x80;
}

static void check_spans(SentClassifier *c, const char *text, const SentResult *base, const SentSpan *spans, int n) {
    int len = (int)strlen(text);
    for (int i = 0; i < n; i++) {
        const SentSpan *s = &spans[i];
        CHECK_MSG(0 <= s->start && s->start < s->end && s->end <= len, "span %d [%d,%d) inside [0,%d)", i, s->start, s->end, len);
        if (i > 0) CHECK_MSG(spans[i - 1].end <= s->start, "span %d starts after span %d ends", i, i - 1);
        // A word is never cut: the byte before the start and after the end is not inside the
        // same word (ASCII letters/digits; multi-byte characters count as word bytes).
        if (s->start > 0 && is_word_byte((unsigned char)text[s->start]))
            CHECK_MSG(!is_word_byte((unsigned char)text[s->start - 1]) || (unsigned char)text[s->start] >= 0x80 ||
                          (unsigned char)text[s->start - 1] >= 0x80,
                      "span %d does not start inside a word: \"%.*s\"", i, s->end - s->start, text + s->start);
        if (s->end < len && is_word_byte((unsigned char)text[s->end - 1]) && (unsigned char)text[s->end] < 0x80)
            CHECK_MSG(!is_word_byte((unsigned char)text[s->end]), "span %d does not end inside a word: \"%.*s\"", i,
                      s->end - s->start, text + s->start);
        // Tags such as <br /> are never occluded on their own (a merged passage may hold one).
        CHECK_MSG(!(s->end - s->start <= 6 && memchr(text + s->start, '<', (size_t)(s->end - s->start))),
                  "span %d is not a bare tag: \"%.*s\"", i, s->end - s->start, text + s->start);
        float expected = base->positive - s->score;
        float got = positive_without(c, text, s->start, s->end);
        CHECK_NEAR(got, expected, 2e-4);
    }
}

// Every check, on one classifier.
static void check_classifier(SentClassifier *c) {
    SentError err;
    SentExplainer *e = sent_explainer_new(c, 48, &err);
    CHECK_MSG(e != NULL, "explainer: %s", err.message);
    if (!e) return;
    CHECK(sent_explainer_capacity(e) == 48);
    CHECK(sent_explainer_classifier(e) == c);

    const SentExplainOptions all = {.max_spans = 48, .flop_budget = 0, .min_spans = 1};
    SentResult base;
    const SentSpan *spans;
    int n;

    // Faithfulness and well-formed passages on a few reviews.
    for (size_t i = 0; i < sizeof REVIEWS / sizeof REVIEWS[0]; i++) {
        const char *text = REVIEWS[i];
        SentStatus status = sent_explain(e, text, strlen(text), &all, &base, &spans, &n, &err);
        CHECK_MSG(status == SENT_OK, "explain review %zu: %s", i, err.message);
        if (status != SENT_OK) continue;
        CHECK(n > 0);
        CHECK(base.ids == NULL && base.starts == NULL);
        SentResult direct;
        sent_classify(c, text, strlen(text), &direct, &err);
        CHECK_NEAR(base.positive, direct.positive, 1e-6);
        check_spans(c, text, &base, spans, n);
    }

    // Words are what a reader sees: "awful script.<br /><br />Avoid" gives "script." and "Avoid",
    // the tags are left alone.
    const char *tagged = "Awful script.<br /><br />Avoid it.";
    sent_explain(e, tagged, strlen(tagged), &all, &base, &spans, &n, &err);
    CHECK_MSG(n == 4, "four words around the tags give four passages (got %d)", n);
    if (n == 4) {
        CHECK(spans[1].start == 6 && spans[1].end == 13);   // "script."
        CHECK(spans[2].start == 25 && spans[2].end == 30);  // "Avoid"
        CHECK(spans[3].start == 31 && spans[3].end == 34);  // "it."
    }

    // Few words: one passage per word ("It was fine": three words).
    sent_explain(e, "It was fine", 11, &all, &base, &spans, &n, &err);
    CHECK_MSG(n == 3, "three words give three passages (got %d)", n);
    if (n == 3) CHECK(spans[0].start == 0 && spans[0].end == 2 && spans[2].start == 7 && spans[2].end == 11);

    // A long review (200 KB): bounded passages from the head and the tail the model saw.
    size_t big_len = 200u << 10;
    char *big = malloc(big_len + 1);
    const char *sentence = "The plot is clever and the actors are great, but the ending drags on. ";
    size_t slen = strlen(sentence);
    for (size_t o = 0; o < big_len; o++) big[o] = sentence[o % slen];
    big[big_len] = '\0';
    // Few passages: each is a forward pass over max_len tokens, slow under the sanitizers.
    const SentExplainOptions few = {.max_spans = 6, .flop_budget = 0, .min_spans = 1};
    SentStatus status = sent_explain(e, big, big_len, &few, &base, &spans, &n, &err);
    CHECK_MSG(status == SENT_OK, "200 KB review: %s", err.message);
    CHECK(base.truncated);
    CHECK(n > 0 && n <= 6);
    int in_head = 0, in_tail = 0;
    for (int i = 0; i < n; i++) {
        CHECK(spans[i].start >= 0 && spans[i].end <= (int)big_len && spans[i].start < spans[i].end);
        if (spans[i].end <= (int)(big_len / 2)) in_head++;
        else in_tail++;
    }
    CHECK_MSG(in_head > 0 && in_tail > 0, "passages come from both the head and the tail (%d, %d)", in_head, in_tail);
    free(big);

    // A 10 MB review: a clear error (beyond the tokenizer's limit), nothing else.
    size_t huge_len = 10u << 20;
    char *huge = malloc(huge_len);
    memset(huge, 'a', huge_len);
    status = sent_explain(e, huge, huge_len, &all, &base, &spans, &n, &err);
    CHECK_MSG(status == SENT_OK || (status == SENT_ERR_INPUT && err.message[0]), "10 MB review: status %d", status);
    free(huge);

    // The budget: a tiny one gives min_spans passages at most; max_spans caps it.
    const char *text = REVIEWS[1];
    SentExplainOptions tight = {.max_spans = 48, .flop_budget = 1.0, .min_spans = 4};
    sent_explain(e, text, strlen(text), &tight, &base, &spans, &n, &err);
    CHECK_MSG(n >= 1 && n <= 4, "a tiny budget gives <= min_spans passages (got %d)", n);
    check_spans(c, text, &base, spans, n);
    SentExplainOptions two = {.max_spans = 2, .flop_budget = 0, .min_spans = 1};
    sent_explain(e, text, strlen(text), &two, &base, &spans, &n, &err);
    CHECK_MSG(n >= 1 && n <= 2, "max_spans 2 gives <= 2 passages (got %d)", n);

    // Random bytes rich in tag and sentence characters: an answer or a clear error, and passages
    // that are ordered, disjoint and inside the text.
    uint64_t state = 0x9E3779B97F4A7C15ull;
    static const char alphabet[] = "ab <>/br.!? \"'xyz\xc3\xa9\xff\t\n";
    char noise[200];
    const SentExplainOptions eight = {.max_spans = 8, .flop_budget = 0, .min_spans = 1};
    for (int round = 0; round < 25; round++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        size_t noise_len = (size_t)(state >> 33) % sizeof noise;
        for (size_t i = 0; i < noise_len; i++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            noise[i] = alphabet[(state >> 33) % (sizeof alphabet - 1)];
        }
        SentStatus st = sent_explain(e, noise, noise_len, &eight, &base, &spans, &n, &err);
        CHECK_MSG(st == SENT_OK || st == SENT_ERR_INPUT, "noise round %d: status %d (%s)", round, st, err.message);
        int well_formed = 1;
        for (int i = 0; i < n; i++)
            if (spans[i].start < 0 || spans[i].start >= spans[i].end || spans[i].end > (int)noise_len ||
                (i > 0 && spans[i - 1].end > spans[i].start))
                well_formed = 0;
        CHECK_MSG(st != SENT_OK || (well_formed && n <= 8), "noise round %d: %d passages well formed", round, n);
    }

    // Parts: three explainers' shares are disjoint and together give the whole answer.
    SentSpan whole[48];
    int n_whole;
    sent_explain(e, REVIEWS[0], strlen(REVIEWS[0]), &all, &base, &spans, &n_whole, &err);
    memcpy(whole, spans, (size_t)n_whole * sizeof *whole);
    int n_union = 0, matched = 0;
    for (int part = 0; part < 3; part++) {
        SentExplainOptions share = all;
        share.part = part;
        share.n_parts = 3;
        CHECK(sent_explain(e, REVIEWS[0], strlen(REVIEWS[0]), &share, &base, &spans, &n, &err) == SENT_OK);
        n_union += n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n_whole; j++)
                if (whole[j].start == spans[i].start && whole[j].end == spans[i].end &&
                    fabsf(whole[j].score - spans[i].score) < 1e-5f)
                    matched++;
    }
    CHECK_MSG(n_union == n_whole && matched == n_whole, "parts cover the whole (%d spans, %d in parts, %d matched)",
              n_whole, n_union, matched);
    SentExplainOptions bad_part = all;
    bad_part.part = 3;
    bad_part.n_parts = 3;
    CHECK(sent_explain(e, "good", 4, &bad_part, &base, &spans, &n, &err) == SENT_ERR_ARGUMENT);

    // Bad inputs: clear errors, and the explainer keeps working afterwards.
    CHECK(sent_explain(e, "", 0, &all, &base, &spans, &n, &err) == SENT_ERR_INPUT && n == 0);
    CHECK(sent_explain(e, "  \t ", 4, &all, &base, &spans, &n, &err) == SENT_ERR_INPUT);
    SentExplainOptions none = {.max_spans = 0};
    CHECK(sent_explain(e, "good", 4, &none, &base, &spans, &n, &err) == SENT_ERR_ARGUMENT);
    SentExplainOptions over = {.max_spans = 49};
    CHECK(sent_explain(e, "good", 4, &over, &base, &spans, &n, &err) == SENT_ERR_ARGUMENT);
    CHECK(sent_explain(e, NULL, 4, &all, &base, &spans, &n, &err) == SENT_ERR_ARGUMENT);
    const char invalid[] = "bad \xff\xfe bytes \xc3 here and a good film";
    status = sent_explain(e, invalid, sizeof invalid - 1, &all, &base, &spans, &n, &err);
    CHECK_MSG(status == SENT_OK || status == SENT_ERR_INPUT, "invalid UTF-8: status %d (%s)", status, err.message);
    CHECK(sent_explain(e, REVIEWS[0], strlen(REVIEWS[0]), &all, &base, &spans, &n, &err) == SENT_OK && n > 0);
    CHECK(sent_explainer_new(c, 0, &err) == NULL && err.code == SENT_ERR_ARGUMENT);

    // The cost model: matmuls plus attention, linear in layers, and the head's two matmuls once.
    SentModelInfo info;
    sent_model_info(c, &info);
    double flops = sent_forward_flops(&info, 100);
    double D = info.dim, H = info.hidden_dim;
    CHECK_NEAR(flops, info.n_layers * (2.0 * 100 * (4 * D * D + 2 * D * H) + 4.0 * 100 * 100 * D) +
                          2.0 * (D * D + D * info.n_labels), 1.0);

    sent_explainer_free(e);
}

// The quick check of a classifier: a three-word review gives three faithful passages.
static void check_short_review(SentClassifier *c) {
    SentError err;
    SentExplainer *e = sent_explainer_new(c, 48, &err);
    CHECK_MSG(e != NULL, "explainer: %s", err.message);
    if (!e) return;
    const SentExplainOptions all = {.max_spans = 48, .flop_budget = 0, .min_spans = 1};
    SentResult base;
    const SentSpan *spans;
    int n;
    const char *text = REVIEWS[3];
    CHECK(sent_explain(e, text, strlen(text), &all, &base, &spans, &n, &err) == SENT_OK);
    CHECK_MSG(n == 3, "three words give three passages (got %d)", n);
    check_spans(c, text, &base, spans, n);
    sent_explainer_free(e);
}

int main(void) {
    const char *quick = getenv("SENT_TEST_QUICK");
    const int is_quick = quick && !strcmp(quick, "1");
    // A small random-weight model built in memory, so the test needs nothing but the vocab.
    size_t vocab_len;
    char *vocab = sent_read_file("weights/vocab.txt", &vocab_len);
    CHECK_MSG(vocab != NULL, "weights/vocab.txt must be readable (run from the repository root)");
    if (!vocab) return check_summary("explain");
    SentHfConfig cfg = {.model = {.vocab_size = 30522, .dim = 64, .n_layers = 2, .n_heads = 4, .hidden_dim = 256,
                        .max_position_embeddings = 512, .n_labels = 2}, .positive_index = 1};
    SentConvertOptions opts = sent_convert_defaults();
    opts.quantize = 1;
    opts.max_len = 128;
    opts.head_tokens = 32;
    char message[256];
    size_t model_len;
    uint8_t *model = sent_convert_random(&cfg, vocab, &opts, 7, &model_len, message, sizeof message);
    free(vocab);
    CHECK_MSG(model != NULL, "random model: %s", message);
    if (!model) return check_summary("explain");
    SentError err;
    SentClassifier *c = sent_load_memory(model, model_len, NULL, &err);
    CHECK_MSG(c != NULL, "load the random model: %s", err.message);
    if (c) check_classifier(c);
    sent_free(c);
    free(model);

    // The shipped model too (or the one SENT_TEST_MODEL names) when there is one.
    const char *path = getenv("SENT_TEST_MODEL");
    if (!path) path = "weights/sentiment.smf";
    FILE *probe = fopen(path, "rb");
    if (probe) {
        fclose(probe);
        c = sent_load_path(path, NULL, &err);
        CHECK_MSG(c != NULL, "load %s: %s", path, err.message);
        if (c && is_quick) {
            printf("test_explain: SENT_TEST_QUICK=1: %s gets the short review only\n", path);
            check_short_review(c);
        } else if (c) {
            check_classifier(c);
        }
        sent_free(c);
    } else {
        printf("test_explain: no model at %s; checked the random model only\n", path);
    }
    return check_summary("explain");
}
