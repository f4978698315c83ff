// sentiment convert --hf DIR --out M [--quant fp32|int8] [--group N] [--max-len N] [--head N]
//                   [--truncation head|head_tail] [--name S]
// Turns a Hugging Face DistilBertForSequenceClassification checkpoint directory into a .smf.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tools/convert.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: sentiment convert --hf DIR --out M [--quant fp32|int8] [--group N] [--max-len N]\n"
            "                         [--head N] [--truncation head|head_tail] [--name S]\n"
            "  DIR holds model.safetensors, config.json and vocab.txt (Hugging Face layout)\n"
            "  --quant      fp32 (default) or int8 (symmetric, word embeddings and matmul weights)\n"
            "  --group N    int8: inputs per scale, 0 = one scale per row (default 64)\n"
            "  --max-len N  tokens per review (default min(512, max_position_embeddings))\n"
            "  --head N     head+tail truncation keeps N word pieces from the start (default min(128, (max-len - 2) / 2))\n");
}

int cmd_convert(int argc, char **argv) {
    const char *hf = NULL, *out = NULL, *quant = "fp32", *truncation = "head_tail";
    SentConvertOptions opts = sent_convert_defaults();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(a, "--hf")) {
            hf = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--out")) {
            out = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--quant")) {
            quant = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--group")) {
            opts.group_size = atoi(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--max-len")) {
            opts.max_len = atoi(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--head")) {
            opts.head_tokens = atoi(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--truncation")) {
            truncation = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--name")) {
            opts.name = argv[++i];
        } else {
            fprintf(stderr, "convert: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!hf || !out) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(quant, "int8")) {
        opts.quantize = 1;
    } else if (strcmp(quant, "fp32")) {
        fprintf(stderr, "convert: --quant must be fp32 or int8\n");
        return 2;
    }
    if (!strcmp(truncation, "head")) {
        opts.head_only = 1;
    } else if (strcmp(truncation, "head_tail")) {
        fprintf(stderr, "convert: --truncation must be head or head_tail\n");
        return 2;
    }
    char err[512];
    if (sent_convert_hf(hf, out, &opts, stderr, err, sizeof err)) {
        fprintf(stderr, "convert: %s\n", err);
        return 1;
    }
    fprintf(stderr, "convert: wrote %s (%s)\n", out, quant);
    return 0;
}
