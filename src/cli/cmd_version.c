#include <stdio.h>

#include "commands.h"
#include "sentiment.h"

int cmd_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("movie-sentiment %s\n", SENT_VERSION);
    return 0;
}
