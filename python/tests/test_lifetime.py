"""Lifetime and threads: a view keeps its network alive across a refit and
a close; fit, partial_fit and predict on one estimator from several threads
take turns; close() waits for a running call. Run under AddressSanitizer
too (the meson test python_asan), where a read of freed memory aborts."""

import gc
import threading
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

import backprop
from backprop import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def test_a_view_taken_before_a_refit_keeps_its_network(digits):
    """The issue's reproducer: est.coefs_[0] before fit(), read after it.
    1000 hidden units: the layer (64 x 1000 floats) is large enough for
    malloc to return it to the system when freed, so a dangling view
    crashed rather than read stale numbers."""
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPClassifier(hidden_layer_sizes=(1000,), max_iter=1, random_state=0).fit(X, y)
        W = est.coefs_[0]
        b = est.intercepts_[0]
        before, bias_before = W.copy(), b.copy()
        est.fit(X, y)
        est.fit(X, y)  # a second refit: the first network's memory is long gone if freed
    gc.collect()
    np.testing.assert_array_equal(W, before)
    np.testing.assert_array_equal(b, bias_before)
    assert np.isfinite(W.sum())
    # The view is of the old network; the estimator has a new one.
    assert not np.shares_memory(W, est.coefs_[0])
    W += 1.0  # writing the old network is allowed and changes nothing of the new
    assert est.score(X, y) > 0.5


def test_net_close_keeps_memory_a_view_points_into():
    net = backprop.Net([3, 4, 2], ["tanh", "identity"], seed=1)
    params, layer = net.params, net.layers[0]
    weights_t = layer.weights.T  # a view of a view
    expected = params.copy()
    del layer
    net.close()
    with pytest.raises(ValueError, match="closed"):
        net.forward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="closed"):
        net.num_params
    assert repr(net) == "Net(closed)"
    gc.collect()
    np.testing.assert_array_equal(params, expected)
    assert weights_t.shape == (3, 4) and np.isfinite(weights_t).all()
    assert net._handle is not None  # kept: views alive
    del params, weights_t
    gc.collect()
    assert net._live_views() == 0
    del net  # freed now (by __del__); nothing left to read


def test_net_close_without_views_frees_at_once():
    net = backprop.Net([3, 2], ["identity"], seed=1)
    net.close()
    assert net._handle is None
    net.close()  # twice is fine


def test_close_waits_for_a_running_call():
    """One thread predicts in a loop while another closes: the predictions
    before the close are right, those after raise ValueError, none crashes."""
    net = backprop.Net([64, 256, 10], ["relu", "identity"], seed=2)
    x = np.random.default_rng(0).normal(size=(512, 64)).astype(np.float32)
    expected = net.forward(x)
    outcomes = []

    def predict():
        for _ in range(200):
            try:
                out = net.forward(x)
            except ValueError as e:
                outcomes.append(str(e))
                return
            outcomes.append(bool(np.array_equal(out, expected)))

    thread = threading.Thread(target=predict)
    thread.start()
    while not outcomes:
        pass
    net.close()
    thread.join()
    assert all(o is True for o in outcomes[:-1]), outcomes
    assert outcomes[-1] in (True, "this Net is closed")


def test_fit_from_several_threads_takes_turns(digits):
    """The issue's second reproducer (it crashed 5 runs of 5): four threads
    fitting one estimator, with partial_fit and predict among them."""
    X, y = digits
    est = MLPClassifier(hidden_layer_sizes=(64,), max_iter=3, random_state=0)
    errors = []

    def work(kind):
        try:
            for _ in range(4):
                if kind == "fit":
                    est.fit(X, y)
                elif kind == "partial_fit":
                    est.partial_fit(X, y, classes=np.arange(10))
                else:
                    try:
                        proba = est.predict_proba(X)
                    except (AttributeError, ValueError):  # not fitted yet
                        continue
                    assert proba.shape == (len(X), 10)
                    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        threads = [threading.Thread(target=work, args=(kind,))
                   for kind in ("fit", "fit", "partial_fit", "predict", "fit", "predict")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors, errors
    # Nothing was left half-changed: one more fit is the fit of a fresh
    # estimator (same process, kernel, shapes and plan: the same bits).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
        fresh = MLPClassifier(hidden_layer_sizes=(64,), max_iter=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(est.predict_proba(X), fresh.predict_proba(X))


def test_regressor_fit_and_predict_from_threads(digits):
    X, y = digits
    est = MLPRegressor(hidden_layer_sizes=(32,), max_iter=2, random_state=0).fit(X, y)
    errors = []

    def work(i):
        try:
            for _ in range(3):
                if i % 2:
                    est.fit(X, y)
                else:
                    assert est.predict(X).shape == (len(X),)
        except BaseException as e:
            errors.append(e)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors, errors
