"""ONNX export: onnxruntime's outputs against predict and predict_proba.

Each model is converted with ``skl2onnx.to_onnx`` after
``sklearn_bp.register_onnx_converters()`` and run by onnxruntime on the data it was
trained on; labels must match ``predict`` and probabilities ``predict_proba`` to
float32 precision (float64 where the graph is float64).
"""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_linnerud,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier, BackpropRegressor, register_onnx_converters

skl2onnx = pytest.importorskip("skl2onnx")
rt = pytest.importorskip("onnxruntime")

# float32 graphs: the probabilities' rounding (their eps is 1.2e-7).
PROBA_ATOL = 1e-6
# Labels may differ from predict's only where the logits decide within rounding.
TIE_MARGIN = 1e-4


@pytest.fixture(scope="module", autouse=True)
def _registered():
    register_onnx_converters()


def _quick(estimator, **params):
    return estimator(hidden_layer_sizes=(16,), max_iter=15, random_state=0, **params)


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _run(model, X, **options):
    """onnxruntime's outputs for X, of the model converted for X's dtype."""
    onx = skl2onnx.to_onnx(model, X[:1], options=options or None)
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def _final(model):
    return model[-1] if hasattr(model, "steps") else model


def _margins(model, X):
    """How far each prediction is from a tie of the logits."""
    logits = model.decision_function(X)
    if logits.ndim == 1 or _final(model)._multilabel:
        return np.abs(logits)
    top_two = np.sort(logits, axis=1)[:, -2:]
    return top_two[:, 1] - top_two[:, 0]


def _check_classifier(model, X, dtype=np.float32):
    X = X.astype(dtype)
    labels, proba = _run(model, X, zipmap=False)
    expected = model.predict(X)
    assert labels.shape == expected.shape
    margins = _margins(model, X)
    if margins.ndim == 2:  # multilabel: one margin per label
        margins = margins.min(axis=1)
    decided = margins > TIE_MARGIN
    assert decided.mean() > 0.95
    assert_array_equal(labels[decided], expected[decided])
    atol = PROBA_ATOL if dtype == np.float32 else 1e-12
    assert proba.dtype == dtype
    assert_allclose(proba, model.predict_proba(X), rtol=0, atol=atol)


def _pipeline(estimator):
    return make_pipeline(StandardScaler(), estimator)


def _multilabel():
    return make_multilabel_classification(
        n_samples=300, n_features=12, n_classes=5, random_state=0
    )


@pytest.mark.parametrize(
    "load, in_pipeline",
    [
        (load_iris, False),
        (load_iris, True),
        (load_breast_cancer, True),
        (load_digits, True),
        (_multilabel, False),
        (_multilabel, True),
    ],
    ids=["iris", "iris-pipeline", "breast_cancer", "digits", "multilabel", "ml-pipe"],
)
def test_classifier_matches_predict_and_predict_proba(load, in_pipeline):
    X, y = load(return_X_y=True) if load is not _multilabel else load()
    model = _quick(BackpropClassifier)
    model = _fit(_pipeline(model) if in_pipeline else model, X, y)
    _check_classifier(model, X)


def test_classifier_fitted_in_float32_and_converted_in_float64():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model32 = _fit(_quick(BackpropClassifier), X.astype(np.float32), y)
    _check_classifier(model32, X)
    model64 = _fit(_quick(BackpropClassifier), X, y)
    _check_classifier(model64, X, dtype=np.float64)


def test_string_labels_and_zipmap_as_for_scikit_learn_classifiers():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = _fit(_pipeline(_quick(BackpropClassifier)), X, names)
    X32 = X.astype(np.float32)
    _check_classifier(model, X32)
    labels, dicts = _run(model, X32)  # zipmap: a list of {label: probability}
    assert labels.dtype == object and set(labels) <= set(names)
    expected = model.predict_proba(X32)
    got = np.array([[row[name] for name in model.classes_] for row in dicts])
    assert_allclose(got, expected, atol=PROBA_ATOL)
    labels, *columns = _run(model, X32, zipmap="columns")
    assert_allclose(np.column_stack(columns), expected, atol=PROBA_ATOL)
    indices, _ = _run(model, X32, zipmap=False, nocl=True)
    assert_array_equal(model.classes_[indices], labels)
    *_, classes = _run(model, X32, zipmap=False, output_class_labels=True)
    assert_array_equal(classes, model.classes_)


def test_multilabel_zipmap_maps_each_label_to_its_probability():
    X, Y = _multilabel()
    model = _fit(_quick(BackpropClassifier), X, Y)
    X32 = X.astype(np.float32)
    labels, dicts = _run(model, X32)
    assert labels.shape == Y.shape
    got = np.array([[row[k] for k in range(Y.shape[1])] for row in dicts])
    assert_allclose(got, model.predict_proba(X32), atol=PROBA_ATOL)


def test_two_string_labels():
    X, y = load_breast_cancer(return_X_y=True)
    names = np.array(["benign", "malignant"])[1 - y]
    model = _fit(_pipeline(_quick(BackpropClassifier)), X, names)
    _check_classifier(model, X)


def test_saturated_logits_keep_the_log_space_normalisation_and_the_clip():
    X, y = load_iris(return_X_y=True)
    model = _fit(_quick(BackpropClassifier), X, y)
    # Every output sigmoid underflows: only the log-space normalisation gives
    # the right probabilities, then clipped to [eps, 1 - eps].
    model.coefs_[-1] = model.coefs_[-1] * 50
    model.intercepts_[-1] = model.intercepts_[-1] * 50 - 2000
    assert np.all(model.decision_function(X) < -1000)
    _check_classifier(model, X, dtype=np.float64)
    # In float32 the logits themselves round at 1e-4 here: the probabilities
    # follow to that precision, finite and inside [eps, 1 - eps].
    _, proba = _run(model, X.astype(np.float32), zipmap=False)
    eps = np.finfo(np.float32).eps
    assert proba.min() == eps and proba.max() <= 1 - eps
    assert_allclose(proba, model.predict_proba(X), atol=1e-3)
    assert len(np.unique(proba.round(3))) > 2  # not all equal


def test_float_labels_come_out_as_integers():
    X, y = load_iris(return_X_y=True)
    model = _fit(_quick(BackpropClassifier), X, y + 1.0)
    labels, _ = _run(model, X.astype(np.float32), zipmap=False)
    assert labels.dtype == np.int64
    assert_array_equal(labels, model.predict(X.astype(np.float32)))


def _multi_output():
    X, Y = load_linnerud(return_X_y=True)
    return X, Y


@pytest.mark.parametrize(
    "load, in_pipeline",
    [(load_diabetes, False), (load_diabetes, True), (_multi_output, True)],
    ids=["diabetes", "diabetes-pipeline", "linnerud-multioutput"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regressor_matches_predict(load, in_pipeline, dtype):
    X, y = load(return_X_y=True) if load is load_diabetes else load()
    model = _quick(BackpropRegressor)
    model = _fit(_pipeline(model) if in_pipeline else model, X, y)
    X = X.astype(dtype)
    (prediction,) = _run(model, X)
    expected = model.predict(X)
    # skl2onnx's regressors give (n_samples, n_outputs), one column for 1-D y.
    assert prediction.shape == (len(X), 1 if expected.ndim == 1 else expected.shape[1])
    assert prediction.dtype == dtype
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert_allclose(prediction.reshape(expected.shape), expected, rtol=rtol)


def test_regressor_inverse_target_mapping_is_exercised():
    # Targets far from [0, 1] in both offset and scale: without the inverse
    # mapping the graph's outputs would lie inside (0, 1).
    X, y = load_diabetes(return_X_y=True)
    model = _fit(_quick(BackpropRegressor), X, 1000 + 50 * y)
    (prediction,) = _run(model, X.astype(np.float32))
    assert prediction.min() > 1000
    assert_allclose(prediction[:, 0], model.predict(X.astype(np.float32)), rtol=1e-5)


def test_core_package_imports_without_skl2onnx():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["skl2onnx"] = None  # as if it were not installed
        import sklearn_bp
        try:
            sklearn_bp.register_onnx_converters()
        except ImportError as error:
            print(error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert 'pip install "sklearn-bp[onnx]"' in result.stdout


def test_the_user_guide_example_runs(user_guide_example):
    code = user_guide_example("Deployment: ONNX")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exec(compile(code, "user_guide.rst", "exec"), {})
