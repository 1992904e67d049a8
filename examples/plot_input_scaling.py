"""
Scaling the inputs
==================

The notes' "normalization" trick: give every input zero mean and unit variance
(:class:`~sklearn.preprocessing.StandardScaler`) before training. A hidden unit
sums its inputs times weights drawn for inputs of that scale; an input in the
hundreds drives the sum far from 0, where the sigmoid is flat and its slope, the
factor every gradient through the unit is multiplied by, is almost 0.

The wine data's 13 features range from below 1 to over 1000 (proline): unscaled,
every hidden unit is saturated and the network predicts one class. The digits'
64 pixels all lie in [0, 16]: raw digits saturate half the hidden outputs, yet
train about as well as scaled ones.
A unit counts as saturated on a sample when its slope ``a (1 - a)`` is below 0.01
(its largest value is 0.25). The histograms are the trained networks' hidden
activations on the wine training set.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier


def hidden_activations(clf, X):
    """The sigmoid outputs of the first hidden layer, one row per sample."""
    return 1.0 / (1.0 + np.exp(-(X @ clf.coefs_[0] + clf.intercepts_[0])))


def fit_raw_and_scaled(X, y):
    """{"raw" | "scaled": (test accuracy, epochs, hidden activations on train)}."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    versions = {
        "raw": (X_train, X_test),
        "scaled": (scaler.transform(X_train), scaler.transform(X_test)),
    }
    results = {}
    for name, (train, test) in versions.items():
        with warnings.catch_warnings():
            # Raw wine ends on a plateau and the digits at max_iter, each with a
            # warning that says so.
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = BackpropClassifier(random_state=0).fit(train, y_train)
        results[name] = (
            clf.score(test, y_test),
            clf.n_iter_,
            hidden_activations(clf, train),
        )
    return results


results = {
    "wine": fit_raw_and_scaled(*load_wine(return_X_y=True)),
    "digits": fit_raw_and_scaled(*load_digits(return_X_y=True)),
}

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
for ax, name in zip(axes, ["raw", "scaled"]):
    activations = results["wine"][name][2].ravel()
    ax.hist(activations, bins=50, range=(0, 1), color="tab:blue")
    ax.set_title(f"wine, {name} inputs")
    ax.set_xlabel("hidden unit's output")
axes[0].set_ylabel("samples x units")
fig.tight_layout()

print(f"{'data':<8} {'inputs':<7} {'test acc.':>9} {'epochs':>6} {'saturated':>9}")
for data, by_version in results.items():
    for name, (accuracy, epochs, activations) in by_version.items():
        saturated = np.mean(activations * (1 - activations) < 0.01)
        print(f"{data:<8} {name:<7} {accuracy:>9.3f} {epochs:>6} {saturated:>9.1%}")
