"""The package's enum names come from the library (bp_*_name, bp_*_from_name), not a copy."""

import numpy as np
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


def test_output_names_come_from_the_library():
    assert bpnet.OUTPUTS == {"activations": 0, "logits": 1, "log_proba": 2}
    net = backprop.Net([2, 3, 3], ["relu", "softmax"], loss="cross_entropy", seed=1)
    x = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    logits = net.forward(x, output="logits")
    # Both spellings of the library's "log-proba", and its number, are one output.
    for spelling in ["log_proba", "log-proba", 2]:
        log_proba = net.forward(x, output=spelling)
        np.testing.assert_allclose(np.exp(log_proba).sum(axis=1), 1.0, rtol=1e-6)
        # log softmax(z) = z - logsumexp(z): float32 rounding of values near 1.
        np.testing.assert_allclose(
            log_proba, logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)), atol=1e-6)
    np.testing.assert_array_equal(net.forward(x, output=0), net.forward(x))
    for bad in ["proba", "log_proba\0", 3, -1]:
        with pytest.raises(ValueError, match="unknown output"):
            net.forward(x, output=bad)


def test_error_names_come_from_the_library():
    assert lib.bp_err_name(-1) == b"BP_EINVAL"
