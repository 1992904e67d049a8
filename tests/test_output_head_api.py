"""Targets in, predictions out: the output head through the public API, against the
formulas of the docstrings (tests/test_output_head.py tests its edges)."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier, BackpropRegressor


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def sigma(z):
    return 1 / (1 + np.exp(-z))


def _logits(est, X):
    """The output layer's pre-activations, computed from the fitted weights."""
    a = X
    for W, b in zip(est.coefs_[:-1], est.intercepts_[:-1]):
        a = sigma(a @ W + b)
    return a @ est.coefs_[-1] + est.intercepts_[-1]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_labels_and_probabilities_follow_from_the_logits(rng, n_classes):
    X = rng.normal(size=(40, 4))
    y = rng.randint(n_classes, size=40)
    clf = BackpropClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    clf.fit(X, y)
    z = _logits(clf, X)
    if n_classes == 2:
        assert_allclose(clf.decision_function(X), z[:, 0], rtol=1e-12)
        expected_proba = np.c_[sigma(-z[:, 0]), sigma(z[:, 0])]
        expected_labels = clf.classes_[(z[:, 0] > 0).astype(int)]
    else:
        expected_proba = sigma(z) / sigma(z).sum(axis=1, keepdims=True)
        expected_labels = clf.classes_[np.argmax(z, axis=1)]
    assert_allclose(clf.predict_proba(X), expected_proba, rtol=1e-12)
    assert_allclose(clf.predict_log_proba(X), np.log(expected_proba), rtol=1e-12)
    assert_array_equal(clf.predict(X), expected_labels)


def test_multilabel_with_two_labels_has_one_output_per_label(rng):
    X = rng.normal(size=(30, 3))
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int)
    clf = BackpropClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    clf.fit(X, Y)
    z = _logits(clf, X)
    assert z.shape == (30, 2)
    assert_array_equal(clf.predict(X), (z > 0).astype(int))
    assert_allclose(clf.predict_proba(X), sigma(z), rtol=1e-12)


def test_target_range_is_taken_over_the_rows_of_positive_weight(rng):
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    w = np.ones(20)
    w[[np.argmin(y), np.argmax(y)]] = 0
    y[np.argmax(y)] = 100.0  # far beyond: untrained, so no warning
    reg = BackpropRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*beyond the range")
        reg.fit(X, y, sample_weight=w)
    assert reg.target_min_ == [y[w > 0].min()] and reg.target_max_ == [y[w > 0].max()]


def test_targets_beyond_the_reachable_range_warn(rng):
    """Predictions reach 1.25 half-ranges from the middle of the first fit's range."""
    X = rng.normal(size=(20, 3))
    y = np.linspace(0.0, 1.0, 20)  # middle 0.5, half-range 0.5: reachable to 1.125
    reg = BackpropRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    reg.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg.partial_fit(X, np.where(y == 1.0, 1.12, y))
    with pytest.warns(UserWarning, match="beyond the range"):
        reg.partial_fit(X, np.where(y == 1.0, 1.13, y))


def test_log_loss_regression_clips_targets_beyond_the_range(rng):
    """A target above the range trains as one at the top of [0, 1]: the log loss has
    no minimum beyond it."""
    X = rng.normal(size=(10, 3))
    y = np.linspace(0.0, 1.0, 10)
    params = dict(
        hidden_layer_sizes=(3,), loss="log_loss", shuffle=False, random_state=0
    )
    far, top = BackpropRegressor(**params), BackpropRegressor(**params)
    far.partial_fit(X, y)
    top.partial_fit(X, y)
    # Encoded: 0.5 + 0.4 * (y - 0.5) / 0.5, which is 1 at y = 1.125.
    with pytest.warns(UserWarning, match="beyond the range"):
        far.partial_fit(X, np.where(y == 1.0, 50.0, y))
    top.partial_fit(X, np.where(y == 1.0, 1.125, y))
    for a, b in zip(far.coefs_ + far.intercepts_, top.coefs_ + top.intercepts_):
        assert_array_equal(a, b)


def test_early_stopping_validation_split_is_stratified_by_class(rng):
    """A stratified split needs two samples of every class: with one, a clear error."""
    X, y = rng.normal(size=(30, 3)), np.r_[np.zeros(15), np.ones(14), 2].astype(int)
    clf = BackpropClassifier(early_stopping=True, max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="Cannot hold out a validation set"):
        clf.fit(X, y)
    BackpropRegressor(early_stopping=True, max_iter=2, random_state=0).fit(X, y)
