// Delimited text for `classify --input`: a streaming reader and a field writer in the dialect of
// the page's own reader/writer (web/csv.js), so that a file the page accepts reads the same here
// and a CSV written here is the one the page would write.
//
// The dialect (RFC 4180, lenient where spreadsheets are):
//   - a UTF-8 byte order mark at the start of the input is skipped;
//   - records end in LF, CRLF or a lone CR;
//   - a field that starts with " is quoted: "" inside stands for one ", and delimiters and line
//     breaks are part of the field; text between the closing quote and the next delimiter is kept
//     (`"ab"cd` is abcd); a quote inside an unquoted field is an ordinary character;
//   - TSV is the same with TAB as the delimiter (quotes included): IMDb's backslash escapes
//     (\t \n \\ in the tsv.gz data files) are not decoded;
//   - a last record without a line break is a record; nothing after a final line break is.
// Where this reader differs from the page: the page reads a whole file, so a quote that is never
// closed takes the rest of the file into one field. Here a record may span at most max_record raw
// bytes; a record that ends inside quotes at the end of the input, or grows past max_record, is
// reported bad (SENT_CSV_BAD) and reading resumes at the line after the one it started on, so
// one bad record costs that record alone, and memory stays bounded on any input.
//
// Lines mode (delimiter 0) reads one record of one field per line: no quoting, LF or CRLF ends a
// line (a lone CR is text), as the page's one-review-per-line reader splits them.
#ifndef SENT_CLI_CSV_H
#define SENT_CLI_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

// Fields of any number of records, back to back: field i is bytes[offset[i] .. offset[i+1] - 1),
// followed by a NUL (so offset[i+1] - offset[i] - 1 is its length; fields may hold NUL bytes).
typedef struct {
    char *bytes;
    size_t len, cap;
    size_t *offset;   // [n + 1]
    size_t n, n_cap;
} SentCsvFields;

void sent_csv_fields_clear(SentCsvFields *f);   // keeps the memory for the next records
void sent_csv_fields_free(SentCsvFields *f);
const char *sent_csv_field(const SentCsvFields *f, size_t i, size_t *len);

// Where one record's fields are in a SentCsvFields, and where it starts in the input.
typedef struct {
    size_t first;     // index of its first field
    int n_fields;     // 0 for a bad record
    long line;        // 1-based line of the input on which it starts
} SentCsvRecord;

typedef enum {
    SENT_CSV_RECORD,  // a record was appended
    SENT_CSV_BAD,     // a record could not be read; reader->message says why; read on
    SENT_CSV_END,     // no more records
    SENT_CSV_IO,      // the input could not be read (errno)
} SentCsvStatus;

typedef struct {
    FILE *in;
    char delimiter;       // ',' or '\t'; 0: lines mode
    size_t max_record;    // raw bytes one record may span
    size_t chunk;         // bytes per read (the unit test makes it tiny to hit every boundary)
    char *buf;            // buf[pos .. end) read but not consumed
    size_t pos, end, cap;
    int eof, started;
    long line;            // line on which the next record starts
    uint64_t consumed;    // input bytes consumed so far (for progress reports)
    char message[160];    // why the last SENT_CSV_BAD record was bad
} SentCsvReader;

void sent_csv_reader_init(SentCsvReader *r, FILE *in, char delimiter, size_t max_record);
void sent_csv_reader_free(SentCsvReader *r);
// Reads the next record, appending its fields to out and describing it in rec.
SentCsvStatus sent_csv_read(SentCsvReader *r, SentCsvFields *out, SentCsvRecord *rec);

// Writes one field, quoted when it holds a quote, CR, LF or the delimiter (quotes doubled), as
// the page's formatDelimited does; records end in SENT_CSV_EOL.
void sent_csv_write_field(FILE *out, const char *s, size_t len, char delimiter);
#define SENT_CSV_EOL "\r\n"

#endif
