"""When training goes wrong: detect it, and say what in the data or settings caused it.

Training has *diverged* when, after an epoch, the loss is not finite or a weight or
intercept exceeds ``WEIGHT_BOUND`` in magnitude: SGD's steps are bounded by the
inputs' scale, so on scaled data no weight gets near it, while a divergence grows
the weights geometrically, past it within an epoch or a few. Training that does not
diverge but ends with a loss well above its first epoch's (``LOSS_RISE``) is not
converging; it gets a warning.

Either way the message names the likely causes, in the user's terms: an L2 penalty
whose step overshoots, targets far outside the output range, a large learning rate,
or unscaled features.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._checks import WEIGHT_BOUND

#: A fit whose last epoch's loss exceeds its first epoch's by this factor is not
#: converging (on scaled data the loss falls; on a plateau it stays within ~15%).
LOSS_RISE = 1.5
#: Scaled features are mostly within a few units of zero.
LARGE_FEATURE = 10.0
#: The default step sizes are 0.2 and 0.02.
LARGE_LEARNING_RATE = 1.0
#: Targets are encoded into the sigmoid outputs' range (0, 1): [0.1, 0.9] for
#: regression, 0 and 1 for classes. Further than this from 0.5 is far outside it.
FAR_TARGET = 1.5


def check_not_diverged(loss, params, epoch, data, settings, learning_rate):
    """Raise the "Training diverged" error if the epoch's ``loss`` is not finite or
    a parameter is NaN or beyond ``WEIGHT_BOUND`` in magnitude."""
    largest = max(params.max(), -params.min())  # NaN if any parameter is
    if np.isfinite(loss) and largest <= WEIGHT_BOUND:
        return
    if np.isfinite(loss):
        what = f"a weight reached {largest:.3g}, beyond {WEIGHT_BOUND:g},"
    else:
        what = f"the loss became {loss}"
    raise ValueError(
        f"Training diverged: {what} in epoch {epoch}. "
        + " ".join(_causes(data, settings, learning_rate))
    )


def warn_if_loss_rose(loss_curve, data, settings, learning_rate):
    """A ConvergenceWarning if a fit's loss ended well above where it started."""
    if len(loss_curve) < 2 or not loss_curve[-1] > LOSS_RISE * loss_curve[0]:
        return
    warnings.warn(
        f"The training loss rose from {loss_curve[0]:.3g} in the first epoch to "
        f"{loss_curve[-1]:.3g} in the last: SGD is not converging, and the model "
        "may predict no better than chance. "
        + " ".join(_causes(data, settings, learning_rate)),
        ConvergenceWarning,
    )


def _causes(data, settings, learning_rate):
    """One sentence per likely cause, each with its fix; the step size if no other."""
    causes = _penalty_causes(data, settings, learning_rate)
    target_size = float(np.max(np.abs(data.Y - 0.5)))
    if target_size > FAR_TARGET:
        causes.append(
            f"The targets, encoded for outputs in (0, 1), reach {target_size + 0.5:.3g}"
            ": they lie far outside the range the model was first fitted on; refit "
            "on data that spans them."
        )
    if learning_rate > LARGE_LEARNING_RATE:
        causes.append(_lower_the_step(settings, learning_rate))
    feature_size = _largest_feature(data.inputs)
    if feature_size > LARGE_FEATURE:
        causes.append(
            f"The features reach {feature_size:.3g} in magnitude, which saturates "
            "the sigmoid units and scales up the steps: scale them, for example "
            "with StandardScaler in a pipeline."
        )
    return causes or [_lower_the_step(settings, learning_rate)]


def _lower_the_step(settings, learning_rate):
    momentum = f" or momentum (now {settings.momentum:g})" if settings.momentum else ""
    return (
        f"Lower learning_rate_init (now {settings.learning_rate_init:g}; the last "
        f"step size was {learning_rate:.3g}){momentum}."
    )


def _penalty_causes(data, settings, learning_rate):
    """Each visit of weight 1 multiplies the weights by ``1 - learning_rate * alpha /
    n`` (n the sum of the sample weights) besides the data gradient: when
    ``learning_rate * alpha / n`` is 2 or more, that factor is -1 or below and the
    weights grow geometrically whatever the data. Blamed on alpha only if it would be
    so at a sensible step size; else the step size is the cause. (Weights are counts
    of at least 1 on average, so n is never below the number of rows.)"""
    n, alpha = data.total_weight, settings.alpha
    if not min(learning_rate, LARGE_LEARNING_RATE) * alpha / n >= 2:
        return []
    return [
        f"alpha={alpha:g} is too large for this step size: with n = {n:.3g} (the sum "
        "of the sample weights), each step multiplies the weights by "
        f"1 - learning_rate * alpha / n = {1 - learning_rate * alpha / n:.3g}. Use "
        f"alpha below 2 n / learning_rate = {2 * n / learning_rate:.3g}, or a smaller "
        "learning_rate_init."
    ]


def _largest_feature(inputs):
    values = inputs.data if inputs.is_sparse else inputs.dense
    if values.size == 0:
        return 0.0
    return float(max(values.max(), -values.min()))
