"""Hostile input and tampered models never crash: they get a clear error.

Every case that could crash (read or write out of bounds in compiled code) runs in a
fresh interpreter, so that a segfault fails the test instead of killing the run.
docs/reliability.rst lists these guarantees.
"""

import json
import subprocess
import sys
import textwrap

import numpy as np
import scipy.sparse as sp

from sklearn_bp import BackpropClassifier, BackpropRegressor  # noqa: F401


def _run(code, timeout=600):
    """stdout of ``code`` run by a fresh interpreter, which must exit normally."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"exit status {result.returncode}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def _outcomes(code):
    """Run ``code``, which defines CASES = {name: callable}, and return
    {name: "ErrorType: message" or "ok"} for every case."""
    runner = """
    import json, warnings
    warnings.simplefilter("ignore")
    outcomes = {}
    for name, case in CASES.items():
        try:
            case()
            outcomes[name] = "ok"
        except Exception as error:
            outcomes[name] = f"{type(error).__name__}: {error}"
    print(json.dumps(outcomes))
    """
    stdout = _run(textwrap.dedent(code) + textwrap.dedent(runner))
    return json.loads(stdout.splitlines()[-1])


# ------------------------------------------------------------- sparse index arrays
SPARSE_FAULTS = """
import numpy as np
import scipy.sparse as sp
from sklearn_bp import BackpropClassifier

rng = np.random.RandomState(0)
X = rng.normal(size=(40, 3))
y = np.arange(40) % 2
fitted = BackpropClassifier(max_iter=2, random_state=0).fit(X, y)


def csr(change):
    X_sparse = sp.csr_matrix(X)
    change(X_sparse)
    return X_sparse


def set_item(name, index, value):
    return lambda X_sparse: getattr(X_sparse, name).__setitem__(index, value)


def truncate_indptr(X_sparse):
    X_sparse.indptr = X_sparse.indptr[:-5]


def shorten_indices(X_sparse):
    X_sparse.indices = X_sparse.indices[:-5]


def lil_past_the_columns():
    X_lil = sp.lil_matrix(X)
    X_lil.rows[3][0] = 10**7
    return X_lil


FAULTS = {
    "column index past n_features": lambda: csr(set_item("indices", 1, 10**7)),
    "negative column index": lambda: csr(set_item("indices", 1, -(10**7))),
    "indptr not monotone": lambda: csr(set_item("indptr", 2, 10**7)),
    "indptr too short": lambda: csr(truncate_indptr),
    "indptr past the indices": lambda: csr(shorten_indices),
    "CSC row index past n_samples": lambda: (
        lambda X_csc: set_item("indices", 1, 10**7)(X_csc) or X_csc
    )(sp.csc_matrix(X)),
    "COO column past n_features": lambda: (
        lambda X_coo: set_item("col", 1, 10**7)(X_coo) or X_coo
    )(sp.coo_matrix(X)),
    "BSR block column past n_features": lambda: (
        lambda X_bsr: set_item("indices", 1, 10**7)(X_bsr) or X_bsr
    )(sp.bsr_matrix(X, blocksize=(2, 1))),
    "LIL column past n_features": lil_past_the_columns,
}
CALLS = {
    "fit": lambda X_bad: BackpropClassifier(max_iter=2).fit(X_bad, y),
    "partial_fit": lambda X_bad: fitted.partial_fit(X_bad, y),
    "predict": lambda X_bad: fitted.predict(X_bad),
}
CASES = {
    f"{call} with {fault}": lambda call=call, fault=fault: CALLS[call](FAULTS[fault]())
    for call in CALLS
    for fault in FAULTS
}
"""


def test_sparse_matrices_with_bad_index_arrays_get_a_clear_error():
    outcomes = _outcomes(SPARSE_FAULTS)
    assert len(outcomes) == 27
    for case, outcome in outcomes.items():
        assert outcome.startswith("ValueError: X is a sparse matrix"), (case, outcome)
        assert "inconsistent index arrays" in outcome, (case, outcome)


def test_unsorted_and_duplicate_sparse_indices_are_accepted():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4))
    y = np.arange(30) % 2
    X_sparse = sp.csr_matrix(X)
    # Each row's entries reversed, and its first value split into two entries.
    indices, data, indptr = [], [], [0]
    for row in X:
        indices += [0, *range(3, -1, -1)]
        data += [row[0] / 2, *row[:0:-1], row[0] / 2]
        indptr.append(len(indices))
    X_messy = sp.csr_matrix((data, indices, indptr), shape=X.shape)
    assert not X_messy.has_canonical_format
    params = dict(max_iter=5, shuffle=False, random_state=0)
    clean = BackpropClassifier(**params).fit(X_sparse, y)
    messy = BackpropClassifier(**params).fit(X_messy, y)
    np.testing.assert_allclose(messy.coefs_[0], clean.coefs_[0], rtol=1e-10)
    np.testing.assert_allclose(
        messy.predict_proba(X_messy), clean.predict_proba(X_sparse), rtol=1e-10
    )
