// parallel.h's pool, natively (the WebAssembly pthreads build runs the same code; tests/web/
// threads_test.mjs checks it there): every index of a job is done exactly once in contiguous
// ranges, for any thread count and size, over thousands of back-to-back jobs (a lost wake-up
// hangs, a race double-counts); nested and concurrent callers run serially; bad counts are
// refused; a limit caps the threads a job uses (1: all in the caller). Then the model with the pool started gives the same probabilities as without, on
// the scalar and the wasm (libsimde) tables, one review and packed batches, fp32 and int8.
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parallel.h"
#include "random_model.h"
#include "sentiment.h"

#define MAX_N 1000

typedef struct {
    atomic_int hits[MAX_N];
    atomic_int bad_ranges;
    atomic_int ranges;
    atomic_int off_caller;   // ranges run on a thread other than `caller`
    pthread_t caller;
    atomic_int nested_ok;
    int nest;
} Counts;

static void count_range(void *arg, int begin, int end) {
    Counts *c = arg;
    if (begin >= end || begin < 0 || end > MAX_N) atomic_fetch_add(&c->bad_ranges, 1);
    atomic_fetch_add(&c->ranges, 1);
    if (!pthread_equal(pthread_self(), c->caller)) atomic_fetch_add(&c->off_caller, 1);
    for (int i = begin; i < end && i < MAX_N; i++) atomic_fetch_add(&c->hits[i], 1);
}

// A job whose items each start a nested job: it must run serially in the calling thread.
static void nested_range(void *arg, int begin, int end) {
    Counts *c = arg;
    for (int i = begin; i < end; i++) {
        Counts inner;
        memset(&inner, 0, sizeof inner);
        sent_parallel_for(10, count_range, &inner);
        int ok = 1;
        for (int j = 0; j < 10; j++) ok &= atomic_load(&inner.hits[j]) == 1;
        if (ok) atomic_fetch_add(&c->nested_ok, 1);
    }
}

static int each_once(Counts *c, int n) {
    int ok = atomic_load(&c->bad_ranges) == 0;
    for (int i = 0; i < MAX_N; i++) ok &= atomic_load(&c->hits[i]) == (i < n);
    return ok;
}

static void *other_caller(void *arg) {
    int *all_ok = arg;
    for (int r = 0; r < 500; r++) {
        Counts c;
        memset(&c, 0, sizeof c);
        sent_parallel_for(97, count_range, &c);
        if (!each_once(&c, 97)) *all_ok = 0;
    }
    return NULL;
}

static void test_pool(void) {
    char err[160];
    CHECK(sent_parallel_threads() == 1);
    CHECK(sent_parallel_start(0, err, sizeof err) == -1 && strstr(err, "threads must be"));
    CHECK(sent_parallel_start(SENT_PARALLEL_MAX_THREADS + 1, err, sizeof err) == -1);
    const int sizes[] = {0, 1, 2, 3, 5, 7, 64, 999, 1000};
    for (int threads = 1; threads <= 4; threads++) {
        CHECK_MSG(sent_parallel_start(threads, err, sizeof err) == 0, "%s", err);
        CHECK(sent_parallel_threads() == threads);
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            Counts c;
            memset(&c, 0, sizeof c);
            sent_parallel_for(sizes[s], count_range, &c);
            CHECK_MSG(each_once(&c, sizes[s]), "%d threads, n = %d", threads, sizes[s]);
        }
        int jobs_ok = 1;
        for (int r = 0; r < 5000; r++) {
            Counts c;
            memset(&c, 0, sizeof c);
            sent_parallel_for(1 + r % 9, count_range, &c);
            jobs_ok &= each_once(&c, 1 + r % 9);
        }
        CHECK_MSG(jobs_ok, "%d threads: 5000 back-to-back jobs", threads);
        Counts nested;
        memset(&nested, 0, sizeof nested);
        sent_parallel_for(8, nested_range, &nested);
        CHECK_MSG(atomic_load(&nested.nested_ok) == 8, "%d threads: nested jobs", threads);
    }
    // Two threads calling at once: one gets the pool, the other runs serially; both complete.
    int a_ok = 1, b_ok = 1;
    pthread_t other;
    pthread_create(&other, NULL, other_caller, &b_ok);
    other_caller(&a_ok);
    pthread_join(other, NULL);
    CHECK(a_ok && b_ok);
    sent_parallel_stop();
    CHECK(sent_parallel_threads() == 1);
    // A start followed at once by a job and a stop, before the new workers may have run at all:
    // each must still see the stop (a worker that read the current generation itself slept
    // through it, and the stop's join hung).
    for (int r = 0; r < 300; r++) {
        CHECK_MSG(sent_parallel_start(2 + r % 3, err, sizeof err) == 0, "%s", err);
        Counts quick;
        memset(&quick, 0, sizeof quick);
        sent_parallel_for(3, count_range, &quick);
        if (!each_once(&quick, 3)) CHECK_MSG(0, "start, job, stop round %d", r);
        sent_parallel_stop();
    }
    Counts c;
    memset(&c, 0, sizeof c);
    sent_parallel_for(50, count_range, &c);
    CHECK(each_once(&c, 50));
}

// With 4 threads in the pool, a limit of 1 runs every job in the caller as one range, a limit of
// 2 splits into at most 2; out-of-range limits are clamped, and a new pool uses all its threads.
static void test_limit(void) {
    char err[160];
    CHECK_MSG(sent_parallel_start(4, err, sizeof err) == 0, "%s", err);
    const int limits[] = {1, 2, 4, 0, 99};
    const int most[] = {1, 2, 4, 1, 4};   // ranges a 64-item job may be split into
    for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
        sent_parallel_limit(limits[l]);
        int ok = 1, serial = 1;
        for (int r = 0; r < 200; r++) {
            Counts c;
            memset(&c, 0, sizeof c);
            c.caller = pthread_self();
            sent_parallel_for(64, count_range, &c);
            ok &= each_once(&c, 64) && atomic_load(&c.ranges) <= most[l];
            serial &= atomic_load(&c.off_caller) == 0 && atomic_load(&c.ranges) == 1;
        }
        CHECK_MSG(ok, "limit %d: each index once, in at most %d ranges", limits[l], most[l]);
        if (most[l] == 1) CHECK_MSG(serial, "limit %d: one range, on the caller", limits[l]);
    }
    sent_parallel_limit(1);
    CHECK_MSG(sent_parallel_start(3, err, sizeof err) == 0, "%s", err);
    Counts c;
    memset(&c, 0, sizeof c);
    c.caller = pthread_self();
    sent_parallel_for(3, count_range, &c);
    CHECK_MSG(each_once(&c, 3) && atomic_load(&c.ranges) == 3, "a new pool's first job: %d ranges, 3 expected",
              atomic_load(&c.ranges));
    sent_parallel_stop();
}

// A model large enough that its linears cross model.c's split threshold at ~100 tokens.
static uint8_t *split_model(int quantize, size_t *len) {
    SentConvertOptions opts = sent_convert_defaults();
    opts.quantize = quantize;
    opts.group_size = 32;
    SentDistilBertConfig shape = {.vocab_size = 40, .dim = 128, .n_layers = 2, .n_heads = 4, .hidden_dim = 512,
                                  .max_position_embeddings = 160};
    return random_model(shape, opts, 11, len);
}

#define N_TEXTS 4

// P(positive) of each text, one by one and as one packed batch, with `threads` in the pool.
static void probabilities(const uint8_t *bytes, size_t len, const SentKernels *k, int threads, int limit,
                          const char **texts, float *single, float *batch) {
    char err[160];
    CHECK_MSG(sent_parallel_start(threads, err, sizeof err) == 0, "%s", err);
    if (limit) sent_parallel_limit(limit);
    SentError e;
    SentOptions opts = {.max_batch = N_TEXTS, .kernels = k};
    SentClassifier *c = sent_load_memory(bytes, len, &opts, &e);
    CHECK_MSG(c != NULL, "%s", e.message);
    if (!c) return;
    size_t lens[N_TEXTS];
    SentResult r[N_TEXTS];
    for (int i = 0; i < N_TEXTS; i++) {
        lens[i] = strlen(texts[i]);
        CHECK(sent_classify(c, texts[i], lens[i], &r[0], &e) == SENT_OK);
        single[i] = r[0].positive;
    }
    CHECK(sent_classify_batch(c, texts, lens, N_TEXTS, r, &e) == SENT_OK);
    for (int i = 0; i < N_TEXTS; i++) batch[i] = r[i].positive;
    sent_free(c);
    sent_parallel_stop();
}

static void test_model_threads(void) {
    char long_text[2048] = "";
    for (int i = 0; i < 40; i++) strcat(long_text, i % 3 ? "the plot was boring but fun " : "i loved it . ");
    const char *texts[N_TEXTS] = {long_text, "great", "not bad , not good and boring acting", long_text + 13};
    const SentKernels *tables[] = {sent_kernels_scalar(), sent_kernels_wasm()};
    for (int quantize = 0; quantize <= 1; quantize++) {
        size_t len;
        uint8_t *bytes = split_model(quantize, &len);
        if (!bytes) return;
        for (int t = 0; t < 2; t++) {
            float want_single[N_TEXTS], want_batch[N_TEXTS];
            probabilities(bytes, len, tables[t], 1, 0, texts, want_single, want_batch);
            // {threads, limit}: the whole pool, then a 3-thread pool limited to 1 and to 2.
            static const int runs[][2] = {{2, 0}, {3, 0}, {3, 1}, {3, 2}};
            for (size_t run = 0; run < sizeof runs / sizeof *runs; run++) {
                int threads = runs[run][0], limit = runs[run][1];
                float single[N_TEXTS], batch[N_TEXTS];
                probabilities(bytes, len, tables[t], threads, limit, texts, single, batch);
                for (int i = 0; i < N_TEXTS; i++) {
                    CHECK_MSG(single[i] == want_single[i] && batch[i] == want_batch[i],
                              "%s %s, %d threads (limit %d), text %d: %.9g / %.9g against %.9g / %.9g", tables[t]->name,
                              quantize ? "int8" : "fp32", threads, limit, i, single[i], batch[i], want_single[i],
                              want_batch[i]);
                }
            }
        }
        free(bytes);
    }
}

int main(void) {
    test_pool();
    test_limit();
    test_model_threads();
    return check_summary("parallel");
}
