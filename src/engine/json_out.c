#include "json_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Room for extra more bytes and the NUL; 0 after a failed allocation.
static int reserve(SentJsonWriter *w, size_t extra) {
    if (w->failed) return 0;
    if (extra < w->cap - w->len) return 1;
    size_t cap = w->cap ? w->cap : 256;
    while (cap - w->len <= extra) {
        if (cap > ((size_t)-1) / 2) {
            w->failed = 1;
            return 0;
        }
        cap *= 2;
    }
    char *grown = realloc(w->data, cap);
    if (!grown) {
        w->failed = 1;
        return 0;
    }
    w->data = grown;
    w->cap = cap;
    return 1;
}

static void append(SentJsonWriter *w, const char *bytes, size_t n) {
    if (!reserve(w, n)) return;
    memcpy(w->data + w->len, bytes, n);
    w->len += n;
    w->data[w->len] = '\0';
}

void sent_json_raw(SentJsonWriter *w, const char *text) { append(w, text, strlen(text)); }

void sent_json_printf(SentJsonWriter *w, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(w, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(w->data + w->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w->len += (size_t)n;
}

void sent_json_string(SentJsonWriter *w, const char *s) {
    static const char hex[] = "0123456789abcdef";
    append(w, "\"", 1);
    // Runs of bytes that need no escape are copied in one piece.
    for (const char *run = s;; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
        append(w, run, (size_t)(s - run));
        if (!ch) break;
        if (ch == '"' || ch == '\\') {
            char escaped[2] = {'\\', (char)ch};
            append(w, escaped, 2);
        } else {
            char escaped[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            append(w, escaped, 6);
        }
        run = s + 1;
    }
    append(w, "\"", 1);
}

const char *sent_json_text(SentJsonWriter *w) {
    if (w->failed) return NULL;
    return w->data ? w->data : "";
}

void sent_json_reset(SentJsonWriter *w) {
    w->len = 0;
    w->failed = 0;
    if (w->data) w->data[0] = '\0';
}

void sent_json_free(SentJsonWriter *w) {
    free(w->data);
    memset(w, 0, sizeof *w);
}
