"""The NumPy API: gradients against a float64 reference written here, the
zero-copy views, files and bytes, optimizers, errors."""

import pickle

import numpy as np
import pytest

import backprop
from backprop.net import as_float32

LEAKY_SLOPE = 0.01


def activate(name, z):
    if name == "identity":
        return z
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise AssertionError(name)


def backward_through(name, z, a, g):
    """dC/dz from dC/da = g, for the activation `name`."""
    if name == "identity":
        return g
    if name == "sigmoid":
        return g * a * (1.0 - a)
    if name == "tanh":
        return g * (1.0 - a * a)
    if name == "relu":
        return g * (z > 0)
    if name == "leaky_relu":
        return g * np.where(z > 0, 1.0, LEAKY_SLOPE)
    if name == "softmax":  # the Jacobian of softmax, row by row
        return a * (g - np.sum(a * g, axis=1, keepdims=True))
    raise AssertionError(name)


def reference_gradient(weights, biases, activations, loss, x, y):
    """Cost and gradient in float64, by the chain rule written out."""
    a, zs, outs = x, [], [x]
    for w, b, name in zip(weights, biases, activations):
        z = a @ w.T + b
        a = activate(name, z)
        zs.append(z)
        outs.append(a)
    n = x.shape[0]
    if loss == "quadratic":
        cost = np.sum((a - y) ** 2) / n
        delta = backward_through(activations[-1], zs[-1], a, 2.0 * (a - y) / n)
    else:  # cross-entropy on the softmax's logits
        z = zs[-1]
        lse = np.log(np.sum(np.exp(z - z.max(axis=1, keepdims=True)), axis=1,
                            keepdims=True)) + z.max(axis=1, keepdims=True)
        cost = np.sum(y * (lse - z)) / n
        delta = (a * y.sum(axis=1, keepdims=True) - y) / n
    dws, dbs = [None] * len(weights), [None] * len(weights)
    for layer in reversed(range(len(weights))):
        dws[layer] = delta.T @ outs[layer]
        dbs[layer] = delta.sum(axis=0)
        if layer > 0:
            g = delta @ weights[layer]
            delta = backward_through(activations[layer - 1], zs[layer - 1], outs[layer], g)
    return cost, dws, dbs


def random_network(rng):
    depth = int(rng.integers(1, 4))
    sizes = [int(s) for s in rng.integers(1, 9, size=depth + 1)]
    hidden = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
    acts = [hidden[int(rng.integers(len(hidden)))] for _ in range(depth - 1)]
    loss = ["quadratic", "cross_entropy"][int(rng.integers(2))]
    last = "softmax" if loss == "cross_entropy" else hidden[int(rng.integers(len(hidden)))]
    if loss == "quadratic" and sizes[-1] > 1 and rng.random() < 0.3:
        last = "softmax"  # quadratic cost through the softmax Jacobian
    return sizes, acts + [last], loss


@pytest.mark.parametrize("case", range(40))
def test_gradient_matches_a_float64_reference_on_random_networks(case):
    rng = np.random.default_rng(1000 + case)
    sizes, acts, loss = random_network(rng)
    net = backprop.Net(sizes, acts, loss=loss, seed=case)
    n = int(rng.integers(1, 12))
    x = rng.uniform(-1, 1, size=(n, sizes[0])).astype(np.float32)
    if loss == "cross_entropy":
        y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(sizes[-1], size=n)]
    else:
        y = rng.uniform(-1, 1, size=(n, sizes[-1])).astype(np.float32)
    cost = net.gradient(x, y)

    layers = net.layers
    weights = [layer.weights.astype(np.float64) for layer in layers]
    biases = [layer.bias.astype(np.float64) for layer in layers]
    ref_cost, dws, dbs = reference_gradient(weights, biases, acts, loss, x.astype(np.float64),
                                            y.astype(np.float64))
    assert cost == pytest.approx(ref_cost, rel=1e-4, abs=1e-6)
    scale = max(1.0, max(float(np.abs(g).max()) for g in dws + dbs))
    for layer, dw, db in zip(layers, dws, dbs):
        np.testing.assert_allclose(layer.weight_grads, dw, rtol=1e-3, atol=1e-5 * scale)
        np.testing.assert_allclose(layer.bias_grads, db, rtol=1e-3, atol=1e-5 * scale)
    # The flat block holds the same numbers, layer by layer, W then b.
    flat = np.concatenate([np.concatenate([dw.ravel(), db]) for dw, db in zip(dws, dbs)])
    np.testing.assert_allclose(net.grads, flat, rtol=1e-3, atol=1e-5 * scale)


def test_views_share_the_networks_memory_and_outlive_the_object():
    net = backprop.Net([4, 3, 2], ["tanh", "identity"], seed=3)
    params, layers = net.params, net.layers
    assert params.dtype == np.float32 and params.shape == (net.num_params,)
    assert np.shares_memory(params, layers[0].weights)
    assert np.shares_memory(params, layers[1].bias)
    assert layers[0].weights.shape == (3, 4) and layers[1].bias.shape == (2,)
    x = np.ones((1, 4), dtype=np.float32)
    before = net.forward(x)
    layers[1].bias[:] += 1.0  # writing the view changes the network
    # (z + b) + 1 against z + (b + 1): one rounding each, 2 ulps at most.
    np.testing.assert_allclose(net.forward(x), before + 1.0, rtol=1e-6)
    grads = net.grads
    net.gradient(x, np.zeros((1, 2), dtype=np.float32))
    assert np.any(grads != 0)  # the view sees the new gradient
    del net  # the views keep the network alive
    assert np.isfinite(params).all()


def test_float32_c_arrays_pass_without_a_copy_and_others_are_converted():
    x = np.zeros((3, 4), dtype=np.float32)
    assert as_float32(x, "x") is x
    for other in (x.astype(np.float64), x.astype(np.int64), np.asfortranarray(x),
                  np.zeros((3, 8), dtype=np.float32)[:, ::2]):
        converted = as_float32(other, "x")
        assert converted.dtype == np.float32 and converted.flags.c_contiguous
        np.testing.assert_array_equal(converted, other)
    with pytest.raises(TypeError):
        as_float32(np.array([[object()]]), "x")


def test_forward_of_any_batch_equals_row_by_row():
    net = backprop.Net([5, 7, 3], ["relu", "softmax"], loss="cross_entropy", seed=2)
    x = np.random.default_rng(0).normal(size=(300, 5))  # float64: converted once
    out = net.forward(x)
    assert out.shape == (300, 3)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    rows = np.vstack([net.forward(x[i:i + 1]) for i in range(0, 300, 37)])
    # Batch mode: one row runs sgemv, the batch sgemm, which round the sums
    # of 5 and 7 products differently: z differs by at most ~7 ulps of
    # sum |x w|, about 1e-6 of z here, and a softmax output p by p |dz|.
    # rtol 1e-5 is ten times that; invariant mode is bitwise (test_invariant.py).
    np.testing.assert_allclose(rows, out[::37], rtol=1e-5, atol=1e-7)


def test_train_step_and_optimizers_lower_the_cost():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x @ rng.normal(size=(4, 2))).astype(np.float32)
    for kind in ("sgd", "momentum", "nesterov", "adam"):
        net = backprop.Net([4, 8, 2], ["tanh", "identity"], seed=1)
        opt = backprop.Optimizer(net, kind, learning_rate=0.01)
        first = net.cost(x, y)
        for _ in range(100):
            net.gradient(x, y)
            opt.step(net)
        assert net.cost(x, y) < 0.5 * first, kind
        assert opt.steps == 100
    net = backprop.Net([4, 8, 2], ["tanh", "identity"], seed=1)
    first = net.train_step(x, y, 0.01)
    for _ in range(50):
        last = net.train_step(x, y, 0.01)
    assert last < first


def test_save_load_and_bytes_round_trip(tmp_path):
    net = backprop.Net([3, 5, 2], ["sigmoid", "softmax"], loss="cross_entropy", seed=9)
    data = net.to_bytes()
    path = tmp_path / "model.bin"
    net.save(path)
    assert path.read_bytes() == data  # the same bytes as the file
    for other in (backprop.Net.load(path), backprop.Net.from_bytes(data),
                  pickle.loads(pickle.dumps(net))):
        assert other.sizes == [3, 5, 2] and other.loss == "cross_entropy"
        np.testing.assert_array_equal(other.params, net.params)
    opt = backprop.Optimizer(net, "adam")
    net.gradient(np.ones((2, 3)), np.eye(2))
    opt.step(net)
    again = backprop.Optimizer(net, "sgd")
    again.load_bytes(opt.to_bytes())
    assert again.steps == 1 and again.config["kind"] == 3
    opt.save(tmp_path / "opt.bin")
    assert (tmp_path / "opt.bin").read_bytes() == opt.to_bytes()


def test_errors_carry_the_code_name_and_the_librarys_message():
    with pytest.raises(backprop.BackpropError) as info:
        backprop.Net([3, 4, 2], ["softmax", "identity"])
    assert info.value.name == "BP_EINVAL" and info.value.code == -1
    assert "bp_net_create" in info.value.message
    assert isinstance(info.value, ValueError)
    with pytest.raises(backprop.BackpropError) as info:
        backprop.Net.from_bytes(b"not a model")
    assert info.value.name == "BP_EFORMAT" and "<memory>" in info.value.message
    with pytest.raises(OSError) as info:
        backprop.Net.load("/nonexistent/model.bin")
    assert info.value.name == "BP_EIO"
    net = backprop.Net([2, 2], ["identity"])
    with pytest.raises(backprop.BackpropError) as info:
        net.gradient([[np.nan, 0.0]], [[0.0, 0.0]])
    assert info.value.name == "BP_ENONFINITE"
    with pytest.raises(ValueError, match="features"):
        net.forward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="activation"):
        backprop.Net([2, 2], ["swish"])


def test_blas_core_and_version():
    assert isinstance(backprop.blas_core(), str) and backprop.blas_core()
    assert backprop.version().count(".") == 2
    assert backprop.blas_threads() == 1


def test_train_runs_bp_train_on_numpy_arrays():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 4))
    labels = (x[:, 0] > 0).astype(int)
    net = backprop.Net([4, 8, 2], ["tanh", "softmax"], loss="cross_entropy", seed=1)
    opt = backprop.Optimizer(net, "adam", learning_rate=0.01)
    losses = []
    assert backprop.train(net, opt, x, labels=labels, epochs=20, batch_size=16,
                          test=(x, labels), on_epoch=lambda r: losses.append(r) and False)
    assert len(losses) == 20 and losses[-1]["train_loss"] < 0.5 * losses[0]["train_loss"]
    assert losses[-1]["test_accuracy"] > 0.9
    assert opt.steps == 20 * 13
    # A stop asked by the callback is not an error.
    assert backprop.train(net, opt, x, labels=labels, epochs=5,
                          on_epoch=lambda r: True) is False
    # Regression targets, and a bad label.
    again = backprop.Net([4, 3, 1], ["tanh", "identity"], seed=2)
    backprop.train(again, backprop.Optimizer(again, "sgd"), x, targets=x[:, :1], epochs=2)
    with pytest.raises(ValueError):
        backprop.train(net, opt, x, labels=labels + 5, classes=2, epochs=1)


def test_preprocessing_travels_in_the_model_file(tmp_path):
    net = backprop.Net([3, 4, 2], ["tanh", "softmax"], loss="cross_entropy", seed=1)
    assert net.preprocessing is None
    net.set_preprocessing("classification", input_offset=[1, 2, 3], input_scale=[0.5, 1, 2],
                          class_names=["cat", "dog"])
    net.save(tmp_path / "m.bin")
    loaded = backprop.Net.load(tmp_path / "m.bin").preprocessing
    assert loaded["task"] == "classification" and loaded["class_names"] == ["cat", "dog"]
    np.testing.assert_array_equal(loaded["input_scale"], [0.5, 1, 2])
    assert backprop.Net.from_bytes(net.to_bytes()).preprocessing["class_names"] == ["cat", "dog"]
    with pytest.raises(ValueError):
        net.set_preprocessing("classification", class_names=["a", "b", "c"])  # 3 > 2 outputs
    net.set_preprocessing(None)
    assert net.preprocessing is None


def test_blis_kernels_compute_what_openblas_does():
    from backprop import _lib
    if _lib.lib.bp_kernels_available(2) != 1:
        pytest.skip("a build without BLIS")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 6)).astype(np.float32)
    nets = [backprop.Net([6, 9, 3], ["tanh", "identity"], seed=4, kernels=k)
            for k in ("openblas", "blis")]
    outs = [net.forward(x) for net in nets]
    # Two BLAS libraries sum in other orders: float rounding of sums of 6
    # and 9 products of O(1) terms, far under 1e-5.
    np.testing.assert_allclose(outs[0], outs[1], rtol=0, atol=1e-5)
