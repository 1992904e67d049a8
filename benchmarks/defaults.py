"""Cross-validated scores and fit times of the defaults beside scikit-learn's MLP.

Every dataset that ships with scikit-learn and fits the task; StandardScaler in front;
5-fold CV (stratified for classifiers); the contenders are fitted fold by fold in turn
(interleaved) with one BLAS thread, and fit times are medians over the folds.

    python benchmarks/defaults.py            # markdown table on stdout
"""

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_linnerud,
    load_wine,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_bp import BackpropClassifier, BackpropRegressor

CLASSIFICATION = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}
REGRESSION = {"diabetes": load_diabetes, "linnerud": load_linnerud}


def contenders(is_classifier, ours_params):
    if is_classifier:
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


def evaluate(X, y, models, is_classifier):
    """Per model: (mean CV score, median fit time), the models interleaved per fold."""
    kind = StratifiedKFold if is_classifier else KFold
    folds = kind(5, shuffle=True, random_state=0).split(X, y)
    scores = {name: [] for name in models}
    times = {name: [] for name in models}
    for train, test in folds:
        for name, model in models.items():
            pipeline = make_pipeline(StandardScaler(), clone(model))
            start = time.perf_counter()
            pipeline.fit(X[train], y[train])
            times[name].append(time.perf_counter() - start)
            scores[name].append(pipeline.score(X[test], y[test]))
    return {name: (np.mean(scores[name]), np.median(times[name])) for name in models}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="{}", help="JSON parameters for ours")
    parser.add_argument(
        "--task", choices=["classification", "regression", "both"], default="both"
    )
    args = parser.parse_args()
    ours_params = json.loads(args.params)
    warnings.simplefilter("ignore", ConvergenceWarning)
    # Compile the training loops before anything is timed.
    BackpropClassifier(max_iter=1).fit([[0.0], [1.0]], [0, 1])
    print("| dataset | model | CV score | fit time (s) | time / MLP default |")
    print("|---|---|---|---|---|")
    with threadpool_limits(1):
        for datasets, is_classifier in ((CLASSIFICATION, True), (REGRESSION, False)):
            if args.task != "both" and is_classifier != (args.task == "classification"):
                continue
            for name, load in datasets.items():
                X, y = load(return_X_y=True)
                results = evaluate(
                    X, y, contenders(is_classifier, ours_params), is_classifier
                )
                reference = results["MLP default"][1]
                for model, (score, fit_time) in results.items():
                    print(
                        f"| {name} | {model} | {score:.4f} | {fit_time:.3f} "
                        f"| {fit_time / reference:.2f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
