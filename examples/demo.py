"""Cross-validated scores of sklearn-bp beside scikit-learn's MLP.

Datasets that ship with scikit-learn; StandardScaler in front of every model; 5-fold
cross-validation. Run with ``make demo``.
"""

import time
import warnings

from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier, BackpropRegressor

TASKS = [
    ("iris", load_iris, BackpropClassifier, MLPClassifier, "accuracy"),
    ("digits", load_digits, BackpropClassifier, MLPClassifier, "accuracy"),
    ("diabetes", load_diabetes, BackpropRegressor, MLPRegressor, "R^2"),
]


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"{'dataset':<10} {'model':<20} {'metric':<9} {'CV mean':>8} {'time (s)':>9}")
    for name, load, Ours, Theirs, metric in TASKS:
        X, y = load(return_X_y=True)
        for model in (Ours(random_state=0), Theirs(random_state=0)):
            start = time.perf_counter()
            scores = cross_val_score(make_pipeline(StandardScaler(), model), X, y, cv=5)
            elapsed = time.perf_counter() - start
            print(
                f"{name:<10} {type(model).__name__:<20} {metric:<9} "
                f"{scores.mean():>8.4f} {elapsed:>9.2f}"
            )


if __name__ == "__main__":
    main()
