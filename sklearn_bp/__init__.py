"""Sigmoid neural networks trained by backpropagation, as scikit-learn estimators."""

from ._display import LossCurveDisplay
from ._estimators import BackpropClassifier, BackpropRegressor
from ._version import __version__

__all__ = ["BackpropClassifier", "BackpropRegressor", "LossCurveDisplay", "__version__"]
