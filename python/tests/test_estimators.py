"""The estimators inside scikit-learn, their bad-input errors, and their
training semantics (stopping, warm starts, partial fits, pickling)."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import backprop
from backprop import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def test_pipeline_with_standard_scaler(iris):
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), MLPClassifier(max_iter=300, random_state=0))
    assert model.fit(X, y).score(X, y) > 0.95
    regressor = make_pipeline(StandardScaler(), MLPRegressor(max_iter=300, random_state=0))
    Xd, yd = load_diabetes(return_X_y=True)
    assert regressor.fit(Xd, yd / 100).score(Xd, yd / 100) > 0.3


def test_grid_search(iris):
    X, y = iris
    search = GridSearchCV(MLPClassifier(max_iter=200, random_state=0),
                          {"hidden_layer_sizes": [(4,), (16,)], "alpha": [1e-4, 1e-2]}, cv=3)
    search.fit(X, y)
    assert search.best_score_ > 0.8
    assert set(search.best_params_) == {"hidden_layer_sizes", "alpha"}


def test_cross_val_score(iris, diabetes):
    scores = cross_val_score(MLPClassifier(max_iter=200, random_state=0), *iris, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.85
    scores = cross_val_score(MLPRegressor(max_iter=200, random_state=0), *diabetes, cv=3)
    assert scores.mean() > 0.2


def test_clone_and_pickle_keep_the_model(iris):
    X, y = iris
    model = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=30, random_state=1).fit(X, y)
    fresh = clone(model)
    assert fresh.get_params() == model.get_params() and not hasattr(fresh, "classes_")
    for other in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        np.testing.assert_array_equal(other.predict_proba(X), model.predict_proba(X))
        np.testing.assert_array_equal(other.classes_, model.classes_)
        other.partial_fit(X, y)  # the optimizer's state travelled too
    fresh.fit(X, y)  # the same random_state: the same model
    np.testing.assert_array_equal(fresh.predict_proba(X), model.predict_proba(X))


def test_save_model_for_the_cli(tmp_path):
    import backprop
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = MLPClassifier(max_iter=50, random_state=0).fit(X, names)
    model.save_model(tmp_path / "iris.bin")
    net = backprop.Net.load(tmp_path / "iris.bin")
    assert net.preprocessing["class_names"] == ["setosa", "versicolor", "virginica"]
    # The same parameters and the same (invariant) products as predict_proba:
    # equal but for predict_proba's own rounding of the probabilities.
    np.testing.assert_allclose(net.forward(X, inference="invariant"), model.predict_proba(X),
                               rtol=1e-6)


def test_fitted_attributes(iris):
    X, y = iris
    model = MLPClassifier(hidden_layer_sizes=(6,), max_iter=20, random_state=0).fit(X, y)
    assert model.n_features_in_ == 4 and model.n_iter_ == 20
    assert len(model.loss_curve_) == 20 and model.loss_ == model.loss_curve_[-1]
    assert [c.shape for c in model.coefs_] == [(4, 6), (6, 3)]
    assert [b.shape for b in model.intercepts_] == [(6,), (3,)]
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    # coefs_ are views: changing them changes the predictions.
    before = model.predict_proba(X)
    model.coefs_[1][:] = 0
    model.intercepts_[1][:] = 0
    np.testing.assert_allclose(model.predict_proba(X), 1.0 / 3.0, rtol=1e-6)
    assert not np.allclose(before, 1.0 / 3.0)


def test_string_labels_and_two_classes():
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    labels = np.array(["no", "yes"])[y]
    model = MLPClassifier(max_iter=200, random_state=0).fit(X, labels)
    assert set(model.predict(X)) <= {"no", "yes"}
    assert model.predict_proba(X).shape == (120, 2)
    assert model.score(X, labels) > 0.9


def test_loss_close_to_scikit_learns(iris, diabetes):
    """The same settings give a training loss of the same size as
    scikit-learn's (the regressor's loss is in scikit-learn's units)."""
    from sklearn import neural_network
    for ours, theirs, (X, y) in ((MLPClassifier, neural_network.MLPClassifier, iris),
                                 (MLPRegressor, neural_network.MLPRegressor, diabetes)):
        a = ours(max_iter=150, random_state=0).fit(X, y).loss_
        b = theirs(max_iter=150, random_state=0).fit(X, y).loss_
        assert 0.5 * b < a < 2.0 * b, (ours.__name__, a, b)


def test_stopping_rule_and_convergence_warning(iris):
    X, y = iris
    model = MLPClassifier(max_iter=500, tol=1e-2, n_iter_no_change=3, random_state=0).fit(X, y)
    assert model.n_iter_ < 500
    with pytest.warns(ConvergenceWarning):
        MLPClassifier(max_iter=3, random_state=0).fit(X, y)


def test_early_stopping_keeps_the_best_validation_model(diabetes):
    # Labels 20% flipped: the validation accuracy moves from epoch to epoch.
    X, y = make_classification(n_samples=500, n_features=10, n_informative=4, flip_y=0.2,
                               random_state=0)
    noisy = StandardScaler().fit_transform(X), y
    for make, (X, y) in ((MLPClassifier, noisy), (MLPRegressor, diabetes)):
        model = make(early_stopping=True, max_iter=300, n_iter_no_change=5,
                     random_state=0).fit(X, y)
        assert len(model.validation_scores_) == model.n_iter_
        assert model.best_validation_score_ == max(model.validation_scores_)
        assert model.n_iter_ < 300
        assert model.best_validation_score_ > 0.3  # accuracy, or R^2
        # The model kept is the best epoch's: its score on the validation
        # rows (the split _fit draws after the network's seed) is the best
        # score, not the last epoch's. The same parameters scored in
        # another batch shape: equal to float rounding of a mean over 50
        # or 45 rows, far below 1e-4.
        rng = np.random.RandomState(0)
        rng.randint(np.iinfo(np.int32).max)
        _, X_val, _, y_val = train_test_split(X, y, random_state=rng, test_size=0.1,
                                              stratify=y if make is MLPClassifier else None)
        assert model.validation_scores_[-1] != pytest.approx(model.best_validation_score_,
                                                             abs=1e-3)
        assert model.score(X_val, y_val) == pytest.approx(model.best_validation_score_, abs=1e-4)


def test_sgd_learning_rate_schedules(diabetes):
    X, y = diabetes
    for schedule in ("constant", "invscaling", "adaptive"):
        for momentum, nesterov in ((0.0, False), (0.9, False), (0.9, True)):
            model = MLPRegressor(solver="sgd", learning_rate=schedule, momentum=momentum,
                                 nesterovs_momentum=nesterov, learning_rate_init=0.01,
                                 max_iter=40, random_state=0).fit(X, y)
            assert np.isfinite(model.loss_) and model.loss_ < model.loss_curve_[0]
            if schedule == "invscaling":  # the live optimizer's rate was changed
                expected = 0.01 / (model.t_ + 1) ** model.power_t / 2  # the C cost's 2
                assert model._optimizer.learning_rate == pytest.approx(expected, rel=1e-5)


def test_partial_fit_and_warm_start(iris):
    X, y = iris
    model = MLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes"):
        model.partial_fit(X, y)
    model.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    for _ in range(20):
        model.partial_fit(X, y)
    assert model.n_iter_ == 21 and model.score(X, y) > 0.7
    warm = MLPClassifier(max_iter=5, warm_start=True, random_state=0).fit(X, y)
    first = warm.predict_proba(X)
    warm.fit(X, y)
    assert warm.n_iter_ == 10 and not np.array_equal(first, warm.predict_proba(X))
    regressor = MLPRegressor(random_state=0)
    for _ in range(3):
        regressor.partial_fit(X, y.astype(float))
    assert regressor.predict(X).shape == (150,)


@pytest.mark.parametrize("estimator, solver", [
    (MLPClassifier, "adam"), (MLPRegressor, "adam"), (MLPClassifier, "sgd")])
def test_partial_fits_continue_the_optimizer(iris, estimator, solver):
    # k partial_fit calls are k epochs of one fit(max_iter=k): the same
    # seed, shuffles and batches, and the optimizer (Adam's moments and step
    # count, or the momentum) carried from call to call. Compared bitwise:
    # one process, one kernel set, the same batch shapes and one thread
    # (conftest.py), so every float operation is the same in the same order.
    X, y = iris
    y = y if estimator is MLPClassifier else y.astype(float)
    k = 6
    params = dict(hidden_layer_sizes=(10,), batch_size=32, solver=solver,
                  learning_rate_init=0.01, random_state=0)
    whole = estimator(max_iter=k, n_iter_no_change=k + 1, **params).fit(X, y)
    parts = estimator(**params)
    for _ in range(k):
        if estimator is MLPClassifier:
            parts.partial_fit(X, y, classes=[0, 1, 2])
        else:
            parts.partial_fit(X, y)
    assert parts.n_iter_ == whole.n_iter_ == k
    np.testing.assert_array_equal(parts._net.params, whole._net.params)
    assert parts._optimizer.steps == whole._optimizer.steps == k * 5  # 150 rows: 5 batches
    assert parts._optimizer.to_bytes() == whole._optimizer.to_bytes()
    np.testing.assert_array_equal(parts.loss_curve_, whole.loss_curve_)


def test_multioutput_regression(diabetes):
    X, y = diabetes
    Y = np.column_stack([y, -y])
    model = MLPRegressor(max_iter=100, random_state=0).fit(X, Y)
    assert model.predict(X).shape == (len(X), 2)
    assert model.predict(X).dtype == np.float64


def test_workers_and_blas_threads_train_the_same_model(iris):
    X, y = iris
    one = MLPClassifier(max_iter=30, batch_size=32, random_state=0).fit(X, y)
    two = MLPClassifier(max_iter=30, batch_size=32, random_state=0, workers=2,
                        blas_threads=1).fit(X, y)
    # Two workers sum the gradient in another order: equal up to rounding,
    # which 30 epochs of Adam may grow (1.2e-7 measured under every core
    # type). atol 1e-3 leaves room for that growth and still fails a wrong
    # sum: one worker's share lost moves the probabilities by ~1e-1.
    np.testing.assert_allclose(two.predict_proba(X), one.predict_proba(X), atol=1e-3)


def test_predict_from_several_threads(iris):
    from concurrent.futures import ThreadPoolExecutor
    X, y = iris
    model = MLPClassifier(max_iter=20, random_state=0).fit(X, y)
    expected = model.predict_proba(X)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: model.predict_proba(X), range(16)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_inputs_of_other_types_are_converted(iris):
    X, y = iris
    reference = MLPClassifier(max_iter=20, random_state=0).fit(X.astype(np.float32), y)
    expected = reference.predict_proba(X.astype(np.float32))
    for variant in (X, np.asfortranarray(X), np.hstack([X, X])[:, :4], X.tolist()):
        model = MLPClassifier(max_iter=20, random_state=0).fit(variant, y)
        np.testing.assert_allclose(model.predict_proba(variant), expected, rtol=1e-5, atol=1e-6)
    Xi = (X * 10).astype(np.int64)
    MLPClassifier(max_iter=5, random_state=0).fit(Xi, y).predict(Xi)


def test_bad_input_raises_scikit_learns_errors(iris):
    X, y = iris
    model = MLPClassifier(max_iter=5, random_state=0)
    with pytest.raises(NotFittedError):
        model.predict(X)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.fit(bad, y)
    with pytest.raises(ValueError, match="Expected 2D array"):
        model.fit(X[:, 0], y)
    with pytest.raises(ValueError, match="0 sample"):
        model.fit(np.empty((0, 4)), [])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.fit(X, y[:-1])
    with pytest.raises((TypeError, ValueError)):
        model.fit(np.array([[{"a": 1}] * 4] * 150, dtype=object), y)
    with pytest.raises(ValueError, match="Unknown label type"):
        model.fit(X, y + 0.5)
    model.fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 4"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="Input X contains infinity"):
        model.predict(np.full((2, 4), np.inf))
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPClassifier(hidden_layer_sizes=(0,)).fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        MLPClassifier(solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="shuffle"):
        MLPClassifier(shuffle=False).fit(X, y)


def test_diverging_training_is_an_error_not_nan(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="diverged"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            MLPRegressor(solver="sgd", momentum=0, learning_rate_init=1e4, max_iter=50,
                         random_state=0).fit(X, y * 1e6)


def test_the_docs_example_runs(capsys):
    import os
    import re
    readme = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "python.md")
    with open(readme) as f:
        blocks = re.findall(r"^```python\n(.*?)^```$", f.read(), flags=re.S | re.M)
    assert len(blocks) == 1
    assert len(blocks[0].splitlines()) <= 12
    exec(compile(blocks[0], "docs/python.md", "exec"), {})
    accuracy = float(re.search(r"test accuracy ([0-9.]+)", capsys.readouterr().out).group(1))
    assert accuracy > 0.95


# ---- plans ----

def _blis_available():
    from backprop import _lib
    return _lib.lib.bp_kernels_available(2) == 1


@pytest.mark.parametrize("plan", ["openblas:1x1", "openblas:2x1", "openblas:1x2", "blis:2x1"])
def test_fixed_plan_is_used_and_repeats_bitwise(iris, plan):
    if plan.startswith("blis") and not _blis_available():
        pytest.skip("a build without BLIS")
    X, y = iris
    fits = [MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, batch_size=32, random_state=3,
                          plan=plan).fit(X, y) for _ in range(2)]
    assert fits[0].plan_ == plan
    # The same plan, the same weights, bit for bit (design: a fixed plan
    # reproduces; different plans round differently and are not compared).
    for a, b in zip(fits[0].coefs_, fits[1].coefs_):
        assert np.array_equal(a, b)
    assert fits[0].score(X, y) > 0.8


def test_auto_plan_times_and_trains(iris):
    X, y = iris
    threads = backprop.blas_threads()
    model = MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, batch_size=32, random_state=3,
                          plan="auto").fit(X, y)
    assert backprop.blas_threads() == threads  # the plan's count lasted for the fit only
    kernels, _, shape = model.plan_.partition(":")
    assert kernels in ("openblas", "blis") and "x" in shape, model.plan_
    assert model.score(X, y) > 0.8


def test_bad_plans_are_value_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match="kernel set"):
        MLPClassifier(max_iter=2, plan="gpu:1x1").fit(X, y)
    with pytest.raises(ValueError, match="one BLAS thread"):
        MLPClassifier(max_iter=2, plan="openblas:2x2").fit(X, y)
    with pytest.raises(ValueError, match="does not go with"):
        MLPClassifier(max_iter=2, plan="auto", workers=2).fit(X, y)
