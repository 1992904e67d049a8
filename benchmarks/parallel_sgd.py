"""Lock-free parallel per-sample SGD (``n_sgd_threads=2``) against the sequential loop.

Per configuration (synthetic 10-class data, standardised; 80% trained on, 20% scored),
sequential and two-thread fits alternate, ``--repeats`` times, each from its own
seed: the same network, ``batch_size=1``, a constant step, the same number of epochs
(``max_iter`` with ``tol=0``). Reported: the median fit time per epoch and its
min-max, the ratio of the medians (speed-up), the median held-out accuracy after
those epochs, the accuracy of two threads given the sequential fit's wall time, and
the cores the two-thread fits obtained (process CPU time over wall
time: on a machine shared with other work, below 2 means the second thread waited
for a core). BLAS is pinned to one thread (per-sample SGD does not use it). The
60k x 784 configuration has MNIST's shape, not its data; the sparse one is shaped
like a bag of words (20 non-zeros per row among 100k features), where a step
changes only the first-layer rows of its row's non-zeros and the threads seldom
write the same weights, the case Hogwild was designed for.

    python benchmarks/parallel_sgd.py [--repeats 3]   # prints a RESULTS.md section
"""

import argparse
import os
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from sklearn_bp import BackpropClassifier

#: (rows, features, hidden units, epochs, non-zeros per row or None for dense,
#: constant step)
CONFIGURATIONS = [
    (50_000, 100, 64, 3, None, 0.05),
    (50_000, 100, 256, 2, None, 0.05),
    (60_000, 784, 64, 1, None, 0.05),
    (200_000, 20_000, 64, 3, 20, 0.2),
]


def synthetic(n_samples, n_features, seed=0):
    """10 classes from a random linear map of Gaussian inputs, plus label noise."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    scores = X @ rng.normal(size=(n_features, 10)) / np.sqrt(n_features)
    y = np.argmax(scores + rng.gumbel(scale=0.5, size=scores.shape), axis=1)
    return X, y


def sparse_rows(n_rows, n_features, nnz, rng):
    """A CSR matrix of ``nnz`` Gaussian values per row at random columns."""
    return sp.csr_matrix(
        (
            rng.normal(size=n_rows * nnz),
            rng.randint(n_features, size=n_rows * nnz),
            np.arange(0, n_rows * nnz + 1, nnz),
        ),
        shape=(n_rows, n_features),
    )


def synthetic_sparse(n_samples, n_features, nnz, seed=0):
    """10 classes from a random linear map of sparse rows (``nnz`` Gaussian values
    at random columns), plus label noise; a CSR matrix."""
    rng = np.random.RandomState(seed)
    X = sparse_rows(n_samples, n_features, nnz, rng)
    scores = X @ rng.normal(size=(n_features, 10)) / np.sqrt(nnz)
    y = np.argmax(scores + rng.gumbel(scale=0.5, size=scores.shape), axis=1)
    return X, y


def fit_once(X_train, y_train, X_test, y_test, hidden, epochs, step, threads, seed):
    model = BackpropClassifier(
        hidden_layer_sizes=(hidden,),
        learning_rate="constant",
        learning_rate_init=step,
        max_iter=epochs,
        tol=0,
        n_iter_no_change=10**6,
        n_sgd_threads=threads,
        random_state=seed,
    )
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(X_train, y_train)
    wall = time.perf_counter() - start
    cores = (time.process_time() - cpu) / wall
    return wall / model.n_iter_, model.score(X_test, y_test), cores


def measure(configuration, repeats):
    n_samples, n_features, hidden, epochs, nnz, step = configuration
    if nnz is None:
        X, y = synthetic(n_samples, n_features)
    else:
        X, y = synthetic_sparse(n_samples, n_features, nnz)
    n_train = int(0.8 * n_samples)
    split = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    times, scores, cores = {1: [], 2: []}, {1: [], 2: []}, []
    for seed in range(repeats):
        for threads in (1, 2):  # interleaved: a load change hits both alike
            t, score, used = fit_once(*split, hidden, epochs, step, threads, seed)
            times[threads].append(t)
            scores[threads].append(score)
            if threads == 2:
                cores.append(used)
    # The same wall time: as many two-thread epochs as fit in the sequential fit's
    # time (at least one), then the held-out accuracy they reach.
    speed_up = np.median(times[1]) / np.median(times[2])
    same_time_epochs = max(1, int(epochs * speed_up))
    same_time_scores = [
        fit_once(*split, hidden, same_time_epochs, step, 2, seed)[1]
        for seed in range(repeats)
    ]
    return times, scores, cores, (same_time_epochs, same_time_scores)


def row(configuration, times, scores, cores, same_time):
    n_samples, n_features, hidden, epochs, nnz, step = configuration
    shape = (
        f"{n_samples // 1000}k x {n_features // 1000}k sparse"
        if nnz
        else (f"{n_samples // 1000}k x {n_features}")
    )

    def spread(values):
        return f"{np.median(values):.3f} s ({min(values):.3f}-{max(values):.3f})"

    speed_up = np.median(times[1]) / np.median(times[2])
    return (
        f"| {shape} | {hidden} | {epochs} "
        f"| {spread(times[1])} | {spread(times[2])} | {speed_up:.2f}x "
        f"| {np.median(scores[1]):.4f} | {np.median(scores[2]):.4f} "
        f"| {same_time[0]}: {np.median(same_time[1]):.4f} "
        f"| {np.median(cores):.2f} |"
    )


DESCRIPTION = (
    "Produced by `python benchmarks/parallel_sgd.py --repeats 3`: synthetic 10-class "
    "data (Gaussian inputs, standardised; the 60k x 784 set has MNIST's shape, not "
    "its data; the sparse set has 20 non-zeros per row, like a bag of words), 80% "
    "trained on and 20% scored, `batch_size=1`, a constant step (0.05; 0.2 on the "
    "sparse set), the same epochs for both (`max_iter`, `tol=0`); sequential and "
    "two-thread fits alternate, each repetition from its own seed; median fit time "
    "per epoch (min-max), ratio of the medians, median held-out accuracy; then "
    "two-thread fits of as many epochs as fit in the sequential fit's time (the "
    "epochs times the speed-up, rounded down, at least 1) and their accuracy; and "
    "the cores the two-thread fits obtained (process CPU time over wall time). One "
    "BLAS thread."
)


def table(repeats, chosen=None):
    """The Markdown table's lines (and the load average), printed as measured."""
    chosen = range(len(CONFIGURATIONS)) if chosen is None else chosen
    lines = [
        "| data | hidden | epochs | 1 thread, per epoch | 2 threads, per epoch "
        "| speed-up | accuracy, 1 thread | accuracy, 2 threads "
        "| 2 threads in the same wall time: epochs, accuracy | cores obtained |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    with threadpool_limits(limits=1, user_api="blas"):
        for X, y in (synthetic(2000, 10), synthetic_sparse(2000, 100, 5)):
            for threads in (1, 2):  # compile before timing
                fit_once(X, y, X, y, 8, 1, 0.05, threads, 0)
        for configuration in [CONFIGURATIONS[i] for i in chosen]:
            lines.append(row(configuration, *measure(configuration, repeats)))
            print(lines[-1], flush=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += ["", f"Load average at the end (1, 5, 15 min): {load}."]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--only", type=int, nargs="+", help="indices of the configurations to run"
    )
    args = parser.parse_args()
    table(args.repeats, args.only)


if __name__ == "__main__":
    main()
