#include "args.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int sent_args_choice(const char *choices, const char *word) {
    size_t n = strlen(word);
    int index = 0;
    for (const char *c = choices;; index++) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && !strncmp(c, word, n)) return index;
        if (!bar) return -1;
        c = bar + 1;
    }
}

// "a, b or c" for choices "a|b|c".
static void print_choices(FILE *out, const char *choices) {
    for (const char *c = choices; *c; c++) {
        if (*c != '|') fputc(*c, out);
        else fputs(strchr(c + 1, '|') ? ", " : " or ", out);
    }
}

// What a number option needs, for its error message.
static void print_range(FILE *out, const SentArg *a) {
    int integer = a->kind == SENT_ARG_INT;
    if (a->min == 0 && a->max >= SENT_ARGS_NO_LIMIT) fprintf(out, "a non-negative %s", integer ? "integer" : "number");
    else if (integer) fprintf(out, "a number (an integer in %.0f..%.0f)", a->min, a->max);
    else fprintf(out, "a number in [%g, %g]", a->min, a->max);
}

// Stores text as a's value; returns 0, or prints why not and returns -1.
static int set_value(const char *command, const SentArg *a, const char *text) {
    char *end = NULL;
    errno = 0;
    switch (a->kind) {
    case SENT_ARG_FLAG:
        *(int *)a->value = 1;
        return 0;
    case SENT_ARG_STRING:
        *(const char **)a->value = text;
        return 0;
    case SENT_ARG_BUFFER:
        if (strlen(text) >= a->size) {
            fprintf(stderr, "%s: %s is longer than %zu bytes\n", command, a->name, a->size - 1);
            return -1;
        }
        strcpy(a->value, text);
        return 0;
    case SENT_ARG_INT: {
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end || v < a->min || v > a->max || v < INT_MIN || v > INT_MAX) break;
        *(int *)a->value = (int)v;
        return 0;
    }
    case SENT_ARG_U64: {
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || end == text || *end || text[strspn(text, " \t")] == '-') {
            fprintf(stderr, "%s: %s needs a non-negative integer, got '%s'\n", command, a->name, text);
            return -1;
        }
        *(uint64_t *)a->value = v;
        return 0;
    }
    case SENT_ARG_FLOAT:
    case SENT_ARG_DOUBLE: {
        double v = strtod(text, &end);
        if (errno || end == text || *end || !(v >= a->min && v <= a->max)) break;
        if (a->kind == SENT_ARG_FLOAT) *(float *)a->value = (float)v;
        else *(double *)a->value = v;
        return 0;
    }
    case SENT_ARG_CHOICE: {
        int index = sent_args_choice(a->choices, text);
        if (index < 0) {
            fprintf(stderr, "%s: %s must be ", command, a->name);
            print_choices(stderr, a->choices);
            fprintf(stderr, ", got '%s'\n", text);
            return -1;
        }
        *(int *)a->value = index;
        return 0;
    }
    }
    fprintf(stderr, "%s: %s needs ", command, a->name);
    print_range(stderr, a);
    fprintf(stderr, ", got '%s'\n", text);
    return -1;
}

int sent_args_parse(const char *command, int argc, char **argv, const SentArg *args, int n_args,
                    void (*usage)(FILE *out)) {
    for (int i = 0; i < argc; i++) {
        const char *word = argv[i];
        if (!strcmp(word, "--help") || !strcmp(word, "-h")) {
            usage(stdout);
            return 0;
        }
        const SentArg *a = NULL;
        for (int k = 0; k < n_args && !a; k++)
            if (!strcmp(word, args[k].name)) a = &args[k];
        if (!a) {
            fprintf(stderr, "%s: unknown option %s\n\n", command, word);
            usage(stderr);
            return 2;
        }
        const char *text = NULL;
        if (a->kind != SENT_ARG_FLAG) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s needs a value\n", command, a->name);
                return 2;
            }
            text = argv[++i];
        }
        if (set_value(command, a, text)) return 2;
        if (a->given) *a->given = 1;
    }
    return SENT_ARGS_RUN;
}
