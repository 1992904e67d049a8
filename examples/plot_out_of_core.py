"""
Out-of-core training with ``partial_fit``
=========================================

Data that does not fit in memory trains a chunk at a time: each ``partial_fit`` call
is one epoch of SGD over its chunk, and memory is bounded by the chunk.

* The regressor reads 20,000 rows of Friedman's function #1 from ``.npy`` files on
  disk, memory-mapped, 1,000 rows at a time, five times over. First a streaming
  pass of :meth:`~sklearn.preprocessing.StandardScaler.partial_fit` learns the
  inputs' scale, and the target column's minimum and maximum give ``target_range=``
  for the first call; without it the first chunk's targets would fix the range
  that the sigmoid output can predict.
* The classifier learns Hastie's ten-dimensional sphere problem from a stream of
  chunks generated on demand, as they would come from a database or the network;
  ``classes=`` on the first call names every class the stream will contain.

After each chunk both are scored on held-out data (R^2 and accuracy).
"""

import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_friedman1, make_hastie_10_2
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_bp import BackpropClassifier, BackpropRegressor

CHUNK = 1000
N_CHUNKS = 20  # on disk, for the regressor
PASSES = 5
STREAM_CHUNKS = 60  # for the classifier


def write_to_disk(directory, n_chunks):
    """Friedman #1 in ``X.npy`` and ``y.npy``, written a chunk at a time."""
    shape = (n_chunks * CHUNK, 10)
    X = np.lib.format.open_memmap(directory / "X.npy", mode="w+", shape=shape)
    y = np.lib.format.open_memmap(directory / "y.npy", mode="w+", shape=shape[:1])
    for i in range(n_chunks):
        rows = slice(i * CHUNK, (i + 1) * CHUNK)
        X[rows], y[rows] = make_friedman1(CHUNK, noise=1.0, random_state=i)
    X.flush()
    y.flush()


def chunks(X, y):
    for start in range(0, X.shape[0], CHUNK):
        yield X[start : start + CHUNK], y[start : start + CHUNK]


def train_regressor(X, y, X_test, y_test, passes):
    """Test R^2 after every chunk of ``passes`` passes over the memory-mapped data."""
    scaler = StandardScaler()
    for X_chunk, _ in chunks(X, y):
        scaler.partial_fit(X_chunk)
    target_range = (float(y.min()), float(y.max()))  # a single column
    reg = BackpropRegressor(random_state=0)
    scores = []
    for _ in range(passes):
        for X_chunk, y_chunk in chunks(X, y):
            first = {} if scores else {"target_range": target_range}
            reg.partial_fit(scaler.transform(X_chunk), y_chunk, **first)
            scores.append(reg.score(scaler.transform(X_test), y_test))
    return scores, target_range


def hastie_stream(n_chunks):
    """Chunks of Hastie's problem, each drawn when it is asked for."""
    for i in range(n_chunks):
        yield make_hastie_10_2(CHUNK, random_state=i)


def train_classifier(n_chunks, X_test, y_test):
    """Test accuracy after every chunk of the stream."""
    clf = BackpropClassifier(random_state=0)
    scores = []
    for X_chunk, y_chunk in hastie_stream(n_chunks):
        first = {} if scores else {"classes": [-1.0, 1.0]}
        clf.partial_fit(X_chunk, y_chunk, **first)
        scores.append(clf.score(X_test, y_test))
    return scores


with warnings.catch_warnings():
    # partial_fit counts calls as epochs: a stream of calls is not meant to end by
    # convergence.
    warnings.simplefilter("ignore", ConvergenceWarning)
    with tempfile.TemporaryDirectory() as directory:
        write_to_disk(Path(directory), N_CHUNKS)
        X = np.load(Path(directory) / "X.npy", mmap_mode="r")
        y = np.load(Path(directory) / "y.npy", mmap_mode="r")
        X_test, y_test = make_friedman1(2000, noise=1.0, random_state=1000)
        r2, target_range = train_regressor(X, y, X_test, y_test, PASSES)
        del X, y  # close the memory maps before the files are removed
    X_test, y_test = make_hastie_10_2(2000, random_state=1000)
    accuracy = train_classifier(STREAM_CHUNKS, X_test, y_test)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
rows_seen = CHUNK * np.arange(1, len(r2) + 1)
left.plot(rows_seen, r2)
for n_pass in range(1, PASSES):
    left.axvline(n_pass * N_CHUNKS * CHUNK, color="0.8", zorder=0)
left.set_title("BackpropRegressor, Friedman #1 from disk")
left.set_xlabel("rows seen (gray: end of a pass)")
left.set_ylabel("test R^2")
right.plot(CHUNK * np.arange(1, len(accuracy) + 1), accuracy, color="tab:orange")
right.set_title("BackpropClassifier, Hastie's sphere, streamed")
right.set_xlabel("rows seen (every chunk new)")
right.set_ylabel("test accuracy")
fig.tight_layout()

low, high = target_range
print(f"target_range from a streaming pass over y: ({low:.2f}, {high:.2f})")
for n_pass in range(1, PASSES + 1):
    score = r2[N_CHUNKS * n_pass - 1]
    print(f"regressor, after pass {n_pass} over {N_CHUNKS} chunks: R^2 {score:.3f}")
for n_seen in (1, 10, 30, STREAM_CHUNKS):
    score = accuracy[n_seen - 1]
    print(f"classifier, after {n_seen:>2} chunks of the stream: accuracy {score:.3f}")
