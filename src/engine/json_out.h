// A growable text buffer for writing JSON answers: the CLI's one line per review and the wasm
// exports' return values share it, so strings are escaped one way everywhere.
//
// Strings follow RFC 8259: '"' and '\' are backslash-escaped, the control bytes 0x00-0x1F become
// \u00XX; every other byte is copied as is, so UTF-8 passes through (and so does an ill-formed
// sequence: the texts written are our messages and the model's labels, never raw review bytes).
//
// A failed allocation makes the writer sticky-failed: later calls do nothing and sent_json_text
// returns NULL, so a caller checks once at the end.
//
//   SentJsonWriter w = {0};
//   sent_json_raw(&w, "{\"label\":");
//   sent_json_string(&w, label);
//   sent_json_printf(&w, ",\"positive\":%.6f}", p);
//   puts(sent_json_text(&w));
//   sent_json_free(&w);
#ifndef SENT_JSON_OUT_H
#define SENT_JSON_OUT_H

#include <stddef.h>

typedef struct {
    char *data;     // [cap] the text so far, NUL-terminated once anything was written
    size_t len;     // bytes of text, the NUL not counted
    size_t cap;
    int failed;     // an allocation failed; the text is incomplete
} SentJsonWriter;

void sent_json_raw(SentJsonWriter *w, const char *text);            // appended unescaped
void sent_json_printf(SentJsonWriter *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sent_json_string(SentJsonWriter *w, const char *s);            // "s", escaped
// The text written since the last reset ("" when nothing was), or NULL after a failed allocation.
const char *sent_json_text(SentJsonWriter *w);
void sent_json_reset(SentJsonWriter *w);    // empties the text, keeps the buffer
void sent_json_free(SentJsonWriter *w);

#endif
