"""Sigmoid neural networks trained by backpropagation, as scikit-learn estimators."""

from ._display import LossCurveDisplay
from ._estimators import BackpropClassifier, BackpropRegressor
from ._jit import CompilationCacheWarning
from ._version import __version__

__all__ = [
    "BackpropClassifier",
    "BackpropRegressor",
    "CompilationCacheWarning",
    "LossCurveDisplay",
    "__version__",
    "register_onnx_converters",
]


def register_onnx_converters():
    """Let ``skl2onnx.to_onnx`` convert both estimators, alone and in pipelines.

    Needs the optional dependencies: ``pip install "sklearn-bp[onnx]"``. Calling it
    again does no harm.
    """
    try:
        from ._onnx import register_onnx_converters as register
    except ModuleNotFoundError as error:
        if error.name not in ("skl2onnx", "onnx"):
            raise
        raise ImportError(
            "register_onnx_converters needs skl2onnx and onnx; install them with "
            'pip install "sklearn-bp[onnx]".'
        ) from error
    register()
