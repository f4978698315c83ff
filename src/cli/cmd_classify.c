// sentiment classify [--model M] [--text T] [--batch N] [--kernels scalar|best] [--offsets]
// One review per stdin line (or --text) → one JSON object per line:
//   {"label":"Positive","positive":0.93,"probs":[0.07,0.93],"tokens":312,"truncated":false}
// A line that cannot be classified (empty, over SENT_MAX_TEXT_BYTES, ...) gets {"error":"..."}
// and the others still get answers. Invalid UTF-8 is not an error: ill-formed sequences are
// dropped by the tokenizer, as Hugging Face's decoder + cleaner would.
//
// The model: --model, else $SENTIMENT_MODEL, else weights/sentiment.smf in the current
// directory, else ../weights/sentiment.smf next to the executable (build/sentiment in a checkout).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "sentiment.h"
#include "util.h"

#define MAX_BATCH 256

static void usage(FILE *out) {
    fprintf(out,
            "usage: sentiment classify [--model M] [--text T] [--batch N] [--kernels scalar|best] [--offsets]\n"
            "  one review per stdin line (or --text T) -> one JSON object per line\n"
            "  --model M     model file (default: $SENTIMENT_MODEL, ./weights/sentiment.smf,\n"
            "                or weights/sentiment.smf beside the executable's directory)\n"
            "  --batch N     reviews per forward pass (default 8)\n"
            "  --kernels K   scalar (reference) or best (default)\n"
            "  --offsets     add \"spans\": [[start, end], ...] byte offsets of the tokens\n");
}

// Writes s as a JSON string literal (bytes >= 0x80 pass through; control characters escaped).
static void print_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}

static void print_result(const SentResult *r, int offsets) {
    if (r->status != SENT_OK) {
        printf("{\"error\":");
        print_json_string(r->error.message);
        printf("}\n");
        return;
    }
    printf("{\"label\":");
    print_json_string(r->label);
    printf(",\"positive\":%.6f,\"probs\":[", r->positive);
    for (int j = 0; j < r->n_labels; j++) printf("%s%.6f", j ? "," : "", r->probs[j]);
    printf("],\"tokens\":%d,\"truncated\":%s", r->n_tokens, r->truncated ? "true" : "false");
    if (offsets && r->starts) {
        printf(",\"spans\":[");
        for (int t = 0; t < r->n_tokens; t++) printf("%s[%d,%d]", t ? "," : "", r->starts[t], r->ends[t]);
        printf("]");
    }
    printf("}\n");
}

// The default model path (see the file comment); returns a static string or NULL.
static const char *default_model(char *buf, size_t size) {
    const char *env = getenv("SENTIMENT_MODEL");
    if (env && *env) return env;
    if (access("weights/sentiment.smf", R_OK) == 0) return "weights/sentiment.smf";
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n > 0) {
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash && (size_t)(slash - buf) + 32 < size) {
            strcpy(slash, "/../weights/sentiment.smf");
            if (access(buf, R_OK) == 0) return buf;
        }
    }
    return "weights/sentiment.smf";
}

int cmd_classify(int argc, char **argv) {
    const char *model = NULL, *text = NULL, *kernels = "best";
    int batch = 8, offsets = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--offsets")) {
            offsets = 1;
        } else if (i + 1 < argc && !strcmp(a, "--model")) {
            model = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--text")) {
            text = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--kernels")) {
            kernels = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--batch")) {
            batch = atoi(argv[++i]);
        } else {
            fprintf(stderr, "classify: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (batch < 1 || batch > MAX_BATCH) {
        fprintf(stderr, "classify: --batch must be in 1..%d\n", MAX_BATCH);
        return 2;
    }
    if (strcmp(kernels, "best") && strcmp(kernels, "scalar")) {
        fprintf(stderr, "classify: --kernels must be scalar or best\n");
        return 2;
    }
    char exe_path[4096];
    if (!model) model = default_model(exe_path, sizeof exe_path);
    SentOptions opts = {.max_batch = batch, .kernels = strcmp(kernels, "scalar") ? NULL : sent_kernels_scalar()};
    SentError err;
    SentClassifier *c = sent_load_path(model, &opts, &err);
    if (!c) {
        fprintf(stderr, "classify: %s\n", err.message);
        if (err.code == SENT_ERR_IO) fprintf(stderr, "classify: pass --model or set SENTIMENT_MODEL\n");
        return 1;
    }
    SentResult *results = mallocCheck((size_t)batch * sizeof *results);
    if (text) {
        size_t len = strlen(text);
        sent_classify_batch(c, (const char *const *)&text, &len, 1, results, &err);
        print_result(&results[0], offsets);
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
            for (int i = 0; i < n; i++) print_result(&results[i], offsets);
            fflush(stdout);
        }
        for (int i = 0; i < batch; i++) free(lines[i]);
        free(lines);
        free(caps);
        free(lens);
    }
    free(results);
    sent_free(c);
    return 0;
}
