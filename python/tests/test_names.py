"""The package's enum names come from the library (bp_*_name, bp_*_from_name), not a copy."""

import pytest

import backprop
from backprop import net as bpnet
from backprop._lib import NAMED_ENUMS, lib


def test_every_library_name_is_the_packages_and_round_trips():
    for kind in NAMED_ENUMS:
        name_of = getattr(lib, f"bp_{kind}_name")
        table = bpnet._TABLES[kind]
        value = 0
        while name_of(value) is not None:
            library = name_of(value).decode()
            python = library.replace("-", "_")
            assert table[python] == value, (kind, library)
            # Both spellings, the library's and the package's, name the value.
            assert bpnet._choice(kind, library, kind) == value
            assert bpnet._choice(kind, python, kind) == value
            assert bpnet._name(kind, value) == python
            value += 1
        assert value == len(table) > 0, kind


def test_old_spellings_and_unknown_names():
    net = backprop.Net([2, 3, 2], ["leaky_relu", "softmax"], loss="cross_entropy", seed=1)
    assert net.layers[0].activation == "leaky_relu" and net.loss == "cross_entropy"
    net = backprop.Net([2, 3, 1], ["logistic", "identity"], seed=1)
    assert net.layers[0].activation == "sigmoid" and net.loss == "quadratic"
    for bad in ["hinge", "cross_entropy\0x", ""]:
        with pytest.raises(ValueError, match="unknown loss"):
            net.loss = bad


def test_error_names_come_from_the_library():
    assert lib.bp_err_name(-1) == b"BP_EINVAL"
