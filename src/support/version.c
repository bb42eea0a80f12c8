/* The version of the library actually linked. */
#include "backprop.h"

#define BP_STRINGIFY_(x) #x
#define BP_STRINGIFY(x) BP_STRINGIFY_(x)

unsigned bp_version_number(void) { return BP_VERSION_NUMBER; }

const char *bp_version(void) {
    return BP_STRINGIFY(BP_VERSION_MAJOR) "." BP_STRINGIFY(BP_VERSION_MINOR) "." BP_STRINGIFY(
        BP_VERSION_PATCH);
}
