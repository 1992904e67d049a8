"""Compiled stochastic gradient descent: one epoch over the training visits.

The loops mirror ``_network.loss_and_gradients`` one sample at a time. A *visit* is one
(row, weight) pair: a sample of integer weight ``k`` is visited ``k`` times with weight 1,
and a fractional remainder adds one visit of that smaller weight (see ``_visits.py``).

A step over a batch of ``B`` visits (``B = 1`` is the classic per-sample SGD) is

    g = (1/B) * sum_{visits v} w_v * grad f_v  +  (alpha/n) * W     (W: weights only)
    velocity <- momentum * velocity - learning_rate * g
    params   <- params + velocity          (Nesterov: + momentum * velocity - lr * g)

with every gradient of a step taken at the weights the step starts from. With
``momentum = 0`` this is ``params <- params - learning_rate * g``.

All parameters live in one flat vector; ``Layout`` says where each layer's matrix
``coefs[k]`` (row-major, shape ``(sizes[k], sizes[k+1])``) and intercepts sit, and
where each layer's units sit in the per-sample work buffers.
"""

from collections import namedtuple

import numpy as np
from numba import njit

#: Where each layer lives in the flat parameter vector and in the unit buffers.
Layout = namedtuple(
    "Layout", ["sizes", "coef_offsets", "intercept_offsets", "unit_offsets"]
)

#: The training rows, dense (``dense``) or CSR (``data``, ``indices``, ``indptr``).
#: The representation not in use is an empty placeholder.
Inputs = namedtuple("Inputs", ["is_sparse", "dense", "data", "indices", "indptr"])

#: One epoch's step rule. ``l2`` is ``alpha / n``, added as ``l2 * W`` to each step.
StepRule = namedtuple(
    "StepRule",
    ["learning_rate", "momentum", "nesterov", "l2", "log_loss", "batch_size"],
)


def make_layout(sizes):
    """Offsets of every layer in the flat parameter vector and in the unit buffers."""
    sizes = np.asarray(sizes, dtype=np.int64)
    n_layers = len(sizes) - 1
    coef_offsets = np.empty(n_layers, dtype=np.int64)
    intercept_offsets = np.empty(n_layers, dtype=np.int64)
    unit_offsets = np.zeros(n_layers + 1, dtype=np.int64)
    offset = 0
    for k in range(n_layers):
        coef_offsets[k] = offset
        offset += sizes[k] * sizes[k + 1]
        intercept_offsets[k] = offset
        offset += sizes[k + 1]
        unit_offsets[k + 1] = unit_offsets[k] + sizes[k + 1]
    return Layout(sizes, coef_offsets, intercept_offsets, unit_offsets)


def n_params(layout):
    """Length of the flat parameter vector."""
    return int(layout.intercept_offsets[-1] + layout.sizes[-1])


@njit(cache=True, nogil=True)
def _sigmoid(z):
    # Two branches so that exp never overflows.
    if z >= 0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@njit(cache=True, nogil=True)
def _softplus(z):
    return max(z, 0.0) + np.log1p(np.exp(-abs(z)))


@njit(cache=True, nogil=True)
def _coefs(params, layout, k):
    start = layout.coef_offsets[k]
    n_in, n_out = layout.sizes[k], layout.sizes[k + 1]
    return params[start : start + n_in * n_out].reshape((n_in, n_out))


@njit(cache=True, nogil=True)
def _intercepts(params, layout, k):
    start = layout.intercept_offsets[k]
    return params[start : start + layout.sizes[k + 1]]


@njit(cache=True, nogil=True)
def _units(buffer, layout, k):
    """The outputs of weight layer k (a_{k+1}) inside a per-sample unit buffer."""
    return buffer[layout.unit_offsets[k] : layout.unit_offsets[k + 1]]


@njit(cache=True, nogil=True)
def _row(inputs, i):
    """Row i as (values, columns); for a dense row, columns is empty."""
    if inputs.is_sparse:
        start, stop = inputs.indptr[i], inputs.indptr[i + 1]
        return inputs.data[start:stop], inputs.indices[start:stop]
    return inputs.dense[i], inputs.indices[:0]


@njit(cache=True, nogil=True)
def _add_row_times_matrix(values, columns, is_sparse, W, z):
    """z += x @ W for an input row x given as (values, columns) or densely."""
    for p in range(values.size):
        row = columns[p] if is_sparse else p
        x = values[p]
        for j in range(z.size):
            z[j] += x * W[row, j]


@njit(cache=True, nogil=True)
def _forward(values, columns, is_sparse, params, layout, units, logits):
    """a_{k+1} = sigmoid(a_k @ coefs[k] + intercepts[k]), from the input row up.

    Each layer's outputs go to ``units``; the output layer's pre-activations (needed
    by the log loss) to ``logits``.
    """
    n_layers = layout.sizes.size - 1
    for k in range(n_layers):
        z = _units(units, layout, k)
        z[:] = _intercepts(params, layout, k)
        W = _coefs(params, layout, k)
        if k == 0:
            _add_row_times_matrix(values, columns, is_sparse, W, z)
        else:
            _add_row_times_matrix(_units(units, layout, k - 1), columns, False, W, z)
        if k == n_layers - 1:
            logits[:] = z
        for j in range(z.size):
            z[j] = _sigmoid(z[j])


@njit(cache=True, nogil=True)
def _sample_loss(y_hat, logits, y, log_loss):
    """f = sum_q 1/2 (yhat_q - y_q)^2, or the cross-entropy softplus(z) - y z."""
    total = 0.0
    for q in range(y.size):
        if log_loss:
            total += _softplus(logits[q]) - y[q] * logits[q]
        else:
            total += 0.5 * (y_hat[q] - y[q]) ** 2
    return total


@njit(cache=True, nogil=True)
def _output_delta(y_hat, y, weight, log_loss, delta):
    """delta_q = w * df/dz_q: (yhat - y) * yhat (1 - yhat), or yhat - y (log loss)."""
    for q in range(y.size):
        if log_loss:
            delta[q] = weight * (y_hat[q] - y[q])
        else:
            delta[q] = weight * (y_hat[q] - y[q]) * y_hat[q] * (1.0 - y_hat[q])


@njit(cache=True, nogil=True)
def _accumulate_gradient(values, columns, is_sparse, params, layout, units, deltas, grad):
    """Add one sample's gradient to ``grad``, from the output layer back to the input.

    On entry the output layer's delta is in ``deltas``. For layer k with input a_k:
    grad coefs[k] += a_k (outer) delta_k, grad intercepts[k] += delta_k, and the layer
    below gets delta_{k-1} = (coefs[k] @ delta_k) * a_k (1 - a_k), the notes' gamma.
    """
    for k in range(layout.sizes.size - 2, -1, -1):
        delta = _units(deltas, layout, k)
        G = _coefs(grad, layout, k)
        g_b = _intercepts(grad, layout, k)
        for j in range(delta.size):
            g_b[j] += delta[j]
        if k == 0:
            for p in range(values.size):
                row = columns[p] if is_sparse else p
                x = values[p]
                for j in range(delta.size):
                    G[row, j] += x * delta[j]
            continue
        W = _coefs(params, layout, k)
        a = _units(units, layout, k - 1)
        below = _units(deltas, layout, k - 1)
        for i in range(a.size):
            x = a[i]
            back = 0.0
            for j in range(delta.size):
                G[i, j] += x * delta[j]
                back += W[i, j] * delta[j]
            below[i] = back * x * (1.0 - x)


@njit(cache=True, nogil=True)
def _apply_step(params, grad, velocity, layout, rule, batch_size):
    """One SGD (or momentum) step from the summed gradient of a batch; zeroes grad."""
    lr, mu = rule.learning_rate, rule.momentum
    n_layers = layout.sizes.size - 1
    for k in range(n_layers):
        start = layout.coef_offsets[k]
        stop = layout.intercept_offsets[k] + layout.sizes[k + 1]
        weights_stop = layout.intercept_offsets[k]
        for i in range(start, stop):
            g = grad[i] / batch_size
            if i < weights_stop:
                g += rule.l2 * params[i]
            if mu == 0.0:
                params[i] -= lr * g
            else:
                velocity[i] = mu * velocity[i] - lr * g
                if rule.nesterov:
                    params[i] += mu * velocity[i] - lr * g
                else:
                    params[i] += velocity[i]
            grad[i] = 0.0


@njit(cache=True, nogil=True)
def run_epoch(inputs, Y, visit_rows, visit_weights, params, velocity, layout, rule):
    """One pass of SGD over the visits, in the order given; updates params in place.

    Returns the weighted sum of the per-visit losses, each taken at the weights in
    force when its batch started.
    """
    dtype = params.dtype
    n_units = layout.unit_offsets[-1]
    units = np.empty(n_units, dtype=dtype)
    deltas = np.empty(n_units, dtype=dtype)
    logits = np.empty(layout.sizes[-1], dtype=dtype)
    grad = np.zeros_like(params)
    out = layout.sizes.size - 2
    total_loss = 0.0
    n_visits = visit_rows.size
    for batch_start in range(0, n_visits, rule.batch_size):
        batch_stop = min(batch_start + rule.batch_size, n_visits)
        for v in range(batch_start, batch_stop):
            i, weight = visit_rows[v], visit_weights[v]
            values, columns = _row(inputs, i)
            _forward(values, columns, inputs.is_sparse, params, layout, units, logits)
            y_hat = _units(units, layout, out)
            total_loss += weight * _sample_loss(y_hat, logits, Y[i], rule.log_loss)
            _output_delta(y_hat, Y[i], weight, rule.log_loss, _units(deltas, layout, out))
            _accumulate_gradient(
                values, columns, inputs.is_sparse, params, layout, units, deltas, grad
            )
        _apply_step(params, grad, velocity, layout, rule, batch_stop - batch_start)
    return total_loss


def unpack(params, layout):
    """Views of the flat vector as (coefs, intercepts) lists, shaped as scikit-learn's."""
    sizes = layout.sizes
    coefs, intercepts = [], []
    for k in range(sizes.size - 1):
        start = layout.coef_offsets[k]
        coefs.append(params[start : start + sizes[k] * sizes[k + 1]].reshape(sizes[k], -1))
        start = layout.intercept_offsets[k]
        intercepts.append(params[start : start + sizes[k + 1]])
    return coefs, intercepts


def pack(coefs, intercepts, dtype):
    """The flat parameter vector of (coefs, intercepts), as a new array."""
    parts = []
    for W, b in zip(coefs, intercepts):
        parts += [np.ravel(W), np.ravel(b)]
    return np.concatenate(parts).astype(dtype, copy=False)
