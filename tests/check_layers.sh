#!/bin/sh
# The library's folders are layers, from the bottom up: support, core, data,
# train, io (docs/architecture.md,
# "The layers" and "Source layout"). A file may include
# the headers of its own layer and of those below it, never of one above; and,
# since a declaration can be written by hand, a layer's objects may only call
# the library's functions (bp_ and bp__) defined in its own layer or below:
# nm reads what each object of the static library leaves undefined.
# Usage: check_layers.sh SOURCE_ROOT [STATIC_LIBRARY]
set -u
src="$1/src"
archive="${2:-}"
layers="support core data train io"
status=0
below=""
for layer in $layers; do
    allowed="$below $layer"
    for file in "$src/$layer"/*.[ch]; do
        [ -f "$file" ] || { echo "src/$layer/ has no sources"; status=1; continue; }
        for used in $(sed -n 's|^#include "\([a-z_]*\)/.*|\1|p' "$file"); do
            case " $allowed " in
                *" $used "*) ;;
                *) echo "${file#"$1"/} (layer $layer) includes a header of $used/, a layer above it"
                   status=1 ;;
            esac
        done
    done
    below="$allowed"
done
[ -n "$archive" ] || exit $status

# The archive's members are named after their sources: src/core/net.c is
# core_net.c.o. "member symbol" lines: what each defines, what it uses.
defined=$(mktemp) && used=$(mktemp) || exit 1
trap 'rm -f "$defined" "$used"' EXIT
nm -A --defined-only "$archive" | awk '$NF ~ /^bp_/ && $(NF-1) ~ /^[TDBR]$/ {
    n = split($1, part, ":"); print part[n - 1], $NF }' >"$defined" || exit 1
nm -A --undefined-only "$archive" | awk '$NF ~ /^bp_/ {
    n = split($1, part, ":"); print part[n - 1], $NF }' >"$used" || exit 1
[ -s "$defined" ] || { echo "nm found no bp_ symbols defined in $archive"; exit 1; }
rank() { # the layer's place from the bottom, or 0 when it is not a layer
    i=1
    for l in $layers; do
        [ "$l" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo 0
}
while read -r member symbol; do
    user=${member%%_*}
    owner=$(awk -v s="$symbol" '$2 == s { print $1; exit }' "$defined")
    [ -n "$owner" ] || continue # defined outside the library (none should be)
    owner=${owner%%_*}
    if [ "$(rank "$owner")" -gt "$(rank "$user")" ]; then
        echo "$member (layer $user) calls $symbol, defined in $owner/, a layer above it"
        status=1
    fi
done <"$used"
exit $status
