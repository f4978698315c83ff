// libFuzzer target for the CLI's delimited-text reader (src/cli/csv.h, what `classify --input`
// reads): any bytes as CSV, TSV and lines, with a record limit that never bites and one of 1..64
// bytes that often does, read whole and 1 and 3 bytes at a time. For every call it checks:
//   - it makes progress: each record or bad record consumes input, END comes with all of it
//     consumed, and an in-memory file never gives SENT_CSV_IO;
//   - the record's fields are appended after the previous ones (offsets increasing, each field
//     NUL-terminated) and their count is n_fields; a bad record leaves no fields and a message
//     that is one of the reader's two;
//   - the fields lie within the input: their bytes, in order, are a subsequence of the bytes the
//     record consumed, and a record with no quote in it (or any record in lines mode) is exactly
//     those bytes, split at the delimiter, without its line break;
//   - rec.line is 1 + the line breaks before the record (LF, CRLF, and a lone CR outside lines mode);
//   - every chunk size gives the same records, bad records and messages;
//   - round trip: the good records written with sent_csv_write_field read back as the same fields.
// ASan's leak check at exit covers the reader's and the fields' memory. `make fuzz` runs it.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/csv.h"

#define REQUIRE(cond, ...)                                   \
    do {                                                     \
        if (!(cond)) {                                       \
            fprintf(stderr, "fuzz_csv: " __VA_ARGS__);       \
            fputc('\n', stderr);                             \
            abort();                                         \
        }                                                    \
    } while (0)

// The reader's messages for a bad record (src/cli/csv.c).
static const char *const BAD_MESSAGES[] = {"the record is longer than ", "a quoted field is never closed"};

static int is_break(char delimiter, const uint8_t *s, size_t i) {
    return s[i] == '\n' || (delimiter && s[i] == '\r');
}

// Line breaks in s[0 .. n), CRLF counted once (the LF), a lone CR only outside lines mode.
static long breaks_before(char delimiter, const uint8_t *s, size_t n) {
    long count = 0;
    for (size_t i = 0; i < n; i++)
        count += s[i] == '\n' || (delimiter && s[i] == '\r' && !(i + 1 < n && s[i + 1] == '\n'));
    return count;
}

// A good record against the raw bytes raw[0 .. n) it consumed.
static void check_fields(const SentCsvFields *f, const SentCsvRecord *rec, char delimiter, const uint8_t *raw, size_t n) {
    size_t r = 0;   // subsequence cursor in raw
    for (int k = 0; k < rec->n_fields; k++) {
        size_t len;
        const char *field = sent_csv_field(f, rec->first + (size_t)k, &len);
        REQUIRE(field[len] == '\0', "field %d of line %ld is not NUL-terminated", k, rec->line);
        for (size_t j = 0; j < len; j++) {
            while (r < n && raw[r] != (uint8_t)field[j]) r++;
            REQUIRE(r < n, "field %d of line %ld has a byte that is not in the record's input", k, rec->line);
            r++;
        }
    }
    if (delimiter && memchr(raw, '"', n)) return;
    // No quoting: the fields joined by the delimiter are the raw bytes less the line break.
    size_t body = n;
    if (body > 0 && is_break(delimiter, raw, body - 1)) {
        body--;
        if (raw[body] == '\n' && body > 0 && raw[body - 1] == '\r') body--;
    }
    size_t at = 0;
    for (int k = 0; k < rec->n_fields; k++) {
        size_t len;
        const char *field = sent_csv_field(f, rec->first + (size_t)k, &len);
        REQUIRE(at + len <= body && memcmp(raw + at, field, len) == 0, "unquoted field %d of line %ld is not its input",
                k, rec->line);
        at += len;
        if (k + 1 < rec->n_fields) {
            REQUIRE(at < body && raw[at] == (uint8_t)delimiter, "no delimiter after field %d of line %ld", k, rec->line);
            at++;
        }
    }
    REQUIRE(at == body, "the fields of line %ld are %zu of its %zu bytes", rec->line, at, body);
}

// What one read of an input gave: the good records' fields back to back, their field counts, the
// number of bad records, and all of it as text (records "LINE[field]...\n", bad records
// "LINE!message\n"; fields may hold NUL bytes) to compare reads with.
typedef struct {
    SentCsvFields good;
    int *counts;   // [n_good]
    size_t n_good, n_bad;
    char *text;
    size_t text_len;
} Read;

static void read_free(Read *rd) {
    sent_csv_fields_free(&rd->good);
    free(rd->counts);
    free(rd->text);
}

// Reads data[0 .. size) to its end, checking each call.
static Read read_checked(const uint8_t *data, size_t size, char delimiter, size_t max_record, size_t chunk) {
    Read rd = {0};
    SentCsvFields *good = &rd.good;
    FILE *in = fmemopen((void *)data, size, "r");
    REQUIRE(in, "fmemopen");
    FILE *out = open_memstream(&rd.text, &rd.text_len);
    REQUIRE(out, "open_memstream");
    SentCsvReader r;
    sent_csv_reader_init(&r, in, delimiter, max_record);
    if (chunk) r.chunk = chunk;
    sent_csv_fields_clear(good);
    int has_bom = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0;
    for (int first = 1;; first = 0) {
        size_t n_before = good->n, len_before = good->len;
        size_t start = first && has_bom ? 3 : (size_t)r.consumed;
        SentCsvRecord rec;
        SentCsvStatus s = sent_csv_read(&r, good, &rec);
        REQUIRE(s != SENT_CSV_IO, "an in-memory file gave SENT_CSV_IO");
        size_t end = (size_t)r.consumed;
        if (s == SENT_CSV_END) {
            REQUIRE(end == size, "END after %zu of %zu bytes", end, size);
            break;
        }
        REQUIRE(start < end && end <= size, "a record consumed [%zu, %zu) of %zu bytes", start, end, size);
        REQUIRE(rec.line == 1 + breaks_before(delimiter, data, start), "a record at byte %zu says line %ld", start,
                rec.line);
        REQUIRE(rec.first == n_before, "the record's first field is %zu, not %zu", rec.first, n_before);
        if (s == SENT_CSV_BAD) {
            REQUIRE(rec.n_fields == 0 && good->n == n_before && good->len == len_before,
                    "the bad record at line %ld left fields", rec.line);
            int known = 0;
            for (size_t m = 0; m < sizeof BAD_MESSAGES / sizeof BAD_MESSAGES[0]; m++)
                known |= strncmp(r.message, BAD_MESSAGES[m], strlen(BAD_MESSAGES[m])) == 0;
            REQUIRE(known, "bad record at line %ld: unknown message \"%s\"", rec.line, r.message);
            fprintf(out, "%ld!%s\n", rec.line, r.message);
            rd.n_bad++;
            continue;
        }
        REQUIRE(s == SENT_CSV_RECORD, "status %d", (int)s);
        REQUIRE(rec.n_fields >= 1 && good->n == n_before + (size_t)rec.n_fields, "line %ld: %d fields, %zu appended",
                rec.line, rec.n_fields, good->n - n_before);
        for (size_t i = n_before; i < good->n; i++)
            REQUIRE(good->offset[i] < good->offset[i + 1] && good->offset[i + 1] <= good->len, "field offsets");
        check_fields(good, &rec, delimiter, data + start, end - start);
        rd.counts = realloc(rd.counts, (rd.n_good + 1) * sizeof *rd.counts);
        REQUIRE(rd.counts, "realloc");
        rd.counts[rd.n_good++] = rec.n_fields;
        fprintf(out, "%ld", rec.line);
        for (int k = 0; k < rec.n_fields; k++) {
            size_t len;
            const char *field = sent_csv_field(good, rec.first + (size_t)k, &len);
            fputc('[', out);
            fwrite(field, 1, len, out);
            fputc(']', out);
        }
        fputc('\n', out);
    }
    sent_csv_reader_free(&r);
    fclose(in);
    fclose(out);
    return rd;
}

// The good records written as the CLI writes fields, then read back: the same fields. The copy
// starts with a byte order mark because the reader drops one at the start: a first field that
// itself starts with one (after the input's own) must survive.
static void check_round_trip(const Read *rd, char delimiter) {
    char *copy = NULL;
    size_t copy_len = 0;
    FILE *out = open_memstream(&copy, &copy_len);
    REQUIRE(out, "open_memstream");
    fputs("\xEF\xBB\xBF", out);
    size_t field = 0;
    for (size_t i = 0; i < rd->n_good; i++) {
        for (int k = 0; k < rd->counts[i]; k++, field++) {
            size_t len;
            const char *s = sent_csv_field(&rd->good, field, &len);
            if (k) fputc(delimiter, out);
            sent_csv_write_field(out, s, len, delimiter);
        }
        fputs(SENT_CSV_EOL, out);
    }
    fclose(out);
    Read back = read_checked((const uint8_t *)copy, copy_len, delimiter, (size_t)1 << 30, 0);
    REQUIRE(back.n_bad == 0, "the written copy has %zu bad records", back.n_bad);
    REQUIRE(back.n_good == rd->n_good && back.good.n == rd->good.n, "%zu records (%zu fields) read back as %zu (%zu)",
            rd->n_good, rd->good.n, back.n_good, back.good.n);
    for (size_t i = 0; i < rd->n_good; i++) REQUIRE(back.counts[i] == rd->counts[i], "record %zu: field count changed", i);
    for (size_t i = 0; i < rd->good.n; i++) {
        size_t a_len, b_len;
        const char *a = sent_csv_field(&rd->good, i, &a_len), *b = sent_csv_field(&back.good, i, &b_len);
        REQUIRE(a_len == b_len && memcmp(a, b, a_len) == 0, "field %zu changed in the round trip", i);
    }
    read_free(&back);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char delimiters[] = {',', '\t', 0};
    const size_t limits[] = {(size_t)1 << 20, 1 + (size ? data[size - 1] % 64 : 0)};
    static const size_t chunks[] = {1, 3};   // and the default (0)
    for (size_t d = 0; d < sizeof delimiters; d++)
        for (size_t l = 0; l < 2; l++) {
            Read whole = read_checked(data, size, delimiters[d], limits[l], 0);
            if (delimiters[d]) check_round_trip(&whole, delimiters[d]);
            for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
                Read again = read_checked(data, size, delimiters[d], limits[l], chunks[c]);
                REQUIRE(again.text_len == whole.text_len && memcmp(again.text, whole.text, whole.text_len) == 0,
                        "delimiter %d, limit %zu: %zu-byte reads differ from whole reads", delimiters[d], limits[l],
                        chunks[c]);
                read_free(&again);
            }
            read_free(&whole);
        }
    return 0;
}
