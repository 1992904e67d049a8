"""From rows and sample weights to the sequence of SGD visits.

Sample weights count samples. A row of weight ``w`` is visited ``floor(w)`` times with
weight 1 per epoch, plus once with weight ``w - floor(w)`` when that is positive: an
integer weight ``k`` trains exactly as ``k`` copies of the row, and a fractional weight
is a partial copy whose gradient is scaled down. Rows of weight 0 are never visited.

With shuffling on, rows and visits are first put in a canonical order that depends only
on their content (features, targets and weight), so that with a fixed ``random_state``
the training does not depend on the order of the rows given: every later random choice
(validation split, epoch permutations) acts on that canonical order.
"""

import numpy as np
import scipy.sparse as sp

from ._jit import compiled
from ._sgd import Inputs


def _read_only(array):
    view = array.view()
    view.flags.writeable = False
    return view


def as_inputs(X):
    """Hand a dense C-contiguous array or a CSR matrix to the compiled loops.

    The arrays are passed as read-only views (no copy): the loops cannot write to
    the user's data, and writable and read-only (memory-mapped) input share one
    compiled version of each loop.
    """
    empty_index = np.empty(0, dtype=np.int32)
    if sp.issparse(X):
        X = X.tocsr()
        arrays = (np.empty((0, 0), X.dtype), X.data, X.indices, X.indptr)
    else:
        X = np.ascontiguousarray(X)
        arrays = (X, np.empty(0, X.dtype), empty_index, empty_index)
    return Inputs(sp.issparse(X), *(_read_only(a) for a in arrays))


@compiled(fastmath={"reassoc"})
def _row_projections(inputs, directions):
    """x_i @ directions.T for every row, in one pass over the rows.

    Each row is summed by the same loop wherever it sits (a BLAS product may
    round a row differently depending on its place in the matrix), so equal rows
    always get equal keys. Reassociation lets that loop run as vector sums.
    """
    n_rows = inputs.indptr.size - 1 if inputs.is_sparse else inputs.dense.shape[0]
    keys = np.empty((n_rows, directions.shape[0]))
    for i in range(n_rows):
        for d in range(directions.shape[0]):
            direction, key = directions[d], 0.0
            if inputs.is_sparse:
                for p in range(inputs.indptr[i], inputs.indptr[i + 1]):
                    key += inputs.data[p] * direction[inputs.indices[p]]
            else:
                row = inputs.dense[i]
                for j in range(row.size):
                    key += row[j] * direction[j]
            keys[i, d] = key
    return keys


def _content_keys(inputs, n_features, Y):
    """Two random projections of each row and one of its targets.

    The projection directions are fixed (not drawn from the user's random state): they
    only give rows a content-based order. Distinct rows tie on both feature keys with
    probability zero; identical rows with identical targets are interchangeable.
    """
    directions = np.random.RandomState(0).uniform(-1, 1, size=(2, n_features))
    target_direction = np.random.RandomState(1).uniform(-1, 1, size=(1, Y.shape[1]))
    target_inputs = as_inputs(np.asarray(Y, dtype=np.float64))
    features = _row_projections(inputs, directions)
    target = _row_projections(target_inputs, target_direction)
    return features[:, 0], target[:, 0], features[:, 1]


def content_order(inputs, n_features, Y):
    """A function that orders occurrences of rows by the rows' content.

    ``argsort(rows, tie_breakers)`` gives the positions that sort ``rows`` (row
    indices, possibly repeated) by their features and targets, then by
    ``tie_breakers`` (for example the weight each occurrence carries).
    """
    first, target, second = _content_keys(inputs, n_features, Y)

    def argsort(rows, tie_breakers):
        keys = first[rows]
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        if np.all(ordered[1:] > ordered[:-1]):  # no ties: the first key decides
            return order
        return np.lexsort((tie_breakers, second[rows], target[rows], keys))

    return argsort


def expand_visits(rows, sample_weight, dtype):
    """(visit_rows, visit_weights): each row repeated as its weight says, in order."""
    weights = sample_weight[rows]
    whole = np.floor(weights).astype(np.int64)
    fraction = weights - whole
    counts = whole + (fraction > 0)
    visit_rows = np.repeat(rows, counts)
    visit_weights = np.ones(visit_rows.size, dtype=dtype)
    # The fractional visit of a row comes last among that row's visits.
    last_visit = np.cumsum(counts) - 1
    partial = fraction > 0
    visit_weights[last_visit[partial]] = fraction[partial]
    return visit_rows, visit_weights
