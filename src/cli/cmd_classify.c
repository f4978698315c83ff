// sentiment classify [--model M] [--text T] [--batch N] [--kernels scalar|best] [--offsets]
// sentiment classify --input FILE [--column NAME] [--output FILE.csv] [--threads N] ...: a file
// of reviews in, a CSV out (classify_file.h).
// One review per stdin line (or --text) → one JSON object per line:
//   {"label":"Positive","positive":0.93,"probs":[0.07,0.93],"tokens":312,"truncated":false}
// A line that cannot be classified (empty, over SENT_MAX_TEXT_BYTES, ...) gets {"error":"..."}
// and the others still get answers. Invalid UTF-8 is not an error: ill-formed sequences are
// dropped by the tokenizer, as Hugging Face's decoder + cleaner would.
//
// The model: --model, else sent_cli_default_model (weights_path.h).
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "classify_file.h"
#include "commands.h"
#include "json_out.h"
#include "sentiment.h"
#include "util.h"
#include "weights_path.h"

#define MAX_BATCH 256
#define MAX_THREADS 256

static void usage(FILE *out) {
    fprintf(out,
            "usage: sentiment classify [--model M] [--text T] [--batch N] [--kernels scalar|best] [--offsets]\n"
            "       sentiment classify --input FILE [--column NAME] [--output FILE.csv] [--threads N]\n"
            "                          [--format txt|csv|tsv] [--model M] [--batch N] [--kernels K]\n"
            "  one review per stdin line (or --text T) -> one JSON object per line\n"
            "  --model M     model file (default: $SENTIMENT_MODEL, ./weights/sentiment.smf, else\n"
            "                ../weights/sentiment.smf, else ../share/movie-sentiment/sentiment.smf\n"
            "                from the executable's directory: build/sentiment, make install's bin/)\n"
            "  --batch N     reviews per forward pass (default 8)\n"
            "  --kernels K   scalar (reference) or best (default)\n"
            "  --offsets     add \"spans\": [[start, end], ...] byte offsets of the tokens\n"
            "  --input FILE  a file of reviews (- for stdin, with --format) -> a CSV: the input's\n"
            "                columns as they were, then label, positive, tokens, truncated, error.\n"
            "                .txt: one review per line (columns line, text; blank lines skipped).\n"
            "                .csv: RFC 4180 with a header row, as the web page reads it: fields in\n"
            "                \"...\" may hold commas, line breaks and \"\" for a quote; LF, CRLF or CR;\n"
            "                a UTF-8 byte order mark is skipped.\n"
            "                .tsv: TAB-separated with a header row, quoted the same way; IMDb's\n"
            "                backslash escapes (\\t \\n \\\\ in its tsv.gz files) are NOT decoded.\n"
            "                A row that cannot be answered (empty text, over the size limit, the\n"
            "                wrong number of fields, a quote never closed) gets its message in\n"
            "                error and the other rows their answers.\n"
            "  --column NAME the text column (default: text or review, any case, else the only one)\n"
            "  --output F    the CSV to write (default: stdout)\n"
            "  --threads N   classifiers working at once, one core each (default 1; 0: every core);\n"
            "                the output is the same for every N\n"
            "  --format F    txt, csv or tsv (default: from the input's extension)\n");
}

// Writes one answer line into w (emptied first).
static void write_result(SentJsonWriter *w, const SentResult *r, int offsets) {
    sent_json_reset(w);
    if (r->status != SENT_OK) {
        sent_json_raw(w, "{\"error\":");
        sent_json_string(w, r->error.message);
        sent_json_raw(w, "}\n");
        return;
    }
    sent_json_raw(w, "{\"label\":");
    sent_json_string(w, r->label);
    sent_json_printf(w, ",\"positive\":%.6f,\"probs\":[", r->positive);
    for (int j = 0; j < r->n_labels; j++) sent_json_printf(w, "%s%.6f", j ? "," : "", r->probs[j]);
    sent_json_printf(w, "],\"tokens\":%d,\"truncated\":%s", r->n_tokens, r->truncated ? "true" : "false");
    if (offsets && r->starts) {
        sent_json_raw(w, ",\"spans\":[");
        for (int t = 0; t < r->n_tokens; t++) sent_json_printf(w, "%s[%d,%d]", t ? "," : "", r->starts[t], r->ends[t]);
        sent_json_raw(w, "]");
    }
    sent_json_raw(w, "}\n");
}

static void print_result(SentJsonWriter *w, const SentResult *r, int offsets) {
    write_result(w, r, offsets);
    const char *line = sent_json_text(w);
    if (!line) {
        fprintf(stderr, "classify: out of memory writing an answer\n");
        exit(1);
    }
    fwriteCheck(line, 1, w->len, stdout);
}

int cmd_classify(int argc, char **argv) {
    const char *model = NULL, *text = NULL, *input = NULL, *output = NULL, *column = NULL;
    int batch = 8, offsets = 0, scalar = 0, threads = 1, format = SENT_FORMAT_AUTO;
    int file_option = 0;   // an option that only --input uses
    SentArg args[] = {
        SENT_OPT("--model", SENT_ARG_STRING, &model),
        SENT_OPT("--text", SENT_ARG_STRING, &text),
        SENT_OPT("--batch", SENT_ARG_INT, &batch, .min = 1, .max = MAX_BATCH),
        SENT_OPT("--kernels", SENT_ARG_CHOICE, &scalar, .choices = "best|scalar"),
        SENT_OPT("--offsets", SENT_ARG_FLAG, &offsets),
        SENT_OPT("--input", SENT_ARG_STRING, &input),
        SENT_OPT("--output", SENT_ARG_STRING, &output, .given = &file_option),
        SENT_OPT("--column", SENT_ARG_STRING, &column, .given = &file_option),
        SENT_OPT("--threads", SENT_ARG_INT, &threads, .min = 0, .max = MAX_THREADS, .given = &file_option),
        SENT_OPT("--format", SENT_ARG_CHOICE, &format, .choices = SENT_CLASSIFY_FORMATS, .given = &file_option),
    };
    int status = sent_args_parse("classify", argc - 1, argv + 1, args, SENT_ARGS_COUNT(args), usage);
    if (status != SENT_ARGS_RUN) return status;
    if (!input && file_option) {
        fprintf(stderr, "classify: --output, --column, --threads and --format need --input\n");
        return 2;
    }
    if (input && (text || offsets)) {
        fprintf(stderr, "classify: --input takes neither --text nor --offsets\n");
        return 2;
    }
    char default_path[4096];
    if (!model) model = sent_cli_default_model(default_path, sizeof default_path);
    if (input) {
        if (threads == 0) threads = omp_get_num_procs();
        SentClassifyFileOptions o = {.model = model, .input = input, .output = output, .column = column,
                                     .format = format, .threads = threads, .batch = batch, .scalar = scalar};
        return sent_cli_classify_file(&o);
    }
    SentOptions opts = {.max_batch = batch, .kernels = scalar ? sent_kernels_scalar() : NULL};
    SentError err;
    SentClassifier *c = sent_load_path(model, &opts, &err);
    if (!c) {
        fprintf(stderr, "classify: %s\n", err.message);
        if (err.code == SENT_ERR_IO) fprintf(stderr, "classify: pass --model or set SENTIMENT_MODEL\n");
        return 1;
    }
    SentJsonWriter answer = {0};
    SentResult *results = mallocCheck((size_t)batch * sizeof *results);
    if (text) {
        size_t len = strlen(text);
        sent_classify_batch(c, (const char *const *)&text, &len, 1, results, &err);
        print_result(&answer, &results[0], offsets);
    } else {
        char **lines = callocCheck((size_t)batch, sizeof *lines);
        size_t *caps = callocCheck((size_t)batch, sizeof *caps), *lens = mallocCheck((size_t)batch * sizeof *lens);
        for (int done = 0; !done;) {
            int n = 0;
            while (n < batch) {
                ssize_t got = getline(&lines[n], &caps[n], stdin);
                if (got < 0) {
                    done = 1;
                    break;
                }
                while (got > 0 && (lines[n][got - 1] == '\n' || lines[n][got - 1] == '\r')) got--;
                lens[n++] = (size_t)got;
            }
            if (n == 0) break;
            sent_classify_batch(c, (const char *const *)lines, lens, n, results, &err);
            for (int i = 0; i < n; i++) print_result(&answer, &results[i], offsets);
            fflush(stdout);
        }
        for (int i = 0; i < batch; i++) free(lines[i]);
        free(lines);
        free(caps);
        free(lens);
    }
    sent_json_free(&answer);
    free(results);
    sent_free(c);
    return 0;
}
