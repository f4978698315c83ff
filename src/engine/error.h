// Errors: one convention for the whole code base.
//
//   - A function whose failure the caller must tell apart (a missing file from a corrupt one, a bad
//     review from a bad call) returns a SentStatus: SENT_OK (0) or the kind of failure.
//   - The public API (sentiment.h, explain.h) describes the failure in a SentError, filled by
//     sent_set_error, which returns the code so that a failure is one line:
//         return sent_set_error(err, SENT_ERR_FORMAT, "tensor '%s': ...", name);
//   - Lower layers (tokenizer, model file, weight binding, tools, trainer) take a plain message
//     buffer (char *err, size_t err_size) filled by sent_errorf (util.h); the layer above adds the
//     context and the status. model_file.c returns a SentStatus with its message, because only it
//     knows whether a file could not be read or read but not understood.
//   - Checked wrappers that exit (util.h: mallocCheck, fopenCheck, ...) are for the CLI, the
//     trainer and tests, never for code that a page or a batch run calls.
#ifndef SENT_ERROR_H
#define SENT_ERROR_H

typedef enum {
    SENT_OK = 0,
    SENT_ERR_ARGUMENT = 1,   // a NULL pointer, a bad option, a batch too large
    SENT_ERR_IO = 2,         // the model file cannot be opened, mapped or written
    SENT_ERR_FORMAT = 3,     // the model file is corrupt, truncated or inconsistent
    SENT_ERR_MEMORY = 4,     // an allocation failed
    SENT_ERR_INPUT = 5,      // this input cannot be classified (too long, bad ids, ...)
} SentStatus;

typedef struct {
    SentStatus code;
    char message[256];
} SentError;

// Sets err (when non-NULL) to code and the printf-style message; returns code.
SentStatus sent_set_error(SentError *err, SentStatus code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
// Sets err (when non-NULL) to SENT_OK with an empty message.
void sent_clear_error(SentError *err);
// "ok", "argument", "io", "format", "memory" or "input": the code's name in JSON answers.
const char *sent_status_name(SentStatus code);

#endif
