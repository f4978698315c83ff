// Model-level work split over threads: model.c hands each thread a contiguous range of rows
// (linear layers, LayerNorms) or of (sequence, head) pairs (attention). Three builds:
//   - native: no pool is started (the CLI and the library never call sent_parallel_start), so
//     sent_parallel_for runs in the caller; the native SIMD kernels split their own loops
//     (output panels, attention blocks) with OpenMP, as they always have;
//   - WebAssembly with pthreads (the page's threaded build): a persistent pool of n - 1 workers
//     plus the caller, started once before the model loads;
//   - WebAssembly without threads: serial, and sent_parallel_start(n > 1) is an error.
// A call costs no allocation: the job is three words in a static struct, the workers spin for a
// while and then sleep on a condition variable between jobs, so back-to-back layers hand over
// fast and an idle engine costs no CPU.
#ifndef SENT_PARALLEL_H
#define SENT_PARALLEL_H

#include <stddef.h>

#define SENT_PARALLEL_MAX_THREADS 64

// fn(ctx, begin, end): do items [begin, end). Called concurrently on disjoint ranges.
typedef void (*SentParallelFn)(void *ctx, int begin, int end);

// Starts the pool with n_threads in all (the caller counts as one; 1 stops it): 0, or -1 with
// err (n out of [1, SENT_PARALLEL_MAX_THREADS], a build without threads, pthread_create failed).
// Not thread-safe against a running sent_parallel_for: call it before loading a model.
int sent_parallel_start(int n_threads, char *err, size_t err_size);
// Joins the workers; sent_parallel_for is serial afterwards.
void sent_parallel_stop(void);
// Threads a sent_parallel_for may use: the pool's size, 1 when none is started.
int sent_parallel_threads(void);
// The most threads the next jobs use, clamped to [1, the pool's size] (a new pool uses all): with
// 1 every job runs in the caller and the workers sleep. For a caller that runs several engines
// side by side (the page's batch: one engine per core). Set it between jobs, on the thread that
// calls sent_parallel_for; the split, and so every result, stays what it is with any value.
void sent_parallel_limit(int n_threads);
// Splits [0, n) into min(n, threads, the limit) contiguous ranges of near-equal size, which the calling
// thread and the workers claim one at a time (the caller runs any a busy or descheduled worker has
// not started), and returns when every range is done. Runs serially when no pool is started, when
// n < 2, when called from inside a job, or when another thread's job holds the pool.
void sent_parallel_for(int n, SentParallelFn fn, void *ctx);

#endif
