"""scikit-learn's own estimator checks at default parameters, no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_bp import BackpropClassifier, BackpropRegressor


@parametrize_with_checks([BackpropClassifier(), BackpropRegressor()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
