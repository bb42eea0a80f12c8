# shellcheck shell=sh
# What the shell tests share: strict mode, a temporary directory removed on
# exit, the check counters and the helpers below. Each test sources it first
# (. "$(dirname "$0")/lib.sh"), then reads its own arguments.
#   dir       the temporary directory; the commands' output goes to $dir/out,
#             $dir/err and $dir/last (both)
#   checks    checks run; failures: checks failed

set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
checks=0

# absolute PATH: PATH made absolute, for a test that changes directory.
absolute() {
    case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac
}

# fail MESSAGE: one failed check: the message, then the last 20 lines of the
# last captured command's stdout and stderr, where there are any.
fail() {
    echo "FAIL: $*"
    for stream in out err; do
        if [ -s "$dir/$stream" ]; then
            echo "  std$stream:"
            tail -n 20 "$dir/$stream" | sed 's/^/    /'
        fi
    done
    failures=$((failures + 1))
}

# capture COMMAND...: counts a check and runs COMMAND, its stdout in
# $dir/out, its stderr in $dir/err, both in $dir/last; its status in got.
capture() {
    checks=$((checks + 1))
    set +e
    "$@" >"$dir/out" 2>"$dir/err"
    got=$?
    set -e
    cat "$dir/out" "$dir/err" >"$dir/last"
}

# expect STATUS PATTERN COMMAND...: the exit status must be STATUS (never a
# crash, 128 or more, unless asked) and the output, stdout and stderr
# together, must match the extended regular expression PATTERN (if not empty).
expect() {
    want=$1 pattern=$2
    shift 2
    capture "$@"
    if [ "$got" -ne "$want" ] || { [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$dir/last"; }; then
        fail "status $got (want $want), /$pattern/: $*"
    fi
    return 0
}

# has PATTERN: the last captured command's output matches it too.
has() {
    expect 0 "$1" cat "$dir/last"
}

# sums FILE...: one line per file, its bytes' checksum or "missing".
sums() {
    for f in "$@"; do
        if [ -e "$f" ]; then echo "$f $(cksum <"$f")"; else echo "$f missing"; fi
    done
}

# finish NAME: the closing line, "NAME: F of N checks failed"; fails when F > 0.
finish() {
    echo "$1: $failures of $checks checks failed"
    [ "$failures" -eq 0 ]
}
