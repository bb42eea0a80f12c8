/* The command-line spellings of the library's enums, shared by the commands. */
#ifndef BACKPROP_TOOL_NAMES_H
#define BACKPROP_TOOL_NAMES_H

#include "cmdline.h"

extern const name_value activation_names[]; /* bp_activation */
extern const name_value loss_names[];       /* bp_loss */
extern const name_value init_names[];       /* bp_init */
extern const name_value optimizer_names[];  /* bp_optimizer_kind */
extern const name_value schedule_names[];   /* bp_schedule */
extern const name_value kernels_names[];    /* bp_kernels */
extern const name_value inference_names[];  /* bp_inference */

#endif
