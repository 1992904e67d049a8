"""Training that goes wrong says so, and says why: divergence that stays finite is
caught, each cause gets its own advice, a rising loss is warned about, and prediction
never returns NaN for finite input."""

import re
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier, BackpropRegressor

rng = np.random.RandomState(0)
X = rng.normal(size=(20, 3))
y = np.arange(20) % 2


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Stochastic optimizer", ConvergenceWarning)
        yield


def test_divergence_that_stays_finite_is_an_error():
    # Each step multiplies the weights by 1 - 0.2 * 1000 / 20 = -9: after one pass
    # (a partial_fit) they are near 1e19, with a finite loss (it used to end at 7e192).
    model = BackpropClassifier(alpha=1000, learning_rate_init=0.2, random_state=0)
    with pytest.raises(
        ValueError, match=r"Training diverged: a weight reached 1.*e\+19"
    ):
        model.partial_fit(X, y, classes=[0, 1])


def _partial_fit_far_targets():
    model = BackpropRegressor(max_iter=5, random_state=0).fit(X, X[:, 0])
    model.partial_fit(X, X[:, 0] * 1e300)


# (case, the cause the message must name, advice it must not give)
CAUSES = {
    "alpha=1e300": (
        lambda: BackpropClassifier(alpha=1e300).fit(X, y),
        r"alpha=1e\+300 is too large.*Use alpha below 2 n / learning_rate = 200",
        ["Lower learning_rate_init", "StandardScaler"],
    ),
    "targets of 1e300": (
        _partial_fit_far_targets,
        r"The targets, encoded for outputs in \(0, 1\), reach 4.*e\+299: they lie "
        "far outside the range the model was first fitted on",
        ["Lower learning_rate_init", "alpha=", "StandardScaler"],
    ),
    "learning_rate_init=1e300": (
        lambda: BackpropClassifier(learning_rate_init=1e300).fit(X, y),
        r"Lower learning_rate_init \(now 1e\+300",
        ["alpha=", "StandardScaler"],
    ),
    "a large step on unscaled features": (
        lambda: BackpropRegressor(learning_rate_init=1e300).fit(X * 1e10, X[:, 0]),
        r"Lower learning_rate_init \(now 1e\+300.*The features reach 2.55e\+10 in "
        "magnitude.*StandardScaler",
        ["alpha="],
    ),
}


@pytest.mark.parametrize(
    "call, cause, wrong_advice", CAUSES.values(), ids=CAUSES.keys()
)
def test_divergence_names_what_was_actually_wrong(call, cause, wrong_advice):
    with pytest.raises(ValueError, match="Training diverged") as error:
        call()
    message = str(error.value)
    assert re.search(cause, message), message
    for advice in wrong_advice:
        assert advice not in message, message


def test_a_rising_loss_warns_and_names_unscaled_features():
    X_digits, y_digits = load_digits(return_X_y=True)
    params = dict(alpha=0.1, tol=1e-4, learning_rate_init=0.2, random_state=0)
    with pytest.warns(ConvergenceWarning) as record:
        model = BackpropClassifier(**params).fit(X_digits * 1000, y_digits)
    messages = [str(w.message) for w in record if "loss rose" in str(w.message)]
    assert len(messages) == 1
    first, last = model.loss_curve_[0], model.loss_curve_[-1]
    assert last > 1.5 * first
    assert messages[0].startswith(
        f"The training loss rose from {first:.3g} in the first epoch to {last:.3g} "
        "in the last: "
    )
    assert re.search(
        r"The features reach 1.6e\+04 in magnitude.*StandardScaler", messages[0]
    )
    # Scaled, the loss falls and nothing is said.
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "The training loss rose")
        model = make_pipeline(StandardScaler(), BackpropClassifier(**params))
        model.fit(X_digits * 1000, y_digits)


def _three_class_model():
    X_train = rng.normal(size=(30, 2))
    model = BackpropClassifier(max_iter=5, random_state=0)
    return model.fit(X_train, np.arange(30) % 3), X_train


def test_inputs_near_the_float_maximum_give_no_nan():
    model, _ = _three_class_model()
    # Products of inf of both signs: the first layer's sums would be NaN.
    model.coefs_[0] = np.full((2, 64), 1.5)
    X_huge = np.array([[1.7e308, -1.7e308], [1.7e308, 1.7e308], [-1e308, 1.0]])
    for output in (model.predict_proba(X_huge), model.decision_function(X_huge)):
        assert not np.isnan(output).any()
    assert not np.isnan(model.predict_proba(sp.csr_matrix(X_huge))).any()


def test_probabilities_of_outputs_that_all_underflow_still_sum_to_one():
    model, X_train = _three_class_model()
    model.intercepts_[-1] = np.array([-1e4, -1e4 + 1, -1e4 - 1])
    proba = model.predict_proba(X_train)
    assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X_train))
    # There, sigmoid(z) = exp(z) to double precision: the softmax of the logits.
    logits = model.decision_function(X_train)
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert_allclose(proba, softmax / softmax.sum(axis=1, keepdims=True))


# ------------------------------------------------------- no raw internal errors
def test_a_huge_power_t_lets_the_step_size_reach_zero():
    # (t + 1) ** 200 overflows a float after the second epoch.
    model = BackpropClassifier(learning_rate="invscaling", power_t=200, max_iter=5)
    model.fit(X, y)
    assert model._learning_rate == 0.0
    assert np.isfinite(model.predict_proba(X)).all()


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_an_unknown_keyword_names_the_class_called(Estimator):
    # Python 3.10 names the function only, 3.11 and later its qualified name.
    prefix = f"{Estimator.__name__}." if sys.version_info >= (3, 11) else ""
    with pytest.raises(TypeError) as error:
        Estimator(bogus=1)
    assert str(error.value) == (
        f"{prefix}__init__() got an unexpected keyword argument 'bogus'"
    )
