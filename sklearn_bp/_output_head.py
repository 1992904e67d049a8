"""What the output layer means: targets in, predictions out.

The network's output units are sigmoids, so every target is first encoded into their
range [0, 1] and every output decoded back. A *head* holds what the encoding needs,
taken from the targets of the first fit, and nothing else: class labels (classifier),
or each target column's range (regressor). Heads are small frozen dataclasses of plain
arrays: the estimators rebuild them from their fitted attributes when needed, and a
head travels inside a training task to score validation data in another process.

Classifier: 0/1 indicators, one output for two classes, one per class for more, one
per label for a multilabel indicator matrix. Probabilities come from the logits in log
space, so saturated outputs never give 0/0.

Regressor: each target column mapped affinely onto ``0.5 +/- TARGET_HALF_RANGE``
= [0.1, 0.9], inside the open range of the sigmoid, so that no target asks for an
infinite logit.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_expit, logsumexp
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import label_binarize
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)

TARGET_HALF_RANGE = 0.4

_SINGLE_LABEL_KINDS = ("binary", "multiclass")


def dense_targets(y):
    """y as a dense array (targets are few columns; a sparse y is densified)."""
    return y.toarray() if sp.issparse(y) else np.asarray(y)


# --------------------------------------------------------------------- classifier


def _target_kind(y, estimator_name):
    """The kind of classification target y is, or a clear error."""
    if y.dtype == object and len({isinstance(v, str) for v in np.ravel(y)}) > 1:
        raise ValueError(
            "y mixes string and numeric labels; convert them to one type, "
            "for example with y.astype(str)."
        )
    kind = type_of_target(y)
    if kind == "multiclass-multioutput":
        raise ValueError(
            f"{estimator_name} does not support multiclass-multioutput targets "
            f"(y of shape {y.shape} whose columns have more than two values). Use "
            "a 0/1 indicator matrix for multilabel data, or wrap the estimator in "
            "sklearn.multioutput.MultiOutputClassifier."
        )
    check_classification_targets(y)
    return kind


@dataclass(frozen=True)
class ClassifierHead:
    """Class labels and whether the targets are multilabel indicators."""

    classes: np.ndarray
    multilabel: bool

    @classmethod
    def from_targets(cls, y, classes=None, *, estimator_name="BackpropClassifier"):
        """The head of a first fit on y (``classes`` may name more labels)."""
        kind = _target_kind(y, estimator_name)
        classes = unique_labels(y if classes is None else classes)
        multilabel = kind == "multilabel-indicator"
        if not multilabel and len(classes) < 2:
            raise ValueError(
                f"{estimator_name} needs samples of at least 2 classes, but the data "
                f"contain only one class: {classes[0]!s}."
            )
        return cls(classes=classes, multilabel=multilabel)

    @property
    def n_outputs(self):
        binary = len(self.classes) == 2 and not self.multilabel
        return 1 if binary else len(self.classes)

    def encode(self, y, dtype, *, loss=None, call="partial_fit", sample_weight=None):
        """0/1 indicator targets, one column per output unit.

        Targets of a later call must be of the kind the head was made for, with no
        label it does not know (``call`` names the method in the message).
        """
        kind = _target_kind(y, "BackpropClassifier")
        if self.multilabel:
            if kind != "multilabel-indicator" or y.shape[1] != len(self.classes):
                raise ValueError(
                    "The model was fitted on multilabel targets with "
                    f"{len(self.classes)} labels; got targets of type {kind!r} "
                    f"and shape {y.shape}."
                )
            return np.asarray(y, dtype=dtype)
        if kind not in _SINGLE_LABEL_KINDS or y.ndim != 1:
            raise ValueError(
                "The model was fitted on single-label targets (classes "
                f"{self.classes.tolist()}); got targets of type {kind!r} and shape "
                f"{y.shape}. Pass a 1-D array of class labels."
            )
        unseen = np.setdiff1d(unique_labels(y), self.classes)
        if unseen.size:
            advice = (
                "Pass every class to the first partial_fit call through `classes=`."
                if call == "partial_fit"
                else "Fit with warm_start=False to learn the new classes."
            )
            raise ValueError(
                "y contains classes not seen when the model was first fitted: "
                f"{unseen.tolist()}. {advice}"
            )
        Y = label_binarize(y, classes=self.classes).astype(dtype)
        return Y

    def stratify(self, y):
        """Labels to stratify a validation split by (none for multilabel data)."""
        return None if self.multilabel else y

    def labels(self, logits):
        """Predicted labels: logit > 0 (two classes, multilabel) or the largest."""
        if self.multilabel:
            return (logits > 0).astype(int)
        if len(self.classes) == 2:
            return self.classes[(logits[:, 0] > 0).astype(int)]
        return self.classes[np.argmax(logits, axis=1)]

    def decision(self, logits):
        """Output pre-activations: shape (n_samples,) for two classes."""
        return logits[:, 0] if self.n_outputs == 1 and not self.multilabel else logits

    def log_proba_unclipped(self, logits):
        """log P for each class, computed from the logits.

        Two classes: ``[log sigma(-z), log sigma(z)]``, exact. More classes: the
        sigmoid outputs normalised to sum to 1, as ``log sigma(z_k) - logsumexp_j
        log sigma(z_j)``, which stays finite when every sigmoid underflows.
        Multilabel: each label's own ``log sigma(z)``.
        """
        log_sigma = log_expit(logits)
        if self.multilabel:
            return log_sigma
        if self.n_outputs == 1:
            return np.hstack([log_expit(-logits), log_sigma])
        return log_sigma - logsumexp(log_sigma, axis=1, keepdims=True)

    def log_proba(self, logits):
        """The logarithm of ``proba``, computed in log space and clipped alike."""
        eps = np.finfo(logits.dtype).eps
        return np.clip(self.log_proba_unclipped(logits), np.log(eps), np.log1p(-eps))

    def proba(self, logits):
        """Probabilities kept strictly inside (0, 1), so their logs stay finite."""
        eps = np.finfo(logits.dtype).eps
        if self.multilabel:
            P = expit(logits)
        elif self.n_outputs == 1:
            P = np.hstack([expit(-logits), expit(logits)])
        else:
            P = np.exp(self.log_proba_unclipped(logits))
        return np.clip(P, eps, 1 - eps)

    def score(self, y, Y_hat, logits, sample_weight):
        return accuracy_score(y, self.labels(logits), sample_weight=sample_weight)


# ---------------------------------------------------------------------- regressor


def _halves(low, high):
    """(center, half_range) of [low, high], without overflow near the float limit."""
    center = low / 2 + high / 2
    half_range = high / 2 - low / 2
    return center, np.where(half_range > 0, half_range, 1.0)


@dataclass(frozen=True)
class RegressorHead:
    """Each target column's range in the first fit, and whether y was 1-D."""

    target_min: np.ndarray
    target_max: np.ndarray
    single_output: bool

    @classmethod
    def from_targets(cls, y, sample_weight, target_range=None):
        """The head of a first fit: the range of the samples of positive weight, or
        the declared ``target_range``."""
        Y = _as_columns(y, sample_weight.dtype)
        if target_range is None:
            weighted = Y[sample_weight > 0]
            low, high = weighted.min(axis=0), weighted.max(axis=0)
        else:
            low, high = target_range_arrays(target_range, Y.shape[1], Y.dtype)
        return cls(target_min=low, target_max=high, single_output=np.ndim(y) == 1)

    @property
    def n_outputs(self):
        return self.target_min.size

    def encode(
        self, y, dtype, *, loss="squared_error", call="partial_fit", sample_weight=None
    ):
        """Targets mapped affinely onto [0.1, 0.9] by the first fit's range.

        Targets outside that range encode outside [0.1, 0.9]: the squared error
        still has its minimum at the nearest output the sigmoid reaches, but the
        log loss has none beyond [0, 1], so there they are clipped to it. Either way
        predictions cannot follow them: a warning says so.
        """
        Y = _as_columns(y, dtype)
        if Y.shape[1] != self.n_outputs:
            raise ValueError(
                f"y has {Y.shape[1]} outputs, but the model was fitted with "
                f"{self.n_outputs}."
            )
        center, half_range = _halves(self.target_min, self.target_max)
        # Halved first, so that targets near the float limit do not overflow.
        halved_offset, halved_range = Y / 2 - center / 2, half_range / 2
        scaled = halved_offset / halved_range
        reach = 1 / (2 * TARGET_HALF_RANGE)  # |scaled| the sigmoid can reach: 1.25
        trained = slice(None) if sample_weight is None else sample_weight > 0
        if np.any(np.abs(scaled[trained]) > reach):  # rows of weight 0 don't train
            warnings.warn(
                f"Some targets of this {call} call lie beyond the range the model "
                "can predict, which was fixed by the first fit (target_min_ = "
                f"{self.target_min.tolist()}, target_max_ = "
                f"{self.target_max.tolist()}, reachable to 1.25 half-ranges from "
                "the middle); the model will not follow them. Fit on data that "
                "spans the whole range first.",
                UserWarning,
            )
        encoded = 0.5 + TARGET_HALF_RANGE * halved_offset / halved_range
        if loss == "log_loss":
            encoded = np.clip(encoded, 0.0, 1.0)
        return encoded.astype(dtype, copy=False)

    def decode(self, Y_hat):
        """Outputs back in the targets' units (finite, clipped to the float range)."""
        center, half_range = _halves(self.target_min, self.target_max)
        largest = np.finfo(Y_hat.dtype).max
        with np.errstate(over="ignore"):
            offset = (Y_hat - 0.5) * half_range / TARGET_HALF_RANGE
            y = np.clip(center + offset, -largest, largest)
        return y[:, 0] if self.single_output else y

    def stratify(self, y):
        return None

    def score(self, y, Y_hat, logits, sample_weight):
        return r2_score(y, self.decode(Y_hat), sample_weight=sample_weight)


def _as_columns(y, dtype):
    Y = np.asarray(dense_targets(y), dtype=dtype)
    return Y.reshape(-1, 1) if Y.ndim == 1 else Y


def target_range_arrays(target_range, n_outputs, dtype):
    """``(low, high)`` arrays of one value per output, checked."""
    try:
        low, high = (
            np.broadcast_to(np.asarray(v, dtype=dtype), (n_outputs,)).copy()
            for v in target_range
        )
    except (TypeError, ValueError) as error:
        raise ValueError(
            "target_range must be a pair (low, high) of numbers or of arrays of one "
            f"value per output ({n_outputs}); got {target_range!r}."
        ) from error
    if not (np.isfinite(low).all() and np.isfinite(high).all() and (low <= high).all()):
        raise ValueError(
            f"target_range must be finite with low <= high; got {target_range!r}."
        )
    return low, high
