"""An import that cannot load libbackprop.so.0 says what to do: install,
set BACKPROP_LIBRARY, or build first (naming this source tree's build)."""

import os
import pathlib
import subprocess
import sys

import backprop

PACKAGE_PARENT = str(pathlib.Path(backprop.__file__).parent.parent)

# Imports backprop with every load of a libbackprop failing, as on a machine
# where it is neither installed nor built.
FAILING_IMPORT = """
import ctypes, sys
real = ctypes.CDLL
class NoLibrary(real):
    def __init__(self, name, *args, **kwargs):
        if "libbackprop" in str(name):
            raise OSError(f"{name}: cannot open shared object file")
        real.__init__(self, name, *args, **kwargs)
ctypes.CDLL = NoLibrary
try:
    import backprop
except ImportError as e:
    print(type(e).__name__, e)
    sys.exit(0)
sys.exit("the import did not fail")
"""


def failing_import(tmp_path, **env):
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("BACKPROP_LIBRARY", "PYTHONPATH")}
    environment.update(PYTHONPATH=PACKAGE_PARENT, PYTHONDONTWRITEBYTECODE="1", **env)
    result = subprocess.run([sys.executable, "-c", FAILING_IMPORT], cwd=tmp_path, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def test_the_import_error_says_what_to_do(tmp_path):
    message = failing_import(tmp_path)
    assert message.startswith("LibraryNotFound backprop: cannot load libbackprop.so.0")
    assert "pip install ." in message and "meson install" in message
    assert "set BACKPROP_LIBRARY=/path/to/libbackprop.so.0" in message
    # From the source tree (as here), it names a built library or how to build one.
    assert ("this source tree has one: BACKPROP_LIBRARY=" in message
            or "build the library first: `meson setup build && ninja -C build`" in message)


def test_a_wrong_backprop_library_is_named(tmp_path):
    message = failing_import(tmp_path, BACKPROP_LIBRARY=str(tmp_path / "missing.so"))
    assert f"{tmp_path / 'missing.so'}: no such file" in message
