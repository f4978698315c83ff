// sentiment convert --hf DIR --out M [--quant fp32|int8] [--group N] [--max-len N] [--head N]
//                   [--truncation head|head_tail] [--name S]
// sentiment convert --model IN.smf --out M [--quant fp32|int8] [--group N]
// Turns a Hugging Face DistilBertForSequenceClassification checkpoint directory into a .smf, or
// quantizes a model file's weights anew.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "model_file.h"
#include "tools/convert.h"
#include "util.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: sentiment convert --hf DIR --out M [--quant fp32|int8] [--group N] [--max-len N]\n"
            "                         [--head N] [--truncation head|head_tail] [--name S]\n"
            "       sentiment convert --model IN.smf --out M [--quant fp32|int8] [--group N]\n"
            "  DIR holds model.safetensors, config.json and vocab.txt (Hugging Face layout)\n"
            "  --model      a model file whose weights are quantized anew (int8 dequantized first; the\n"
            "               rest of the file is kept): e.g. group 64 to one scale per row, or int8 to fp32\n"
            "  --quant      fp32 (default) or int8 (symmetric, word embeddings and matmul weights)\n"
            "  --group N    int8: inputs per scale (default 0: one scale per row)\n"
            "  --max-len N  tokens per review (default min(512, max_position_embeddings))\n"
            "  --head N     head+tail truncation keeps N word pieces from the start (default min(128, (max-len - 2) / 2))\n");
}

// --model: the file's weights quantized anew, written to out.
static int requantize(const char *model, const char *out, const SentConvertOptions *opts) {
    char err[512];
    SentModelFile mf;
    if (sent_model_file_open(&mf, model, err, sizeof err) != SENT_OK) {
        fprintf(stderr, "convert: %s: %s\n", model, err);
        return 1;
    }
    size_t len = 0;
    uint8_t *bytes = sent_requantize_model(mf.bytes, mf.len, opts, &len, err, sizeof err);
    sent_model_file_close(&mf);
    if (!bytes) {
        fprintf(stderr, "convert: %s: %s\n", model, err);
        return 1;
    }
    FILE *f = fopenCheck(out, "wb");
    fwriteCheck(bytes, 1, len, f);
    fcloseCheck(f);
    free(bytes);
    fprintf(stderr, "convert: wrote %s (%s, from %s)\n", out, opts->quantize ? "int8" : "fp32", model);
    return 0;
}

int cmd_convert(int argc, char **argv) {
    const char *hf = NULL, *model = NULL, *out = NULL;
    int head_tail = 1;
    SentConvertOptions opts = sent_convert_defaults();
    SentArg args[] = {
        SENT_OPT("--hf", SENT_ARG_STRING, &hf),
        SENT_OPT("--model", SENT_ARG_STRING, &model),
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
    if (!hf == !model || !out) {
        usage(stderr);
        return 2;
    }
    opts.head_only = !head_tail;
    char err[512];
    if (model) return requantize(model, out, &opts);
    if (sent_convert_hf(hf, out, &opts, stderr, err, sizeof err)) {
        fprintf(stderr, "convert: %s\n", err);
        return 1;
    }
    fprintf(stderr, "convert: wrote %s (%s)\n", out, opts.quantize ? "int8" : "fp32");
    return 0;
}
