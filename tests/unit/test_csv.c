// The CLI's CSV reader and writer (src/cli/csv.h) in the dialect of web/csv.js: quotes, doubled
// quotes, delimiters and line breaks inside quoted fields, CRLF / LF / lone CR, a byte order
// mark, empty fields, TSV and lines mode; bad records (a quote never closed, a record over the
// limit) reported alone with reading resumed on the next line; every input also read 1..7 bytes
// at a time so that each buffer boundary falls everywhere; the writer's quoting and round trips.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli/csv.h"

// Every record of text as "LINE[field][field]\n", a bad one as "LINE!message\n".
static char *dump(const char *text, size_t len, char delimiter, size_t max_record, size_t chunk) {
    FILE *in = fmemopen((void *)text, len, "r");
    char *out = NULL;
    size_t out_len = 0;
    FILE *o = open_memstream(&out, &out_len);
    SentCsvReader r;
    sent_csv_reader_init(&r, in, delimiter, max_record);
    if (chunk) r.chunk = chunk;
    SentCsvFields f = {0};
    SentCsvRecord rec;
    for (SentCsvStatus s; (s = sent_csv_read(&r, &f, &rec)) != SENT_CSV_END;) {
        if (s == SENT_CSV_IO) {
            fprintf(o, "IO\n");
            break;
        }
        if (s == SENT_CSV_BAD) {
            fprintf(o, "%ld!%s\n", rec.line, r.message);
            continue;
        }
        fprintf(o, "%ld", rec.line);
        for (int k = 0; k < rec.n_fields; k++) {
            size_t n;
            const char *field = sent_csv_field(&f, rec.first + (size_t)k, &n);
            fputc('[', o);
            fwrite(field, 1, n, o);
            fputc(']', o);
        }
        fputc('\n', o);
    }
    sent_csv_fields_free(&f);
    sent_csv_reader_free(&r);
    fclose(in);
    fclose(o);
    return out;
}

// text read whole and 1..7 bytes at a time gives `want` every time.
static void expect(const char *name, const char *text, size_t len, char delimiter, size_t max_record, const char *want) {
    for (size_t chunk = 0; chunk <= 7; chunk++) {
        char *got = dump(text, len, delimiter, max_record, chunk);
        CHECK_MSG(strcmp(got, want) == 0, "%s (chunk %zu):\n--- got\n%s--- want\n%s", name, chunk, got, want);
        free(got);
    }
}
#define EXPECT(name, text, delimiter, want) expect(name, text, sizeof(text) - 1, delimiter, 1 << 20, want)

static void test_reader(void) {
    EXPECT("plain", "a,b,c\n1,2,3\n", ',', "1[a][b][c]\n2[1][2][3]\n");
    EXPECT("no final line break", "a,b\n1,2", ',', "1[a][b]\n2[1][2]\n");
    EXPECT("CRLF", "a,b\r\n1,2\r\n", ',', "1[a][b]\n2[1][2]\n");
    EXPECT("lone CR ends a record", "a,b\r1,2\r", ',', "1[a][b]\n2[1][2]\n");
    EXPECT("empty fields", ",\n,x,\n\n", ',', "1[][]\n2[][x][]\n3[]\n");
    EXPECT("quotes", "\"a,b\",\"say \"\"hi\"\"\",\"\"\n", ',', "1[a,b][say \"hi\"][]\n");
    EXPECT("line breaks in quotes", "\"one\ntwo\r\nthree\",x\nnext,y\n", ',', "1[one\ntwo\r\nthree][x]\n4[next][y]\n");
    EXPECT("text after the closing quote is kept", "\"ab\"cd,e\n", ',', "1[abcd][e]\n");
    EXPECT("a quote inside an unquoted field is text", "it's \"fine\",x\n", ',', "1[it's \"fine\"][x]\n");
    EXPECT("byte order mark", "\xEF\xBB\xBFtext\n\xEF\xBB\xBFsecond\n", ',', "1[text]\n2[\xEF\xBB\xBFsecond]\n");
    EXPECT("unicode", "text\n\"caf\xC3\xA9 \xE2\x9C\x93, \xF0\x9F\x8E\xAC\"\n", ',', "1[text]\n2[caf\xC3\xA9 \xE2\x9C\x93, \xF0\x9F\x8E\xAC]\n");
    EXPECT("empty input", "", ',', "");
    EXPECT("only a BOM", "\xEF\xBB\xBF", ',', "");
    EXPECT("TSV", "a\tb,c\n\"x\ty\"\t\"q\"\"\"\n", '\t', "1[a][b,c]\n2[x\ty][q\"]\n");
    EXPECT("lines mode", "a,\"b\r\nc\r\rd\n\nlast", 0, "1[a,\"b]\n2[c\r\rd]\n3[]\n4[last]\n");
    EXPECT("NUL bytes are kept", "a\0b,c\n", ',', "1[a\0b][c]\n");

    // A quote never closed: that record is bad, the lines after its first one are read again.
    EXPECT("quote never closed", "h\n1,\"open\n2,fine\n", ',', "1[h]\n2!a quoted field is never closed\n3[2][fine]\n");
    EXPECT("quote never closed, last line", "h\n\"open", ',', "1[h]\n2!a quoted field is never closed\n");
    EXPECT("quote never closed after CRLF", "h\r\n1,\"a\r\nb\r\n", ',', "1[h]\n2!a quoted field is never closed\n3[b]\n");

    // Over the limit (12 bytes here): the record is bad, reading resumes on its next line, or
    // after its first line when that line alone is too long.
    const char *longq = "ok\n\"0123456789\n0123456789\"\nafter\n";
    expect("long quoted record", longq, strlen(longq), ',', 12, "1[ok]\n2!the record is longer than 12 bytes\n3[0123456789\"]\n4[after]\n");
    const char *longl = "ok\n01234567890123456789,x\r\nafter\n";
    expect("long line", longl, strlen(longl), ',', 12, "1[ok]\n2!the record is longer than 12 bytes\n3[after]\n");
    expect("long line at the end", longl, strlen(longl) - 7, ',', 12, "1[ok]\n2!the record is longer than 12 bytes\n");
    const char *longt = "a\n0123456789abcdef\nb\n";
    expect("long line, lines mode", longt, strlen(longt), 0, 12, "1[a]\n2!the record is longer than 12 bytes\n3[b]\n");

    // Bytes consumed reach the input's size (progress reports).
    const char *text = "a,b\n\"x\ny\",z";
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    SentCsvReader r;
    sent_csv_reader_init(&r, in, ',', 100);
    r.chunk = 3;
    SentCsvFields f = {0};
    SentCsvRecord rec;
    int records = 0;
    while (sent_csv_read(&r, &f, &rec) == SENT_CSV_RECORD) records++;
    CHECK(records == 2);
    CHECK(f.n == 4);   // both records' fields, back to back
    CHECK(r.consumed == strlen(text));
    sent_csv_fields_clear(&f);
    CHECK(f.n == 0 && f.len == 0);
    sent_csv_fields_free(&f);
    sent_csv_reader_free(&r);
    fclose(in);
}

static char *write_fields(const char *const *fields, int n, char delimiter) {
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    for (int k = 0; k < n; k++) {
        if (k) fputc(delimiter, o);
        sent_csv_write_field(o, fields[k], strlen(fields[k]), delimiter);
    }
    fputs(SENT_CSV_EOL, o);
    fclose(o);
    return out;
}

static void test_writer(void) {
    const char *fields[] = {"plain", "", "a,b", "say \"hi\"", "two\nlines", "cr\r", "tab\there", "\"", "caf\xC3\xA9"};
    const int n = (int)(sizeof fields / sizeof fields[0]);
    char *csv = write_fields(fields, n, ',');
    const char *want = "plain,,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\",tab\there,\"\"\"\",caf\xC3\xA9\r\n";
    CHECK_MSG(strcmp(csv, want) == 0, "got %s", csv);
    char *tsv = write_fields(fields, n, '\t');
    CHECK(strstr(tsv, "\ta,b\t") != NULL);          // a comma needs no quotes in TSV
    CHECK(strstr(tsv, "\t\"tab\there\"\t") != NULL); // a TAB does

    // Round trips: what the writer wrote, the reader reads back field for field.
    for (int pass = 0; pass < 2; pass++) {
        char delimiter = pass ? '\t' : ',';
        const char *text = pass ? tsv : csv;
        FILE *in = fmemopen((void *)text, strlen(text), "r");
        SentCsvReader r;
        sent_csv_reader_init(&r, in, delimiter, 1 << 20);
        SentCsvFields f = {0};
        SentCsvRecord rec;
        CHECK(sent_csv_read(&r, &f, &rec) == SENT_CSV_RECORD);
        CHECK(rec.n_fields == n);
        for (int k = 0; k < n && k < rec.n_fields; k++) {
            size_t len;
            const char *got = sent_csv_field(&f, (size_t)k, &len);
            CHECK_MSG(len == strlen(fields[k]) && memcmp(got, fields[k], len) == 0, "field %d of the %s round trip", k,
                      pass ? "TSV" : "CSV");
        }
        CHECK(sent_csv_read(&r, &f, &rec) == SENT_CSV_END);
        sent_csv_fields_free(&f);
        sent_csv_reader_free(&r);
        fclose(in);
    }
    free(csv);
    free(tsv);
}

int main(void) {
    test_reader();
    test_writer();
    return check_summary("csv");
}
