"""SGD steps through the public API against an independent computation of the formulas.

The reference below is written in the notes' notation (one hidden layer, W: input to
hidden, V: hidden to output) and shares no code with the package.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier, BackpropRegressor


def sigma(z):
    return 1 / (1 + np.exp(-z))


def reference_epochs(
    coefs,
    intercepts,
    X,
    Y,
    *,
    lr,
    alpha,
    batch_size,
    loss="squared_error",
    momentum=0.0,
    nesterov=False,
    epochs=1,
):
    """SGD over X in order, from the weights given, as the notes write it."""
    W, V = coefs[0].T.copy(), coefs[1].T.copy()  # W: (m, d), V: (q, m)
    b, c = intercepts[0].copy(), intercepts[1].copy()
    params = [W, b, V, c]
    velocity = [np.zeros_like(p) for p in params]
    n = len(X)
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            grads = [np.zeros_like(p) for p in params]
            batch = range(start, min(start + batch_size, n))
            for i in batch:
                x, y = X[i], Y[i]
                h = sigma(W @ x + b)
                y_hat = sigma(V @ h + c)
                if loss == "squared_error":
                    delta = (y_hat - y) * y_hat * (1 - y_hat)
                else:
                    delta = y_hat - y
                gamma = (V.T @ delta) * h * (1 - h)
                grads[0] += np.outer(gamma, x)
                grads[1] += gamma
                grads[2] += np.outer(delta, h)
                grads[3] += delta
            grads = [g / len(batch) for g in grads]
            grads[0] += alpha / n * W
            grads[2] += alpha / n * V
            for p, v, g in zip(params, velocity, grads):
                v *= momentum
                v -= lr * g
                p += momentum * v - lr * g if nesterov else v
    return [W.T, V.T], [b, c]


@pytest.fixture
def binary_data(rng):
    X = rng.normal(size=(11, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def _one_more_epoch(est, X, y, **fit_params):
    coefs = [W.copy() for W in est.coefs_]
    intercepts = [b.copy() for b in est.intercepts_]
    est.partial_fit(X, y, **fit_params)
    return coefs, intercepts


@pytest.mark.parametrize("batch_size", [1, 4, 11])
@pytest.mark.parametrize("alpha", [0.0, 0.8])
@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
def test_classifier_epoch_matches_reference(binary_data, batch_size, alpha, loss):
    X, y = binary_data
    clf = BackpropClassifier(
        hidden_layer_sizes=(3,),
        batch_size=batch_size,
        alpha=alpha,
        loss=loss,
        shuffle=False,
        learning_rate_init=0.7,
        random_state=0,
    )
    clf.partial_fit(X, y, classes=[0, 1])
    coefs, intercepts = _one_more_epoch(clf, X, y)
    expected_coefs, expected_intercepts = reference_epochs(
        coefs,
        intercepts,
        X,
        y[:, None],
        lr=0.7,
        alpha=alpha,
        batch_size=batch_size,
        loss=loss,
    )
    for got, expected in zip(
        clf.coefs_ + clf.intercepts_, expected_coefs + expected_intercepts
    ):
        assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_regressor_epoch_matches_reference_with_scaled_targets(rng, batch_size):
    X = rng.normal(size=(9, 3))
    y = np.c_[X @ [1.0, -2.0, 0.5] + 30, X[:, 0] ** 2]
    reg = BackpropRegressor(
        hidden_layer_sizes=(4,),
        batch_size=batch_size,
        alpha=0.3,
        shuffle=False,
        learning_rate_init=0.5,
        random_state=0,
    )
    reg.partial_fit(X, y)
    coefs, intercepts = _one_more_epoch(reg, X, y)
    # Each target column mapped affinely onto [0.1, 0.9].
    Y = 0.1 + 0.8 * (y - y.min(axis=0)) / (y.max(axis=0) - y.min(axis=0))
    expected_coefs, expected_intercepts = reference_epochs(
        coefs, intercepts, X, Y, lr=0.5, alpha=0.3, batch_size=batch_size
    )
    for got, expected in zip(
        reg.coefs_ + reg.intercepts_, expected_coefs + expected_intercepts
    ):
        assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    h = sigma(X @ reg.coefs_[0] + reg.intercepts_[0])
    y_hat = sigma(h @ reg.coefs_[1] + reg.intercepts_[1])
    predicted = y.min(axis=0) + (y_hat - 0.1) / 0.8 * (y.max(axis=0) - y.min(axis=0))
    assert_allclose(reg.predict(X), predicted, rtol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_epochs_match_reference(binary_data, nesterov, one_pass_epochs):
    X, y = binary_data
    clf = BackpropClassifier(
        hidden_layer_sizes=(3,),
        shuffle=False,
        max_iter=1,
        random_state=0,
        learning_rate_init=0.3,
        batch_size=2,
        alpha=0.1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        coefs = [W.copy() for W in clf.coefs_]
        intercepts = [b.copy() for b in clf.intercepts_]
        # A warm start keeps the weights and starts a fresh (zero) velocity.
        clf.set_params(
            warm_start=True, max_iter=3, momentum=0.9, nesterovs_momentum=nesterov
        )
        clf.fit(X, y)
    expected_coefs, expected_intercepts = reference_epochs(
        coefs,
        intercepts,
        X,
        y[:, None],
        lr=0.3,
        alpha=0.1,
        batch_size=2,
        momentum=0.9,
        nesterov=nesterov,
        epochs=3,
    )
    for got, expected in zip(
        clf.coefs_ + clf.intercepts_, expected_coefs + expected_intercepts
    ):
        assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def _fit_quietly(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


def _assert_same_network(a, b):
    for got, expected in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(got, expected)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size", [1, 5])
def test_integer_weight_equals_repeated_rows(rng, shuffle, batch_size):
    X = rng.normal(size=(20, 3))
    y = rng.randint(3, size=20)
    w = rng.randint(0, 4, size=20)
    params = dict(
        hidden_layer_sizes=(5,),
        max_iter=5,
        shuffle=shuffle,
        batch_size=batch_size,
        random_state=1,
        alpha=0.2,
    )
    weighted = _fit_quietly(BackpropClassifier(**params), X, y, sample_weight=w)
    repeated = _fit_quietly(
        BackpropClassifier(**params), X.repeat(w, axis=0), y.repeat(w)
    )
    _assert_same_network(weighted, repeated)


def test_fractional_weight_is_a_partial_copy(rng):
    """Weight 2.5 trains exactly as rows of weights 1, 1 and 0.5, in any order.

    The row of weight 7 is kept whole, so that the split weights' mean stays above
    1 and they are read as counts too.
    """
    X, y = rng.normal(size=(8, 3)), rng.normal(size=8)
    w = np.array([2.5, 1, 0.25, 1, 7, 1, 1.75, 1])
    params = dict(hidden_layer_sizes=(4,), max_iter=4, random_state=3)
    weighted = _fit_quietly(BackpropRegressor(**params), X, y, sample_weight=w)
    pieces = [[v] if v == 7 else [1.0] * int(v) + ([v % 1] if v % 1 else []) for v in w]
    copies = [len(p) for p in pieces]
    X_split, y_split = X.repeat(copies, axis=0), y.repeat(copies)
    w_split = np.concatenate(pieces)
    assert w_split.mean() >= 1
    order = rng.permutation(len(y_split))
    split = _fit_quietly(
        BackpropRegressor(**params),
        X_split[order],
        y_split[order],
        sample_weight=w_split[order],
    )
    _assert_same_network(weighted, split)


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_row_order_does_not_matter_when_shuffling(rng, Estimator):
    X = rng.normal(size=(30, 4))
    y = rng.randint(2, size=30)
    params = dict(
        hidden_layer_sizes=(3, 2),
        max_iter=3,
        random_state=7,
        early_stopping=True,
        validation_fraction=0.2,
    )
    a = _fit_quietly(Estimator(**params), X, y)
    order = rng.permutation(30)
    b = _fit_quietly(Estimator(**params), X[order], y[order])
    _assert_same_network(a, b)
    assert a.validation_scores_ == b.validation_scores_


@pytest.mark.parametrize("batch_size", [1, 7])
def test_partial_fit_continues_exactly_as_fit(rng, batch_size):
    # At least MIN_EPOCH_VISITS rows, so that an epoch of fit is one pass, as
    # partial_fit's is.
    X, y = rng.normal(size=(1000, 3)), rng.randint(3, size=1000)
    params = dict(
        hidden_layer_sizes=(4,),
        batch_size=batch_size,
        random_state=0,
        learning_rate="invscaling",
        momentum=0.5,
    )
    fitted = _fit_quietly(BackpropClassifier(max_iter=4, **params), X, y)
    stepped = BackpropClassifier(**params)
    for _ in range(4):
        stepped.partial_fit(X, y, classes=[0, 1, 2])
    _assert_same_network(fitted, stepped)
    assert fitted.loss_curve_ == stepped.loss_curve_
    assert fitted.t_ == stepped.t_ == 4 * 1000


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
@pytest.mark.parametrize(
    "batch_size, momentum, alpha",
    [
        (4, 0.9, 0.5),  # mini-batches
        (1, 0.9, 0.5),  # per-sample with momentum: every row moves
        (1, 0.0, 0.5),  # per-sample L2 kept as a scale on the first layer
        (1, 0.0, 40.0),  # ... scale folded back into the weights mid-epoch
        (1, 0.0, 200.0),  # lr * alpha / n >= 0.5: decay applied row by row
    ],
)
def test_sparse_input_trains_as_dense(rng, Estimator, batch_size, momentum, alpha):
    X = rng.normal(size=(30, 6))
    X[rng.uniform(size=X.shape) < 0.6] = 0
    y = rng.randint(2, size=30)
    params = dict(
        hidden_layer_sizes=(4,),
        max_iter=3,
        random_state=0,
        alpha=alpha,
        momentum=momentum,
        batch_size=batch_size,
        learning_rate_init=0.1,
    )
    dense = _fit_quietly(Estimator(**params), X, y)
    for container in (sp.csr_matrix, sp.csc_matrix, sp.csr_array):
        sparse = _fit_quietly(Estimator(**params), container(X), y)
        for a, b in zip(
            dense.coefs_ + dense.intercepts_, sparse.coefs_ + sparse.intercepts_
        ):
            assert_allclose(a, b, rtol=1e-12, atol=1e-15)
        assert_allclose(dense.predict(X), sparse.predict(container(X)), rtol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 32])
@pytest.mark.parametrize("sparse", [False, True])
def test_float32_training_follows_float64_to_float32_precision(sparse, batch_size):
    # Steps are taken in float32 arithmetic: two epochs of digits stay within a
    # few float32 roundings of the same training in float64.
    X, y = load_digits(return_X_y=True)
    X = sp.csr_matrix(X / 16.0) if sparse else X / 16.0
    params = dict(
        max_iter=2,
        tol=0,
        random_state=0,
        learning_rate="constant",
        alpha=1e-3,
        batch_size=batch_size,
    )
    ours64 = _fit_quietly(BackpropClassifier(**params), X, y)
    ours32 = _fit_quietly(BackpropClassifier(**params), X.astype(np.float32), y)
    for a, b in zip(
        ours64.coefs_ + ours64.intercepts_, ours32.coefs_ + ours32.intercepts_
    ):
        assert b.dtype == np.float32
        assert_allclose(b, a, atol=1e-3)
    assert_allclose(ours32.loss_, ours64.loss_, rtol=1e-5)


def test_float32_input_trains_and_predicts_in_float32(rng):
    X = rng.normal(size=(40, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    clf = _fit_quietly(BackpropClassifier(hidden_layer_sizes=(4,), max_iter=5), X, y)
    assert all(W.dtype == np.float32 for W in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X).dtype == np.float32
    reg = _fit_quietly(
        BackpropRegressor(hidden_layer_sizes=(4,), max_iter=5), X, X[:, 1]
    )
    assert reg.predict(X).dtype == np.float32
    reg64 = _fit_quietly(
        BackpropRegressor(hidden_layer_sizes=(4,), max_iter=5),
        X.astype(np.float64),
        X[:, 1],
    )
    assert reg64.coefs_[0].dtype == np.float64


def test_compiled_sigmoid_is_as_accurate_as_the_c_library_formula():
    """The vectorised sigmoid of the compiled loops against an extended-precision
    reference: no worse than 1 / (1 + exp(-z)) with the C library's exp."""
    from sklearn_bp._sigmoid import sigmoid_inplace

    rng = np.random.default_rng(0)
    z = np.concatenate([5 * rng.normal(size=10**5), rng.uniform(-745, 40, 10**5)])
    exact = 1 / (1 + np.exp(-z.astype(np.longdouble)))
    normal = exact > np.finfo(np.float64).tiny  # the sigmoid's subnormal tail aside
    ulp = np.spacing(exact.astype(np.float64)).astype(np.longdouble)

    def worst_error_in_ulps(values):
        errors = np.abs(values.astype(np.longdouble) - exact) / ulp
        return float(np.max(errors[normal]))

    ours = z.copy()
    sigmoid_inplace(ours)
    with np.errstate(over="ignore"):  # exp(745): the C formula's sigmoid is 0
        c_formula = sigma(z)
    assert worst_error_in_ulps(ours) <= max(worst_error_in_ulps(c_formula), 1.0)
    assert worst_error_in_ulps(ours) < 2.5

    edges = np.array([np.nan, -np.inf, np.inf, 0.0, -800.0, 800.0, 36.0, -36.0])
    with np.errstate(over="ignore"):
        expected = sigma(edges)
    sigmoid_inplace(edges)
    assert_array_equal(edges, expected)

    z32 = (10 * rng.normal(size=10**5)).astype(np.float32)
    ours32 = z32.copy()
    sigmoid_inplace(ours32)
    assert_allclose(
        ours32, sigma(z32.astype(np.float64)), rtol=np.finfo(np.float32).eps
    )
