"""Checks of what compiled code indexes: sparse index arrays and fitted networks.

The compiled training loops, scipy's sparse routines and the prediction path read raw
buffers at the offsets that index arrays and array shapes give, without bounds checks.
A sparse matrix built from inconsistent arrays (scipy does not check them on
construction) or a tampered saved model would make them read or write out of bounds.
Everything they rely on is checked here first, and a fault is a ``ValueError`` that
says what is wrong.
"""

import numpy as np
import scipy.sparse as sp

#: A trained weight or intercept never gets near this magnitude (the inputs' scale
#: bounds SGD's steps); beyond it training has diverged, and a fitted model is invalid.
WEIGHT_BOUND = 1e10

#: The float types the compiled loops are built for.
FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


# ------------------------------------------------------------------ sparse input
def check_sparse_indices(X):
    """X, with its index arrays checked if it is sparse (one pass over them).

    CSR, CSC and BSR matrices are checked through ``indptr`` and ``indices``, COO
    through its coordinates. Other formats are converted to CSR (scipy builds their
    index arrays in Python, without checks) and the result is checked. Unsorted and
    duplicate indices are accepted: every loop sums duplicates, as scipy does.
    """
    if not sp.issparse(X):
        return X
    if X.format == "coo":
        _check_coordinates(X)
        return X
    if X.format not in ("csr", "csc", "bsr"):
        X = X.tocsr()
    _check_compressed(X)
    return X


def _fault(X, problem):
    if X.format == "coo":
        advice = "Rebuild it from valid (data, (row, col))."
    else:
        advice = (
            "Rebuild it from valid (data, indices, indptr); "
            "X.check_format(full_check=True) points at the fault."
        )
    return ValueError(
        f"X is a sparse matrix (as {X.format.upper()}) with inconsistent index "
        f"arrays: {problem}. {advice}"
    )


def _check_index_array(X, name, array):
    if not (isinstance(array, np.ndarray) and array.ndim == 1):
        raise _fault(X, f"{name} is not a 1-D array")
    if array.dtype.kind not in "iu":
        raise _fault(X, f"{name} has dtype {array.dtype}, not an integer type")


def _check_in_range(X, name, values, stop, what):
    if values.size and (values.min() < 0 or values.max() >= stop):
        raise _fault(
            X,
            f"{name} range over [{values.min()}, {values.max()}], but X has "
            f"{stop} {what}",
        )


def _check_compressed(X):
    """indptr: one entry per row (column for CSC, block row for BSR) plus one,
    from 0, non-decreasing, within indices and data; indices within the shape."""
    n_major, n_minor = X.shape[::-1] if X.format == "csc" else X.shape
    major, minor = ("columns", "rows") if X.format == "csc" else ("rows", "columns")
    data_ndim = 1
    if X.format == "bsr":
        block_rows, block_columns = X.data.shape[1:] if X.data.ndim == 3 else (0, 0)
        if not (block_rows and block_columns) or n_major % block_rows:
            raise _fault(X, f"its blocks of shape {X.data.shape[1:]} do not tile it")
        if n_minor % block_columns:
            raise _fault(X, f"its blocks of shape {X.data.shape[1:]} do not tile it")
        n_major, n_minor = n_major // block_rows, n_minor // block_columns
        major, minor, data_ndim = "block rows", "block columns", 3
    indptr, indices = X.indptr, X.indices
    _check_index_array(X, "indptr", indptr)
    _check_index_array(X, "indices", indices)
    if not isinstance(X.data, np.ndarray) or X.data.ndim != data_ndim:
        raise _fault(X, f"data is not a {data_ndim}-D array")
    if indptr.size != n_major + 1:
        raise _fault(
            X,
            f"indptr has {indptr.size} entries, but X has {n_major} {major} "
            f"(indptr needs {n_major + 1})",
        )
    if indptr[0] != 0 or np.any(indptr[1:] < indptr[:-1]):
        raise _fault(X, "indptr must start at 0 and never decrease")
    stored = int(indptr[-1])
    if stored > indices.size or stored > X.data.shape[0]:
        raise _fault(
            X,
            f"indptr ends at {stored}, past the {indices.size} indices and "
            f"{X.data.shape[0]} data values",
        )
    _check_in_range(X, "indices", indices[:stored], n_minor, minor)


def _check_coordinates(X):
    for name, coordinate in (("row", X.row), ("col", X.col)):
        _check_index_array(X, name, coordinate)
        if coordinate.size != np.size(X.data):
            raise _fault(
                X, f"{name} has {coordinate.size} entries for {np.size(X.data)} values"
            )
    _check_in_range(X, "row indices", X.row, X.shape[0], "rows")
    _check_in_range(X, "col indices", X.col, X.shape[1], "columns")


# ----------------------------------------------------------------- fitted models
class _Invalid(ValueError):
    """A fitted state that fit could not have produced."""


def check_fitted_state(state, estimator_name, *, classifier):
    """Raise ValueError unless ``state`` (a fitted estimator's ``__dict__``) is one
    that fit could have produced.

    Checked: the layers' shapes chain from ``n_features_in_`` to ``n_outputs_``, one
    intercept per unit, one float dtype (float32 or float64) throughout, finite
    weights within ``WEIGHT_BOUND``, the output encoding (``classes_`` or the target
    range) against the output count, and the optimizer's memory against the network.
    Shapes and types are checked before values, so a huge claimed shape costs nothing.
    """
    try:
        coefs, intercepts = _check_layers(state)
        _check_counts(state, coefs)
        if classifier:
            _check_classes(state, coefs[-1].shape[1])
        else:
            _check_target_range(state, coefs[-1].shape[1])
        _check_optimizer(state, coefs, intercepts)
        _check_values(coefs, intercepts)
    except _Invalid as problem:
        raise ValueError(
            f"This {estimator_name} has an invalid fitted state: {problem}. A model "
            "that fit produced is never in this state: the model (or the file it "
            "was loaded from) was modified. Refit it."
        ) from None


def _require(condition, problem):
    if not condition:
        raise _Invalid(problem)


def _attribute(state, name):
    _require(name in state, f"{name} is missing")
    return state[name]


def _is_array(value, ndim):
    return isinstance(value, np.ndarray) and value.ndim == ndim


def _check_layers(state):
    coefs, intercepts = _attribute(state, "coefs_"), _attribute(state, "intercepts_")
    _require(
        isinstance(coefs, (list, tuple)) and isinstance(intercepts, (list, tuple)),
        "coefs_ and intercepts_ must be lists of arrays",
    )
    _require(
        len(coefs) == len(intercepts) >= 2,
        f"{len(coefs)} weight matrices and {len(intercepts)} intercept vectors, "
        "where there must be as many of each, at least 2",
    )
    for k, (W, b) in enumerate(zip(coefs, intercepts)):
        _require(_is_array(W, 2), f"coefs_[{k}] is not a 2-D array")
        _require(_is_array(b, 1), f"intercepts_[{k}] is not a 1-D array")
        _require(
            W.dtype in FLOAT_DTYPES and b.dtype == W.dtype == coefs[0].dtype,
            f"coefs_[{k}] and intercepts_[{k}] have dtypes {W.dtype} and {b.dtype}, "
            f"where every layer has one dtype, float32 or float64",
        )
        _require(min(W.shape) >= 1, f"coefs_[{k}] has shape {W.shape}")
        _require(
            b.size == W.shape[1],
            f"intercepts_[{k}] has {b.size} values for the {W.shape[1]} units of "
            f"its layer (coefs_[{k}] has shape {W.shape})",
        )
        if k:
            _require(
                W.shape[0] == coefs[k - 1].shape[1],
                f"coefs_[{k}] has shape {W.shape}, but the layer below has "
                f"{coefs[k - 1].shape[1]} units",
            )
    return coefs, intercepts


def _check_counts(state, coefs):
    for name, value in (
        ("n_features_in_", coefs[0].shape[0]),
        ("n_layers_", len(coefs) + 1),
        ("n_outputs_", coefs[-1].shape[1]),
    ):
        stored = _attribute(state, name)
        _require(
            isinstance(stored, (int, np.integer)) and stored == value,
            f"{name} is {stored!r}, but the layers give {value}",
        )
    if "feature_names_in_" in state:
        names = state["feature_names_in_"]
        _require(
            _is_array(names, 1) and names.size == coefs[0].shape[0],
            f"feature_names_in_ does not name the {coefs[0].shape[0]} features",
        )


def _check_classes(state, n_outputs):
    classes = _attribute(state, "classes_")
    multilabel = _attribute(state, "_multilabel")
    _require(_is_array(classes, 1), "classes_ is not a 1-D array")
    _require(isinstance(multilabel, (bool, np.bool_)), "_multilabel is not a bool")
    # One output for two classes, else one per class (or per label).
    expected = 1 if classes.size == 2 and not multilabel else classes.size
    _require(
        classes.size >= 2 and n_outputs == expected,
        f"{classes.size} classes for {n_outputs} outputs",
    )


def _check_target_range(state, n_outputs):
    low, high = _attribute(state, "target_min_"), _attribute(state, "target_max_")
    for name, value in (("target_min_", low), ("target_max_", high)):
        _require(
            _is_array(value, 1) and value.dtype in FLOAT_DTYPES,
            f"{name} is not a 1-D float array",
        )
        _require(
            value.size == n_outputs,
            f"{name} has {value.size} values for {n_outputs} outputs",
        )
    _require(
        np.all(np.isfinite(low) & np.isfinite(high) & (low <= high)),
        "target_min_ and target_max_ are not finite with min <= max",
    )
    single = _attribute(state, "_single_output")
    _require(
        isinstance(single, (bool, np.bool_)) and (n_outputs == 1 or not single),
        f"_single_output is {single!r} for {n_outputs} outputs",
    )


def _check_optimizer(state, coefs, intercepts):
    """What continued training (partial_fit, warm start) hands to compiled code."""
    n_params = sum(W.size + b.size for W, b in zip(coefs, intercepts))
    velocity = _attribute(state, "_velocity")
    _require(
        _is_array(velocity, 1)
        and velocity.size == n_params
        and velocity.dtype == coefs[0].dtype,
        f"_velocity is not a {coefs[0].dtype} vector of the {n_params} parameters",
    )
    for name in ("t_", "n_iter_", "_no_improvement_count"):
        value = _attribute(state, name)
        _require(
            isinstance(value, (int, np.integer)) and value >= 0,
            f"{name} is {value!r}, not a count",
        )
    rate = _attribute(state, "_learning_rate")
    _require(
        isinstance(rate, (float, int, np.floating)) and 0 <= rate < np.inf,
        f"_learning_rate is {rate!r}",
    )
    if "alpha_" in state:  # not in models saved before alpha="auto"
        alpha = state["alpha_"]
        _require(
            isinstance(alpha, (float, int, np.floating)) and 0 <= alpha < np.inf,
            f"alpha_ is {alpha!r}, not an L2 strength",
        )


def _check_values(coefs, intercepts):
    # min and max, rather than abs: no temporary array, and NaN propagates.
    for name, arrays in (("coefs_", coefs), ("intercepts_", intercepts)):
        for k, array in enumerate(arrays):
            _require(
                -WEIGHT_BOUND <= array.min() and array.max() <= WEIGHT_BOUND,
                f"{name}[{k}] has values that are not finite or exceed "
                f"{WEIGHT_BOUND:g} in magnitude",
            )
