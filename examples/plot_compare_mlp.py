"""
Side by side with scikit-learn's MLP
====================================

sklearn-bp's estimators and scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier` /
:class:`~sklearn.neural_network.MLPRegressor`, each with its default settings and a
:class:`~sklearn.preprocessing.StandardScaler` in front, 3-fold cross-validated on
two data sets shipped with scikit-learn: the digits (accuracy) and diabetes (R^2).

The MLP is compared at its best: with its defaults where they converge in every
fold (the digits), and otherwise also with ``max_iter`` raised to 1000. A fold
"converged" when its fit ended without a
:class:`~sklearn.exceptions.ConvergenceWarning`. On diabetes the MLP's default 200
epochs end far from a fit; after 1000 it has still not converged, but its score
has come close to ours (the table below).

Fit times are the mean seconds of one fold's fit, with BLAS on one thread for both.
sklearn-bp's training loops are compiled by numba on the first fit in a process (or
loaded from its disk cache); that warm-up is timed apart, before the comparison.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_bp import BackpropClassifier, BackpropRegressor

FOLDS = 3
RAISED_MAX_ITER = 1000


def cross_validated(model, X, y):
    """Fold scores, mean fit seconds and the number of folds that converged."""
    pipeline = make_pipeline(StandardScaler(), model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = cross_validate(pipeline, X, y, cv=FOLDS)
    unconverged = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    converged = FOLDS - min(unconverged, FOLDS)
    return result["test_score"], result["fit_time"].mean(), converged


def compare(ours, mlp, X, y):
    """Rows of (model, scores, fit seconds, converged folds): ours, the MLP with
    its defaults, and the MLP with max_iter raised if its defaults did not
    converge in every fold."""
    rows = [(type(ours).__name__, *cross_validated(ours, X, y))]
    mlp_name = type(mlp).__name__
    scores, seconds, converged = cross_validated(mlp, X, y)
    rows.append((mlp_name, scores, seconds, converged))
    if converged < FOLDS:
        raised = clone(mlp).set_params(max_iter=RAISED_MAX_ITER)
        rows.append(
            (f"{mlp_name}\nmax_iter={RAISED_MAX_ITER}", *cross_validated(raised, X, y))
        )
    return rows


start = time.perf_counter()
for warm_up in (BackpropClassifier(max_iter=1), BackpropRegressor(max_iter=1)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm_up.fit(np.eye(3), [0, 1, 1])
print(
    f"compilation warm-up (not in the fit times): {time.perf_counter() - start:.2f} s"
)

problems = {
    "digits (accuracy)": (
        load_digits(return_X_y=True),
        BackpropClassifier(random_state=0),
        MLPClassifier(random_state=0),
    ),
    "diabetes (R^2)": (
        load_diabetes(return_X_y=True),
        BackpropRegressor(random_state=0),
        MLPRegressor(random_state=0),
    ),
}
results = {}
with threadpool_limits(limits=1, user_api="blas"):
    for name, ((X, y), ours, mlp) in problems.items():
        results[name] = compare(ours, mlp, X, y)

fig, axes = plt.subplots(2, 2, figsize=(10, 6))
for (name, rows), (score_ax, time_ax) in zip(results.items(), axes):
    labels = [row[0] for row in rows]
    colours = ["tab:blue"] + ["tab:gray"] * (len(rows) - 1)
    means = np.array([row[1].mean() for row in rows])
    stds = np.array([row[1].std() for row in rows])
    bars = score_ax.barh(labels, means, xerr=stds, color=colours)
    score_ax.bar_label(bars, fmt="%.3f", label_type="center", color="w")
    score_ax.set_xlim(min(0.0, 1.05 * (means - stds).min()), 1.0)
    score_ax.set_title(f"{name}, mean over {FOLDS} folds")
    time_ax.barh(labels, [row[2] for row in rows], color=colours)
    time_ax.set_title(f"{name.split()[0]}: seconds per fit")
    for ax in (score_ax, time_ax):
        ax.invert_yaxis()
fig.tight_layout()

print(f"{'data':<18} {'model':<28} {'score':>6} {'± std':>6} {'fit s':>6} converged")
for name, rows in results.items():
    for model, scores, seconds, converged in rows:
        model = model.replace("\n", " ")
        print(
            f"{name:<18} {model:<28} {scores.mean():>6.3f} {scores.std():>6.3f} "
            f"{seconds:>6.2f} {converged}/{FOLDS}"
        )
