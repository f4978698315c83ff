// A minimal assertion harness for the C unit tests: every CHECK counts, a failure prints
// file:line and the expression, and check_summary() prints "N passed, N failed" and returns
// the exit status. Header-only so each test is one self-contained program.
#ifndef SENT_TESTS_CHECK_H
#define SENT_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_passed_count, check_failed_count;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            check_passed_count++;                                                    \
        } else {                                                                     \
            check_failed_count++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);          \
        }                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                                         \
    do {                                                                             \
        if (cond) {                                                                  \
            check_passed_count++;                                                    \
        } else {                                                                     \
            check_failed_count++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                     \
        }                                                                            \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                        \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%g vs %g (tol %g)", (double)(a), \
              (double)(b), (double)(tol))

// The system's temporary folder ($TMPDIR, else the C library's default), never a fixed path.
static inline const char *check_temp_dir(void) { return getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir; }

// A mkstemp/mkdtemp template in check_temp_dir(): "<tmp>/<stem>-XXXXXX".
static inline void check_temp_template(char *buf, size_t size, const char *stem) {
    snprintf(buf, size, "%s/%s-XXXXXX", check_temp_dir(), stem);
}

static inline int check_summary(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, check_passed_count, check_failed_count);
    return check_failed_count ? 1 : 0;
}

#endif
