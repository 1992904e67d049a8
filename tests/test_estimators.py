"""The estimators in real scikit-learn workflows, and their documented behaviour."""

import pickle
import re
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, load_linnerud
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier, BackpropRegressor, __version__


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture
def iris():
    return load_iris(return_X_y=True)


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_pipeline_learns_digits():
    X, y = load_digits(return_X_y=True)
    model = make_pipeline(StandardScaler(), BackpropClassifier(random_state=0))
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.mean() > 0.93


def test_grid_search_over_network_parameters(iris):
    X, y = iris
    search = GridSearchCV(
        make_pipeline(
            StandardScaler(), BackpropClassifier(max_iter=50, random_state=0)
        ),
        {
            "backpropclassifier__hidden_layer_sizes": [(2,), (10,)],
            "backpropclassifier__alpha": [1e-4, 1.0],
        },
        cv=3,
    ).fit(X, y)
    assert search.best_score_ > 0.9
    assert search.best_estimator_[-1].coefs_[0].shape[0] == 4


def test_multioutput_regression_keeps_shape_and_range():
    X, Y = load_linnerud(return_X_y=True)
    reg = make_pipeline(StandardScaler(), BackpropRegressor(random_state=0)).fit(X, Y)
    predicted = reg.predict(X)
    assert predicted.shape == Y.shape
    # A sigmoid output keeps predictions within 1.25x the half-range of the
    # training targets around their midpoint.
    center, half = (Y.max(0) + Y.min(0)) / 2, (Y.max(0) - Y.min(0)) / 2
    assert np.all(np.abs(predicted - center) < 1.25 * half)
    far = reg.predict(X * 1000)
    assert np.all(np.abs(far - center) <= 1.25 * half)


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_clone_pickle_and_joblib_round_trips(iris, tmp_path, Estimator):
    X, y = iris
    est = Estimator(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X, y)
    assert clone(est).get_params() == est.get_params()
    assert not hasattr(clone(est), "coefs_")
    restored = pickle.loads(pickle.dumps(est))
    joblib.dump(est, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    for other in (restored, loaded):
        assert_array_equal(other.predict(X), est.predict(X))


def test_pickled_model_continues_partial_fit_identically(iris):
    X, y = iris
    clf = BackpropClassifier(hidden_layer_sizes=(5,), random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    copy = pickle.loads(pickle.dumps(clf))
    clf.partial_fit(X, y)
    copy.partial_fit(X, y)
    for a, b in zip(clf.coefs_, copy.coefs_):
        assert_array_equal(a, b)


def test_classifier_probabilities(iris):
    X, y = iris
    clf = BackpropClassifier(max_iter=50, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert_array_equal(clf.decision_function(X).argmax(axis=1), proba.argmax(axis=1))
    assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_binary_decision_function_and_string_labels(iris):
    X, y = iris
    labels = np.array(["setosa", "other"])[(y > 0).astype(int)]
    clf = BackpropClassifier(hidden_layer_sizes=(3,), max_iter=30, random_state=0)
    clf.fit(X, labels)
    assert clf.coefs_[-1].shape[1] == 1  # one sigmoid output for two classes
    decision = clf.decision_function(X)
    assert decision.shape == (150,)
    assert_array_equal(clf.predict(X), clf.classes_[(decision > 0).astype(int)])
    proba = clf.predict_proba(X)
    assert_allclose(proba[:, 1], 1 / (1 + np.exp(-decision)), rtol=1e-12)


def test_multilabel(rng):
    X = rng.normal(size=(60, 4))
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0].astype(int)
    clf = BackpropClassifier(hidden_layer_sizes=(8,), random_state=0).fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    assert clf.predict_proba(X).shape == Y.shape
    assert np.mean(clf.predict(X) == Y) > 0.9
    assert_array_equal(clf.predict(X), (clf.predict_proba(X) > 0.5).astype(int))


def test_early_stopping_attributes_and_best_weights(iris):
    X, y = iris
    clf = BackpropClassifier(early_stopping=True, random_state=0, max_iter=40).fit(X, y)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    no_es = BackpropClassifier(random_state=0, max_iter=5).fit(X, y)
    assert no_es.validation_scores_ is None and no_es.best_validation_score_ is None
    assert no_es.best_loss_ == min(no_es.loss_curve_)


def test_convergence_warning_when_max_iter_ends_training(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        BackpropClassifier(max_iter=2).fit(X, y)


def test_stops_when_loss_stops_improving(iris):
    X, y = iris
    clf = BackpropClassifier(
        learning_rate="constant", tol=10.0, n_iter_no_change=3, random_state=0
    ).fit(X, y)
    # Epoch 1 improves on an infinite loss; epochs 2 to 5 do not by tol=10.
    assert clf.n_iter_ == 5


def test_adaptive_learning_rate_divides_by_five_at_plateaus(iris):
    X, y = iris
    clf = BackpropClassifier(
        learning_rate="adaptive",
        learning_rate_init=0.1,
        tol=10.0,
        n_iter_no_change=2,
        max_iter=7,
        random_state=0,
    ).fit(X, y)
    assert clf.n_iter_ == 7
    assert_allclose(clf._learning_rate, 0.1 / 25)


def test_warm_start_counts_iterations_per_fit(iris):
    X, y = iris
    clf = BackpropClassifier(max_iter=5, tol=0, warm_start=True, random_state=0)
    clf.fit(X, y)
    first = clf.coefs_[0].copy()
    clf.fit(X, y)
    assert clf.n_iter_ == 10 or clf.n_iter_ == 5
    assert not np.array_equal(first, clf.coefs_[0])


def test_verbose_prints_one_line_per_epoch(iris, capsys):
    X, y = iris
    BackpropClassifier(max_iter=3, verbose=True, early_stopping=True).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert re.match(
        r"Epoch 1, loss = [\d.]+, validation score = [\d.]+, time = [\d.]+s", lines[0]
    )


def test_divergence_raises_a_helpful_error_and_keeps_the_fitted_model(iris):
    X, y = iris
    reg = BackpropRegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(
        X, y
    )
    before = [W.copy() for W in reg.coefs_]
    reg.set_params(learning_rate_init=1e200)
    with pytest.raises(ValueError, match="non-finite|diverged") as error:
        reg.fit(X * 1e100, y)
    assert "learning_rate_init" in str(error.value)
    assert "StandardScaler" in str(error.value)
    for a, b in zip(before, reg.coefs_):
        assert_array_equal(a, b)
    assert reg.n_features_in_ == 4


def test_failed_refit_on_other_data_leaves_model_unchanged(iris):
    X, y = iris
    clf = BackpropClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(
        X, y
    )
    state = {k: v for k, v in vars(clf).items()}
    with pytest.raises(ValueError):
        clf.fit(np.ones((5, 7)), np.array([0, 1, 2, 3, np.nan]))
    assert clf.n_features_in_ == 4
    assert set(vars(clf)) == set(state)
    assert all(vars(clf)[k] is state[k] for k in state)


def test_partial_fit_requires_classes_then_rejects_unseen_ones(iris):
    X, y = iris
    clf = BackpropClassifier()
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.coefs_[-1].shape[1] == 3
    with pytest.raises(ValueError, match=re.escape("not seen")):
        clf.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :2], y)


def test_single_class_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 2 classes"):
        BackpropClassifier().fit(np.eye(3), [1, 1, 1])


def test_invalid_hidden_layer_sizes():
    with pytest.raises(ValueError, match="positive"):
        BackpropClassifier(hidden_layer_sizes=(3, 0)).fit(np.eye(3), [0, 1, 0])


def test_invalid_parameter_value_is_rejected_by_name():
    with pytest.raises(ValueError, match="learning_rate_init"):
        BackpropRegressor(learning_rate_init=-1).fit(np.eye(3), [0, 1, 0])


def test_failed_set_params_changes_nothing():
    clf = BackpropClassifier(alpha=0.5)
    with pytest.raises(ValueError):
        clf.set_params(alpha=2.0, no_such_parameter=1)
    assert clf.alpha == 0.5
