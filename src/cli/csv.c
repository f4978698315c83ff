#include "csv.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define DEFAULT_CHUNK (64 * 1024)

// --- fields ------------------------------------------------------------------------------------
static void fields_start(SentCsvFields *f) {
    if (!f->offset) {
        f->n_cap = 64;
        f->offset = mallocCheck(f->n_cap * sizeof *f->offset);
        f->offset[0] = 0;
    }
}

void sent_csv_fields_clear(SentCsvFields *f) {
    fields_start(f);
    f->len = 0;
    f->n = 0;
    f->offset[0] = 0;
}

void sent_csv_fields_free(SentCsvFields *f) {
    free(f->bytes);
    free(f->offset);
    memset(f, 0, sizeof *f);
}

const char *sent_csv_field(const SentCsvFields *f, size_t i, size_t *len) {
    *len = f->offset[i + 1] - f->offset[i] - 1;
    return f->bytes + f->offset[i];
}

static void push(SentCsvFields *f, char c) {
    if (f->len == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 4096;
        f->bytes = reallocCheck(f->bytes, f->cap);
    }
    f->bytes[f->len++] = c;
}

static void end_field(SentCsvFields *f) {
    push(f, '\0');
    if (f->n + 2 > f->n_cap) {
        f->n_cap *= 2;
        f->offset = reallocCheck(f->offset, f->n_cap * sizeof *f->offset);
    }
    f->offset[++f->n] = f->len;
}

// --- reader ------------------------------------------------------------------------------------
void sent_csv_reader_init(SentCsvReader *r, FILE *in, char delimiter, size_t max_record) {
    memset(r, 0, sizeof *r);
    r->in = in;
    r->delimiter = delimiter;
    r->max_record = max_record;
    r->chunk = DEFAULT_CHUNK;
    r->line = 1;
}

void sent_csv_reader_free(SentCsvReader *r) {
    free(r->buf);
    r->buf = NULL;
}

// Makes buf[*i + ahead] readable, reading more input as needed; 0 at the end of the input (or on
// a read error: r->in's error flag says which). Reading may move the unconsumed bytes to the
// start of buf; *i is moved with them.
static int have(SentCsvReader *r, size_t *i, size_t ahead) {
    while (*i + ahead >= r->end) {
        if (r->eof) return 0;
        if (r->pos > 0) {
            memmove(r->buf, r->buf + r->pos, r->end - r->pos);
            r->end -= r->pos;
            *i -= r->pos;
            r->pos = 0;
        }
        if (r->cap - r->end < r->chunk) {
            r->cap = r->end + r->chunk > 2 * r->cap ? r->end + r->chunk : 2 * r->cap;
            r->buf = reallocCheck(r->buf, r->cap);
        }
        size_t got = fread(r->buf + r->end, 1, r->chunk, r->in);
        r->end += got;
        if (got < r->chunk) r->eof = 1;   // fread returns short only at the end or on an error
    }
    return 1;
}

static int is_break(const SentCsvReader *r, char c) { return c == '\n' || (c == '\r' && r->delimiter); }

// Consumes buf[pos .. k), counting its line breaks (CRLF is one, as is a lone CR outside lines mode).
static void consume(SentCsvReader *r, size_t k) {
    for (size_t j = r->pos; j < k; j++) {
        char c = r->buf[j];
        if (c == '\n' || (c == '\r' && r->delimiter && !(j + 1 < k && r->buf[j + 1] == '\n'))) r->line++;
    }
    r->consumed += k - r->pos;
    r->pos = k;
}

// The record that started at pos and was read up to i is bad: drop its fields, say why, and
// resume after the first line it started on (skipping ahead when that line alone is too long).
__attribute__((format(printf, 6, 7)))
static SentCsvStatus bad(SentCsvReader *r, SentCsvFields *out, size_t n0, size_t len0, size_t i,
                         const char *fmt, ...) {
    out->n = n0;
    out->len = len0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    size_t k = r->pos;
    while (k < i && !is_break(r, r->buf[k])) k++;
    if (k == i) {   // the first line goes on past what was read: skip to its end
        for (;;) {
            if (k - r->pos >= r->chunk) consume(r, k);
            if (!have(r, &k, 0)) break;
            if (is_break(r, r->buf[k])) break;
            k++;
        }
        if (k == r->end) {
            consume(r, k);
            return ferror(r->in) ? SENT_CSV_IO : SENT_CSV_BAD;
        }
    }
    char c = r->buf[k++];
    if (c == '\r' && have(r, &k, 0) && r->buf[k] == '\n') k++;
    consume(r, k);
    return ferror(r->in) ? SENT_CSV_IO : SENT_CSV_BAD;
}

SentCsvStatus sent_csv_read(SentCsvReader *r, SentCsvFields *out, SentCsvRecord *rec) {
    fields_start(out);
    if (!r->started) {   // a UTF-8 byte order mark
        r->started = 1;
        size_t i = 0;
        if (have(r, &i, 2) && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
            r->pos = 3;
            r->consumed = 3;
        }
    }
    const size_t n0 = out->n, len0 = out->len;
    const char d = r->delimiter;
    rec->first = n0;
    rec->n_fields = 0;
    rec->line = r->line;
    size_t i = r->pos;
    if (!have(r, &i, 0)) return ferror(r->in) ? SENT_CSV_IO : SENT_CSV_END;
    int quoted = 0, field_start = 1;
    for (;;) {
        if (i - r->pos > r->max_record)
            return bad(r, out, n0, len0, i, "the record is longer than %zu bytes", r->max_record);
        if (!have(r, &i, 0)) {
            if (ferror(r->in)) return SENT_CSV_IO;
            if (quoted) return bad(r, out, n0, len0, i, "a quoted field is never closed");
            end_field(out);   // the last record, without a line break
            break;
        }
        char c = r->buf[i];
        if (quoted) {
            if (c != '"') {
                push(out, c);
                i++;
            } else if (have(r, &i, 1) && r->buf[i + 1] == '"') {
                push(out, '"');
                i += 2;
            } else {
                quoted = 0;   // closed; what follows up to the delimiter is kept, as spreadsheets do
                i++;
            }
            continue;
        }
        if (d && c == '"' && field_start) {
            quoted = 1;
            field_start = 0;
            i++;
        } else if (d && c == d) {
            end_field(out);
            field_start = 1;
            i++;
        } else if (is_break(r, c)) {
            i++;
            if (c == '\r' && have(r, &i, 0) && r->buf[i] == '\n') i++;
            if (!d && out->len > out->offset[out->n] && out->bytes[out->len - 1] == '\r') out->len--;
            end_field(out);
            break;
        } else {
            push(out, c);
            field_start = 0;
            i++;
        }
    }
    consume(r, i);
    rec->n_fields = (int)(out->n - n0);
    return SENT_CSV_RECORD;
}

// --- writer ------------------------------------------------------------------------------------
void sent_csv_write_field(FILE *out, const char *s, size_t len, char delimiter) {
    int quote = 0;
    for (size_t k = 0; k < len && !quote; k++) quote = s[k] == '"' || s[k] == '\r' || s[k] == '\n' || s[k] == delimiter;
    if (!quote) {
        fwriteCheck(s, 1, len, out);
        return;
    }
    fputc('"', out);
    for (size_t k = 0; k < len;) {
        const char *q = memchr(s + k, '"', len - k);
        size_t run = q ? (size_t)(q - (s + k)) + 1 : len - k;   // up to and including a quote
        fwriteCheck(s + k, 1, run, out);
        if (q) fputc('"', out);
        k += run;
    }
    fputc('"', out);
}
