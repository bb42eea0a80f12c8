/* The backprop program's commands; each returns the program's exit status. */
#ifndef BACKPROP_TOOL_COMMANDS_H
#define BACKPROP_TOOL_COMMANDS_H

/* argv[0] is the command's name; options and operands follow. */
int train_command(int argc, char *argv[]);
int eval_command(int argc, char *argv[]);
int info_command(int argc, char *argv[]);
int predict_command(int argc, char *argv[]);

/* Prints the command's --help to stdout. */
void train_help(void);
void eval_help(void);
void info_help(void);
void predict_help(void);

/* train's default batch size. eval uses it too: evaluating in the same
 * batches as train's test evaluation repeats its figures to the last bit. */
enum { DEFAULT_BATCH = 32 };

#endif
