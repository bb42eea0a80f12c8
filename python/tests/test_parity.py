"""The estimators' numbers and attributes against what scikit-learn's give:
log-probabilities from the logits, probabilities normalized in float64,
blas_threads for the call's duration only, reproducible fits, and the
fitted attributes, warnings, verbose lines and docstrings."""

import re
import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import backprop
from backprop import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def confident_digits():
    """A digits model made overconfident: its output layer scaled by 30, so
    that its logits are hundreds apart and many float32 probabilities are
    exactly 0 (the issue saw 9211 -inf from a long-trained model)."""
    X, y = load_digits(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(64,), learning_rate_init=0.01, max_iter=60,
                          random_state=0).fit(X, y)
    model.coefs_[-1] *= 30.0
    model.intercepts_[-1] *= 30.0
    return X, y, model


def test_log_proba_is_finite_where_float_probabilities_underflow(confident_digits):
    X, y, model = confident_digits
    float32_proba = model._net.forward(X)
    zeros = int(np.sum(float32_proba == 0))
    assert zeros > 100, f"only {zeros} float32 probabilities are 0: the test shows nothing"
    log_proba = model.predict_log_proba(X)
    assert log_proba.dtype == np.float64 and np.isfinite(log_proba).all()
    # The log-softmax of the logits, recomputed here in float64.
    # (The estimator predicts on the invariant products: so does this.)
    z = model._net.forward(X, output="logits", inference="invariant").astype(np.float64)
    largest = z.max(axis=1, keepdims=True)
    expected = z - largest - np.log(np.sum(np.exp(z - largest), axis=1, keepdims=True))
    np.testing.assert_allclose(log_proba, expected, rtol=1e-14, atol=1e-12)
    assert log_proba.min() < -200  # where np.log of the float32 probability is -inf


def test_probabilities_are_normalized_in_float64(confident_digits, iris):
    X, y, model = confident_digits
    for data, est in ((X, model), (iris[0], MLPClassifier(max_iter=50, random_state=0)
                                   .fit(*iris))):
        proba = est.predict_proba(data)
        assert proba.dtype == np.float64
        # Summing n_classes float64 values each <= 1: a few ulps of 1.
        error = np.abs(proba.sum(axis=1) - 1.0).max()
        assert error <= 4 * proba.shape[1] * np.finfo(np.float64).eps, error
        # The library's float32 softmax agrees to float32 rounding.
        np.testing.assert_allclose(proba, est._net.forward(data), rtol=0, atol=1e-6)
        np.testing.assert_allclose(np.exp(est.predict_log_proba(data)), proba, rtol=1e-12,
                                   atol=1e-300)
        # predict is the argmax of the probabilities (there are no ties here).
        np.testing.assert_array_equal(est.predict(data), est.classes_[proba.argmax(axis=1)])


def test_blas_threads_applies_during_the_call_and_is_restored(iris):
    X, y = iris
    seen = []

    class Recording(MLPClassifier):
        def _after_epoch(self, *args):
            seen.append(backprop.blas_threads())
            return super()._after_epoch(*args)

    before = backprop.blas_threads()
    try:
        backprop.set_blas_threads(2)
        outside = backprop.blas_threads()
        model = Recording(max_iter=3, blas_threads=1, random_state=0).fit(X, y)
        assert seen == [1, 1, 1]
        assert backprop.blas_threads() == outside
        model.predict_proba(X)
        assert backprop.blas_threads() == outside
        # None leaves the count alone.
        seen.clear()
        Recording(max_iter=2, random_state=0).fit(X, y)
        assert seen == [outside, outside]
    finally:
        backprop.set_blas_threads(before)


def test_random_state_and_a_fixed_plan_give_the_same_model(iris):
    """Same process, kernel, shapes, workers and BLAS threads: the same bits.
    Across worker counts only up to float rounding (see workers)."""
    X, y = iris
    for workers, threads in ((None, 1), (2, 1), (2, 2)):
        fits = [MLPClassifier(max_iter=20, batch_size=32, random_state=3, workers=workers,
                              blas_threads=threads).fit(X, y) for _ in range(2)]
        np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
        assert fits[0].loss_curve_ == fits[1].loss_curve_
    # Another random_state: another model.
    other = MLPClassifier(max_iter=20, batch_size=32, random_state=4).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), fits[0].predict_proba(X))


def test_fitted_attributes_as_scikit_learns(iris):
    X, y = iris
    ours = MLPClassifier(hidden_layer_sizes=(6, 5), max_iter=5, random_state=0).fit(X, y)
    theirs = neural_network.MLPClassifier(hidden_layer_sizes=(6, 5), max_iter=5,
                                          random_state=0).fit(X, y)
    for name in ("n_layers_", "n_outputs_", "out_activation_", "n_iter_", "t_"):
        assert getattr(ours, name) == getattr(theirs, name), name
    regressor = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    regressor.fit(X, np.column_stack([y, -y]))
    assert (regressor.n_layers_, regressor.n_outputs_, regressor.out_activation_) == (
        3, 2, "identity")
    # Two classes: one output per class (scikit-learn: one logistic output).
    two = MLPClassifier(max_iter=3, random_state=0).fit(X, y > 0)
    assert (two.n_outputs_, two.out_activation_, two.coefs_[-1].shape[1]) == (2, "softmax", 2)
    with pytest.raises(AttributeError):
        MLPClassifier().n_layers_


def test_max_fun_is_accepted_with_a_warning(iris):
    X, y = iris
    assert MLPClassifier().get_params()["max_fun"] == 15000
    with pytest.warns(UserWarning, match="max_fun=100 is ignored: .*lbfgs"):
        MLPClassifier(max_fun=100, max_iter=2).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(max_iter=2).fit(X, y)  # the default warns nothing


def test_early_stopping_best_loss_and_warm_start_appending(iris):
    X, y = iris
    model = MLPClassifier(early_stopping=True, warm_start=True, max_iter=4, n_iter_no_change=50,
                          random_state=0).fit(X, y)
    theirs = neural_network.MLPClassifier(early_stopping=True, max_iter=4,
                                          random_state=0).fit(X, y)
    assert model.best_loss_ is None and theirs.best_loss_ is None
    first = list(model.validation_scores_)
    assert len(first) == 4
    model.fit(X, y)
    assert model.n_iter_ == 8 and len(model.validation_scores_) == 8
    assert model.validation_scores_[:4] == first
    assert model.best_validation_score_ == max(model.validation_scores_)
    # Without early stopping: best_loss_ a number, no validation scores.
    plain = MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    assert plain.best_loss_ == min(plain.loss_curve_) and plain.validation_scores_ is None


def test_verbose_prints_scikit_learns_lines(iris, capsys):
    X, y = iris
    settings = dict(early_stopping=True, max_iter=3, verbose=True, random_state=0)
    MLPClassifier(**settings).fit(X, y)
    ours = capsys.readouterr().out.splitlines()
    neural_network.MLPClassifier(**settings).fit(X, y)
    theirs = capsys.readouterr().out.splitlines()

    def shape(lines):  # the lines with their numbers blanked
        return [re.sub(r"[0-9.]+", "#", line) for line in lines]

    assert shape(ours) == shape(theirs)
    assert sum(line.startswith("Validation score: ") for line in ours) == 3


def test_coefs_and_intercepts_are_assignable(iris):
    X, y = iris
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    shapes = [c.shape for c in model.coefs_]
    model.coefs_ = [np.zeros(s) for s in shapes]
    model.intercepts_ = [np.zeros(5), np.array([0.0, 1.0, 0.0])]
    np.testing.assert_array_equal(model.predict(X), np.ones(len(X)))
    model.coefs_[1] = np.zeros(shapes[1])  # item assignment writes the layer too
    model.intercepts_[1] = np.array([0.0, 0.0, 2.0])
    np.testing.assert_array_equal(model.predict(X), np.full(len(X), 2))
    with pytest.raises(ValueError, match="shape"):
        model.coefs_ = [np.zeros((2, 2)), np.zeros(shapes[1])]
    with pytest.raises(ValueError, match="2 arrays"):
        model.intercepts_ = [np.zeros(5)]
    with pytest.raises(ValueError, match="shape"):
        model.coefs_[0] = np.zeros((1, 1))


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor, backprop.Net])
def test_docstrings_have_parameters_and_attributes(cls):
    doc = cls.__doc__
    for section in ("Parameters\n    ----------", "Attributes\n    ----------"):
        assert section in doc, section
    if cls is backprop.Net:
        names = ["sizes", "activations", "loss", "seed", "kernels"]
    else:
        names = list(cls().get_params())
        for attribute in ("coefs_", "intercepts_", "loss_", "best_loss_", "n_layers_",
                          "n_outputs_", "out_activation_", "validation_scores_", "n_iter_"):
            assert f"\n    {attribute} :" in doc, attribute
    for name in names:
        assert re.search(rf"\n    ([a-z_0-9]+, )?{name}(, [a-z_0-9]+)? :", doc), name
