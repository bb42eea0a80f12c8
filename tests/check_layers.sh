#!/bin/sh
# The library's folders are layers, from the bottom up: support, core, data,
# train, io (docs/architecture.md, "The layers" and "Source layout"). A file may include
# the headers of its own layer and of those below it, never of one above.
# Usage: check_layers.sh SOURCE_ROOT
set -u
src="$1/src"
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
exit $status
