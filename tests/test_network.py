"""The pure math of _network against central differences and hand-written formulas."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sklearn_bp._network import forward_pass, loss_and_gradients


def _random_network(rng, sizes):
    coefs = [rng.normal(scale=0.7, size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    intercepts = [rng.normal(scale=0.3, size=b) for b in sizes[1:]]
    return coefs, intercepts


def _flatten(coefs, intercepts):
    return np.concatenate([a.ravel() for a in coefs + intercepts])


def _unflatten(theta, coefs, intercepts):
    out, start = [], 0
    for a in coefs + intercepts:
        out.append(theta[start : start + a.size].reshape(a.shape))
        start += a.size
    return out[: len(coefs)], out[len(coefs) :]


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
@pytest.mark.parametrize("sizes", [[4, 3, 1], [4, 5, 3, 3], [6, 2, 4, 3, 2]])
@pytest.mark.parametrize("sparse", [False, True])
def test_gradient_matches_central_differences(rng, loss, sizes, sparse):
    n = 7
    coefs, intercepts = _random_network(rng, sizes)
    X = rng.normal(size=(n, sizes[0]))
    X[X < -0.5] = 0  # some structural zeros for the sparse case
    X = sp.csr_matrix(X) if sparse else X
    # Classifier-like 0/1 targets for one output, regressor-like targets otherwise.
    if sizes[-1] == 1:
        Y = rng.randint(2, size=(n, 1)).astype(float)
    else:
        Y = rng.uniform(0.1, 0.9, size=(n, sizes[-1]))
    sample_weight = rng.randint(0, 4, size=n) + rng.uniform(size=n)
    alpha = 0.7

    def objective(theta):
        c, b = _unflatten(theta, coefs, intercepts)
        return loss_and_gradients(
            c, b, X, Y, loss=loss, alpha=alpha, sample_weight=sample_weight
        )[0]

    theta = _flatten(coefs, intercepts)
    eps = 1e-6
    numeric = np.array(
        [
            (objective(theta + eps * e) - objective(theta - eps * e)) / (2 * eps)
            for e in np.eye(theta.size)
        ]
    )
    _, coef_grads, intercept_grads = loss_and_gradients(
        coefs, intercepts, X, Y, loss=loss, alpha=alpha, sample_weight=sample_weight
    )
    assert_allclose(
        _flatten(coef_grads, intercept_grads), numeric, rtol=1e-6, atol=1e-9
    )


def test_objective_matches_the_notes_formulas(rng):
    """One hidden layer in the notes' notation: h = s(W x), yhat = s(V h)."""
    n, d, m, q = 5, 3, 4, 2
    W, V = rng.normal(size=(m, d)), rng.normal(size=(q, m))
    b_h, b_o = rng.normal(size=m), rng.normal(size=q)
    X, Y = rng.normal(size=(n, d)), rng.uniform(size=(n, q))
    alpha = 0.3
    s = lambda z: 1 / (1 + np.exp(-z))
    f = 0.0
    for x, y in zip(X, Y):
        h = s(W @ x + b_h)
        y_hat = s(V @ h + b_o)
        f += 0.5 * np.sum((y_hat - y) ** 2)
    expected = (f + alpha / 2 * (np.sum(W**2) + np.sum(V**2))) / n
    value, _, _ = loss_and_gradients(
        [W.T, V.T], [b_h, b_o], X, Y, loss="squared_error", alpha=alpha
    )
    assert_allclose(value, expected, rtol=1e-14)


def test_log_loss_is_the_binary_cross_entropy(rng):
    coefs, intercepts = _random_network(rng, [3, 4, 2])
    X, Y = rng.normal(size=(6, 3)), rng.randint(2, size=(6, 2)).astype(float)
    activations, _ = forward_pass(coefs, intercepts, X)
    P = activations[-1]
    expected = -np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P)) / 6
    value, _, _ = loss_and_gradients(coefs, intercepts, X, Y, loss="log_loss", alpha=0)
    assert_allclose(value, expected, rtol=1e-13)


def test_log_loss_stays_finite_when_the_output_saturates():
    coefs, intercepts = [np.array([[1000.0]])], [np.array([0.0])]
    X, Y = np.array([[1.0], [-1.0]]), np.array([[0.0], [1.0]])
    value, coef_grads, _ = loss_and_gradients(
        coefs, intercepts, X, Y, loss="log_loss", alpha=0
    )
    assert_allclose(value, 1000.0)
    assert np.all(np.isfinite(coef_grads[0]))
