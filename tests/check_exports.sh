#!/bin/sh
# Checks the shared library's dynamic symbols: it exports only bp_* functions,
# carries the SONAME libbackprop.so.0, calls the three BLAS products the
# algorithm is built on, and imports nothing that prints, exits or aborts.
set -eu
lib=${1:?usage: check_exports.sh path/to/libbackprop.so}
status=0

exported=$(nm -D --defined-only "$lib" | awk '{print $3}')
unexpected=$(printf '%s\n' "$exported" | grep -v '^bp_' || true)
if [ -n "$unexpected" ]; then
    echo "exported symbols without the bp_ prefix:"; echo "$unexpected"; status=1
fi
# bp__* are internal, shared between the library's files (and the test hook
# of src/alloc.h): never exported.
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

soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libbackprop.so.0" ] || { echo "SONAME is '$soname', not libbackprop.so.0"; status=1; }

[ $status -eq 0 ] && echo "exports: $(printf '%s\n' "$exported" | wc -l) bp_* symbols; imports sgemv, sger, sgemm; SONAME $soname"
exit $status
