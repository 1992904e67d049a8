"""The output head: probabilities from logits, and targets at the edges."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier, BackpropRegressor
from sklearn_bp._output_head import ClassifierHead


def _fit_quietly(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


def test_probabilities_stay_finite_when_every_sigmoid_underflows(rng):
    X = rng.normal(size=(60, 2))
    y = rng.randint(3, size=60)
    clf = _fit_quietly(BackpropClassifier(hidden_layer_sizes=(3,), max_iter=3), X, y)
    # Every output's logit far below the point where sigmoid underflows to 0.
    clf.intercepts_[-1][:] = [-800.0, -790.0, -810.0]
    P = clf.predict_proba(X)
    assert np.isfinite(P).all()
    assert_allclose(P.sum(axis=1), 1.0)
    # The normalised sigmoids are then exp(z_k) / sum_j exp(z_j) (softmax).
    logits = clf.decision_function(X)
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    assert_allclose(P, np.clip(softmax, 2.2e-16, 1 - 2.2e-16), rtol=1e-9)
    assert np.isfinite(clf.predict_log_proba(X)).all()


def test_multiclass_probabilities_are_the_normalised_sigmoids(rng):
    head = ClassifierHead(classes=np.arange(3), multilabel=False)
    logits = rng.normal(scale=3, size=(20, 3))
    expected = expit(logits) / expit(logits).sum(axis=1, keepdims=True)
    assert_allclose(head.proba(logits), expected, rtol=1e-13)


def test_binary_probabilities_come_exactly_from_the_logit():
    head = ClassifierHead(classes=np.array([0, 1]), multilabel=False)
    z = np.array([[-30.0], [-1.0], [0.0], [2.5], [30.0]])
    P = head.proba(z)
    assert_allclose(P[:, 1], np.clip(expit(z[:, 0]), 2.2e-16, 1 - 2.2e-16))
    # 1 - sigmoid(z) would round to 1 for z = -30; sigmoid(-z) keeps its digits.
    assert_allclose(P[1, 0], expit(1.0), rtol=1e-15)
    assert P[0, 1] == pytest.approx(expit(-30.0), rel=1e-12)


def test_targets_near_the_float_limit_train_and_predict_finite(rng):
    X = rng.normal(size=(30, 2))
    y = rng.uniform(1.6e308, 1.75e308, size=30)
    reg = _fit_quietly(BackpropRegressor(hidden_layer_sizes=(3,), max_iter=5), X, y)
    predicted = reg.predict(X)
    assert np.isfinite(predicted).all()
    assert np.isfinite(reg.loss_)
    assert (predicted > 1.5e308).all()


def test_log_loss_regression_clips_targets_beyond_the_first_range(rng):
    X = rng.normal(size=(40, 2))
    y = X[:, 0]
    reg = BackpropRegressor(loss="log_loss", hidden_layer_sizes=(4,), random_state=0)
    reg.partial_fit(X, y)
    for _ in range(3):
        with pytest.warns(UserWarning, match="beyond the range the model can predict"):
            reg.partial_fit(X, 3 * y)
        # The cross-entropy of targets in [0, 1] is at least 0; beyond, it has no
        # minimum and the loss fell without bound.
        assert reg.loss_ >= 0


def test_targets_within_the_first_range_give_no_warning(rng):
    X = rng.normal(size=(40, 2))
    y = X[:, 0]
    reg = BackpropRegressor(hidden_layer_sizes=(4,), random_state=0)
    reg.partial_fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        reg.partial_fit(X[:20], y[:20])
