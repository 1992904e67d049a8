"""
Class weights on imbalanced data
================================

On 2,000 samples of which about 5% belong to the minority class, a classifier can
score 95% accuracy by neglecting that class. ``class_weight="balanced"`` weighs each
sample by ``n_samples / (n_classes * count of its class)``, so that every class
weighs as much in the loss as the others. Weights count samples: here a minority
sample weighs 9.01, and trains as nine copies of it plus one of weight 0.01; a
majority sample weighs 0.53, one copy whose gradient is scaled by 0.53.

Scores are 3-fold cross-validated (stratified), a
:class:`~sklearn.preprocessing.StandardScaler` in front: accuracy, balanced accuracy
(the mean of the per-class recalls) and the minority class's recall.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier

X, y = make_classification(
    2000, 20, n_informative=5, weights=[0.95], flip_y=0.01, random_state=0
)
metrics = {
    "accuracy": "accuracy",
    "balanced accuracy": "balanced_accuracy",
    "minority recall": "recall",
}
results = {}
for class_weight in [None, "balanced"]:
    model = make_pipeline(
        StandardScaler(), BackpropClassifier(class_weight=class_weight, random_state=0)
    )
    with warnings.catch_warnings():
        # Some folds reach max_iter; their scores count all the same.
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_validate(model, X, y, cv=3, scoring=metrics)
    results[f"class_weight={class_weight}"] = [
        scores[f"test_{name}"].mean() for name in metrics
    ]

fig, ax = plt.subplots(figsize=(7, 4))
width = 0.35
positions = np.arange(len(metrics))
for k, (label, means) in enumerate(results.items()):
    bars = ax.bar(positions + (k - 0.5) * width, means, width, label=label)
    ax.bar_label(bars, fmt="%.3f")
ax.set_xticks(positions, list(metrics))
ax.set_ylim(0, 1.1)
ax.set_title(f"minority class: {y.mean():.1%} of the samples")
ax.legend(loc="upper right")
fig.tight_layout()

print(f"minority class: {y.mean():.1%} of {y.size} samples")
print(f"{'':<22}" + "".join(f"{name:>19}" for name in metrics))
for label, means in results.items():
    print(f"{label:<22}" + "".join(f"{m:>19.3f}" for m in means))
