// The pool behind parallel.h. One job at a time: the caller publishes (fn, ctx, n) and a new
// ticket, wakes the workers that sleep, and then it and the workers claim the job's parts until
// none is left; the thread that finishes the last part wakes the caller if it went to sleep. Both
// sides spin first (SPIN_CHECKS loads of an atomic, some tens of microseconds): the gap between
// two layers' jobs is shorter than a sleep-and-wake, so a busy engine never sleeps nor locks, and
// an idle one sleeps on a condition variable.
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

void sent_parallel_limit(int n_threads) { (void)n_threads; }

void sent_parallel_for(int n, SentParallelFn fn, void *ctx) {
    if (n > 0) fn(ctx, 0, n);
}

#else

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define SPIN_CHECKS 20000

// A job's parts are claimed, not assigned: a thread that finds a part unclaimed runs it, so when a
// worker is descheduled (another process on the core) the caller runs its part instead of waiting
// for it. The claim word packs the job's generation, its part count and the next part, so a
// worker still looking at an old job can never claim a part of a new one.
#define TICKET(gen, parts, next) (((uint64_t)(gen) << 32) | ((uint64_t)(parts) << 16) | (uint64_t)(next))
#define TICKET_GEN(t) ((unsigned)((t) >> 32))
#define TICKET_PARTS(t) ((int)(((t) >> 16) & 0xffff))
#define TICKET_NEXT(t) ((int)((t)&0xffff))

static struct {
    int n_threads;                         // workers + the caller; 1: no pool
    int limit;                             // the most threads a job uses (sent_parallel_limit)
    pthread_t workers[SENT_PARALLEL_MAX_THREADS - 1];
    pthread_mutex_t mu;                    // guards the sleeps on the two condition variables
    pthread_cond_t start_cv, done_cv;
    _Atomic uint64_t ticket;               // TICKET(generation, parts, next part to claim)
    atomic_int done;                       // parts of the current job finished
    atomic_int sleeping_workers;           // workers in (or about to enter) their wait on start_cv
    atomic_int caller_sleeping;            // the caller is in (or about to enter) its wait on done_cv
    atomic_flag busy;                      // held while a job runs: a second caller runs serially
    atomic_int stop;                       // set before the ticket that tells workers to exit
    SentParallelFn fn;                     // the current job, written before its ticket
    void *ctx;
    int n;
} pool = {
    .n_threads = 1,
    .limit = 1,
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .start_cv = PTHREAD_COND_INITIALIZER,
    .done_cv = PTHREAD_COND_INITIALIZER,
    .busy = ATOMIC_FLAG_INIT,
};

// Set on workers, and on the caller while it runs its parts: a nested sent_parallel_for is serial.
static _Thread_local int in_job;

// Claims and runs parts of job `gen` until none is left; returns how many it ran.
static int run_parts(unsigned gen) {
    int ran = 0;
    uint64_t t = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    while (TICKET_GEN(t) == gen && TICKET_NEXT(t) < TICKET_PARTS(t)) {
        if (!atomic_compare_exchange_weak_explicit(&pool.ticket, &t, t + 1, memory_order_acq_rel, memory_order_acquire))
            continue;
        // The claim succeeded, so the job is still current: its fn, ctx and n are the ones
        // written before its ticket, and stay so until its last part is done.
        int part = TICKET_NEXT(t), parts = TICKET_PARTS(t);
        int begin = (int)((long long)pool.n * part / parts);
        int end = (int)((long long)pool.n * (part + 1) / parts);
        if (begin < end) pool.fn(pool.ctx, begin, end);
        ran++;
        // seq_cst against the caller's store of caller_sleeping (the same pattern as the workers').
        if (atomic_fetch_add(&pool.done, 1) + 1 == parts && atomic_load(&pool.caller_sleeping)) {
            pthread_mutex_lock(&pool.mu);
            pthread_cond_signal(&pool.done_cv);
            pthread_mutex_unlock(&pool.mu);
        }
        t = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    }
    return ran;
}

// A waiter announces itself (seq_cst) before it checks, under mu, whether to sleep; the other
// side publishes (seq_cst) before it reads the announcement and, only if it sees one, signals
// under mu. One of the two sees the other, so no wake-up is lost, and a job whose workers are
// all spinning costs no lock.
// arg: the generation current when the pool started. A worker must not read it itself: one that
// first runs after the caller has published a job and the stop would take the stop's generation
// for the one it has seen, and sleep through it while sent_parallel_stop joins it (a start
// followed at once by a stop hung test_parallel that way).
static void *worker_main(void *arg) {
    unsigned seen = (unsigned)(uintptr_t)arg;
    in_job = 1;
    for (;;) {
        unsigned g = seen;
        for (int i = 0; i < SPIN_CHECKS && g == seen; i++)
            g = TICKET_GEN(atomic_load_explicit(&pool.ticket, memory_order_acquire));
        if (g == seen) {
            pthread_mutex_lock(&pool.mu);
            atomic_fetch_add(&pool.sleeping_workers, 1);
            while ((g = TICKET_GEN(atomic_load(&pool.ticket))) == seen) pthread_cond_wait(&pool.start_cv, &pool.mu);
            atomic_fetch_sub(&pool.sleeping_workers, 1);
            pthread_mutex_unlock(&pool.mu);
        }
        seen = g;
        if (atomic_load(&pool.stop)) return NULL;
        run_parts(g);
    }
}

// Publishes a new ticket (a new generation) and wakes the workers that sleep.
static void publish(uint64_t ticket) {
    atomic_store(&pool.ticket, ticket);
    if (atomic_load(&pool.sleeping_workers)) {
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.start_cv);
        pthread_mutex_unlock(&pool.mu);
    }
}

void sent_parallel_stop(void) {
    if (pool.n_threads < 2) return;
    atomic_store(&pool.stop, 1);
    publish(TICKET(TICKET_GEN(atomic_load(&pool.ticket)) + 1, 0, 0));
    for (int i = 0; i < pool.n_threads - 1; i++) pthread_join(pool.workers[i], NULL);
    pool.n_threads = pool.limit = 1;
    atomic_store(&pool.stop, 0);
}

int sent_parallel_start(int n_threads, char *err, size_t err_size) {
    if (n_threads < 1 || n_threads > SENT_PARALLEL_MAX_THREADS)
        return sent_errorf(err, err_size, "threads must be in [1, %d], got %d", SENT_PARALLEL_MAX_THREADS, n_threads);
    sent_parallel_stop();
    void *gen = (void *)(uintptr_t)TICKET_GEN(atomic_load(&pool.ticket));   // no job runs: it stays
    for (int i = 1; i < n_threads; i++) {
        int rc = pthread_create(&pool.workers[i - 1], NULL, worker_main, gen);
        if (rc) {
            sent_parallel_stop();   // joins the i - 1 already started
            return sent_errorf(err, err_size, "could not start thread %d of %d: %s", i + 1, n_threads, strerror(rc));
        }
        pool.n_threads = i + 1;
    }
    pool.limit = pool.n_threads;
    return 0;
}

int sent_parallel_threads(void) { return pool.n_threads; }

void sent_parallel_limit(int n_threads) {
    pool.limit = n_threads < 1 ? 1 : n_threads > pool.n_threads ? pool.n_threads : n_threads;
}

void sent_parallel_for(int n, SentParallelFn fn, void *ctx) {
    if (n <= 0) return;
    if (pool.limit < 2 || n < 2 || in_job || atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        fn(ctx, 0, n);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    int parts = n < pool.limit ? n : pool.limit;
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    unsigned gen = TICKET_GEN(atomic_load_explicit(&pool.ticket, memory_order_relaxed)) + 1;
    publish(TICKET(gen, parts, 0));
    in_job = 1;
    run_parts(gen);
    in_job = 0;
    // Every part is claimed; wait for those a worker is still running.
    int finished = 0;
    for (int i = 0; i < SPIN_CHECKS && !finished; i++) finished = atomic_load_explicit(&pool.done, memory_order_acquire) == parts;
    if (!finished) {
        pthread_mutex_lock(&pool.mu);
        atomic_store(&pool.caller_sleeping, 1);
        while (atomic_load(&pool.done) != parts) pthread_cond_wait(&pool.done_cv, &pool.mu);
        atomic_store(&pool.caller_sleeping, 0);
        pthread_mutex_unlock(&pool.mu);
    }
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}

#endif
