"""scikit-learn's callbacks: the task tree fit -> restarts -> epochs."""

import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier, BackpropRegressor

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn >= 1.9")


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


class Recorder:
    """Records every hook call as (hook, task name, task id, parent's task id)."""

    def __init__(self, stop_at_epoch=None):
        self.events = []
        self.stop_at_epoch = stop_at_epoch
        self.predictions = {}

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name, None, None))

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name, None, None))

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", *self._where(context)))

    def on_fit_task_end(self, estimator, context, *, X=None, fitted_estimator=None):
        self.events.append(("end", *self._where(context)))
        if context.task_name == "epoch":
            restart = context.parent.task_id
            self.predictions[restart] = fitted_estimator.predict(X)
            return context.task_id + 1 == self.stop_at_epoch
        return False

    @staticmethod
    def _where(context):
        parent = None if context.parent is None else context.parent.task_id
        return context.task_name, context.task_id, parent


def _fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_each_restart_reports_each_epoch(n_jobs):
    X, y = _iris()
    recorder = Recorder()
    clf = BackpropClassifier(max_iter=6, n_init=3, n_jobs=n_jobs, random_state=0)
    _fit_quietly(clf.set_callbacks(recorder), X, y)
    events = recorder.events
    assert events[:2] == [("setup", "fit", None, None), ("begin", "fit", 0, None)]
    assert events[-2:] == [("end", "fit", 0, None), ("teardown", "fit", None, None)]
    for restart, curve in enumerate(clf.restart_loss_curves_):
        mine = [
            e
            for e in events
            if e[1:3] == ("restart", restart) or e[1::2] == ("epoch", restart)
        ]
        epochs = [("begin", "epoch", j, restart) for j in range(len(curve))]
        ends = [("end", "epoch", j, restart) for j in range(len(curve))]
        expected = [("begin", "restart", restart, 0)]
        expected += [e for pair in zip(epochs, ends) for e in pair]
        expected += [("end", "restart", restart, 0)]
        assert mine == expected
    # The estimator a callback gets at the kept restart's last epoch is the fit's.
    np.testing.assert_array_equal(
        recorder.predictions[clf.best_restart_], clf.predict(X)
    )


def test_callbacks_change_nothing_in_the_result():
    X, y = _iris()
    params = dict(max_iter=5, n_init=2, random_state=0)
    plain = _fit_quietly(BackpropRegressor(**params), X, y)
    watched = BackpropRegressor(**params).set_callbacks(Recorder())
    _fit_quietly(watched, X, y)
    for a, b in zip(
        plain.coefs_ + plain.intercepts_, watched.coefs_ + watched.intercepts_
    ):
        np.testing.assert_array_equal(a, b)


def test_a_callback_can_stop_each_restart():
    X, y = _iris()
    clf = BackpropClassifier(max_iter=50, n_init=2, random_state=0)
    with pytest.warns(UserWarning, match="after 3 epochs"):
        clf.set_callbacks(Recorder(stop_at_epoch=3)).fit(X, y)
    assert [len(curve) for curve in clf.restart_loss_curves_] == [3, 3]


def test_a_failed_fit_still_tears_callbacks_down():
    X, y = _iris()
    recorder = Recorder()
    clf = BackpropClassifier(learning_rate_init=1e6, max_iter=20, random_state=0)
    with pytest.raises(ValueError, match="diverged"):
        clf.set_callbacks(recorder).fit(X * 1e3, y)
    assert recorder.events[-1] == ("teardown", "fit", None, None)
    assert not hasattr(clf, "_callback_fit_ctx")
    assert not hasattr(clf, "coefs_")


def test_progress_bars_nest_in_a_grid_search(capsys, monkeypatch):
    pytest.importorskip("rich")
    monkeypatch.setenv("COLUMNS", "160")  # rich fits the bars to the terminal
    X, y = _iris()
    base = BackpropClassifier(max_iter=4, n_init=2, random_state=0)
    grid = {"alpha": [0.1, 1.0]}
    search = GridSearchCV(base, grid, cv=2)
    search.set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    _fit_quietly(search, X, y)
    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out
    assert "candidate-split-evaluation | BackpropClassifier - fit #3" in out
    assert out.count("BackpropClassifier - restart #1") == 5  # 4 fits and a refit
    assert "100%" in out
    assert not re.search(r"\b[0-9]{1,2}%", out)  # every bar completed
    # The search's result is the one without callbacks.
    plain = _fit_quietly(GridSearchCV(base, grid, cv=2), X, y)
    np.testing.assert_array_equal(
        search.best_estimator_.coefs_[0], plain.best_estimator_.coefs_[0]
    )


def test_without_sklearn_callback_the_estimators_work_as_before():
    # scikit-learn < 1.9 has no sklearn.callback; simulate that for sklearn_bp only
    # (scikit-learn's own fit machinery imports it on this version).
    code = textwrap.dedent(
        """
        import builtins, warnings
        real_import = builtins.__import__

        def without_callbacks(name, globals=None, *args, **kwargs):
            importer = (globals or {}).get("__name__", "")
            if name.startswith("sklearn.callback") and importer.startswith(
                "sklearn_bp"
            ):
                raise ImportError("no sklearn.callback")
            return real_import(name, globals, *args, **kwargs)

        builtins.__import__ = without_callbacks
        from sklearn.datasets import load_iris
        from sklearn_bp import BackpropClassifier

        warnings.simplefilter("ignore")
        X, y = load_iris(return_X_y=True)
        clf = BackpropClassifier(max_iter=5, n_init=2, random_state=0)
        print(hasattr(clf, "set_callbacks"), repr(clf.fit(X / 8, y).loss_))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    has_set_callbacks, loss = result.stdout.split()
    assert has_set_callbacks == "False"
    X, y = load_iris(return_X_y=True)
    clf = _fit_quietly(
        BackpropClassifier(max_iter=5, n_init=2, random_state=0), X / 8, y
    )
    assert float(loss) == clf.loss_
