"""The two estimators' shared docstring sections, written once.

``shared_docstring`` puts ``PARAMETERS`` and ``ATTRIBUTES`` where a class docstring
has the lines ``{parameters}`` and ``{attributes}``: the classifier and the regressor
take the same parameters (the classifier adds ``class_weight``) and keep the same
fitted attributes (each adds its target encoding's).
"""

PARAMETERS = """\
    hidden_layer_sizes : int or tuple of int, default=(64,)
        Number of sigmoid units in each hidden layer.

    loss : {"squared_error", "log_loss"}, default="squared_error"
        Per-sample loss ``f``. ``"squared_error"`` is ``sum_q 1/2 (yhat_q - y_q)^2``,
        whose output delta is ``(yhat - y) * yhat * (1 - yhat)``. ``"log_loss"`` is the
        binary cross-entropy of each sigmoid output, whose delta is ``yhat - y``.

    alpha : float or "auto", default="auto"
        L2 penalty on the weights (not the intercepts), relative to the summed loss:
        the objective is ``(1/n) [sum_i w_i f_i + alpha/2 sum ||W||^2]`` with ``n`` the
        sum of the sample weights, so each step of unit-weight samples adds
        ``(alpha / n) W`` to the gradient whatever the batch size (a visit of weight
        ``w`` adds ``w`` times that); scikit-learn's MLP uses the same units.
        ``"auto"`` is ``0.0015 * d * ln(n)``, ``d`` the mean number of non-zero
        inputs of a row (at most ``n``): more inputs and more rows, more penalty, yet
        one that weighs less per sample as ``n`` grows (see the user guide, "How the
        defaults were chosen"). The strength used is ``alpha_``.

    batch_size : int, default=1
        Samples per SGD step. 1 is the classic per-sample SGD; larger values average
        the gradient over a mini-batch.

    learning_rate : {"constant", "invscaling", "adaptive"}, default="adaptive"
        Step-size schedule, as in scikit-learn's MLP: ``"invscaling"`` uses
        ``learning_rate_init / (t + 1) ** power_t`` after each epoch (``t`` samples
        seen); ``"adaptive"`` divides the step by 5 each time the loss (or validation
        score) fails to improve by ``tol`` for ``n_iter_no_change`` epochs, and stops
        at a plateau once the step has fallen to 1e-6 or below: smaller steps settle the
        noisy per-sample updates into a minimum instead of stopping at the first
        plateau.

    learning_rate_init : float, default=0.2
        Initial step size. The same for both estimators: the loss's size does not
        change with the targets' units.

    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.

    momentum : float in [0, 1), default=0.0
        Momentum of the updates.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum (when ``momentum > 0``).

    max_iter : int, default=200
        Maximum number of epochs. An epoch of ``fit`` is one pass over the training
        data, or, for fewer than 1000 visits (rows, counted by their weights), as
        many whole passes as make at least 1000 visits, each in its own order: SGD
        needs a number of steps that does not shrink with the data. ``partial_fit``
        always makes one pass.

    tol : float, default=1e-3
        Relative tolerance: an epoch whose loss is not below ``(1 - tol)`` times the
        best loss so far counts as no progress, so the rule means the same for any
        loss, number of outputs and target scale. Under early stopping, an epoch
        whose validation score does not exceed the best by ``tol`` counts as no
        progress.

    n_iter_no_change : int or np.inf, default=10
        Epochs without progress after which training stops (or the adaptive schedule
        lowers the step); ``np.inf`` never stops early. Stopping at about the loss
        of a constant prediction gives a ``ConvergenceWarning``, and ``verbose``
        prints why training stopped.

    shuffle : bool, default=True
        Visit the samples in a new random order each epoch. When False, samples are
        visited in the order given.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers), stop when its score stops improving, and keep the weights of
        the best epoch.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    n_init : int, default=1
        Number of random restarts: independent trainings from different random
        initialisations. The one with the lowest final training loss (highest best
        validation score under early stopping) is kept. Applies to fresh fits;
        ``warm_start`` and ``partial_fit`` continue the network that was kept.

    n_jobs : int, default=None
        Number of restarts trained in parallel with joblib: threads by default (the
        compiled training loops release the GIL), or the backend of an enclosing
        ``joblib.parallel_config``. Results are identical for every value and
        backend.

    n_sgd_threads : int, default=1
        Number of threads that train one network at once with per-sample SGD
        (``batch_size=1``), sharing its weights without locks (Hogwild: Recht, Re,
        Wright and Niu, 2011): each epoch's shuffled order is cut into
        ``n_sgd_threads`` slices, run at the same time. Named apart from ``n_jobs``,
        which runs whole restarts side by side; a fit uses up to ``n_jobs *
        n_sgd_threads`` threads. 1 is the sequential loop. With more, results are
        not reproducible: threads read weights that others are changing, a write
        may overwrite another's, and so two fits with the same ``random_state``
        differ. With sparse inputs and L2, each thread applies its steps' decay of
        the first layer in bulk when its slice ends (as the sequential loop does at
        the end of an epoch), so the decay may also shrink the other threads' newer
        updates. Whether it pays depends on the network: see the user guide,
        "Training". ``batch_size > 1`` is refused.

    warm_start : bool, default=False
        Continue from the fitted weights instead of starting anew, with a fresh
        optimizer (zero velocity, ``learning_rate_init``) except that the
        ``"invscaling"`` schedule goes on from ``t_``. The network's shape and the
        classes stay those of the first fit.

    random_state : int, RandomState instance or None, default=None
        Seeds the restarts' initialisations, the validation split and the epoch
        orders. Every restart's seed is drawn from it before any restart runs.

    verbose : bool, default=False
        Print one line per epoch: epoch, loss, validation score (when there is one)
        and elapsed time; and, when training stops early, why. With ``n_init > 1``,
        each line begins with the restart it belongs to (``Restart 2/4: Epoch 3,
        loss = ...``), as the lines of restarts run in parallel interleave.

"""

ATTRIBUTES = """\
    coefs_ : list of ndarray
        ``coefs_[k]`` of shape ``(n_in, n_out)``: the weights from layer ``k`` to
        layer ``k + 1``.

    intercepts_ : list of ndarray
        ``intercepts_[k]`` of shape ``(n_out,)``.

    loss_ : float
        Objective over the last epoch: the mean of the per-sample losses, each taken
        as the sample was visited, plus the L2 penalty at the epoch's end.

    loss_curve_ : list of float
        ``loss_`` after every epoch.

    best_loss_ : float or None
        Lowest ``loss_`` reached; None under early stopping.

    validation_scores_ : list of float or None
        Score on the held-out data after every epoch, under early stopping.

    best_validation_score_ : float or None
        Best of ``validation_scores_``.

    n_iter_ : int
        Epochs run by the last ``fit`` (or in all by ``partial_fit`` calls).

    t_ : int
        Number of sample visits (SGD steps times batch size) since the network was
        created: a warm start and ``partial_fit`` go on counting.

    alpha_ : float
        The L2 strength trained with: ``alpha``, or the value ``alpha="auto"``
        chose on the first fit (warm starts and ``partial_fit`` keep it).

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    restart_losses_ : list of float
        For each restart, the figure it was judged by: final training loss, or best
        validation score under early stopping.

    best_restart_ : int
        Index of the restart that was kept.

    restart_loss_curves_ : list of list of float
        Every restart's ``loss_curve_`` (empty for a restart that an interrupt
        skipped).

    restart_validation_scores_ : list of list of float or None
        Every restart's ``validation_scores_``, under early stopping.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

"""


def shared_docstring(cls):
    """Class decorator: fill in the shared sections of ``cls``'s docstring (there
    is none under ``python -OO``)."""
    if cls.__doc__:
        cls.__doc__ = cls.__doc__.replace("    {parameters}\n", PARAMETERS).replace(
            "    {attributes}\n", ATTRIBUTES
        )
    return cls
