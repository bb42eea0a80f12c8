/* The command-line spellings of the library's enums, shared by the commands. */
#include "names.h"

#include <backprop.h>

const name_value activation_names[] = {
    {"relu", BP_ACT_RELU},
    {"leaky-relu", BP_ACT_LEAKY_RELU},
    {"sigmoid", BP_ACT_SIGMOID},
    {"tanh", BP_ACT_TANH},
    {"identity", BP_ACT_IDENTITY},
    {"softmax", BP_ACT_SOFTMAX},
    {NULL, 0},
};

const name_value loss_names[] = {
    {"cross-entropy", BP_LOSS_CROSS_ENTROPY},
    {"quadratic", BP_LOSS_QUADRATIC},
    {NULL, 0},
};

const name_value init_names[] = {
    {"uniform", BP_INIT_UNIFORM},
    {"xavier", BP_INIT_XAVIER},
    {"he", BP_INIT_HE},
    {"orthogonal", BP_INIT_ORTHOGONAL},
    {NULL, 0},
};

const name_value optimizer_names[] = {
    {"sgd", BP_OPT_SGD},
    {"momentum", BP_OPT_MOMENTUM},
    {"nesterov", BP_OPT_NESTEROV},
    {"adam", BP_OPT_ADAM},
    {NULL, 0},
};

const name_value schedule_names[] = {
    {"constant", BP_SCHEDULE_CONSTANT},
    {"step", BP_SCHEDULE_STEP},
    {"cosine", BP_SCHEDULE_COSINE},
    {NULL, 0},
};

const name_value kernels_names[] = {
    {"openblas", BP_KERNELS_OPENBLAS},
    {"naive", BP_KERNELS_NAIVE},
    {"blis", BP_KERNELS_BLIS},
    {NULL, 0},
};

const name_value inference_names[] = {
    {"invariant", BP_INFERENCE_INVARIANT},
    {"batch", BP_INFERENCE_BATCH},
    {NULL, 0},
};
