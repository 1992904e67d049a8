"""Hostile input and tampered models never crash: they get a clear error.

Every case that could crash (read or write out of bounds in compiled code) runs in a
fresh interpreter, so that a segfault fails the test instead of killing the run.
docs/reliability.rst lists these guarantees.
"""

import json
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import skops.io as sio
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier, BackpropRegressor


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


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


# ------------------------------------------------------------------ fitted state
X_small = np.random.RandomState(0).normal(size=(30, 3))
y_small = np.arange(30) % 3


def _tamper(name, change):
    return pytest.param(change, id=name)


def _set(attribute, make):
    def change(model):
        setattr(model, attribute, make(model))

    return change


def _with_value(attribute, index, value):
    def make(model):
        arrays = [a.copy() for a in getattr(model, attribute)]
        arrays[index].flat[0] = value
        return arrays

    return _set(attribute, make)


def _drop_hidden_layer(model):
    model.coefs_ = [model.coefs_[0], model.coefs_[2]]
    model.intercepts_ = [model.intercepts_[0], model.intercepts_[2]]


TAMPERINGS = [
    _tamper("a layer dropped", _drop_hidden_layer),
    _tamper(
        "the output layer dropped", lambda m: [m.coefs_.pop(), m.intercepts_.pop()]
    ),
    _tamper("a NaN weight", _with_value("coefs_", 1, np.nan)),
    _tamper("an infinite intercept", _with_value("intercepts_", 0, -np.inf)),
    _tamper("a weight of 1e300", _with_value("coefs_", 0, 1e300)),
    _tamper(
        "three classes for one output",
        lambda m: [setattr(m, "classes_", np.arange(3)), _binary_output(m)],
    ),
    _tamper("two classes for three outputs", _set("classes_", lambda m: np.arange(2))),
    _tamper(
        "a short intercept vector",
        _set("intercepts_", lambda m: [m.intercepts_[0][:1], *m.intercepts_[1:]]),
    ),
    _tamper(
        "float16 weights",
        _set("coefs_", lambda m: [W.astype(np.float16) for W in m.coefs_]),
    ),
    _tamper(
        "float32 intercepts for float64 weights",
        _set("intercepts_", lambda m: [b.astype(np.float32) for b in m.intercepts_]),
    ),
    _tamper(
        "integer weights",
        _set("coefs_", lambda m: [np.ones(W.shape, int) for W in m.coefs_]),
    ),
    _tamper(
        "weights as lists", _set("coefs_", lambda m: [W.tolist() for W in m.coefs_])
    ),
    _tamper("n_features_in_ of 4", _set("n_features_in_", lambda m: 4)),
    _tamper("n_outputs_ of 2", _set("n_outputs_", lambda m: 2)),
    _tamper("a short velocity", _set("_velocity", lambda m: m._velocity[:3])),
    _tamper("a negative t_", _set("t_", lambda m: -5)),
    _tamper("a NaN alpha_", _set("alpha_", lambda m: np.nan)),
    _tamper("a negative alpha_", _set("alpha_", lambda m: -1.0)),
    _tamper("coefs_ of None", lambda m: setattr(m, "coefs_", None)),
]


def _binary_output(model):
    model.coefs_[-1] = model.coefs_[-1][:, :1].copy()
    model.intercepts_[-1] = model.intercepts_[-1][:1].copy()
    model.n_outputs_ = 1
    model._velocity = np.zeros(
        sum(W.size + b.size for W, b in zip(model.coefs_, model.intercepts_))
    )


def _tampered_classifier(change):
    model = BackpropClassifier(hidden_layer_sizes=(5, 4), max_iter=2, random_state=0)
    model.fit(X_small, y_small)
    change(model)
    return model


INVALID = "BackpropClassifier has an invalid fitted state"


@pytest.mark.parametrize("change", TAMPERINGS)
def test_a_tampered_pickle_is_refused_on_load(change):
    saved = pickle.dumps(_tampered_classifier(change))
    with pytest.raises(ValueError, match=INVALID):
        pickle.loads(saved)


@pytest.mark.parametrize("change", TAMPERINGS)
def test_a_tampered_skops_file_is_refused_on_load(tmp_path, change):
    path = tmp_path / "model.skops"
    sio.dump(_tampered_classifier(change), path)
    trusted = ["sklearn_bp._estimators.BackpropClassifier"]
    assert sio.get_untrusted_types(file=path) == trusted
    with pytest.raises(ValueError, match=INVALID):
        sio.load(path, trusted=trusted)


@pytest.mark.parametrize("change", TAMPERINGS)
def test_a_tampered_live_model_refuses_to_predict_or_continue(change):
    model = _tampered_classifier(change)
    for call in (
        model.predict,
        model.predict_proba,
        model.decision_function,
        lambda X: model.partial_fit(X, y_small),
        lambda X: model.set_params(warm_start=True).fit(X, y_small),
    ):
        with pytest.raises(ValueError, match=INVALID):
            call(X_small)


def test_a_tampered_regressor_is_refused():
    model = BackpropRegressor(max_iter=2, random_state=0).fit(X_small, y_small)
    model.target_min_ = np.zeros(3)
    with pytest.raises(ValueError, match="target_min_ has 3 values for 1 outputs"):
        pickle.loads(pickle.dumps(model))
    with pytest.raises(ValueError, match="BackpropRegressor has an invalid"):
        model.predict(X_small)


def test_untampered_models_load_and_predict():
    for model in (
        BackpropClassifier(max_iter=2).fit(X_small, y_small),
        BackpropClassifier(max_iter=2).fit(X_small, y_small % 2),
        BackpropClassifier(max_iter=2).fit(X_small, np.c_[y_small % 2, y_small > 0]),
        BackpropRegressor(max_iter=2).fit(X_small.astype(np.float32), y_small),
        BackpropRegressor(max_iter=2).fit(X_small, X_small),
        BackpropClassifier(),
    ):
        loaded = pickle.loads(pickle.dumps(model))
        if hasattr(model, "coefs_"):
            assert_array_equal(loaded.predict(X_small), model.predict(X_small))


HUGE_HIDDEN_LAYER = """
import pickle, warnings
import numpy as np
from sklearn_bp import BackpropClassifier

warnings.simplefilter("ignore")
X = np.random.RandomState(0).normal(size=(20, 3))
model = BackpropClassifier(max_iter=1).fit(X, np.arange(20) % 2)
# 20M hidden units, with one intercept: read-only views of a single zero, so the
# crafted state costs no memory.
huge = [np.broadcast_to(0.0, (3, 20_000_000)), np.broadcast_to(0.0, (20_000_000, 1))]
state = {**model.__getstate__(), "coefs_": huge, "intercepts_": [np.zeros(1)] * 2}


def load():
    loaded = BackpropClassifier.__new__(BackpropClassifier)
    loaded.__setstate__(state)  # as pickle and skops load it
    return loaded.predict(X)


def assign():
    model.coefs_, model.intercepts_ = state["coefs_"], state["intercepts_"]
    return model.predict(X)


CASES = {"load": load, "assign": assign}
"""


def test_a_crafted_huge_layer_is_refused_before_any_compiled_code_runs():
    for case, outcome in _outcomes(HUGE_HIDDEN_LAYER).items():
        assert outcome.startswith(f"ValueError: This {INVALID}"), (case, outcome)
        assert "intercepts_[0] has 1 values for the 20000000 units" in outcome
