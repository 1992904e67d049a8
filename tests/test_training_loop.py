"""The epoch loop's rules, each against an independent computation: when training
stops, which epoch's weights early stopping keeps, and the content order of the rows.

The stopping tests replay a loss (or validation score) curve recorded without
stopping: with a constant learning rate the curve does not depend on the stopping
parameters, so the epoch at which training must stop can be computed from it.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier, BackpropRegressor


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def loss_improves(value, best, tol):
    """The documented test of progress of the loss: below ``(1 - tol)`` times the
    best so far (relative)."""
    return value < best * (1 - tol)


def score_improves(value, best, tol):
    """Of a validation score, on its negation: at least ``tol`` above the best."""
    return value <= best - tol


def stopping_epoch(curve, tol, patience, *, improves, resets=True):
    """The epoch after which training stops: the first at which more than
    ``patience`` epochs in a row have not improved on the best value (``len(curve)``
    if there is none). ``resets=False`` is the rule that never starts counting again
    after an improvement."""
    best, count = np.inf, 0
    for epoch, value in enumerate(curve, start=1):
        if improves(value, best, tol):
            count = 0 if resets else count
        else:
            count += 1
        best = min(best, value)
        if count > patience:
            return epoch
    return len(curve)


def boundary_tols(value, best, improves):
    """The tols at which ``value`` sits exactly on the boundary of improving on
    ``best``: the rule's strict or non-strict comparison then decides."""
    relative = improves is loss_improves
    tol = 1 - value / best if relative else best - value
    for k in range(-4, 5):
        candidate = tol + k * np.spacing(tol)
        if (best * (1 - candidate) if relative else best - candidate) == value:
            yield candidate


def discriminating_settings(curve, improves, rivals):
    """``(tol, patience)`` under which the rule ``improves``, and its reset of the
    count after an improvement, decide when training stops: each of the ``rivals``
    (rules that differ from it in one way), and the rule without the reset, stop at
    another epoch."""
    for epoch in range(2, len(curve)):
        best = min(curve[:epoch])
        if curve[epoch] >= best:
            continue
        for tol in boundary_tols(curve[epoch], best, improves):
            for patience in range(1, 6):
                expected = stopping_epoch(curve, tol, patience, improves=improves)
                others = [
                    stopping_epoch(curve, tol, patience, improves=rival)
                    for rival in rivals
                ]
                others.append(
                    stopping_epoch(
                        curve, tol, patience, improves=improves, resets=False
                    )
                )
                if expected < len(curve) and expected not in others:
                    return tol, patience, expected
    raise AssertionError("the curve has no epochs that tell the rules apart")


def test_training_stops_when_the_loss_stops_improving_by_tol():
    X, y = load_iris(return_X_y=True)
    params = dict(
        hidden_layer_sizes=(5,),
        learning_rate="constant",
        learning_rate_init=0.5,
        random_state=0,
    )
    full = BackpropClassifier(max_iter=40, n_iter_no_change=40, tol=0, **params)
    curve = full.fit(X, y).loss_curve_
    rivals = [
        lambda v, b, t: v <= b * (1 - t),  # not strict
        lambda v, b, t: v < b - t,  # absolute
    ]
    tol, patience, expected = discriminating_settings(curve, loss_improves, rivals)
    clf = BackpropClassifier(max_iter=40, n_iter_no_change=patience, tol=tol, **params)
    clf.fit(X, y)
    assert clf.n_iter_ == expected
    assert clf.loss_curve_ == curve[:expected]
    assert clf.best_loss_ == min(curve[:expected])


def _early_stopping_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    return X, X[:, 0] + 0.5 * rng.normal(size=40)


def _early_stopping_regressor(**params):
    return BackpropRegressor(
        hidden_layer_sizes=(20,),
        early_stopping=True,
        validation_fraction=0.3,
        alpha=0.0,
        learning_rate="constant",
        learning_rate_init=1.0,
        random_state=0,
        **params,
    )


def test_early_stopping_stops_when_the_validation_score_stops_improving(
    one_pass_epochs,
):
    X, y = _early_stopping_data()
    curve = _early_stopping_regressor(max_iter=30, n_iter_no_change=30, tol=0)
    scores = curve.fit(X, y).validation_scores_
    # A score improves when it is at least tol above the best (absolute), on -score.
    negated = [-s for s in scores]
    strict = [lambda v, b, t: v < b - t]
    tol, patience, expected = discriminating_settings(negated, score_improves, strict)
    reg = _early_stopping_regressor(max_iter=30, n_iter_no_change=patience, tol=tol)
    reg.fit(X, y)
    assert reg.n_iter_ == expected
    assert reg.validation_scores_ == scores[:expected]


def test_early_stopping_keeps_the_best_epochs_weights():
    """The weights kept after K epochs are those that a fit of best-epoch epochs
    ends with: there the best epoch is the last one, so they are its weights whether
    or not anything is restored."""
    X, y = _early_stopping_data()
    K = 30
    reg = _early_stopping_regressor(max_iter=K, n_iter_no_change=K, tol=0).fit(X, y)
    best_epoch = int(np.argmax(reg.validation_scores_)) + 1
    assert best_epoch < K - 5  # the score has gone down since: the test can fail
    shorter = _early_stopping_regressor(max_iter=best_epoch, n_iter_no_change=K, tol=0)
    shorter.fit(X, y)
    assert shorter.validation_scores_ == reg.validation_scores_[:best_epoch]
    for got, expected in zip(
        reg.coefs_ + reg.intercepts_, shorter.coefs_ + shorter.intercepts_
    ):
        assert_array_equal(got, expected)
    assert reg.score(X, y) == shorter.score(X, y)
    assert reg.best_validation_score_ == reg.validation_scores_[best_epoch - 1]


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_identical_rows_with_different_targets_train_independently_of_row_order(
    Estimator,
):
    """Rows that tie on every feature are ordered by their targets: any order of the
    rows given gives the same network (with a fixed random_state)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 3))
    X = np.vstack([X, X[:6], X[:3]])  # rows 0-2 three times, 3-5 twice
    y = np.r_[np.zeros(10), np.ones(6), np.full(3, 2)].astype(int)
    params = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0, alpha=0.1)
    a = Estimator(**params).fit(X, y)
    for order in (np.arange(len(y))[::-1], rng.permutation(len(y))):
        b = Estimator(**params).fit(X[order], y[order])
        for got, expected in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
            assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "sigint", ["default_int_handler", "SIG_IGN"], ids=["python", "ignored"]
)
def test_an_epoch_allocates_nothing_of_the_size_of_the_parameters(monkeypatch, sigint):
    # A per-epoch copy of the parameters costs as much as the epoch itself on
    # sparse inputs with many features (20 non-zeros per row, 50k features).
    # Where SIGINT is ignored (a background job), no interrupt can come either.
    import signal
    import tracemalloc

    import scipy.sparse as sp

    from sklearn_bp import _training

    rng = np.random.RandomState(0)
    n_rows, nnz, n_features = 500, 20, 50_000
    X = sp.csr_matrix(
        (
            rng.normal(size=n_rows * nnz),
            rng.randint(n_features, size=n_rows * nnz),
            np.arange(0, n_rows * nnz + 1, nnz),
        ),
        shape=(n_rows, n_features),
    )
    y = rng.randint(2, size=n_rows)
    real_epoch, peaks = _training._run_one_epoch, []

    def traced(data, settings, state, layout, rng):
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        real_epoch(data, settings, state, layout, rng)
        peaks.append(tracemalloc.get_traced_memory()[1] - start)

    monkeypatch.setattr(_training, "_run_one_epoch", traced)
    previous = signal.signal(signal.SIGINT, getattr(signal, sigint))
    tracemalloc.start()
    try:
        model = BackpropClassifier(hidden_layer_sizes=(16,), max_iter=4, tol=0)
        model.fit(X, y)
    finally:
        tracemalloc.stop()
        signal.signal(signal.SIGINT, previous)
    parameter_bytes = sum(W.nbytes for W in model.coefs_)
    # After the first epoch, which may compile the training loop.
    assert len(peaks) == 4
    assert max(peaks[1:]) < parameter_bytes / 10


def test_initial_weights_are_glorot_uniform():
    """U(-b, b) for weights and intercepts, b = 4 sqrt(6 / (fan_in + fan_out)) for
    the first layer and sqrt(2 / (fan_in + fan_out)) above it: seen after one epoch
    whose steps (learning_rate_init=1e-300) change nothing."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(6, 60)), np.array([0, 1, 2] * 2)
    clf = BackpropClassifier(
        hidden_layer_sizes=(40, 30), alpha=0.0, learning_rate_init=1e-300
    ).partial_fit(X, y, classes=[0, 1, 2])
    for k, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        bound = (
            4 * np.sqrt(6.0 / sum(W.shape)) if k == 0 else np.sqrt(2.0 / sum(W.shape))
        )
        for values in (W, b):
            assert np.abs(values).max() <= bound
        # Uniform over the whole interval: the largest of 90+ draws is near b, and
        # the mean of |W| is b / 2.
        assert np.abs(W).max() > 0.9 * bound
        assert abs(np.abs(W).mean() - bound / 2) < 0.1 * bound


def test_a_warm_start_continues_the_invscaling_schedule(one_pass_epochs):
    """Without momentum a warm start's fresh optimizer holds nothing but the step,
    which goes on from the t_ samples seen: 2 + 2 epochs train as 4."""
    X, y = load_iris(return_X_y=True)
    params = dict(
        hidden_layer_sizes=(4,),
        learning_rate="invscaling",
        learning_rate_init=0.5,
        tol=0,
        n_iter_no_change=10,
        random_state=0,
    )
    four = BackpropClassifier(max_iter=4, **params).fit(X, y)
    two_and_two = BackpropClassifier(max_iter=2, warm_start=True, **params)
    two_and_two.fit(X, y).fit(X, y)
    assert two_and_two.t_ == four.t_ == 4 * len(y)
    assert two_and_two.loss_curve_[-2:] == four.loss_curve_[-2:]
    for a, b in zip(
        two_and_two.coefs_ + two_and_two.intercepts_, four.coefs_ + four.intercepts_
    ):
        assert_array_equal(a, b)


def test_restarts_under_early_stopping_are_judged_by_their_best_score():
    """Each restart's figure is the best of its own validation curve, not the last
    score, and the kept restart is the one whose best is highest."""
    X, y = _early_stopping_data()
    reg = _early_stopping_regressor(max_iter=30, n_iter_no_change=3, tol=0, n_init=4)
    reg.fit(X, y)
    curves = reg.restart_validation_scores_
    assert any(curve[-1] < max(curve) for curve in curves)  # the test can fail
    assert reg.restart_losses_ == [max(curve) for curve in curves]
    assert reg.best_restart_ == int(np.argmax([max(curve) for curve in curves]))
    assert reg.validation_scores_ == curves[reg.best_restart_]
