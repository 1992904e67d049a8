"""Peak memory of training on data larger than the chunks it is read in.

A float32 array is written to a memory-mapped .npy file; then, each in a fresh
process, (a) ``fit`` on the whole memory map and (b) ``partial_fit`` over chunks of it
(one epoch either way). The figure is the peak of memory allocated during training
(``tracemalloc``, which NumPy reports its buffers to), after one warm-up call has
compiled the loops: the pages of the file mapped in are the operating system's cache,
not the process's own memory, so resident-set size would count the file itself.

    python benchmarks/streaming.py                  # 1M x 50 float32 (200 MB)
    python benchmarks/streaming.py --rows 4000000   # 800 MB
"""

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap

import numpy as np

CHILD = textwrap.dedent(
    """
    import sys, tracemalloc, warnings
    import numpy as np
    from sklearn_bp import BackpropClassifier
    warnings.simplefilter("ignore")
    path, mode, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3])
    X = np.load(path, mmap_mode="r")
    y = np.concatenate(
        [X[i : i + chunk, 0] > 0 for i in range(0, X.shape[0], chunk)]
    ).astype(np.int8)
    clf = BackpropClassifier(hidden_layer_sizes=(16,), max_iter=1, random_state=0)
    BackpropClassifier(max_iter=1).fit(X[:100], y[:100])  # compile first
    tracemalloc.start()
    if mode == "fit":
        clf.fit(X, y)
    else:
        for start in range(0, X.shape[0], chunk):
            stop = start + chunk
            clf.partial_fit(X[start:stop], y[start:stop], classes=[0, 1])
    print(tracemalloc.get_traced_memory()[1])
    """
)


def peak_mb(args):
    """Peak memory allocated in training by a child process running CHILD."""
    run = subprocess.run(
        [sys.executable, "-c", CHILD, *args], check=True, capture_output=True, text=True
    )
    return int(run.stdout.split()[-1]) / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--chunk", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "X.npy")
        X = np.lib.format.open_memmap(
            path, mode="w+", dtype=np.float32, shape=(args.rows, args.features)
        )
        rng = np.random.RandomState(0)
        for start in range(0, args.rows, 100_000):
            stop = min(start + 100_000, args.rows)
            X[start:stop] = rng.normal(size=(stop - start, args.features))
        X.flush()
        del X
        data_mb = args.rows * args.features * 4 / 2**20
        chunk_mb = args.chunk * args.features * 4 / 2**20
        streamed = peak_mb([path, "partial_fit", str(args.chunk)])
        whole = peak_mb([path, "fit", str(args.chunk)])
    print(
        f"data: {args.rows} x {args.features} float32 = {data_mb:.0f} MB; "
        f"chunk: {args.chunk} rows = {chunk_mb:.1f} MB"
    )
    print("| training | peak allocated memory (MB) | / data size |")
    print("|---|---|---|")
    print(f"| partial_fit over chunks | {streamed:.0f} | {streamed / data_mb:.2f} |")
    print(f"| fit on the memory map | {whole:.0f} | {whole / data_mb:.2f} |")


if __name__ == "__main__":
    main()
