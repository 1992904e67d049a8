"""From rows and sample weights to the sequence of SGD visits.

Sample weights count samples. A row of weight ``w`` is visited ``floor(w)`` times with
weight 1 per epoch, plus once with weight ``w - floor(w)`` when that is positive: an
integer weight ``k`` trains exactly as ``k`` copies of the row, and a fractional weight
is a partial copy whose gradient (and share of the L2 penalty) is scaled down. Rows of
weight 0 are never visited.

Weights whose mean over the rows of positive weight is below 1 (weights that sum to 1,
or fractions such as AdaBoost's) are not counts of anything: they are first scaled up
to mean 1, so that their overall scale does not matter and a data set weighted by
``1/n`` trains as the unweighted one.

With shuffling on, rows and visits are first put in a canonical order that depends only
on their content (features, targets and weight), so that with a fixed ``random_state``
the training does not depend on the order of the rows given: every later random choice
(validation split, epoch permutations) acts on that canonical order. The order comes
from random projections of the rows, kept finite for any finite input, and where they
tie from a hash of the rows' bits.
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
    only give rows a content-based order. Identical rows with identical targets are
    interchangeable; distinct rows whose keys tie (their difference lost in rounding)
    are told apart by ``_row_digests``.
    """
    directions = np.random.RandomState(0).uniform(-1, 1, size=(2, n_features))
    target_direction = np.random.RandomState(1).uniform(-1, 1, size=(1, Y.shape[1]))
    target_inputs = as_inputs(np.asarray(Y, dtype=np.float64))
    features = _row_projections(inputs, directions * _finite_scale(inputs, n_features))
    target = _row_projections(
        target_inputs, target_direction * _finite_scale(target_inputs, Y.shape[1])
    )
    return features[:, 0], target[:, 0], features[:, 1]


def _stored_values(inputs):
    if inputs.is_sparse:
        return inputs.data[: inputs.indptr[-1]]
    return inputs.dense


def _finite_scale(inputs, n_terms):
    """A power of two that keeps every projection, and its partial sums, finite.

    A key sums ``n_terms`` products of a value and a direction within [-1, 1], so it
    stays below 2^1000 once the directions are scaled by 2^(1000 - e), with ``2^e``
    above ``n_terms`` times the largest value. Scaling by a power of two is exact: it
    changes no key's order, and for values below about 1e300 the scale is 1.
    """
    values = _stored_values(inputs)
    largest = max(values.max(), -values.min()) if values.size else 0.0
    exponent = np.frexp(largest)[1] + int(np.ceil(np.log2(max(n_terms, 1))))
    return 1.0 if exponent <= 1000 else np.ldexp(1.0, 1000 - exponent)


def _bits(values):
    return values.view(np.uint64 if values.itemsize == 8 else np.uint32)


def _odd_multipliers(size, seed):
    rng = np.random.RandomState(seed)
    return rng.randint(0, 2**64, size=size, dtype=np.uint64) | np.uint64(1)


def _row_digests(inputs, n_features, Y):
    """A 64-bit hash of each row's bit patterns, features and targets.

    Equal rows get equal digests; distinct rows differ unless sum_j c_j (b_j - b'_j)
    vanishes modulo 2^64 for the odd multipliers c_j (bits b_j): a chance of about
    2^-64 per pair, whatever the values' magnitudes. (A sparse row hashes its stored
    entries, so it hashes as the dense row it stands for when it has no duplicates.)
    """
    weights = _odd_multipliers(n_features, 2)
    if inputs.is_sparse:
        stored = inputs.indptr[-1]
        terms = weights[inputs.indices[:stored]] * _bits(_stored_values(inputs))
        sums = np.concatenate([np.zeros(1, np.uint64), np.cumsum(terms)])
        features = sums[inputs.indptr[1:]] - sums[inputs.indptr[:-1]]
    else:
        features = _bits(inputs.dense) @ weights
    targets = _bits(np.ascontiguousarray(Y, dtype=np.float64)) @ _odd_multipliers(
        Y.shape[1], 3
    )
    return features ^ (targets * np.uint64(0x9E3779B97F4A7C15))


def content_order(inputs, n_features, Y):
    """A function that orders occurrences of rows by the rows' content.

    ``argsort(rows, tie_breakers)`` gives the positions that sort ``rows`` (row
    indices, possibly repeated) by their features and targets, then by
    ``tie_breakers`` (for example the weight each occurrence carries).
    """
    first, target, second = _content_keys(inputs, n_features, Y)
    digests = []  # computed on the first tie

    def argsort(rows, tie_breakers):
        keys = first[rows]
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        if np.all(ordered[1:] > ordered[:-1]):  # no ties: the first key decides
            return order
        if not digests:
            digests.append(_row_digests(inputs, n_features, Y))
        return np.lexsort(
            (tie_breakers, digests[0][rows], second[rows], target[rows], keys)
        )

    return argsort


#: An epoch visits at most this many times as many rows as there are: a weight asks
#: for as many visits as it counts copies, and a weight of 1e9 must not become a
#: billion visits (and gigabytes of visit indices).
MAX_VISITS_PER_ROW = 1000


def as_counts(sample_weight):
    """The weights as counts: scaled up to mean 1 over the rows of positive weight
    when their mean there is below 1, unchanged otherwise.

    Scaled weights within a few rounding errors of a whole number are that number,
    so that uniform weights become exactly 1 rather than 1 plus a sliver (which
    would add a visit of weight 1e-16).
    """
    mean = sample_weight[sample_weight > 0].mean()
    if mean >= 1:
        return sample_weight
    scaled = sample_weight / mean
    whole = np.round(scaled)
    eps = np.finfo(scaled.dtype).eps
    near = np.abs(scaled - whole) <= 16 * eps * np.maximum(whole, 1)
    return np.where(near, whole, scaled)


def mean_inputs_per_row(X, sample_weight, block=1 << 20):
    """The weighted mean number of non-zero inputs per row of X: the same for the
    dense and the sparse form of the same data (stored zeros do not count, duplicate
    entries count once), with no temporary array of X's size."""
    if sp.issparse(X):
        counts = _sparse_nonzeros_per_row(X, block)
    else:
        rows = block // max(X.shape[1], 1) + 1
        counts = np.concatenate(
            [
                np.count_nonzero(X[start : start + rows], axis=1)
                for start in range(0, X.shape[0], rows)
            ]
        )
    return float(counts @ sample_weight / sample_weight.sum())


def _sparse_nonzeros_per_row(X, block):
    if not X.has_canonical_format:  # duplicates sum into one input
        X = X.copy()
        X.sum_duplicates()
    n_rows = X.shape[0]
    csc = X.format == "csc"
    counts = np.bincount(X.indices, minlength=n_rows) if csc else np.diff(X.indptr)
    # Less the stored zeros, found a block of values at a time.
    for start in range(0, X.data.size, block):
        zeros = np.flatnonzero(X.data[start : start + block] == 0) + start
        if zeros.size:
            rows = (
                X.indices[zeros]
                if csc
                else np.searchsorted(X.indptr, zeros, "right") - 1
            )
            counts = counts - np.bincount(rows, minlength=n_rows)
    return counts


def expand_visits(rows, sample_weight, dtype):
    """(visit_rows, visit_weights): each row repeated as its weight says, in order."""
    weights = sample_weight[rows]
    n_visits = float(np.ceil(weights).sum())
    if n_visits > MAX_VISITS_PER_ROW * max(rows.size, 1):
        raise ValueError(
            f"The sample weights ask for {n_visits:.3g} visits per epoch to "
            f"{rows.size} rows: weights count samples, and a weight of k visits its "
            f"row k times. At most {MAX_VISITS_PER_ROW} visits per row on average "
            "are allowed; divide sample_weight by a constant to use it as relative "
            "weights (weights whose mean is below 1 are read as relative weights)."
        )
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
