"""The ctypes mirrors of the library's structs against the library's own
sizes (bp_struct_size): a mirror that differs must stop the import, since
passing it would read or write the wrong bytes."""

import ctypes
import pathlib
import re

import pytest

from backprop import _lib


def test_every_mirror_has_the_size_the_library_reports():
    for which, mirror in _lib.MIRRORS.items():
        assert ctypes.sizeof(mirror) == _lib.lib.bp_struct_size(which), mirror.__name__


def test_a_mirror_without_its_reserved_space_is_refused():
    class ShortLayer(ctypes.Structure):
        _fields_ = [field for field in _lib.Layer._fields_ if field[0] != "reserved"]

    ours, theirs = ctypes.sizeof(ShortLayer), _lib.lib.bp_struct_size(_lib.STRUCT_LAYER)
    assert ours < theirs
    with pytest.raises(_lib.LayoutMismatch,
                       match=f"ShortLayer \\(struct id 1\\) is {ours} bytes here, {theirs} in"):
        _lib.check_layouts(_lib.lib.bp_struct_size, {_lib.STRUCT_LAYER: ShortLayer})


def test_an_id_the_library_does_not_know_is_refused():
    with pytest.raises(_lib.LayoutMismatch, match="unknown id"):
        _lib.check_layouts(_lib.lib.bp_struct_size, {999: _lib.Layer})


def test_the_import_itself_checks():
    """_lib.py with one field of the Layer mirror dropped must fail to import."""
    source = pathlib.Path(_lib.__file__).read_text()
    broken, count = re.subn(r'\("bias_grads", c_float_p\), ', "", source)
    assert count == 1, "the Layer mirror changed: update this test"
    module = {"__name__": "backprop._lib_broken", "__package__": "backprop"}
    # The copy defines its own LayoutMismatch: catch the ImportError it is.
    with pytest.raises(ImportError, match=r"does not match .* Layer \(struct id 1\) is"):
        exec(compile(broken, "_lib_broken.py", "exec"), module)
