"""The network's math as pure functions over plain arrays.

Notation (docs/theory.rst): a sample ``x`` enters layer ``k`` as ``a_k`` (``a_0 = x``);
layer ``k`` computes ``a_{k+1} = sigmoid(a_k @ coefs[k] + intercepts[k])``. With one
hidden layer, ``coefs[0]`` is the transpose of the input-to-hidden matrix ``W`` and
``coefs[1]`` the transpose of the hidden-to-output matrix ``V``: ``h = a_1`` and
``yhat = a_2``.

The objective over ``n = sum(sample_weight)`` samples is

    F = (1/n) * [ sum_i w_i f_i  +  alpha/2 * sum_k ||coefs[k]||^2 ]

with ``f_i = sum_q 1/2 (yhat_q - y_q)^2`` (squared error) or the binary cross-entropy of
each sigmoid output (log loss). Intercepts are not penalised.

Nothing here touches an estimator: the compiled training loops in ``_sgd.py`` implement
the same formulas one sample at a time, and the tests hold them to these functions.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import safe_sparse_dot

from ._sigmoid import add_intercepts_and_sigmoid, sigmoid_inplace

LOSSES = ("squared_error", "log_loss")


def sigmoid_derivative(a):
    """sigma'(z) expressed through the unit's output ``a = sigma(z)``: ``a (1 - a)``."""
    return a * (1 - a)


def softplus(z):
    """log(1 + e^z), computed without overflow."""
    return np.logaddexp(0, z)


def forward_pass(coefs, intercepts, X):
    """Activations of every layer and the output layer's pre-activations (logits).

    Returns ``(activations, logits)`` where ``activations[0] is X`` and
    ``activations[-1] = sigmoid(logits)`` is the network's output.
    """
    activations = [X]
    for W, b in zip(coefs, intercepts):
        if W is coefs[0]:
            z = _input_product(X, W)
        else:
            z = np.ascontiguousarray(safe_sparse_dot(activations[-1], W))
        if W is not coefs[-1]:
            # In place, in one pass, for the hidden layers (the prediction path's
            # cost); the output layer keeps its logits.
            add_intercepts_and_sigmoid(z, b)
            activations.append(z)
        else:
            z += b
            logits, output = z, z.copy()
            sigmoid_inplace(output.reshape(-1))
            activations.append(output)
    return activations, logits


def _input_product(X, W):
    """X @ W, never NaN for finite X and W.

    Inputs near the float maximum can overflow the products to inf of both signs,
    whose sum is NaN. Those rows (and only those: the check is one pass over the
    result) are computed again scaled down by a power of two, which is exact,
    and scaled back: an entry beyond the float range becomes +-inf, which the
    sigmoid maps to 1 or 0.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # handled below
        Z = np.ascontiguousarray(safe_sparse_dot(X, W))
    overflowed = np.flatnonzero(~np.isfinite(Z).all(axis=1))
    if overflowed.size:
        rows = X[overflowed]
        largest = abs(rows).max(axis=1)
        largest = largest.toarray().ravel() if sp.issparse(largest) else largest
        scale = np.exp2(-np.ceil(np.log2(largest)))[:, None]
        scaled = rows.multiply(scale).tocsr() if sp.issparse(rows) else rows * scale
        with np.errstate(over="ignore"):
            Z[overflowed] = safe_sparse_dot(scaled, W) / scale
    return Z


def sample_losses(Y_hat, logits, Y, loss):
    """Per-sample loss ``f_i``, summed over the outputs ``q``.

    The log loss is written through the logits, ``softplus(z) - y z``, which equals
    ``-y log(yhat) - (1 - y) log(1 - yhat)`` but stays finite when a sigmoid saturates.
    """
    if loss == "squared_error":
        return 0.5 * ((Y_hat - Y) ** 2).sum(axis=1)
    return (softplus(logits) - Y * logits).sum(axis=1)


def output_delta(Y_hat, Y, loss):
    """df_i/dz at the output layer (the notes' delta_q).

    Squared error: ``(yhat - y) * yhat * (1 - yhat)``, the chain rule through the
    sigmoid. Only the log loss, the sigmoid's canonical pair, reduces to ``yhat - y``.
    """
    if loss == "squared_error":
        return (Y_hat - Y) * sigmoid_derivative(Y_hat)
    return Y_hat - Y


def l2_penalty(coefs, alpha):
    """``alpha/2 * sum_k ||coefs[k]||^2`` (not yet divided by n)."""
    return 0.5 * alpha * sum(float(np.vdot(W, W)) for W in coefs)


def loss_and_gradients(coefs, intercepts, X, Y, *, loss, alpha, sample_weight=None):
    """The objective ``F`` and its gradients, by backpropagation.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        ``coefs[k]`` of shape (n_in, n_out), ``intercepts[k]`` of shape (n_out,).
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in the sigmoid's range [0, 1].
    loss : {"squared_error", "log_loss"}
    alpha : float
        L2 strength, relative to the summed loss.
    sample_weight : ndarray of shape (n_samples,), default=None
        A weight ``k`` counts the sample ``k`` times.

    Returns
    -------
    value : float
    coef_grads, intercept_grads : list of ndarray
        Gradients of ``value``, shaped like ``coefs`` and ``intercepts``.
    """
    if sample_weight is None:
        sample_weight = np.ones(X.shape[0])
    n = sample_weight.sum()
    activations, logits = forward_pass(coefs, intercepts, X)
    value = (sample_weight @ sample_losses(activations[-1], logits, Y, loss)) / n
    value += l2_penalty(coefs, alpha) / n

    # Work back from the output layer to the input layer; every gradient is taken
    # at the same (current) weights.
    delta = output_delta(activations[-1], Y, loss) * sample_weight[:, None]
    coef_grads, intercept_grads = [], []
    for k in range(len(coefs) - 1, -1, -1):
        coef_grads.append(
            (safe_sparse_dot(activations[k].T, delta) + alpha * coefs[k]) / n
        )
        intercept_grads.append(delta.sum(axis=0) / n)
        if k > 0:
            delta = (delta @ coefs[k].T) * sigmoid_derivative(activations[k])
    return value, coef_grads[::-1], intercept_grads[::-1]
