/* The options train, eval and predict share, parsed, checked and applied in one place. */
#include "common_options.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "cmdline.h"
#include "errors.h"
#include "names.h"

/* "123", "64K", "512M", "2G": bytes, without overflow. */
static bool parse_bytes(const char *text, uint64_t *out) {
    char digits[32];
    const size_t length = strlen(text);
    if (length == 0 || length >= sizeof digits)
        return false;
    memcpy(digits, text, length + 1);
    unsigned shift = 0;
    const char *suffixes = "KMG";
    const char *suffix = strchr(suffixes, digits[length - 1]);
    if (suffix && digits[length - 1] != '\0') {
        shift = 10 * (unsigned)(suffix - suffixes + 1);
        digits[length - 1] = '\0';
    }
    uint64_t value;
    if (!parse_u64(digits, &value) || value > (UINT64_MAX >> shift))
        return false;
    *out = value << shift;
    return true;
}

int take_common_option(const char *command, common_options *o, int option, const char *value) {
    switch (option) {
    case OPT_LABEL_COLUMN:
        o->label_column_given = true;
        if (!*value || strchr(value, ','))
            return usage_error(command,
                               "invalid --label-column '%s' (expected one column: a number from "
                               "0, last, or a header name)",
                               value);
        o->label_column = value;
        break;
    case OPT_BATCH:
        if (!parse_size(value, 1, INT_MAX, &o->batch))
            return bad_range(command, "--batch", value, 1, INT_MAX);
        break;
    case OPT_KERNELS:
        if (!parse_name(kernels_names, value, &o->kernels))
            return bad_name(command, "--kernels", value, kernels_names);
        o->kernels_given = true;
        break;
    case OPT_INFERENCE:
        if (!parse_name(inference_names, value, &o->inference))
            return bad_name(command, "--inference", value, inference_names);
        break;
    case OPT_THREADS:
        if (!parse_int(value, 1, 1024, &o->threads))
            return bad_range(command, "--threads", value, 1, 1024);
        break;
    case OPT_MAX_INPUT_BYTES:
        if (!parse_bytes(value, &o->max_input_bytes) || o->max_input_bytes == 0)
            return usage_error(command,
                               "invalid --max-input-bytes '%s' (expected a number of bytes "
                               "from 1, with K, M or G for 2^10, 2^20 or 2^30)",
                               value);
        break;
    default:
        return usage_error(command, "unhandled option"); /* not reached */
    }
    return EXIT_OK;
}

int check_common_options(const char *command, const common_options *o, bool csv) {
    if (!csv && o->label_column_given)
        return usage_error(command, "--label-column is for CSV data");
    return EXIT_OK;
}

int take_data_option(const char *command, common_options *common, csv_settings *csv, int option,
                     const char *value) {
    if (is_csv_option(option))
        return take_csv_option(command, csv, option, value);
    return take_common_option(command, common, option, value);
}

int check_data_options(const char *command, const common_options *common, const csv_settings *csv,
                       bool csv_data) {
    const int status = check_common_options(command, common, csv_data);
    return status == EXIT_OK ? check_csv_settings(command, csv, csv_data) : status;
}

int check_idx_pair(const char *command, const char *images, const char *labels,
                   const char *images_option, const char *labels_option) {
    if (!images != !labels)
        return usage_error(command, "%s and %s go together", images_option, labels_option);
    return EXIT_OK;
}

int load_model(const common_options *o, const char *path, bp_net **net) {
    if (o->threads > 0 && bp_blas_set_threads(o->threads) != BP_OK)
        return library_error(BP_EINVAL);
    int rc = bp_net_load(net, path, (bp_kernels)o->kernels);
    if (rc == BP_OK && (rc = bp_net_set_inference(*net, (bp_inference)o->inference)) != BP_OK) {
        bp_net_destroy(*net);
        *net = NULL;
    }
    return rc == BP_OK ? EXIT_OK : library_error(rc);
}
