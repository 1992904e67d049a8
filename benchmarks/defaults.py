"""Cross-validated scores and fit times of the defaults beside scikit-learn's MLP.

A suite of problems of every size and kind: every data set that ships with
scikit-learn and fits the task, scikit-learn's generators, smooth functions, tiny data
and 50 000 rows, plus the same regression with its target rescaled and shifted.
StandardScaler in front; 5-fold CV (stratified for classifiers); the contenders are
fitted fold by fold in turn (interleaved) with one BLAS thread. Scores are CV means
(accuracy, balanced accuracy for the imbalanced problem, R^2 for regression); fit
times are summed over the folds.

    python benchmarks/defaults.py                  # markdown table on stdout
    python benchmarks/defaults.py --write          # ... and into benchmarks/DEFAULTS.md
    python benchmarks/defaults.py --only moons,xor # a few problems
    python benchmarks/defaults.py --quick          # the problems below 5000 rows
    python benchmarks/defaults.py --params '{"alpha": 0.01}'  # other settings for ours
"""

import argparse
import json
import pathlib
import platform
import time
import warnings

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_linnerud,
    load_wine,
    make_circles,
    make_classification,
    make_friedman1,
    make_friedman2,
    make_friedman3,
    make_moons,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_bp import BackpropClassifier, BackpropRegressor

OUTPUT = pathlib.Path(__file__).with_name("DEFAULTS.md")


def _xor(n_copies=6, noise=0.1, seed=0):
    """The four XOR corners, each repeated with a little jitter: 24 rows."""
    rng = np.random.RandomState(seed)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    X = np.repeat(corners, n_copies, axis=0)
    y = np.repeat([0, 1, 1, 0], n_copies)
    return X + noise * rng.normal(size=X.shape), y


def _curve_1d(n=500, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.uniform(-3, 3, size=(n, 1))
    return x, np.sin(2 * x[:, 0]) + 0.1 * rng.normal(size=n)


def _surface_2d(n=1000, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    y = np.sin(1.5 * X[:, 0]) * np.cos(1.5 * X[:, 1]) + 0.05 * rng.normal(size=n)
    return X, y


def _friedman1():
    return make_friedman1(2000, noise=0.5, random_state=0)


def _rescaled(load, scale, shift):
    def rescaled():
        X, y = load()
        return X, scale * y + shift

    return rescaled


def _balanced_accuracy(pipeline, X, y):
    return balanced_accuracy_score(y, pipeline.predict(X))


#: name -> (is classification, loader returning (X, y), scorer or None for .score)
PROBLEMS = {
    "iris": (True, lambda: load_iris(return_X_y=True), None),
    "wine": (True, lambda: load_wine(return_X_y=True), None),
    "breast_cancer": (True, lambda: load_breast_cancer(return_X_y=True), None),
    "digits": (True, lambda: load_digits(return_X_y=True), None),
    "xor (24 rows)": (True, _xor, None),
    "moons": (True, lambda: make_moons(300, noise=0.25, random_state=0), None),
    "circles": (
        True,
        lambda: make_circles(300, noise=0.1, factor=0.5, random_state=0),
        None,
    ),
    "8 classes": (
        True,
        lambda: make_classification(
            1000, 20, n_informative=10, n_classes=8, random_state=0
        ),
        None,
    ),
    "imbalanced 95/5": (
        True,
        lambda: make_classification(
            2000, 20, n_informative=5, weights=[0.95], flip_y=0.01, random_state=0
        ),
        _balanced_accuracy,
    ),
    "50k rows": (
        True,
        lambda: make_classification(
            50_000, 10, n_informative=8, n_classes=3, random_state=0
        ),
        None,
    ),
    "diabetes": (False, lambda: load_diabetes(return_X_y=True), None),
    "linnerud (20 rows)": (False, lambda: load_linnerud(return_X_y=True), None),
    "friedman1": (False, _friedman1, None),
    "friedman2": (False, lambda: make_friedman2(1000, noise=10, random_state=0), None),
    "friedman3": (False, lambda: make_friedman3(1000, noise=0.1, random_state=0), None),
    "make_regression": (
        False,
        lambda: make_regression(1000, 20, n_informative=10, noise=10, random_state=0),
        None,
    ),
    "3 outputs": (
        False,
        lambda: make_regression(
            1000, 10, n_informative=5, n_targets=3, noise=5, random_state=0
        ),
        None,
    ),
    "sin 1-D": (False, _curve_1d, None),
    "surface 2-D": (False, _surface_2d, None),
    "xor regression (24 rows)": (False, _xor, None),
    "friedman1, y*1000": (False, _rescaled(_friedman1, 1000.0, 0.0), None),
    "friedman1, y+1e4": (False, _rescaled(_friedman1, 1.0, 1e4), None),
}
QUICK_LIMIT = 5000  # rows


def contenders(classification, ours_params):
    if classification:
        return {
            "sklearn-bp": BackpropClassifier(random_state=0, **ours_params),
            "MLP default": MLPClassifier(random_state=0),
            "MLP logistic sgd": MLPClassifier(
                activation="logistic", solver="sgd", random_state=0
            ),
        }
    return {
        "sklearn-bp": BackpropRegressor(random_state=0, **ours_params),
        "MLP default": MLPRegressor(random_state=0),
        "MLP logistic sgd": MLPRegressor(
            activation="logistic", solver="sgd", random_state=0
        ),
    }


def evaluate(X, y, models, scorer):
    """Per model: (mean CV score, summed fit time), the models interleaved per fold."""
    first = next(iter(models.values()))
    kind = StratifiedKFold if is_classifier(first) else KFold
    folds = kind(5, shuffle=True, random_state=0).split(X, y)
    scores = {name: [] for name in models}
    times = {name: 0.0 for name in models}
    for train, test in folds:
        for name, model in models.items():
            pipeline = make_pipeline(StandardScaler(), clone(model))
            start = time.perf_counter()
            pipeline.fit(X[train], y[train])
            times[name] += time.perf_counter() - start
            score = scorer or (lambda p, X, y: p.score(X, y))
            scores[name].append(score(pipeline, X[test], y[test]))
    return {name: (float(np.mean(scores[name])), times[name]) for name in models}


HEADER = (
    "| problem | rows | sklearn-bp | MLP default | MLP logistic sgd | "
    "bp - best MLP | bp time (s) | time / MLP default | time / MLP sgd |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def row(name, n_rows, results):
    ours, ours_time = results["sklearn-bp"]
    default, default_time = results["MLP default"]
    sgd, sgd_time = results["MLP logistic sgd"]
    margin = ours - max(default, sgd)
    return (
        f"| {name} | {n_rows} | {ours:.4f} | {default:.4f} | {sgd:.4f} | "
        f"{margin:+.4f} | {ours_time:.2f} | {ours_time / default_time:.2f} | "
        f"{ours_time / sgd_time:.2f} |"
    )


def summary(margins, totals):
    ours, default, sgd = totals
    wins = sum(m > 0 for m in margins)
    return [
        f"| **total fit time** | | | | | | {ours:.1f} | {ours / default:.2f} | "
        f"{ours / sgd:.2f} |",
        "",
        f"Worst margin against the better MLP: {min(margins):+.4f}; sklearn-bp "
        f"ahead on {wins} of {len(margins)} problems; total fit time "
        f"{ours:.1f} s against {default:.1f} s (MLP default) and {sgd:.1f} s "
        "(MLP logistic sgd).",
    ]


def selected(args):
    names = list(PROBLEMS)
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        names = [n for n in names if any(w in n for w in wanted)]
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="{}", help="JSON parameters for ours")
    parser.add_argument("--only", help="comma-separated parts of problem names")
    parser.add_argument("--quick", action="store_true", help="skip large problems")
    parser.add_argument("--write", action="store_true", help="write DEFAULTS.md")
    args = parser.parse_args()
    ours_params = json.loads(args.params)
    warnings.simplefilter("ignore", ConvergenceWarning)
    # Compile the training loops before anything is timed.
    BackpropClassifier(max_iter=1).fit([[0.0], [1.0]], [0, 1])
    lines = [HEADER]
    print(HEADER, flush=True)
    margins, totals = [], np.zeros(3)
    with threadpool_limits(1):
        for name in selected(args):
            classification, load, scorer = PROBLEMS[name]
            X, y = load()
            if args.quick and len(X) > QUICK_LIMIT:
                continue
            results = evaluate(X, y, contenders(classification, ours_params), scorer)
            lines.append(row(name, len(X), results))
            print(lines[-1], flush=True)
            margins.append(
                results["sklearn-bp"][0]
                - max(results["MLP default"][0], results["MLP logistic sgd"][0])
            )
            totals += [t for _, t in results.values()]
    tail = summary(margins, totals)
    print("\n".join(tail))
    if args.write:
        OUTPUT.write_text(_document(lines + tail, ours_params))


def _document(lines, ours_params):
    import sklearn

    settings = f" with `{json.dumps(ours_params)}`" if ours_params else ""
    return "\n".join(
        [
            "# Defaults beside scikit-learn's MLP",
            "",
            f"Produced by `python benchmarks/defaults.py --write`{settings} "
            f"(Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
            "one BLAS thread, a shared two-core machine): StandardScaler in front, "
            "5-fold CV (stratified for classifiers), contenders interleaved per fold. "
            "Scores are CV means (accuracy; balanced accuracy for the imbalanced "
            "problem; R^2 for regression). Times are fit times summed over the five "
            "folds.",
            "",
            *lines,
            "",
        ]
    )


if __name__ == "__main__":
    main()
