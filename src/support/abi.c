/* The ABI as built: the public structs' sizes, and the check of their reserved space. */
#include "support/abi.h"

#include "backprop.h"
#include "support/error.h"

size_t bp_struct_size(bp_struct_id which) {
    switch (which) {
    case BP_STRUCT_LAYER:
        return sizeof(bp_layer);
    case BP_STRUCT_GRADIENT_HOOK:
        return sizeof(bp_gradient_hook);
    case BP_STRUCT_OPTIMIZER_CONFIG:
        return sizeof(bp_optimizer_config);
    case BP_STRUCT_DATASET:
        return sizeof(bp_dataset);
    case BP_STRUCT_CSV_OPTIONS:
        return sizeof(bp_csv_options);
    case BP_STRUCT_SCALER:
        return sizeof(bp_scaler);
    case BP_STRUCT_BATCH_REPORT:
        return sizeof(bp_batch_report);
    case BP_STRUCT_EPOCH_REPORT:
        return sizeof(bp_epoch_report);
    case BP_STRUCT_COLLECTIVE:
        return sizeof(bp_collective);
    case BP_STRUCT_TRAIN_OPTIONS:
        return sizeof(bp_train_options);
    case BP_STRUCT_REGRESSION_METRICS:
        return sizeof(bp_regression_metrics);
    case BP_STRUCT_PARALLELISM:
        return sizeof(bp_parallelism);
    case BP_STRUCT_PREPROCESSING:
        return sizeof(bp_preprocessing);
    case BP_STRUCT_SCHEMA:
        return sizeof(bp_schema);
    case BP_STRUCT_PLAN:
        return sizeof(bp_plan);
    }
    return 0;
}

int bp__check_reserved(const uint64_t *reserved, size_t count, const char *what,
                       const char *function) {
    for (size_t i = 0; i < count; i++)
        if (reserved[i] != 0)
            return bp__fail(BP_EINVAL, function,
                            "%s[%zu] is 0x%llx, not 0: that space is reserved for fields of later "
                            "versions than this library (%s); start the struct from its _default "
                            "function or zeroed, and set fields by name",
                            what, i, (unsigned long long)reserved[i], bp_version());
    return BP_OK;
}
