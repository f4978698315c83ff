#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *what, const char *detail, const char *file, int line) {
    fprintf(stderr, "error: %s%s%s\n  at %s:%d\n", what, detail ? ": " : "", detail ? detail : "",
            file, line);
    exit(EXIT_FAILURE);
}

void *sent_malloc_check(size_t size, const char *file, int line) {
    void *ptr = malloc(size ? size : 1);
    if (!ptr) die("out of memory", NULL, file, line);
    return ptr;
}

void *sent_calloc_check(size_t count, size_t size, const char *file, int line) {
    void *ptr = calloc(count ? count : 1, size ? size : 1);
    if (!ptr) die("out of memory", NULL, file, line);
    return ptr;
}

void *sent_realloc_check(void *ptr, size_t size, const char *file, int line) {
    void *grown = realloc(ptr, size ? size : 1);
    if (!grown) die("out of memory", NULL, file, line);
    return grown;
}

FILE *sent_fopen_check(const char *path, const char *mode, const char *file, int line) {
    FILE *f = fopen(path, mode);
    if (!f) {
        char detail[1024];
        snprintf(detail, sizeof detail, "%s (%s)", path, strerror(errno));
        die("cannot open file", detail, file, line);
    }
    return f;
}

void sent_fread_check(void *dst, size_t size, size_t count, FILE *f, const char *file, int line) {
    if (fread(dst, size, count, f) != count)
        die("short read", feof(f) ? "unexpected end of file" : strerror(errno), file, line);
}

void sent_fwrite_check(const void *src, size_t size, size_t count, FILE *f, const char *file,
                       int line) {
    if (fwrite(src, size, count, f) != count) die("short write", strerror(errno), file, line);
}

void sent_fclose_check(FILE *f, const char *file, int line) {
    if (fclose(f) != 0) die("close failed", strerror(errno), file, line);
}

void sent_rename_check(const char *from, const char *to, const char *file, int line) {
    if (rename(from, to) != 0) {
        char detail[2048];
        snprintf(detail, sizeof detail, "%s to %s (%s)", from, to, strerror(errno));
        die("cannot rename", detail, file, line);
    }
}

char *sent_read_file(const char *path, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (ferror(f)) break;
        if (feof(f)) {
            fclose(f);
            buf[len] = '\0';
            if (out_len) *out_len = len;
            return buf;
        }
        char *grown = realloc(buf, cap * 2);
        if (!grown) break;
        buf = grown;
        cap *= 2;
    }
    int saved = errno ? errno : ENOMEM;
    free(buf);
    fclose(f);
    errno = saved;
    return NULL;
}

int sent_errorf(char *err, size_t err_size, const char *fmt, ...) {
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

double sent_now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
