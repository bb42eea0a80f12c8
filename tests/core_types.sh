#!/bin/sh
# Prints, one a line, the OPENBLAS_CORETYPE values this CPU can run, probed
# from the flags of /proc/cpuinfo: each core type's kernels use the
# instructions named beside it, and a core type the CPU lacks is never
# listed (it would die of an illegal instruction). Nothing off x86-64.
#   Prescott SSE3 (pni) | Nehalem SSE4.2 | Sandybridge AVX | Haswell, Zen AVX2 + FMA
#   SkylakeX AVX-512F | Cooperlake AVX-512F + AVX-512 BF16
set -eu
[ "$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ] || exit 0
flags=" $(grep -m 1 '^flags' /proc/cpuinfo | cut -d: -f2) "
has() {
    for flag in "$@"; do
        case "$flags" in *" $flag "*) ;; *) return 1 ;; esac
    done
}
has pni && echo Prescott
has sse4_2 && echo Nehalem
has avx && echo Sandybridge
has avx2 fma && echo Haswell && echo Zen
has avx512f && echo SkylakeX
has avx512f avx512_bf16 && echo Cooperlake
exit 0
