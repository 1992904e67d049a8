"""class_weight: class weights expressed as sample weights."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score
from sklearn.utils.class_weight import compute_sample_weight

from sklearn_bp import BackpropClassifier


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _same(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(u, v)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 3.5, 2: 0.5}])
def test_class_weight_trains_as_the_equivalent_sample_weights(rng, class_weight):
    X = rng.normal(size=(60, 3))
    y = np.r_[np.zeros(40), np.ones(15), 2 * np.ones(5)].astype(int)
    w = rng.uniform(0.5, 2, size=60)
    params = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    weighted = BackpropClassifier(class_weight=class_weight, **params).fit(
        X, y, sample_weight=w
    )
    equivalent = BackpropClassifier(**params).fit(
        X, y, sample_weight=w * compute_sample_weight(class_weight, y)
    )
    _same(weighted, equivalent)


def test_balanced_class_weight_helps_the_minority_class():
    X, y = make_classification(
        n_samples=600, weights=[0.93], flip_y=0, class_sep=0.6, random_state=0
    )
    params = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    plain = BackpropClassifier(**params).fit(X[:400], y[:400])
    balanced = BackpropClassifier(class_weight="balanced", **params).fit(
        X[:400], y[:400]
    )
    score = lambda m: balanced_accuracy_score(y[400:], m.predict(X[400:]))  # noqa: E731
    assert score(balanced) > score(plain)


def test_partial_fit_takes_a_dict_but_not_balanced(rng):
    X = rng.normal(size=(30, 2))
    y = rng.randint(2, size=30)
    clf = BackpropClassifier(class_weight={0: 1.0, 1: 2.0}, random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])
    ref = BackpropClassifier(random_state=0)
    ref.partial_fit(X, y, classes=[0, 1], sample_weight=np.where(y == 1, 2.0, 1.0))
    _same(clf, ref)
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        BackpropClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_an_invalid_class_weight_is_named():
    with pytest.raises(ValueError, match="class_weight"):
        BackpropClassifier(class_weight="heavy").fit([[0.0], [1.0]], [0, 1])
