"""
Regression of a one-dimensional function
========================================

:class:`~sklearn_bp.BackpropRegressor` fits noisy samples of ``sin(x)``. Its output
unit is a sigmoid too: targets are mapped onto [0.1, 0.9] using their range in
training, so predictions cannot go far beyond that range, which shows outside the
training interval (shaded).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropRegressor

rng = np.random.RandomState(0)
x = np.sort(rng.uniform(-3, 3, size=120))
y = np.sin(x) + 0.1 * rng.randn(x.size)

reg = BackpropRegressor(
    hidden_layer_sizes=16,
    alpha=1e-4,
    learning_rate_init=0.3,
    max_iter=500,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    reg.fit(x[:, None], y)

wide = np.linspace(-6, 6, 400)
fig, ax = plt.subplots(figsize=(7, 4))
ax.axvspan(-3, 3, color="0.93", label="training interval")
ax.scatter(x, y, s=10, color="k", label="training samples")
ax.plot(wide, np.sin(wide), color="tab:gray", linestyle="--", label="sin(x)")
ax.plot(wide, reg.predict(wide[:, None]), color="tab:blue", label="prediction")
ax.legend(loc="lower right")
ax.set_xlabel("x")
fig.tight_layout()
print(f"training R^2: {reg.score(x[:, None], y):.3f}")
