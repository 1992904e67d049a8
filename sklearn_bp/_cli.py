"""The command line: ``python -m sklearn_bp`` or ``sklearn-bp``.

Without arguments it cross-validates both estimators beside scikit-learn's MLP on data
that ships with scikit-learn. With ``--csv FILE --target COLUMN`` it does the same on
the user's table: numeric columns scaled, the others one-hot encoded.
"""

import argparse
import csv
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from ._estimators import BackpropClassifier, BackpropRegressor

#: A numeric target of integers with at most this many distinct values is taken
#: for class labels.
MAX_INTEGER_CLASSES = 10

#: The MLP's max_iter when its default does not converge.
MLP_CONVERGED_MAX_ITER = 2000

#: Cross-validation folds of a user's table, and of the demonstration (fewer, so
#: that it runs in under a minute on a two-core machine).
DEFAULT_FOLDS = 5
DEMO_FOLDS = 3


class CommandLineError(Exception):
    """A problem with the user's input; its message says what to do."""


@dataclass
class Problem:
    """A table to cross-validate on."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str  # "classification" or "regression"
    preprocess: object  # an unfitted transformer put in front of every model


@dataclass
class Row:
    """One model's cross-validated result."""

    problem: str
    model: str
    setting: str
    scores: np.ndarray
    fit_seconds: float
    converged_folds: int
    folds: int


# --------------------------------------------------------------- the parser


def build_parser():
    parser = argparse.ArgumentParser(
        prog="sklearn-bp",
        description=(
            "Cross-validate sklearn-bp's networks beside scikit-learn's MLP: on data "
            "shipped with scikit-learn (no arguments), or on a CSV file."
        ),
    )
    parser.add_argument("--csv", metavar="FILE", help="a CSV file with a header row")
    parser.add_argument("--target", metavar="COLUMN", help="the column to predict")
    parser.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        default="auto",
        help=(
            "auto (the default): classification when the target is not numeric or "
            f"holds at most {MAX_INTEGER_CLASSES} distinct integers, else regression"
        ),
    )
    parser.add_argument(
        "--cv",
        type=int,
        help=f"cross-validation folds ({DEFAULT_FOLDS}; {DEMO_FOLDS} for the demo)",
    )
    parser.add_argument(
        "--save", metavar="PATH", help="write the pipeline fitted on all rows (skops)"
    )
    parser.add_argument(
        "--plot", metavar="PATH", help="write the fitted network's loss curve (PNG)"
    )
    parser.add_argument("--random-state", type=int, default=0, help="seed of models")
    return parser


def main(argv=None):
    """Run the command line; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.csv is None and (args.target or args.save or args.plot):
        parser.error("--target, --save and --plot need --csv FILE")
    if args.csv is not None and args.target is None:
        parser.error("--csv needs --target COLUMN, the column to predict")
    if args.cv is not None and args.cv < 2:
        parser.error(f"--cv must be at least 2, got {args.cv}")
    try:
        if args.csv is None:
            run_demo(args.random_state, args.cv or DEMO_FOLDS)
        else:
            run_csv(args, args.cv or DEFAULT_FOLDS)
    except CommandLineError as error:
        print(f"sklearn-bp: error: {error}", file=sys.stderr)
        return 1
    return 0


# ----------------------------------------------------------------- the demo


def demo_problems():
    """Data sets shipped with scikit-learn, each standardised."""
    loads = [
        ("iris", load_iris, "classification"),
        ("wine", load_wine, "classification"),
        ("diabetes", load_diabetes, "regression"),
    ]
    return [
        Problem(name, *load(return_X_y=True), task, StandardScaler())
        for name, load, task in loads
    ]


def run_demo(random_state, folds):
    problems = demo_problems()
    print(
        "sklearn-bp beside scikit-learn's MLP on data shipped with scikit-learn: "
        "StandardScaler in front of every model, BLAS on one thread (the faster "
        "for data this small, for both).",
        flush=True,
    )
    with threadpool_limits(limits=1, user_api="blas"):
        compile_seconds = compile_training_loops(problems, random_state)
        rows = compare(problems, random_state, folds)
    print_table(rows, folds, compile_seconds)


def compile_training_loops(problems, random_state):
    """Seconds of the first, one-epoch fit of each kind of estimator: numba compiles
    the training loops then (or loads them from its disk cache), once per process."""
    start = time.perf_counter()
    seen = set()
    for problem in problems:
        if problem.task in seen:
            continue
        seen.add(problem.task)
        model = our_model(problem.task, random_state).set_params(max_iter=1)
        X = problem.preprocess.fit_transform(problem.X)
        with warnings.catch_warnings():
            # One epoch is not meant to converge: this fit only compiles.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, problem.y)
    return time.perf_counter() - start


def our_model(task, random_state):
    if task == "classification":
        return BackpropClassifier(random_state=random_state)
    return BackpropRegressor(random_state=random_state)


def mlp_model(task, random_state):
    if task == "classification":
        return MLPClassifier(random_state=random_state)
    return MLPRegressor(random_state=random_state)


def compare(problems, random_state, folds):
    """Every problem's rows: sklearn-bp's estimator, then the MLP at its best."""
    rows = []
    for number, problem in enumerate(problems, start=1):
        progress = f"[{number}/{len(problems)}] {problem.name}"
        ours = our_model(problem.task, random_state)
        _progress(f"{progress}: {type(ours).__name__}")
        rows.append(cross_validated(problem, ours, "default", folds))
        _progress(f"{progress}: {type(mlp_model(problem.task, 0)).__name__}")
        rows.append(best_mlp(problem, random_state, folds))
    return rows


def _progress(message):
    print(f"  {message} ...", file=sys.stderr, flush=True)


def best_mlp(problem, random_state, folds):
    """The MLP with its defaults if they converge in every fold; else with
    ``max_iter`` raised to ``MLP_CONVERGED_MAX_ITER``, whichever scores higher."""
    default = cross_validated(
        problem, mlp_model(problem.task, random_state), "default", folds
    )
    if default.converged_folds == default.folds:
        return default
    raised = mlp_model(problem.task, random_state).set_params(
        max_iter=MLP_CONVERGED_MAX_ITER
    )
    longer = cross_validated(
        problem, raised, f"max_iter={MLP_CONVERGED_MAX_ITER}", folds
    )
    if longer.scores.mean() >= default.scores.mean():
        longer.setting += f" (default: {default.scores.mean():.3f}, not converged)"
        return longer
    default.setting += f" (max_iter={MLP_CONVERGED_MAX_ITER}: lower)"
    return default


def cross_validated(problem, model, setting, folds):
    """``folds``-fold cross-validation of the preprocessing and ``model``, counting
    the folds whose fit converged (no ConvergenceWarning)."""
    pipeline = make_pipeline(clone(problem.preprocess), model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = cross_validate(pipeline, problem.X, problem.y, cv=folds)
    unconverged = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    for warning in caught:
        if not issubclass(warning.category, ConvergenceWarning):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return Row(
        problem=problem.name,
        model=type(model).__name__,
        setting=setting,
        scores=result["test_score"],
        fit_seconds=statistics.median(result["fit_time"]),
        converged_folds=folds - min(unconverged, folds),
        folds=folds,
    )


def print_table(rows, folds, compile_seconds=None):
    header = (
        f"{'data':<10} {'model':<20} {'score':>6} {'± std':>6} "
        f"{'fit s':>7} {'converged':>9}  setting"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.problem:<10} {row.model:<20} {row.scores.mean():>6.3f} "
            f"{row.scores.std():>6.3f} {row.fit_seconds:>7.2f} "
            f"{f'{row.converged_folds}/{row.folds}':>9}  {row.setting}"
        )
    print("-" * len(header))
    print(
        f"score: mean over {folds}-fold cross-validation of the estimator's score\n"
        "  (accuracy for classifiers, R^2 for regressors); ± std: its standard\n"
        "  deviation over the folds.\n"
        "fit s: median seconds of one fold's fit, preprocessing included.\n"
        "converged: folds whose fit stopped before max_iter (no ConvergenceWarning).\n"
        f"setting: the MLP's max_iter is raised to {MLP_CONVERGED_MAX_ITER} when its "
        "default does not converge."
    )
    if compile_seconds is not None:
        print(
            f"Not in fit s: {compile_seconds:.2f} s of one-time compilation of the "
            "training loops by numba\n  (or loading them from its disk cache), paid "
            "by sklearn-bp's first fit in a process."
        )


# ------------------------------------------------------------- a user's CSV


def run_csv(args, folds):
    header, records = read_csv(args.csv)
    problem = csv_problem(args.csv, header, records, args.target, args.task)
    folds = folds_for(problem, folds)
    if args.save:
        _require("skops", "--save")
    if args.plot:
        _require("matplotlib", "--plot")
    print(
        f"{problem.name}: {problem.X.shape[0]} rows, {problem.X.shape[1]} feature "
        f"columns, {problem.task} of {args.target!r}.",
        flush=True,
    )
    compile_seconds = compile_training_loops([problem], args.random_state)
    rows = compare([problem], args.random_state, folds)
    print_table(rows, folds, compile_seconds)
    if args.save or args.plot:
        pipeline = fit_on_all_rows(problem, args.random_state)
        if args.save:
            save_pipeline(pipeline, args.save)
        if args.plot:
            plot_loss_curve(pipeline, args.plot)


def _require(module, option):
    try:
        __import__(module)
    except ImportError:
        raise CommandLineError(
            f"{option} needs {module}, which is not installed: pip install {module}"
        ) from None


def read_csv(path):
    """``(header, records)`` of a CSV file with a header row."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            lines = list(csv.reader(file))
    except FileNotFoundError:
        raise CommandLineError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CommandLineError(f"cannot read {path} as CSV: {error}") from None
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise CommandLineError(f"{path} is empty: it needs a header row and data rows")
    header, records = [name.strip() for name in lines[0]], lines[1:]
    if not records:
        raise CommandLineError(f"{path} has a header row but no data rows")
    for number, record in enumerate(records, start=2):
        if len(record) != len(header):
            raise CommandLineError(
                f"{path}, line {number}: {len(record)} fields where the header has "
                f"{len(header)}"
            )
    return header, records


def csv_problem(path, header, records, target, task):
    if target not in header:
        raise CommandLineError(
            f"no column {target!r} in {path}; its columns are: {', '.join(header)}"
        )
    columns = [list(column) for column in zip(*records)]
    y_column = columns.pop(header.index(target))
    features = [name for name in header if name != target]
    if not features:
        raise CommandLineError(f"{path} has no column besides the target {target!r}")
    y, task = target_values(y_column, target, task)
    X, numeric = feature_matrix(columns)
    name = os.path.basename(path)
    return Problem(name, X, y, task, column_transformer(X.shape[1], numeric))


def target_values(column, target, task):
    """The target as an array, and the task (inferred when ``task`` is "auto")."""
    cells = [cell.strip() for cell in column]
    if "" in cells:
        raise CommandLineError(
            f"the target {target!r} is empty in {cells.count('')} rows; fill them in "
            "or remove those rows"
        )
    if len(set(cells)) < 2:
        raise CommandLineError(
            f"the target {target!r} has a single value ({cells[0]!r}) in every row: "
            "there is nothing to learn"
        )
    numbers = _as_numbers(cells)
    if task == "auto":
        task = "classification" if _looks_like_labels(numbers) else "regression"
    if task == "regression":
        if numbers is None:
            raise CommandLineError(
                f"--task regression needs a numeric target; {target!r} is not"
            )
        return numbers, task
    return np.asarray(cells, dtype=object) if numbers is None else numbers, task


def _as_numbers(cells):
    """The cells as floats (empty cells as NaN), or None if one is not a number."""
    try:
        return np.array([float(c) if c.strip() else np.nan for c in cells])
    except ValueError:
        return None


def _looks_like_labels(numbers):
    if numbers is None:
        return True
    integers = np.all(numbers == np.round(numbers))
    return bool(integers) and np.unique(numbers).size <= MAX_INTEGER_CLASSES


def feature_matrix(columns):
    """An object array of the feature columns (numbers as floats, missing as NaN,
    text as stripped strings) and the indices of the numeric ones."""
    X = np.empty((len(columns[0]), len(columns)), dtype=object)
    numeric = []
    for index, column in enumerate(columns):
        numbers = _as_numbers(column)
        if numbers is None:
            X[:, index] = [cell.strip() for cell in column]
        else:
            X[:, index] = numbers
            numeric.append(index)
    return X, numeric


def column_transformer(n_columns, numeric):
    """Numeric columns: missing values by the median, then scaled; the others:
    one-hot encoded (categories unseen in training encode as all zeros)."""
    categorical = [i for i in range(n_columns) if i not in numeric]
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            ),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )


def folds_for(problem, folds):
    """``folds``, or fewer when the table has too few rows (or members of a class)
    for that many; an error below two."""
    counts = [problem.X.shape[0]]
    if problem.task == "classification":
        counts.append(np.unique(problem.y, return_counts=True)[1].min())
    possible = int(min(counts))
    if possible < 2:
        raise CommandLineError(
            f"{problem.name} has a class with a single row: cross-validation needs "
            "at least two rows of every class"
        )
    if possible < folds:
        print(f"Only {possible} folds possible with these rows; using {possible}.")
    return min(folds, possible)


def fit_on_all_rows(problem, random_state):
    pipeline = make_pipeline(problem.preprocess, our_model(problem.task, random_state))
    _progress(f"fitting {type(pipeline[-1]).__name__} on all rows")
    return pipeline.fit(problem.X, problem.y)


def save_pipeline(pipeline, path):
    import skops.io

    skops.io.dump(pipeline, path)
    print(f"Saved the fitted pipeline to {path} (load it with skops.io.load).")


def plot_loss_curve(pipeline, path):
    import matplotlib

    matplotlib.use("Agg")
    from ._display import LossCurveDisplay

    display = LossCurveDisplay.from_estimator(pipeline)
    display.figure_.savefig(path)
    print(f"Wrote the loss curve to {path}.")
