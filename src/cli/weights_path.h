// Where the CLI finds the files shipped in weights/ when no option names them, so that
// build/sentiment works from the checkout's root and from anywhere else alike, and so does the
// copy `make install PREFIX=P` puts in P/bin (the files go to P/share/movie-sentiment).
#ifndef SENT_CLI_WEIGHTS_PATH_H
#define SENT_CLI_WEIGHTS_PATH_H

#include <stddef.h>

// The first readable of: weights/NAME in the current directory; weights/NAME beside the
// executable's directory (../weights/NAME from build/sentiment); share/movie-sentiment/NAME
// beside it (../share/movie-sentiment/NAME from P/bin/sentiment). Else weights/NAME (so that
// the error names the usual place). Returns buf.
const char *sent_cli_weights_path(const char *name, char *buf, size_t size);

// The model: $SENTIMENT_MODEL when set, else sent_cli_weights_path("sentiment.smf").
const char *sent_cli_default_model(char *buf, size_t size);

#endif
