"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn >= 1.9) during a fit.

A fresh fit is the task tree ``fit -> restart #i -> epoch #j``: the fit's task has
one subtask per restart, each restart one per epoch. Callbacks set with
``set_callbacks`` (``ProgressBar``, ``ScoringMonitor``, ...) are told when each task
begins and ends, and nest inside meta-estimators that propagate them
(``GridSearchCV``, ``Pipeline``). A callback may stop a restart at an epoch's end.

On older scikit-learn there is no ``sklearn.callback``: the estimators then have no
``set_callbacks`` and train as they always did.
"""

from types import SimpleNamespace

from ._restarts import run_restarts
from ._sgd import unpack
from ._training import StopOnInterrupt

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Without sklearn.callback: nothing to support."""

    with_callbacks = None


def run_restarts_reporting(
    estimator, X_train, tasks, n_jobs, X, y, sample_weight, head
):
    """``run_restarts(tasks, n_jobs)``, telling the estimator's callbacks.

    The callbacks' setup and teardown happen here, around the restarts, so that
    teardown runs even when a failure later undoes the fit's changes to the
    estimator.
    """
    if with_callbacks is None or not getattr(estimator, "_skl_callbacks", None):
        return run_restarts(X_train, tasks, n_jobs)
    return with_callbacks(_run_reported)(
        estimator, X_train, tasks, n_jobs, X, y, sample_weight, head
    )


def _run_reported(estimator, X_train, tasks, n_jobs, X, y, sample_weight, head):
    root = estimator._init_callback_context(
        max_subtasks=len(tasks), sequential_subtasks=False
    )
    metadata = None if sample_weight is None else {"sample_weight": sample_weight}
    root.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
    hooks = CallbackHooks(estimator, root, X, y, metadata, head, tasks[0].layer_sizes)
    results = run_restarts(X_train, tasks, n_jobs, hooks)
    root.call_on_fit_task_end(estimator=estimator, X=X, y=y, metadata=metadata)
    return results


class CallbackHooks(StopOnInterrupt):
    """Training hooks that report restarts and epochs to the callbacks.

    Restarts may run in threads at the same time: each restart's context is made
    with its own index as task id, and only that restart's thread adds epochs to
    it. A callback returning True at an epoch's end stops that restart there.
    """

    def __init__(self, estimator, root, X, y, metadata, head, layer_sizes):
        super().__init__()
        self.estimator = estimator
        self.root = root
        self.data = {"X": X, "y": y, "metadata": metadata}
        self.head = head
        self.layer_sizes = layer_sizes
        self.contexts = {}

    def restart_begin(self, restart):
        if not super().restart_begin(restart):
            return False
        max_iter = self.estimator.max_iter
        context = self.root.subcontext(
            task_name="restart", task_id=restart, max_subtasks=max_iter
        )
        context.call_on_fit_task_begin(estimator=self.estimator, **self.data)
        self.contexts[restart] = context
        return True

    def epoch_end(self, restart, state):
        stop = super().epoch_end(restart, state)
        context = self.contexts[restart].subcontext(task_name="epoch")
        context.call_on_fit_task_begin(estimator=self.estimator, **self.data)
        stop_asked = context.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=lambda: self.fitted_attributes(state),
            **self.data,
        )
        return stop or stop_asked

    def restart_end(self, restart, result):
        state = result.state
        self.contexts.pop(restart).call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=lambda: self.fitted_attributes(state),
            **self.data,
        )

    def fitted_attributes(self, state):
        """What a copy of the estimator needs to predict with ``state``'s network."""
        coefs, intercepts = unpack(state.params, state.layout)
        attributes = {
            "coefs_": [W.copy() for W in coefs],
            "intercepts_": [b.copy() for b in intercepts],
            "n_layers_": len(self.layer_sizes),
            "n_outputs_": self.layer_sizes[-1],
            # The optimizer's memory too, so that the copy is a fitted model in
            # full (its state is checked before it predicts) and could go on.
            "_velocity": state.velocity.copy(),
            "_learning_rate": state.learning_rate,
            "_no_improvement_count": state.no_improvement_count,
            "t_": state.t,
            "n_iter_": state.n_iter,
            "loss_curve_": list(state.loss_curve),
            "loss_": state.loss_curve[-1],
        }
        head_attributes = SimpleNamespace()
        type(self.estimator)._store_head(head_attributes, self.head)
        return {**attributes, **vars(head_attributes)}
