// `sentiment classify --input FILE`: rows stream through a window. The main thread reads a window
// of rows (csv.h), N workers, one classifier each, answer its batches, and the main thread writes
// the window's rows in input order, then reads the next. A window is WINDOW_BATCHES batches (fewer
// when its text passes WINDOW_BYTES) whatever N is, so every batch holds the same rows for any
// --threads: the output does not depend on N. Memory is one window, whatever the input's size.
//
// With one thread the main thread classifies and the kernels keep their own OpenMP threads (as
// the stdin filter does); with N workers each sets its OpenMP team to 1, so N workers use N cores
// instead of N x cores.
//
// A row that cannot be classified (a bad record, the wrong number of fields, an empty text, one
// over the size limit) gets its message in `error` and empty answer columns; the others go on.
#include "classify_file.h"

#include <errno.h>
#include <omp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "sentiment.h"
#include "util.h"

#define WINDOW_BATCHES 256
#define WINDOW_BYTES ((size_t)64 << 20)
// Raw bytes one record may span: above the engine's text limit, so that a long review gets the
// engine's own "text is N bytes" error, and bounded, so that a quote never closed costs a record.
#define MAX_RECORD_BYTES (4 * (size_t)SENT_MAX_TEXT_BYTES)
#define PROGRESS_SECONDS 0.5

typedef struct {
    SentCsvRecord rec;
    int pending;         // to be classified
    SentResult result;   // the answer, or (status != SENT_OK) why there is none
} Row;

typedef struct {
    SentCsvFields fields;
    Row *rows;           // [max_rows]
    int n, max_rows;
    int column;          // the text's field in each record
} Window;

typedef struct Pool Pool;

typedef struct {
    SentClassifier *c;
    int batch;
    const char **texts;  // [batch]
    size_t *lens;
    int *rows;
    SentResult *results;
    Pool *pool;
    pthread_t thread;
} Worker;

struct Pool {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    Window *win;
    int next, n_chunks, chunks_done;
    long rows_done;        // of the current window
    unsigned generation;   // one per window
    int quit;
};

static void row_error(Row *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row_error(Row *row, const char *fmt, ...) {
    row->pending = 0;
    row->result.status = SENT_ERR_INPUT;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->result.error.message, sizeof row->result.error.message, fmt, ap);
    va_end(ap);
}

// --- classifying -------------------------------------------------------------------------------
// Answers the k-th batch of the window; returns how many rows it covers.
static int classify_chunk(Worker *w, Window *win, int k) {
    int lo = k * w->batch, hi = lo + w->batch < win->n ? lo + w->batch : win->n, m = 0;
    for (int r = lo; r < hi; r++) {
        if (!win->rows[r].pending) continue;
        w->texts[m] = sent_csv_field(&win->fields, win->rows[r].rec.first + (size_t)win->column, &w->lens[m]);
        w->rows[m++] = r;
    }
    if (m == 0) return hi - lo;
    SentError err;
    if (sent_classify_batch(w->c, w->texts, w->lens, m, w->results, &err) != SENT_OK) {
        for (int j = 0; j < m; j++) row_error(&win->rows[w->rows[j]], "%s", err.message);
        return hi - lo;
    }
    for (int j = 0; j < m; j++) {
        Row *row = &win->rows[w->rows[j]];
        row->result = w->results[j];
        row->result.ids = row->result.starts = row->result.ends = NULL;   // they point into the classifier
        row->pending = 0;
    }
    return hi - lo;
}

static void *worker_main(void *arg) {
    Worker *w = arg;
    Pool *p = w->pool;
    omp_set_num_threads(1);   // one core per worker: the workers are the parallelism
    unsigned seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen) pthread_cond_wait(&p->work, &p->mu);
        if (p->quit) break;
        seen = p->generation;
        while (p->next < p->n_chunks) {
            int k = p->next++;
            pthread_mutex_unlock(&p->mu);
            int rows = classify_chunk(w, p->win, k);
            pthread_mutex_lock(&p->mu);
            p->rows_done += rows;
            if (++p->chunks_done == p->n_chunks) pthread_cond_signal(&p->done);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

// --- progress (a terminal only) ------------------------------------------------------------------
typedef struct {
    int on;
    double start, last;
    uint64_t total_bytes;   // 0: unknown (a pipe)
} Progress;

// rows answered so far; read_rows / read_bytes: how far the reader got, to estimate the total.
static void progress(Progress *p, long rows, long read_rows, uint64_t read_bytes, int final) {
    if (!p->on) return;
    double now = sent_now_seconds();
    if (!final && now - p->last < PROGRESS_SECONDS) return;
    p->last = now;
    double rate = now > p->start ? rows / (now - p->start) : 0;
    fprintf(stderr, "\rclassify: %ld", rows);
    if (p->total_bytes && read_bytes && !final) {
        double total = (double)read_rows * (double)p->total_bytes / (double)read_bytes;
        if (total < rows) total = rows;
        fprintf(stderr, " / ~%.0f rows, %.1f rows/s", total, rate);
        if (rate > 0) {
            long eta = (long)((total - rows) / rate);
            if (eta >= 3600) fprintf(stderr, ", ETA %ldh%02ldm", eta / 3600, eta / 60 % 60);
            else fprintf(stderr, ", ETA %ldm%02lds", eta / 60, eta % 60);
        }
    } else {
        fprintf(stderr, " rows, %.1f rows/s", rate);
    }
    fputs(final ? "\033[K\n" : "\033[K", stderr);
}

// --- reading -----------------------------------------------------------------------------------
static int blank(const SentCsvFields *f, const SentCsvRecord *rec) {
    if (rec->n_fields != 1) return 0;
    size_t len;
    const char *s = sent_csv_field(f, rec->first, &len);
    for (size_t k = 0; k < len; k++)
        if (!strchr(" \t\r\n\v\f", s[k]) || s[k] == '\0') return 0;
    return 1;
}

// Reads the next window; returns 0 when the input is done, -1 on a read error.
static int fill_window(Window *win, SentCsvReader *rd, int n_columns, long *read_rows) {
    sent_csv_fields_clear(&win->fields);
    win->n = 0;
    while (win->n < win->max_rows && win->fields.len < WINDOW_BYTES) {
        Row *row = &win->rows[win->n];
        memset(row, 0, sizeof *row);
        SentCsvStatus s = sent_csv_read(rd, &win->fields, &row->rec);
        if (s == SENT_CSV_END) break;
        if (s == SENT_CSV_IO) return -1;
        if (s == SENT_CSV_BAD) {
            row_error(row, "line %ld: %s", row->rec.line, rd->message);
        } else if (blank(&win->fields, &row->rec)) {   // not a row, as on the page
            win->fields.n = row->rec.first;
            win->fields.len = win->fields.offset[row->rec.first];
            continue;
        } else if (row->rec.n_fields != n_columns) {
            row_error(row, "line %ld: %d fields; the header has %d", row->rec.line, row->rec.n_fields, n_columns);
        } else {
            row->pending = 1;
        }
        win->n++;
        (*read_rows)++;
    }
    return win->n > 0;
}

// --- writing -----------------------------------------------------------------------------------
static void write_answer(FILE *out, const SentResult *r) {
    fputc(',', out);
    if (r->status != SENT_OK) {
        fputs(",,,,", out);
        sent_csv_write_field(out, r->error.message, strlen(r->error.message), ',');
    } else {
        sent_csv_write_field(out, r->label, strlen(r->label), ',');
        fprintf(out, ",%.6f,%d,%s,", r->positive, r->n_tokens, r->truncated ? "true" : "false");
    }
    fputs(SENT_CSV_EOL, out);
}

// The input's columns (lines: its line number and text), padded or cut to the header's.
static void write_row(FILE *out, const Window *win, const Row *row, int n_columns, int lines) {
    size_t len;
    if (lines) {
        fprintf(out, "%ld,", row->rec.line);
        if (row->rec.n_fields) {
            const char *s = sent_csv_field(&win->fields, row->rec.first, &len);
            sent_csv_write_field(out, s, len, ',');
        }
    } else {
        for (int c = 0; c < n_columns; c++) {
            if (c) fputc(',', out);
            if (c >= row->rec.n_fields) continue;
            const char *s = sent_csv_field(&win->fields, row->rec.first + (size_t)c, &len);
            sent_csv_write_field(out, s, len, ',');
        }
    }
    write_answer(out, &row->result);
}

// --- set-up ------------------------------------------------------------------------------------
static int format_of(const char *path) {
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return SENT_FORMAT_AUTO;
    if (strcasecmp(dot, ".txt") == 0) return SENT_FORMAT_TXT;
    if (strcasecmp(dot, ".csv") == 0) return SENT_FORMAT_CSV;
    if (strcasecmp(dot, ".tsv") == 0) return SENT_FORMAT_TSV;
    return SENT_FORMAT_AUTO;
}

// The header's name for column c: as written, less surrounding spaces (as the page shows it).
static const char *column_name(const SentCsvFields *h, int c, size_t *len) {
    const char *s = sent_csv_field(h, (size_t)c, len);
    while (*len && strchr(" \t\r\n", *s) && *s) s++, (*len)--;
    while (*len && strchr(" \t\r\n", s[*len - 1]) && s[*len - 1]) (*len)--;
    return s;
}

static int find_column(const SentCsvFields *h, int n, const char *name, int exact) {
    for (int c = 0; c < n; c++) {
        size_t len;
        const char *s = column_name(h, c, &len);
        if (len == strlen(name) && (exact ? memcmp(s, name, len) : strncasecmp(s, name, len)) == 0) return c;
    }
    return -1;
}

// The text column, or -1 after saying why there is none.
static int choose_column(const SentCsvFields *h, int n, const char *wanted, const char *input) {
    int c = -1;
    if (wanted) {
        c = find_column(h, n, wanted, 1);
        if (c < 0) c = find_column(h, n, wanted, 0);
    } else {
        c = find_column(h, n, "text", 0);
        if (c < 0) c = find_column(h, n, "review", 0);
        if (c < 0 && n == 1) c = 0;
    }
    if (c >= 0) return c;
    if (wanted) fprintf(stderr, "classify: %s has no column named '%s'; its columns are:", input, wanted);
    else fprintf(stderr, "classify: %s has no column named text or review; pass --column NAME, one of:", input);
    for (int k = 0; k < n; k++) {
        size_t len;
        const char *s = column_name(h, k, &len);
        fprintf(stderr, "%s '%.*s'", k ? "," : "", (int)len, s);
    }
    fputc('\n', stderr);
    return -1;
}

static int same_file(FILE *in, const char *output) {
    struct stat a, b;
    return fstat(fileno(in), &a) == 0 && S_ISREG(a.st_mode) && stat(output, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

int sent_cli_classify_file(const SentClassifyFileOptions *o) {
    int format = o->format;
    int from_stdin = strcmp(o->input, "-") == 0;
    if (format == SENT_FORMAT_AUTO) format = from_stdin ? SENT_FORMAT_AUTO : format_of(o->input);
    if (format == SENT_FORMAT_AUTO) {
        fprintf(stderr, "classify: cannot tell the format of %s; pass --format txt|csv|tsv\n",
                from_stdin ? "stdin" : o->input);
        return 1;
    }
    const int lines = format == SENT_FORMAT_TXT;
    if (lines && o->column) {
        fprintf(stderr, "classify: --column needs a .csv or .tsv input (a .txt input is one review per line)\n");
        return 1;
    }
    const char *output = o->output && strcmp(o->output, "-") != 0 ? o->output : NULL;
    FILE *in = from_stdin ? stdin : fopen(o->input, "rb");
    if (!in) {
        fprintf(stderr, "classify: cannot open %s: %s\n", o->input, strerror(errno));
        return 1;
    }
    if (output && same_file(in, output)) {
        fprintf(stderr, "classify: --output %s is the input file\n", output);
        if (!from_stdin) fclose(in);
        return 1;
    }
    SentCsvReader rd;
    sent_csv_reader_init(&rd, in, lines ? 0 : format == SENT_FORMAT_CSV ? ',' : '\t', MAX_RECORD_BYTES);
    SentCsvFields header = {0};
    SentCsvRecord header_rec = {0};
    int n_columns = 1, column = 0, status = 1;
    FILE *out = NULL;
    Worker *workers = NULL;
    int n_workers = 0;
    Window win = {0};
    if (!lines) {
        SentCsvStatus s = sent_csv_read(&rd, &header, &header_rec);
        if (s != SENT_CSV_RECORD) {
            if (s == SENT_CSV_END) fprintf(stderr, "classify: %s is empty: it needs a header row\n", o->input);
            else if (s == SENT_CSV_BAD) fprintf(stderr, "classify: %s: the header row: %s\n", o->input, rd.message);
            else fprintf(stderr, "classify: cannot read %s: %s\n", o->input, strerror(errno));
            goto done;
        }
        n_columns = header_rec.n_fields;
        if ((column = choose_column(&header, n_columns, o->column, o->input)) < 0) goto done;
    }

    // The classifiers, before the output exists, so that a bad model leaves no empty file.
    workers = callocCheck((size_t)o->threads, sizeof *workers);
    SentOptions opts = {.max_batch = o->batch, .kernels = o->scalar ? sent_kernels_scalar() : NULL};
    for (; n_workers < o->threads; n_workers++) {
        Worker *w = &workers[n_workers];
        SentError err;
        if (!(w->c = sent_load_path(o->model, &opts, &err))) {
            fprintf(stderr, "classify: %s\n", err.message);
            if (err.code == SENT_ERR_IO) fprintf(stderr, "classify: pass --model or set SENTIMENT_MODEL\n");
            goto done;
        }
        w->batch = o->batch;
        w->texts = mallocCheck((size_t)o->batch * sizeof *w->texts);
        w->lens = mallocCheck((size_t)o->batch * sizeof *w->lens);
        w->rows = mallocCheck((size_t)o->batch * sizeof *w->rows);
        w->results = mallocCheck((size_t)o->batch * sizeof *w->results);
    }
    out = output ? fopen(output, "wb") : stdout;
    if (!out) {
        fprintf(stderr, "classify: cannot create %s: %s\n", output, strerror(errno));
        goto done;
    }

    if (lines) {
        fputs("line,text", out);
    } else {
        for (int c = 0; c < n_columns; c++) {
            size_t len;
            const char *s = sent_csv_field(&header, (size_t)c, &len);
            if (c) fputc(',', out);
            sent_csv_write_field(out, s, len, ',');
        }
    }
    fputs(",label,positive,tokens,truncated,error" SENT_CSV_EOL, out);

    Pool pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};
    int started = 0;
    if (o->threads > 1) {
        for (; started < o->threads; started++) {
            workers[started].pool = &pool;
            int rc = pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]);
            if (rc != 0) {
                fprintf(stderr, "classify: cannot start thread %d: %s\n", started + 1, strerror(rc));
                break;
            }
        }
    }
    win.max_rows = WINDOW_BATCHES * o->batch;
    win.rows = mallocCheck((size_t)win.max_rows * sizeof *win.rows);
    win.column = column;
    struct stat st;
    Progress prog = {.on = isatty(STDERR_FILENO), .start = sent_now_seconds()};
    if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode)) prog.total_bytes = (uint64_t)st.st_size;
    long rows_written = 0, read_rows = 0;
    const int start_failed = o->threads > 1 && started < o->threads;
    int got = 0;
    while (!start_failed && (got = fill_window(&win, &rd, n_columns, &read_rows)) > 0) {
        int n_chunks = (win.n + o->batch - 1) / o->batch;
        if (o->threads == 1) {
            for (int k = 0; k < n_chunks; k++) {
                long done_rows = (long)(k + 1) * o->batch < win.n ? (long)(k + 1) * o->batch : win.n;
                classify_chunk(&workers[0], &win, k);
                progress(&prog, rows_written + done_rows, read_rows, rd.consumed, 0);
            }
        } else {
            pthread_mutex_lock(&pool.mu);
            pool.win = &win;
            pool.next = pool.chunks_done = 0;
            pool.n_chunks = n_chunks;
            pool.rows_done = 0;
            pool.generation++;
            pthread_cond_broadcast(&pool.work);
            while (pool.chunks_done < pool.n_chunks) {
                struct timespec t;
                clock_gettime(CLOCK_REALTIME, &t);
                t.tv_nsec += (long)(PROGRESS_SECONDS * 1e9);
                if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
                pthread_cond_timedwait(&pool.done, &pool.mu, &t);
                progress(&prog, rows_written + pool.rows_done, read_rows, rd.consumed, 0);
            }
            pthread_mutex_unlock(&pool.mu);
        }
        for (int r = 0; r < win.n; r++) write_row(out, &win, &win.rows[r], n_columns, lines);
        rows_written += win.n;
    }
    if (started > 0) {
        pthread_mutex_lock(&pool.mu);
        pool.quit = 1;
        pthread_cond_broadcast(&pool.work);
        pthread_mutex_unlock(&pool.mu);
        for (int k = 0; k < started; k++) pthread_join(workers[k].thread, NULL);
    }
    if (start_failed) goto done;
    progress(&prog, rows_written, read_rows, rd.consumed, 1);
    if (got < 0) {
        fprintf(stderr, "classify: cannot read %s: %s\n", o->input, strerror(errno));
        goto done;
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "classify: cannot write %s: %s\n", output ? output : "stdout", strerror(errno));
        goto done;
    }
    status = 0;

done:
    if (out && out != stdout && fclose(out) != 0 && status == 0) {
        fprintf(stderr, "classify: cannot write %s: %s\n", output, strerror(errno));
        status = 1;
    }
    for (int k = 0; k < n_workers; k++) {
        sent_free(workers[k].c);
        free(workers[k].texts);
        free(workers[k].lens);
        free(workers[k].rows);
        free(workers[k].results);
    }
    free(workers);
    free(win.rows);
    sent_csv_fields_free(&win.fields);
    sent_csv_fields_free(&header);
    sent_csv_reader_free(&rd);
    if (!from_stdin) fclose(in);
    return status;
}
