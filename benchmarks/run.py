"""Speed and memory of sklearn-bp beside its peers, in one process, interleaved.

Per configuration every contender trains the same network (one sigmoid hidden layer,
sigmoid outputs, SGD without momentum, same batch size and epochs) and the harness
reports the median time per epoch over the repetitions, its min-max spread, and
ratios. Contenders:

* sklearn-bp;
* scikit-learn's MLPClassifier (logistic units, solver="sgd");
* a PyTorch CPU loop, when torch is installed;
* the floor: one epoch's matrix products (forward and backward) done as whole-data
  products, without any per-sample or per-batch work.

Then: sparse input at fixed non-zeros per row, restarts in parallel, prediction, the
peak memory of a fit on a 500 MB float32 X (in a subprocess), the compilation of a
first fit (``compile_time.py``) and lock-free parallel SGD (``parallel_sgd.py``).
BLAS is pinned to one thread except where two are measured.

    python benchmarks/run.py [--quick]      # writes benchmarks/RESULTS.md
"""

import argparse
import contextlib
import io
import os
import platform
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

import sklearn_bp
from sklearn_bp import BackpropClassifier

try:
    import torch
except ImportError:
    torch = None

HERE = Path(__file__).parent
LEARNING_RATE = 0.05


# ----------------------------------------------------------------------- datasets
def digits():
    X, y = load_digits(return_X_y=True)
    return (X - X.mean(0)) / (X.std(0) + 1e-9), y


def synthetic(n_samples, n_features, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = np.argmax(X @ rng.normal(size=(n_features, 10)), axis=1)
    return X, y


# --------------------------------------------------------------------- contenders
def shared_settings(hidden, batch_size, epochs):
    """What both estimators are given: the same network, SGD steps and epochs."""
    return dict(
        hidden_layer_sizes=(hidden,),
        batch_size=batch_size,
        alpha=1e-4,
        learning_rate_init=LEARNING_RATE,
        max_iter=epochs,
        tol=0,
        n_iter_no_change=10**6,
        random_state=0,
    )


def seconds_per_epoch(model, X, y, epochs):
    start = time.perf_counter()
    model.fit(X, y)
    return (time.perf_counter() - start) / epochs


def time_ours(X, y, hidden, batch_size, epochs):
    model = BackpropClassifier(**shared_settings(hidden, batch_size, epochs))
    return seconds_per_epoch(model, X, y, epochs)


def time_sklearn(X, y, hidden, batch_size, epochs):
    model = MLPClassifier(
        activation="logistic",
        solver="sgd",
        momentum=0.0,
        **shared_settings(hidden, batch_size, epochs),
    )
    return seconds_per_epoch(model, X, y, epochs)


def time_torch(X, y, hidden, batch_size, epochs):
    X_t = torch.from_numpy(X)
    Y_t = torch.nn.functional.one_hot(torch.from_numpy(y)).to(X_t.dtype)
    net = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], hidden),
        torch.nn.Sigmoid(),
        torch.nn.Linear(hidden, Y_t.shape[1]),
        torch.nn.Sigmoid(),
    ).to(X_t.dtype)
    optimizer = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)
    start = time.perf_counter()
    for _ in range(epochs):
        for batch in torch.randperm(len(X_t)).split(batch_size):
            optimizer.zero_grad()
            loss = 0.5 * ((net(X_t[batch]) - Y_t[batch]) ** 2).sum(1).mean()
            loss.backward()
            optimizer.step()
    return (time.perf_counter() - start) / epochs


def time_floor(X, y, hidden, batch_size, epochs):
    """One epoch's products as whole-data products: the forward pass, the backward
    pass's product for the hidden delta, and the two weight gradients (median of
    five runs, as a single run of small products is dominated by noise)."""
    rng = np.random.RandomState(0)
    W1 = rng.normal(size=(X.shape[1], hidden)).astype(X.dtype)
    W2 = rng.normal(size=(hidden, 10)).astype(X.dtype)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        H = X @ W1
        out = H @ W2
        back = out @ W2.T
        H.T @ out
        X.T @ back
        times.append(time.perf_counter() - start)
    return np.median(times)


CONTENDERS = {
    "sklearn-bp": time_ours,
    "scikit-learn MLP": time_sklearn,
    "PyTorch": time_torch,
    "floor": time_floor,
}


def measure(X, y, hidden, batch_size, epochs, repeats, names):
    """Median and (min, max) seconds per epoch for each contender, interleaved."""
    times = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            times[name].append(CONTENDERS[name](X, y, hidden, batch_size, epochs))
    return {name: (np.median(t), min(t), max(t)) for name, t in times.items()}


# ----------------------------------------------------------------- configurations
def training_configs(quick):
    d = digits()
    mid = synthetic(50_000, 100)
    wide = synthetic(60_000, 784, seed=1)
    configs = []
    for name, (X, y), hiddens, per_sample_rows in (
        ("digits 1797x64", d, (64,), None),
        ("50k x 100", mid, (64, 256), 10_000),
        ("60k x 784", wide, (64, 256), 5_000),
    ):
        for hidden in hiddens:
            for batch_size in (1, 32, 200):
                rows = per_sample_rows if batch_size == 1 else None
                configs.append((name, X[:rows], y[:rows], hidden, batch_size))
    if quick:
        configs = [c for c in configs if c[0].startswith("digits") or c[3] == 64][:6]
    return configs


def fmt(seconds):
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def run_training(quick, lines):
    lines += [
        "## Training: time per epoch (one BLAS thread)",
        "",
        "Median over repetitions (min-max). B=1 on the larger sets uses the first "
        "rows given (the 'subset' column) for every contender.",
        "",
        "| data | hidden | B | dtype | subset | sklearn-bp | scikit-learn MLP "
        "| PyTorch | floor | MLP / ours | ours / floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    names = [n for n in CONTENDERS if n != "PyTorch" or torch is not None]
    float32_ratios = []
    for name, X, y, hidden, batch_size in training_configs(quick):
        for dtype in (np.float64, np.float32):
            if (
                dtype is np.float32
                and batch_size == 1
                and not name.startswith("digits")
            ):
                continue
            Xd = X.astype(dtype)
            # Enough epochs to amortise a fit's set-up, as in real use.
            epochs = int(np.clip(3e6 // (X.shape[0] * hidden), 1, 10))
            with threadpool_limits(1):
                result = measure(Xd, y, hidden, batch_size, epochs, 3, names)
            row = [name, hidden, batch_size, np.dtype(dtype).name, X.shape[0]]
            for contender in CONTENDERS:
                if contender in result:
                    med, lo, hi = result[contender]
                    row.append(f"{fmt(med)} ({fmt(lo)}-{fmt(hi)})")
                else:
                    row.append("-")
            ours, floor = result["sklearn-bp"][0], result["floor"][0]
            row += [
                f"{result['scikit-learn MLP'][0] / ours:.1f}x",
                f"{ours / floor:.1f}x",
            ]
            lines.append("| " + " | ".join(str(c) for c in row) + " |")
            print(lines[-1], flush=True)
            if dtype is np.float64:
                ours64 = ours
            elif batch_size >= 32:
                float32_ratios.append((name, hidden, batch_size, ours / ours64))
    lines += ["", "float32 time / float64 time (sklearn-bp, B >= 32):", ""]
    lines += [f"- {n}, {h} hidden, B={b}: {r:.2f}" for n, h, b, r in float32_ratios]
    lines.append("")


def run_threads(lines):
    lines += [
        "## Two BLAS threads against one (sklearn-bp, float64)",
        "",
        "| data | hidden | B | 1 thread | 2 threads | 2 / 1 |",
        "|---|---|---|---|---|---|",
    ]
    X, y = synthetic(50_000, 100)
    Xw, yw = synthetic(60_000, 784, seed=1)
    for name, X_, y_ in (("50k x 100", X[:20_000], y[:20_000]), ("60k x 784", Xw, yw)):
        for batch_size in (1, 32, 200):
            rows = 5_000 if batch_size == 1 else None
            one, two = [], []
            for _ in range(3):
                for threads, out in ((1, one), (2, two)):
                    with threadpool_limits(threads):
                        out.append(time_ours(X_[:rows], y_[:rows], 256, batch_size, 1))
            ratio = np.median(two) / np.median(one)
            lines.append(
                f"| {name} | 256 | {batch_size} | {fmt(np.median(one))} "
                f"| {fmt(np.median(two))} | {ratio:.2f} |"
            )
            print(lines[-1], flush=True)
    lines.append("")


def sparse_epoch_seconds(X, y, alpha):
    """Seconds per epoch within one fit of 14 epochs: from the end of the 2nd epoch
    to the end of the 14th, as ``verbose`` reports the time since training began,
    so that a fit's set-up (drawing the initial weights, the checks) is left out."""
    model = BackpropClassifier(
        hidden_layer_sizes=(64,), alpha=alpha, max_iter=14, tol=0, verbose=True
    )
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        model.fit(X, y)
    elapsed = [float(t) for t in re.findall(r"time = ([0-9.]+)s", output.getvalue())]
    return (elapsed[13] - elapsed[1]) / 12


def gather_seconds(X, W):
    """The sparse product X @ W: reading the first-layer rows of every non-zero once,
    the memory traffic an epoch cannot avoid (median of five)."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        X @ W
        times.append(time.perf_counter() - start)
    return np.median(times)


SPARSE_WIDTHS = (10_000, 20_000, 50_000, 100_000, 200_000)


def run_sparse(lines):
    from parallel_sgd import sparse_rows

    lines += [
        "## Sparse X: per-sample epoch at 20 non-zeros per row (20k rows, 64 hidden)",
        "",
        "Time per epoch within a fit of 14 epochs, from the end of the 2nd to the end "
        "of the 14th as `verbose` reports them (the set-up, such as drawing the "
        "initial weights, is left out); median of 3, the widths interleaved. The "
        "gather is the sparse product `X @ W` with the "
        "first layer's shape: it reads the same rows an epoch reads, once, and shows "
        "what the width costs the memory hierarchy alone (the first layer is 5 MB at "
        "10k features, 100 MB at 200k).",
        "",
        "| n_features | alpha | epoch | epoch / epoch at 10k | gather | "
        "gather / gather at 10k |",
        "|---|---|---|---|---|---|",
    ]
    rng = np.random.RandomState(0)
    n_rows, nnz = 20_000, 20
    y = rng.randint(2, size=n_rows)
    data = {f: sparse_rows(n_rows, f, nnz, rng) for f in SPARSE_WIDTHS}
    weights = {f: rng.uniform(-1, 1, size=(f, 64)) for f in SPARSE_WIDTHS}
    for alpha in (0.0, "auto"):
        epochs = {f: [] for f in SPARSE_WIDTHS}
        gathers = {f: [] for f in SPARSE_WIDTHS}
        for _ in range(3):
            for f in SPARSE_WIDTHS:
                epochs[f].append(sparse_epoch_seconds(data[f], y, alpha))
                gathers[f].append(gather_seconds(data[f], weights[f]))
        base, gather_base = np.median(epochs[10_000]), np.median(gathers[10_000])
        for f in SPARSE_WIDTHS:
            t, g = np.median(epochs[f]), np.median(gathers[f])
            lines.append(
                f"| {f} | {alpha} | {fmt(t)} | {t / base:.2f} | {fmt(g)} "
                f"| {g / gather_base:.2f} |"
            )
            print(lines[-1], flush=True)
    lines.append("")


def run_restarts(lines):
    lines += [
        "## Restarts: n_init=4, 64 hidden, n_jobs=2 against n_jobs=1",
        "",
        "Median of 5 (min-max), interleaved; identical weights (tested in "
        "tests/test_restarts.py).",
        "",
        "| data | epochs per restart | n_jobs=1 | n_jobs=2 | speed-up |",
        "|---|---|---|---|---|",
    ]
    for (n_samples, n_features), epochs in (((20_000, 50), 3), ((50_000, 100), 5)):
        X, y = synthetic(n_samples, n_features, seed=2)
        times = {1: [], 2: []}
        for _ in range(5):
            for n_jobs in (1, 2):
                model = BackpropClassifier(
                    hidden_layer_sizes=(64,),
                    n_init=4,
                    max_iter=epochs,
                    n_jobs=n_jobs,
                    random_state=0,
                )
                start = time.perf_counter()
                model.fit(X, y)
                times[n_jobs].append(time.perf_counter() - start)
        cells = [
            f"{fmt(np.median(t))} ({fmt(min(t))}-{fmt(max(t))})" for t in times.values()
        ]
        speed_up = np.median(times[1]) / np.median(times[2])
        lines.append(
            f"| {n_samples // 1000}k x {n_features} | {epochs} | {cells[0]} "
            f"| {cells[1]} | {speed_up:.2f}x |"
        )
        print(lines[-1], flush=True)
    lines.append("")


def run_compilation(lines):
    import compile_time

    lines += [
        "## Compilation: the first fit in a process, on digits",
        "",
        "As `python benchmarks/compile_time.py --repeats 3`: each configuration's "
        "first fit in a new process with an empty numba cache (cold), then in a "
        "second process that finds the cache filled (warm); median of 3 (min-max). "
        "'In all' adds the import of sklearn_bp (numba, scikit-learn) to the cold "
        "first fit.",
        "",
        *compile_time.table(repeats=3),
        "",
    ]
    print("\n".join(lines[-6:]), flush=True)


def run_parallel_sgd(lines):
    import parallel_sgd

    lines += [
        "## Lock-free parallel per-sample SGD: `n_sgd_threads=2` against 1",
        "",
        parallel_sgd.DESCRIPTION,
        "",
        *parallel_sgd.table(repeats=3),
        "",
    ]
    print("\n".join(lines[-8:]), flush=True)


def run_prediction(lines):
    lines += [
        "## Prediction (predict_proba), one BLAS thread",
        "",
        "| data | hidden | predict_proba | floor (products) | ratio |",
        "|---|---|---|---|---|",
    ]
    X, y = synthetic(60_000, 784, seed=1)
    for hidden in (64, 256):
        model = BackpropClassifier(
            hidden_layer_sizes=(hidden,), max_iter=1, batch_size=200
        ).fit(X[:2000], y[:2000])
        W1, W2 = model.coefs_
        ours, floor = [], []
        with threadpool_limits(1):
            for _ in range(5):
                start = time.perf_counter()
                model.predict_proba(X)
                ours.append(time.perf_counter() - start)
                start = time.perf_counter()
                (X @ W1) @ W2
                floor.append(time.perf_counter() - start)
        o, f = np.median(ours), np.median(floor)
        lines.append(f"| 60k x 784 | {hidden} | {fmt(o)} | {fmt(f)} | {o / f:.2f} |")
        print(lines[-1], flush=True)
    lines.append("")


MEMORY_PROBE = """
import sys, threading, time, warnings
import numpy as np
from sklearn_bp import BackpropClassifier
warnings.simplefilter("ignore")
n, d = 655_360, 200
rng = np.random.default_rng(0)
X = rng.standard_normal((n, d), dtype=np.float32)
y = (X[:, 0] > 0).astype(np.int64)
params = dict(hidden_layer_sizes=(16,), max_iter=1, batch_size=200,
              early_stopping=sys.argv[1] == "1")
BackpropClassifier(**params).fit(X[:1000], y[:1000])
def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096
peak, done = [0], threading.Event()
def sample():  # resident memory, polled every millisecond during the fit
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.001)
before = rss()
sampler = threading.Thread(target=sample)
sampler.start()
model = BackpropClassifier(**params).fit(X, y)
done.set()
sampler.join()
model_bytes = sum(a.nbytes for a in model.coefs_ + model.intercepts_)
print(X.nbytes, model_bytes, max(peak[0] - before, 0))
"""


def run_memory(lines):
    lines += [
        "## Peak memory of fit on a 500 MB float32 X (655,360 x 200)",
        "",
        "Peak resident memory during fit (sampled every millisecond) above what the "
        "process held before it, plus X, over the size of X plus the model.",
        "",
        "| early stopping | X | extra at peak | (X + extra) / (X + model) |",
        "|---|---|---|---|",
    ]
    for early_stopping in (0, 1):
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(early_stopping)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        x_bytes, model_bytes, extra = map(int, out)
        ratio = (x_bytes + extra) / (x_bytes + model_bytes)
        lines.append(
            f"| {bool(early_stopping)} | {x_bytes / 2**20:.0f} MiB "
            f"| {extra / 2**20:.1f} MiB | {ratio:.3f} |"
        )
        print(lines[-1], flush=True)
    lines.append("")


def machine_description():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    blas = ", ".join(
        f"{info['internal_api']} {info.get('version', '')}".strip()
        for info in threadpool_info()
        if info["user_api"] == "blas"
    )
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores (shared with other work: timings are "
        "noisy, hence interleaving, repetitions and medians)",
        f"- Python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, sklearn-bp {sklearn_bp.__version__}, "
        f"numba {__import__('numba').__version__}, "
        f"PyTorch {torch.__version__ if torch else 'not installed'}",
        f"- BLAS: {blas}",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few configurations")
    parser.add_argument("--output", default=HERE / "RESULTS.md")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[
            "training",
            "threads",
            "sparse",
            "restarts",
            "prediction",
            "memory",
            "compilation",
            "parallel_sgd",
        ],
        help="run only these sections",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = digits()
    for dtype in (np.float64, np.float32):  # compile before timing
        for batch_size in (1, 32):
            BackpropClassifier(max_iter=1, batch_size=batch_size).fit(
                X.astype(dtype), y
            )
    lines = [
        "# Benchmark results",
        "",
        *machine_description(),
        "",
        f"Produced by `python benchmarks/run.py{' --quick' if args.quick else ''}`.",
        "",
    ]
    sections = {
        "training": lambda: run_training(args.quick, lines),
        "threads": lambda: run_threads(lines),
        "sparse": lambda: run_sparse(lines),
        "restarts": lambda: run_restarts(lines),
        "prediction": lambda: run_prediction(lines),
        "memory": lambda: run_memory(lines),
        "compilation": lambda: run_compilation(lines),
        "parallel_sgd": lambda: run_parallel_sgd(lines),
    }
    chosen = args.only or (["training"] if args.quick else list(sections))
    for name in chosen:
        sections[name]()
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
