// `sentiment classify --input FILE`: a file of reviews (one per line, CSV or TSV) in, a CSV of
// the input columns and the answers out, on N classifiers at once (classify_file.c says how).
#ifndef SENT_CLI_CLASSIFY_FILE_H
#define SENT_CLI_CLASSIFY_FILE_H

// The input formats, in --format's order.
#define SENT_CLASSIFY_FORMATS "auto|txt|csv|tsv"
enum { SENT_FORMAT_AUTO, SENT_FORMAT_TXT, SENT_FORMAT_CSV, SENT_FORMAT_TSV };

typedef struct {
    const char *model;    // model file
    const char *input;    // path, or "-" for stdin
    const char *output;   // path, or "-" / NULL for stdout
    const char *column;   // text column's header name; NULL: text / review / the only one
    int format;           // SENT_FORMAT_*; AUTO: from the input's extension
    int threads;          // classifiers working at once (>= 1)
    int batch;            // reviews per forward pass
    int scalar;           // the reference kernels
} SentClassifyFileOptions;

// Returns the exit status: 0 when every row was answered (an error in a row's `error` column is
// an answer), 1 on a fatal error (already reported on stderr).
int sent_cli_classify_file(const SentClassifyFileOptions *o);

#endif
