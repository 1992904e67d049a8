"""The compiled epochs, through the public API, against two independent computations.

``reference_epoch`` is SGD written out in NumPy in the notes' notation, for any number
of hidden layers; it shares no code with the package. ``gradient_chain`` takes the same
steps from ``_network.loss_and_gradients``, the package's pure statement of the
objective. Each epoch starts from a known network: a first ``partial_fit`` without
momentum (whose velocity therefore stays zero), then more ``partial_fit`` calls with
``shuffle=False``, which visit the rows in the order given.

Visits and weights (the user guide's rule): weights whose mean over the positively
weighted rows is below 1 are first rescaled to mean 1; a row of weight ``w`` is then
visited ``floor(w)`` times with weight 1 and, if ``w`` has a fractional part, once more
with that fraction. A step over a batch of ``B`` visits of weights ``w_v`` is

    g = (1/B) sum_v w_v grad f_v  +  (alpha/n) (sum_v w_v / B) W

with ``n`` the sum of the (rescaled) weights and no penalty on the intercepts.
"""

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier, BackpropRegressor
from sklearn_bp._network import loss_and_gradients
from sklearn_bp._training import MIN_EPOCH_VISITS

# ----------------------------------------------------------- independent reference


def sigma(z):
    return 1 / (1 + np.exp(-z))


def visits_of(sample_weight):
    """(rows, weights, n) of the visits of one epoch without shuffling."""
    w = np.asarray(sample_weight, dtype=float)
    positive = w > 0
    if w[positive].mean() < 1:
        w = w / w[positive].mean()
    rows, weights = [], []
    for i, w_i in enumerate(w):
        whole = int(np.floor(w_i))
        rows += [i] * whole
        weights += [1.0] * whole
        if w_i > whole:
            rows.append(i)
            weights.append(w_i - whole)
    return np.array(rows), np.array(weights), w[positive].sum()


def reference_epoch(network, X, Y, visits, *, lr, alpha, batch_size, loss, mu, nest):
    """One epoch of SGD over the visits, in order, from ``network``.

    ``network`` is ``(Ws, bs, velocity)`` with ``Ws[k]`` of shape (out, in) (the notes'
    W and V) and is updated in place. Returns the weighted sum of the visits' losses,
    each taken at the weights its batch started from.
    """
    Ws, bs, velocity = network
    rows, weights, n = visits
    X = X.toarray() if sp.issparse(X) else X
    params = Ws + bs
    total_loss = 0.0
    for start in range(0, len(rows), batch_size):
        batch = range(start, min(start + batch_size, len(rows)))
        grads = [np.zeros_like(p) for p in params]
        for v in batch:
            x, y, w = X[rows[v]], Y[rows[v]], weights[v]
            a = [x]  # a[k]: the input of layer k
            for W, b in zip(Ws, bs):
                z = W @ a[-1] + b
                a.append(sigma(z))
            y_hat = a[-1]
            if loss == "squared_error":
                total_loss += w * 0.5 * np.sum((y_hat - y) ** 2)
                delta = (y_hat - y) * y_hat * (1 - y_hat)
            else:
                total_loss += w * np.sum(np.logaddexp(0, z) - y * z)
                delta = y_hat - y
            for k in range(len(Ws) - 1, -1, -1):
                grads[k] += w * np.outer(delta, a[k])
                grads[len(Ws) + k] += w * delta
                delta = (Ws[k].T @ delta) * a[k] * (1 - a[k])
        B, weight_share = len(batch), weights[list(batch)].sum() / len(batch)
        grads = [g / B for g in grads]
        for k, W in enumerate(Ws):
            grads[k] += alpha / n * weight_share * W
        for p, vel, g in zip(params, velocity, grads):
            vel *= mu
            vel -= lr * g
            p += mu * vel - lr * g if nest else vel
    return total_loss


def gradient_chain(network, X, Y, visits, *, lr, alpha, batch_size, loss, mu, nest):
    """The same epoch, each step's gradient from ``loss_and_gradients`` on its batch.

    On a batch of rows with weights ``w`` (sum ``S``) and L2 strength ``alpha S / n``,
    ``loss_and_gradients`` returns ``(1/S) [sum w grad f + (alpha S / n) W]``: ``B / S``
    times the step's ``g``. ``network`` is ``(coefs, intercepts, velocity)`` in the
    package's orientation, updated in place.
    """
    coefs, intercepts, velocity = network
    rows, weights, n = visits
    for start in range(0, len(rows), batch_size):
        batch = slice(start, start + batch_size)
        w = weights[batch]
        share = w.sum() / w.size
        _, coef_grads, intercept_grads = loss_and_gradients(
            coefs,
            intercepts,
            X[rows[batch]],
            Y[rows[batch]],
            loss=loss,
            alpha=alpha * w.sum() / n,
            sample_weight=w,
        )
        for p, vel, g in zip(
            coefs + intercepts, velocity, coef_grads + intercept_grads
        ):
            vel *= mu
            vel -= lr * share * g
            p += mu * vel - lr * share * g if nest else vel


# ------------------------------------------------------------- the public API side


def encoded_targets(est, y):
    """The targets the network is trained on, as the docstrings define them."""
    if isinstance(est, BackpropRegressor):
        y = y.reshape(len(y), -1)
        center = (est.target_max_ + est.target_min_) / 2
        half_range = (est.target_max_ - est.target_min_) / 2
        return 0.5 + 0.4 * (y - center) / half_range
    if len(est.classes_) == 2:
        return (y == est.classes_[1]).astype(float)[:, None]
    return (y[:, None] == est.classes_).astype(float)


def started(Estimator, X, y, **params):
    """An estimator after one epoch without momentum (so with zero velocity)."""
    est = Estimator(shuffle=False, random_state=0, **params)
    momentum = est.momentum
    est.set_params(momentum=0.0)
    if isinstance(est, BackpropClassifier):
        est.partial_fit(X, y, classes=np.unique(y))
    else:
        est.partial_fit(X, y)
    return est.set_params(momentum=momentum)


def network_of(est):
    coefs = [W.copy() for W in est.coefs_]
    intercepts = [b.copy() for b in est.intercepts_]
    return coefs, intercepts


def assert_same_network(coefs, intercepts, est):
    for got, expected in zip(est.coefs_ + est.intercepts_, coefs + intercepts):
        assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def epochs_both_ways(est, X, y, sample_weight, epochs=2):
    """Train ``epochs`` partial_fit epochs; return what the references expect:
    ``[(coefs, intercepts, loss)]`` from ``reference_epoch`` and the network from
    ``gradient_chain``."""
    p = est.get_params()
    steps = dict(
        lr=p["learning_rate_init"],
        alpha=p["alpha"],
        batch_size=p["batch_size"],
        loss=p["loss"],
        mu=p["momentum"],
        nest=p["nesterovs_momentum"],
    )
    coefs, intercepts = network_of(est)
    Ws, bs = [W.T.copy() for W in coefs], [b.copy() for b in intercepts]
    ref = (Ws, bs, [np.zeros_like(a) for a in Ws + bs])
    chain = (coefs, intercepts, [np.zeros_like(a) for a in coefs + intercepts])
    Y = encoded_targets(est, y)
    visits = visits_of(np.ones(len(y)) if sample_weight is None else sample_weight)
    n = visits[2]
    losses = []
    for _ in range(epochs):
        data_loss = reference_epoch(ref, X, Y, visits, **steps)
        penalty = 0.5 * p["alpha"] * sum(np.sum(W**2) for W in Ws)
        losses.append((data_loss + penalty) / n)
        gradient_chain(chain, X, Y, visits, **steps)
        est.partial_fit(X, y, sample_weight=sample_weight)
    return [W.T for W in Ws], bs, losses, chain[:2]


def data(rng, sparse=False, task="binary", n=12, d=5):
    X = rng.normal(size=(n, d))
    if sparse:
        X[rng.uniform(size=X.shape) < 0.6] = 0
        X = sp.csr_matrix(X)
    if task == "regression":
        return X, np.c_[rng.normal(size=n) + 3, rng.uniform(size=n)]
    return X, rng.randint(2 if task == "binary" else 3, size=n)


CASES = {
    # name: (estimator, data options, parameters)
    "two hidden layers": (BackpropClassifier, {}, dict(alpha=0.5)),
    "three hidden layers, log loss": (
        BackpropClassifier,
        dict(task="multiclass"),
        dict(hidden_layer_sizes=(4, 3, 2), loss="log_loss", alpha=0.3),
    ),
    "mini-batches": (BackpropClassifier, {}, dict(batch_size=5, alpha=0.5)),
    "sparse, per-sample": (BackpropClassifier, dict(sparse=True), dict(alpha=0.8)),
    "sparse, mini-batches": (
        BackpropClassifier,
        dict(sparse=True),
        dict(batch_size=4, alpha=0.8, loss="log_loss"),
    ),
    # lr * alpha / n = 1: each step's decay takes the whole weight (unit weights).
    "sparse, per-sample, whole-weight decay": (
        BackpropClassifier,
        dict(sparse=True),
        dict(alpha=24.0, learning_rate_init=0.5),
    ),
    "sparse, per-sample momentum": (
        BackpropClassifier,
        dict(sparse=True),
        dict(momentum=0.8, nesterovs_momentum=False, alpha=0.8),
    ),
    "momentum, mini-batches": (
        BackpropRegressor,
        dict(task="regression"),
        dict(batch_size=3, momentum=0.9, nesterovs_momentum=False, alpha=0.4),
    ),
    "Nesterov, per-sample": (
        BackpropClassifier,
        dict(task="multiclass"),
        dict(momentum=0.9, alpha=0.4),
    ),
    "Nesterov, per-sample, regression": (
        BackpropRegressor,
        dict(task="regression"),
        dict(momentum=0.7, alpha=0.2, loss="log_loss"),
    ),
    "Nesterov, mini-batches": (
        BackpropClassifier,
        dict(sparse=True),
        dict(batch_size=5, momentum=0.9, alpha=0.4),
    ),
}

#: Integer weights (repeated visits of weight 1), and weights that are not counts.
WEIGHTS = {
    "unit": lambda n: None,
    "integer": lambda n: np.resize([2, 1, 0, 3], n),
    "fractional": lambda n: np.resize([2.5, 1, 0.25, 0, 1.75, 0.6], n),
    "fractional, mean below 1": lambda n: np.resize([0.3, 0.05, 0.7, 0, 0.45], n),
}


@pytest.mark.parametrize("weights", list(WEIGHTS))
@pytest.mark.parametrize("case", list(CASES))
def test_epochs_match_the_reference_and_loss_and_gradients(rng, case, weights):
    Estimator, data_options, params = CASES[case]
    X, y = data(rng, **data_options)
    params = {"hidden_layer_sizes": (4, 3), "learning_rate_init": 0.3, **params}
    est = started(Estimator, X, y, **params)
    sample_weight = WEIGHTS[weights](len(y))
    coefs, intercepts, losses, chain = epochs_both_ways(est, X, y, sample_weight)
    assert_same_network(coefs, intercepts, est)
    assert_same_network(*chain, est)
    # The epoch loss: the visits' weighted losses plus the penalty at the epoch's end.
    assert_allclose(est.loss_curve_[-2:], losses, rtol=1e-12)


@pytest.mark.parametrize("weights", ["unit", "fractional"])
def test_a_fit_epoch_of_many_passes_reports_the_mean_pass_loss(rng, weights):
    """On small data an epoch of ``fit`` is several whole passes (at least
    MIN_EPOCH_VISITS visits): the network follows every pass, and the epoch's loss is
    the mean of the passes' losses, on the scale of a one-pass epoch."""
    X, y = data(rng)
    params = dict(hidden_layer_sizes=(4, 3), learning_rate_init=0.3, alpha=0.5)
    est = started(BackpropClassifier, X, y, momentum=0.0, **params)
    sample_weight = WEIGHTS[weights](len(y))
    visits = visits_of(np.ones(len(y)) if sample_weight is None else sample_weight)
    passes = -(-MIN_EPOCH_VISITS // len(visits[0]))
    assert passes > 50
    coefs, intercepts = network_of(est)
    Ws, bs = [W.T.copy() for W in coefs], [b.copy() for b in intercepts]
    network = (Ws, bs, [np.zeros_like(a) for a in Ws + bs])
    steps = dict(lr=0.3, alpha=0.5, batch_size=1, loss="squared_error", mu=0, nest=True)
    Y = encoded_targets(est, y)
    data_loss = [reference_epoch(network, X, Y, visits, **steps) for _ in range(passes)]
    penalty = 0.5 * 0.5 * sum(np.sum(W**2) for W in Ws)
    est.set_params(warm_start=True, max_iter=1, tol=0.0)
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        est.fit(X, y, sample_weight=sample_weight)
    assert_same_network([W.T for W in Ws], bs, est)
    assert_allclose(est.loss_, (np.mean(data_loss) + penalty) / visits[2], rtol=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weights", ["unit", "integer", "fractional"])
def test_a_full_batch_step_descends_the_documented_objective(
    rng, loss, sparse, weights
):
    """One batch of all B visits: params - lr (n / B) grad F, with F and its gradient
    from ``loss_and_gradients`` (B = n for counts)."""
    X, y = data(rng, sparse=sparse)
    alpha, lr = 0.7, 0.4
    est = started(
        BackpropClassifier,
        X,
        y,
        hidden_layer_sizes=(3, 4),
        batch_size=100,
        loss=loss,
        alpha=alpha,
        learning_rate_init=lr,
    )
    coefs, intercepts = network_of(est)
    sample_weight = WEIGHTS[weights](len(y))
    w = np.ones(len(y)) if sample_weight is None else sample_weight
    B = np.ceil(w).sum()
    value, coef_grads, intercept_grads = loss_and_gradients(
        coefs,
        intercepts,
        X,
        encoded_targets(est, y),
        loss=loss,
        alpha=alpha,
        sample_weight=w,
    )
    est.partial_fit(X, y, sample_weight=sample_weight)
    expected = [
        p - lr * w.sum() / B * g
        for p, g in zip(coefs + intercepts, coef_grads + intercept_grads)
    ]
    k = len(coefs)
    assert_same_network(expected[:k], expected[k:], est)
    # loss_: the objective at the step's start, its penalty taken at the end.
    penalty = [
        0.5 * alpha * sum(np.sum(W**2) for W in Ws) for Ws in (coefs, expected[:k])
    ]
    assert_allclose(est.loss_, value + (penalty[1] - penalty[0]) / w.sum(), rtol=1e-12)


def test_invscaling_counts_samples_seen_not_epochs(rng):
    """After t visits in all, the step is learning_rate_init / (t + 1) ** power_t."""
    X, y = data(rng, n=10)
    w = np.array([2, 1, 1, 3, 1, 1, 0, 1, 2, 1])  # 13 visits
    est = started(
        BackpropClassifier,
        X,
        y,
        hidden_layer_sizes=(3,),
        learning_rate="invscaling",
        learning_rate_init=0.5,
        power_t=0.7,
        alpha=0.1,
    )
    assert est.t_ == 10
    coefs, intercepts = network_of(est)
    Ws = [W.T.copy() for W in coefs]
    ref = (Ws, intercepts, [np.zeros_like(a) for a in Ws + intercepts])
    Y = encoded_targets(est, y)
    for t in (10, 23):
        reference_epoch(
            ref,
            X,
            Y,
            visits_of(w),
            lr=0.5 / (t + 1) ** 0.7,
            alpha=0.1,
            batch_size=1,
            loss="squared_error",
            mu=0.0,
            nest=False,
        )
        est.partial_fit(X, y, sample_weight=w)
    assert est.t_ == 36
    assert_same_network([W.T for W in ref[0]], ref[1], est)


def test_classifier_partial_fit_trains_on_its_sample_weights(rng):
    """Integer weights visit a row as many times as its weight: the same epoch as
    repeated rows, and as the reference."""
    X, y = data(rng, task="multiclass")
    w = np.resize([0, 2, 1, 3], len(y))
    params = dict(hidden_layer_sizes=(4,), alpha=0.3, learning_rate_init=0.4)
    weighted = started(BackpropClassifier, X, y, **params)
    repeated = started(BackpropClassifier, X, y, **params)
    coefs, intercepts, _, _ = epochs_both_ways(weighted, X, y, w, epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        repeated.partial_fit(X.repeat(w, axis=0), y.repeat(w))
    assert_same_network(coefs, intercepts, weighted)
    assert_same_network(repeated.coefs_, repeated.intercepts_, weighted)


def test_shuffled_epochs_visit_every_row_once_in_a_new_order(rng):
    """With shuffling, each epoch is the reference epoch over exactly one order of
    the rows (all 24 orders of 4 rows are tried), and the order changes."""
    X, y = rng.normal(size=(4, 3)), np.array([0, 1, 0, 1])
    steps = dict(lr=0.5, alpha=0.2, batch_size=1, loss="squared_error", mu=0.0)
    clf = BackpropClassifier(
        hidden_layer_sizes=(3,),
        alpha=steps["alpha"],
        learning_rate_init=steps["lr"],
        random_state=0,
    ).partial_fit(X, y, classes=[0, 1])
    Y = encoded_targets(clf, y)
    orders = []
    for _ in range(6):
        coefs, intercepts = network_of(clf)
        clf.partial_fit(X, y)
        matches = []
        for order in itertools.permutations(range(4)):
            Ws, bs = [W.T.copy() for W in coefs], [b.copy() for b in intercepts]
            network = (Ws, bs, [np.zeros_like(a) for a in Ws + bs])
            visits = (np.array(order), np.ones(4), 4.0)
            reference_epoch(network, X, Y, visits, nest=False, **steps)
            expected = [W.T for W in Ws] + bs
            got = clf.coefs_ + clf.intercepts_
            if all(
                np.allclose(g, e, rtol=1e-12, atol=1e-14) for g, e in zip(got, expected)
            ):
                matches.append(order)
        assert len(matches) == 1
        orders += matches
    assert len(set(orders)) > 1
