"""Hard to break: bad input, failed calls, interrupts, saturation, persistence,
concurrency, memory. docs/reliability.rst states these guarantees."""

import functools
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import threading
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import skops.io as sio
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, InconsistentVersionWarning
from sklearn.metrics import log_loss

from sklearn_bp import BackpropClassifier, BackpropRegressor

rng = np.random.RandomState(0)
X = rng.normal(size=(20, 3))
y = np.arange(20) % 2


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _fitted_classifier(**params):
    return BackpropClassifier(max_iter=3, random_state=0, **params).fit(X, y)


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


# ---------------------------------------------------------------- bad input matrix
# (case, call, exception, message pattern). docs/reliability.rst lists the same rows.
BAD_INPUTS = [
    (
        "NaN in X",
        lambda: BackpropClassifier().fit(_with(X, (0, 0), np.nan), y),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "inf in X",
        lambda: BackpropClassifier().fit(_with(X, (0, 0), np.inf), y),
        ValueError,
        "Input X contains infinity",
    ),
    (
        "NaN in y",
        lambda: BackpropRegressor().fit(X, _with(y, 0, np.nan)),
        ValueError,
        "Input y contains NaN",
    ),
    (
        "inf in y",
        lambda: BackpropRegressor().fit(X, _with(y, 0, np.inf)),
        ValueError,
        "Input y contains infinity",
    ),
    (
        "non-numeric X",
        lambda: BackpropClassifier().fit([["a", "b"], ["c", "d"]], [0, 1]),
        ValueError,
        "could not convert string to float",
    ),
    (
        "complex X",
        lambda: BackpropClassifier().fit(X + 1j, y),
        ValueError,
        "Complex data not supported",
    ),
    (
        "empty X",
        lambda: BackpropClassifier().fit(np.empty((0, 3)), []),
        ValueError,
        "0 sample",
    ),
    (
        "no features",
        lambda: BackpropClassifier().fit(np.empty((3, 0)), [0, 1, 0]),
        ValueError,
        "0 feature",
    ),
    (
        "1-D X",
        lambda: BackpropClassifier().fit(X[:, 0], y),
        ValueError,
        "Expected 2D array",
    ),
    (
        "ragged lists",
        lambda: BackpropClassifier().fit([[1, 2], [3]], [0, 1]),
        ValueError,
        "inhomogeneous",
    ),
    (
        "y of the wrong length",
        lambda: BackpropClassifier().fit(X, y[:-1]),
        ValueError,
        "inconsistent numbers of samples",
    ),
    (
        "wrong feature count at predict",
        lambda: _fitted_classifier().predict(X[:, :2]),
        ValueError,
        "X has 2 features, but BackpropClassifier is expecting 3",
    ),
    (
        "wrong feature count at partial_fit",
        lambda: _fitted_classifier().partial_fit(X[:, :2], y),
        ValueError,
        "X has 2 features",
    ),
    (
        "unseen class in partial_fit",
        lambda: _fitted_classifier().partial_fit(X, y + 5),
        ValueError,
        "classes not seen",
    ),
    (
        "no classes on first partial_fit",
        lambda: BackpropClassifier().partial_fit(X, y),
        ValueError,
        "classes must be passed",
    ),
    (
        "continuous labels",
        lambda: BackpropClassifier().fit(X, X[:, 0]),
        ValueError,
        "Unknown label type: continuous",
    ),
    (
        "multiclass-multioutput labels",
        lambda: BackpropClassifier().fit(X, np.c_[y, 2 * y]),
        ValueError,
        "does not support multiclass-multioutput targets",
    ),
    (
        "mixed string and number labels",
        lambda: BackpropClassifier().fit(X, np.array(["a", 1] * 10, dtype=object)),
        ValueError,
        "mixes string and numeric labels",
    ),
    (
        "a single class",
        lambda: BackpropClassifier().fit(X, np.ones(20)),
        ValueError,
        "at least 2 classes",
    ),
    (
        "negative sample weights",
        lambda: BackpropClassifier().fit(X, y, sample_weight=-np.ones(20)),
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    (
        "all-zero sample weights",
        lambda: BackpropClassifier().fit(X, y, sample_weight=np.zeros(20)),
        ValueError,
        "at least one non-zero",
    ),
    (
        "NaN sample weight",
        lambda: BackpropClassifier().fit(
            X, y, sample_weight=_with(np.ones(20), 0, np.nan)
        ),
        ValueError,
        "sample_weight contains NaN",
    ),
    (
        "sample weights of the wrong length",
        lambda: BackpropClassifier().fit(X, y, sample_weight=np.ones(19)),
        ValueError,
        re.escape("sample_weight.shape == (19,), expected (20,)"),
    ),
    (
        "early stopping with a class of one sample",
        lambda: BackpropClassifier(early_stopping=True).fit(X, np.r_[np.zeros(19), 1]),
        ValueError,
        "Cannot hold out a validation set for early_stopping",
    ),
    (
        "early stopping on too little data",
        lambda: BackpropRegressor(early_stopping=True).fit(X[:5], y[:5]),
        ValueError,
        "validation set is too small",
    ),
    (
        "training that diverges",
        lambda: BackpropRegressor(learning_rate_init=1e300).fit(X * 1e10, X[:, 0]),
        ValueError,
        "diverged.*learning_rate_init.*StandardScaler",
    ),
]


@pytest.mark.parametrize(
    "call, error, pattern", [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_gets_a_clear_error(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


INVALID_PARAMETERS = {
    "hidden_layer_sizes": [-1, (3, 0), (2.5,), ()],
    "loss": ["hinge"],
    "alpha": [-1.0],
    "batch_size": [0, 1.5],
    "learning_rate": ["fast"],
    "learning_rate_init": [0.0, -1.0],
    "power_t": [-0.5],
    "momentum": [1.0, -0.1],
    "nesterovs_momentum": ["yes"],
    "max_iter": [0],
    "tol": [-1e-3],
    "n_iter_no_change": [0],
    "shuffle": [2],
    "early_stopping": ["no"],
    "validation_fraction": [0.0, 1.0],
    "n_init": [0],
    "n_jobs": ["all"],
    "n_sgd_threads": [0, -1, "x", 1.5],
    "warm_start": [None],
    "random_state": ["seed"],
    "verbose": ["loud"],
}
CLASSIFIER_ONLY = {"class_weight": ["heavy", 2.0]}


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
@pytest.mark.parametrize(
    "name, value",
    [
        (name, value)
        for name, values in {**INVALID_PARAMETERS, **CLASSIFIER_ONLY}.items()
        for value in values
    ],
)
def test_every_invalid_parameter_value_is_named_in_the_error(Estimator, name, value):
    expected = set(INVALID_PARAMETERS)
    if Estimator is BackpropClassifier:
        expected |= set(CLASSIFIER_ONLY)
    assert expected == set(Estimator().get_params())
    if name not in expected:
        pytest.skip(f"{Estimator.__name__} has no parameter {name}")
    with pytest.raises(ValueError, match=name):
        Estimator(**{name: value}).fit(X, y)


WORKING_INPUTS = {
    "one sample (regression)": (BackpropRegressor, X[:1], [3.0]),
    "one feature": (BackpropClassifier, X[:, :1], y),
    "bool X": (BackpropClassifier, X > 0, y),
    "int X": (BackpropClassifier, (X * 10).astype(int), y),
    "COO sparse X": (BackpropClassifier, sp.coo_matrix(X), y),
    "constant feature": (BackpropClassifier, np.c_[X, np.ones(20)], y),
    "duplicate rows": (BackpropClassifier, np.r_[X, X], np.r_[y, y]),
    "heavy class imbalance": (BackpropClassifier, X, np.r_[np.zeros(19), 1]),
    "tiny X (1e-300)": (BackpropClassifier, X * 1e-300, y),
    "huge X (1e300)": (BackpropClassifier, X * 1e300, y),
    "huge targets (1e300)": (BackpropRegressor, X, X[:, 0] * 1e300),
    "tiny targets (1e-300)": (BackpropRegressor, X, X[:, 0] * 1e-300),
    "constant targets": (BackpropRegressor, X, np.full(20, 7.0)),
}


@pytest.mark.parametrize(
    "Estimator, X_case, y_case", WORKING_INPUTS.values(), ids=WORKING_INPUTS.keys()
)
def test_unusual_but_valid_input_gives_finite_results(Estimator, X_case, y_case):
    model = Estimator(max_iter=5, random_state=0).fit(X_case, y_case)
    outputs = model.predict_proba(X_case) if hasattr(model, "classes_") else None
    predictions = model.predict(X_case)
    assert predictions.shape[0] == X_case.shape[0]
    if outputs is not None:
        assert np.all(np.isfinite(outputs))
    else:
        assert np.all(np.isfinite(predictions))


# --------------------------------------------------------------------- nothing lost
# (parameters set beforehand, the call that fails)
FAILING_CALLS = {
    "fit with NaN": ({}, lambda m: m.fit(_with(X, (0, 0), np.nan), y)),
    "fit with bad y": ({}, lambda m: m.fit(np.ones((4, 7)), [0, 1, 2, np.nan])),
    "fit with bad weights": ({}, lambda m: m.fit(X, y, sample_weight=-np.ones(20))),
    # Passes validation with new features and classes, then diverges in training.
    "fit that diverges": (
        {"learning_rate_init": 1e300},
        lambda m: m.fit(np.c_[X, X] * 1e10, np.array(["a", "b"])[y]),
    ),
    "fit with invalid parameter": ({"alpha": -1}, lambda m: m.fit(X, y)),
    "partial_fit with unseen class": ({}, lambda m: m.partial_fit(X, y + 7)),
    "partial_fit with wrong features": ({}, lambda m: m.partial_fit(X[:, :2], y)),
    "warm start with wrong features": (
        {"warm_start": True},
        lambda m: m.fit(X[:, :2], y),
    ),
    "set_params with an unknown name": ({}, lambda m: m.set_params(alpha=3.0, bogus=1)),
}


@pytest.mark.parametrize(
    "params, call", FAILING_CALLS.values(), ids=FAILING_CALLS.keys()
)
def test_a_failed_call_leaves_the_fitted_model_exactly_as_it_was(params, call):
    model = _fitted_classifier()
    predictions = model.predict_proba(X)
    # Parameters are set without validation; fit validates them.
    model.set_params(**params)
    before = pickle.dumps(model)
    with pytest.raises(ValueError):
        call(model)
    assert pickle.dumps(model) == before
    assert_array_equal(model.predict_proba(X), predictions)


def _interrupt_after(seconds):
    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    return previous


@pytest.mark.parametrize("early_stopping", [False, True])
def test_keyboard_interrupt_keeps_a_consistent_fitted_model(early_stopping):
    X_big = np.random.RandomState(1).normal(size=(3000, 20))
    y_big = (X_big[:, 0] * X_big[:, 1] > 0).astype(int)
    params = dict(
        max_iter=100_000,
        tol=0,
        n_iter_no_change=10**6,
        random_state=0,
        early_stopping=early_stopping,
        n_init=3,
    )
    BackpropClassifier(max_iter=1).fit(X_big, y_big)  # compile before the timer
    previous = _interrupt_after(1.0)
    try:
        with pytest.warns(UserWarning, match="interrupted"):
            clf = BackpropClassifier(**params).fit(X_big, y_big)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert 1 <= clf.n_iter_ < 100_000
    assert len(clf.loss_curve_) == clf.n_iter_
    # The first restart was interrupted; the others never ran.
    assert clf.best_restart_ == 0 and np.isnan(clf.restart_losses_[1:]).all()
    if early_stopping:
        assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert np.all(np.isfinite(clf.predict_proba(X_big)))


ROLLBACK_UNDER_INTERRUPTS = """
import signal, warnings
import numpy as np
from sklearn_bp import BackpropClassifier

warnings.simplefilter("ignore")
rng = np.random.RandomState(0)
model = BackpropClassifier(max_iter=2).fit(rng.normal(size=(20, 3)), np.arange(20) % 2)
expected = dict(model.__dict__)
armed = False


def interrupt(signum, frame):  # Ctrl-C, but only during the failing call
    if armed:
        raise KeyboardInterrupt


signal.signal(signal.SIGALRM, interrupt)
signal.setitimer(signal.ITIMER_REAL, 2e-5, 2e-5)
broken = interrupted = 0
for trial in range(20_000):
    try:
        try:
            armed = True
            # Sets alpha, then fails on the unknown name: a rollback every time,
            # which the timer interrupts at a different point each time.
            model.set_params(alpha=3.0, bogus=1)
        except ValueError:
            pass
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            armed = False
    except KeyboardInterrupt:  # raised in a handler above: still a trial
        pass
    state = model.__dict__
    same = state.keys() == expected.keys()
    if not (same and all(state[k] is value for k, value in expected.items())):
        broken += 1
        model.__dict__ = dict(expected)
signal.setitimer(signal.ITIMER_REAL, 0)
print(broken, interrupted)
"""


def _run_python(script, *args):
    """Run ``script`` in a new Python process; its standard output."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_interrupts_during_a_rollback_never_leave_a_partial_state():
    broken, interrupted = map(int, _run_python(ROLLBACK_UNDER_INTERRUPTS).split())
    assert interrupted > 1000  # the timer did land inside the calls
    assert broken == 0


CTRL_C_DURING_AN_EPOCH = """
import json, os, signal, sys, warnings
import numpy as np
from sklearn_bp import BackpropClassifier, _training

warnings.simplefilter("ignore")
# Python's own handler, even if this process was started with SIGINT ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
rng = np.random.RandomState(0)
X = rng.normal(size=(300, 5))
y = (X[:, 0] > 0).astype(int)
threads = int(sys.argv[1])
name = "run_epoch" if threads == 1 else "parallel_sample_epoch"
real_epoch, epochs = getattr(_training, name), []


def ctrl_c_in_third_epoch(*args, **kwargs):
    loss = real_epoch(*args, **kwargs)
    epochs.append(1)
    if len(epochs) == 3:  # a real SIGINT, pending as the epoch's pass returns
        os.kill(os.getpid(), signal.SIGINT)
    return loss


setattr(_training, name, ctrl_c_in_third_epoch)
params = dict(max_iter=10, tol=0, random_state=0, n_sgd_threads=threads)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model = BackpropClassifier(**params).fit(X, y)
setattr(_training, name, real_epoch)
three = BackpropClassifier(**dict(params, max_iter=3)).fit(X, y)
print(json.dumps({
    "epochs": [model.n_iter_, len(model.loss_curve_)],
    "warned": any("interrupted" in str(w.message) for w in caught),
    "weights of 3 epochs": all(
        np.array_equal(a, b) for a, b in zip(model.coefs_, three.coefs_)
    ),
    "loss curve of 3 epochs": model.loss_curve_ == three.loss_curve_,
    "handler restored": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
}))
"""


@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_during_an_epoch_stops_training_once_that_epoch_is_recorded(threads):
    # Compiled code cannot be interrupted: a Ctrl-C that arrives during an epoch's
    # compiled pass waits for the epoch's loss to be recorded, so that the model
    # is exactly the one three epochs give, with its loss curve (with two threads,
    # which do not reproduce, three epochs of it).
    outcome = json.loads(_run_python(CTRL_C_DURING_AN_EPOCH, str(threads)))
    assert outcome.pop("epochs") == [3, 3]
    assert outcome.pop("warned") and outcome.pop("handler restored")
    if threads == 1:
        assert all(outcome.values())


def test_saturated_outputs_keep_probabilities_inside_zero_one():
    clf = _fitted_classifier()
    clf.coefs_ = [W * 1e4 for W in clf.coefs_]
    proba = clf.predict_proba(X * 100)
    assert np.all((proba > 0) & (proba < 1))
    assert np.all(np.isfinite(clf.predict_log_proba(X * 100)))
    assert np.isfinite(log_loss(y, proba))


@pytest.mark.parametrize("sparse", [False, True])
def test_inputs_are_never_modified_even_read_only_or_memory_mapped(tmp_path, sparse):
    X_path = tmp_path / "X.npy"
    np.save(X_path, X)
    X_mapped = np.load(X_path, mmap_mode="r")
    y_ro, w_ro = y.copy(), np.arange(1.0, 21.0)
    y_ro.flags.writeable = w_ro.flags.writeable = False
    X_in = sp.csr_matrix(X_mapped) if sparse else X_mapped
    X_before = X_in.copy()
    model = BackpropClassifier(max_iter=3, momentum=0.5, alpha=1.0)
    model.fit(X_in, y_ro, sample_weight=w_ro).partial_fit(
        X_in, y_ro, sample_weight=w_ro
    )
    model.predict_proba(X_in)
    assert_array_equal(
        X_in.toarray() if sparse else X_in, X_before.toarray() if sparse else X_before
    )
    assert_array_equal(y_ro, y)
    assert_array_equal(w_ro, np.arange(1.0, 21.0))


# --------------------------------------------------------------------- reproducible
THREAD_COUNT_CASES = """
import hashlib, json, warnings
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits
from sklearn_bp import BackpropClassifier

warnings.simplefilter("ignore")
rng = np.random.RandomState(0)
X = rng.normal(size=(3000, 100))
y = (X[:, 0] * X[:, 1] > 0).astype(int)
CASES = {
    # No BLAS at all, on a network whose products BLAS would thread.
    "per-sample": (X[:300], dict(batch_size=1, max_iter=1)),
    # Batch products of 1000 x 38 x 256 = 9.7M multiply-adds: one BLAS thread.
    "mini-batch": (X[:, :38], dict(batch_size=1000, max_iter=3)),
    "early stopping": (
        X[:, :38], dict(batch_size=1000, max_iter=3, early_stopping=True)
    ),
    # 1000 x 100 x 256 = 25.6M: BLAS's own threads, unless the caller limits them.
    "above the limit, under threadpool_limits(1)": (
        X, dict(batch_size=1000, max_iter=3)
    ),
}
digests = {}
for name, (X_case, params) in CASES.items():
    model = BackpropClassifier(hidden_layer_sizes=256, random_state=0, **params)
    with threadpool_limits(1 if "threadpool_limits" in name else None):
        model.fit(X_case, y[: len(X_case)])
    weights = np.concatenate([W.ravel() for W in model.coefs_])
    digests[name] = hashlib.sha256(weights.tobytes()).hexdigest()
pools = [i for i in threadpool_info() if i["internal_api"] == "openblas"]
threads = {pool["num_threads"] for pool in pools}
print(json.dumps({"threads": sorted(threads), "digests": digests}))
"""


def test_weights_do_not_depend_on_the_blas_thread_count_where_documented():
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", THREAD_COUNT_CASES],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "OPENBLAS_NUM_THREADS": str(n_threads)},
        )
        for n_threads in (1, 2)
    ]
    outputs = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stderr
        outputs.append(json.loads(stdout))
    one, two = outputs
    assert one["threads"] == [1] and two["threads"] == [2]
    assert one["digests"] == two["digests"]


def _same_weights(Estimator, X_case, y_case, order):
    # A weak penalty: near the float maximum a stronger one drives the sparse
    # path's weights to inf - inf (a clear divergence error) within three epochs.
    params = dict(alpha=0.003, max_iter=3, random_state=0)
    a = Estimator(**params).fit(X_case, y_case)
    b = Estimator(**params).fit(X_case[order], y_case[order])
    return all(np.array_equal(p, q) for p, q in zip(a.coefs_, b.coefs_))


def test_row_order_does_not_matter_near_the_float_maximum():
    # Ten features near 1.7e308: sums of them overflow unless scaled first.
    X_huge = np.random.RandomState(0).uniform(0.5, 1, size=(30, 10)) * 1.7e308
    order = np.random.RandomState(1).permutation(30)
    labels = np.arange(30) % 2
    assert _same_weights(BackpropClassifier, X_huge, labels, order)
    assert _same_weights(BackpropClassifier, sp.csr_matrix(X_huge), labels, order)


def test_rows_whose_projections_tie_are_ordered_by_content():
    from sklearn_bp._visits import as_inputs, content_order

    # The second feature is lost in rounding next to the first: every row's
    # projections are equal, and only the content tells the rows apart.
    X_ties = np.c_[np.full(40, 1e20), np.arange(40) % 8]
    Y = (np.arange(40) % 2).astype(float)[:, None]
    order = np.random.RandomState(1).permutation(40)
    contents = []
    for X_case, Y_case in ((X_ties, Y), (X_ties[order], Y[order])):
        for inputs in (as_inputs(X_case), as_inputs(sp.csr_matrix(X_case))):
            argsort = content_order(inputs, 2, Y_case)
            visits = argsort(np.arange(40), np.ones(40))
            contents.append(np.c_[X_case, Y_case][visits])
    for content in contents[1:]:
        assert_array_equal(content, contents[0])


# ---------------------------------------------------------------------- persistence
@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_skops_trusts_nothing_but_the_estimator_class(tmp_path, Estimator):
    labels = np.array(["setosa", "versicolor", "virginica"])[load_iris().target]
    X_iris = load_iris().data
    target = labels if Estimator is BackpropClassifier else X_iris[:, 0]
    model = Estimator(max_iter=3, n_init=2, early_stopping=True).fit(X_iris, target)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == [f"sklearn_bp._estimators.{Estimator.__name__}"]
    loaded = sio.load(path, trusted=untrusted)
    assert_array_equal(loaded.predict(X_iris), model.predict(X_iris))


def test_skops_refuses_a_file_carrying_an_unexpected_type(tmp_path):
    model = _fitted_classifier()
    model.coefs_ = model.coefs_ + [threading.Lock]  # a tampered state
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.load(path, trusted=["sklearn_bp._estimators.BackpropClassifier"])


def test_a_model_saved_by_another_version_warns_on_load():
    saved = pickle.dumps(_fitted_classifier())
    from sklearn_bp import __version__

    tampered = saved.replace(__version__.encode(), b"0.0.1")
    with pytest.warns(InconsistentVersionWarning, match="0.0.1"):
        pickle.loads(tampered)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        pickle.loads(saved)


# --------------------------------------------------------------------- concurrency
def test_one_model_predicts_correctly_from_many_threads():
    X_iris, y_iris = load_iris(return_X_y=True)
    model = BackpropClassifier(max_iter=20, random_state=0).fit(X_iris, y_iris)
    expected = model.predict_proba(X_iris)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: model.predict_proba(X_iris), range(32)))
    for result in results:
        assert_array_equal(result, expected)


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_clones_fit_concurrently_in_threads_and_processes(backend):
    X_iris, y_iris = load_iris(return_X_y=True)
    template = BackpropClassifier(max_iter=10, random_state=0)
    serial = [
        clone(template).set_params(alpha=a).fit(X_iris, y_iris) for a in (0.1, 1.0)
    ]
    parallel = joblib.Parallel(n_jobs=2, backend=backend)(
        joblib.delayed(
            lambda a: clone(template).set_params(alpha=a).fit(X_iris, y_iris)
        )(a)
        for a in (0.1, 1.0)
    )
    for a, b in zip(serial, parallel):
        assert_array_equal(a.coefs_[0], b.coefs_[0])


# ------------------------------------------------------------------------- memory
X_LARGE = np.random.RandomState(0).normal(size=(20_000, 100)).astype(np.float32)
Y_LARGE = (X_LARGE[:, 0] > 0).astype(int)


def _peak_memory(call):
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@functools.cache
def _memory_mapped():
    path = os.path.join(tempfile.mkdtemp(), "X.npy")
    np.save(path, X_LARGE)
    return np.load(path, mmap_mode="r")


def _c_ordered_frame():
    frame = pd.DataFrame(X_LARGE, copy=False)
    assert frame.to_numpy().flags.c_contiguous  # a view of the C-ordered array
    return frame


def _column_frame():
    # Each column contiguous, as pandas stores a frame: its values are F-ordered.
    frame = pd.DataFrame(np.asfortranarray(X_LARGE))
    assert not frame.to_numpy().flags.c_contiguous
    return frame


# name: (X, copied by fit). docs/reliability.rst lists the same cases.
LAYOUTS = {
    "C-ordered array": (lambda: X_LARGE, False),
    "memory-mapped array": (_memory_mapped, False),
    "DataFrame of a C-ordered array": (_c_ordered_frame, False),
    "CSR matrix": (lambda: sp.csr_matrix(X_LARGE), False),
    "F-ordered array": (lambda: np.asfortranarray(X_LARGE), True),
    "DataFrame of contiguous columns": (_column_frame, True),
    "strided view": (lambda: np.repeat(X_LARGE, 2, axis=1)[:, ::2], True),
    "CSC matrix": (lambda: sp.csc_matrix(X_LARGE), True),
}


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("make_X, copied", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_fit_copies_X_only_to_change_its_layout(make_X, copied, early_stopping):
    X_case = make_X()
    size = X_LARGE.nbytes
    if sp.issparse(X_case):
        size = X_case.data.nbytes + X_case.indices.nbytes
    params = dict(hidden_layer_sizes=(4,), max_iter=1, early_stopping=early_stopping)
    first_rows = X_case.iloc[:100] if hasattr(X_case, "iloc") else X_case[:100]
    model = BackpropClassifier(**params).fit(first_rows, Y_LARGE[:100])  # compile
    peak = _peak_memory(lambda: BackpropClassifier(**params).fit(X_case, Y_LARGE))
    if copied:  # one copy, into C order or CSR
        assert 1.0 * size <= peak < 1.5 * size
    else:  # nothing copies X, not even the validation rows
        assert peak < 0.5 * size
    # Prediction reads every one of these layouts in place.
    assert _peak_memory(lambda: model.predict_proba(X_case)) < 0.5 * size
