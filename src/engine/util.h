// Checked wrappers for allocation and file I/O, in the style of llm.c: on failure they print
// file:line and the reason, then exit. Use them only where dying is the right answer (CLI
// set-up, the trainer, tests, benchmarks). Library code that a page or a batch run calls
// returns an error instead, so one bad input never costs the others their answers.
#ifndef SENT_UTIL_H
#define SENT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void *sent_malloc_check(size_t size, const char *file, int line);
void *sent_calloc_check(size_t count, size_t size, const char *file, int line);
void *sent_realloc_check(void *ptr, size_t size, const char *file, int line);
FILE *sent_fopen_check(const char *path, const char *mode, const char *file, int line);
void sent_fread_check(void *dst, size_t size, size_t count, FILE *f, const char *file, int line);
void sent_fwrite_check(const void *src, size_t size, size_t count, FILE *f, const char *file, int line);
void sent_fclose_check(FILE *f, const char *file, int line);
void sent_rename_check(const char *from, const char *to, const char *file, int line);

#define mallocCheck(size) sent_malloc_check((size), __FILE__, __LINE__)
#define callocCheck(count, size) sent_calloc_check((count), (size), __FILE__, __LINE__)
#define reallocCheck(ptr, size) sent_realloc_check((ptr), (size), __FILE__, __LINE__)
#define fopenCheck(path, mode) sent_fopen_check((path), (mode), __FILE__, __LINE__)
#define freadCheck(dst, size, count, f) sent_fread_check((dst), (size), (count), (f), __FILE__, __LINE__)
#define fwriteCheck(src, size, count, f) sent_fwrite_check((src), (size), (count), (f), __FILE__, __LINE__)
#define fcloseCheck(f) sent_fclose_check((f), __FILE__, __LINE__)
// Files a run writes go to PATH.tmp and are renamed over PATH when complete, so a stopped run
// never leaves a short file that a rerun would take for a finished one.
#define renameCheck(from, to) sent_rename_check((from), (to), __FILE__, __LINE__)

// Reads a whole file into a malloc'd buffer with a terminating NUL (not counted in *out_len).
// Returns NULL and sets errno on failure; the caller reports it.
char *sent_read_file(const char *path, size_t *out_len);

// Writes a printf-style message into err[err_size] (when err is non-NULL) and returns -1, so
// lower layers report a failure in one line: `return sent_errorf(err, err_size, "...", ...);`.
// The error convention (which layer uses this, which a SentError) is in error.h.
int sent_errorf(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// splitmix64's finaliser: every input bit moves every output bit. The one 64-bit hash of the
// project (the n-gram buckets, ngram.c; the trainer's counter-based generator, train/rng.h).
static inline uint64_t sent_mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Monotonic wall-clock seconds, for benchmarks and progress reports.
double sent_now_seconds(void);

#endif
