"""Lock-free parallel per-sample SGD (``n_sgd_threads``): one thread is the
sequential loop, bit for bit; two threads visit every sample once per epoch and
reach the sequential loop's quality on real data, dense and sparse; failures and
interrupts in a parallel epoch keep their guarantees, and no thread outlives a fit."""

import os
import pickle
import signal
import threading
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks

from sklearn_bp import BackpropClassifier, BackpropRegressor, _sgd, _training
from sklearn_bp._hogwild import parallel_sample_epoch


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Stochastic optimizer", ConvergenceWarning)
        yield


def _digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _finite(model):
    return all(np.isfinite(W).all() for W in model.coefs_ + model.intercepts_)


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_one_thread_is_the_sequential_loop_bit_for_bit(Estimator):
    X_train, _, y_train, _ = _digits()
    params = dict(max_iter=5, tol=0, momentum=0.5, random_state=0)
    default = Estimator(**params).fit(X_train, y_train)
    one = Estimator(n_sgd_threads=1, **params).fit(X_train, y_train)
    for W, V in zip(default.coefs_ + default.intercepts_, one.coefs_ + one.intercepts_):
        assert_array_equal(W, V)
    assert one.loss_curve_ == default.loss_curve_


def _epoch_inputs(n_rows=500, n_features=6, hidden=5):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_rows, n_features))
    Y = (rng.uniform(size=(n_rows, 2)) > 0.5).astype(float)
    inputs = _sgd.Inputs(
        False, X, np.empty(0), np.empty(0, np.int32), np.empty(0, np.int32)
    )
    layout = _sgd.make_layout([n_features, hidden, 2])
    params = rng.normal(size=layout.intercept_offsets[-1] + 2)
    visit_rows = np.arange(n_rows, dtype=np.intp)
    visit_weights = rng.uniform(0.5, 1.0, size=n_rows)
    return inputs, Y, visit_rows, visit_weights, layout, params, rng


@pytest.mark.parametrize("n_threads", [2, 3, 7])
def test_parallel_epoch_visits_every_sample_once(n_threads):
    # With a zero step the weights stay put, so the threads' summed losses are
    # the sequential epoch's: every visit of the order counted exactly once.
    inputs, Y, visit_rows, visit_weights, layout, params, rng = _epoch_inputs()
    order = rng.permutation(visit_rows.size)
    rule = _sgd.StepRule(0.0, 0.0, False, 0.0, True, 1)
    velocity = np.zeros_like(params)
    args = (inputs, Y, visit_rows, visit_weights, order)
    expected = _sgd.run_epoch(*args, params.copy(), velocity, layout, rule)
    shared = params.copy()
    loss = parallel_sample_epoch(
        *args, shared, velocity, layout, rule, n_threads=n_threads
    )
    assert_allclose(loss, expected, rtol=1e-12)
    assert_array_equal(shared, params)


def test_parallel_epoch_updates_the_shared_weights():
    # Each slice alone, in turn, on the same weights: a sequential run of the
    # threads' work. The parallel epoch moves the weights as far, in the same
    # direction (races only perturb it).
    inputs, Y, visit_rows, visit_weights, layout, params, rng = _epoch_inputs()
    order = rng.permutation(visit_rows.size)
    rule = _sgd.StepRule(0.05, 0.0, False, 0.0, True, 1)
    args = (inputs, Y, visit_rows, visit_weights)
    velocity = np.zeros_like(params)
    sequential = params.copy()
    for part in np.array_split(order, 2):
        _sgd.run_epoch(*args, part, sequential, velocity, layout, rule)
    shared = params.copy()
    parallel_sample_epoch(*args, order, shared, velocity, layout, rule, n_threads=2)
    moved, expected = shared - params, sequential - params
    cosine = moved @ expected / np.linalg.norm(moved) / np.linalg.norm(expected)
    assert cosine > 0.9


def test_repeated_ctrl_c_while_waiting_for_a_thread_leaves_none_running(monkeypatch):
    # The calling thread's slice is quick, the other's slow; three interrupts
    # arrive while the calling thread waits. The epoch raises the interrupt only
    # once the other thread has ended.
    inputs, Y, visit_rows, visit_weights, layout, params, rng = _epoch_inputs()
    order = rng.permutation(visit_rows.size)
    rule = _sgd.StepRule(0.05, 0.0, False, 0.0, True, 1)
    real_epoch, finished, interrupts = _sgd._sample_epoch, [], []

    def slow_in_workers(*args):
        if threading.current_thread() is not threading.main_thread():
            time.sleep(1.0)
            finished.append(True)
        return real_epoch(*args)

    def handler(signum, frame):
        if len(interrupts) < 3:
            interrupts.append(signum)
            raise KeyboardInterrupt

    monkeypatch.setattr(_sgd, "_sample_epoch", slow_in_workers)
    threads = threading.active_count()
    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)
    try:
        with pytest.raises(KeyboardInterrupt):
            parallel_sample_epoch(
                inputs,
                Y,
                visit_rows,
                visit_weights,
                order,
                params,
                np.zeros_like(params),
                layout,
                rule,
                n_threads=2,
            )
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert len(interrupts) == 3 and finished == [True]
    assert threading.active_count() == threads


def _epoch_interrupted_in_start(monkeypatch, launch):
    """A parallel epoch whose worker's start() is cut short by an interrupt, just
    after (``launch=True``: the thread runs, but has not begun) or just before the
    thread is launched; returns the number of threads left and the params."""
    from sklearn_bp import _hogwild

    inputs, Y, visit_rows, visit_weights, layout, params, rng = _epoch_inputs()
    real_start_new_thread = threading._start_new_thread

    def interrupted_start(function, args):
        if launch:

            def late(*args):  # the new thread is slow to be scheduled
                time.sleep(0.3)
                function(*args)

            real_start_new_thread(late, args)
        raise KeyboardInterrupt

    monkeypatch.setattr(threading, "_start_new_thread", interrupted_start)
    monkeypatch.setattr(_hogwild, "LAUNCH_TIMEOUT", 1.0)
    threads = _os_threads()
    before = params.copy()
    with pytest.raises(KeyboardInterrupt):
        parallel_sample_epoch(
            inputs,
            Y,
            visit_rows,
            visit_weights,
            rng.permutation(visit_rows.size),
            params,
            np.zeros_like(params),
            layout,
            _sgd.StepRule(0.05, 0.0, False, 0.0, True, 1),
            n_threads=2,
        )
    monkeypatch.undo()
    time.sleep(0.5)  # a thread left running would still be here
    return _os_threads() - threads, before, params


def _os_threads():
    """The process's threads as the system counts them: an interrupted start()
    leaves its Thread in threading's own count although none was launched."""
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="Linux's /proc")
@pytest.mark.parametrize("launch", [True, False])
def test_an_interrupt_inside_a_threads_start_leaves_no_thread_behind(
    monkeypatch, launch
):
    # The interrupt comes before the calling thread's own slice: a launched thread
    # that begins late finds the epoch cancelled, and no weight has moved.
    left, before, params = _epoch_interrupted_in_start(monkeypatch, launch)
    assert left == 0
    assert_array_equal(params, before)


def test_two_threads_classify_digits_as_well_as_one():
    X_train, X_test, y_train, y_test = _digits()
    params = dict(max_iter=30, tol=0, random_state=0)
    one = BackpropClassifier(**params).fit(X_train, y_train)
    two = BackpropClassifier(n_sgd_threads=2, **params).fit(X_train, y_train)
    assert _finite(two)
    assert two.score(X_test, y_test) >= one.score(X_test, y_test) - 0.02
    assert two.loss_ <= 1.5 * one.loss_


def test_two_threads_regress_diabetes_as_well_as_one():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    params = dict(hidden_layer_sizes=(16,), max_iter=30, tol=0, random_state=0)
    one = BackpropRegressor(**params).fit(X_train, y_train)
    two = BackpropRegressor(n_sgd_threads=2, **params).fit(X_train, y_train)
    assert _finite(two)
    assert one.score(X_test, y_test) > 0.3  # it learned something to compare
    assert two.score(X_test, y_test) >= one.score(X_test, y_test) - 0.03


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_two_threads_train_on_sparse_inputs(momentum):
    # Raw digits are mostly zeros; with L2 and no momentum the sparse loop keeps
    # the first layer's decay as a scale, which each thread folds in on its own.
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    params = dict(max_iter=20, tol=0, alpha=1e-2, momentum=momentum, random_state=0)
    dense = BackpropClassifier(**params).fit(X_train, y_train)
    sparse = BackpropClassifier(n_sgd_threads=2, **params).fit(
        sp.csr_matrix(X_train), y_train
    )
    assert _finite(sparse)
    assert sparse.score(X_test, y_test) >= dense.score(X_test, y_test) - 0.02


def test_mini_batches_are_refused_with_parallel_sgd():
    X_train, _, y_train, _ = _digits()
    model = BackpropClassifier(n_sgd_threads=2, batch_size=32)
    with pytest.raises(ValueError, match="n_sgd_threads=2 needs batch_size=1"):
        model.fit(X_train, y_train)


def _fitted(X, y):
    return BackpropClassifier(max_iter=3, n_sgd_threads=2, random_state=0).fit(X, y)


def test_a_divergence_leaves_the_fitted_model_as_it_was():
    X_train, _, y_train, _ = _digits()
    model = _fitted(X_train, y_train)
    before = pickle.dumps(model)
    model.set_params(learning_rate_init=1e300, warm_start=True)
    with pytest.raises(ValueError, match="diverged"):
        model.fit(X_train * 1e10, y_train)
    model.set_params(learning_rate_init=0.2, warm_start=False)
    assert pickle.dumps(model) == before


def test_an_error_in_a_worker_thread_propagates_and_no_thread_is_left(monkeypatch):
    X_train, _, y_train, _ = _digits()
    model = _fitted(X_train, y_train)
    before = pickle.dumps(model)
    real_epoch = _sgd._sample_epoch

    def failing_in_workers(*args):
        real_epoch(*args)
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("worker failed")
        return 0.0

    monkeypatch.setattr(_sgd, "_sample_epoch", failing_in_workers)
    threads = threading.active_count()
    model.set_params(warm_start=True)
    with pytest.raises(RuntimeError, match="worker failed"):
        model.fit(X_train, y_train)
    assert threading.active_count() == threads
    model.set_params(warm_start=False)
    assert pickle.dumps(model) == before


def test_an_interrupt_during_a_parallel_epoch_keeps_the_previous_one(monkeypatch):
    # Ctrl-C reaches the calling thread once its own slice is done, while the
    # other thread may still be writing the epoch's weights.
    X_train, _, y_train, _ = _digits()
    real_parallel, real_epoch = parallel_sample_epoch, _sgd._sample_epoch
    started = []  # the weights each parallel epoch started from

    def recording(inputs, Y, rows, weights, order, params, *args, **kwargs):
        started.append(params.copy())
        return real_parallel(inputs, Y, rows, weights, order, params, *args, **kwargs)

    def interrupted_in_third_epoch(*args):
        loss = real_epoch(*args)
        if len(started) == 3 and threading.current_thread() is threading.main_thread():
            raise KeyboardInterrupt
        return loss

    monkeypatch.setattr(_training, "parallel_sample_epoch", recording)
    monkeypatch.setattr(_sgd, "_sample_epoch", interrupted_in_third_epoch)
    threads = threading.active_count()
    with pytest.warns(UserWarning, match="interrupted"):
        model = BackpropClassifier(max_iter=10, n_sgd_threads=2, random_state=0)
        model.fit(X_train, y_train)
    assert threading.active_count() == threads
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    kept = _sgd.pack(model.coefs_, model.intercepts_, started[2].dtype)
    assert_array_equal(kept, started[2])


def test_a_real_ctrl_c_during_parallel_training_keeps_a_consistent_model():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(3000, 20))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    params = dict(max_iter=100_000, tol=0, n_iter_no_change=10**6, random_state=0)
    BackpropClassifier(max_iter=1, n_sgd_threads=2).fit(X, y)  # compile first

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    threads = threading.active_count()
    try:
        with pytest.warns(UserWarning, match="interrupted"):
            model = BackpropClassifier(n_sgd_threads=2, **params).fit(X, y)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert threading.active_count() == threads
    assert 1 <= model.n_iter_ < 100_000 and len(model.loss_curve_) == model.n_iter_
    assert _finite(model)
    assert np.all(np.isfinite(model.predict_proba(X)))


#: scikit-learn's estimator checks that train: every one passes with two threads.
#: Left out are the checks that compare two fits with the same seed, which two
#: threads do not reproduce (fit_idempotent, supervised_y_2d, regressors_int,
#: *_data_not_an_array, sample_weight_equivalence_*, pipeline_consistency), and
#: the slow class-weight check (class weights reach training as visit weights).
TRAINING_CHECKS = [
    "check_estimators_dtypes",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimators_pickle",
    "check_readonly_memmap_input",
    "check_sample_weights_list",
    "check_sample_weights_not_overwritten",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_dict_unchanged",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_estimators_partial_fit_n_features",
    "check_n_features_in",
    "check_f_contiguous_array_estimator",
]
CLASSIFIER_CHECKS = [
    "check_classifiers_train",
    "check_classifiers_one_label",
    "check_classifiers_classes",
    "check_decision_proba_consistency",
]
REGRESSOR_CHECKS = ["check_regressors_train", "check_regressor_multioutput"]


@pytest.mark.parametrize(
    "Estimator, check",
    [(BackpropClassifier, c) for c in TRAINING_CHECKS + CLASSIFIER_CHECKS]
    + [(BackpropRegressor, c) for c in TRAINING_CHECKS + REGRESSOR_CHECKS],
)
def test_scikit_learn_checks_pass_with_two_threads(Estimator, check):
    getattr(estimator_checks, check)(Estimator.__name__, Estimator(n_sgd_threads=2))
