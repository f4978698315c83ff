// Command-line options, parsed one way for every command. A command describes its options in a
// table and hands its argv to sent_args_parse, which fills the variables, checks every number
// against its range and every choice against its list, and answers --help / -h itself:
//
//   int batch = 8, offsets = 0;
//   const char *model = NULL;
//   SentArg args[] = {
//       SENT_OPT("--model", SENT_ARG_STRING, &model),
//       SENT_OPT("--batch", SENT_ARG_INT, &batch, .min = 1, .max = 256),
//       SENT_OPT("--offsets", SENT_ARG_FLAG, &offsets),
//   };
//   int status = sent_args_parse("classify", argc - 1, argv + 1, args, SENT_ARGS_COUNT(args), usage);
//   if (status != SENT_ARGS_RUN) return status;
//
// Every option but a flag takes the next argument as its value. On --help the usage goes to
// stdout and the status is 0; an unknown option prints the usage on stderr, a missing or bad
// value a message naming the option, the value and what it needs; both give status 2.
#ifndef SENT_CLI_ARGS_H
#define SENT_CLI_ARGS_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    SENT_ARG_FLAG,     // int *: set to 1
    SENT_ARG_STRING,   // const char **: the argument itself
    SENT_ARG_BUFFER,   // char[size]: a copy of the argument
    SENT_ARG_INT,      // int *: an integer in [min, max] (and in int's range)
    SENT_ARG_U64,      // uint64_t *: any non-negative integer (seeds)
    SENT_ARG_FLOAT,    // float *: a number in [min, max]
    SENT_ARG_DOUBLE,   // double *: a number in [min, max]
    SENT_ARG_CHOICE,   // int *: the index of the argument in choices ("head|head_tail")
} SentArgKind;

typedef struct {
    const char *name;      // "--batch"
    SentArgKind kind;
    void *value;           // where the value goes (see the kinds)
    double min, max;       // numbers: the accepted range, inclusive
    const char *choices;   // SENT_ARG_CHOICE: the accepted words, separated by '|'
    size_t size;           // SENT_ARG_BUFFER: bytes of the buffer
    int *given;            // optional: set to 1 when the option appears
} SentArg;

// One table entry: the option, its kind, where its value goes, then any other fields by name.
#define SENT_OPT(option, type, where, ...) {.name = (option), .kind = (type), .value = (where), __VA_ARGS__}

// A number option whose range is "any non-negative value": the message says just that.
#define SENT_ARGS_NO_LIMIT 1e300
#define SENT_ARGS_COUNT(table) ((int)(sizeof(table) / sizeof((table)[0])))
#define SENT_ARGS_RUN (-1)

// Parses argv[0..argc) (the options after the command's own words) into args[0..n_args).
// Returns SENT_ARGS_RUN when the command should go on, else the exit status it should return.
int sent_args_parse(const char *command, int argc, char **argv, const SentArg *args, int n_args,
                    void (*usage)(FILE *out));

// The index of word in choices ("a|b|c"), or -1.
int sent_args_choice(const char *choices, const char *word);

#endif
