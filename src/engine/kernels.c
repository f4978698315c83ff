// Picks the kernel table: the fastest one this build and this CPU can run, and the list of all
// of them for the tests and the benchmark. The SIMD tables answer NULL where they cannot run.
#include <stddef.h>
#include <string.h>

#include "kernels.h"

const SentKernels *sent_kernels_best(void) {
    const SentKernels *(*const by_speed[])(void) = {sent_kernels_avx512vnni, sent_kernels_avx512,
                                                   sent_kernels_avx2, sent_kernels_wasm};
    for (size_t i = 0; i < sizeof by_speed / sizeof by_speed[0]; i++) {
        const SentKernels *k = by_speed[i]();
        if (k) return k;
    }
    return sent_kernels_scalar();
}

int sent_kernels_all(const SentKernels **tables, int max_tables) {
    const SentKernels *(*const all[])(void) = {sent_kernels_scalar, sent_kernels_avx2, sent_kernels_avx512,
                                              sent_kernels_avx512vnni, sent_kernels_wasm};
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0] && n < max_tables; i++) {
        const SentKernels *k = all[i]();
        if (k) tables[n++] = k;
    }
    return n;
}

const SentKernels *sent_kernels_by_name(const char *name) {
    if (!strcmp(name, "best")) return sent_kernels_best();
    const SentKernels *tables[8];
    int n = sent_kernels_all(tables, 8);
    for (int i = 0; i < n; i++)
        if (!strcmp(tables[i]->name, name)) return tables[i];
    return NULL;
}
