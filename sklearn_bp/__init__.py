"""Sigmoid neural networks trained by backpropagation, as scikit-learn estimators."""

from ._estimators import BackpropClassifier, BackpropRegressor
from ._version import __version__

__all__ = ["BackpropClassifier", "BackpropRegressor", "__version__"]
