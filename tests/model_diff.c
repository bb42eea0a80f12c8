/* model_diff A B TOL: whether two saved models have the same shape and
 * parameters within max|a - b| <= TOL * max|a| (exit 0), or not (exit 1;
 * 2 for a file that does not load). Prints the relative difference. */
#include <backprop.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char *argv[]) {
    if (argc != 4) {
        fprintf(stderr, "usage: model_diff A B TOL\n");
        return 2;
    }
    bp_net *a = NULL, *b = NULL;
    if (bp_net_load(&a, argv[1], BP_KERNELS_NAIVE) != BP_OK ||
        bp_net_load(&b, argv[2], BP_KERNELS_NAIVE) != BP_OK) {
        fprintf(stderr, "model_diff: %s\n", bp_errmsg());
        bp_net_destroy(a);
        return 2;
    }
    float *pa, *pb;
    size_t na, nb;
    bp_net_params(a, &pa, &na);
    bp_net_params(b, &pb, &nb);
    int status = 1;
    if (na != nb)
        printf("different shapes: %zu and %zu parameters\n", na, nb);
    else {
        double largest = 0.0, diff = 0.0;
        for (size_t i = 0; i < na; i++) {
            largest = fmax(largest, fabs((double)pa[i]));
            diff = fmax(diff, fabs((double)pa[i] - (double)pb[i]));
        }
        const double relative = largest > 0.0 ? diff / largest : diff;
        printf("max|a - b| / max|a| = %.3g (max|a| %.4g)\n", relative, largest);
        status = relative <= atof(argv[3]) ? 0 : 1;
    }
    bp_net_destroy(a);
    bp_net_destroy(b);
    return status;
}
