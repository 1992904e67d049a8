"""
Loss and validation curves of every restart
===========================================

:class:`~sklearn_bp.LossCurveDisplay` draws the training loss per epoch of the kept
network, its validation score on a second axis (under ``early_stopping``) and, with
``show_restarts=True``, every restart's curve in gray.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier, LossCurveDisplay

X, y = load_digits(return_X_y=True)
X, y = X[:400], y[:400]
model = make_pipeline(
    StandardScaler(),
    BackpropClassifier(
        hidden_layer_sizes=16,
        n_init=3,
        early_stopping=True,
        validation_fraction=0.2,
        random_state=0,
    ),
)
model.fit(X, y)

fig, ax = plt.subplots(figsize=(7, 4))
display = LossCurveDisplay.from_estimator(model, ax=ax, show_restarts=True)
ax.set_title("digits (400 images): 3 restarts, early stopping")
fig.tight_layout()

net = model[-1]
print(f"kept restart {net.best_restart_}: {net.n_iter_} epochs,")
print(f"best validation accuracy {net.best_validation_score_:.3f}")
