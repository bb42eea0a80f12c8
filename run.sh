#!/usr/bin/env bash
# backprop's one entry point. On a fresh Debian machine:
#   ./run.sh demo    install what is missing, build, train the default network
#                    on Fashion-MNIST and print its test accuracy
#   ./run.sh test    install what is missing, then the whole test suite:
#                    formatting, gcc and clang builds with -Werror, the
#                    Criterion suite on each and on a clang build with
#                    AddressSanitizer and UBSan, the worker threads under
#                    ThreadSanitizer, the Python package's pytest suite
#                    (scikit-learn's checks; on the ASan build too), the
#                    numerically sensitive tests again under every
#                    OPENBLAS_CORETYPE the CPU runs, an install check, and
#                    the Python package's install routes (pip into a venv,
#                    a wheel, meson install's directory)
#   ./run.sh valgrind
#                    install what is missing and valgrind, build (gcc) into
#                    build-valgrind/, run the suite under memcheck: no
#                    errors, no leaks
#   ./run.sh tsan    install what is missing, build (gcc, ThreadSanitizer) into
#                    build-tsan/ and run the worker-thread tests under it
#                    (also a stage of ./run.sh test)
#   ./run.sh build   install what is missing and build (release) into build/
#   ./run.sh bench [bp-bench options]
#                    install what is missing, build (release), run bp-bench
#                    (default: the standard suite, into build/bench-results.json
#                    and .csv), the same training steps in PyTorch, the CLI
#                    against scikit-learn on its tabular data sets, with MPI
#                    bp_mpi_train on 1 and 2 ranks against PyTorch DDP, and the
#                    charts (build/bench-*.png) when gnuplot is there
#   ./run.sh fuzz [SECONDS]
#                    install what is missing, build the libFuzzer targets
#                    (clang, AddressSanitizer, UBSan) into build-fuzz/ and run
#                    each for SECONDS (default 60); crashes go to
#                    build-fuzz/artifacts/ and make it fail
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the build, the tests and the demo need. BLIS (libblis-dev,
# and its serial build for one-thread calls) gives the blis kernel set and
# the plans that time it; without it the library builds and runs on OpenBLAS.
PACKAGES=(
    meson ninja-build pkg-config gcc clang clang-format python3
    libopenblas-dev liblapacke-dev libcriterion-dev zlib1g-dev
    libblis-dev libblis4-serial
    gnuplot-nox dataset-fashion-mnist
)
# Only ./run.sh bench needs these: the PyTorch, FANN, oneDNN and scikit-learn sides of
# the comparisons.
BENCH_PACKAGES=(python3-torch python3-numpy libfann-dev libdnnl-dev python3-sklearn)
# Open MPI, for libbackprop-mpi and mpirun backprop train: ./run.sh test and
# bench install it (demo and build do without: the build finds MPI or not).
MPI_PACKAGES=(libopenmpi-dev openmpi-bin)
# The Python package's tests (./run.sh test): numpy, scikit-learn and its
# conformance suite (which checks pandas input when pandas is there), pytest,
# threadpoolctl (blas_threads); its install routes: venv and pip, meson-python
# and build (pip install ., the wheel), patchelf (which meson-python asks
# python3 -m build for).
PYTHON_TEST_PACKAGES=(python3-numpy python3-sklearn python3-pandas python3-pytest
    python3-threadpoolctl python3-venv python3-pip python3-mesonpy python3-build patchelf)

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
# directory set up with another compiler is made anew. An existing one is
# set up again (--reconfigure), so that optional dependencies installed
# since (MPI, FANN, oneDNN) are found.
configure() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ] && [ -n "${CC:-}" ] && [ "$(compiler_of "$dir")" != "$CC" ]; then
        rm -rf "$dir"
    fi
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
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
    find include src tests examples cmdline tools bench fuzz -name '*.[ch]' -print0 |
        xargs -0 clang-format --dry-run --Werror
}

# test_with COMPILER DIR [meson options...]: warning-free build with
# COMPILER (and the options), then the suite.
test_with() {
    local compiler=$1 dir=$2
    shift 2
    log "$compiler${*:+ $*}: build with warning_level=3 -Werror, then the test suite"
    CC=$compiler configure "$dir" --buildtype=debugoptimized -Dwerror=true -Dtests=enabled "$@"
    ninja -C "$dir" >/dev/null
    meson test -C "$dir" --print-errorlogs
}

# The suite under AddressSanitizer (with its leak checker) and UBSan. Any
# report aborts the process, so the test fails; Criterion's forked test
# processes included. tests/meson.build appends allocator_may_return_null=1.
# b_lundef=false: clang links the sanitizer runtimes into the executables,
# so the shared library leaves their symbols undefined. -Dblis=disabled:
# LeakSanitizer's tracer dies of SIGSEGV at exit in a process that has
# dlopened BLIS and its libgomp ("Tracer caught signal 11"); and so the
# suite also runs once as a build without BLIS (BP_ENOTSUP), as promised.
test_sanitized() {
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
        UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
        test_with clang build-test-asan -Db_sanitize=address,undefined -Db_lundef=false \
        -Dblis=disabled
}

# The worker threads under ThreadSanitizer, on a gcc build in build-tsan/.
# Criterion's runner cannot start under TSan (design.md section 4), so this
# runs the plain pthread test program: the pool's gradient, sum and step at
# 1 to 4 workers, bitwise repeatability of a fixed count, the NaN guard,
# a callback that stops training, the hook. It keeps OpenBLAS on one
# thread, whose own hand-offs TSan cannot see (OpenBLAS is not built for it).
run_tsan() {
    log "tsan: gcc build with ThreadSanitizer into build-tsan/, then the worker tests"
    CC=gcc configure build-tsan --buildtype=debugoptimized -Dtests=enabled -Dmpi=disabled \
        -Db_sanitize=thread -Db_lundef=false
    ninja -C build-tsan tests/test_workers >/dev/null
    TSAN_OPTIONS=halt_on_error=1:abort_on_error=1:second_deadlock_stack=1 \
        ./build-tsan/tests/test_workers
}

# The suite under valgrind's memcheck, on a gcc build in build-valgrind/:
# every test program, the processes Criterion starts for its tests, and the
# programs the shell-script tests start (system programs skipped). Each
# process writes its reports (an invalid access, a use of uninitialised
# memory, a definite or indirect leak) to its own log, and exits with 97.
# The logs decide: Criterion ignores the exit status of a test's process
# once the test has reported success, so a leak found at its exit would
# pass. tests/valgrind.supp: only what is provably not ours. test_no_alloc
# is left out: it counts allocations with its own malloc, which valgrind's
# replaces; so are the MPI tests, where memcheck reports Open MPI's own
# shared-memory transport (bp_train's collective path is covered without
# MPI by test_collective), and the Python package's suite (python): the
# interpreter is not ours.
run_valgrind() {
    log "valgrind: gcc build into build-valgrind/, then the test suite under memcheck"
    CC=gcc configure build-valgrind --buildtype=debugoptimized -Dtests=enabled
    ninja -C build-valgrind >/dev/null
    local tests logs=$PWD/build-valgrind/valgrind-logs
    tests=$(meson test -C build-valgrind --list 2>/dev/null | sed -n 's|^backprop[^ ]* / ||p' |
        grep -vxE 'no_alloc|mpi|mpi_api|python')
    rm -rf "$logs"
    mkdir -p "$logs"
    local wrap=(
        valgrind --quiet --error-exitcode=97 --leak-check=full
        "--errors-for-leak-kinds=definite,indirect" "--show-leak-kinds=definite,indirect"
        --trace-children=yes
        "--trace-children-skip=/bin/*,/usr/bin/*,/usr/sbin/*,/sbin/*"
        "--suppressions=$PWD/tests/valgrind.supp"
        "--log-file=$logs/%p.log"
    )
    local start=$SECONDS status=0
    # shellcheck disable=SC2086 # tests are words
    meson test -C build-valgrind --print-errorlogs --timeout-multiplier=20 \
        --wrap="$(printf '%q ' "${wrap[@]}")" $tests || status=$?
    local reports
    # A clean process leaves an empty line; a report's lines start "==PID==".
    reports=$(grep -l '^==[0-9]*==' "$logs"/*.log | sort || true)
    if [ -n "$reports" ]; then
        # shellcheck disable=SC2086 # file names without blanks
        head -n 60 $reports >&2
        echo "valgrind: reports in $(printf '%s\n' "$reports" | wc -l) processes (build-valgrind/valgrind-logs/)" >&2
        status=1
    fi
    [ "$status" -eq 0 ] || exit "$status"
    log "valgrind: clean, $((SECONDS - start)) s"
}

# The numerically sensitive tests again, on the gcc build, under each
# OPENBLAS_CORETYPE this CPU can run (tests/core_types.sh probes
# /proc/cpuinfo: Prescott, Nehalem, Sandybridge, Haswell and Zen on any AVX2
# CPU; SkylakeX with AVX-512F; Cooperlake with AVX-512F and BF16; never one
# the CPU lacks). OpenBLAS picks its kernels, and so the last bits of every
# product, by core type: a test that holds on one core type only is a
# test of that machine. The subset is meson's suite "core_types" (see
# tests/meson.build): the C tests of gradients against the double reference,
# kernels, batches, softmax, evaluation, the training loop, determinism,
# threads, workers, the collective and invariant prediction; the Python
# suite with scikit-learn's check_estimator and parametrize_with_checks; the
# CLI's train/eval agreement (cli, cli_data), its results by value
# (cli_values) and its invariance (cli_invariant);
# MPI against one process. Left out, as they do no arithmetic OpenBLAS's
# kernel changes: the loaders, files, bad arguments, signals, exports, ABI.
# 30 to 40 s per core type on 2 idle cores, 42 to 64 s with the machine
# shared (load 6): the stage adds 4 to 7 minutes for 7 core types, and the
# whole run took 14.4 minutes shared, well under 25.
run_core_types() {
    local core cores name status=0 start
    cores=$(tests/core_types.sh)
    rm -f build-test-gcc/meson-logs/core-*.json
    [ -n "$cores" ] || { log "core types: none to probe on $(uname -m)"; return 0; }
    for core in $cores; do
        start=$SECONDS
        # What OpenBLAS made of it, from the library itself.
        name=$(OPENBLAS_CORETYPE=$core BACKPROP_LIBRARY=build-test-gcc/src/libbackprop.so.0 \
            PYTHONPATH=python PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -c \
            'import backprop; print(backprop.blas_core())')
        OPENBLAS_CORETYPE=$core meson test -C build-test-gcc --no-rebuild --suite core_types \
            --print-errorlogs --logbase "core-$core" >"build-test-gcc/meson-logs/core-$core.out" 2>&1 ||
            status=1
        log "core type $core (OpenBLAS core $name): $(summarize "build-test-gcc/meson-logs/core-$core.json" || true), $((SECONDS - start)) s"
    done
    if [ "$status" -ne 0 ]; then
        grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT)' build-test-gcc/meson-logs/core-*.out >&2 || true
        echo "run.sh: tests failed under some core types; logs in build-test-gcc/meson-logs/core-*.out" >&2
        exit 1
    fi
}

# Installs into a scratch directory and builds the README's example from it
# with pkg-config, as a program outside the tree would.
check_install() {
    log "install check: meson install, pkg-config, the README example, the docs' links"
    local stage
    stage=$(mktemp -d)
    trap 'rm -rf "$stage"' RETURN
    meson install -C build-test-gcc --destdir "$stage" >/dev/null
    local pcdir
    pcdir=$(dirname "$(find "$stage" -name backprop.pc | head -n 1)")
    awk '/^```c$/ {on = 1; next} /^```$/ {on = 0} on' README.md >"$stage/example.c"
    diff -u examples/xor.c "$stage/example.c" ||
        { echo "README.md's example differs from examples/xor.c" >&2; exit 1; }
    # Every relative link of the documentation leads to a file, and every
    # #anchor to a heading of its page (GitHub's slugs).
    /usr/bin/python3 tests/check_links.py README.md docs/*.md bench/README.md ||
        { echo "run.sh: broken links in the documentation" >&2; exit 1; }
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
    # The Python package, installed for the system Python: found without
    # PYTHONPATH, by that Python's own search path moved under the stage
    # (a package in a directory it does not search is not found), and run
    # against the staged library its _config.py names.
    (cd "$stage" && STAGE=$stage PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -W ignore -c '
import importlib.machinery, os, site, sys
stage = os.environ["STAGE"]
searched = [stage + p for p in sys.path + site.getsitepackages() if p.startswith("/")]
spec = importlib.machinery.PathFinder.find_spec("backprop", searched)
assert spec is not None, "/usr/bin/python3 would not find the installed package"
config = {}
exec(open(os.path.join(os.path.dirname(spec.origin), "_config.py")).read(), config)
library = stage + config["LIBRARY"]  # the library _config.py names, staged
assert os.path.exists(library), library
os.environ["BACKPROP_LIBRARY"] = library
sys.path[:0] = searched
import backprop, numpy as np
assert backprop.__file__ == spec.origin, backprop.__file__
x = np.random.default_rng(0).normal(size=(60, 3)); y = (x[:, 0] > 0).astype(int)
model = backprop.MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=200,
                                random_state=0).fit(x, y)
assert model.score(x, y) > 0.9, model.score(x, y)
') || { echo "the installed Python package does not work" >&2; exit 1; }
    log "the installed Python package imported and trained"
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
    log "bench: the same training steps in PyTorch, and FANN per example"
    # fann-bench is built only when libfann-dev is there; without it the
    # script says FANN was skipped.
    local fann=()
    if [ -x build/bench/fann-bench ]; then
        fann=(--fann build/bench/fann-bench)
    fi
    # Debian's python3-torch imports only under the system python.
    # Alternating rounds of bp-bench and PyTorch per configuration: ratios
    # measured side by side, whatever the machine's drift.
    local onednn=()
    if [ -x build/bench/onednn-step ]; then
        onednn=(--onednn build/bench/onednn-step)
    fi
    /usr/bin/python3 bench/compare_pytorch.py --json "$json" --bp-bench ./build/bench/bp-bench \
        --rounds 5 "${fann[@]}" "${onednn[@]}"
    # The plans: every fixed set-up of both BLAS libraries, the timed plan
    # (--plan auto), and oneDNN's best, per configuration, in alternating rounds.
    log "bench: plans (openblas, blis x workers x threads; auto) against oneDNN"
    /usr/bin/python3 bench/compare_plans.py --bp-bench ./build/bench/bp-bench "${onednn[@]}" \
        --rounds 3 --onednn-isa avx2,all
    # The default recipe under the timed plan against one worker on one
    # thread, seeds 1-3: the plan must never lose to one core.
    log "bench: the default Fashion-MNIST recipe, --plan auto against --workers 1 --threads 1"
    /usr/bin/python3 bench/compare_recipe.py --backprop ./build/tools/backprop --seeds 1,2,3
    # The CLI with its defaults against scikit-learn's MLPs on its bundled
    # tabular data sets: accuracy or R^2, and training time.
    log "bench: backprop train against scikit-learn on digits, breast cancer, wine, diabetes"
    /usr/bin/python3 bench/compare_sklearn.py --backprop ./build/tools/backprop --rounds 3
    # The Python estimators (python/) against scikit-learn's, and their fit()
    # against the CLI's training time on Fashion-MNIST.
    log "bench: backprop.MLPClassifier/MLPRegressor against scikit-learn, and against the CLI"
    PYTHONPATH=python BACKPROP_LIBRARY=build/src/libbackprop.so.0 PYTHONDONTWRITEBYTECODE=1 \
        /usr/bin/python3 bench/compare_sklearn_python.py --cli ./build/tools/backprop
    # libbackprop-mpi on 1 and 2 ranks against PyTorch DDP, and the
    # Fashion-MNIST epoch alone and on 2 ranks; only when MPI was found.
    if [ -x build/bench/bp-bench-mpi ] && command -v mpirun >/dev/null; then
        log "bench: bp_mpi_train on 1 and 2 ranks against PyTorch DDP"
        local rounds=(--rounds 5 --mnist-rounds 2)
        case " $* " in *" --quick "*) rounds=(--rounds 1 --mnist-rounds 1) ;; esac
        /usr/bin/python3 bench/compare_ddp.py --bench-mpi ./build/bench/bp-bench-mpi \
            --backprop ./build/tools/backprop "${rounds[@]}" \
            --json "$(dirname "$json")/compare-ddp.json"
    fi
    if command -v gnuplot >/dev/null; then
        log "bench: charts"
        python3 bench/plot.py "$json" "$(dirname "$json")"
    fi
}

# The loaders' fuzz targets (fuzz/), in the order they run.
FUZZ_TARGETS=(model optimizer idx csv)

# run_fuzz SECONDS: each fuzz target for SECONDS, one at a time, on a working
# copy of its seed corpus in build-fuzz/corpus/ (fuzz/corpus/ is never
# written; the copy grows from run to run). Fails if any input crashed a
# target: the input is in build-fuzz/artifacts/, to be added to
# fuzz/regressions/<target>/ once fixed.
run_fuzz() {
    local seconds=$1 target failed=()
    CC=clang configure build-fuzz --buildtype=debugoptimized -Dfuzz=true -Dtests=disabled
    ninja -C build-fuzz "${FUZZ_TARGETS[@]/#/fuzz/fuzz_}" >/dev/null
    mkdir -p build-fuzz/artifacts
    for target in "${FUZZ_TARGETS[@]}"; do
        local work=build-fuzz/corpus/$target output=build-fuzz/fuzz-$target.log
        mkdir -p "$work"
        cp "fuzz/corpus/$target"/* "$work"/ # the seeds themselves; found inputs stay
        log "fuzz: $target for ${seconds}s (log: $output)"
        # One OpenBLAS thread: the loaders do no products, and fewer threads
        # leave the cores to the fuzzer. -rss_limit_mb also caps single
        # allocations: a header that makes the library ask for gigabytes is
        # a crash.
        if ! OPENBLAS_NUM_THREADS=1 "build-fuzz/fuzz/fuzz_$target" -max_total_time="$seconds" \
            -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="build-fuzz/artifacts/$target-" "$work" >"$output" 2>&1; then
            failed+=("$target")
            grep -m 1 -E 'ERROR|check failed|runtime error' "$output" >&2 || tail -n 5 "$output" >&2
        fi
        # libFuzzer's closing status line and final stats: executions, coverage, corpus.
        grep -E '^#[0-9]+[[:space:]]+DONE' "$output" | tail -n 1 >&2 || true
        grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$output" >&2 || true
    done
    if [ ${#failed[@]} -gt 0 ]; then
        echo "run.sh: fuzz: crashes in ${failed[*]}; inputs in build-fuzz/artifacts/" >&2
        exit 1
    fi
    log "fuzz: no crashes"
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
    install_missing "${MPI_PACKAGES[@]}" "${PYTHON_TEST_PACKAGES[@]}"
    check_format
    test_with gcc build-test-gcc
    test_with clang build-test-clang
    test_sanitized
    run_tsan
    run_core_types
    check_install
    python/tests/check_packaging.sh
    shopt -s nullglob # no core type logs off x86-64
    core_logs=(build-test-gcc/meson-logs/core-*.json)
    shopt -u nullglob
    summarize build-test-{gcc,clang,asan}/meson-logs/testlog.json "${core_logs[@]}"
    ;;
build)
    install_missing
    build_release
    log "built into build/"
    ;;
valgrind)
    install_missing valgrind
    run_valgrind
    ;;
tsan)
    install_missing
    run_tsan
    ;;
bench)
    shift
    install_missing "${BENCH_PACKAGES[@]}" "${MPI_PACKAGES[@]}"
    build_release
    run_bench "$@"
    ;;
fuzz)
    seconds=${2:-60}
    [[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: ./run.sh fuzz [SECONDS]" >&2; exit 2; }
    # The libFuzzer runtime comes with clang's runtime libraries.
    install_missing libclang-rt-14-dev
    run_fuzz "$seconds"
    ;;
*)
    echo "usage: ./run.sh demo|test|valgrind|tsan|build|bench [bp-bench options]|fuzz [SECONDS]" >&2
    exit 2
    ;;
esac
