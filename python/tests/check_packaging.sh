#!/usr/bin/env bash
# The Python package's three install routes, each checked by importing it
# from another directory with no PYTHONPATH and no BACKPROP_LIBRARY:
#   pip      Debian's pip installs the source tree into a fresh venv
#            (--system-site-packages for Debian's numpy and scikit-learn,
#            --no-build-isolation --no-index: no Python index is reachable);
#   wheel    python3 -m build --no-isolation --wheel makes a wheel, which
#            pip installs into another fresh venv;
#   meson    `meson install` for the prefixes /usr and /usr/local, staged in
#            a DESTDIR: the package must be in a directory the configured
#            interpreter searches (its sys.path and site directories, each
#            under the stage), and its _config.py must name the library under
#            the prefix.
# Usage: check_packaging.sh [pip|wheel|meson]... (default: all three), from
# the source tree's top. PYTHON: the interpreter (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-/usr/bin/python3}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
unset BACKPROP_LIBRARY BACKPROP_MPI_LIBRARY PYTHONPATH
export PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '==> python packaging: %s\n' "$*" >&2; }

# The package as a user imports it: from an unrelated directory, training a
# small model; prints where the package and its library were loaded from.
use_it() {
    (cd "$scratch" && "$1" -W ignore -c '
import backprop, numpy as np
x = np.random.default_rng(0).normal(size=(60, 3)); y = (x[:, 0] > 0).astype(int)
model = backprop.MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=200,
                                random_state=0).fit(x, y)
assert model.score(x, y) > 0.9, model.score(x, y)
print(backprop.__file__, backprop._lib.lib._name)
')
}

# check_loaded OUTPUT ROOT: the package and its library both came from under ROOT.
check_loaded() {
    local file library
    read -r file library <<<"$1"
    case "$file" in "$2"/*) ;; *) echo "backprop was imported from $file, not from $2" >&2; exit 1 ;; esac
    case "$library" in "$2"/*) ;; *) echo "libbackprop was loaded from $library, not from $2" >&2; exit 1 ;; esac
}

check_pip() {
    log "pip install . into a fresh venv"
    "$python" -m venv --system-site-packages "$scratch/venv-pip"
    "$scratch/venv-pip/bin/python" -m pip install -q --no-build-isolation --no-index . \
        >"$scratch/pip.log" 2>&1 || { cat "$scratch/pip.log" >&2; exit 1; }
    local out
    out=$(use_it "$scratch/venv-pip/bin/python")
    check_loaded "$out" "$scratch/venv-pip"
    log "pip: imported and trained ($out)"
}

check_wheel() {
    log "python3 -m build --no-isolation --wheel, then the wheel into a fresh venv"
    "$python" -m build --no-isolation --wheel --outdir "$scratch/dist" . >"$scratch/build.log" 2>&1 ||
        { cat "$scratch/build.log" >&2; exit 1; }
    local wheel
    wheel=$(ls "$scratch"/dist/backprop-*.whl)
    "$python" -m venv --system-site-packages "$scratch/venv-wheel"
    "$scratch/venv-wheel/bin/python" -m pip install -q --no-index "$wheel"
    local out
    out=$(use_it "$scratch/venv-wheel/bin/python")
    check_loaded "$out" "$scratch/venv-wheel"
    log "wheel: $(basename "$wheel") imported and trained ($out)"
}

# The package staged by `meson install --destdir` for PREFIX, imported with
# the configured interpreter's own search path moved under the stage (the
# stage stands for /), nothing else: a package installed where the
# interpreter does not look is not found.
check_meson_prefix() {
    local prefix=$1 dir=$scratch/build-prefix${1//\//-} stage=$scratch/stage${1//\//-}
    meson setup "$dir" --prefix="$prefix" -Dtests=disabled -Dmpi=disabled \
        --native-file=<(printf "[binaries]\npython = '%s'\n" "$python") >"$scratch/setup.log" 2>&1 ||
        { cat "$scratch/setup.log" >&2; exit 1; }
    # The Python files, which need no build (check_install in run.sh installs
    # and runs the whole build).
    meson install -C "$dir" --no-rebuild --tags python-runtime --destdir "$stage" >/dev/null
    (cd "$scratch" && STAGE=$stage "$python" -c '
import importlib.machinery, os, site, sys
stage, prefix = os.environ["STAGE"], sys.argv[1]
# The interpreter as it would run after a real install: its sys.path and
# the site directories it adds once they exist, each under the stage.
site_dirs = site.getsitepackages() if hasattr(site, "getsitepackages") else []
staged = [stage + p for p in sys.path + site_dirs if p.startswith("/")]
spec = importlib.machinery.PathFinder.find_spec("backprop", staged)
if spec is None:
    found = [os.path.join(root, "backprop")[len(stage):] for root, dirs, _ in os.walk(stage)
             if "backprop" in dirs]
    sys.exit(f"{sys.executable} would not find backprop, installed into {found}")
package = os.path.dirname(spec.origin)
config = {}
exec(open(os.path.join(package, "_config.py")).read(), config)
library = config["LIBRARY"]
assert library.startswith(prefix + "/lib") and library.endswith("/libbackprop.so.0"), library
print(f"prefix {prefix}: backprop in {package[len(stage):]}, which {sys.executable} searches; "
      f"library {library}")
' "$prefix")
}

check_meson() {
    log "meson install for the prefixes /usr and /usr/local, staged"
    check_meson_prefix /usr
    check_meson_prefix /usr/local
}

[ $# -gt 0 ] || set -- pip wheel meson
for what in "$@"; do
    case "$what" in
    pip) check_pip ;;
    wheel) check_wheel ;;
    meson) check_meson ;;
    *) echo "usage: $0 [pip|wheel|meson]..." >&2; exit 2 ;;
    esac
done
