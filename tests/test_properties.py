"""Property: on any input of valid form, fit and predict succeed with finite outputs of
the right shape and type, or raise one of the documented errors. Nothing else."""

import re
import warnings

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sklearn_bp import BackpropClassifier, BackpropRegressor

# The errors a well-formed input may still meet (docs/reliability.rst).
DOCUMENTED_ERRORS = re.compile(
    "needs samples of at least 2 classes"
    "|Cannot hold out a validation set for early_stopping"
    "|The validation set is too small"
    "|Training diverged"
)

hyperparameters = st.fixed_dictionaries(
    {
        "hidden_layer_sizes": st.lists(st.integers(1, 5), min_size=1, max_size=2),
        "loss": st.sampled_from(["squared_error", "log_loss"]),
        "alpha": st.floats(0, 10),
        "batch_size": st.integers(1, 8),
        "learning_rate": st.sampled_from(["constant", "invscaling", "adaptive"]),
        "learning_rate_init": st.floats(1e-4, 1.0),
        "momentum": st.floats(0, 0.95),
        "nesterovs_momentum": st.booleans(),
        "max_iter": st.integers(1, 3),
        "n_iter_no_change": st.integers(1, 3),
        "shuffle": st.booleans(),
        "early_stopping": st.booleans(),
        "n_init": st.integers(1, 2),
        "random_state": st.integers(0, 2**31 - 1),
    }
)


@st.composite
def datasets(draw):
    n_samples = draw(st.integers(1, 25))
    n_features = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([bool, np.int64, np.float32, np.float64]))
    values = draw(
        st.lists(
            st.floats(-1e3, 1e3, allow_nan=False, width=32),
            min_size=n_samples * n_features,
            max_size=n_samples * n_features,
        )
    )
    X = np.array(values).reshape(n_samples, n_features).astype(dtype)
    if draw(st.booleans()):
        X = draw(st.sampled_from([sp.csr_matrix, sp.csc_matrix]))(X)
    return X


@st.composite
def targets(draw, n_samples, task):
    if task == "regression":
        n_outputs = draw(st.sampled_from([None, 1, 3]))
        shape = n_samples if n_outputs is None else (n_samples, n_outputs)
        size = int(np.prod(shape))
        values = draw(st.lists(st.floats(-1e6, 1e6), min_size=size, max_size=size))
        return np.asarray(values).reshape(shape)
    kind = draw(st.sampled_from(["int", "str", "multilabel"]))
    if kind == "multilabel":
        labels = draw(
            st.lists(st.integers(0, 1), min_size=3 * n_samples, max_size=3 * n_samples)
        )
        return np.array(labels).reshape(n_samples, 3)
    labels = np.array(
        draw(st.lists(st.integers(0, 3), min_size=n_samples, max_size=n_samples))
    )
    return labels.astype(str) if kind == "str" else labels


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), task=st.sampled_from(["classification", "regression"]))
def test_fit_and_predict_succeed_or_raise_a_documented_error(data, task):
    X = data.draw(datasets())
    y = data.draw(targets(X.shape[0], task))
    params = data.draw(hyperparameters)
    Estimator = BackpropClassifier if task == "classification" else BackpropRegressor
    model = Estimator(**params)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
    except ValueError as error:
        assert DOCUMENTED_ERRORS.search(str(error)), str(error)
        return
    predictions = model.predict(X)
    assert predictions.shape == np.shape(y)
    if task == "regression":
        assert np.all(np.isfinite(predictions))
        return
    assert set(np.unique(predictions)) <= set(np.unique(model.classes_)) | {0, 1}
    proba = model.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.all((proba > 0) & (proba < 1))
    assert np.all(np.isfinite(model.decision_function(X)))
