"""scikit-learn's own conformance suite on both estimators: every check
as its own test (parametrize_with_checks), and check_estimator itself."""

import pytest
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from backprop import MLPClassifier, MLPRegressor


@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_sklearn_conformance(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", [MLPClassifier(), MLPRegressor()])
def test_check_estimator(estimator):
    check_estimator(estimator)
