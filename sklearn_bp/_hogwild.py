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

import threading

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

    The calling thread runs the first slice itself, then waits for the others. An
    exception in any thread is raised here once all threads have ended (the calling
    thread's first); so is a ``KeyboardInterrupt``, which Python delivers to the
    calling thread once its own slice is done, or while it waits.
    """
    if rule.batch_size != 1:
        raise ValueError("Parallel SGD takes per-sample steps only (batch_size=1).")
    slices = np.array_split(order, max(1, min(n_threads, order.size)))
    losses = [0.0] * len(slices)
    errors = []

    def run(i):
        losses[i] = _sgd._sample_epoch(
            inputs,
            Y,
            visit_rows,
            visit_weights,
            slices[i],
            params,
            velocity,
            layout,
            rule,
        )

    cancelled = False  # set when the calling thread fails: late threads then stop

    def work(i, begun, done):
        begun.set()
        try:
            if not cancelled:
                run(i)
        except BaseException as error:  # raised by the calling thread instead
            errors.append(error)
        finally:
            done.set()

    events = [(threading.Event(), threading.Event()) for _ in slices[1:]]
    workers = [
        threading.Thread(target=work, args=(i, begun, end), daemon=True)
        for i, (begun, end) in enumerate(events, start=1)
    ]
    # Every thread whose start() was called, even if an interrupt cut it short:
    # the thread may then be running, or may never have been launched.
    started = []
    try:
        for worker, (begun, end) in zip(workers, events):
            started.append((worker, begun, end))
            worker.start()
        run(0)
    except BaseException:
        cancelled = True
        raise
    finally:
        _wait_for_all(started)
    if errors:
        raise errors[0]
    return sum(losses)


#: Seconds to wait for a thread whose start() an interrupt cut short to begin: if
#: it does not, it was never launched.
LAUNCH_TIMEOUT = 5.0


def _wait_for_all(threads):
    """Wait until every thread given (with its begun and end events) has ended,
    even through Ctrl-C: an interrupt that arrives meanwhile is raised once they
    all have, so that no thread is left writing to the arrays after the epoch is
    over.

    A thread that has not begun within ``LAUNCH_TIMEOUT`` was never launched (an
    interrupt came before its start() launched it); one launched later still would
    find the epoch cancelled and return at once. The end event comes before the
    join: on Python 3.11 a ``Thread.join`` interrupted by Ctrl-C can mark a thread
    that is still running as ended. Once it is set the thread is returning, and the
    join that follows only waits for that.
    """
    interrupt = None
    for thread, begun, end in threads:
        while True:
            try:
                launched = begun.wait(LAUNCH_TIMEOUT)
                break
            except KeyboardInterrupt as caught:
                interrupt = caught
        if not launched:
            continue
        while not end.is_set():
            try:
                end.wait()
            except KeyboardInterrupt as caught:
                interrupt = caught
        while thread.is_alive():
            try:
                thread.join()
            except KeyboardInterrupt as caught:
                interrupt = caught
    if interrupt is not None:
        raise interrupt
