"""Random restarts: several independent trainings, keep the best.

The loss is not convex in the weights, so SGD may settle in a poor local minimum. Each
restart trains from its own random initialisation. A restart is a ``RestartTask``: the
data, the settings and a seed, and nothing of the estimator, so that it pickles and
can run in a thread, another process or on a cluster worker (joblib's backends). Every
restart's seed is drawn from the estimator's random state before any of them runs, so
the result does not depend on how, where or how many at a time the restarts run.
"""

from dataclasses import dataclass, replace

import numpy as np
from joblib import Parallel, delayed

from ._training import (
    Settings,
    StopOnInterrupt,
    TrainingData,
    TrainingState,
    as_matrix,
    blas_threads_for,
    initial_state,
    train,
)
from ._visits import as_inputs


def draw_seeds(rng, n_init):
    """One seed per restart, all drawn up front from the estimator's random state."""
    return rng.randint(np.iinfo(np.int32).max, size=n_init)


@dataclass(frozen=True)
class RestartResult:
    """What one restart reached: its final state (loss curve and validation scores
    included) and its random stream, for training to continue from."""

    index: int
    state: TrainingState
    rng_state: tuple

    def criterion(self, early_stopping):
        """What a restart is judged by: its best validation score under early
        stopping (higher is better), otherwise its final training loss (lower)."""
        if early_stopping:
            return self.state.best_validation_score
        return self.state.loss_curve[-1]


@dataclass(frozen=True)
class RestartTask:
    """One restart, self-contained: train from the initialisation ``seed`` draws."""

    data: TrainingData
    settings: Settings
    layer_sizes: tuple
    dtype: np.dtype
    seed: int
    index: int
    #: How many restarts the fit runs, for ``verbose`` lines to say "Restart 2/4".
    n_restarts: int = 1


def run_restart(X, task, hooks):
    """Train ``task`` on the inputs ``X``; its ``RestartResult``, or None if the
    restart was skipped or interrupted before its first epoch ended.

    X (a C-ordered array or a CSR matrix) comes as an argument of its own, the same
    object for every restart, so that a backend that ships arguments ships it once:
    joblib's Dask backend scatters it to the cluster once, loky memory-maps it once.
    A plain function rather than a method: the Dask backend hashes the functions it
    is handed, and a task holds arrays.
    """
    if not hooks.restart_begin(task.index):
        return None
    task = replace(task, data=replace(task.data, inputs=as_inputs(X)))
    rng = np.random.RandomState(task.seed)
    state = initial_state(task.layer_sizes, task.settings, rng, task.dtype)
    # In the task, so that the limit holds wherever the task runs.
    with blas_threads_for(task.layer_sizes, task.settings.batch_size):
        try:
            state = train(
                task.data,
                task.settings,
                state,
                rng,
                task.settings.max_iter,
                hooks,
                task.index,
                task.n_restarts,
            )
        except KeyboardInterrupt:
            return None
    result = RestartResult(task.index, state, rng.get_state())
    hooks.restart_end(task.index, result)
    return result


def restart_tasks(data, settings, layer_sizes, dtype, seeds):
    """``(X, tasks)``: the training inputs as a matrix (views, no copy), and one
    task per seed holding the rest of the data (X travels apart: ``run_restart``)."""
    rest = replace(data, inputs=None)
    n = len(seeds)
    tasks = [
        RestartTask(rest, settings, tuple(layer_sizes), np.dtype(dtype), int(s), i, n)
        for i, s in enumerate(seeds)
    ]
    return as_matrix(data.inputs, layer_sizes[0]), tasks


def run_restarts(X, tasks, n_jobs, hooks=None):
    """Run the tasks with joblib (threads unless the caller's ``parallel_config``
    says otherwise: the compiled epochs release the GIL); one result per task.

    An interrupt while waiting for parallel restarts stops them all and propagates.
    """
    hooks = StopOnInterrupt() if hooks is None else hooks
    try:
        return Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(run_restart)(X, task, hooks) for task in tasks
        )
    except KeyboardInterrupt:
        hooks.interrupted(None)
        raise


def best_restart(results, early_stopping):
    """``(index of the best result, every restart's criterion)``.

    Restarts that never ran have a NaN criterion; if none ran, the interrupt that
    stopped them propagates.
    """
    criteria = np.array(
        [np.nan if r is None else r.criterion(early_stopping) for r in results]
    )
    if np.all(np.isnan(criteria)):
        raise KeyboardInterrupt
    pick = np.nanargmax if early_stopping else np.nanargmin
    return int(pick(criteria)), criteria
