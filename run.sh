#!/usr/bin/env bash
# backprop's one entry point. On a fresh Debian machine:
#   ./run.sh demo    install what is missing, build, train the default network
#                    on Fashion-MNIST and print its test accuracy
#   ./run.sh test    install what is missing, then the whole test suite:
#                    formatting, gcc and clang builds with -Werror, the
#                    Criterion suite on each, and an install check
#   ./run.sh build   install what is missing and build (release) into build/
#   ./run.sh bench [bp-bench options]
#                    install what is missing, build (release), run bp-bench
#                    (default: the standard suite, into build/bench-results.json
#                    and .csv), the same training steps in PyTorch, and the
#                    charts (build/bench-*.png) when gnuplot is there
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the build, the tests and the demo need.
PACKAGES=(
    meson ninja-build pkg-config gcc clang clang-format python3
    libopenblas-dev liblapacke-dev libcriterion-dev zlib1g-dev
    gnuplot-nox dataset-fashion-mnist
)
# Only ./run.sh bench needs these: the PyTorch side of the comparison.
BENCH_PACKAGES=(python3-torch python3-numpy)

log() { printf '==> %s\n' "$*" >&2; }

# install_missing [more packages...]: PACKAGES and these.
install_missing() {
    local missing=() package
    for package in "${PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "run.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    log "installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# configure DIR [meson options...]: set up DIR, or bring an existing one to
# these options, with the compiler in $CC (default: Meson's choice). A
# directory set up with another compiler is made anew.
configure() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ] && [ -n "${CC:-}" ] && [ "$(compiler_of "$dir")" != "$CC" ]; then
        rm -rf "$dir"
    fi
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

# The C compiler a build directory was set up with ("gcc", "clang"), read
# from its compile rule (Meson 1.0 has no introspection of compilers).
compiler_of() {
    awk '/^rule c_COMPILER$/ { getline; print $3; exit }' "$1/build.ninja" | xargs basename
}

build_release() {
    configure build --buildtype=release -Dtests=disabled
    ninja -C build >/dev/null
}

check_format() {
    log "clang-format check"
    find include src tests examples tools bench -name '*.[ch]' -print0 |
        xargs -0 clang-format --dry-run --Werror
}

# test_with COMPILER DIR: warning-free build with COMPILER, then the suite.
test_with() {
    local compiler=$1 dir=$2
    log "$compiler: build with warning_level=3 -Werror, then the test suite"
    CC=$compiler configure "$dir" --buildtype=debugoptimized -Dwerror=true -Dtests=enabled
    ninja -C "$dir" >/dev/null
    meson test -C "$dir" --print-errorlogs
}

# Installs into a scratch directory and builds the README's example from it
# with pkg-config, as a program outside the tree would.
check_install() {
    log "install check: meson install, pkg-config, the README example"
    local stage
    stage=$(mktemp -d)
    trap 'rm -rf "$stage"' RETURN
    meson install -C build-test-gcc --destdir "$stage" >/dev/null
    local pcdir
    pcdir=$(dirname "$(find "$stage" -name backprop.pc | head -n 1)")
    awk '/^```c$/ {on = 1; next} /^```$/ {on = 0} on' README.md >"$stage/example.c"
    diff -u examples/xor.c "$stage/example.c" ||
        { echo "README.md's example differs from examples/xor.c" >&2; exit 1; }
    # pkg-config prefixes the staged sysroot to -I and -L paths.
    local flags
    flags=$(PKG_CONFIG_SYSROOT_DIR="$stage" PKG_CONFIG_PATH="$pcdir" \
        pkg-config --cflags --libs backprop)
    # shellcheck disable=SC2086 # flags are words
    cc -std=c11 -Wall -Wextra -Werror "$stage/example.c" $flags -o "$stage/example"
    local libdir=${flags##*-L}
    LD_LIBRARY_PATH=${libdir%% *} "$stage/example" >"$stage/output"
    grep -q '1 XOR 1' "$stage/output" || { echo "README example printed:"; cat "$stage/output"; exit 1; }
    log "README example built with pkg-config and ran"
}

# run_bench [bp-bench options]: bp-bench on the release build, writing JSON
# and CSV (to build/bench-results.* unless the options name other files),
# then the same training steps in PyTorch from that JSON, then the charts.
run_bench() {
    local json=build/bench-results.json csv=build/bench-results.csv arg previous=""
    for arg in "$@"; do
        case "$previous|$arg" in
        *"|--help" | *"|-h") ./build/bench/bp-bench --help; return ;;
        "--json|"*) json=$arg ;;
        "--csv|"*) csv=$arg ;;
        *"|--json="*) json=${arg#--json=} ;;
        *"|--csv="*) csv=${arg#--csv=} ;;
        esac
        previous=$arg
    done
    log "bench: bp-bench ${*:-(the standard suite)}"
    # The caller's --json and --csv come later and win.
    ./build/bench/bp-bench --json "$json" --csv "$csv" "$@"
    log "bench: the same training steps in PyTorch"
    # Debian's python3-torch imports only under the system python.
    /usr/bin/python3 bench/compare_pytorch.py --json "$json"
    if command -v gnuplot >/dev/null; then
        log "bench: charts"
        python3 bench/plot.py "$json" "$(dirname "$json")"
    fi
}

# Meson's per-test results, totalled into one closing line.
summarize() {
    python3 - "$@" <<'PY'
import json, sys
passed = failed = 0
for log in sys.argv[1:]:
    for line in open(log):
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL", "SKIP"):
            passed += result != "SKIP"
        else:
            failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
}

command=${1:-}
case "$command" in
demo)
    install_missing
    build_release
    log "demo: backprop train, the default recipe on Fashion-MNIST"
    ./build/tools/backprop train
    ;;
test)
    install_missing
    check_format
    test_with gcc build-test-gcc
    test_with clang build-test-clang
    check_install
    summarize build-test-gcc/meson-logs/testlog.json build-test-clang/meson-logs/testlog.json
    ;;
build)
    install_missing
    build_release
    log "built into build/"
    ;;
bench)
    shift
    install_missing "${BENCH_PACKAGES[@]}"
    build_release
    run_bench "$@"
    ;;
*)
    echo "usage: ./run.sh demo|test|build|bench [bp-bench options]" >&2
    exit 2
    ;;
esac
