"""scikit-learn's newer conventions: metadata routing, DataFrames, estimator tags."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_array_equal
from sklearn.datasets import load_diabetes, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.validation import _get_feature_names

import sklearn_bp._estimators as estimators_module
from sklearn_bp import BackpropClassifier, BackpropRegressor

pd = pytest.importorskip("pandas")


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _quick(Estimator, **params):
    return Estimator(hidden_layer_sizes=(8,), max_iter=10, random_state=0, **params)


def _data(Estimator):
    """Standardised iris or diabetes, so that scaling steps change nothing much."""
    load = load_iris if Estimator is BackpropClassifier else load_diabetes
    X, y = load(return_X_y=True)
    return X, y


def _weights(n):
    return np.random.RandomState(0).randint(0, 4, n).astype(float)


def assert_same_network(a, b):
    for W_a, W_b in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(W_a, W_b)


def assert_different_network(a, b):
    assert any(
        not np.array_equal(W_a, W_b)
        for W_a, W_b in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    )


ESTIMATORS = [BackpropClassifier, BackpropRegressor]


# -------------------------------------------------------------- metadata routing


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pipeline_routes_sample_weight(routing, Estimator):
    X, y = _data(Estimator)
    w = _weights(len(y))
    model = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False),
        _quick(Estimator).set_fit_request(sample_weight=True),
    )
    model.fit(X, y, sample_weight=w)
    X_scaled = StandardScaler().fit_transform(X)
    direct = _quick(Estimator).fit(X_scaled, y, sample_weight=w)
    assert_same_network(model[-1], direct)
    assert_different_network(model[-1], _quick(Estimator).fit(X_scaled, y))


def test_grid_search_routes_sample_weight_to_every_fit(routing):
    X, y = _data(BackpropClassifier)
    X = StandardScaler().fit_transform(X)
    w = _weights(len(y))
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        _quick(BackpropClassifier)
        .set_fit_request(sample_weight=True)
        .set_score_request(sample_weight=True),
        {"alpha": [0.01, 1.0]},
        cv=cv,
    ).fit(X, y, sample_weight=w)
    alpha = search.best_params_["alpha"]
    assert_same_network(
        search.best_estimator_,
        _quick(BackpropClassifier, alpha=alpha).fit(X, y, sample_weight=w),
    )
    # Each fold's score is that of the weighted fit on its training rows, scored
    # with the weights of its test rows.
    for i, (train, test) in enumerate(cv.split(X, y)):
        fold = _quick(BackpropClassifier, alpha=alpha)
        fold.fit(X[train], y[train], sample_weight=w[train])
        expected = fold.score(X[test], y[test], sample_weight=w[test])
        score = search.cv_results_[f"split{i}_test_score"][search.best_index_]
        assert score == expected


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_cross_validate_routes_sample_weight(routing, Estimator):
    X, y = _data(Estimator)
    X = StandardScaler().fit_transform(X)
    w = _weights(len(y))
    cv = KFold(3, shuffle=True, random_state=0)
    result = cross_validate(
        _quick(Estimator)
        .set_fit_request(sample_weight=True)
        .set_score_request(sample_weight=False),
        X,
        y,
        cv=cv,
        params={"sample_weight": w},
        return_estimator=True,
    )
    for fitted, (train, _) in zip(result["estimator"], cv.split(X, y)):
        direct = _quick(Estimator).fit(X[train], y[train], sample_weight=w[train])
        assert_same_network(fitted, direct)


def test_partial_fit_routes_sample_weight(routing):
    X, y = _data(BackpropRegressor)
    X = StandardScaler().fit_transform(X)
    Y = np.column_stack([y, -y])
    w = _weights(len(y))
    wrapped = MultiOutputRegressor(
        _quick(BackpropRegressor).set_partial_fit_request(sample_weight=True)
    )
    wrapped.partial_fit(X, Y, sample_weight=w)  # does not return self
    for j, fitted in enumerate(wrapped.estimators_):
        direct = _quick(BackpropRegressor).partial_fit(X, Y[:, j], sample_weight=w)
        assert_same_network(fitted, direct)
        assert_different_network(
            fitted, _quick(BackpropRegressor).partial_fit(X, Y[:, j])
        )


def test_the_user_guide_example_runs(user_guide_example):
    code = user_guide_example("Metadata routing")
    namespace = {}
    with sklearn.config_context():  # the example turns routing on
        exec(compile(code, "user_guide.rst", "exec"), namespace)
    scores = namespace["search"].cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))


# -------------------------------------------------------------------- DataFrames


def _frame(kind, X, columns):
    if kind == "pandas":
        return pd.DataFrame(X, columns=columns)
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame(X, schema=list(columns), orient="row")
    if _get_feature_names(frame) is None:
        pytest.skip("this scikit-learn does not read polars column names")
    return frame


def _reordered(frame):
    return frame[list(frame.columns)[::-1]]


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dataframe_feature_names_are_kept_and_checked(kind, Estimator):
    X, y = _data(Estimator)
    columns = [f"feature {j}" for j in range(X.shape[1])]
    frame = _frame(kind, X, columns)
    model = _quick(Estimator).fit(frame, y)
    assert_array_equal(model.feature_names_in_, columns)
    from_array = _quick(Estimator).fit(X, y)
    assert_same_network(model, from_array)
    assert_array_equal(model.predict(frame), from_array.predict(X))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        model.predict(X)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(_reordered(frame))
    with pytest.warns(UserWarning, match="X has feature names, but"):
        from_array.predict(frame)


@pytest.fixture
def handed_arrays(monkeypatch):
    """The arrays fit hands to the compiled loops and predict to the forward pass."""
    seen = {}
    as_inputs, forward_pass = (
        estimators_module.as_inputs,
        estimators_module.forward_pass,
    )

    def spy_as_inputs(X):
        inputs = as_inputs(X)
        seen["fit"] = inputs.dense
        return inputs

    def spy_forward_pass(coefs, intercepts, X):
        seen["predict"] = X
        return forward_pass(coefs, intercepts, X)

    monkeypatch.setattr(estimators_module, "as_inputs", spy_as_inputs)
    monkeypatch.setattr(estimators_module, "forward_pass", spy_forward_pass)
    return seen


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dataframes_are_not_copied(handed_arrays, dtype):
    X, y = _data(BackpropClassifier)
    X = X.astype(dtype)
    # Row-major data, as the compiled loops read it: fit and predict use it in place.
    rows = pd.DataFrame(X, columns=[f"f{j}" for j in range(4)], copy=False)
    model = _quick(BackpropClassifier).fit(rows, y)
    assert np.shares_memory(handed_arrays["fit"], rows.to_numpy())
    model.predict_proba(rows)
    assert np.shares_memory(handed_arrays["predict"], rows.to_numpy())
    # pandas' usual column-major blocks: predict still reads them in place (the
    # matrix product takes either layout); fit copies them once, into rows.
    columns = pd.DataFrame(X, columns=[f"f{j}" for j in range(4)])
    assert columns.to_numpy().flags.f_contiguous
    assert model.predict_proba(columns).dtype == dtype
    assert np.shares_memory(handed_arrays["predict"], columns.to_numpy())


# ------------------------------------------------------------------ estimator tags


def _fits(estimator, X, y):
    """Whether fit and predict accept the data (a ValueError says they don't)."""
    try:
        estimator.fit(X, y).predict(X)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_input_tags_say_what_input_works(Estimator):
    X, y = _data(Estimator)
    tags = get_tags(Estimator()).input_tags
    assert _fits(_quick(Estimator), sp.csr_matrix(X), y) is tags.sparse is True
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    assert _fits(_quick(Estimator), X_nan, y) is tags.allow_nan is False
    assert _fits(_quick(Estimator), X - 100, y) is not tags.positive_only
    assert tags.two_d_array and not tags.one_d_array
    assert _fits(_quick(Estimator), X[:, 0], y) is tags.one_d_array


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_target_tags_say_what_targets_work(Estimator):
    X, y = _data(Estimator)
    tags = get_tags(Estimator()).target_tags
    assert tags.required and tags.single_output
    with pytest.raises(ValueError, match="requires y to be passed"):
        Estimator().fit(X, None)
    if Estimator is BackpropRegressor:
        Y = np.column_stack([y, 2 * y])
        assert _fits(_quick(Estimator), X, Y) is tags.multi_output is True
        assert _quick(Estimator).fit(X, Y).predict(X).shape == Y.shape
    else:
        # multi_output means multiclass-multioutput for a classifier: refused.
        Y = np.column_stack([y, y[::-1]])
        assert _fits(_quick(Estimator), X, Y) is tags.multi_output is False


def test_classifier_tags_say_what_targets_work():
    tags = get_tags(BackpropClassifier()).classifier_tags
    X, y = load_iris(return_X_y=True)
    assert _fits(_quick(BackpropClassifier), X, y) is tags.multi_class is True
    X, Y = make_multilabel_classification(n_samples=60, random_state=0)
    assert _fits(_quick(BackpropClassifier), X, Y) is tags.multi_label is True
    assert _quick(BackpropClassifier).fit(X, Y).predict(X).shape == Y.shape


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_general_tags_match_behaviour(Estimator):
    X, y = _data(Estimator)
    tags = get_tags(Estimator())
    assert tags.requires_fit
    with pytest.raises(NotFittedError):
        Estimator().predict(X)
    assert not tags.non_deterministic
    assert_same_network(_quick(Estimator).fit(X, y), _quick(Estimator).fit(X, y))
    assert not tags.array_api_support
    assert tags.transformer_tags is None  # so no preserves_dtype tag applies


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_float32_is_preserved_through_prediction(Estimator):
    # scikit-learn has a dtype tag only for transformers (preserves_dtype); the
    # estimators keep float32 as MLP does, documented in the user guide.
    X, y = _data(Estimator)
    X32 = X.astype(np.float32)
    model = _quick(Estimator).fit(X32, y)
    outputs = [model.predict(X32)] if Estimator is BackpropRegressor else []
    if Estimator is BackpropClassifier:
        outputs += [model.predict_proba(X32), model.decision_function(X32)]
    assert all(out.dtype == np.float32 for out in outputs)
