"""The compiled code in real deployments: its disk cache, and numba's debugging modes.

Each case runs in a child process (a crash fails the test instead of ending the run)
on a copy of the package in a temporary directory, so that the cache it reads and
writes is the copy's own (the copy's ``sklearn_bp/__pycache__``) and the copy's
sources can be edited. The copies start from one cache, filled by a first fit, so
that a case compiles again only what it invalidates.
"""

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import sklearn_bp
from sklearn_bp import _jit

PACKAGE = Path(sklearn_bp.__file__).parent

#: A small fit and prediction. Prints the results and, for each compiled function,
#: how many of its versions were loaded from the cache and how many were compiled.
FIT = """
import json, sys, warnings
import numpy as np
import sklearn_bp
from sklearn.exceptions import ConvergenceWarning
from sklearn_bp import BackpropClassifier, _sgd, _sigmoid, _visits

assert sklearn_bp.__file__.startswith(sys.argv[1]), sklearn_bp.__file__
rng = np.random.RandomState(0)
X = rng.uniform(-1, 1, size=(40, 3))
y = (X[:, 0] + X[:, 1] > 0).astype(int)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model = BackpropClassifier(hidden_layer_sizes=(5,), max_iter=2, random_state=0)
    proba = model.fit(X, y).predict_proba(X)
compiled = {
    f"{module.__name__.split('.')[-1]}.{name}": function.stats
    for module in (_sgd, _sigmoid, _visits)
    for name, function in vars(module).items()
    if hasattr(function, "stats")
}
print(json.dumps({
    "coefs": [c.tolist() for c in model.coefs_],
    "proba": proba.tolist(),
    "warnings": [
        [w.category.__name__, str(w.message)]
        for w in caught
        if not issubclass(w.category, ConvergenceWarning)  # max_iter=2
    ],
    "cache": {
        name: [sum(s.cache_hits.values()), sum(s.cache_misses.values())]
        for name, s in compiled.items()
    },
}))
"""

#: The cached compiled functions that FIT calls.
FIT_CACHED = (
    "_sgd._sample_epoch",
    "_sigmoid.sigmoid_inplace",
    "_visits._row_projections",
)
LOADED, COMPILED = [1, 0], [0, 1]

#: For a child run as root: without the capabilities that let root write where the
#: file modes forbid it, root is held by the modes as any other user is.
AS_ANY_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def skip_unless_file_modes_hold():
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("as root, this needs setpriv to drop root's override of modes")


def run_child(code, root, *args, env=None, as_any_user=False):
    """Run ``code`` with the package copy under ``root`` first on the path; its last
    line of output, as JSON. Any ``NUMBA_*`` setting of the test run is left out, and
    the user's cache directory is that of ``HOME``."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NUMBA_") and key != "XDG_CACHE_HOME"
    }
    environment.update(PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    command = [sys.executable, "-c", code, str(root), *map(str, args)]
    if as_any_user and os.geteuid() == 0:
        command = AS_ANY_USER + command
    result = subprocess.run(
        command, cwd=root, env=environment, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.splitlines()[-1])


def copy_package(root):
    """A copy of the package's sources, without its cache."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(PACKAGE, root / "sklearn_bp", ignore=ignore)
    return root / "sklearn_bp"


def cache_files(root, name, suffix):
    """The index or data files of the compiled function ``name`` in the copy's cache."""
    return list((root / "sklearn_bp" / "__pycache__").glob(f"*{name}[.-]*.{suffix}"))


def cache_warnings(result):
    return [w for w in result["warnings"] if w[0] == "CompilationCacheWarning"]


@pytest.fixture(scope="module")
def cached_copy(tmp_path_factory):
    """A copy of the package whose cache holds FIT's compiled code and nothing else,
    and FIT's result."""
    root = tmp_path_factory.mktemp("cached")
    copy_package(root)
    result = run_child(FIT, root)
    assert all(result["cache"][name] == COMPILED for name in FIT_CACHED)
    assert not result["warnings"]
    return root, result


@pytest.fixture
def package_copy(cached_copy, tmp_path):
    """A fresh copy of ``cached_copy``, and the result of FIT there."""
    root, result = cached_copy
    shutil.copytree(root / "sklearn_bp", tmp_path / "sklearn_bp")
    return tmp_path, result


def test_no_writable_cache_directory_compiles_in_memory_and_says_so_once(
    package_copy, tmp_path
):
    """A system-wide install run by another user with no writable home (the usual
    container layout): numba finds no directory to cache in. Reproduced with a copy
    of the package, and a home directory, that are read-only to the child."""
    skip_unless_file_modes_hold()
    _, expected = package_copy
    package = copy_package(tmp_path / "read-only")
    home = tmp_path / "home"
    home.mkdir()
    read_only = [home, package, *package.rglob("*")]
    try:
        for path in read_only:
            path.chmod(0o555 if path.is_dir() else 0o444)
        result = run_child(
            FIT, package.parent, env={"HOME": str(home)}, as_any_user=True
        )
    finally:
        for path in read_only:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert result["coefs"] == expected["coefs"]
    assert all(result["cache"][name] == COMPILED for name in FIT_CACHED)
    [warning] = cache_warnings(result)
    assert re.search(
        "cannot be cached on disk: no writable cache directory was found", warning[1]
    )
    assert not (package / "__pycache__").exists() and not any(home.iterdir())


#: Makes the cache directory unwritable after import, then compiles a new version of
#: the content-key loop (float32 rows).
UNWRITABLE = """
import json, os, sys, warnings
import numpy as np
from sklearn_bp import _visits

os.chmod(os.path.join(sys.argv[1], "sklearn_bp", "__pycache__"), 0o555)
X = np.arange(12, dtype=np.float32).reshape(4, 3)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    keys = _visits._row_projections(_visits.as_inputs(X), np.ones((2, 3)))
print(json.dumps({
    "keys": keys.tolist(),
    "warnings": [[w.category.__name__, str(w.message)] for w in caught],
}))
"""


def test_a_cache_directory_that_becomes_unwritable_does_not_break_compiling(
    package_copy,
):
    """The cache directory became unwritable (as with a full disk) after the package
    chose it: new versions are compiled all the same, and kept in memory."""
    skip_unless_file_modes_hold()
    root, _ = package_copy
    try:
        result = run_child(UNWRITABLE, root, as_any_user=True)
    finally:
        (root / "sklearn_bp" / "__pycache__").chmod(0o755)
    assert result["keys"] == [[3.0 * i + 3.0] * 2 for i in range(0, 12, 3)]
    [warning] = cache_warnings(result)
    assert re.search("cannot be cached on disk: writing to .* failed", warning[1])


def truncated(data):
    return data[: len(data) // 2]


def emptied(data):
    return b""


def overwritten(data):
    return np.random.RandomState(0).bytes(len(data))


def flipped(data):
    """Every bit of 64 bytes in the middle inverted (a damaged disk block)."""
    middle = len(data) // 2
    damage = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    return data[:middle] + damage + data[middle + 64 :]


@pytest.mark.parametrize("damage", [truncated, emptied, overwritten, flipped])
def test_a_damaged_cache_file_is_dropped_and_compiled_again(package_copy, damage):
    """Cache files damaged as a full disk or a killed process leave them: the index
    (``.nbi``) of one cached function and the data (``.nbc``) of another (the two
    cheapest to compile again). The fit must compile both again, give the same
    model, and write their files anew."""
    root, expected = package_copy
    damaged = {"_sigmoid.sigmoid_inplace": "nbi", "_visits._row_projections": "nbc"}
    files = [path for item in damaged.items() for path in cache_files(root, *item)]
    assert len(files) == 2
    for path in files:
        path.write_bytes(damage(path.read_bytes()))
    result = run_child(FIT, root)
    assert result["coefs"] == expected["coefs"]
    assert [result["cache"][name] for name in damaged] == [COMPILED, COMPILED]
    assert result["cache"]["_sgd._sample_epoch"] == LOADED
    assert not result["warnings"]
    for path in files:
        _jit._read_checked(path)  # raises if the file is still damaged


def test_editing_the_sigmoid_alone_recompiles_every_loop_that_carries_it(
    package_copy,
):
    """An upgrade that changes only ``_sigmoid.py``: training must run the new
    sigmoid, as it does when compiled afresh (with an empty cache directory)."""
    root, before = package_copy
    source = root / "sklearn_bp" / "_sigmoid.py"
    text = source.read_text()
    old = "return 1.0 / (1.0 + _exp_near_zero(r) * two_to_k)"
    assert text.count(old) == 1
    # sigmoid(z) becomes sigmoid(z - ln 2).
    new = "return 1.0 / (1.0 + 2.0 * _exp_near_zero(r) * two_to_k)"
    source.write_text(text.replace(old, new))

    after = run_child(FIT, root)
    fresh = run_child(FIT, root, env={"NUMBA_CACHE_DIR": str(root / "empty")})
    assert after["coefs"] != before["coefs"]
    assert after["coefs"] == fresh["coefs"]
    assert after["proba"] == fresh["proba"]
    assert all(after["cache"][name] == COMPILED for name in FIT_CACHED)


#: Calls the compiled content-key loop with directions of ``argv[2]`` columns for
#: an X of 3 columns: fewer than 3 reads past the end of each direction.
PROJECT = """
import json, sys
import numpy as np
from sklearn_bp import _visits

directions = np.ones((2, int(sys.argv[2])))
try:
    _visits._row_projections(_visits.as_inputs(np.ones((4, 3))), directions)
    outcome = "ran"
except IndexError:
    outcome = "IndexError"
stats = _visits._row_projections.stats
hits, misses = sum(stats.cache_hits.values()), sum(stats.cache_misses.values())
print(json.dumps([outcome, hits, misses]))
"""


def test_bounds_checked_code_is_cached_apart_from_normal_code(package_copy):
    """NUMBA_BOUNDSCHECK=1 compiles different code: it must neither load the normal
    code from the cache (it would not check) nor replace it there."""
    root, _ = package_copy
    checked = run_child(PROJECT, root, 2, env={"NUMBA_BOUNDSCHECK": "1"})
    assert checked == ["IndexError", 0, 1]
    assert run_child(PROJECT, root, 3) == ["ran", 1, 0]


def small_fits():
    """Fits and predictions of both estimators, dense and sparse, per-sample and
    mini-batch, small enough for numba's pure-Python mode."""
    import warnings

    import numpy as np
    import scipy.sparse as sp

    from sklearn_bp import BackpropClassifier, BackpropRegressor

    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(24, 3)) * (rng.uniform(size=(24, 3)) < 0.7)
    y = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.3)]
    targets = np.column_stack([X[:, 0] - X[:, 1], X[:, 2] ** 2])
    results = {}
    for Estimator, Y in [(BackpropClassifier, y), (BackpropRegressor, targets)]:
        for sparse in (False, True):
            for batch_size in (1, 5):
                model = Estimator(
                    hidden_layer_sizes=(4,),
                    batch_size=batch_size,
                    max_iter=3,
                    momentum=0.5,
                    random_state=0,
                )
                data = sp.csr_matrix(X) if sparse else X
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # not converged in 3 epochs
                    model.fit(data, Y)
                outputs = (
                    model.predict_proba(data)
                    if hasattr(model, "predict_proba")
                    else model.predict(data)
                )
                key = f"{Estimator.__name__} sparse={sparse} batch={batch_size}"
                results[key] = {
                    "coefs": [c.ravel().tolist() for c in model.coefs_],
                    "loss_curve": model.loss_curve_,
                    "outputs": np.ravel(outputs).tolist(),
                }
    return results


def test_numba_disable_jit_runs_the_same_training_in_pure_python():
    """NUMBA_DISABLE_JIT=1, numba's debugging mode, runs every loop as Python code,
    to the compiled code's results but for the rounding of fused multiply-adds and
    reassociated sums (measured: 1.4e-14 relative at most, 3 to 30 epochs)."""
    code = "import json\n" + inspect.getsource(small_fits)
    code += "\nprint(json.dumps(small_fits()))"
    pure_python = run_child(code, PACKAGE.parent, env={"NUMBA_DISABLE_JIT": "1"})
    compiled = small_fits()
    assert pure_python.keys() == compiled.keys()
    for key, expected in compiled.items():
        for name, values in expected.items():
            assert_allclose(
                np.concatenate(pure_python[key][name], axis=None),
                np.concatenate(values, axis=None),
                rtol=1e-12,  # docs/reliability.rst
                atol=1e-12,
                err_msg=f"{key}: {name}",
            )


def test_the_cache_key_covers_every_module_with_compiled_code():
    """A module whose code numba compiles, but whose source the key leaves out,
    would bring back stale cached code when only that module changes."""
    uses_numba = re.compile(
        r"^(import numba|from numba|from \._jit import .*(compiled|helper))"
    )
    compiled = {
        path.name
        for path in PACKAGE.glob("*.py")
        if any(uses_numba.match(line) for line in path.read_text().splitlines())
    }
    assert compiled <= set(_jit.COMPILED_SOURCES)
    assert {"_jit.py", "_sgd.py", "_sigmoid.py", "_visits.py"} <= compiled
