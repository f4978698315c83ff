// The pool behind parallel.h. One job at a time: the caller publishes (fn, ctx, n, parts), bumps
// `generation` and wakes the sleepers; worker i runs part i; the last worker to finish wakes the
// caller if it went to sleep. Both sides spin first (SPIN_CHECKS loads of an atomic, some tens of
// microseconds): the gap between two layers' jobs is shorter than a sleep-and-wake, so a busy
// engine never sleeps, and an idle one sleeps on a condition variable.
#include "parallel.h"
#include "util.h"

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
// The single-threaded WebAssembly build: no threads exist, every job runs in the caller.

int sent_parallel_start(int n_threads, char *err, size_t err_size) {
    if (n_threads == 1) return 0;
    return sent_errorf(err, err_size, "this build has no threads (asked for %d); use the pthreads build", n_threads);
}

void sent_parallel_stop(void) {}

int sent_parallel_threads(void) { return 1; }

void sent_parallel_for(int n, SentParallelFn fn, void *ctx) {
    if (n > 0) fn(ctx, 0, n);
}

#else

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define SPIN_CHECKS 20000

static struct {
    int n_threads;                         // workers + the caller; 1: no pool
    pthread_t workers[SENT_PARALLEL_MAX_THREADS - 1];
    pthread_mutex_t mu;                    // guards the sleeps on the two condition variables
    pthread_cond_t start_cv, done_cv;
    atomic_uint generation;                // bumped once per job, and once to stop
    atomic_int pending;                    // workers that have not finished the current job
    atomic_flag busy;                      // held while a job runs: a second caller runs serially
    unsigned first_generation;             // what a new worker has already seen
    int stop;                              // written before the bump that tells workers to exit
    SentParallelFn fn;                     // the current job, written before its bump
    void *ctx;
    int n, parts;
} pool = {
    .n_threads = 1,
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .start_cv = PTHREAD_COND_INITIALIZER,
    .done_cv = PTHREAD_COND_INITIALIZER,
    .busy = ATOMIC_FLAG_INIT,
};

// Set on workers, and on the caller while it runs its part: a nested sent_parallel_for is serial.
static _Thread_local int in_job;

static void run_part(int part) {
    int begin = (int)((long long)pool.n * part / pool.parts);
    int end = (int)((long long)pool.n * (part + 1) / pool.parts);
    if (begin < end) pool.fn(pool.ctx, begin, end);
}

// Wakes every thread sleeping on cv. Taking mu orders this after a sleeper's check of the
// condition, so a wake-up between its check and its wait cannot be lost.
static void wake(pthread_cond_t *cv) {
    pthread_mutex_lock(&pool.mu);
    pthread_cond_broadcast(cv);
    pthread_mutex_unlock(&pool.mu);
}

static void *worker_main(void *arg) {
    int index = (int)(intptr_t)arg;   // 1 .. n_threads - 1; the caller runs part 0
    unsigned seen = pool.first_generation;
    in_job = 1;
    for (;;) {
        unsigned g = seen;
        for (int i = 0; i < SPIN_CHECKS && g == seen; i++) g = atomic_load_explicit(&pool.generation, memory_order_acquire);
        if (g == seen) {
            pthread_mutex_lock(&pool.mu);
            while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen)
                pthread_cond_wait(&pool.start_cv, &pool.mu);
            pthread_mutex_unlock(&pool.mu);
        }
        seen = g;
        if (pool.stop) return NULL;
        if (index < pool.parts) run_part(index);
        if (atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_acq_rel) == 1) wake(&pool.done_cv);
    }
}

void sent_parallel_stop(void) {
    if (pool.n_threads < 2) return;
    pool.stop = 1;
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    wake(&pool.start_cv);
    for (int i = 0; i < pool.n_threads - 1; i++) pthread_join(pool.workers[i], NULL);
    pool.n_threads = 1;
    pool.stop = 0;
}

int sent_parallel_start(int n_threads, char *err, size_t err_size) {
    if (n_threads < 1 || n_threads > SENT_PARALLEL_MAX_THREADS)
        return sent_errorf(err, err_size, "threads must be in [1, %d], got %d", SENT_PARALLEL_MAX_THREADS, n_threads);
    sent_parallel_stop();
    pool.first_generation = atomic_load(&pool.generation);
    for (int i = 1; i < n_threads; i++) {
        int rc = pthread_create(&pool.workers[i - 1], NULL, worker_main, (void *)(intptr_t)i);
        if (rc) {
            sent_parallel_stop();   // joins the i - 1 already started
            return sent_errorf(err, err_size, "could not start thread %d of %d: %s", i + 1, n_threads, strerror(rc));
        }
        pool.n_threads = i + 1;
    }
    return 0;
}

int sent_parallel_threads(void) { return pool.n_threads; }

void sent_parallel_for(int n, SentParallelFn fn, void *ctx) {
    if (n <= 0) return;
    if (pool.n_threads < 2 || n < 2 || in_job || atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        fn(ctx, 0, n);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.parts = n < pool.n_threads ? n : pool.n_threads;
    atomic_store_explicit(&pool.pending, pool.n_threads - 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    wake(&pool.start_cv);
    in_job = 1;
    run_part(0);
    in_job = 0;
    int left = 1;
    for (int i = 0; i < SPIN_CHECKS && left; i++) left = atomic_load_explicit(&pool.pending, memory_order_acquire);
    if (left) {
        pthread_mutex_lock(&pool.mu);
        while (atomic_load_explicit(&pool.pending, memory_order_acquire)) pthread_cond_wait(&pool.done_cv, &pool.mu);
        pthread_mutex_unlock(&pool.mu);
    }
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}

#endif
