#include "weights_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// dir/rel/name into buf when it fits and is readable.
static int readable_at(char *buf, size_t size, size_t dir, const char *rel, const char *name) {
    return (size_t)snprintf(buf + dir, size - dir, "/%s/%s", rel, name) < size - dir && access(buf, R_OK) == 0;
}

const char *sent_cli_weights_path(const char *name, char *buf, size_t size) {
    snprintf(buf, size, "weights/%s", name);
    if (access(buf, R_OK) == 0) return buf;
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n > 0) {
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash) {
            size_t dir = (size_t)(slash - buf);
            if (readable_at(buf, size, dir, "../weights", name)) return buf;
            if (readable_at(buf, size, dir, "../share/movie-sentiment", name)) return buf;
        }
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
