"""
Regression of a one-dimensional function
========================================

:class:`~sklearn_bp.BackpropRegressor` fits noisy samples of ``sin(x)``. Its output
unit is a sigmoid too: targets are mapped onto [0.1, 0.9] using their range in
training, so predictions cannot go far beyond that range, which shows outside the
training interval (shaded).

The right panel makes the limit plain: a straight line ``y = 2x`` learned on
[0, 1] is predicted on [-2, 3]. Outside the training interval the predictions level
off at the bound the sigmoid allows, 1.25 half-ranges of the training targets from
their centre (dotted): the network does not extrapolate a trend.
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

# A straight line, learned on [0, 1].
x_line = rng.uniform(0, 1, size=100)
line = BackpropRegressor(random_state=0).fit(x_line[:, None], 2 * x_line)
low, high = line.target_min_[0], line.target_max_[0]
centre, half_range = (low + high) / 2, (high - low) / 2
bound = (centre - 1.25 * half_range, centre + 1.25 * half_range)

wide = np.linspace(-6, 6, 400)
fig, (ax, right) = plt.subplots(1, 2, figsize=(11, 4))
ax.axvspan(-3, 3, color="0.93", label="training interval")
ax.scatter(x, y, s=10, color="k", label="training samples")
ax.plot(wide, np.sin(wide), color="tab:gray", linestyle="--", label="sin(x)")
ax.plot(wide, reg.predict(wide[:, None]), color="tab:blue", label="prediction")
ax.legend(loc="lower right")
ax.set_xlabel("x")
ax.set_title("sin(x) + noise")

beyond = np.linspace(-2, 3, 200)
line_prediction = line.predict(beyond[:, None])
right.axvspan(0, 1, color="0.93", label="training interval")
right.plot(beyond, 2 * beyond, color="tab:gray", linestyle="--", label="y = 2x")
right.plot(beyond, line_prediction, color="tab:blue", label="prediction")
for level, label in zip(bound, ["the sigmoid's bounds", None]):
    right.axhline(level, color="k", linestyle=":", linewidth=1, label=label)
right.legend(loc="upper left")
right.set_xlabel("x")
right.set_title("a straight line: no extrapolation")
fig.tight_layout()

print(f"sin(x): training R^2 {reg.score(x[:, None], y):.3f}")
print(
    f"y = 2x: training targets [{low:.3f}, {high:.3f}], R^2 on [0, 1] "
    f"{line.score(x_line[:, None], 2 * x_line):.3f}"
)
print(
    f"y = 2x: bound [{bound[0]:.3f}, {bound[1]:.3f}], predictions on [-2, 3] "
    f"[{line_prediction.min():.3f}, {line_prediction.max():.3f}]"
)
