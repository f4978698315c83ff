// sentiment convert --hf DIR --out M [--quant fp32|int8] [--group N] [--max-len N] [--head N]
//                   [--truncation head|head_tail] [--name S]
// Turns a Hugging Face DistilBertForSequenceClassification checkpoint directory into a .smf.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
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
    const char *hf = NULL, *out = NULL;
    int head_tail = 1;
    SentConvertOptions opts = sent_convert_defaults();
    SentArg args[] = {
        SENT_OPT("--hf", SENT_ARG_STRING, &hf),
        SENT_OPT("--out", SENT_ARG_STRING, &out),
        SENT_OPT("--quant", SENT_ARG_CHOICE, &opts.quantize, .choices = "fp32|int8"),
        SENT_OPT("--group", SENT_ARG_INT, &opts.group_size, .min = 0, .max = 1 << 20),
        SENT_OPT("--max-len", SENT_ARG_INT, &opts.max_len, .min = 0, .max = 1 << 20),
        SENT_OPT("--head", SENT_ARG_INT, &opts.head_tokens, .min = 0, .max = 1 << 20),
        SENT_OPT("--truncation", SENT_ARG_CHOICE, &head_tail, .choices = "head|head_tail"),
        SENT_OPT("--name", SENT_ARG_STRING, &opts.name),
    };
    int status = sent_args_parse("convert", argc - 1, argv + 1, args, SENT_ARGS_COUNT(args), usage);
    if (status != SENT_ARGS_RUN) return status;
    if (!hf || !out) {
        usage(stderr);
        return 2;
    }
    opts.head_only = !head_tail;
    char err[512];
    if (sent_convert_hf(hf, out, &opts, stderr, err, sizeof err)) {
        fprintf(stderr, "convert: %s\n", err);
        return 1;
    }
    fprintf(stderr, "convert: wrote %s (%s)\n", out, opts.quantize ? "int8" : "fp32");
    return 0;
}
