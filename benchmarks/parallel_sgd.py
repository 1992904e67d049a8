"""Lock-free parallel per-sample SGD (``n_sgd_threads=2``) against the sequential loop.

Per configuration (synthetic 10-class data, standardised; 80% trained on, 20% scored),
sequential and two-thread fits alternate, ``--repeats`` times, each from its own
seed: the same network, ``batch_size=1``, a constant step, the same number of epochs
(``max_iter`` with ``tol=0``). Reported: the median fit time per epoch and its
min-max, the ratio of the medians (speed-up), the median held-out accuracy after
those epochs, and the cores the two-thread fits obtained (process CPU time over wall
time: on a machine shared with other work, below 2 means the second thread waited
for a core). BLAS is pinned to one thread (per-sample SGD does not use it). The
last configuration has MNIST's shape (60k x 784), not its data.

    python benchmarks/parallel_sgd.py [--repeats 3]   # prints a RESULTS.md section
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from sklearn_bp import BackpropClassifier

#: (rows, features, hidden units, epochs)
CONFIGURATIONS = [
    (50_000, 100, 64, 3),
    (50_000, 100, 256, 2),
    (60_000, 784, 64, 1),
]


def synthetic(n_samples, n_features, seed=0):
    """10 classes from a random linear map of Gaussian inputs, plus label noise."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    scores = X @ rng.normal(size=(n_features, 10)) / np.sqrt(n_features)
    y = np.argmax(scores + rng.gumbel(scale=0.5, size=scores.shape), axis=1)
    return X, y


def fit_once(X_train, y_train, X_test, y_test, hidden, epochs, threads, seed):
    model = BackpropClassifier(
        hidden_layer_sizes=(hidden,),
        learning_rate="constant",
        learning_rate_init=0.05,
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
    n_samples, n_features, hidden, epochs = configuration
    X, y = synthetic(n_samples, n_features)
    n_train = int(0.8 * n_samples)
    split = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    times, scores, cores = {1: [], 2: []}, {1: [], 2: []}, []
    for seed in range(repeats):
        for threads in (1, 2):  # interleaved: a load change hits both alike
            t, score, used = fit_once(*split, hidden, epochs, threads, seed)
            times[threads].append(t)
            scores[threads].append(score)
            if threads == 2:
                cores.append(used)
    return times, scores, cores


def row(configuration, times, scores, cores):
    n_samples, n_features, hidden, epochs = configuration

    def spread(values):
        return f"{np.median(values):.3f} s ({min(values):.3f}-{max(values):.3f})"

    speed_up = np.median(times[1]) / np.median(times[2])
    return (
        f"| {n_samples // 1000}k x {n_features} | {hidden} | {epochs} "
        f"| {spread(times[1])} | {spread(times[2])} | {speed_up:.2f}x "
        f"| {np.median(scores[1]):.4f} | {np.median(scores[2]):.4f} "
        f"| {np.median(cores):.2f} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    with threadpool_limits(limits=1, user_api="blas"):
        X, y = synthetic(2000, 10)
        for threads in (1, 2):  # compile before timing
            fit_once(X, y, X, y, 8, 1, threads, 0)
        lines = []
        for configuration in CONFIGURATIONS:
            lines.append(row(configuration, *measure(configuration, args.repeats)))
            print(lines[-1], flush=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        "\n| data | hidden | epochs | 1 thread, per epoch | 2 threads, per epoch "
        "| speed-up | accuracy, 1 thread | accuracy, 2 threads | cores obtained |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    print("\n".join(lines))
    print(f"\nLoad average at the end (1, 5, 15 min): {load}")


if __name__ == "__main__":
    main()
