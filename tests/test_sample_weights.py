"""Sample weights: counts, relative weights, and the objective SGD minimises."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import AdaBoostClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier, BackpropRegressor
from sklearn_bp._network import loss_and_gradients


def _fit_quietly(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


def _network(est):
    return est.coefs_ + est.intercepts_


def _encoded(y):
    """Regression targets mapped onto [0.1, 0.9] by their range, as documented."""
    return (0.1 + 0.8 * (y - y.min()) / (y.max() - y.min()))[:, None]


@pytest.mark.parametrize("scale", ["1/n", 0.01, 0.5])
@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_uniform_weights_below_one_train_as_no_weights(rng, scale, Estimator):
    X = rng.normal(size=(40, 3))
    y = rng.randint(2, size=40)
    c = 1 / len(y) if scale == "1/n" else scale
    params = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    plain = _fit_quietly(Estimator(**params), X, y)
    weighted = _fit_quietly(Estimator(**params), X, y, sample_weight=np.full(40, c))
    for got, expected in zip(_network(weighted), _network(plain)):
        assert_array_equal(got, expected)


def test_relative_weights_keep_their_proportions(rng):
    """Weights of mean below 1 train as the same weights scaled to mean 1."""
    X = rng.normal(size=(30, 3))
    y = rng.randint(2, size=30)
    w = rng.uniform(0.5, 3, size=30)
    w /= w.mean()
    params = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    tiny = _fit_quietly(BackpropClassifier(**params), X, y, sample_weight=w / 1000)
    counts = _fit_quietly(BackpropClassifier(**params), X, y, sample_weight=w)
    for got, expected in zip(_network(tiny), _network(counts)):
        assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 7])
def test_fractional_visits_carry_their_share_of_the_penalty(rng, batch_size):
    """Weights 0.5 and alpha: the objective says the penalty is alpha/(2n) ||W||^2
    with n the weight sum, so halving every weight of counts-like data must not
    change the penalty's strength relative to the data term."""
    X = rng.normal(size=(14, 3))
    y = rng.normal(size=14)
    w = np.where(np.arange(14) % 2, 1.5, 0.5)  # mean 1: read as counts
    reg = BackpropRegressor(
        hidden_layer_sizes=(3,),
        alpha=2.0,
        batch_size=batch_size,
        shuffle=False,
        learning_rate_init=0.3,
        max_iter=1,
        random_state=0,
    )
    _fit_quietly(reg, X, y, sample_weight=w)
    before = [p.copy() for p in _network(reg)]
    reg.partial_fit(X, y, sample_weight=w)
    # An independent replay of the epoch from `before`: visits in row order, the
    # fractional part of 1.5 after its whole visit.
    Y = _encoded(y)
    visits = []
    for i in range(14):
        visits += [(i, 1.0)] * int(w[i]) + ([(i, w[i] % 1)] if w[i] % 1 else [])
    coefs, intercepts = [p.copy() for p in before[:2]], [p.copy() for p in before[2:]]
    n = w.sum()
    for start in range(0, len(visits), batch_size):
        batch = visits[start : start + batch_size]
        grads_w = [np.zeros_like(W) for W in coefs]
        grads_b = [np.zeros_like(b) for b in intercepts]
        for i, v in batch:
            # loss_and_gradients of one row with weight 1 and no penalty is grad f.
            _, gw, gb = loss_and_gradients(
                coefs,
                intercepts,
                X[i : i + 1],
                Y[i : i + 1],
                loss="squared_error",
                alpha=0.0,
            )
            for k in range(2):
                grads_w[k] += v * gw[k]
                grads_b[k] += v * gb[k]
        mean_v = sum(v for _, v in batch) / len(batch)
        for k in range(2):
            coefs[k] -= 0.3 * (grads_w[k] / len(batch) + 2.0 / n * mean_v * coefs[k])
            intercepts[k] -= 0.3 * grads_b[k] / len(batch)
    for got, expected in zip(_network(reg), coefs + intercepts):
        assert_allclose(got, expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    "w",
    [
        np.array([0.3, 1.7, 2.2, 0.8, 1.5, 0.5, 1.0, 2.0]),  # counts, fractional
        np.array([0.03, 0.17, 0.22, 0.08, 0.15, 0.05, 0.1, 0.2]),  # relative
    ],
)
def test_full_batch_descent_reaches_the_documented_objectives_minimum(rng, w):
    X = rng.normal(size=(8, 2))
    y = np.sin(X[:, 0]) + X[:, 1]
    reg = BackpropRegressor(
        hidden_layer_sizes=(3,),
        alpha=0.02,
        batch_size=100,  # one batch of every visit: plain gradient descent
        shuffle=False,
        learning_rate_init=2.0,
        max_iter=20000,
        tol=0,
        n_iter_no_change=20000,
        random_state=0,
    )
    _fit_quietly(reg, X, y, sample_weight=w)
    counts = w if w[w > 0].mean() >= 1 else w / w.mean()
    Y = _encoded(y)
    _, coef_grads, intercept_grads = loss_and_gradients(
        reg.coefs_,
        reg.intercepts_,
        X,
        Y,
        loss="squared_error",
        alpha=0.02,
        sample_weight=counts,
    )
    gradient = np.concatenate([g.ravel() for g in coef_grads + intercept_grads])
    assert np.abs(gradient).max() < 1e-9
    assert np.abs(reg.coefs_[1]).max() > 0.5  # a network, not the trivial zero


@pytest.mark.parametrize("Estimator", [BackpropClassifier])
@pytest.mark.parametrize(
    "load, estimators", [(load_breast_cancer, 10), (load_digits, 10)]
)
def test_adaboost_over_the_estimator_learns_as_over_the_mlp(
    Estimator, load, estimators
):
    """AdaBoost's weights sum to one; before, they collapsed training."""
    X, y = load(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = AdaBoostClassifier(
        Estimator(hidden_layer_sizes=(16,), max_iter=30, random_state=0),
        n_estimators=estimators,
        random_state=0,
    )
    mlp = AdaBoostClassifier(
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=30, random_state=0),
        n_estimators=estimators,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours_score = cross_val_score(ours, X, y, cv=3).mean()
        mlp_score = cross_val_score(mlp, X, y, cv=3).mean()
    assert ours_score >= mlp_score - 0.02


@pytest.mark.parametrize("weight", ["1e9", "1e12", "1e19"])
def test_a_huge_weight_is_a_clear_error_not_gigabytes_of_visits(weight):
    code = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
        import numpy as np
        from sklearn_bp import BackpropClassifier
        X = np.random.RandomState(0).normal(size=(20, 3))
        y = np.arange(20) % 2
        w = np.ones(20)
        w[0] = {weight}
        try:
            BackpropClassifier(max_iter=2).fit(X, y, sample_weight=w)
        except ValueError as error:
            print("ValueError:", error)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "ValueError: The sample weights ask for" in run.stdout
    assert "divide sample_weight by a constant" in run.stdout
