"""The training loop: epochs of compiled SGD, learning-rate schedules and stopping.

This module knows nothing of estimators. ``train`` takes a ``TrainingState`` (the
network and the optimizer's memory, as plain arrays) and returns a new one; the
caller's state is never modified, so a failure leaves it as it was.
"""

import contextlib
import copy
import functools
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from ._checks import WEIGHT_BOUND
from ._diagnosis import check_not_diverged
from ._hogwild import parallel_sample_epoch
from ._network import forward_pass
from ._sgd import Inputs, StepRule, make_layout, pack, run_epoch, unpack

#: Multiply-adds of a batch's largest product below which training keeps BLAS to one
#: thread.
SMALL_PRODUCT = 10_000_000

#: Fewest visits in an epoch of ``fit``: smaller data sets are passed over several
#: times per epoch (see ``_epoch_order``).
MIN_EPOCH_VISITS = 1000

#: Training that stops at a loss above this fraction of a constant prediction's
#: loss has learned next to nothing, and says so.
PLATEAU_FRACTION = 0.95

#: ``alpha="auto"``: the L2 strength per input of a row and per unit of ln(n) (see
#: ``automatic_alpha``).
ALPHA_PER_INPUT = 0.0015


@dataclass(frozen=True)
class Settings:
    """The estimator's training hyper-parameters, as the loop needs them."""

    loss: str
    alpha: float
    batch_size: int
    learning_rate: str
    learning_rate_init: float
    power_t: float
    momentum: float
    nesterovs_momentum: bool
    max_iter: int
    tol: float
    n_iter_no_change: int
    shuffle: bool
    early_stopping: bool
    verbose: bool
    #: Fewest visits per epoch; 0 makes every epoch a single pass.
    min_epoch_visits: int = 0
    #: Threads of lock-free per-sample SGD over shared weights (``_hogwild.py``).
    n_sgd_threads: int = 1


@dataclass(frozen=True)
class ValidationSet:
    """Held-out rows of the training inputs, scored by the output head.

    The rows are read from the inputs a chunk at a time rather than copied out, so
    early stopping adds no copy of the validation data.
    """

    rows: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    head: Any  # an _output_head head: score(y, Y_hat, logits, sample_weight)
    chunk_size: int = 4096

    def score(self, inputs, n_features, coefs, intercepts):
        X = as_matrix(inputs, n_features)
        outputs, logits = [], []
        for start in range(0, self.rows.size, self.chunk_size):
            chunk = self.rows[start : start + self.chunk_size]
            activations, z = forward_pass(coefs, intercepts, X[chunk])
            outputs.append(activations[-1])
            logits.append(z)
        return self.head.score(
            self.y, np.vstack(outputs), np.vstack(logits), self.sample_weight
        )


def as_matrix(inputs, n_features):
    """The inputs as a dense array or a CSR matrix again (views, no copy)."""
    if not inputs.is_sparse:
        return inputs.dense
    shape = (inputs.indptr.size - 1, n_features)
    return sp.csr_matrix((inputs.data, inputs.indices, inputs.indptr), shape=shape)


@dataclass(frozen=True)
class TrainingData:
    """What one training run visits, and the held-out data it is scored on."""

    inputs: Inputs
    Y: np.ndarray
    visit_rows: np.ndarray
    visit_weights: np.ndarray
    total_weight: float
    validation: Optional[ValidationSet] = None

    def validation_score(self, coefs, intercepts):
        n_features = coefs[0].shape[0]
        return self.validation.score(self.inputs, n_features, coefs, intercepts)


@dataclass
class TrainingState:
    """A network and the optimizer's memory: everything a later epoch continues from."""

    layer_sizes: tuple
    params: np.ndarray
    velocity: np.ndarray
    learning_rate: float
    t: int = 0
    n_iter: int = 0
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    validation_scores: list = field(default_factory=list)
    best_validation_score: float = -np.inf
    best_params: Optional[np.ndarray] = None
    no_improvement_count: int = 0
    stopped: bool = False
    interrupted: bool = False
    #: Why training stopped before max_iter, in words; None otherwise.
    stop_reason: Optional[str] = None
    #: Stopped on a plateau at about the loss of a constant prediction.
    gave_up: bool = False

    @property
    def layout(self):
        return make_layout(self.layer_sizes)

    def copy(self):
        return copy.deepcopy(self)


def automatic_alpha(inputs_per_row, total_weight):
    """The L2 strength of ``alpha="auto"``: ``ALPHA_PER_INPUT * d * ln(n)``, ``n``
    the sum of the sample weights and ``d`` the non-zero inputs of a row (on
    average), at most ``n``.

    In proportion to the inputs a row brings: each gives every hidden unit one more
    weight with which to fit noise. ``n`` rows span at most ``n`` directions of the
    input space, hence the bound, which also keeps a step's decay
    ``learning_rate * alpha / n`` well below 1 on wide data. And growing with ln(n),
    as the penalty per parameter of the Bayesian information criterion does:
    divided by ``n`` in the objective, the penalty weighs ``ln(n) / n`` per sample,
    so it restrains small noisy data sets and fades on large ones, while a few
    noise-free rows (XOR) can still be fitted. The constant was measured on
    ``benchmarks/defaults.py``.
    """
    n = max(total_weight, 1.0)
    return ALPHA_PER_INPUT * min(inputs_per_row, n) * float(np.log(n))


def blas_threads_for(layer_sizes, batch_size):
    """A context that keeps BLAS to one thread when the batch products are small.

    Mini-batch products of a few million multiply-adds or fewer lose more to
    threading overhead than they gain on a loaded two-core machine
    (``benchmarks/run.py`` measures both). The limit is process-wide, so it is
    shared by every training that needs it at the same time: the first to enter
    sets it, the last to leave restores the thread pools as they were.
    """
    largest = max(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    if batch_size * largest >= SMALL_PRODUCT:
        return contextlib.nullcontext()
    return _ONE_BLAS_THREAD


class _SharedBlasLimit:
    """A reference-counted one-thread BLAS limit, safe for overlapping trainings.

    threadpoolctl's own context restores the limits it found when it was entered;
    two of them overlapping in threads would restore each other's limit, leaving
    the process at one thread.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._limiter = None

    def __enter__(self):
        with self._lock:
            if self._users == 0:
                self._limiter = _blas_controller().limit(limits=1, user_api="blas")
            self._users += 1

    def __exit__(self, *exc_info):
        with self._lock:
            self._users -= 1
            if self._users == 0:
                self._limiter.restore_original_limits()
                self._limiter = None


@functools.cache
def _blas_controller():
    """The process's thread pools, found once: finding them means reading the
    list of loaded libraries (~10 ms), too slow to repeat for every fit."""
    return ThreadpoolController()


_ONE_BLAS_THREAD = _SharedBlasLimit()


def initial_state(layer_sizes, settings, rng, dtype):
    """Glorot-uniform weights and intercepts, sized for sigmoid units: ``U(-b, b)``.

    The first layer, fed by (standardised, zero-mean) inputs, takes Glorot and
    Bengio's (2010) bound for sigmoid units, ``b = 4 sqrt(6 / (fan_in + fan_out))``:
    four times the tanh bound, as the sigmoid's slope at 0 is 1/4. Smaller weights
    keep every hidden unit in the sigmoid's linear range, where the network starts
    as a linear model and SGD sits on a plateau before it bends (a sine curve stays
    at R^2 0.1 for hundreds of epochs). Layers fed by sigmoid units, whose outputs
    have mean 1/2 rather than 0, take scikit-learn's ``b = sqrt(2 / (fan_in +
    fan_out))``: the larger bound would saturate the output units from the start.
    """
    parts = []
    for k, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        if k == 0:
            bound = 4.0 * np.sqrt(6.0 / (fan_in + fan_out))
        else:
            bound = np.sqrt(2.0 / (fan_in + fan_out))
        parts.append(rng.uniform(-bound, bound, size=fan_in * fan_out))
        parts.append(rng.uniform(-bound, bound, size=fan_out))
    params = np.concatenate(parts).astype(dtype)
    return TrainingState(
        layer_sizes=tuple(int(s) for s in layer_sizes),
        params=params,
        velocity=np.zeros_like(params),
        learning_rate=settings.learning_rate_init,
    )


def state_from_network(coefs, intercepts, settings, dtype, t=0):
    """A fresh optimizer around existing weights (warm start).

    The velocity starts at zero and the step at ``learning_rate_init``, except that
    the ``"invscaling"`` schedule goes on from the ``t`` samples already seen.
    """
    params = pack(coefs, intercepts, dtype)
    sizes = (coefs[0].shape[0],) + tuple(W.shape[1] for W in coefs)
    return TrainingState(
        layer_sizes=sizes,
        params=params,
        velocity=np.zeros_like(params),
        learning_rate=_scheduled_rate(settings, t),
        t=t,
    )


class Hooks:
    """What a training run tells its caller, and the caller's say in it.

    The base class observes nothing and never stops training. A training run may
    take place in another process, with its own copy of the hooks, so hooks must
    pickle; within one process, threads share them.
    """

    def restart_begin(self, restart):
        """Restart ``restart`` is about to begin; return False to skip it."""
        return True

    def epoch_end(self, restart, state):
        """An epoch of ``restart`` ended in ``state``; return True to stop now."""
        return False

    def interrupted(self, restart):
        """A ``KeyboardInterrupt`` arrived while ``restart`` was training."""

    def restart_end(self, restart, result):
        """Restart ``restart`` ended with ``result`` (a ``RestartResult``)."""


class StopOnInterrupt(Hooks):
    """After a Ctrl-C, every restart stops at its next epoch end, and restarts not
    yet begun are skipped.

    A plain flag: threads of one process share it; a process backend's worker has
    its own copy, and the interrupt then ends the parallel call itself.
    """

    def __init__(self):
        self.stop = False

    def restart_begin(self, restart):
        return not self.stop

    def epoch_end(self, restart, state):
        return self.stop

    def interrupted(self, restart):
        self.stop = True


def train(data, settings, state, rng, max_epochs, hooks=None, restart=0, n_restarts=1):
    """Run up to ``max_epochs`` epochs of SGD from ``state``; return the new state.

    Stops early when the training loss has not fallen below ``(1 - tol)`` times its
    best value (or, with early stopping, the validation score has not risen by
    ``tol`` above its best) for more than ``n_iter_no_change`` epochs; the adaptive
    schedule first divides the learning rate by 5, and stops once it falls below
    1e-6. ``state.stopped`` tells whether training ended before ``max_epochs``, and
    ``state.stop_reason`` why.

    After every epoch ``hooks.epoch_end`` may stop training, which then counts as
    interrupted. A ``KeyboardInterrupt`` ends training between epochs: the state
    then holds the last complete epoch (the best one, under early stopping),
    ``state.interrupted`` is set and ``hooks.interrupted`` is told. A Ctrl-C during
    an epoch waits for its end (``_run_one_epoch``). An interrupt before any epoch
    is over propagates, since there is no network to keep.

    With ``n_restarts > 1``, each ``verbose`` line begins with the restart it
    belongs to (``Restart 2/4: ``), as parallel restarts' lines interleave.
    """
    hooks = Hooks() if hooks is None else hooks
    label = f"Restart {restart + 1}/{n_restarts}: " if n_restarts > 1 else ""
    state = state.copy()
    state.stopped = state.gave_up = False
    state.stop_reason = None
    first_epoch = state.n_iter
    layout = state.layout
    start = time.perf_counter()
    try:
        for _ in range(max_epochs):
            _run_one_epoch(data, settings, state, layout, rng)
            _record_progress(data, settings, state, layout)
            if settings.verbose:
                _print_epoch(state, time.perf_counter() - start, label)
            if state.no_improvement_count > settings.n_iter_no_change:
                if _should_stop(data, settings, state):
                    state.stopped = True
                    if settings.verbose:
                        _print_line(f"{label}{state.stop_reason} Stopping.")
                    break
            if hooks.epoch_end(restart, state):
                state.stopped = state.interrupted = True
                break
    except KeyboardInterrupt:
        hooks.interrupted(restart)
        if state.n_iter == first_epoch:
            raise
        state.stopped = state.interrupted = True
    if settings.early_stopping and state.best_params is not None:
        state.params = state.best_params.copy()
    return state


def _run_one_epoch(data, settings, state, layout, rng):
    """One pass over the visits, shuffled if asked; appends the epoch's loss.

    A KeyboardInterrupt leaves ``state`` at the end of an epoch: the last one, or
    this one if its compiled pass has begun (see ``_ctrl_c_deferred``).
    """
    order = _epoch_order(data.visit_rows.size, settings, rng)
    rule = StepRule(
        learning_rate=state.learning_rate,
        momentum=settings.momentum,
        nesterov=settings.nesterovs_momentum,
        l2=settings.alpha / data.total_weight,
        log_loss=settings.loss == "log_loss",
        batch_size=min(settings.batch_size, data.visit_rows.size),
    )
    epoch = run_epoch
    if settings.n_sgd_threads > 1:
        epoch = functools.partial(
            parallel_sample_epoch, n_threads=settings.n_sgd_threads
        )
    with _ctrl_c_deferred() as deferred:
        # In place: a copy of the parameters per epoch would cost as much as the
        # epoch itself on sparse data with many features. Compiled code cannot be
        # interrupted, and Python raises an interrupt only in the main thread, so
        # the state is consistent as long as one raised there waits for the end
        # of the bookkeeping below. Where it cannot be made to wait, and with
        # parallel SGD (an interrupt raised otherwise than by SIGINT can stop the
        # calling thread while the others still step), the epoch trains copies,
        # kept only once it is complete (without momentum the velocity is unused).
        params, velocity = state.params, state.velocity
        if settings.n_sgd_threads > 1 or not deferred:
            params = params.copy()
            velocity = velocity.copy() if settings.momentum else velocity
        data_loss = epoch(
            data.inputs,
            data.Y,
            data.visit_rows,
            data.visit_weights,
            order,
            params,
            velocity,
            layout,
            rule,
        )
        _record_epoch(data, settings, state, layout, data_loss, params, velocity, order)


def _record_epoch(data, settings, state, layout, data_loss, params, velocity, order):
    """The epoch's loss, checked, and the state moved on to the epoch's end."""
    coefs, intercepts = unpack(params, layout)
    squared_norm = sum(float(np.vdot(W, W)) for W in coefs)
    squared_intercepts = sum(float(np.vdot(b, b)) for b in intercepts)
    # An epoch of several whole passes reports its mean pass, on the scale of one.
    passes = order.size / data.visit_rows.size
    loss = (
        data_loss / passes + 0.5 * settings.alpha * squared_norm
    ) / data.total_weight
    # The sums of squares are the one pass over the parameters: one beyond the
    # bound, infinite or NaN makes them exceed the bound's square (or NaN), and
    # only then are the parameters checked one by one.
    within_bound = squared_norm + squared_intercepts <= WEIGHT_BOUND**2
    if not (within_bound and np.isfinite(loss)):
        check_not_diverged(
            loss, params, state.n_iter + 1, data, settings, state.learning_rate
        )
    state.params, state.velocity = params, velocity
    state.loss_curve.append(loss)
    state.n_iter += 1
    state.t += order.size
    if settings.learning_rate == "invscaling":
        state.learning_rate = _scheduled_rate(settings, state.t)


@contextlib.contextmanager
def _ctrl_c_deferred():
    """Hold back Ctrl-C until the block is over, then raise it.

    Yields whether interrupts are held back: in a thread other than the main one
    none can arrive (Python raises them in the main thread only), nor where SIGINT
    is ignored (as in a background job) or left to the system; in the main thread,
    Python's default handler is swapped for one that notes the signal. Under any
    other handler, which may raise at any time, it yields False and the caller
    must be ready for an interrupt anywhere in the block.
    """
    if threading.current_thread() is not threading.main_thread():
        yield True
        return
    handler = signal.getsignal(signal.SIGINT)
    if handler in (signal.SIG_IGN, signal.SIG_DFL):
        yield True
        return
    if handler is not signal.default_int_handler:
        yield False
        return
    received = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield True
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if received:
        raise KeyboardInterrupt


def _scheduled_rate(settings, t):
    """The step after ``t`` samples: ``learning_rate_init / (t + 1) ** power_t``
    under ``"invscaling"`` (once training has begun; 0 once the power overflows),
    else ``learning_rate_init``."""
    if settings.learning_rate != "invscaling" or t == 0:
        return settings.learning_rate_init
    try:
        return settings.learning_rate_init / (t + 1) ** settings.power_t
    except OverflowError:
        return 0.0


def _epoch_order(n_visits, settings, rng):
    """The visits of one epoch: one pass, or as many whole passes (each in its own
    random order) as make ``min_epoch_visits``.

    SGD needs a number of steps that depends on the problem, not on the number of
    rows: on 4 rows, 200 single passes are only 800 steps. Whole passes keep every
    row equally weighted, and an epoch of many visits has a loss averaged over
    enough steps for the stopping rule to compare.
    """
    passes = max(1, -(-settings.min_epoch_visits // n_visits))
    if not settings.shuffle:
        return np.tile(np.arange(n_visits), passes)
    if passes == 1:  # a shuffle is O(n); sorting keys (below) is O(n log n)
        return rng.permutation(n_visits)
    # Hundreds of passes over a few rows: all their orders from one draw, not one
    # Python call per pass (which would cost more than the pass itself).
    keys = rng.random_sample((passes, n_visits))
    return np.argsort(keys, axis=1).ravel()


def _record_progress(data, settings, state, layout):
    """Track the best loss or validation score and count epochs without progress."""
    loss = state.loss_curve[-1]
    if settings.early_stopping and data.validation is not None:
        score = data.validation_score(*unpack(state.params, layout))
        state.validation_scores.append(score)
        improved = score >= state.best_validation_score + settings.tol
        if score > state.best_validation_score:
            state.best_validation_score = score
            state.best_params = state.params.copy()
    else:
        # Relative: the loss's scale depends on the loss function, the number of
        # outputs and the target encoding, a fraction of it does not.
        improved = state.best_loss == np.inf or loss < state.best_loss * (
            1.0 - settings.tol
        )
    state.best_loss = min(state.best_loss, loss)
    state.no_improvement_count = 0 if improved else state.no_improvement_count + 1


def _should_stop(data, settings, state):
    """At a plateau: stop, or (adaptive schedule) divide the learning rate by 5.

    On stopping, ``state.stop_reason`` says why, and ``state.gave_up`` whether the
    loss is still about that of a constant prediction (nothing learned)."""
    if settings.learning_rate == "adaptive" and state.learning_rate > 1e-6:
        state.learning_rate /= 5.0
        state.no_improvement_count = 0
        return False
    if settings.early_stopping and data.validation is not None:
        what, by = "Validation score", f"tol={settings.tol}"
    else:
        what, by = "Training loss", f"tol={settings.tol} of its best value"
    state.stop_reason = (
        f"{what} did not improve more than {by} for "
        f"{settings.n_iter_no_change} consecutive epochs."
    )
    baseline = constant_prediction_loss(data, settings.loss)
    state.gave_up = state.loss_curve[-1] > PLATEAU_FRACTION * baseline
    return True


def constant_prediction_loss(data, loss):
    """The training loss of the best constant output, the weighted mean target: the
    loss of a network that has learned nothing from the inputs."""
    weights = data.visit_weights[:, None]
    Y = data.Y[data.visit_rows]
    mean = (weights * Y).sum(axis=0) / weights.sum()
    if loss == "log_loss":
        p = np.clip(mean, 1e-12, 1 - 1e-12)
        per_visit = -(Y * np.log(p) + (1 - Y) * np.log1p(-p)).sum(axis=1)
    else:
        per_visit = 0.5 * ((Y - mean) ** 2).sum(axis=1)
    return float((data.visit_weights * per_visit).sum() / weights.sum())


def _print_epoch(state, elapsed, label=""):
    line = f"{label}Epoch {state.n_iter}, loss = {state.loss_curve[-1]:.8f}"
    if state.validation_scores:
        line += f", validation score = {state.validation_scores[-1]:.6f}"
    _print_line(f"{line}, time = {elapsed:.2f}s")


def _print_line(line):
    """Print a whole line in one write, flushed: lines of restarts running in
    threads then never break into each other, and a worker process's lines appear
    as they happen rather than when its buffer fills."""
    print(f"{line}\n", end="", flush=True)
