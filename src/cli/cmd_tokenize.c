// `sentiment tokenize`: one text per stdin line -> one line of space-separated token ids.
// Lines of any length stream through: without --max-len, pieces are printed as the tokenizer
// finds them; with it, the encoding needs max_len slots. The line itself is held in memory
// (up to --max-line-bytes); a longer line is skipped with an error and an empty output line.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "commands.h"
#include "tokenizer.h"
#include "util.h"
#include "weights_path.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: sentiment tokenize [--vocab PATH] [--max-len N] [--truncation head|head-tail]\n"
            "                          [--head N] [--offsets] [--stats] [--max-line-bytes N]\n"
            "Reads one UTF-8 text per stdin line and prints one line of space-separated token ids,\n"
            "[CLS] and [SEP] included, exactly as Hugging Face's bert-base-uncased tokenizer.\n"
            "  --vocab PATH        vocab.txt (default: weights/vocab.txt in the current directory,\n"
            "                      else ../weights/vocab.txt, else ../share/movie-sentiment/vocab.txt\n"
            "                      from this executable's directory)\n"
            "  --max-len N         keep at most N tokens ([CLS]/[SEP] included); default: no limit\n"
            "  --truncation MODE   head (default): the first N-2 pieces; head-tail: the first --head\n"
            "                      pieces and the last N-2-head\n"
            "  --head N            pieces kept from the start with head-tail (default N/4)\n"
            "  --offsets           print each token as id:start:end (byte offsets in the line)\n"
            "  --stats             print nothing per line; report lines, bytes, tokens and the\n"
            "                      tokenizer's own throughput on stderr (a benchmark entry)\n"
            "  --max-line-bytes N  longest line accepted (default 1 GiB)\n"
            "Invalid UTF-8 bytes are removed, as Hugging Face removes the U+FFFD they decode to.\n"
            "A line that cannot be processed prints an error on stderr and an empty line, so output\n"
            "line k always answers input line k.\n");
}

// Output goes through one large buffer with hand-formatted integers: printf per token would
// dominate the run time.
typedef struct {
    FILE *f;
    int offsets;
    int first; // no separator before the line's first token
    char buf[1 << 16];
    size_t used;
    long long flushes;
} Writer;

static void writer_flush(Writer *w) {
    fwriteCheck(w->buf, 1, w->used, w->f);
    w->used = 0;
    w->flushes++;
}

static void writer_int(Writer *w, int32_t v) {
    char tmp[12];
    int n = 0;
    uint32_t u = v < 0 ? (uint32_t)(-(int64_t)v) : (uint32_t)v;
    do tmp[n++] = (char)('0' + u % 10); while ((u /= 10) != 0);
    if (v < 0) tmp[n++] = '-';
    while (n > 0) w->buf[w->used++] = tmp[--n];
}

static void writer_token(void *ctx, int32_t id, int32_t start, int32_t end) {
    Writer *w = ctx;
    if (w->used > sizeof w->buf - 64) writer_flush(w);
    if (!w->first) w->buf[w->used++] = ' ';
    w->first = 0;
    writer_int(w, id);
    if (w->offsets) {
        w->buf[w->used++] = ':';
        writer_int(w, start);
        w->buf[w->used++] = ':';
        writer_int(w, end);
    }
}

static void ignore_token(void *ctx, int32_t id, int32_t start, int32_t end) {}

static void writer_end_line(Writer *w) {
    if (w->used > sizeof w->buf - 2) writer_flush(w);
    w->buf[w->used++] = '\n';
    w->first = 1;
}

// Reads the next line (without its '\n') into *buf, growing it up to max_bytes. Returns the line
// length, -1 at end of input, or -2 when the line was longer than max_bytes (it is consumed).
static long long read_line(FILE *f, char **buf, size_t *cap, size_t max_bytes) {
    size_t len = 0;
    int any = 0, too_long = 0;
    for (int c; (c = getc_unlocked(f)) != EOF && c != '\n';) {
        any = 1;
        if (too_long) continue;
        if (len == max_bytes) {
            too_long = 1;
            continue;
        }
        if (len + 2 > *cap) {
            size_t new_cap = *cap < (1 << 16) ? (1 << 16) : *cap * 2;
            if (new_cap > max_bytes + 1) new_cap = max_bytes + 1;
            *buf = reallocCheck(*buf, new_cap);
            *cap = new_cap;
        }
        (*buf)[len++] = (char)c;
    }
    if (!any && feof(f)) return -1;
    if (too_long) return -2;
    if (*cap == 0) {
        *buf = reallocCheck(*buf, 1 << 16);
        *cap = 1 << 16;
    }
    (*buf)[len] = '\0';
    return (long long)len;
}

// CPU time of this thread: on a shared machine the wall clock also counts other programs' turns.
static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_tokenize(int argc, char **argv) {
    const char *vocab_arg = NULL;
    int max_len = 0, head = -1, max_line = 1 << 30, offsets = 0, stats = 0, head_tail = 0;
    SentArg args[] = {
        SENT_OPT("--vocab", SENT_ARG_STRING, &vocab_arg),
        SENT_OPT("--max-len", SENT_ARG_INT, &max_len, .min = 2, .max = 1 << 24),
        SENT_OPT("--truncation", SENT_ARG_CHOICE, &head_tail, .choices = "head|head-tail"),
        SENT_OPT("--head", SENT_ARG_INT, &head, .min = 0, .max = 1 << 24),
        SENT_OPT("--offsets", SENT_ARG_FLAG, &offsets),
        SENT_OPT("--stats", SENT_ARG_FLAG, &stats),
        SENT_OPT("--max-line-bytes", SENT_ARG_INT, &max_line, .min = 1, .max = INT32_MAX),
    };
    int status = sent_args_parse("tokenize", argc - 1, argv + 1, args, SENT_ARGS_COUNT(args), usage);
    if (status != SENT_ARGS_RUN) return status;
    SentTruncation truncation = head_tail ? SENT_TRUNCATE_HEAD_TAIL : SENT_TRUNCATE_HEAD;
    if (max_len == 0 && (truncation != SENT_TRUNCATE_HEAD || head >= 0)) {
        fprintf(stderr, "tokenize: --truncation/--head need --max-len\n");
        return 2;
    }
    if (head < 0) head = max_len / 4;
    if (max_len > 0 && head > max_len - 2) {
        fprintf(stderr, "tokenize: --head must be at most --max-len - 2\n");
        return 2;
    }

    char default_path[4096];
    const char *vocab_path = vocab_arg ? vocab_arg : sent_cli_weights_path("vocab.txt", default_path, sizeof default_path);
    size_t vocab_len;
    char *vocab = sent_read_file(vocab_path, &vocab_len);
    if (!vocab) {
        fprintf(stderr, "tokenize: cannot read vocab %s: %s (use --vocab PATH)\n", vocab_path, strerror(errno));
        return 1;
    }
    char err[256];
    SentTokenizer *tok = sent_tokenizer_new(vocab, vocab_len, err, sizeof err);
    free(vocab);
    if (!tok) {
        fprintf(stderr, "tokenize: %s: %s\n", vocab_path, err);
        return 1;
    }
    int32_t cls = sent_tokenizer_token_id(tok, "[CLS]"), sep = sent_tokenizer_token_id(tok, "[SEP]");

    SentTokenizeOptions opts = {max_len, truncation, head};
    SentEncoding enc = {0};
    if (max_len > 0) {
        enc.ids = mallocCheck((size_t)max_len * sizeof *enc.ids);
        enc.starts = mallocCheck((size_t)max_len * sizeof *enc.starts);
        enc.ends = mallocCheck((size_t)max_len * sizeof *enc.ends);
    }
    Writer *w = mallocCheck(sizeof *w);
    w->f = stdout;
    w->offsets = offsets;
    w->first = 1;
    w->used = 0;
    w->flushes = 0;

    char *line = NULL;
    size_t cap = 0;
    long long n_lines = 0, n_bytes = 0, n_tokens = 0, n_errors = 0;
    double busy = 0, busy_cpu = 0;
    for (long long len; (len = read_line(stdin, &line, &cap, (size_t)max_line)) != -1; n_lines++) {
        if (len == -2) {
            fprintf(stderr, "tokenize: line %lld: longer than --max-line-bytes %d; skipped\n", n_lines + 1, max_line);
            n_errors++;
            if (!stats) writer_end_line(w);
            continue;
        }
        n_bytes += len;
        double t0 = stats ? sent_now_seconds() : 0, c0 = stats ? thread_cpu_seconds() : 0;
        if (max_len > 0) {
            if (sent_tokenizer_encode(tok, line, (size_t)len, &opts, &enc, err, sizeof err)) {
                fprintf(stderr, "tokenize: line %lld: %s\n", n_lines + 1, err);
                n_errors++;
            } else {
                n_tokens += enc.n;
                if (!stats)
                    for (int t = 0; t < enc.n; t++) writer_token(w, enc.ids[t], enc.starts[t], enc.ends[t]);
            }
        } else {
            size_t mark = w->used;
            long long flushes = w->flushes;
            if (!stats) writer_token(w, cls, 0, 0);
            long long n = sent_tokenizer_foreach_piece(tok, line, (size_t)len, stats ? ignore_token : writer_token, w,
                                                       err, sizeof err);
            if (n < 0) {
                fprintf(stderr, "tokenize: line %lld: %s\n", n_lines + 1, err);
                n_errors++;
                if (w->flushes == flushes) w->used = mark; // drop the partial line unless it is out
                w->first = 1;
            } else if (stats) {
                n_tokens += n + 2;
            } else {
                writer_token(w, sep, (int32_t)len, (int32_t)len);
                n_tokens += n + 2;
            }
        }
        if (stats) {
            busy += sent_now_seconds() - t0;
            busy_cpu += thread_cpu_seconds() - c0;
        }
        else writer_end_line(w);
    }
    writer_flush(w);
    fflush(stdout);
    if (stats)
        fprintf(stderr,
                "tokenize: %lld lines, %lld bytes, %lld tokens, %.3f s in the tokenizer (%.3f s CPU): "
                "%.1f MB/s, %.0f tokens/s\n",
                n_lines, n_bytes, n_tokens, busy, busy_cpu, busy > 0 ? n_bytes / busy / 1e6 : 0.0,
                busy > 0 ? n_tokens / busy : 0.0);
    free(line);
    free(w);
    free(enc.ids);
    free(enc.starts);
    free(enc.ends);
    sent_tokenizer_free(tok);
    return n_errors ? 1 : 0;
}
