"""Random restarts: several independent trainings, keep the best.

The loss is not convex in the weights, so SGD may settle in a poor local minimum. Each
restart trains from its own random initialisation; every restart's seed is drawn from
the estimator's random state before any of them runs, so the result does not depend on
how (or how many at a time) the restarts are scheduled.
"""

import threading

import numpy as np
from joblib import Parallel, delayed

from ._training import initial_state, train


def draw_seeds(rng, n_init):
    """One seed per restart, all drawn up front from the estimator's random state."""
    return rng.randint(np.iinfo(np.int32).max, size=n_init)


def _train_from_seed(data, settings, layer_sizes, dtype, seed, stop):
    if stop.is_set():  # interrupted before this restart began
        return None, None
    rng = np.random.RandomState(seed)
    state = initial_state(layer_sizes, settings, rng, dtype)
    try:
        return train(data, settings, state, rng, settings.max_iter, stop), rng
    except KeyboardInterrupt:
        return None, None


def restart_criterion(state, early_stopping):
    """What a restart is judged by: its best validation score under early stopping
    (higher is better), otherwise its final training loss (lower is better)."""
    if early_stopping:
        return state.best_validation_score
    return state.loss_curve[-1]


def train_restarts(data, settings, layer_sizes, dtype, seeds, n_jobs):
    """Train one network per seed (in parallel threads: the compiled epochs release
    the GIL) and return ``(best_state, best_rng, criteria, best_index)``.

    ``best_rng`` is the winning restart's random state, for training to continue from.
    After a ``KeyboardInterrupt`` the best of the restarts trained so far is kept
    (their criteria are NaN for restarts that never ran); an interrupt while waiting
    for parallel restarts stops them all and propagates.
    """
    stop = threading.Event()
    try:
        runs = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_train_from_seed)(data, settings, layer_sizes, dtype, seed, stop)
            for seed in seeds
        )
    except KeyboardInterrupt:
        stop.set()
        raise
    criteria = np.array(
        [
            np.nan
            if state is None
            else restart_criterion(state, settings.early_stopping)
            for state, _ in runs
        ]
    )
    if np.all(np.isnan(criteria)):
        raise KeyboardInterrupt
    pick = np.nanargmax if settings.early_stopping else np.nanargmin
    best = int(pick(criteria))
    best_state, best_rng = runs[best]
    return best_state, best_rng, criteria, best
