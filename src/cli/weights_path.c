#include "weights_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *sent_cli_weights_path(const char *name, char *buf, size_t size) {
    snprintf(buf, size, "weights/%s", name);
    if (access(buf, R_OK) == 0) return buf;
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n > 0) {
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        size_t dir = slash ? (size_t)(slash - buf) : 0;
        if (slash && (size_t)snprintf(slash, size - dir, "/../weights/%s", name) < size - dir &&
            access(buf, R_OK) == 0)
            return buf;
    }
    snprintf(buf, size, "weights/%s", name);
    return buf;
}

const char *sent_cli_default_model(char *buf, size_t size) {
    const char *env = getenv("SENTIMENT_MODEL");
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return buf;
    }
    return sent_cli_weights_path("sentiment.smf", buf, size);
}
