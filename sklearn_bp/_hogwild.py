"""Lock-free parallel per-sample SGD over shared weights (Hogwild).

Recht, Re, Wright and Niu (2011): several threads take per-sample steps at once on
one parameter vector, without locks. A thread may read weights that another is
halfway through changing, and two writes to one weight may race so that one of them
is lost; on problems where each step changes a small part of the weights, SGD
converges as it does sequentially, and on dense ones it is noisier. The compiled
epoch ``_sgd._sample_epoch`` releases the GIL, so each thread runs its own share of
the epoch's visit order through it, on the same ``params`` and ``velocity``.

The order is split into contiguous slices: every visit is taken once, and each
thread keeps the shuffled order of its slice. The caller trains copies of the
parameters (see ``_training._run_one_epoch``), so an exception or an interrupt
leaves its state as it was; every thread has ended before this function returns or
raises.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _sgd


def parallel_sample_epoch(
    inputs,
    Y,
    visit_rows,
    visit_weights,
    order,
    params,
    velocity,
    layout,
    rule,
    n_threads,
):
    """Per-sample SGD over the visits in ``order`` on ``n_threads`` threads at once,
    all updating ``params`` and ``velocity`` in place; returns the weighted sum of
    the visits' losses, as ``_sgd.run_epoch`` does.

    The calling thread runs the first slice itself. An exception in any thread is
    raised here once all threads have ended (the calling thread's first); so is a
    ``KeyboardInterrupt``, which Python delivers to the calling thread once its own
    slice is done.
    """
    if rule.batch_size != 1:
        raise ValueError("Parallel SGD takes per-sample steps only (batch_size=1).")
    slices = np.array_split(order, max(1, min(n_threads, order.size)))

    def run(part):
        return _sgd._sample_epoch(
            inputs, Y, visit_rows, visit_weights, part, params, velocity, layout, rule
        )

    # Leaving the ``with`` block joins the workers, also when ``run`` raises.
    with ThreadPoolExecutor(max_workers=len(slices) - 1 or 1) as pool:
        others = [pool.submit(run, part) for part in slices[1:]]
        loss = run(slices[0])
        return loss + sum(future.result() for future in others)
