"""Mutation run: do the tests catch plausible one-line bugs in the training code?

Each mutant replaces one piece of one source line (an operator, a constant, an index,
a dropped term) and runs a fast, relevant subset of the tests against it, in a
temporary copy of the repository (never in place), stopping at the first failure.
A mutant is *caught* when a test fails, errors or times out, and *survives* when
every test passes. A mutant whose target line is no longer in the source is *stale*
and not counted, so the list survives unrelated edits.

Every mutant starts from an empty numba cache: numba does not notice an edit to a
module whose compiled functions are called from another module's cached ones.
``--reuse-cache`` starts each mutant from the unmutated copy's cache instead, except
for mutants of ``_sigmoid.py`` (whose functions ``_sgd.py``'s cached ones call): numba
checks the time stamp of each cached function's own file, so the mutated module is
compiled again and the others are not, which saves tens of seconds per mutant.

    python benchmarks/mutation.py                 # all mutants, one at a time
    python benchmarks/mutation.py --only t_counts_epochs nesterov_per_sample
    python benchmarks/mutation.py --list          # the mutants, and which are stale
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: The tests each mutant runs, fastest to catch first.
TESTS = [
    "tests/test_reference.py",
    "tests/test_training_loop.py",
    "tests/test_output_head.py",
    "tests/test_sgd.py",
    "tests/test_estimators.py",
    "tests/test_restarts.py",
    "tests/test_reliability.py",
]

#: Modules whose compiled functions other modules' cached functions call.
COMPILED_DEPENDENCIES = {"_sigmoid.py"}

SGD, VISITS, TRAINING, RESTARTS, HEAD = (
    "_sgd.py",
    "_visits.py",
    "_training.py",
    "_restarts.py",
    "_output_head.py",
)

#: The tests most likely to catch a mutant of a module, run before the others.
FIRST_TESTS = {
    TRAINING: "tests/test_training_loop.py",
    RESTARTS: "tests/test_restarts.py",
    HEAD: "tests/test_output_head.py",
}

#: (name, file in sklearn_bp/, exact substring of one source line, replacement).
#: Each changes what the code computes; mutants that change only rounding or speed
#: (for example folding the sparse L2 scale back more often) are not listed.
MUTANTS = [
    # --- _sgd.py: the per-sample and mini-batch epochs
    (
        "log_loss_sign",
        SGD,
        "log1p(np.exp(-abs(z))) - y[q] * z",
        "log1p(np.exp(-abs(z))) + y[q] * z",
    ),
    (
        "squared_loss_half",
        SGD,
        "total += 0.5 * (y_hat[q] - y[q]) ** 2",
        "total += (y_hat[q] - y[q]) ** 2",
    ),
    (
        "log_delta_unweighted",
        SGD,
        "delta[q] = weight * (y_hat[q] - y[q])",
        "delta[q] = y_hat[q] - y[q]",
    ),
    (
        "squared_delta_sign",
        SGD,
        "* y_hat[q] * (1.0 - y_hat[q])",
        "* y_hat[q] * (1.0 + y_hat[q])",
    ),
    (
        "update_row_sign",
        SGD,
        "W_row[j] -= lr * (x * delta[j] + l2 * W_row[j])",
        "W_row[j] += lr * (x * delta[j] + l2 * W_row[j])",
    ),
    (
        "update_row_velocity_lr",
        SGD,
        "v_row[j] = mu * v_row[j] - lr * g",
        "v_row[j] = mu * v_row[j] - g",
    ),
    (
        "update_row_nesterov_plain",
        SGD,
        "W_row[j] += mu * v_row[j] - lr * g",
        "W_row[j] += v_row[j]",
    ),
    ("batch_mean_not_divided", SGD, "scale = 1.0 / batch_size", "scale = 1.0"),
    (
        "batch_step_no_l2",
        SGD,
        "p[i] -= lr * (g[i] * scale + l2 * p[i])",
        "p[i] -= lr * g[i] * scale",
    ),
    (
        "batch_momentum_no_l2",
        SGD,
        "step = g[i] * scale + l2 * p[i]",
        "step = g[i] * scale",
    ),
    ("batch_nesterov_plain", SGD, "p[i] += mu * v[i] - lr * step", "p[i] += v[i]"),
    (
        "batch_velocity_no_decay",
        SGD,
        "v[i] = mu * v[i] - lr * step",
        "v[i] = v[i] - lr * step",
    ),
    ("lazy_decay_threshold", SGD, "and lr * rule.l2 < 0.5", "and lr * rule.l2 < 5.0"),
    ("lazy_decay_sign", SGD, "scale *= 1.0 - lr * l2", "scale *= 1.0 + lr * l2"),
    (
        "lazy_decay_gradient_scale",
        SGD,
        "x_p = values[p] / scale",
        "x_p = values[p] * scale",
    ),
    (
        "lazy_decay_no_final_fold",
        SGD,
        "if scale < 1e-3 or t == order.size - 1:",
        "if scale < 1e-3:",
    ),
    (
        "forward_ignores_scale",
        SGD,
        "z[j] = b[j] + layer_scale * z[j]",
        "z[j] = b[j] + z[j]",
    ),
    (
        "hidden_delta_no_derivative",
        SGD,
        "below[i] = back * a[i] * (1.0 - a[i])",
        "below[i] = back * a[i]",
    ),
    (
        "sample_loss_unweighted",
        SGD,
        "total_loss += weight * _sample_loss(",
        "total_loss += _sample_loss(",
    ),
    (
        "batch_loss_unweighted",
        SGD,
        "total_loss += weights[r] * _sample_loss(",
        "total_loss += _sample_loss(",
    ),
    (
        "sample_step_no_l2",
        SGD,
        "W[i, j] -= lr * (x_i * delta[j] + l2 * W[i, j])",
        "W[i, j] -= lr * x_i * delta[j]",
    ),
    (
        "sample_momentum_no_l2",
        SGD,
        "g = x_i * delta[j] + l2 * W[i, j]",
        "g = x_i * delta[j]",
    ),
    (
        "nesterov_per_sample",
        SGD,
        "W[i, j] += mu * V[i, j] - lr * g",
        "W[i, j] += V[i, j]",
    ),
    (
        "sample_velocity_lr",
        SGD,
        "V[i, j] = mu * V[i, j] - lr * g",
        "V[i, j] = mu * V[i, j] - g",
    ),
    ("sparse_row_not_cleared", SGD, "dense_row[columns[p]] = 0.0", "pass"),
    ("batch_intercept_sign", SGD, "Z[r, j] += b[j]", "Z[r, j] -= b[j]"),
    ("batch_intercept_grad_last_row", SGD, "g_b[j] += D[r, j]", "g_b[j] = D[r, j]"),
    (
        "sparse_batch_grad_overwrites",
        SGD,
        "G[columns[p], j] += x_p * D[r, j]",
        "G[columns[p], j] = x_p * D[r, j]",
    ),
    (
        "batch_hidden_delta_no_derivative",
        SGD,
        "below[r, i] *= A[r, i] * (1.0 - A[r, i])",
        "below[r, i] *= A[r, i]",
    ),
    (
        "batch_intercepts_penalised",
        SGD,
        "velocity, intercept_start, end, rule, n_rows, 0.0",
        "velocity, intercept_start, end, rule, n_rows, l2",
    ),
    (
        "last_batch_divided_by_full_size",
        SGD,
        "coef_start, intercept_start, rule, n_rows, l2",
        "coef_start, intercept_start, rule, size, l2",
    ),
    (
        "layout_unit_offsets",
        SGD,
        "unit_offsets[k + 1] = unit_offsets[k] + sizes[k + 1]",
        "unit_offsets[k + 1] = sizes[k + 1]",
    ),
    ("layout_intercepts_size", SGD, "offset += sizes[k + 1]", "offset += sizes[k]"),
    ("sample_l2_share_dropped", SGD, "l2 = rule.l2 * weight", "l2 = rule.l2"),
    (
        "batch_l2_share_dropped",
        SGD,
        "l2 = rule.l2 * (weight_sum / n_rows)",
        "l2 = rule.l2",
    ),
    ("batch_weight_sum_counts", SGD, "weight_sum += weights[r]", "weight_sum += 1.0"),
    # --- _visits.py: visits and the content order
    (
        "fractional_visit_weighs_one",
        VISITS,
        "visit_weights[last_visit[partial]] = fraction[partial]",
        "visit_weights[last_visit[partial]] = 1.0",
    ),
    (
        "fractional_visit_dropped",
        VISITS,
        "counts = whole + (fraction > 0)",
        "counts = whole",
    ),
    (
        "fractional_visit_first",
        VISITS,
        "last_visit = np.cumsum(counts) - 1",
        "last_visit = np.cumsum(counts) - counts",
    ),
    (
        "ties_ignore_targets",
        VISITS,
        "np.lexsort((tie_breakers, second[rows], target[rows], keys))",
        "np.lexsort((tie_breakers, second[rows], keys))",
    ),
    (
        "ties_undetected",
        VISITS,
        "if np.all(ordered[1:] > ordered[:-1]):",
        "if np.all(ordered[1:] >= ordered[:-1]):",
    ),
    (
        "sparse_keys_ignore_direction",
        VISITS,
        "key += inputs.data[p] * direction[inputs.indices[p]]",
        "key += inputs.data[p]",
    ),
    (
        "relative_weights_not_rescaled",
        VISITS,
        "return sample_weight / mean if mean < 1 else sample_weight",
        "return sample_weight",
    ),
    (
        "relative_weights_mean_with_zeros",
        VISITS,
        "mean = sample_weight[sample_weight > 0].mean()",
        "mean = sample_weight.mean()",
    ),
    # --- _training.py: the epoch loop, schedules and stopping
    ("t_counts_epochs", TRAINING, "state.t += data.visit_rows.size", "state.t += 1"),
    (
        "invscaling_off_by_one",
        TRAINING,
        "learning_rate_init / (t + 1) ** settings.power_t",
        "learning_rate_init / t ** settings.power_t",
    ),
    (
        "improvement_strict",
        TRAINING,
        "improved = loss <= state.best_loss - settings.tol",
        "improved = loss < state.best_loss - settings.tol",
    ),
    (
        "count_never_resets",
        TRAINING,
        "count = 0 if improved else state.no_improvement_count + 1",
        "count = state.no_improvement_count + (not improved)",
    ),
    (
        "patience_off_by_one",
        TRAINING,
        "if state.no_improvement_count > settings.n_iter_no_change:",
        "if state.no_improvement_count >= settings.n_iter_no_change:",
    ),
    (
        "validation_improvement_strict",
        TRAINING,
        "improved = score >= state.best_validation_score + settings.tol",
        "improved = score > state.best_validation_score + settings.tol",
    ),
    (
        "best_weights_not_restored",
        TRAINING,
        "state.params = state.best_params.copy()",
        "pass",
    ),
    (
        "best_loss_is_last",
        TRAINING,
        "state.best_loss = min(state.best_loss, loss)",
        "state.best_loss = loss",
    ),
    (
        "adaptive_divides_by_two",
        TRAINING,
        "state.learning_rate /= 5.0",
        "state.learning_rate /= 2.0",
    ),
    (
        "adaptive_floor",
        TRAINING,
        "state.learning_rate <= 1e-6",
        "state.learning_rate <= 1e-1",
    ),
    ("adaptive_count_kept", TRAINING, "state.no_improvement_count = 0", "pass"),
    (
        "l2_per_visit_count",
        TRAINING,
        "l2=settings.alpha / data.total_weight,",
        "l2=settings.alpha / data.visit_rows.size,",
    ),
    (
        "epoch_loss_full_penalty",
        TRAINING,
        "loss = (data_loss + 0.5 * settings.alpha * squared_norm)",
        "loss = (data_loss + settings.alpha * squared_norm)",
    ),
    ("n_iter_double", TRAINING, "state.n_iter += 1", "state.n_iter += 2"),
    (
        "never_shuffles",
        TRAINING,
        "order = rng.permutation(n_visits) if settings.shuffle else",
        "order = np.arange(n_visits) if settings.shuffle else",
    ),
    (
        "init_bound_too_wide",
        TRAINING,
        "bound = np.sqrt(2.0 / (fan_in + fan_out))",
        "bound = np.sqrt(6.0 / (fan_in + fan_out))",
    ),
    (
        "invscaling_restarts_at_warm_start",
        TRAINING,
        "learning_rate=_scheduled_rate(settings, t),",
        "learning_rate=settings.learning_rate_init,",
    ),
    # --- _restarts.py: restarts and the choice of the best
    (
        "restart_judged_by_first_loss",
        RESTARTS,
        "return self.state.loss_curve[-1]",
        "return self.state.loss_curve[0]",
    ),
    (
        "restart_judged_by_last_score",
        RESTARTS,
        "return self.state.best_validation_score",
        "return self.state.validation_scores[-1]",
    ),
    (
        "restart_pick_swapped",
        RESTARTS,
        "pick = np.nanargmax if early_stopping else np.nanargmin",
        "pick = np.nanargmin if early_stopping else np.nanargmax",
    ),
    (
        "restart_all_nan_check",
        RESTARTS,
        "if np.all(np.isnan(criteria)):",
        "if np.any(np.isnan(criteria)):",
    ),
    # --- _output_head.py: targets in, predictions out
    (
        "head_center_sign",
        HEAD,
        "center = low / 2 + high / 2",
        "center = low / 2 - high / 2",
    ),
    (
        "head_range_sign",
        HEAD,
        "half_range = high / 2 - low / 2",
        "half_range = high / 2 + low / 2",
    ),
    (
        "head_encode_sign",
        HEAD,
        "encoded = 0.5 + TARGET_HALF_RANGE",
        "encoded = 0.5 - TARGET_HALF_RANGE",
    ),
    (
        "head_reach_wider",
        HEAD,
        "reach = 1 / (2 * TARGET_HALF_RANGE)",
        "reach = 1 / TARGET_HALF_RANGE",
    ),
    (
        "head_log_loss_unclipped",
        HEAD,
        "encoded = np.clip(encoded, 0.0, 1.0)",
        "encoded = encoded",
    ),
    (
        "head_decode_scale",
        HEAD,
        "* half_range / TARGET_HALF_RANGE",
        "* half_range * TARGET_HALF_RANGE",
    ),
    (
        "head_range_over_all_rows",
        HEAD,
        "weighted = Y[sample_weight > 0]",
        "weighted = Y",
    ),
    (
        "head_binary_label_flipped",
        HEAD,
        "self.classes[(logits[:, 0] > 0).astype(int)]",
        "self.classes[(logits[:, 0] < 0).astype(int)]",
    ),
    (
        "head_multiclass_argmin",
        HEAD,
        "np.argmax(logits, axis=1)",
        "np.argmin(logits, axis=1)",
    ),
    (
        "head_multilabel_flipped",
        HEAD,
        "return (logits > 0).astype(int)",
        "return (logits < 0).astype(int)",
    ),
    (
        "head_binary_log_proba_swapped",
        HEAD,
        "np.hstack([log_expit(-logits), log_sigma])",
        "np.hstack([log_sigma, log_expit(-logits)])",
    ),
    (
        "head_softmax_of_logits",
        HEAD,
        "log_sigma - logsumexp(log_sigma, axis=1",
        "log_sigma - logsumexp(logits, axis=1",
    ),
    (
        "head_binary_proba_swapped",
        HEAD,
        "np.hstack([expit(-logits), expit(logits)])",
        "np.hstack([expit(logits), expit(-logits)])",
    ),
    (
        "head_no_stratification",
        HEAD,
        "return None if self.multilabel else y",
        "return None",
    ),
    (
        "head_two_labels_one_output",
        HEAD,
        "binary = len(self.classes) == 2 and not self.multilabel",
        "binary = len(self.classes) == 2",
    ),
]


def find_target(source_lines, substring):
    """Index of the one line holding ``substring`` (a line that is exactly the
    substring wins among several), or None if there is none or no single one."""
    hits = [i for i, line in enumerate(source_lines) if substring in line]
    if len(hits) > 1:
        hits = [i for i in hits if source_lines[i].strip() == substring.strip()]
    return hits[0] if len(hits) == 1 else None


def copy_repository(destination, source=REPO, cache_from=None):
    """The package and its tests from ``source``, without caches; with
    ``cache_from``, that copy's compiled cache files too (time stamps kept, so numba
    trusts them)."""
    if destination.exists():
        shutil.rmtree(destination)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc")
    destination.mkdir(parents=True)
    for name in ("sklearn_bp", "tests"):
        shutil.copytree(source / name, destination / name, ignore=ignore)
    shutil.copy2(source / "pyproject.toml", destination)
    if cache_from is not None:
        shutil.copytree(
            cache_from,
            destination / "sklearn_bp" / "__pycache__",
            ignore=shutil.ignore_patterns("*.pyc"),
            dirs_exist_ok=True,
        )


def tests_for(file, tests):
    """``tests`` with the ones most likely to catch a mutant of ``file`` first."""
    first = FIRST_TESTS.get(file)
    return sorted(tests, key=lambda test: test != first)


def run_tests(copy, tests, timeout, pytest_args=()):
    """'passed', 'failed', 'error' or 'timeout' for the tests in ``copy``."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    env.pop("NUMBA_CACHE_DIR", None)  # the cache lives in the copy
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    command += ["-o", "addopts=", *pytest_args, *tests]
    try:
        result = subprocess.run(
            command, cwd=copy, env=env, capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    return {0: "passed", 1: "failed"}.get(result.returncode, "error")


def check_copy_is_imported(copy):
    env = {**os.environ, "PYTHONPATH": str(copy)}
    found = subprocess.run(
        [sys.executable, "-c", "import sklearn_bp; print(sklearn_bp.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(copy.resolve()):
        sys.exit(f"The tests would import {found}, not the copy in {copy}.")


def apply(copy, file, substring, replacement):
    """Mutate the copy; returns the target's line number, or None if stale."""
    path = copy / "sklearn_bp" / file
    if not path.exists():
        return None
    lines = path.read_text().splitlines(keepends=True)
    index = find_target(lines, substring)
    if index is None:
        return None
    lines[index] = lines[index].replace(substring, replacement, 1)
    path.write_text("".join(lines))
    return index + 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of the mutants to run")
    parser.add_argument("--list", action="store_true", help="list the mutants")
    parser.add_argument("--timeout", type=float, default=600, help="seconds/mutant")
    parser.add_argument("--reuse-cache", action="store_true")
    parser.add_argument("--tests", nargs="*", default=TESTS)
    parser.add_argument("--pytest-args", default="", help='for example "-k fast"')
    args = parser.parse_args()
    mutants = [m for m in MUTANTS if not args.only or m[0] in args.only]
    options = (args.timeout, shlex.split(args.pytest_args))

    with tempfile.TemporaryDirectory(prefix="sklearn-bp-mutants-") as tmp:
        copy, cache = Path(tmp) / "repo", Path(tmp) / "cache"
        # The sources as they are now: edits made during the run do not leak in.
        pristine = Path(tmp) / "pristine"
        copy_repository(pristine)
        if args.list:
            copy_repository(copy)
            for name, file, substring, replacement in mutants:
                line = apply(copy, file, substring, substring)
                print(f"{name:36} {file}:{line if line else 'stale'}")
            return
        copy_repository(copy, pristine)
        check_copy_is_imported(copy)
        start = time.perf_counter()
        baseline = run_tests(copy, args.tests, *options)
        print(
            f"unmutated: {baseline} ({time.perf_counter() - start:.0f} s)", flush=True
        )
        if baseline != "passed":
            sys.exit("The tests fail without any mutation; fix them first.")
        shutil.copytree(copy / "sklearn_bp" / "__pycache__", cache)

        rows = []
        for name, file, substring, replacement in mutants:
            reuse = args.reuse_cache and file not in COMPILED_DEPENDENCIES
            copy_repository(copy, pristine, cache if reuse else None)
            line = apply(copy, file, substring, replacement)
            start = time.perf_counter()
            tests = tests_for(file, args.tests)
            outcome = "stale" if line is None else run_tests(copy, tests, *options)
            verdict = {"stale": "stale", "passed": "SURVIVED"}.get(outcome, "caught")
            where = f"{file}:{line if line else '-'}"
            rows.append((name, where, verdict))
            elapsed = time.perf_counter() - start
            print(f"{name:36} {where:20} {verdict:8} ({outcome}, {elapsed:.0f} s)")
            sys.stdout.flush()

    counted = [r for r in rows if r[2] != "stale"]
    caught = sum(r[2] == "caught" for r in counted)
    print(f"\n{'mutant':36} {'file:line':20} result")
    for name, where, verdict in rows:
        print(f"{name:36} {where:20} {verdict}")
    stale = len(rows) - len(counted)
    share = 100 * caught / max(len(counted), 1)
    print(f"\ncaught {caught} of {len(counted)} ({share:.0f}%), {stale} stale")


if __name__ == "__main__":
    main()
