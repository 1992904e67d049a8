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
