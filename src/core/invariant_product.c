/* The row-invariant product of invariant_product.h: 8-lane partial sums,
 * products and sums rounded separately, one fixed tree to add the lanes. An
 * AVX2 version (tiles of 4 rows x 3 outputs, to reuse each load of W and of
 * A_prev) and portable loops compute the same operations in the same order,
 * so they agree bitwise; which one runs changes only the speed. */
#include "core/invariant_product.h"

#include <string.h>

/* Clang contracts a * b + c within one expression into an FMA where the
 * target has one (-ffp-contract=on): not here, where every product is
 * rounded before it is added. GCC in ISO C mode (c_std=c11) never
 * contracts; the portable loops below also keep the product and the sum in
 * separate statements. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

enum { LANES = 8 };

/* The lanes' sum in the fixed tree: ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)). */
static float lane_sum(const float s[LANES]) {
    float t[4];
    for (int l = 0; l < 4; l++)
        t[l] = s[l] + s[l + 4];
    const float u0 = t[0] + t[2], u1 = t[1] + t[3];
    return u0 + u1;
}

/* z = x . w of length `in`, in the canonical order. */
static float dot_portable(size_t in, const float *x, const float *w) {
    float s[LANES] = {0};
    for (size_t k = 0; k < in; k += LANES) {
        for (int l = 0; l < LANES; l++) {
            /* Past the end: 0 * 0, as the vector code's zero-padded lanes. */
            const bool inside = k + (size_t)l < in;
            const float p = (inside ? x[k + l] : 0.0f) * (inside ? w[k + l] : 0.0f);
            s[l] = s[l] + p;
        }
    }
    return lane_sum(s);
}

void bp__invariant_dense_forward_portable(size_t n, size_t in, size_t out, const float *a_prev,
                                          const float *w, float *z) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < out; j++)
            z[i * out + j] = dot_portable(in, a_prev + i * in, w + j * in);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Loads the `left` (1..8) floats at p, zeros in the lanes past them. */
__attribute__((target("avx2"))) static inline __m256 load_tail(const float *p, size_t left) {
    static const int ones_then_zeros[2 * LANES] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                   0,  0,  0,  0,  0,  0,  0,  0};
    const __m256i mask = _mm256_loadu_si256((const __m256i *)(ones_then_zeros + LANES - left));
    return _mm256_maskload_ps(p, mask);
}

/* lane_sum on a vector: s_l + s_(l+4), then (t0 + t2) and (t1 + t3), then their sum. */
__attribute__((target("avx2"))) static inline float lane_sum_avx2(__m256 s) {
    const __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    const __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));
    return _mm_cvtss_f32(_mm_add_ss(u, _mm_shuffle_ps(u, u, 1)));
}

/* The loops over a tile's rows and columns, unrolled so that its
 * accumulators live in registers. */
#define UNROLL _Pragma("GCC unroll 4")

/* An R x C tile of Z: R rows of A_prev against C rows of W, each element its
 * own accumulator (mul, then add: no FMA, which target "avx2" alone lacks). */
#define DEFINE_TILE(R, C)                                                                          \
    __attribute__((target("avx2"))) static void tile_##R##x##C(                                    \
        size_t in, size_t out, const float *x, const float *w, float *z) {                         \
        __m256 acc[R][C];                                                                          \
        UNROLL for (int r = 0; r < R; r++) UNROLL for (int c = 0; c < C; c++) acc[r][c] =          \
            _mm256_setzero_ps();                                                                   \
        size_t k = 0;                                                                              \
        for (; k + LANES <= in; k += LANES) {                                                      \
            __m256 xv[R];                                                                          \
            UNROLL for (int r = 0; r < R; r++) xv[r] = _mm256_loadu_ps(x + r * in + k);            \
            UNROLL for (int c = 0; c < C; c++) {                                                   \
                const __m256 wv = _mm256_loadu_ps(w + c * in + k);                                 \
                UNROLL for (int r = 0; r < R; r++) acc[r][c] =                                     \
                    _mm256_add_ps(acc[r][c], _mm256_mul_ps(xv[r], wv));                            \
            }                                                                                      \
        }                                                                                          \
        if (k < in) {                                                                              \
            __m256 xv[R];                                                                          \
            UNROLL for (int r = 0; r < R; r++) xv[r] = load_tail(x + r * in + k, in - k);          \
            UNROLL for (int c = 0; c < C; c++) {                                                   \
                const __m256 wv = load_tail(w + c * in + k, in - k);                               \
                UNROLL for (int r = 0; r < R; r++) acc[r][c] =                                     \
                    _mm256_add_ps(acc[r][c], _mm256_mul_ps(xv[r], wv));                            \
            }                                                                                      \
        }                                                                                          \
        UNROLL for (int r = 0; r < R; r++) UNROLL for (int c = 0; c < C; c++) z[r * out + c] =     \
            lane_sum_avx2(acc[r][c]);                                                              \
    }

enum { TILE_ROWS = 4, TILE_COLS = 3 };
DEFINE_TILE(4, 3)
DEFINE_TILE(4, 1)
DEFINE_TILE(1, 3)
DEFINE_TILE(1, 1)

/* Rows of W per block: a block (at most 32 x in floats; 100 KB at in = 784)
 * stays in the L2 cache while every row of A_prev passes over it, instead
 * of W streaming in whole for each tile of rows. Only the speed depends on it. */
enum { BLOCK_COLS = 8 * TILE_COLS };

__attribute__((target("avx2"))) static void
dense_forward_avx2(size_t n, size_t in, size_t out, const float *a_prev, const float *w, float *z) {
    for (size_t j0 = 0; j0 < out; j0 += BLOCK_COLS) {
        const size_t j1 = out - j0 < BLOCK_COLS ? out : j0 + BLOCK_COLS;
        size_t i = 0;
        for (; i + TILE_ROWS <= n; i += TILE_ROWS) {
            const float *x = a_prev + i * in;
            float *zi = z + i * out;
            size_t j = j0;
            for (; j + TILE_COLS <= j1; j += TILE_COLS)
                tile_4x3(in, out, x, w + j * in, zi + j);
            for (; j < j1; j++)
                tile_4x1(in, out, x, w + j * in, zi + j);
        }
        for (; i < n; i++) {
            const float *x = a_prev + i * in;
            float *zi = z + i * out;
            size_t j = j0;
            for (; j + TILE_COLS <= j1; j += TILE_COLS)
                tile_1x3(in, out, x, w + j * in, zi + j);
            for (; j < j1; j++)
                tile_1x1(in, out, x, w + j * in, zi + j);
        }
    }
}

static bool have_avx2(void) { return __builtin_cpu_supports("avx2"); }
#else
#define dense_forward_avx2 bp__invariant_dense_forward_portable
static bool have_avx2(void) { return false; }
#endif

void bp__invariant_dense_forward(size_t n, size_t in, size_t out, const float *a_prev,
                                 const float *w, float *z) {
    if (have_avx2())
        dense_forward_avx2(n, in, out, a_prev, w, z);
    else
        bp__invariant_dense_forward_portable(n, in, out, a_prev, w, z);
}
