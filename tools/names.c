/* The command-line spellings of the library's enums, shared by the commands: the header's BP_*_MAP
 * lists, in their order. */
#include "names.h"

#include <backprop.h>

#define NAME_ROW(value, name, alias) {name, value, alias},

const name_value activation_names[] = {BP_ACTIVATION_MAP(NAME_ROW){NULL, 0, NULL}};
const name_value loss_names[] = {BP_LOSS_MAP(NAME_ROW){NULL, 0, NULL}};
const name_value init_names[] = {BP_INIT_MAP(NAME_ROW){NULL, 0, NULL}};
const name_value optimizer_names[] = {BP_OPTIMIZER_KIND_MAP(NAME_ROW){NULL, 0, NULL}};
const name_value schedule_names[] = {BP_SCHEDULE_MAP(NAME_ROW){NULL, 0, NULL}};
const name_value kernels_names[] = {BP_KERNELS_MAP(NAME_ROW){NULL, 0, NULL}};
const name_value inference_names[] = {BP_INFERENCE_MAP(NAME_ROW){NULL, 0, NULL}};
