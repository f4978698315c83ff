// One function per `build/sentiment <command>`; each lives in its own cmd_<name>.c.
// argv[0] is the command name; the return value is the process exit status. Every command
// parses its options with args.h, so each answers --help on stdout with exit status 0.
#ifndef SENT_CLI_COMMANDS_H
#define SENT_CLI_COMMANDS_H

int cmd_version(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
// `train <subcommand>`: everything that makes a model. The teacher is `train teacher fit|label`.
#define CMD_TRAIN_SUBCOMMANDS "pretrain|finetune|embed|pack|resume|export|teacher|calibrate|hybrid"
int cmd_teacher(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_hybrid(int argc, char **argv);
int cmd_bench_kernels(int argc, char **argv);

#endif
