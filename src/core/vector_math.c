/* Sigmoid and tanh rows on glibc's vector math library (libmvec): its
 * AVX2 expf and tanhf take 8 floats per call, about 6 times the scalar
 * functions' speed here, within the 4 ulp glibc documents for them. Chosen
 * at run time when the CPU has AVX2; elsewhere, and without libmvec, the
 * scalar functions of libm. */
#include "core/vector_math.h"

#include <math.h>

static float sigmoid(float v) {
    /* For very negative v, expf overflows to inf and the result is an exact 0. */
    return 1.0f / (1.0f + expf(-v));
}

#if defined(BP_HAVE_LIBMVEC) && defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <string.h>

/* libmvec's AVX2 entry points, in the x86-64 vector function ABI's names:
 * 'd' = AVX2, N8 = 8 lanes, v = one vector argument. */
__attribute__((target("avx2"))) __m256 _ZGVdN8v_expf(__m256 x);
__attribute__((target("avx2"))) __m256 _ZGVdN8v_tanhf(__m256 x);

__attribute__((target("avx2"))) static __m256 sigmoid8(__m256 v) {
    const __m256 one = _mm256_set1_ps(1.0f);
    /* 1 / (1 + e^-v) */
    return _mm256_div_ps(one,
                         _mm256_add_ps(one, _ZGVdN8v_expf(_mm256_sub_ps(_mm256_setzero_ps(), v))));
}

__attribute__((target("avx2"))) static __m256 tanh8(__m256 v) { return _ZGVdN8v_tanhf(v); }

/* row <- f(row + bias), 8 at a time; the last width % 8 go through a padded
 * vector too, so every element gets the same function. */
#define BIASED_ROW_AVX2(f)                                                                         \
    size_t j = 0;                                                                                  \
    for (; j + 8 <= width; j += 8) {                                                               \
        const __m256 v = _mm256_add_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(bias + j));       \
        _mm256_storeu_ps(row + j, f(v));                                                           \
    }                                                                                              \
    if (j < width) {                                                                               \
        float lanes[8] = {0};                                                                      \
        for (size_t k = 0; j + k < width; k++)                                                     \
            lanes[k] = row[j + k] + bias[j + k];                                                   \
        _mm256_storeu_ps(lanes, f(_mm256_loadu_ps(lanes)));                                        \
        memcpy(row + j, lanes, (width - j) * sizeof *row);                                         \
    }

__attribute__((target("avx2"))) static void
sigmoid_row_avx2(size_t width, const float *restrict bias, float *restrict row) {
    BIASED_ROW_AVX2(sigmoid8)
}

__attribute__((target("avx2"))) static void tanh_row_avx2(size_t width, const float *restrict bias,
                                                          float *restrict row) {
    BIASED_ROW_AVX2(tanh8)
}

static int have_avx2(void) { return __builtin_cpu_supports("avx2"); }
#else
#define sigmoid_row_avx2(width, bias, row) ((void)0)
#define tanh_row_avx2(width, bias, row) ((void)0)
static int have_avx2(void) { return 0; }
#endif

void bp__sigmoid_row(size_t width, const float *restrict bias, float *restrict row) {
    if (have_avx2()) {
        sigmoid_row_avx2(width, bias, row);
        return;
    }
    for (size_t j = 0; j < width; j++)
        row[j] = sigmoid(row[j] + bias[j]);
}

void bp__tanh_row(size_t width, const float *restrict bias, float *restrict row) {
    if (have_avx2()) {
        tanh_row_avx2(width, bias, row);
        return;
    }
    for (size_t j = 0; j < width; j++)
        row[j] = tanhf(row[j] + bias[j]);
}
