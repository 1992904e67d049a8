"""Warm starts and partial_fit: what they continue, and what they refuse."""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier, BackpropRegressor


def _quietly(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return call(*args, **kwargs)


@pytest.fixture
def data(rng):
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)


def test_partial_fit_after_an_early_stopping_fit_continues_on_the_training_loss(data):
    X, y = data
    clf = BackpropClassifier(early_stopping=True, max_iter=5, random_state=0)
    _quietly(clf.fit, X, y)
    assert clf.best_loss_ is None
    clf.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert clf.validation_scores_ is None
    assert clf.best_loss_ == min(clf.loss_curve_[-2:])
    assert clf.n_iter_ == len(clf.loss_curve_)


def test_warm_start_fit_needs_the_same_classes(data):
    X, y = data
    clf = _quietly(BackpropClassifier(warm_start=True, max_iter=2).fit, X, y)
    with pytest.raises(ValueError, match="same classes as the first fit"):
        clf.fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="Set warm_start=False") as error:
        clf.fit(X, np.where(y == 2, 7, y))
    assert "classes=" not in str(error.value)
    assert_array_equal(clf.classes_, [0, 1, 2])


def test_warm_start_with_other_hidden_layer_sizes_is_an_error(data):
    X, y = data
    clf = _quietly(BackpropClassifier(hidden_layer_sizes=(4,), max_iter=2).fit, X, y)
    clf.set_params(warm_start=True, hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match=r"differs from the fitted network's"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match=r"differs from the fitted network's"):
        clf.partial_fit(X, y)
    assert clf.coefs_[0].shape == (3, 4)


def test_warm_start_continues_the_invscaling_schedule_from_t(data):
    """Without momentum a warm start and a partial_fit take the same steps."""
    # 1000 rows: an epoch of fit is then one pass, as partial_fit's is.
    X = np.random.RandomState(0).normal(size=(1000, 3))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    params = dict(learning_rate="invscaling", power_t=0.5, learning_rate_init=0.5)
    warm = _quietly(BackpropClassifier(max_iter=1, random_state=0, **params).fit, X, y)
    more = _quietly(BackpropClassifier(max_iter=1, random_state=0, **params).fit, X, y)
    warm.set_params(warm_start=True)
    _quietly(warm.fit, X, y)
    more.partial_fit(X, y)
    assert warm.t_ == more.t_ == 2 * len(y)
    for got, expected in zip(warm.coefs_, more.coefs_):
        assert_array_equal(got, expected)


def _run(code):
    """Run code in a fresh interpreter: an out-of-bounds write must not kill the
    test run."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("call", ["partial_fit", "warm_start"])
def test_continued_training_checks_the_targets_output_count(call):
    run = _run(
        f"""
        import numpy as np
        from sklearn_bp import BackpropClassifier
        rng = np.random.RandomState(0)
        X = rng.normal(size=(30, 3))
        y = (X[:, 0] > 0).astype(int)
        y3 = y + (X[:, 1] > 0)
        cases = [
            (y, np.eye(2, dtype=int)[y]),           # binary model, 2-column y
            (y3, np.eye(3, dtype=int)[y3]),         # 3 classes, indicator y
            (y3, (rng.uniform(size=(30, 3)) > 0.5).astype(int)),  # multilabel y
        ]
        for first, later in cases:
            clf = BackpropClassifier(max_iter=1, warm_start=True).fit(X, first)
            before = [W.copy() for W in clf.coefs_]
            try:
                if "{call}" == "partial_fit":
                    clf.partial_fit(X, later)
                else:
                    clf.fit(X, later)
            except ValueError as error:
                assert "fitted on single-label targets" in str(error), error
            else:
                raise SystemExit("accepted targets of another kind")
            assert all((a == b).all() for a, b in zip(before, clf.coefs_))
        print("ok")
        """
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_sparse_multilabel_targets_train_as_dense():
    import scipy.sparse as sp

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    Y = (rng.uniform(size=(30, 3)) > 0.5).astype(int)
    params = dict(max_iter=3, random_state=0)
    dense = _quietly(BackpropClassifier(**params).fit, X, Y)
    sparse = _quietly(BackpropClassifier(**params).fit, X, sp.csr_matrix(Y))
    assert_array_equal(dense.predict(X), sparse.predict(X))
    reg = _quietly(BackpropRegressor(**params).fit, X, sp.csr_matrix(Y * 1.5))
    assert reg.predict(X).shape == (30, 3)


def test_multiclass_multioutput_targets_get_a_short_clear_error(rng):
    X = rng.normal(size=(300, 3))
    with pytest.raises(ValueError, match="multiclass-multioutput") as error:
        BackpropClassifier().fit(X, rng.randint(3, size=(300, 2)))
    assert len(str(error.value)) < 400


TARGETS = {
    "binary": lambda rng, n: rng.randint(2, size=n),
    "multiclass": lambda rng, n: rng.randint(3, size=n),
    "strings": lambda rng, n: np.array(["a", "b", "c"])[rng.randint(3, size=n)],
    "indicator2": lambda rng, n: np.eye(2, dtype=int)[rng.randint(2, size=n)],
    "indicator3": lambda rng, n: np.eye(3, dtype=int)[rng.randint(3, size=n)],
    "multilabel3": lambda rng, n: rng.randint(2, size=(n, 3)),
    "multilabel4": lambda rng, n: rng.randint(2, size=(n, 4)),
    "column": lambda rng, n: rng.randint(2, size=(n, 1)),
    "continuous": lambda rng, n: rng.normal(size=n),
    "wide": lambda rng, n: rng.normal(size=(n, 2)),
}


def test_continued_training_with_any_targets_never_writes_out_of_bounds(tmp_path):
    """Fit, then continue (partial_fit or a warm-started fit) with targets of every
    kind and shape: each continuation either trains a network of the fitted shape
    or raises a ValueError. All 400 pairs run with numba's bounds checks on, in a
    subprocess (an out-of-bounds access raises IndexError there), compiling into
    an empty cache so that no loop compiled without the checks is reused."""
    run = subprocess.run(
        [sys.executable, "-c", _CONTINUATION],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    outcomes = run.stdout.split()
    assert len(outcomes) == 2 * 2 * len(TARGETS) ** 2
    assert {"trained", "refused"} <= set(outcomes)


_CONTINUATION = """
import itertools, warnings
import numpy as np
warnings.simplefilter("ignore")
from sklearn_bp import BackpropClassifier, BackpropRegressor
from tests.test_continued_training import TARGETS

cases = itertools.product(
    (BackpropClassifier, BackpropRegressor), (False, True), TARGETS, TARGETS
)
for seed, (Estimator, warm, first, later) in enumerate(cases):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(12, 3))
    est = Estimator(hidden_layer_sizes=(3,), max_iter=2, warm_start=warm)
    try:
        est.fit(X, TARGETS[first](rng, 12))
    except ValueError:
        print("unfit")
        continue
    shapes = [W.shape for W in est.coefs_]
    try:
        (est.fit if warm else est.partial_fit)(X, TARGETS[later](rng, 12))
    except ValueError:
        print("refused")
    else:
        assert [W.shape for W in est.coefs_] == shapes, (first, later)
        print("trained")
"""


@pytest.mark.parametrize("batch_size", [1, 5])
@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
def test_partial_fit_over_chunks_is_one_epoch_of_fit(rng, Estimator, batch_size):
    """In order, without L2 and with a constant step, the chunks' calls take the
    very steps of one epoch over the whole data (chunk sizes divide by the batch;
    at least 1000 rows, so that an epoch of fit is one pass)."""
    X = rng.normal(size=(1020, 3))
    y = (X[:, 0] > 0).astype(int) if Estimator is BackpropClassifier else X[:, 1] * 5
    params = dict(
        hidden_layer_sizes=(4, 3),
        alpha=0.0,
        shuffle=False,
        batch_size=batch_size,
        momentum=0.9,
        random_state=0,
    )
    whole = _quietly(Estimator(max_iter=1, **params).fit, X, y)
    first = (
        {"classes": [0, 1]}
        if Estimator is BackpropClassifier
        else {"target_range": (y.min(), y.max())}
    )
    streamed = Estimator(**params)
    for start in range(0, 1020, 340):
        streamed.partial_fit(X[start : start + 340], y[start : start + 340], **first)
        first = {}
    for a, b in zip(
        whole.coefs_ + whole.intercepts_, streamed.coefs_ + streamed.intercepts_
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert streamed.n_iter_ == 3  # each call counts as an epoch


def test_target_range_fixes_the_mapping_of_a_stream(rng):
    X = rng.normal(size=(90, 2))
    y = 10 * X[:, 0]
    reg = BackpropRegressor(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no chunk falls outside
        reg.partial_fit(X[:30] / 3, y[:30] / 3, target_range=(y.min(), y.max()))
        reg.partial_fit(X[30:], y[30:])
    assert reg.target_min_ == y.min() and reg.target_max_ == y.max()
    with pytest.raises(ValueError, match="differs from the range fixed by the first"):
        reg.partial_fit(X, y, target_range=(0, 1))
    with pytest.raises(ValueError, match="target_range must be"):
        BackpropRegressor().partial_fit(X, y, target_range=(1, 0))
    with pytest.raises(ValueError, match="target_range must be a pair"):
        BackpropRegressor().partial_fit(X, y, target_range=5)


def test_a_chunk_beyond_the_first_range_warns(rng):
    X = rng.normal(size=(60, 2))
    y = X[:, 0]
    reg = BackpropRegressor(random_state=0)
    reg.partial_fit(X[:30], y[:30])
    with pytest.warns(UserWarning, match="beyond the range the model can predict"):
        reg.partial_fit(X[30:], 3 * y[30:] + 10)


def test_streaming_memory_is_bounded_by_the_chunk(tmp_path):
    """partial_fit over chunks of a memory-mapped file holds about a chunk."""
    import tracemalloc

    n, d, chunk = 200_000, 20, 5_000
    path = tmp_path / "X.npy"
    data = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    data[:] = np.random.RandomState(0).normal(size=(n, d)).astype(np.float32)
    data.flush()
    del data
    X = np.load(path, mmap_mode="r")
    y = (X[:, 0] > 0).astype(int)
    clf = BackpropClassifier(hidden_layer_sizes=(8,), random_state=0)
    clf.partial_fit(X[:chunk], y[:chunk], classes=[0, 1])  # compile outside the count
    tracemalloc.start()
    for start in range(chunk, n, chunk):
        clf.partial_fit(X[start : start + chunk], y[start : start + chunk])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    chunk_bytes = chunk * d * 4
    assert peak < 4 * chunk_bytes  # the whole of X is 40x a chunk
