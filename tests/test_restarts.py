"""Random restarts: reproducible, independent of scheduling, escaping local minima."""

import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier, BackpropRegressor

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_y = np.array([0, 1, 1, 0])


def _xor_net(**params):
    # Two hidden units: the smallest network that can represent XOR, and one whose
    # loss surface has local minima that plain SGD often settles in.
    settings = dict(
        hidden_layer_sizes=(2,),
        learning_rate="constant",
        learning_rate_init=2.0,
        max_iter=1000,
        tol=0,
        n_iter_no_change=10**6,
        alpha=0.0,
    )
    return BackpropClassifier(**{**settings, **params})


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def test_restarts_solve_xor_where_single_runs_fail(one_pass_epochs):
    # 1000 passes of 4 rows each: long enough to solve XOR, short enough to stay in
    # a poor minimum from some starts.
    seeds = range(20)
    single = [
        _xor_net(random_state=s).fit(XOR_X, XOR_y).score(XOR_X, XOR_y) for s in seeds
    ]
    restarted = [
        _xor_net(n_init=8, random_state=s).fit(XOR_X, XOR_y).score(XOR_X, XOR_y)
        for s in seeds
    ]
    assert min(single) < 1.0, "some single runs should get stuck"
    assert all(score == 1.0 for score in restarted)


def test_best_restart_is_the_lowest_final_loss(one_pass_epochs):
    net = _xor_net(n_init=6, random_state=0).fit(XOR_X, XOR_y)
    assert len(net.restart_losses_) == 6
    assert net.best_restart_ == int(np.argmin(net.restart_losses_))
    assert net.loss_ == net.restart_losses_[net.best_restart_]


def test_best_restart_under_early_stopping_is_the_best_validation_score():
    X, y = load_iris(return_X_y=True)
    clf = BackpropClassifier(
        hidden_layer_sizes=(5,),
        n_init=4,
        early_stopping=True,
        random_state=0,
        max_iter=30,
    ).fit(X, y)
    assert clf.best_restart_ == int(np.argmax(clf.restart_losses_))
    assert clf.best_validation_score_ == max(clf.restart_losses_)


def test_a_restart_equals_a_single_run_with_its_seed():
    """Restart seeds are drawn up front from random_state, so restart k of a run with
    n_init restarts is the same network whatever n_init is."""
    a = _xor_net(n_init=3, random_state=5, max_iter=50).fit(XOR_X, XOR_y)
    b = _xor_net(n_init=5, random_state=5, max_iter=50).fit(XOR_X, XOR_y)
    assert a.restart_losses_ == b.restart_losses_[:3]


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_same_seed_and_any_n_jobs_give_identical_weights(Estimator):
    X, y = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=(6,), n_init=4, max_iter=20, random_state=3)
    reference = Estimator(**params).fit(X, y)
    for n_jobs in (1, 2, -1):
        other = Estimator(n_jobs=n_jobs, **params).fit(X, y)
        for a, b in zip(
            reference.coefs_ + reference.intercepts_, other.coefs_ + other.intercepts_
        ):
            assert_array_equal(a, b)
        assert other.restart_losses_ == reference.restart_losses_


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("backend", ["threading", "loky", "multiprocessing"])
def test_restarts_give_identical_weights_under_every_joblib_backend(
    backend, early_stopping
):
    from joblib import parallel_config

    X, y = load_iris(return_X_y=True)
    params = dict(
        hidden_layer_sizes=(6,),
        n_init=3,
        n_jobs=2,
        max_iter=15,
        random_state=3,
        early_stopping=early_stopping,
    )
    reference = BackpropClassifier(**{**params, "n_jobs": 1}).fit(X, y)
    with parallel_config(backend=backend):
        other = BackpropClassifier(**params).fit(X, y)
    for a, b in zip(
        reference.coefs_ + reference.intercepts_, other.coefs_ + other.intercepts_
    ):
        assert_array_equal(a, b)
    assert other.restart_loss_curves_ == reference.restart_loss_curves_
    assert other.restart_validation_scores_ == reference.restart_validation_scores_


def test_every_restarts_curves_are_kept():
    X, y = load_iris(return_X_y=True)
    clf = BackpropClassifier(
        hidden_layer_sizes=(4,), n_init=3, max_iter=8, random_state=0
    ).fit(X, y)
    assert len(clf.restart_loss_curves_) == 3
    assert clf.restart_validation_scores_ is None
    assert clf.restart_loss_curves_[clf.best_restart_] == clf.loss_curve_
    assert [c[-1] for c in clf.restart_loss_curves_] == clf.restart_losses_
    # Each restart's curve is that of a single run with its seed.
    alone = BackpropClassifier(hidden_layer_sizes=(4,), max_iter=8, random_state=0).fit(
        X, y
    )
    assert clf.restart_loss_curves_[0] == alone.loss_curve_
    stopped = BackpropClassifier(
        hidden_layer_sizes=(4,),
        n_init=2,
        max_iter=8,
        early_stopping=True,
        random_state=0,
    ).fit(X, y)
    scores = stopped.restart_validation_scores_
    assert [max(s) for s in scores] == stopped.restart_losses_


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [(p["internal_api"], p["num_threads"]) for p in threadpool_info()]


def test_overlapping_threaded_fits_leave_blas_threads_as_they_were():
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    X, y = load_iris(return_X_y=True)
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()

        def fit(seed):
            return BackpropClassifier(
                hidden_layer_sizes=(8,),
                batch_size=16,
                max_iter=30,
                random_state=seed,
            ).fit(X, y)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(fit, range(8)))
        assert _blas_threads() == before


VERBOSE_LINE = re.compile(
    r"Restart (\d)/3: (Epoch \d+, loss = [\d.]+, time = [\d.]+s|.* Stopping\.)"
)


def _restart_of_each_line(out):
    """The restart number of every printed line; fails on a line without one."""
    lines = out.strip().splitlines()
    matches = [VERBOSE_LINE.fullmatch(line) for line in lines]
    assert all(matches), [line for line, m in zip(lines, matches) if not m]
    return [int(m.group(1)) for m in matches]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_verbose_lines_say_which_restart_they_belong_to(n_jobs, capsys):
    clf = _xor_net(max_iter=4, n_init=3, n_jobs=n_jobs, verbose=True, random_state=0)
    clf.fit(XOR_X, XOR_y)
    restarts = _restart_of_each_line(capsys.readouterr().out)
    assert sorted(restarts) == [1] * 4 + [2] * 4 + [3] * 4
    if n_jobs == 1:
        assert restarts == sorted(restarts)


def test_verbose_lines_of_restarts_in_worker_processes_say_their_restart():
    # Worker processes write to the inherited standard output, which capsys does
    # not capture: run the fit in a subprocess and read what it printed.
    code = textwrap.dedent(
        """
        import numpy as np
        from joblib import parallel_config
        from sklearn_bp import BackpropRegressor

        X = np.linspace(0, 1, 20)[:, None]
        reg = BackpropRegressor(
            max_iter=1000, tol=0.5, n_iter_no_change=2, n_init=3, n_jobs=2,
            verbose=True, random_state=0,
        )
        with parallel_config(backend="loky"):
            reg.fit(X, np.sin(3 * X.ravel()))
        print("epochs", *(len(curve) for curve in reg.restart_loss_curves_))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    *lines, epochs = run.stdout.strip().splitlines()
    restarts = _restart_of_each_line("\n".join(lines))
    n_epochs = [int(n) for n in epochs.split()[1:]]
    # Each restart printed every epoch, and stopped with a line that says so.
    assert sorted(restarts) == sorted(
        r for r, n in enumerate(n_epochs, start=1) for _ in range(n + 1)
    )
    assert sum(line.endswith("Stopping.") for line in lines) == 3
