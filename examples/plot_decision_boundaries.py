"""
Decision boundaries: hidden units and ``alpha``
===============================================

Two interleaved half moons. More hidden units let the boundary bend more; a larger
L2 penalty ``alpha`` keeps the weights small and the boundary smooth. Each panel's
title gives its training accuracy.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier

X, y = make_moons(n_samples=200, noise=0.25, random_state=0)
hidden_sizes = [2, 8, 32]
alphas = [0.0, 0.1, 3.0]

grid = np.linspace(-2.0, 3.0, 120)
xx, yy = np.meshgrid(grid, np.linspace(-1.5, 2.0, 120))
points = np.c_[xx.ravel(), yy.ravel()]

fig, axes = plt.subplots(len(alphas), len(hidden_sizes), figsize=(10, 9))
for row, alpha in enumerate(alphas):
    for col, hidden in enumerate(hidden_sizes):
        clf = BackpropClassifier(
            hidden_layer_sizes=hidden, alpha=alpha, max_iter=150, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        ax = axes[row, col]
        proba = clf.predict_proba(points)[:, 1].reshape(xx.shape)
        ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", vmin=0, vmax=1)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=15)
        ax.set_title(f"{hidden} hidden, alpha={alpha}: {clf.score(X, y):.2f}")
        ax.set_xticks([])
        ax.set_yticks([])
fig.tight_layout()
