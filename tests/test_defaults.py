"""What the defaults promise: they learn XOR, they stop for the same reason whatever
the loss's scale, and they say why they stopped."""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_diabetes, make_classification, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier, BackpropRegressor
from sklearn_bp._training import (
    ALPHA_PER_INPUT,
    MIN_EPOCH_VISITS,
    Settings,
    TrainingState,
    _record_progress,
)

XOR_X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


@pytest.mark.parametrize("seed", range(20))
def test_defaults_solve_xor(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # nor warn of a plateau
        clf = BackpropClassifier(random_state=seed).fit(XOR_X, XOR_Y)
    assert np.array_equal(clf.predict(XOR_X), XOR_Y)


@pytest.mark.parametrize("seed", range(20))
def test_two_hidden_units_with_restarts_solve_xor(seed):
    clf = BackpropClassifier(hidden_layer_sizes=(2,), n_init=10, random_state=seed)
    assert np.array_equal(clf.fit(XOR_X, XOR_Y).predict(XOR_X), XOR_Y)


@pytest.mark.parametrize("seed", range(3))
def test_regressor_fits_xor(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = BackpropRegressor(random_state=seed).fit(XOR_X, XOR_Y.astype(float))
    assert reg.score(XOR_X, XOR_Y) > 0.9


def test_small_data_epochs_make_at_least_the_minimum_of_visits():
    clf = BackpropClassifier(max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        clf.fit(XOR_X, XOR_Y)
    assert clf.t_ == 3 * MIN_EPOCH_VISITS  # 250 whole passes over 4 rows per epoch
    # partial_fit stays one pass over the data it is given.
    assert clf.partial_fit(XOR_X, XOR_Y).t_ == 3 * MIN_EPOCH_VISITS + 4


def _settings(**changes):
    params = dict(
        loss="squared_error",
        alpha=0.0,
        batch_size=1,
        learning_rate="constant",
        learning_rate_init=0.1,
        power_t=0.5,
        momentum=0.0,
        nesterovs_momentum=True,
        max_iter=100,
        tol=1e-3,
        n_iter_no_change=3,
        shuffle=True,
        early_stopping=False,
        verbose=False,
    )
    return Settings(**{**params, **changes})


def _no_progress_counts(loss_curve, settings):
    state = TrainingState(
        layer_sizes=(1, 1), params=None, velocity=None, learning_rate=0.1
    )
    counts = []
    for loss in loss_curve:
        state.loss_curve.append(loss)
        _record_progress(None, settings, state, None)
        counts.append(state.no_improvement_count)
    return counts


def test_stopping_rule_does_not_depend_on_the_scale_of_the_loss():
    # A loss curve that improves by 0.2% an epoch, then by 0.05%: progress, then
    # none, at any scale of the loss (a regression loss on targets mapped onto
    # [0.1, 0.9] is about a hundred times smaller than a classifier's).
    curve = np.cumprod([1.0] + [0.998] * 5 + [0.9995] * 5)
    counts = _no_progress_counts(curve, _settings())
    assert counts == [0] * 6 + [1, 2, 3, 4, 5]
    for scale in (1e-4, 1e-2, 1e3):
        assert _no_progress_counts(scale * curve, _settings()) == counts


def test_regressor_stops_at_the_same_epoch_for_any_target_scale():
    X, y = make_friedman1(300, noise=0.5, random_state=0)
    fits = [
        BackpropRegressor(n_iter_no_change=3, random_state=0).fit(X, target)
        for target in (y, 1000 * y + 5, y + 1e4)
    ]
    assert fits[0].n_iter_ < 200  # it did stop on its own
    for fit in fits[1:]:
        assert fit.n_iter_ == fits[0].n_iter_
        assert_allclose(fit.loss_curve_, fits[0].loss_curve_, rtol=1e-6)


def test_stopping_at_the_loss_of_a_constant_prediction_warns():
    # Inputs that carry no information: nothing better than the mean is learnable.
    rng = np.random.RandomState(0)
    X, y = np.zeros((60, 2)), rng.randint(2, size=60)
    clf = BackpropClassifier(random_state=0)
    with pytest.warns(ConvergenceWarning, match="loss of a constant prediction"):
        clf.fit(X, y)
    assert clf.n_iter_ < clf.max_iter
    assert len(clf.loss_curve_) == clf.n_iter_


def test_learning_without_a_plateau_gives_no_plateau_warning(recwarn):
    X, y = make_friedman1(300, noise=0.5, random_state=0)
    BackpropRegressor(random_state=0).fit(X, y)
    assert not [w for w in recwarn if "constant prediction" in str(w.message)]


def test_verbose_says_why_training_stopped(capsys):
    X, y = make_friedman1(300, noise=0.5, random_state=0)
    reg = BackpropRegressor(n_iter_no_change=3, verbose=True, random_state=0)
    reg.fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == reg.n_iter_ + 1
    assert re.fullmatch(
        r"Training loss did not improve more than tol=0\.001 of its best value for "
        r"3 consecutive epochs\. Stopping\.",
        lines[-1],
    )


def test_n_iter_no_change_may_be_infinite():
    X, y = make_friedman1(100, random_state=0)
    reg = BackpropRegressor(n_iter_no_change=np.inf, max_iter=15, random_state=0)
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        reg.fit(X, y)
    assert reg.n_iter_ == 15


def test_automatic_alpha_grows_with_the_inputs_and_the_log_of_the_rows():
    X, y = make_friedman1(300, n_features=7, random_state=0)
    reg = BackpropRegressor(max_iter=2, random_state=0)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    assert reg.alpha_ == ALPHA_PER_INPUT * 7 * np.log(300)
    # Integer weights count rows: the strength of the data set they repeat.
    weights = np.resize([1, 2, 0, 3], 300)
    with pytest.warns(ConvergenceWarning):
        weighted = clone(reg).fit(X, y, sample_weight=weights)
    assert_allclose(weighted.alpha_, ALPHA_PER_INPUT * 7 * np.log(weights.sum()))
    # The fit is the fit at that strength, to the last bit.
    with pytest.warns(ConvergenceWarning):
        explicit = clone(reg).set_params(alpha=reg.alpha_).fit(X, y)
    assert explicit.alpha_ == reg.alpha_
    for a, b in zip(
        reg.coefs_ + reg.intercepts_, explicit.coefs_ + explicit.intercepts_
    ):
        assert np.array_equal(a, b)


def _automatic_alpha_of(X, y, **fit_params):
    reg = BackpropRegressor(max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return reg.fit(X, y, **fit_params).alpha_


def test_automatic_alpha_counts_the_inputs_a_row_has():
    rng = np.random.RandomState(0)
    # One-hot rows: 3 of 60 inputs set in each, dense or sparse alike.
    X = np.zeros((200, 60))
    X[np.arange(200)[:, None], rng.randint(20, size=(200, 3)) + [0, 20, 40]] = 1.0
    y = X @ rng.normal(size=60)
    expected = ALPHA_PER_INPUT * 3 * np.log(200)
    assert_allclose(_automatic_alpha_of(X, y), expected, rtol=1e-12)
    sparse = sp.csr_matrix(X)
    sparse.data[:10] = 0.0  # stored zeros are not inputs
    X_zeroed = sparse.toarray()
    for form in (sparse, sp.csc_matrix(sparse)):
        assert _automatic_alpha_of(form, y) == _automatic_alpha_of(X_zeroed, y)


def test_automatic_alpha_on_wide_data_counts_at_most_the_rows():
    # 30 rows span at most 30 directions of 5000 inputs.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 5000)), rng.normal(size=30)
    alpha = _automatic_alpha_of(X, y)
    assert alpha == ALPHA_PER_INPUT * 30 * np.log(30)
    # So a step's decay, learning_rate_init * alpha / n, stays far below 1.
    assert 0.2 * alpha / 30 < 0.01


def test_continued_training_keeps_the_automatic_alpha():
    X, y = make_friedman1(300, random_state=0)
    reg = BackpropRegressor(max_iter=2, random_state=0)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    first = reg.alpha_
    reg.partial_fit(X[:40], y[:40])  # a batch of other size: the same objective
    assert reg.alpha_ == first
    with pytest.warns(ConvergenceWarning):
        reg.set_params(warm_start=True).fit(X[:100], y[:100])
    assert reg.alpha_ == first
    with pytest.warns(ConvergenceWarning):
        reg.set_params(warm_start=False).fit(X[:100], y[:100])
    assert reg.alpha_ == ALPHA_PER_INPUT * 10 * np.log(100)


def _eight_classes(return_X_y=True):
    """The suite's "8 classes": 1000 rows, 20 features, 10 informative."""
    return make_classification(1000, 20, n_informative=10, n_classes=8, random_state=0)


@pytest.mark.parametrize(
    "Estimator, load, floor",
    # floor: the best of scikit-learn's MLP at its default and with logistic SGD
    # (benchmarks/DEFAULTS.md), less 0.01.
    [
        (BackpropRegressor, load_diabetes, 0.46),
        (BackpropClassifier, _eight_classes, 0.547),
    ],
    ids=["diabetes", "8 classes"],
)
def test_defaults_do_not_overfit_small_noisy_data(Estimator, load, floor):
    X, y = load(return_X_y=True)
    model = make_pipeline(StandardScaler(), Estimator(random_state=0))
    folds = (StratifiedKFold if is_classifier(model) else KFold)(
        5, shuffle=True, random_state=0
    )
    assert cross_val_score(model, X, y, cv=folds).mean() > floor
