"""Compiled stochastic gradient descent: one epoch over the training visits.

The loops mirror ``_network.loss_and_gradients`` one sample at a time. A *visit* is
one (row, weight) pair: a sample of integer weight ``k`` is visited ``k`` times with
weight 1, and a fractional remainder adds one visit of that smaller weight (see
``_visits.py``).

A step over a batch of ``B`` visits (``B = 1`` is the classic per-sample SGD) is

    g = (1/B) * sum_{visits v} w_v * grad f_v  +  (alpha/n) * (sum_v w_v / B) * W
    velocity <- momentum * velocity - learning_rate * g
    params   <- params + velocity          (Nesterov: + momentum * velocity - lr * g)

with every gradient of a step taken at the weights the step starts from (W: weights
only, intercepts are not penalised). With ``momentum = 0`` this is
``params <- params - learning_rate * g``. Each visit carries its share of the L2
penalty in proportion to its weight, so that over an epoch the steps add up to the
gradient of the objective of ``_network.loss_and_gradients``; with unit weights the
penalty term is ``(alpha/n) * W``.

All parameters live in one flat vector; ``Layout`` says where each layer's matrix
``coefs[k]`` (row-major, shape ``(sizes[k], sizes[k+1])``) and intercepts sit, and
where each layer's units sit in the per-sample work buffers.
"""

from collections import namedtuple

import numpy as np

from ._jit import compiled, helper
from ._sigmoid import sigmoid_inplace

#: Where each layer lives in the flat parameter vector and in the unit buffers.
Layout = namedtuple(
    "Layout", ["sizes", "coef_offsets", "intercept_offsets", "unit_offsets"]
)

#: The training rows, dense (``dense``) or CSR (``data``, ``indices``, ``indptr``).
#: The representation not in use is an empty placeholder.
Inputs = namedtuple("Inputs", ["is_sparse", "dense", "data", "indices", "indptr"])

#: One epoch's step rule. ``l2`` is ``alpha / n``, added as ``l2 * w * W`` to the
#: step of a visit of weight ``w`` (the batch's mean weight for a mini-batch).
StepRule = namedtuple(
    "StepRule",
    ["learning_rate", "momentum", "nesterov", "l2", "log_loss", "batch_size"],
)


#: Compiled once per argument types and cached on disk. Reassociation lets LLVM
#: vectorise the dot products of the backward pass; nothing here relies on the
#: order of a sum.
_compiled = compiled(fastmath={"reassoc", "contract"})
#: Helpers, called only from compiled code (``_jit.helper``).
_helper = helper(fastmath={"reassoc", "contract"})


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


@_helper
def _coefs(params, layout, k):
    start = layout.coef_offsets[k]
    n_in, n_out = layout.sizes[k], layout.sizes[k + 1]
    return params[start : start + n_in * n_out].reshape((n_in, n_out))


@_helper
def _intercepts(params, layout, k):
    start = layout.intercept_offsets[k]
    return params[start : start + layout.sizes[k + 1]]


@_helper
def _units(buffer, layout, k):
    """The outputs of weight layer k (a_{k+1}) inside a per-sample unit buffer."""
    return buffer[layout.unit_offsets[k] : layout.unit_offsets[k + 1]]


@_helper
def _row(inputs, i):
    """Row i as (values, columns); for a dense row, columns is empty."""
    if inputs.is_sparse:
        start, stop = inputs.indptr[i], inputs.indptr[i + 1]
        return inputs.data[start:stop], inputs.indices[start:stop]
    return inputs.dense[i], inputs.indices[:0]


@_helper
def _sample_loss(y_hat, logits, y, log_loss):
    """f = sum_q 1/2 (yhat_q - y_q)^2, or the cross-entropy softplus(z) - y z."""
    total = 0.0
    for q in range(y.size):
        if log_loss:
            z = logits[q]
            total += max(z, 0.0) + np.log1p(np.exp(-abs(z))) - y[q] * z
        else:
            total += 0.5 * (y_hat[q] - y[q]) ** 2
    return total


@_helper
def _output_delta(y_hat, y, weight, log_loss, delta):
    """delta_q = w * df/dz_q: (yhat - y) * yhat (1 - yhat), or yhat - y (log loss)."""
    for q in range(y.size):
        if log_loss:
            delta[q] = weight * (y_hat[q] - y[q])
        else:
            delta[q] = weight * (y_hat[q] - y[q]) * y_hat[q] * (1.0 - y_hat[q])


@_helper
def _batch_units(buffer, layout, k, n_rows):
    """Layer k's outputs for a batch of n_rows samples: a (n_rows, n_units) view."""
    start = layout.unit_offsets[k] * n_rows
    stop = layout.unit_offsets[k + 1] * n_rows
    return buffer[start:stop].reshape((n_rows, layout.sizes[k + 1]))


@_helper
def _update_row(W_row, v_row, x, delta, rule, l2):
    """One row of a per-sample step: W_row -= lr * (x * delta + l2 * W_row).

    With momentum the same gradient goes through the velocity ``v_row``. The step
    is taken in the weights' precision (``x`` and ``l2`` are too).
    """
    real = W_row.dtype.type
    lr, mu = real(rule.learning_rate), real(rule.momentum)
    if mu == 0.0:
        for j in range(delta.size):
            W_row[j] -= lr * (x * delta[j] + l2 * W_row[j])
        return
    for j in range(delta.size):
        g = x * delta[j] + l2 * W_row[j]
        v_row[j] = mu * v_row[j] - lr * g
        if rule.nesterov:
            W_row[j] += mu * v_row[j] - lr * g
        else:
            W_row[j] += v_row[j]


@_helper
def _step_segment(params, grad, velocity, start, stop, rule, batch_size, l2):
    """SGD or momentum step on params[start:stop], then grad[start:stop] = 0.

    l2 is 0 for intercepts. The step is taken in the parameters' precision.
    """
    real = params.dtype.type
    lr, mu = real(rule.learning_rate), real(rule.momentum)
    scale, l2 = real(1.0 / batch_size), real(l2)
    p, g = params[start:stop], grad[start:stop]
    if mu == 0.0:
        for i in range(p.size):
            p[i] -= lr * (g[i] * scale + l2 * p[i])
            g[i] = 0.0
        return
    v = velocity[start:stop]
    for i in range(p.size):
        step = g[i] * scale + l2 * p[i]
        v[i] = mu * v[i] - lr * step
        if rule.nesterov:
            p[i] += mu * v[i] - lr * step
        else:
            p[i] += v[i]
        g[i] = 0.0


@_compiled
def _sample_epoch(
    inputs, Y, visit_rows, visit_weights, order, params, velocity, layout, rule
):
    """Per-sample SGD over the visits; returns the weighted sum of their losses.

    Written as one function that calls only a few small loops: numba compiles each
    called function on its own and again inside its caller, so every level of calls
    adds to the compilation that a first fit pays.
    """
    dtype = params.dtype
    n_layers = layout.sizes.size - 1
    units = np.empty(layout.unit_offsets[-1], dtype=dtype)
    deltas = np.empty(units.size, dtype=dtype)
    logits = np.empty(layout.sizes[-1], dtype=dtype)
    dense_row = np.empty(layout.sizes[0] if inputs.is_sparse else 0, dtype=dtype)
    for i in range(dense_row.size):  # zeroed by a loop: np.zeros compiles slowly
        dense_row[i] = 0.0
    y_hat = _units(units, layout, n_layers - 1)
    # Every product of a step is taken in the weights' precision: float32 weights
    # would otherwise be promoted to float64 by the float64 step sizes and
    # constants, at twice the cost per multiply-add.
    real = dtype.type
    zero, one = real(0.0), real(1.0)
    lr, mu = real(rule.learning_rate), real(rule.momentum)
    # For sparse rows, the first layer is kept as scale * coefs[0] during the
    # epoch, so that its L2 decay costs one multiplication (see the step below);
    # the scale is folded back into the weights before it gets small, and at the
    # end. A step of more than half the weights (lr * l2 >= 0.5) is not a sensible
    # setting, but it is applied exactly, to every row, rather than as a scale.
    lazy_decay = inputs.is_sparse and mu == 0.0 and lr * rule.l2 < 0.5
    scale = 1.0
    total_loss = 0.0
    for t in range(order.size):
        v = order[t]
        row, weight = visit_rows[v], visit_weights[v]
        l2 = real(rule.l2 * weight)  # the visit's share of the penalty
        # The row as (values, columns); for a dense row, columns is empty.
        if inputs.is_sparse:
            start, stop = inputs.indptr[row], inputs.indptr[row + 1]
            values, columns = inputs.data[start:stop], inputs.indices[start:stop]
        else:
            values, columns = inputs.dense[row], inputs.indices[:0]

        # Forward pass, from the input row up:
        # a_{k+1} = sigmoid(a_k @ coefs[k] + intercepts[k]), with scale * coefs[0]
        # as the first layer's weights. The output layer's pre-activations (needed
        # by the log loss) are kept in ``logits``.
        for k in range(n_layers):
            z = _units(units, layout, k)
            # Copies are written as loops: numba's array-to-array slice assignment
            # costs seconds of compilation.
            for j in range(z.size):
                z[j] = 0.0
            W = _coefs(params, layout, k)
            # z += a_k @ W; only the input row can be sparse. Inner loops run over
            # zero-based ranges: numba cannot vectorise indexing by a general
            # range(start, stop).
            if k == 0:
                a, sparse = values, inputs.is_sparse
            else:
                a, sparse = _units(units, layout, k - 1), False
            for p in range(a.size):
                W_row = W[columns[p]] if sparse else W[p]
                a_p = a[p]
                for j in range(z.size):
                    z[j] += a_p * W_row[j]
            b = _intercepts(params, layout, k)
            layer_scale = real(scale) if k == 0 else one
            for j in range(z.size):
                z[j] = b[j] + layer_scale * z[j]
                if k == n_layers - 1:
                    logits[j] = z[j]
            sigmoid_inplace(z)

        y = Y[row]
        total_loss += weight * _sample_loss(y_hat, logits, y, rule.log_loss)
        _output_delta(
            y_hat, y, weight, rule.log_loss, _units(deltas, layout, n_layers - 1)
        )

        # Backpropagation with the update on the way, deep to shallow, as the notes
        # do it: for layer k, first the layer below's delta,
        # (coefs[k] @ delta_k) * a (1 - a), from the weights as they are, then the
        # step of coefs[k] and intercepts[k]. No gradient buffer is needed, and every
        # gradient of the step is taken at the same weights, as in the batch path.
        for k in range(n_layers - 1, -1, -1):
            delta = _units(deltas, layout, k)
            W, V = _coefs(params, layout, k), _coefs(velocity, layout, k)
            _update_row(
                _intercepts(params, layout, k),
                _intercepts(velocity, layout, k),
                one,
                delta,
                rule,
                zero,
            )
            if k > 0:
                a = _units(units, layout, k - 1)
                below = _units(deltas, layout, k - 1)
                for i in range(a.size):
                    back = zero
                    for j in range(delta.size):
                        back += W[i, j] * delta[j]
                    below[i] = back * a[i] * (one - a[i])
            elif lazy_decay:
                # The first layer is scale * coefs[0]: the L2 decay of every weight,
                # W <- (1 - lr l2) W, is a change of scale, and only the rows of the
                # non-zero inputs take their data gradient, divided by the new scale.
                # In float64 whatever the weights: the scale is a product over
                # many steps, and float32 rounding would build up in it.
                scale *= 1.0 - rule.learning_rate * rule.l2 * weight
                for p in range(values.size):
                    x_p = real(values[p] / scale)
                    _update_row(W[columns[p]], V[columns[p]], x_p, delta, rule, zero)
                continue
            # The step's input x: the layer below's outputs, or the input row. L2
            # decay or momentum moves every row of coefs[0], so a sparse row is
            # scattered into a dense one for this step, then cleared again.
            if k > 0:
                x = a
            elif inputs.is_sparse:
                for p in range(values.size):
                    dense_row[columns[p]] += values[p]
                x = dense_row
            else:
                x = values
            # W -= lr * (outer(x, delta) + l2 * W), or its momentum form. Rows are
            # indexed in place: a view of each row (as in _update_row) costs as
            # much as the arithmetic.
            for i in range(x.size):
                x_i = x[i]
                if mu == 0.0:
                    for j in range(delta.size):
                        W[i, j] -= lr * (x_i * delta[j] + l2 * W[i, j])
                else:
                    for j in range(delta.size):
                        g = x_i * delta[j] + l2 * W[i, j]
                        V[i, j] = mu * V[i, j] - lr * g
                        if rule.nesterov:
                            W[i, j] += mu * V[i, j] - lr * g
                        else:
                            W[i, j] += V[i, j]
            if k == 0 and inputs.is_sparse:
                for p in range(values.size):
                    dense_row[columns[p]] = 0.0

        # coefs[0] <- scale * coefs[0]: the first layer back at scale 1.
        if scale < 1e-3 or t == order.size - 1:
            W_first = params[: layout.intercept_offsets[0]]
            if scale != 1.0:
                for i in range(W_first.size):
                    W_first[i] *= scale
            scale = 1.0
    return total_loss


@_compiled
def _batch_epoch(
    inputs, Y, visit_rows, visit_weights, order, params, velocity, layout, rule
):
    """Mini-batch SGD over the visits; returns the weighted sum of their losses.

    One function over small loops and matrix products, as ``_sample_epoch``. A batch
    of B samples is a matrix per layer: its outputs A_{k+1} in ``acts`` and their
    deltas D_k in ``deltas``, one row per sample; A_0 is the input rows.
    """
    dtype, size = params.dtype, rule.batch_size
    n_layers = layout.sizes.size - 1
    batch_rows = np.empty(size, dtype=visit_rows.dtype)
    batch_weights = np.empty(size, dtype=visit_weights.dtype)
    acts = np.empty(layout.unit_offsets[-1] * size, dtype=dtype)
    deltas = np.empty(acts.size, dtype=dtype)
    logits = np.empty((size, layout.sizes[-1]), dtype=dtype)
    # Dense rows are gathered into X_batch for BLAS products; sparse rows go
    # through their non-zeros.
    X_batch = np.empty((0 if inputs.is_sparse else size, layout.sizes[0]), dtype=dtype)
    # The summed gradient of a batch; each step clears it for the next.
    grad = np.empty(params.size, dtype=dtype)
    for i in range(grad.size):  # zeroed by a loop: np.zeros compiles slowly
        grad[i] = 0.0
    total_loss = 0.0
    for start in range(0, order.size, size):
        n_rows = size if start + size <= order.size else order.size - start
        for r in range(n_rows):
            batch_rows[r] = visit_rows[order[start + r]]
            batch_weights[r] = visit_weights[order[start + r]]
        rows, weights = batch_rows[:n_rows], batch_weights[:n_rows]
        if not inputs.is_sparse:
            for r in range(n_rows):
                x = inputs.dense[rows[r]]
                for j in range(x.size):
                    X_batch[r, j] = x[j]

        # Forward pass: A_{k+1} = sigmoid(A_k W_k + b_k). The output layer's
        # pre-activations (needed by the log loss) are kept in ``logits``.
        for k in range(n_layers):
            Z = _batch_units(acts, layout, k, n_rows)
            W = _coefs(params, layout, k)
            if k == 0 and inputs.is_sparse:
                # Z = A_0 W_0, row by row over the non-zeros (zero-based inner
                # loops, which numba vectorises).
                for r in range(n_rows):
                    z = Z[r]
                    for j in range(z.size):
                        z[j] = 0.0
                    values, columns = _row(inputs, rows[r])
                    for p in range(values.size):
                        W_row, x_p = W[columns[p]], values[p]
                        for j in range(z.size):
                            z[j] += x_p * W_row[j]
            elif k == 0:
                np.dot(X_batch[:n_rows], W, Z)
            else:
                np.dot(_batch_units(acts, layout, k - 1, n_rows), W, Z)
            b = _intercepts(params, layout, k)
            for r in range(n_rows):
                for j in range(b.size):
                    Z[r, j] += b[j]
                    if k == n_layers - 1:
                        logits[r, j] = Z[r, j]
            sigmoid_inplace(Z.reshape(Z.size))

        Y_hat = _batch_units(acts, layout, n_layers - 1, n_rows)
        D = _batch_units(deltas, layout, n_layers - 1, n_rows)
        for r in range(n_rows):
            y = Y[rows[r]]
            total_loss += weights[r] * _sample_loss(
                Y_hat[r], logits[r], y, rule.log_loss
            )
            _output_delta(Y_hat[r], y, weights[r], rule.log_loss, D[r])

        # Backpropagation into the summed gradient, from the output layer back, all
        # at the same weights: grad W_k = A_k^T D_k, grad b_k = column sums of D_k,
        # and D_{k-1} = (D_k W_k^T) * A_k (1 - A_k).
        for k in range(n_layers - 1, -1, -1):
            D = _batch_units(deltas, layout, k, n_rows)
            G, g_b = _coefs(grad, layout, k), _intercepts(grad, layout, k)
            for r in range(n_rows):
                for j in range(g_b.size):
                    g_b[j] += D[r, j]
            if k == 0 and inputs.is_sparse:
                # G is zero here (the last step cleared it): A_0^T D_0 scattered
                # over the non-zeros.
                for r in range(n_rows):
                    values, columns = _row(inputs, rows[r])
                    for p in range(values.size):
                        x_p = values[p]
                        for j in range(g_b.size):
                            G[columns[p], j] += x_p * D[r, j]
            elif k == 0:
                np.dot(X_batch[:n_rows].T, D, G)
            else:
                A = _batch_units(acts, layout, k - 1, n_rows)
                np.dot(A.T, D, G)
                below = _batch_units(deltas, layout, k - 1, n_rows)
                np.dot(D, _coefs(params, layout, k).T, below)
                for r in range(n_rows):
                    for i in range(below.shape[1]):
                        below[r, i] *= A[r, i] * (1.0 - A[r, i])

        # The step from the mean gradient, g = grad / B + l2 * mean(w) * W (no L2
        # on the intercepts): W -= lr * g, or its momentum form; it clears grad.
        weight_sum = 0.0
        for r in range(n_rows):
            weight_sum += weights[r]
        l2 = rule.l2 * (weight_sum / n_rows)
        for k in range(n_layers):
            coef_start = layout.coef_offsets[k]
            intercept_start = layout.intercept_offsets[k]
            end = intercept_start + layout.sizes[k + 1]
            _step_segment(
                params, grad, velocity, coef_start, intercept_start, rule, n_rows, l2
            )
            _step_segment(
                params, grad, velocity, intercept_start, end, rule, n_rows, 0.0
            )
    return total_loss


def run_epoch(
    inputs, Y, visit_rows, visit_weights, order, params, velocity, layout, rule
):
    """One pass of SGD over the visits, taken in ``order`` (a permutation of their
    indices, passed rather than applied so that no visit array is copied each
    epoch); updates params in place.

    ``velocity`` has the shape of ``params`` (zeros, and untouched, without
    momentum). Returns the weighted sum of the per-visit losses, each taken at the
    weights in force when its batch started. Batches of one sample take the
    per-sample path; larger batches work with matrix products.
    """
    epoch = _sample_epoch if rule.batch_size == 1 else _batch_epoch
    return epoch(
        inputs, Y, visit_rows, visit_weights, order, params, velocity, layout, rule
    )


def unpack(params, layout):
    """Views of the flat vector as (coefs, intercepts) lists, scikit-learn's shapes."""
    sizes = layout.sizes
    coefs, intercepts = [], []
    for k in range(sizes.size - 1):
        start = layout.coef_offsets[k]
        coefs.append(
            params[start : start + sizes[k] * sizes[k + 1]].reshape(sizes[k], -1)
        )
        start = layout.intercept_offsets[k]
        intercepts.append(params[start : start + sizes[k + 1]])
    return coefs, intercepts


def pack(coefs, intercepts, dtype):
    """The flat parameter vector of (coefs, intercepts), as a new array."""
    parts = []
    for W, b in zip(coefs, intercepts):
        parts += [np.ravel(W), np.ravel(b)]
    return np.concatenate(parts).astype(dtype, copy=False)
