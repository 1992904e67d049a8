"""LossCurveDisplay: a fitted network's training loss per epoch, drawn with matplotlib.

matplotlib is optional (``pip install "sklearn-bp[plot]"``) and imported only when a
curve is drawn, so that importing sklearn_bp never needs it.
"""

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._estimators import _BaseBackprop

#: Style of the restarts that were not kept, under ``show_restarts=True``.
_OTHER_RESTART_STYLE = {"color": "tab:gray", "alpha": 0.5, "linewidth": 1.0}


def _pyplot(caller):
    """matplotlib.pyplot, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed. Install it with "
            '`pip install "sklearn-bp[plot]"` (or `pip install matplotlib`).'
        ) from error
    return plt


def _epochs(curve):
    """Epoch numbers 1, 2, ... for a per-epoch curve."""
    return list(range(1, len(curve) + 1))


class LossCurveDisplay:
    """Training loss per epoch, with the validation score and every restart's curve.

    Build it with :meth:`from_estimator` from a fitted :class:`BackpropClassifier`
    or :class:`BackpropRegressor` (or a pipeline ending in one), or directly from
    the curves, then call :meth:`plot`. All attributes are stored as given.

    Parameters
    ----------
    loss_curve : list of float
        Training loss after each epoch of the kept network (``loss_curve_``).

    validation_scores : list of float or None, default=None
        Validation score after each epoch (``validation_scores_``), under early
        stopping.

    restart_loss_curves : list of list of float or None, default=None
        Every restart's training loss per epoch (``restart_loss_curves_``).

    best_restart : int or None, default=None
        Index of the restart that was kept (``best_restart_``).

    name : str or None, default=None
        Name of the estimator, shown in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The kept network's training loss.

    lines_ : list of matplotlib Line2D or None
        Under ``show_restarts=True``, one line per restart in restart order (None
        for a restart that never ran); the kept restart's line is ``line_`` when
        its curve is the kept network's. None otherwise.

    validation_line_ : matplotlib Line2D or None
        The validation score, on ``validation_ax_``; None without validation
        scores.

    ax_ : matplotlib Axes
        Axes of the training loss.

    validation_ax_ : matplotlib Axes or None
        Second y axis (sharing the epochs) of the validation score.

    figure_ : matplotlib Figure
        Figure holding the axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_bp import BackpropClassifier, LossCurveDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(), BackpropClassifier(max_iter=20, n_init=3, random_state=0)
    ... )
    >>> display = LossCurveDisplay.from_estimator(clf.fit(X, y), show_restarts=True)
    >>> len(display.lines_), list(display.line_.get_ydata()) == clf[-1].loss_curve_
    (3, True)
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_scores=None,
        restart_loss_curves=None,
        best_restart=None,
        name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.restart_loss_curves = restart_loss_curves
        self.best_restart = best_restart
        self.name = name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, show_restarts=False, **kwargs):
        """Draw the curves of a fitted estimator.

        Parameters
        ----------
        estimator : BackpropClassifier, BackpropRegressor or Pipeline
            A fitted estimator, or a fitted pipeline whose last step is one.

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.

        show_restarts : bool, default=False
            Also draw every restart's training loss, the kept one highlighted.

        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
        """
        _pyplot(f"{cls.__name__}.from_estimator")
        model = estimator[-1] if isinstance(estimator, Pipeline) else estimator
        if not isinstance(model, _BaseBackprop):
            raise TypeError(
                f"{cls.__name__} draws the curves of a fitted BackpropClassifier or "
                f"BackpropRegressor (or a Pipeline ending in one), got "
                f"{type(model).__name__}."
            )
        check_is_fitted(model)
        display = cls(
            loss_curve=model.loss_curve_,
            validation_scores=model.validation_scores_,
            restart_loss_curves=model.restart_loss_curves_,
            best_restart=model.best_restart_,
            name=type(model).__name__,
        )
        return display.plot(ax=ax, show_restarts=show_restarts, **kwargs)

    def plot(
        self,
        ax=None,
        *,
        show_restarts=False,
        name=None,
        validation_kwargs=None,
        restart_kwargs=None,
        **kwargs,
    ):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.

        show_restarts : bool, default=False
            Also draw every restart's training loss: the kept restart in the style
            of ``line_``, the others thin and gray.

        name : str or None, default=None
            Name in the legend; ``self.name`` when None.

        validation_kwargs : dict or None, default=None
            Keyword arguments of matplotlib's ``plot`` for the validation score.

        restart_kwargs : dict or None, default=None
            Keyword arguments of matplotlib's ``plot`` for the restarts not kept.

        **kwargs : dict
            Keyword arguments of matplotlib's ``plot`` for the training loss.

        Returns
        -------
        display : LossCurveDisplay
            Itself, with ``ax_``, ``figure_``, ``line_``, ``lines_``,
            ``validation_ax_`` and ``validation_line_`` set.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")
        if ax is None:
            _, ax = plt.subplots()
        name = self.name if name is None else name
        label = "training loss" if name is None else f"{name} training loss"
        self.line_ = ax.plot(
            _epochs(self.loss_curve), self.loss_curve, **{"label": label, **kwargs}
        )[0]
        self.lines_ = self._plot_restarts(ax, restart_kwargs) if show_restarts else None
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        self.validation_ax_, self.validation_line_ = self._plot_validation(
            ax, validation_kwargs
        )
        # One legend for both y axes.
        lines = ax.get_lines()
        if self.validation_ax_ is not None:
            lines += self.validation_ax_.get_lines()
        ax.legend(
            handles=[line for line in lines if not line.get_label().startswith("_")]
        )
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _plot_restarts(self, ax, restart_kwargs):
        """One line per restart; the kept one is ``line_`` when the curves agree
        (a fresh fit), else drawn in its colour."""
        if self.restart_loss_curves is None:
            raise ValueError(
                "show_restarts=True needs restart_loss_curves; this display has none."
            )
        style = {**_OTHER_RESTART_STYLE, **(restart_kwargs or {})}
        lines, others_labelled = [], False
        for index, curve in enumerate(self.restart_loss_curves):
            if len(curve) == 0:
                lines.append(None)
            elif index == self.best_restart and list(curve) == list(self.loss_curve):
                lines.append(self.line_)
            elif index == self.best_restart:
                kept = {"color": self.line_.get_color(), "linestyle": ":"}
                label = f"restart {index} (kept)"
                lines.append(ax.plot(_epochs(curve), curve, label=label, **kept)[0])
            else:
                label = None if others_labelled else "other restarts"
                others_labelled = True
                line = ax.plot(_epochs(curve), curve, **{"label": label, **style})[0]
                lines.append(line)
        return lines

    def _plot_validation(self, ax, validation_kwargs):
        """The validation score on a second y axis, or (None, None)."""
        if not self.validation_scores:
            return None, None
        validation_ax = ax.twinx()
        style = {"color": "tab:orange", "label": "validation score"}
        scores = self.validation_scores
        line = validation_ax.plot(
            _epochs(scores), scores, **{**style, **(validation_kwargs or {})}
        )[0]
        validation_ax.set_ylabel("validation score")
        return validation_ax, line
