"""ONNX export: converters that teach skl2onnx the two estimators.

skl2onnx finds a converter for a model's class in a registry that other libraries
extend with ``skl2onnx.update_registered_converter`` (as LightGBM's and XGBoost's
converters are added). :func:`register_onnx_converters` adds ours; after it,
``skl2onnx.to_onnx`` converts the estimators alone and inside pipelines.

The graphs compute what ``predict`` and ``predict_proba`` compute, in the input's
precision (float32 or float64): the forward pass, then the output head of
``_output_head`` written as ONNX operators. The probabilities of more than two
classes are the sigmoid outputs normalised in log space, ``softmax(log sigma(z))``,
which equals ``exp(log sigma(z) - logsumexp(log sigma(z)))``; labels come from the
logits, as ``predict`` takes them. Classifiers accept skl2onnx's usual options
(``zipmap``, ``nocl``, ``output_class_labels``).

This module imports skl2onnx at the top: the package imports it only when asked to.
"""

import numpy as np
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
    guess_proto_type,
)
from skl2onnx.common.utils import (
    check_input_and_output_numbers,
    check_input_and_output_types,
)
from skl2onnx.common.utils_classifier import get_label_classes
from skl2onnx.proto import onnx_proto

from ._estimators import BackpropClassifier, BackpropRegressor
from ._output_head import TARGET_HALF_RANGE, _halves

_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [False, True],
    "output_class_labels": [False, True],
}
_INPUT_TYPES = [FloatTensorType, DoubleTensorType]


def register_onnx_converters():
    """Register the converters of both estimators with skl2onnx.

    Call it once before ``skl2onnx.to_onnx`` or ``convert_sklearn``; calling it
    again does no harm.
    """
    update_registered_converter(
        BackpropClassifier,
        "SklearnBpBackpropClassifier",
        _classifier_shapes,
        _convert_classifier,
        options=_CLASSIFIER_OPTIONS,
    )
    update_registered_converter(
        BackpropRegressor,
        "SklearnBpBackpropRegressor",
        _regressor_shapes,
        _convert_regressor,
    )


# ------------------------------------------------------------------------ shapes


def _float_type(operator):
    """The tensor type of the graph's arithmetic: that of the input."""
    check_input_and_output_types(operator, good_input_types=_INPUT_TYPES)
    return type(operator.inputs[0].type)


def _classifier_shapes(operator):
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    float_type = _float_type(operator)
    model = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    classes = _label_classes(operator)
    label_type = StringTensorType if classes.dtype.kind == "U" else Int64TensorType
    label_shape = [n_rows, len(classes)] if model._head().multilabel else [n_rows]
    operator.outputs[0].set_type(label_type(shape=label_shape))
    operator.outputs[1].set_type(float_type(shape=[n_rows, len(classes)]))


def _regressor_shapes(operator):
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    float_type = _float_type(operator)
    n_rows = operator.inputs[0].get_first_dimension()
    # skl2onnx gives every regressor a 2-D output, (n_rows, 1) for one target.
    n_outputs = operator.raw_operator.target_min_.size
    operator.outputs[0].set_type(float_type(shape=[n_rows, n_outputs]))


def _label_classes(operator):
    """The labels the graph outputs: integers (as int64) or strings.

    ``nocl=True`` replaces them by their indices, as for scikit-learn's classifiers.
    """
    classes = np.asarray(get_label_classes(operator.scope_inst, operator.raw_operator))
    # Float labels are whole numbers: a classifier refuses others as continuous.
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64)
    return classes.astype(str)


# -------------------------------------------------------------------- converters


class _Graph:
    """Adds nodes and constants to skl2onnx's container, in one float precision."""

    def __init__(self, scope, operator, container):
        self.scope = scope
        self.container = container
        self.proto_float = guess_proto_type(operator.inputs[0].type)
        self.dtype = (
            np.float64
            if self.proto_float == onnx_proto.TensorProto.DOUBLE
            else np.float32
        )

    def constant(self, value, proto_type=None):
        """An initializer holding ``value`` (in the graph's precision for floats)."""
        name = self.scope.get_unique_variable_name("const")
        value = np.asarray(value)
        if proto_type is None:
            proto_type, value = self.proto_float, value.astype(self.dtype)
        elif proto_type == onnx_proto.TensorProto.STRING:
            value = np.array([s.encode("utf-8") for s in value.ravel()])
        self.container.add_initializer(name, proto_type, value.shape, value.ravel())
        return name

    def node(self, op_type, *inputs, output=None, **attrs):
        """Add one node; returns the name of its (single) output."""
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            list(inputs),
            [output],
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output

    def clip(self, x, low, high, output=None):
        # Max and Min rather than Clip, whose bounds moved from attributes to
        # inputs across opsets.
        low_clipped = self.node("Max", x, self.constant(low))
        return self.node("Min", low_clipped, self.constant(high), output=output)


def _logits(graph, model, input_name):
    """Output pre-activations: sigmoid hidden layers, then the last affine map."""
    a = graph.node("Cast", input_name, to=graph.proto_float)
    for k, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        z = graph.node(
            "Add",
            graph.node("MatMul", a, graph.constant(W)),
            graph.constant(b.reshape(1, -1)),
        )
        if k == len(model.coefs_) - 1:
            return z
        a = graph.node("Sigmoid", z)


def _convert_classifier(scope, operator, container):
    model = operator.raw_operator
    graph = _Graph(scope, operator, container)
    z = _logits(graph, model, operator.inputs[0].full_name)
    label_name, proba_name = (v.full_name for v in operator.outputs)
    eps = np.finfo(graph.dtype).eps
    if model._head().multilabel:
        graph.clip(graph.node("Sigmoid", z), eps, 1 - eps, output=proba_name)
        positive = graph.node("Greater", z, graph.constant(0.0))
        graph.node("Cast", positive, output=label_name, to=onnx_proto.TensorProto.INT64)
        return
    if len(model.classes_) == 2:
        proba = graph.node(
            "Concat",
            graph.node("Sigmoid", graph.node("Neg", z)),
            graph.node("Sigmoid", z),
            axis=1,
        )
        positive = graph.node("Greater", z, graph.constant(0.0))
        index = graph.node("Cast", positive, to=onnx_proto.TensorProto.INT64)
        index = graph.node("Reshape", index, _int64_constant(graph, [-1]))
    else:
        proba = graph.node("Softmax", _log_sigmoid(graph, z), axis=1)
        index = graph.node("ArgMax", z, axis=1, keepdims=0)
    graph.clip(proba, eps, 1 - eps, output=proba_name)
    _gather_labels(graph, _label_classes(operator), index, label_name)


def _log_sigmoid(graph, z):
    """log sigma(z) = min(z, 0) - log(1 + exp(-|z|)), finite for every z.

    (onnxruntime has no Softplus for doubles.) Where exp(-|z|) is below the
    precision, log(1 + exp(-|z|)) rounds to 0, an error below eps in log space.
    """
    exp_minus_abs = graph.node("Exp", graph.node("Neg", graph.node("Abs", z)))
    log_term = graph.node("Log", graph.node("Add", exp_minus_abs, graph.constant(1.0)))
    return graph.node("Sub", graph.node("Min", z, graph.constant(0.0)), log_term)


def _int64_constant(graph, values):
    return graph.constant(np.asarray(values, np.int64), onnx_proto.TensorProto.INT64)


def _gather_labels(graph, classes, index, label_name):
    if classes.dtype.kind == "U":
        table = graph.constant(classes, onnx_proto.TensorProto.STRING)
    else:
        table = _int64_constant(graph, classes)
    graph.node("Gather", table, index, output=label_name, axis=0)


def _convert_regressor(scope, operator, container):
    """Sigmoid outputs mapped back to the targets' units, as ``RegressorHead.decode``
    does: ``center + (yhat - 0.5) * half_range / TARGET_HALF_RANGE``, clipped to the
    finite range of the precision."""
    model = operator.raw_operator
    graph = _Graph(scope, operator, container)
    y_hat = graph.node("Sigmoid", _logits(graph, model, operator.inputs[0].full_name))
    center, half_range = _halves(model.target_min_, model.target_max_)
    offset = graph.node(
        "Div",
        graph.node(
            "Mul",
            graph.node("Sub", y_hat, graph.constant(0.5)),
            graph.constant(half_range.reshape(1, -1)),
        ),
        graph.constant(TARGET_HALF_RANGE),
    )
    y = graph.node("Add", graph.constant(center.reshape(1, -1)), offset)
    largest = np.finfo(graph.dtype).max
    graph.clip(y, -largest, largest, output=operator.outputs[0].full_name)
