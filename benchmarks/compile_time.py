"""What the first fit in a fresh environment pays for compiling the training loops.

Each configuration runs in a new process with an empty numba cache directory (a
fresh environment: "cold"), then in a second process that finds the cache the first
one wrote ("warm"). The time is that of the first ``fit`` in the process, on digits,
with ``max_iter=1``: compilation (or loading from the cache) plus one short epoch;
"in all" adds the import of sklearn_bp before it.

    python benchmarks/compile_time.py [--repeats 2]
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

FIRST_FIT = """
import sys, time
start = time.perf_counter()
from sklearn_bp import BackpropClassifier
imported = time.perf_counter() - start
import warnings
import numpy as np
from sklearn.datasets import load_digits
warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(sys.argv[1])
start = time.perf_counter()
BackpropClassifier(max_iter=1, batch_size=int(sys.argv[2])).fit(X, y)
print(imported, time.perf_counter() - start)
"""

CONFIGURATIONS = [("float64", 1), ("float64", 32), ("float32", 1), ("float32", 32)]


def first_fit_seconds(cache_dir, dtype, batch_size):
    """(seconds to import sklearn_bp, seconds of the first fit) in a new process."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FIT, dtype, str(batch_size)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    imported, fit = out.stdout.split()[-2:]
    return float(imported), float(fit)


def table(repeats):
    """The Markdown table's lines, each printed as it is measured."""
    lines = [
        "| dtype | batch_size | cold first fit | cold, in all (import too) "
        "| warm first fit |",
        "|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for dtype, batch_size in CONFIGURATIONS:
        cold, in_all, warm = [], [], []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as cache_dir:
                imported, fit = first_fit_seconds(cache_dir, dtype, batch_size)
                cold.append(fit)
                in_all.append(imported + fit)
                warm.append(first_fit_seconds(cache_dir, dtype, batch_size)[1])
        lines.append(
            f"| {dtype} | {batch_size} | {spread(cold, 1)} | {spread(in_all, 1)} "
            f"| {spread(warm, 2)} |"
        )
        print(lines[-1], flush=True)
    return lines


def spread(values, digits):
    return (
        f"{np.median(values):.{digits}f} s "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    table(parser.parse_args().repeats)


if __name__ == "__main__":
    main()
