"""BackpropClassifier and BackpropRegressor: scikit-learn plumbing around the training.

The estimators validate input, encode targets into the sigmoid's range, split off a
validation set, and hand plain arrays to ``_restarts`` / ``_training``. Every fitted
attribute is a plain numpy array, list or number.
"""

import warnings
from functools import wraps
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MultiOutputMixin,
    RegressorMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning, InconsistentVersionWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import (
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._callbacks import CallbackSupportMixin, run_restarts_reporting
from ._checks import check_fitted_state, check_sparse_indices
from ._diagnosis import warn_if_loss_rose
from ._docstrings import shared_docstring
from ._network import LOSSES, forward_pass
from ._output_head import (
    ClassifierHead,
    RegressorHead,
    dense_targets,
    target_range_arrays,
)
from ._restarts import best_restart, draw_seeds, restart_tasks
from ._sgd import unpack
from ._training import (
    MIN_EPOCH_VISITS,
    Settings,
    StopOnInterrupt,
    TrainingData,
    TrainingState,
    ValidationSet,
    automatic_alpha,
    blas_threads_for,
    initial_state,
    state_from_network,
    train,
)
from ._version import __version__
from ._visits import (
    as_counts,
    as_inputs,
    content_order,
    expand_visits,
    mean_inputs_per_row,
)


def _restore_on_failure(method):
    """Undo every attribute change made by ``method`` if it raises.

    The rollback is a single assignment, the saved dict put in place of the
    instance's, with no call before it: Python runs signal handlers only at calls
    and backward jumps, so a second Ctrl-C cannot leave the state half restored.
    """

    @wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = dict(self.__dict__)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__ = saved
            raise

    return wrapper


def _check_hidden_layer_sizes(hidden_layer_sizes):
    sizes = np.atleast_1d(hidden_layer_sizes)
    if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.integer):
        raise ValueError(
            "hidden_layer_sizes must be an int or a non-empty sequence of ints, "
            f"got {hidden_layer_sizes!r}."
        )
    if np.any(sizes <= 0):
        raise ValueError(
            "hidden_layer_sizes must contain only positive ints, "
            f"got {hidden_layer_sizes!r}."
        )
    return [int(s) for s in sizes]


class _BaseBackprop(CallbackSupportMixin, BaseEstimator):
    """Shared fit logic. Subclasses encode targets and decode network outputs."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "loss": [StrOptions(set(LOSSES))],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "n_sgd_threads": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # No defaults here: the public estimators state them (once each; a test checks
    # that they agree with each other and with the docstring).
    def __init__(
        self,
        hidden_layer_sizes,
        *,
        loss,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        momentum,
        nesterovs_momentum,
        max_iter,
        tol,
        n_iter_no_change,
        shuffle,
        early_stopping,
        validation_fraction,
        n_init,
        n_jobs,
        n_sgd_threads,
        warm_start,
        random_state,
        verbose,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.loss = loss
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_init = n_init
        self.n_jobs = n_jobs
        self.n_sgd_threads = n_sgd_threads
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    @_restore_on_failure
    def set_params(self, **params):
        return super().set_params(**params)

    def __getstate__(self):
        # A copy: object.__getstate__ returns the instance's own __dict__.
        return {**super().__getstate__(), "_sklearn_bp_version": __version__}

    def __setstate__(self, state):
        # As scikit-learn does for its own version: loading a model saved by another
        # version of this package works, with a warning.
        saved_version = state.pop("_sklearn_bp_version", "unknown")
        if saved_version != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_sklearn_version=__version__,
                    original_sklearn_version=saved_version,
                )
            )
        if "coefs_" in state:  # a fitted model: compiled code will index its arrays
            self._check_fitted_state(state)
        super().__setstate__(state)

    def _check_fitted_state(self, state):
        check_fitted_state(
            state, type(self).__name__, classifier=isinstance(self, ClassifierMixin)
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # Threads racing over shared weights: two fits give different networks.
        tags.non_deterministic = self.n_sgd_threads != 1
        return tags

    # ----------------------------------------------------------------- fitting

    @_restore_on_failure
    def _fit(self, X, y, sample_weight, *, incremental, declared=None):
        """Validate, encode, train and store; on any failure the model is unchanged.

        ``declared`` is what a first partial_fit call declares about targets it may
        not see yet (the classifier's ``classes``, the regressor's ``target_range``).
        """
        fresh = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        if not fresh:
            self._check_fitted_state(self.__dict__)
        hidden = _check_hidden_layer_sizes(self.hidden_layer_sizes)
        self._check_sgd_threads()
        if not fresh:
            self._check_same_hidden_layers(hidden)
        X, y = validate_data(
            self,
            check_sparse_indices(X),
            y,
            reset=fresh,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32] if fresh else self.coefs_[0].dtype,
            multi_output=True,
        )
        y = self._check_target_shape(y)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        sample_weight = self._weigh_classes(y, sample_weight, incremental)
        if not np.any(sample_weight > 0):  # older scikit-learn lets it pass
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        sample_weight = as_counts(sample_weight)
        call = "partial_fit" if incremental else "fit"
        head = self._new_head(y, sample_weight, declared) if fresh else self._head()
        if not fresh:
            self._check_continued_targets(head, y, declared, incremental)
        Y = head.encode(
            y, X.dtype, loss=self.loss, call=call, sample_weight=sample_weight
        )
        alpha = self._l2_strength(X, sample_weight, fresh)
        settings = self._settings(incremental, alpha)
        rng = self._random_state(fresh)
        data = self._training_data(X, y, Y, sample_weight, settings, rng, head)
        layer_sizes = [X.shape[1], *hidden, head.n_outputs]
        if fresh and not incremental:
            X_train, tasks = restart_tasks(
                data, settings, layer_sizes, X.dtype, draw_seeds(rng, self.n_init)
            )
            results = run_restarts_reporting(
                self, X_train, tasks, self.n_jobs, X, y, sample_weight, head
            )
            best, criteria = best_restart(results, settings.early_stopping)
            state = results[best].state
            rng = np.random.RandomState()
            rng.set_state(results[best].rng_state)
            self._store_restarts(results, criteria, best)
        else:
            state, rng = self._continued_state(
                settings, layer_sizes, X.dtype, rng, incremental
            )
            with blas_threads_for(layer_sizes, settings.batch_size):
                state = train(
                    data, settings, state, rng, settings.max_iter, StopOnInterrupt()
                )
        if fresh:
            self._store_head(head)
        if not incremental:
            warn_if_loss_rose(state.loss_curve, data, settings, state.learning_rate)
        self._warn_how_training_ended(state, incremental)
        self._store_state(state, incremental)
        self.alpha_ = alpha
        # Kept as a plain tuple, so that later partial_fit calls continue the stream
        # exactly as more epochs of the same fit would.
        self._rng_state = rng.get_state()
        return self

    def _check_sgd_threads(self):
        """Parallel SGD is per-sample: a mini-batch step gains from BLAS threads
        instead, and all its threads would write every weight at every step."""
        if self.n_sgd_threads > 1 and self.batch_size > 1:
            raise ValueError(
                f"n_sgd_threads={self.n_sgd_threads} needs batch_size=1 (lock-free "
                f"parallel SGD takes per-sample steps), got batch_size="
                f"{self.batch_size}. Use n_sgd_threads=1 with mini-batches."
            )

    def _weigh_classes(self, y, sample_weight, incremental):
        """The sample weights times the class weights (none by default)."""
        return sample_weight

    def _check_same_hidden_layers(self, hidden):
        fitted = [W.shape[1] for W in self.coefs_[:-1]]
        if fitted != hidden:
            raise ValueError(
                f"hidden_layer_sizes={self.hidden_layer_sizes!r} differs from the "
                f"fitted network's hidden layers {tuple(fitted)}: warm_start and "
                "partial_fit continue the fitted network. Set warm_start=False (or "
                "use a new estimator) to train a network of the new shape."
            )

    def _check_continued_targets(self, head, y, declared, incremental):
        """Checks of the targets of a warm start or later partial_fit beyond what
        the head's encoding checks (none by default)."""

    def _training_data(self, X, y, Y, sample_weight, settings, rng, head):
        """The visits to train on, in canonical order when shuffling, and the
        validation set under early stopping."""
        inputs = as_inputs(X)
        rows = np.flatnonzero(sample_weight > 0)
        argsort_by_content = None
        if settings.shuffle:
            argsort_by_content = content_order(inputs, X.shape[1], Y)
            rows = rows[argsort_by_content(rows, sample_weight[rows])]
            if np.all(sample_weight[rows] <= 1):
                # Each row is visited once, so the visits are in content order
                # already; the keys are freed before the validation split.
                argsort_by_content = None
        validation = None
        if settings.early_stopping:
            rows, val_rows = self._split_validation(rows, head.stratify(y), rng)
            validation = ValidationSet(
                rows=val_rows,
                y=y[val_rows],
                sample_weight=sample_weight[val_rows],
                head=head,
            )
        visit_rows, visit_weights = expand_visits(rows, sample_weight, X.dtype)
        if argsort_by_content is not None:
            order = argsort_by_content(visit_rows, visit_weights)
            visit_rows, visit_weights = visit_rows[order], visit_weights[order]
        return TrainingData(
            inputs=inputs,
            Y=Y,
            visit_rows=visit_rows,
            visit_weights=visit_weights,
            total_weight=float(sample_weight[rows].sum()),
            validation=validation,
        )

    def _warn_how_training_ended(self, state, incremental):
        if state.interrupted:
            warnings.warn(
                f"Training interrupted by the user after {state.n_iter} epochs; "
                "keeping the network reached so far.",
                UserWarning,
            )
        elif state.gave_up:
            warnings.warn(
                f"Training stopped after {state.n_iter} epochs on a plateau at the "
                "loss of a constant prediction: the network has learned next to "
                f"nothing. {state.stop_reason} Try a larger learning_rate_init, "
                "n_init > 1, a larger n_iter_no_change, or scaled inputs.",
                ConvergenceWarning,
            )
        elif not incremental and not state.stopped:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _random_state(self, fresh):
        if not fresh:
            rng = np.random.RandomState()
            rng.set_state(self._rng_state)
            return rng
        return check_random_state(self.random_state)

    def _l2_strength(self, X, sample_weight, fresh):
        """``alpha``, or for ``alpha="auto"`` the strength the first fit chose from
        its data (kept by warm starts and partial_fit: the objective stays one)."""
        if not isinstance(self.alpha, str):
            return float(self.alpha)
        if not fresh and hasattr(self, "alpha_"):
            return self.alpha_
        inputs = mean_inputs_per_row(X, sample_weight)
        return automatic_alpha(inputs, float(sample_weight.sum()))

    def _settings(self, incremental, alpha):
        return Settings(
            loss=self.loss,
            alpha=alpha,
            batch_size=int(self.batch_size),
            learning_rate=self.learning_rate,
            learning_rate_init=float(self.learning_rate_init),
            power_t=float(self.power_t),
            momentum=float(self.momentum),
            nesterovs_momentum=bool(self.nesterovs_momentum),
            max_iter=1 if incremental else int(self.max_iter),
            tol=float(self.tol),
            n_iter_no_change=self.n_iter_no_change,
            shuffle=bool(self.shuffle),
            early_stopping=bool(self.early_stopping) and not incremental,
            verbose=bool(self.verbose),
            min_epoch_visits=0 if incremental else MIN_EPOCH_VISITS,
            n_sgd_threads=int(self.n_sgd_threads),
        )

    def _continued_state(self, settings, layer_sizes, dtype, rng, incremental):
        """``(state, rng)`` to continue from: partial_fit keeps the optimizer's
        memory, a warm-started fit starts a fresh optimizer on the kept weights (the
        ``"invscaling"`` schedule going on from ``t_``), and a first partial_fit
        starts from a random network."""
        if not hasattr(self, "coefs_"):
            # A first partial_fit: a single restart, seeded as fit would seed it.
            rng = np.random.RandomState(draw_seeds(rng, 1)[0])
            return initial_state(layer_sizes, settings, rng, dtype), rng
        state = state_from_network(
            self.coefs_, self.intercepts_, settings, dtype, t=self.t_
        )
        if incremental:
            state.velocity = self._velocity.copy()
            state.learning_rate = self._learning_rate
            state.n_iter = self.n_iter_
            state.loss_curve = list(self.loss_curve_)
            if self.best_loss_ is not None:
                state.best_loss = self.best_loss_
                state.no_improvement_count = self._no_improvement_count
            # else: the last fit tracked a validation score (early stopping), which
            # partial_fit does not; it tracks the training loss from here on.
        return state, rng

    def _store_restarts(self, results, criteria, best):
        """Every restart's figure and curves (empty for restarts that never ran)."""
        self.restart_losses_ = criteria.tolist()
        self.best_restart_ = best
        self.restart_loss_curves_ = [
            [] if r is None else list(r.state.loss_curve) for r in results
        ]
        self.restart_validation_scores_ = (
            [[] if r is None else list(r.state.validation_scores) for r in results]
            if self.early_stopping
            else None
        )

    def _store_state(self, state: TrainingState, incremental):
        coefs, intercepts = unpack(state.params, state.layout)
        self.coefs_ = [W.copy() for W in coefs]
        self.intercepts_ = [b.copy() for b in intercepts]
        self.n_layers_ = len(state.layer_sizes)
        self.n_outputs_ = state.layer_sizes[-1]
        self.loss_curve_ = list(state.loss_curve)
        self.loss_ = self.loss_curve_[-1]
        self.n_iter_ = state.n_iter
        self.t_ = state.t
        self._velocity = state.velocity
        self._learning_rate = state.learning_rate
        self._no_improvement_count = state.no_improvement_count
        if self.early_stopping and not incremental:
            self.validation_scores_ = list(state.validation_scores)
            self.best_validation_score_ = state.best_validation_score
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = state.best_loss
        if incremental and not hasattr(self, "restart_losses_"):
            self.restart_losses_ = [self.loss_]
            self.best_restart_ = 0
            self.restart_loss_curves_ = [list(self.loss_curve_)]
            self.restart_validation_scores_ = None

    def _split_validation(self, rows, labels, rng):
        """Hold out ``validation_fraction`` of the rows (stratified by ``labels``
        when there are some)."""
        try:
            train_rows, val_rows = train_test_split(
                rows,
                test_size=self.validation_fraction,
                random_state=rng,
                stratify=None if labels is None else labels[rows],
            )
        except ValueError as error:
            raise ValueError(
                "Cannot hold out a validation set for early_stopping "
                f"(validation_fraction={self.validation_fraction}): {error} Use "
                "early_stopping=False, a larger validation_fraction, or more data."
            ) from error
        if val_rows.size < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return train_rows, val_rows

    def _check_target_shape(self, y):
        return dense_targets(y)

    def _validated_output(self, X):
        """(output activations, logits) for X, after checking it."""
        check_is_fitted(self)
        self._check_fitted_state(self.__dict__)
        X = validate_data(
            self,
            check_sparse_indices(X),
            reset=False,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
        )
        activations, logits = forward_pass(self.coefs_, self.intercepts_, X)
        return activations[-1], logits


@shared_docstring
class BackpropClassifier(ClassifierMixin, _BaseBackprop):
    """Neural network classifier of sigmoid units trained by backpropagation and SGD.

    A feed-forward network with sigmoid hidden and output units, trained by stochastic
    gradient descent with backpropagation: per-sample (``batch_size=1``, the classic
    algorithm) or in mini-batches, with optional L2 regularisation and random
    restarts. Targets are the 0/1 indicator encoding: one output for two classes,
    one per class for more, one per label for multilabel ``y``.

    Parameters
    ----------
    {parameters}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, as ``{label: weight}`` or ``"balanced"``
        (``n_samples / (n_classes * np.bincount(y))``); for multilabel data one
        dict per label, as in :func:`sklearn.utils.class_weight.compute_sample_weight`.
        They multiply the sample weights, so that ``class_weight=cw`` trains exactly
        as ``sample_weight=compute_sample_weight(cw, y)``. ``partial_fit`` takes a
        dict only: "balanced" needs the class frequencies of the whole stream.

    Attributes
    ----------
    {attributes}
    classes_ : ndarray of shape (n_classes,)
        Class labels (label indices for multilabel ``y``).

    See Also
    --------
    BackpropRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : scikit-learn's multilayer perceptron.

    Notes
    -----
    Sample weights count samples: a weight ``k`` trains exactly as ``k`` copies of the
    row, and a fractional weight adds a partial copy whose gradient is scaled down
    (``2.5`` trains as two copies plus one of weight ``0.5``). Weights whose mean is
    below 1 (weights that sum to 1, for example) are relative: they are scaled up to
    mean 1 first. With ``shuffle=True`` the result does not depend on the order of
    the rows.

    ``predict_proba`` normalises the sigmoid outputs to sum to 1 for single-label
    data; its values are kept strictly inside (0, 1), so ``predict_log_proba`` is
    always finite.

    References
    ----------
    Rumelhart, D. E., Hinton, G. E. and Williams, R. J. (1986). Learning
    representations by back-propagating errors. Nature, 323, 533-536.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_bp import BackpropClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), BackpropClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y)
    0.9...
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> clf.predict_proba(X[:1]).round(1)
    array([[1., 0., 0.]])
    """

    _parameter_constraints: dict = {
        **_BaseBackprop._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        *,
        loss="squared_error",
        alpha="auto",
        batch_size=1,
        learning_rate="adaptive",
        learning_rate_init=0.2,
        power_t=0.5,
        momentum=0.0,
        nesterovs_momentum=True,
        max_iter=200,
        tol=1e-3,
        n_iter_no_change=10,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_init=1,
        n_jobs=None,
        n_sgd_threads=1,
        warm_start=False,
        random_state=None,
        verbose=False,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes,
            loss=loss,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_init=n_init,
            n_jobs=n_jobs,
            n_sgd_threads=n_sgd_threads,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
        )
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on (X, y): ``n_init`` restarts, the best one kept.

        With ``warm_start=True`` and a fitted model, continue training it instead.
        ``sample_weight`` counts samples (see the user guide's "Sample weights").
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of SGD over (X, y), continuing the fitted network.

        ``classes`` (every class the stream will contain) is required on the first
        call, and must not change later.
        """
        if classes is None and not hasattr(self, "coefs_"):
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, declared=classes)

    def _new_head(self, y, sample_weight, classes):
        return ClassifierHead.from_targets(
            y, classes, estimator_name=type(self).__name__
        )

    def _head(self):
        return ClassifierHead(classes=self.classes_, multilabel=self._multilabel)

    def _store_head(self, head):
        self.classes_ = head.classes
        self._multilabel = head.multilabel

    def _weigh_classes(self, y, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: it needs "
                "the class frequencies of the whole stream. Compute them with "
                "sklearn.utils.class_weight.compute_class_weight('balanced', "
                "classes=classes, y=y) on a large enough sample of the targets, and "
                "pass the resulting dict as class_weight."
            )
        class_weights = compute_sample_weight(self.class_weight, y)
        return sample_weight * class_weights.astype(sample_weight.dtype)

    def _check_continued_targets(self, head, y, classes, incremental):
        if incremental:
            if classes is not None and not np.array_equal(
                unique_labels(classes), head.classes
            ):
                raise ValueError(
                    f"classes={classes!r} is not the same as on the first call to "
                    f"partial_fit, which was {head.classes!r}."
                )
            return
        # A warm-started fit learns the classes of the first fit and no others,
        # as scikit-learn's MLP requires.
        if head.multilabel or y.ndim != 1:
            return  # the encoding checks the kind and the label count
        labels = unique_labels(y)
        if not np.array_equal(labels, head.classes):
            raise ValueError(
                "A warm-started fit needs y with the same classes as the first fit: "
                f"it had {head.classes.tolist()}, y has {labels.tolist()}. Set "
                "warm_start=False to fit the new classes."
            )

    def _check_target_shape(self, y):
        # A column vector of labels is single-label data: flatten it, with the
        # DataConversionWarning scikit-learn gives.
        y = dense_targets(y)
        if y.ndim == 2 and y.shape[1] == 1:
            return column_or_1d(y, warn=True)
        return y

    def decision_function(self, X):
        """Output-layer pre-activations (logits): shape (n_samples,) for two classes."""
        _, logits = self._validated_output(X)
        return self._head().decision(logits)

    def predict(self, X):
        """Predicted class labels (an indicator matrix for multilabel targets)."""
        _, logits = self._validated_output(X)
        return self._head().labels(logits)

    def predict_proba(self, X):
        """Class probabilities, strictly inside (0, 1), computed from the logits.

        Single-label: rows sum to 1 (the sigmoid outputs, normalised; for two classes
        ``[1 - p, p]``). Multilabel: each label's own probability.
        """
        _, logits = self._validated_output(X)
        return self._head().proba(logits)

    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``; always finite."""
        _, logits = self._validated_output(X)
        return self._head().log_proba(logits)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


@shared_docstring
class BackpropRegressor(MultiOutputMixin, RegressorMixin, _BaseBackprop):
    """Neural network regressor of sigmoid units trained by backpropagation and SGD.

    The network of :class:`BackpropClassifier`, sigmoid output layer included, for
    real-valued (and multi-output) targets. Each target column is mapped affinely
    onto [0.1, 0.9] using its range in the first fit, and predictions are mapped
    back to the original units.

    Parameters
    ----------
    {parameters}
    Attributes
    ----------
    {attributes}
    target_min_, target_max_ : ndarray of shape (n_outputs,)
        Range of each target over the samples of positive weight in the first fit.

    See Also
    --------
    BackpropClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's multilayer perceptron.

    Notes
    -----
    Because the output units are sigmoids, predictions stay within
    ``center +/- 1.25 * half_range`` of the training targets (``center`` and
    ``half_range`` from ``target_min_`` and ``target_max_``): the model cannot
    extrapolate far beyond the targets it was trained on. Targets of a later
    ``partial_fit`` outside that range are learned only as far as the range allows,
    with a warning (and clipped to the sigmoid's range under ``loss="log_loss"``).

    Sample weights count samples, as for :class:`BackpropClassifier`.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_bp import BackpropRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reg = make_pipeline(StandardScaler(), BackpropRegressor(random_state=0))
    >>> reg.fit(X_train, y_train).score(X_test, y_test)  # RidgeCV: 0.358
    0.35...
    """

    # Spelled out, as scikit-learn's estimators do: a wrong keyword then names
    # this class, not the base.
    def __init__(
        self,
        hidden_layer_sizes=(64,),
        *,
        loss="squared_error",
        alpha="auto",
        batch_size=1,
        learning_rate="adaptive",
        learning_rate_init=0.2,
        power_t=0.5,
        momentum=0.0,
        nesterovs_momentum=True,
        max_iter=200,
        tol=1e-3,
        n_iter_no_change=10,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_init=1,
        n_jobs=None,
        n_sgd_threads=1,
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        super().__init__(
            hidden_layer_sizes,
            loss=loss,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_init=n_init,
            n_jobs=n_jobs,
            n_sgd_threads=n_sgd_threads,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on (X, y): ``n_init`` restarts, the best one kept.

        With ``warm_start=True`` and a fitted model, continue training it instead.
        ``sample_weight`` counts samples (see the user guide's "Sample weights").
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, target_range=None):
        """One epoch of SGD over (X, y), continuing the fitted network.

        ``target_range=(low, high)`` on the first call fixes the range that the
        targets are mapped from (scalars, or one value per output), for a stream of
        chunks whose first does not span every target; by default the first call's
        targets fix it. Later calls must not pass another range.
        """
        return self._fit(X, y, sample_weight, incremental=True, declared=target_range)

    def _new_head(self, y, sample_weight, target_range=None):
        return RegressorHead.from_targets(y, sample_weight, target_range)

    def _check_continued_targets(self, head, y, target_range, incremental):
        if target_range is None:
            return
        low, high = target_range_arrays(
            target_range, head.n_outputs, head.target_min.dtype
        )
        if not (
            np.array_equal(low, head.target_min)
            and np.array_equal(high, head.target_max)
        ):
            raise ValueError(
                f"target_range={target_range!r} differs from the range fixed by the "
                f"first call ({head.target_min.tolist()}, {head.target_max.tolist()}); "
                "the target mapping cannot change once the network is trained."
            )

    def _head(self):
        return RegressorHead(
            target_min=self.target_min_,
            target_max=self.target_max_,
            single_output=self._single_output,
        )

    def _store_head(self, head):
        self.target_min_ = head.target_min
        self.target_max_ = head.target_max
        self._single_output = head.single_output

    def predict(self, X):
        """Predicted targets, in the original units."""
        Y_hat, _ = self._validated_output(X)
        return self._head().decode(Y_hat)
