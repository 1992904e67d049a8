"""Sigmoid neural networks trained by backpropagation, as scikit-learn estimators."""

from ._estimators import BackpropClassifier, BackpropRegressor
from ._jit import CompilationCacheWarning
from ._version import __version__

__all__ = [
    "BackpropClassifier",
    "BackpropRegressor",
    "CompilationCacheWarning",
    "__version__",
]
