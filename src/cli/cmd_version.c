#include <stdio.h>

#include "commands.h"

#ifndef SENT_VERSION
#define SENT_VERSION "0.1.0"
#endif

int cmd_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("movie-sentiment %s\n", SENT_VERSION);
    return 0;
}
