// build/sentiment: the native command-line front end. Each command is one function in its own
// file (see commands.h); this file only dispatches.
#include <stdio.h>
#include <string.h>

#include "commands.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Command;

static const Command commands[] = {
    {"version", cmd_version, "print the program version"},
    {"tokenize", cmd_tokenize, "text lines on stdin -> BERT WordPiece token ids"},
    {"classify", cmd_classify, "reviews on stdin -> JSON label and probabilities"},
    {"eval", cmd_eval, "accuracy, confusion matrix and calibration of a model on labelled TSV.gz"},
    {"convert", cmd_convert, "Hugging Face checkpoint directory -> .smf model file"},
    {"train", cmd_train, "make a model: " CMD_TRAIN_SUBCOMMANDS " (sentiment train --help)"},
    {"bench", cmd_bench, "engine benchmark: ms per review, fp32/int8, scalar/SIMD, GFLOP/s"},
    {"bench-kernels", cmd_bench_kernels, "kernel micro-benchmark: GFLOP/s per table vs this CPU's peak"},
};
static const int n_commands = (int)(sizeof commands / sizeof commands[0]);

static void usage(FILE *out) {
    fprintf(out, "usage: sentiment <command> [options]   (sentiment <command> --help for details)\n\n");
    for (int i = 0; i < n_commands; i++) fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < n_commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "sentiment: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
