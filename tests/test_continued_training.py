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
    X, y = data
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
