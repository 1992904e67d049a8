"""What the first fit in a fresh environment pays for compiling the training loops.

Each configuration runs in a new process with an empty numba cache directory (a
fresh environment: "cold"), then in a second process that finds the cache the first
one wrote ("warm"). The time is that of the first ``fit`` in the process, on digits,
with ``max_iter=1``: compilation (or loading from the cache) plus one short epoch.

    python benchmarks/compile_time.py [--repeats 2]
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

FIRST_FIT = """
import sys, time, warnings
import numpy as np
from sklearn.datasets import load_digits
from sklearn_bp import BackpropClassifier
warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(sys.argv[1])
start = time.perf_counter()
BackpropClassifier(max_iter=1, batch_size=int(sys.argv[2])).fit(X, y)
print(time.perf_counter() - start)
"""

CONFIGURATIONS = [("float64", 1), ("float64", 32), ("float32", 1), ("float32", 32)]


def first_fit_seconds(cache_dir, dtype, batch_size):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FIT, dtype, str(batch_size)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print("| dtype | batch_size | cold first fit | warm first fit |")
    print("|---|---|---|---|")
    for dtype, batch_size in CONFIGURATIONS:
        cold, warm = [], []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache_dir:
                cold.append(first_fit_seconds(cache_dir, dtype, batch_size))
                warm.append(first_fit_seconds(cache_dir, dtype, batch_size))
        print(
            f"| {dtype} | {batch_size} | {np.median(cold):.1f} s "
            f"({min(cold):.1f}-{max(cold):.1f}) | {np.median(warm):.2f} s "
            f"({min(warm):.2f}-{max(warm):.2f}) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
