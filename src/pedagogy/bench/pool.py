"""Running many :class:`~pedagogy.bench.plan.RunSpec` in this process or in a pool of worker processes, with the progress bar.

Runs are independent and fully seeded, so the pool only changes how long
the benchmark takes, never its numbers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from pedagogy.bench.loop import run_one
from pedagogy.bench.plan import RunSpec
from pedagogy.progress import ProgressBar

__all__ = ["default_jobs", "execute"]


def default_jobs() -> int:
    """Number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _worker_init() -> None:
    # Libraries a worker imports later (e.g. torch inside a learner) start
    # single-threaded; those already loaded are limited by loop.limit_threads.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"


def execute(specs: Sequence[RunSpec], n_jobs: int, progress: bool, on_error: str) -> list[dict[str, Any]]:
    """Run every spec (in this process when ``n_jobs == 1``); outputs in completion order.

    ``on_error="raise"`` raises a ``RuntimeError`` at the first run that
    failed; ``"record"`` keeps its ``error`` in the output.
    """
    bar = ProgressBar(len(specs), title="bench", enabled=progress)
    outputs: list[dict[str, Any]] = []

    def done(out: dict[str, Any]) -> None:
        if on_error == "raise" and "error" in out:
            raise RuntimeError(
                f"{out['teacher']} on {out['scenario']} (seed {out['seed_index']}) failed: {out['error']}\n{out['traceback']}"
            )
        outputs.append(out)
        bar.advance(f"{out['scenario']} / {out['teacher']}")

    try:
        if n_jobs == 1 or len(specs) <= 1:
            bar.start()
            for spec in specs:
                done(run_one(spec))
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            # fork: workers inherit the registries (scenarios or teachers
            # registered at run time, e.g. in tests); spawn where fork is missing.
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            ctx = mp.get_context(method)
            with ProcessPoolExecutor(max_workers=min(n_jobs, len(specs)), mp_context=ctx, initializer=_worker_init) as pool:
                futures = [pool.submit(run_one, spec) for spec in specs]
                # start the progress display (a thread) only after the workers were forked
                bar.start()
                try:
                    for fut in as_completed(futures):
                        done(fut.result())
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
    finally:
        bar.stop()
    return outputs
