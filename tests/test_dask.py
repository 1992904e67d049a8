"""Restarts and grid searches on a real Dask cluster, through joblib's Dask backend.

The cluster's workers are separate processes on loopback, so every restart and every
fit of the search is pickled there and back.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sklearn_bp import BackpropClassifier, BackpropRegressor

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _same_network(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(u, v)


@pytest.mark.parametrize("Estimator", [BackpropClassifier, BackpropRegressor])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_fit_and_restarts_on_a_dask_cluster_equal_local_ones(client, Estimator, n_jobs):
    X, y = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=(6,), n_init=3, max_iter=15, random_state=3)
    local = Estimator(**params).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = Estimator(n_jobs=n_jobs, **params).fit(X, y)
    _same_network(local, remote)
    assert remote.restart_loss_curves_ == local.restart_loss_curves_


def test_grid_search_on_a_dask_cluster_equals_the_local_one(client):
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        BackpropClassifier(max_iter=10, random_state=0),
        {"alpha": [1e-4, 0.1], "hidden_layer_sizes": [(4,), (8,)]},
        cv=3,
    )
    local = search.fit(X, y)
    local_scores = local.cv_results_["mean_test_score"].copy()
    local_best = local.best_estimator_
    with joblib.parallel_config(backend="dask"):
        remote = clone(search).set_params(n_jobs=2).fit(X, y)
    assert_array_equal(remote.cv_results_["mean_test_score"], local_scores)
    _same_network(remote.best_estimator_, local_best)
    assert np.isfinite(remote.best_score_)


def test_the_training_inputs_are_scattered_to_the_cluster_once(client, monkeypatch):
    """Restarts share one X: joblib's Dask backend sends it once, not per restart."""
    from dask.sizeof import sizeof

    rng = np.random.RandomState(0)
    X = rng.normal(size=(5000, 20))
    y = (X[:, 0] > 0).astype(int)
    sent = []
    scatter = client.scatter

    def counting_scatter(data, *args, **kwargs):
        sent.append(sizeof(data))
        return scatter(data, *args, **kwargs)

    monkeypatch.setattr(client, "scatter", counting_scatter)
    with joblib.parallel_config(backend="dask"):
        BackpropClassifier(
            hidden_layer_sizes=(4,), n_init=4, n_jobs=2, max_iter=2, random_state=0
        ).fit(X, y)
    large = [size for size in sent if size >= X.nbytes]
    assert len(large) == 1
