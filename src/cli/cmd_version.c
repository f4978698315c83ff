// `sentiment version`: the program's version.
#include <stdio.h>

#include "args.h"
#include "commands.h"
#include "sentiment.h"

static void usage(FILE *out) { fprintf(out, "usage: sentiment version\nPrints the program's version.\n"); }

int cmd_version(int argc, char **argv) {
    int status = sent_args_parse("version", argc - 1, argv + 1, NULL, 0, usage);
    if (status != SENT_ARGS_RUN) return status;
    printf("movie-sentiment %s\n", SENT_VERSION);
    return 0;
}
