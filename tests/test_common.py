"""scikit-learn's own estimator checks, no expected failures: at the default
parameters, with mini-batches, with mini-batches and Nesterov momentum, and with two
hidden layers."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_bp import BackpropClassifier, BackpropRegressor

CONFIGURATIONS = [
    {},
    {"batch_size": 32},
    {"batch_size": 200, "momentum": 0.9, "nesterovs_momentum": True},
    {"hidden_layer_sizes": (16, 8)},
]


@parametrize_with_checks(
    [
        Estimator(**params)
        for params in CONFIGURATIONS
        for Estimator in (BackpropClassifier, BackpropRegressor)
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
