"""The command line, driven end to end on CSV files the tests write: in subprocesses
(``python -m sklearn_bp`` and the console script), and its many error cases through
its entry point ``main`` in this process (a subprocess each would spend seconds on
imports alone)."""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier
from sklearn_bp._cli import MLP_CONVERGED_MAX_ITER, Problem, best_mlp, target_values


def run_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "sklearn_bp", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_main(*args, cwd, monkeypatch, capsys):
    """``(exit status, stderr)`` of ``sklearn-bp ARGS`` run in ``cwd``, in process."""
    from sklearn_bp._cli import main

    monkeypatch.chdir(cwd)
    try:
        status = main([str(a) for a in args])
    except SystemExit as usage_error:  # argparse's exit
        status = usage_error.code
    return status, capsys.readouterr().err


def write_csv(path, header, rows):
    lines = [",".join(header)] + [",".join(map(str, row)) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def two_blobs(n=40, seed=0):
    """Rows (size, colour, label): the label is given by size, colour is noise."""
    rng = np.random.RandomState(seed)
    rows = []
    for i in range(n):
        label = "big" if i % 2 else "small"
        size = rng.normal(3.0 if label == "big" else -3.0, 0.5)
        colour = ["red", "green", "blue"][rng.randint(3)]
        rows.append((f"{size:.3f}", colour, label))
    return rows


@pytest.fixture
def blobs_csv(tmp_path):
    return write_csv(tmp_path / "blobs.csv", ["size", "colour", "label"], two_blobs())


def test_classification_csv_is_scored_saved_and_plotted(tmp_path, blobs_csv):
    skops_io = pytest.importorskip("skops.io")
    image = pytest.importorskip("matplotlib.image")
    result = run_cli(
        "--csv",
        blobs_csv,
        "--target",
        "label",
        "--cv",
        2,
        "--save",
        "model.skops",
        "--plot",
        "curve.png",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "40 rows, 2 feature columns, classification of 'label'" in out
    assert "2-fold cross-validation" in out
    ours = next(line for line in out.splitlines() if "BackpropClassifier" in line)
    assert float(ours.split()[2]) == 1.0  # the sizes separate the labels
    assert any("MLPClassifier" in line for line in out.splitlines())
    assert "one-time compilation" in out

    pipeline = skops_io.load(
        tmp_path / "model.skops",
        trusted=skops_io.get_untrusted_types(file=tmp_path / "model.skops"),
    )
    assert isinstance(pipeline[-1], BackpropClassifier)
    assert pipeline[-1].classes_.tolist() == ["big", "small"]
    X = np.array([[5.0, "red"], [-5.0, "violet"]], dtype=object)
    assert pipeline.predict(X).tolist() == ["big", "small"]
    # "colour" is one-hot encoded into 3 columns beside the scaled "size".
    assert pipeline[-1].n_features_in_ == 4

    picture = image.imread(tmp_path / "curve.png")
    assert picture.ndim == 3 and picture.shape[0] > 100 and picture.std() > 0


def test_a_real_valued_target_is_regression(tmp_path):
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=30)
    rows = [(f"{a:.4f}", f"{2 * a + 0.1 * rng.randn():.4f}") for a in x]
    path = write_csv(tmp_path / "line.csv", ["x", "y"], rows)
    result = run_cli("--csv", path, "--target", "y", "--cv", 2, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "classification" not in result.stdout.split("\n")[0]
    assert "regression of 'y'" in result.stdout
    assert "BackpropRegressor" in result.stdout
    assert "MLPRegressor" in result.stdout


@pytest.mark.parametrize(
    "values, task, expected",
    [
        ([0, 1, 2] * 10, "auto", "classification"),  # few distinct integers
        (["a", "b", "c"] * 10, "auto", "classification"),  # not numbers
        ([0.5, 1.5] * 15, "auto", "regression"),  # not integers
        (list(range(30)), "auto", "regression"),  # many distinct integers
        (list(range(15)) * 2, "classification", "classification"),  # overridden
        ([0, 1] * 15, "regression", "regression"),  # overridden
    ],
)
def test_the_task_is_inferred_from_the_target_or_given(values, task, expected):
    y, inferred = target_values([str(v) for v in values], "t", task)
    assert inferred == expected
    assert y.tolist() == ([float(v) for v in values] if values[0] != "a" else values)


@pytest.mark.parametrize(
    "content, target, message",
    [
        (None, "y", "no such file"),
        ("", "y", "is empty"),
        ("\n \n", "y", "is empty"),
        ("a,y\n", "y", "no data rows"),
        ("a,b\n1,2\n3,4\n", "y", "no column 'y' in data.csv; its columns are: a, b"),
        ("a,y\n1,5\n2,5\n3,5\n", "y", "single value ('5')"),
        ("a,y\n1,x\n2,\n3,z\n", "y", "empty in 1 rows"),
        ("y\n1\n2\n", "y", "no column besides the target"),
        ("a,y\n1,2\n3\n", "y", "line 3: 1 fields where the header has 2"),
        ("a,y\n1,p\n2,q\n3,q\n", "y", "a class with a single row"),
        ("a,y\n1,p\n2,q\n", "y --task regression", "needs a numeric target"),
    ],
)
def test_bad_input_is_a_clear_error(
    tmp_path, monkeypatch, capsys, content, target, message
):
    if content is not None:
        (tmp_path / "data.csv").write_text(content)
    args = ["--csv", "data.csv", "--target", *target.split()]
    # No exception escapes main: the user sees one line, not a traceback.
    status, stderr = run_main(
        *args, cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys
    )
    assert status == 1
    assert stderr.startswith("sklearn-bp: error: ")
    assert message in stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--csv", "x.csv"], "--csv needs --target"),
        (["--target", "y"], "need --csv"),
        (["--cv", "1"], "--cv must be at least 2"),
        (["--task", "ranking"], "invalid choice"),
    ],
)
def test_bad_arguments_are_usage_errors(tmp_path, monkeypatch, capsys, args, message):
    status, stderr = run_main(
        *args, cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys
    )
    assert status == 2
    assert message in stderr


def test_errors_are_exit_statuses_of_the_process(tmp_path):
    # What main returns is what the process exits with: 2 for usage, 1 for data.
    assert run_cli("--cv", 1, cwd=tmp_path).returncode == 2
    failed = run_cli("--csv", "absent.csv", "--target", "y", cwd=tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.startswith("sklearn-bp: error: ")
    assert "Traceback" not in failed.stderr


def _iris_problem():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    return Problem("iris", X, y, "classification", StandardScaler())


def test_an_unconverged_mlp_is_compared_converged():
    # The MLP's defaults stop at max_iter=200 on iris before converging.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        row = best_mlp(_iris_problem(), random_state=0, folds=2)
    assert row.model == "MLPClassifier"
    assert row.setting.startswith(f"max_iter={MLP_CONVERGED_MAX_ITER}")
    assert "not converged" in row.setting
    assert row.converged_folds == row.folds == 2


def test_the_console_script_runs(tmp_path, blobs_csv):
    # pip installs the [project.scripts] entry beside the interpreter.
    script = Path(sys.executable).parent / "sklearn-bp"
    assert script.exists(), "reinstall the project: pip install -e ."
    result = subprocess.run(
        [script, "--csv", blobs_csv, "--target", "nothing"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1
    assert f"no column 'nothing' in {blobs_csv}; its columns" in result.stderr
