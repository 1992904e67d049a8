"""
XOR and local minima: why restarts help
=======================================

Two hidden sigmoid units can represent XOR, yet SGD from a random start often settles
in a local minimum that gets one or two of the four points wrong. ``n_init`` trains
several networks from different initialisations and keeps the one with the lowest
final training loss. The bars are every restart's final loss (``restart_losses_``),
the kept one highlighted; the right panel is the kept network's decision surface.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y = np.array([0, 1, 1, 0])

clf = BackpropClassifier(
    hidden_layer_sizes=2,
    loss="log_loss",
    alpha=0.0,
    learning_rate_init=0.5,
    max_iter=100,
    tol=0.0,  # train every restart for max_iter epochs
    n_init=12,
    random_state=0,
)
with warnings.catch_warnings():
    # Every restart runs to max_iter (tol=0): that is the point here.
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(np.repeat(X, 5, axis=0), np.repeat(y, 5))

fig, (bars, surface) = plt.subplots(1, 2, figsize=(10, 4))
colours = ["tab:gray"] * clf.n_init
colours[clf.best_restart_] = "tab:blue"
bars.bar(range(clf.n_init), clf.restart_losses_, color=colours)
bars.set_xlabel("restart")
bars.set_ylabel("final training loss")
bars.set_title(f"restart {clf.best_restart_} is kept")

grid = np.linspace(-0.25, 1.25, 150)
xx, yy = np.meshgrid(grid, grid)
proba = clf.predict_proba(np.c_[xx.ravel(), yy.ravel()])[:, 1].reshape(xx.shape)
contour = surface.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", vmin=0, vmax=1)
surface.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=120)
surface.set_title("kept network: P(class 1)")
fig.colorbar(contour, ax=surface)
fig.tight_layout()

stuck = [loss for loss in clf.restart_losses_ if loss >= 0.01]
print(f"restarts that fit XOR (final loss below 0.01): {clf.n_init - len(stuck)}")
print(
    f"restarts stuck in a local minimum: {len(stuck)}, at losses {min(stuck):.3f} "
    f"to {max(stuck):.3f}"
)
print("predictions of the kept network:", clf.predict(X))
