"""LossCurveDisplay: the drawn data are the fitted curves."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier, BackpropRegressor, LossCurveDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _fitted(**params):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return BackpropClassifier(max_iter=12, random_state=0, **params).fit(X, y)


def _xy(line):
    return list(line.get_xdata()), list(line.get_ydata())


def test_training_loss_is_drawn_per_epoch():
    clf = _fitted()
    display = LossCurveDisplay.from_estimator(clf)
    epochs, losses = _xy(display.line_)
    assert epochs == list(range(1, clf.n_iter_ + 1))
    assert losses == clf.loss_curve_
    assert display.lines_ is None
    assert display.validation_line_ is None and display.validation_ax_ is None
    assert display.ax_.get_xlabel() == "epoch"
    assert display.figure_ is display.ax_.figure
    assert display.line_.get_label() == "BackpropClassifier training loss"


def test_every_restart_is_drawn_and_the_kept_one_is_the_main_line():
    clf = _fitted(n_init=3)
    display = LossCurveDisplay.from_estimator(clf, show_restarts=True)
    assert len(display.lines_) == 3
    for line, curve in zip(display.lines_, clf.restart_loss_curves_):
        assert _xy(line) == (list(range(1, len(curve) + 1)), curve)
    assert display.lines_[clf.best_restart_] is display.line_
    others = [line for i, line in enumerate(display.lines_) if i != clf.best_restart_]
    assert all(line.get_color() == "tab:gray" for line in others)
    assert display.line_.get_color() != "tab:gray"
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["BackpropClassifier training loss", "other restarts"]


def test_a_continued_fit_draws_the_kept_restart_apart():
    clf = _fitted(n_init=2, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_params(max_iter=3).fit(*_scaled_iris())
    display = LossCurveDisplay.from_estimator(clf, show_restarts=True)
    kept = display.lines_[clf.best_restart_]
    assert kept is not display.line_
    assert list(kept.get_ydata()) == clf.restart_loss_curves_[clf.best_restart_]
    assert list(display.line_.get_ydata()) == clf.loss_curve_
    assert kept.get_color() == display.line_.get_color()


def _scaled_iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_validation_scores_go_on_a_second_axis():
    clf = _fitted(early_stopping=True, validation_fraction=0.2)
    display = LossCurveDisplay.from_estimator(clf)
    epochs, scores = _xy(display.validation_line_)
    assert scores == clf.validation_scores_
    assert epochs == list(range(1, len(scores) + 1))
    assert display.validation_ax_ is not display.ax_
    assert display.validation_line_ in display.validation_ax_.get_lines()
    assert display.validation_ax_.get_shared_x_axes().joined(
        display.ax_, display.validation_ax_
    )
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert "validation score" in legend


def test_a_pipeline_draws_its_last_step():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), BackpropClassifier(max_iter=5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, y)
    display = LossCurveDisplay.from_estimator(pipe)
    assert list(display.line_.get_ydata()) == pipe[-1].loss_curve_


def test_given_axes_and_styling_are_used():
    clf = _fitted()
    _, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(
        clf, ax=ax, color="red", linewidth=3, name="net"
    )
    assert display.ax_ is ax and display.figure_ is ax.figure
    assert display.line_.get_color() == "red"
    assert display.line_.get_linewidth() == 3
    assert display.line_.get_label() == "net training loss"


def test_plot_from_curves_skips_restarts_that_never_ran():
    display = LossCurveDisplay(
        loss_curve=[1.0, 0.5, 0.25],
        restart_loss_curves=[[], [1.0, 0.5, 0.25], [2.0, 1.5]],
        best_restart=1,
    ).plot(show_restarts=True, restart_kwargs={"color": "black"})
    assert display.lines_[0] is None
    assert display.lines_[1] is display.line_
    assert _xy(display.lines_[2]) == ([1, 2], [2.0, 1.5])
    assert display.lines_[2].get_color() == "black"
    assert display.line_.get_label() == "training loss"


def test_show_restarts_without_restart_curves_is_an_error():
    display = LossCurveDisplay(loss_curve=[1.0, 0.5])
    with pytest.raises(ValueError, match="restart_loss_curves"):
        display.plot(show_restarts=True)


def test_unfitted_and_foreign_estimators_are_refused():
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(BackpropRegressor())
    X, y = _scaled_iris()
    with pytest.raises(TypeError, match="BackpropClassifier or BackpropRegressor"):
        LossCurveDisplay.from_estimator(LogisticRegression().fit(X, y))


def test_missing_matplotlib_says_how_to_install_it(monkeypatch):
    display = LossCurveDisplay(loss_curve=[1.0])
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"sklearn-bp\[plot\]"):
        display.plot()
    with pytest.raises(ImportError, match="from_estimator requires matplotlib"):
        LossCurveDisplay.from_estimator(_fitted())


def test_the_regressor_draws_too():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(40, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = BackpropRegressor(max_iter=4, random_state=0).fit(X, X[:, 0] ** 2)
    display = LossCurveDisplay.from_estimator(reg)
    assert list(display.line_.get_ydata()) == reg.loss_curve_
