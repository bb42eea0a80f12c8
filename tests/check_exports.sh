#!/bin/sh
# Checks the shared library's dynamic symbols: it exports only bp_* functions,
# carries the SONAME libbackprop.so.0, calls the three BLAS products the
# algorithm is built on, imports nothing that prints, exits or aborts, and
# nothing of MPI (the MPI layer is libbackprop-mpi, the optional second
# argument: it exports only bp_mpi_* under the SONAME libbackprop-mpi.so.0).
set -eu
lib=${1:?usage: check_exports.sh path/to/libbackprop.so [path/to/libbackprop-mpi.so]}
mpi_lib=${2:-}
status=0

exported=$(nm -D --defined-only "$lib" | awk '{print $3}')
unexpected=$(printf '%s\n' "$exported" | grep -v '^bp_' || true)
if [ -n "$unexpected" ]; then
    echo "exported symbols without the bp_ prefix:"; echo "$unexpected"; status=1
fi
# bp__* are internal, shared between the library's files (and the test hook
# of src/support/alloc.h): never exported.
internal=$(printf '%s\n' "$exported" | grep '^bp__' || true)
if [ -n "$internal" ]; then
    echo "internal bp__ symbols exported:"; echo "$internal"; status=1
fi
printf '%s\n' "$exported" | grep -qx 'bp_net_train_step' || {
    echo "bp_net_train_step is not exported"; status=1; }

imported=$(nm -D --undefined-only "$lib" | awk '{print $2}' | sed 's/@.*//')
for needed in cblas_sgemv cblas_sger cblas_sgemm; do
    printf '%s\n' "$imported" | grep -qx "$needed" || { echo "does not import $needed"; status=1; }
done
forbidden=$(printf '%s\n' "$imported" |
    grep -xE 'printf|fprintf|vfprintf|puts|fputs|putchar|perror|fwrite|exit|_exit|abort|__assert_fail' || true)
if [ -n "$forbidden" ]; then
    echo "imports functions a library must not call:"; echo "$forbidden"; status=1
fi

# BLIS (the blis kernel set) is loaded at run time with its symbols kept
# local (src/core/kernels_blis.c): never a link dependency, whose cblas_*
# could take over the openblas set's calls, and no bli_* bound by name.
blis_imports=$(printf '%s\n' "$imported" | grep -E '^bli_' || true)
if [ -n "$blis_imports" ]; then
    echo "libbackprop imports BLIS symbols:"; echo "$blis_imports"; status=1
fi
if readelf -d "$lib" | grep NEEDED | grep -qi blis; then
    echo "libbackprop needs a BLIS library:"; readelf -d "$lib" | grep NEEDED; status=1
fi
needed_blas=$(readelf -d "$lib" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | grep -E 'blas' || true)
[ "$needed_blas" = "libopenblas.so.0" ] || { echo "BLAS libraries needed: '$needed_blas', want libopenblas.so.0 only"; status=1; }

# libbackprop.so.0 stays free of MPI: no MPI symbol, no MPI library needed.
mpi_imports=$(printf '%s\n' "$imported" | grep -E '^(P?MPI_|ompi_|MPIR_|MPID_)' || true)
if [ -n "$mpi_imports" ]; then
    echo "libbackprop imports MPI symbols:"; echo "$mpi_imports"; status=1
fi
if readelf -d "$lib" | grep NEEDED | grep -qi mpi; then
    echo "libbackprop needs an MPI library:"; readelf -d "$lib" | grep NEEDED; status=1
fi

if [ -n "$mpi_lib" ]; then
    mpi_exported=$(nm -D --defined-only "$mpi_lib" | awk '{print $3}')
    stray=$(printf '%s\n' "$mpi_exported" | grep -v '^bp_mpi_' || true)
    [ -z "$stray" ] || { echo "libbackprop-mpi exports more than bp_mpi_*:"; echo "$stray"; status=1; }
    printf '%s\n' "$mpi_exported" | grep -q '^bp_mpi_' || { echo "libbackprop-mpi exports no bp_mpi_* symbol"; status=1; }
    mpi_soname=$(readelf -d "$mpi_lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    [ "$mpi_soname" = "libbackprop-mpi.so.0" ] || { echo "libbackprop-mpi's SONAME is '$mpi_soname'"; status=1; }
fi

soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libbackprop.so.0" ] || { echo "SONAME is '$soname', not libbackprop.so.0"; status=1; }

[ $status -eq 0 ] && echo "exports: $(printf '%s\n' "$exported" | wc -l) bp_* symbols; imports sgemv, sger, sgemm from OpenBLAS alone, no BLIS; SONAME $soname; no MPI${mpi_lib:+; libbackprop-mpi exports only bp_mpi_*}"
exit $status
