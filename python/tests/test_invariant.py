"""Predictions that do not depend on the batch: each sample's outputs are the
same bits alone, in batches of every size from 2 to 300, and in reverse
order, for both estimators (predict, predict_proba, and so score) and for
Net.forward in "invariant" mode. Bitwise is the claim itself: the library
computes each row in one fixed order (BP_INFERENCE_INVARIANT)."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, make_classification
from sklearn.preprocessing import StandardScaler

from backprop import MLPClassifier, MLPRegressor, Net

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROWS = 300


def _batches(method, X, size):
    return np.concatenate([method(X[first:first + size]) for first in range(0, len(X), size)])


def _assert_invariant(method, X):
    alone = np.concatenate([method(X[i:i + 1]) for i in range(len(X))])
    for size in range(2, len(X) + 1):
        got = _batches(method, X, size)
        same = (got == alone).reshape(len(X), -1).all(axis=1)
        assert same.all(), (f"batches of {size}: rows {np.flatnonzero(~same)[:5]} differ from "
                            f"the rows alone")
    reversed_ = method(X[::-1])[::-1]
    assert np.array_equal(reversed_, alone), "reverse order differs from the rows alone"
    return alone


def test_classifier_predictions_do_not_depend_on_the_batch():
    X, y = make_classification(n_samples=ROWS, n_features=13, n_informative=6, n_classes=4,
                               random_state=0)
    model = MLPClassifier(hidden_layer_sizes=(37, 11), max_iter=20, random_state=0).fit(X, y)
    proba = _assert_invariant(model.predict_proba, X)
    labels = _assert_invariant(model.predict, X)
    assert np.array_equal(labels, model.classes_[proba.argmax(axis=1)])
    # score predicts the whole set at once: the accuracy of the rows alone.
    assert model.score(X, y) == np.mean(labels == y)


def test_regressor_predictions_do_not_depend_on_the_batch():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:ROWS]
    # diabetes-scale targets (25 to 346), where the batch path differed by 6e-5
    y = np.column_stack([y[:ROWS], y[:ROWS] / 7.0])
    model = MLPRegressor(hidden_layer_sizes=(64,), max_iter=30, random_state=0).fit(X, y)
    _assert_invariant(model.predict, X)


def test_net_forward_invariant_mode_and_the_mode_kept():
    net = Net([20, 33, 5], ["tanh", "softmax"], seed=3)
    net.reserve(ROWS)
    assert net.inference == "batch"
    X = np.random.default_rng(1).normal(size=(ROWS, 20)).astype(np.float32)
    _assert_invariant(lambda x: net.forward(x, inference="invariant"), X)
    assert net.inference == "batch", "a per-call mode stayed set"
    net.inference = "invariant"
    _assert_invariant(net.forward, X)
    with pytest.raises(ValueError, match="inference"):
        net.forward(X, inference="fast")
    with pytest.raises(ValueError, match="inference"):
        net.inference = "fast"
    assert net.inference == "invariant"
