// The engine's heap as malloc sees it, for the page's long-run memory test
// (tests/web/long_run_test.mjs) and anyone watching a worker: the memory's size alone only ever
// grows (wasm memory never shrinks), so a leak that fits in the slack would not show there.
#include <emscripten.h>
#include <malloc.h>

// Bytes handed out by malloc and not yet freed.
EMSCRIPTEN_KEEPALIVE int sent_wasm_heap_in_use(void) {
    return (int)mallinfo().uordblks;
}
