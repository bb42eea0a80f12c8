/* The clock, the CPU's name and quantiles: what the bench programs share. */
#ifndef BP_BENCH_SAMPLES_H
#define BP_BENCH_SAMPLES_H

#include <stddef.h>

/* Seconds on the monotonic clock. */
double bench_now(void);

/* The "model name" line of /proc/cpuinfo into out, or "unknown". */
void bench_cpu_model(char *out, size_t size);

/* Sorts values[0 .. n-1] ascending. */
void bench_sort(double *values, size_t n);

/* The p-quantile of sorted[0 .. n-1] (n >= 1), interpolating between neighbours. */
double bench_quantile(const double *sorted, size_t n, double p);

#endif
