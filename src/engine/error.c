#include "error.h"

#include <stdarg.h>
#include <stdio.h>

SentStatus sent_set_error(SentError *err, SentStatus code, const char *fmt, ...) {
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

void sent_clear_error(SentError *err) {
    if (err) {
        err->code = SENT_OK;
        err->message[0] = '\0';
    }
}

const char *sent_status_name(SentStatus code) {
    switch (code) {
    case SENT_OK: return "ok";
    case SENT_ERR_ARGUMENT: return "argument";
    case SENT_ERR_IO: return "io";
    case SENT_ERR_FORMAT: return "format";
    case SENT_ERR_MEMORY: return "memory";
    case SENT_ERR_INPUT: return "input";
    }
    return "unknown";
}
