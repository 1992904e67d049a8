"""
Grid search over ``alpha`` and the hidden layer's size
======================================================

:class:`~sklearn.model_selection.GridSearchCV` cross-validates a
:class:`~sklearn_bp.BackpropClassifier` for every pair of L2 strength ``alpha`` and
number of hidden units, on two noisy half moons. Each cell of the heat map is the
mean accuracy over 3 folds. Too few hidden units cannot bend the boundary enough;
too large an ``alpha`` keeps the weights so small that the network predicts one
class for every point (accuracy 0.5). ``alpha="auto"`` (the default) is
``0.0015 * d * ln(n)`` (``d`` non-zero inputs per row), about 0.015 here.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sklearn_bp import BackpropClassifier

X, y = make_moons(n_samples=200, noise=0.3, random_state=0)
alphas = [0.0, "auto", 1.0, 10.0]
hidden_sizes = [2, 4, 16]

search = GridSearchCV(
    BackpropClassifier(random_state=0),
    {"alpha": alphas, "hidden_layer_sizes": hidden_sizes},
    cv=3,
)
with warnings.catch_warnings():
    # Fits that reach max_iter or learn nothing (alpha=10) warn; their scores are
    # in the map all the same.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)

# GridSearchCV varies the last parameter fastest: one row per alpha.
scores = search.cv_results_["mean_test_score"].reshape(len(alphas), len(hidden_sizes))

fig, ax = plt.subplots(figsize=(6, 5))
image = ax.imshow(scores, cmap="viridis", vmin=0.5, vmax=1.0)
for i in range(len(alphas)):
    for j in range(len(hidden_sizes)):
        colour = "k" if scores[i, j] > 0.75 else "w"
        ax.text(j, i, f"{scores[i, j]:.3f}", ha="center", va="center", color=colour)
ax.set_xticks(range(len(hidden_sizes)), [str(h) for h in hidden_sizes])
ax.set_yticks(range(len(alphas)), [str(a) for a in alphas])
ax.set_xlabel("hidden units")
ax.set_ylabel("alpha")
ax.set_title("mean 3-fold CV accuracy")
fig.colorbar(image, ax=ax)
fig.tight_layout()

print("mean 3-fold CV accuracy (rows: alpha; columns: hidden units)")
print(f"{'':>6}" + "".join(f"{h:>8}" for h in hidden_sizes))
for alpha, row in zip(alphas, scores):
    print(f"{alpha!s:>6}" + "".join(f"{s:>8.3f}" for s in row))
best = search.best_params_
print(
    f"best: alpha={best['alpha']}, hidden_layer_sizes={best['hidden_layer_sizes']} "
    f"({search.best_score_:.3f})"
)
