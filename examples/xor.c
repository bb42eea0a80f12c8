/* Learns XOR with a 2-4-1 sigmoid network, printing the cost as it falls. */
#include <backprop.h>
#include <stdio.h>

int main(void) {
    const size_t sizes[] = {2, 4, 1}; /* 2 inputs, 4 hidden neurons, 1 output */
    const bp_activation activations[] = {BP_ACT_SIGMOID, BP_ACT_SIGMOID};
    const float inputs[] = {0, 0, 0, 1, 1, 0, 1, 1}; /* one example per row */
    const float targets[] = {0, 1, 1, 0};

    printf("OpenBLAS core: %s\n", bp_blas_core());
    bp_net *net;
    int rc = bp_net_create(&net, 2, sizes, activations, BP_KERNELS_OPENBLAS, 42);
    if (rc == BP_OK)
        rc = bp_net_reserve(net, 4); /* the whole batch of 4 at once */
    for (int step = 0; rc == BP_OK && step <= 3000; step++) {
        float cost;
        rc = bp_net_train_step(net, inputs, targets, 4, 2.0f, &cost);
        if (rc == BP_OK && step % 300 == 0)
            printf("step %4d  cost %.6f\n", step, cost);
    }
    const float *outputs;
    if (rc == BP_OK)
        rc = bp_net_forward(net, inputs, 4, &outputs);
    if (rc != BP_OK) {
        fprintf(stderr, "backprop: %s (%s)\n", bp_strerror(rc), bp_errmsg());
        bp_net_destroy(net);
        return 1;
    }
    for (int i = 0; i < 4; i++)
        printf("%g XOR %g = %.3f\n", inputs[2 * i], inputs[2 * i + 1], outputs[i]);
    bp_net_destroy(net);
    return 0;
}
