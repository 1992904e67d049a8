"""
Batch size, step schedules, momentum and early stopping
=======================================================

Variants of SGD on one regression problem (Friedman's function #1, 1,000 noisy
rows, 750 of them for training, inputs standardised), each changing one setting
of :class:`~sklearn_bp.BackpropRegressor`'s defaults. The curves are the training
loss per epoch; the table gives the test R^2, the epochs and the fit time.

* A mini-batch averages the gradient over ``batch_size`` samples and takes one step
  for all of them: 32 times fewer steps per epoch, each cheaper per sample. At the
  default ``learning_rate_init=0.2`` it learns far less within ``max_iter`` epochs;
  a step ten times larger comes close to per-sample SGD, in less time.
* ``learning_rate="adaptive"`` (the default) divides the step by 5 at each plateau
  and goes on; ``"constant"`` stops at the first plateau, which on this problem is
  as good; ``"invscaling"`` divides the step by ``(t + 1) ** power_t`` after ``t``
  samples, which at the default ``power_t=0.5`` soon makes it too small to learn:
  training stops on a plateau after a few epochs.
* ``momentum=0.9`` (Nesterov's, by default) keeps 0.9 of the previous step in each
  new one, so under a steady gradient the steps grow to ten times the plain step:
  with a ten times smaller ``learning_rate_init`` it learns as the default does,
  where the smaller step alone falls short.
* ``early_stopping=True`` holds out 10% of the training rows and keeps the epoch that
  scored best on them: here it stops sooner, at a lower test R^2.
"""

import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropRegressor

X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

variants = {
    "batch size": {
        "batch_size=1 (default)": {},
        "batch_size=32": {"batch_size": 32},
        "batch_size=32, learning_rate_init=2": {
            "batch_size": 32,
            "learning_rate_init": 2.0,
        },
    },
    "schedule and momentum": {
        "adaptive (default)": {},
        "constant": {"learning_rate": "constant"},
        "invscaling": {"learning_rate": "invscaling"},
        "learning_rate_init=0.02": {"learning_rate_init": 0.02},
        "learning_rate_init=0.02, momentum=0.9": {
            "learning_rate_init": 0.02,
            "momentum": 0.9,
        },
    },
    "stopping": {
        "training loss (default)": {},
        "early_stopping=True": {"early_stopping": True},
    },
}

# numba compiles the mini-batch loop on its first use: not part of a fit's time.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    BackpropRegressor(batch_size=32, max_iter=1).fit(X_train, y_train)


def fit(params):
    """The fitted regressor and its fit's seconds."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Some variants reach max_iter: their curves show where they got.
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = BackpropRegressor(random_state=0, **params).fit(X_train, y_train)
    return reg, time.perf_counter() - start


defaults = fit({})  # one fit for the three rows of the defaults
fits = {
    (group, name): fit(params) if params else defaults
    for group, settings in variants.items()
    for name, params in settings.items()
}

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, group in zip(axes, ["batch size", "schedule and momentum"]):
    for name in variants[group]:
        ax.plot(fits[group, name][0].loss_curve_, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_title(group)
    ax.legend()
axes[0].set_ylabel("training loss")
fig.tight_layout()

print(f"{'variant':<40} {'test R^2':>8} {'epochs':>6} {'fit s':>6}")
for (group, name), (reg, seconds) in fits.items():
    score = reg.score(X_test, y_test)
    print(f"{name:<40} {score:>8.3f} {reg.n_iter_:>6} {seconds:>6.2f}")
