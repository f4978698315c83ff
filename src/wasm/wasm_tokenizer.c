// WebAssembly exports of the tokenizer alone, for the parity tests and the benchmark under node
// (tests/tokenizer/parity.mjs, build_scripts/bench/tokenizer.mjs). The page uses the model's
// API, which tokenizes internally. Pointers are offsets into the module's memory; the caller
// allocates with _malloc and frees with _free. A failure (0 or -1) is described by
// sent_wasm_last_error (wasm_error.h).
#include <emscripten.h>
#include <stdint.h>

#include "tokenizer.h"
#include "wasm_error.h"

// Returns a tokenizer built from vocab.txt's bytes, or 0.
EMSCRIPTEN_KEEPALIVE SentTokenizer *sent_wasm_tokenizer_new(const char *vocab, int vocab_len) {
    if (vocab_len < 0) {
        sent_wasm_fail(SENT_ERR_ARGUMENT, "negative vocab length");
        return NULL;
    }
    char message[256];
    SentTokenizer *tok = sent_tokenizer_new(vocab, (size_t)vocab_len, message, sizeof message);
    if (!tok) sent_wasm_fail(SENT_ERR_FORMAT, message);
    return tok;
}

EMSCRIPTEN_KEEPALIVE void sent_wasm_tokenizer_free(SentTokenizer *tok) { sent_tokenizer_free(tok); }

// Encodes text[0..len) into ids/starts/ends (max_len entries each; truncation 0 = head,
// 1 = head+tail with head_tokens from the start). Returns the tokens written, or -1.
// *n_total receives the tokens the whole text has ([CLS]/[SEP] included).
EMSCRIPTEN_KEEPALIVE int sent_wasm_tokenize(SentTokenizer *tok, const char *text, int len, int max_len, int truncation,
                                            int head_tokens, int32_t *ids, int32_t *starts, int32_t *ends,
                                            int32_t *n_total) {
    if (len < 0) {
        sent_wasm_fail(SENT_ERR_ARGUMENT, "negative text length");
        return -1;
    }
    SentTokenizeOptions opts = {max_len, (SentTruncation)truncation, head_tokens};
    SentEncoding enc = {ids, starts, ends, 0, 0, 0};
    char message[256];
    if (sent_tokenizer_encode(tok, text, (size_t)len, &opts, &enc, message, sizeof message)) {
        sent_wasm_fail(SENT_ERR_INPUT, message);
        return -1;
    }
    *n_total = enc.n_total;
    return enc.n;
}
