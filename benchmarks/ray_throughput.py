"""Observations per second through a RemoteTeacher (a teacher in a Ray actor).

A local Ray cluster with 2 CPUs; a driver (and, in the second setting, two
Ray tasks at once) sends ``--n`` observations through ``RemoteTeacher.observe``
(buffered, ``flush_every`` per call to the actor), then ``flush()`` waits
until the actor has applied all of them.  The clock covers everything from
the first ``observe`` to the end of the ``flush`` (Ray worker processes are
started by a warm-up round first).  Target: >= 20,000
observations/s on 2 cores.

    python benchmarks/ray_throughput.py
    python benchmarks/ray_throughput.py --n 20000 --teachers random   # a smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import ray

from pedagogy import spaces, teachers
from pedagogy.ray import RemoteTeacher

SPACE = spaces.Discrete(100)


def send(teacher: RemoteTeacher, n: int, seed: int) -> float:
    """Observe ``n`` outcomes and flush; return the seconds it took."""
    rng = np.random.default_rng(seed)
    tasks = [int(x) for x in rng.integers(0, SPACE.n, n)]
    scores = [float(x) for x in rng.random(n)]
    t0 = time.perf_counter()
    for t, s in zip(tasks, scores):
        teacher.observe(t, s)
    teacher.flush()
    return time.perf_counter() - t0


@ray.remote
def worker(teacher: RemoteTeacher, n: int, seed: int) -> float:
    return send(teacher, n, seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="observations per setting")
    ap.add_argument("--flush-every", type=int, default=1000)
    ap.add_argument("--teachers", default="random,lp,plr,sec")
    args = ap.parse_args()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    rows = []
    try:
        for name in args.teachers.split(","):
            remote = RemoteTeacher(teachers.make(name, SPACE, seed=0), flush_every=args.flush_every)
            send(remote, 2000, seed=99)  # warm-up
            one = args.n / send(remote, args.n, seed=0)
            ray.get([worker.remote(remote, 1000, seed=s) for s in (3, 4)])  # warm-up: worker processes start
            t0 = time.perf_counter()
            ray.get([worker.remote(remote, args.n // 2, seed=s) for s in (1, 2)])
            two = args.n / (time.perf_counter() - t0)
            assert remote.n_observed == 4000 + 2 * args.n - args.n % 2  # nothing lost
            rows.append((name, one, two))
            remote.close()
    finally:
        ray.shutdown()
    print(
        f"`python benchmarks/ray_throughput.py --n {args.n} --flush-every {args.flush_every}`: local Ray {ray.__version__} "
        f"cluster, num_cpus=2, {os.cpu_count()} CPUs, Python {platform.python_version()}, teacher on Discrete(100)\n"
    )
    print("| teacher | observations/s, 1 client (driver) | observations/s, 2 Ray tasks at once | target >= 20,000/s |")
    print("|---|---:|---:|---|")
    for name, one, two in rows:
        ok = "met" if min(one, two) >= 20_000 else "missed"
        print(f"| `{name}` | {one:,.0f} | {two:,.0f} | {ok} |")


if __name__ == "__main__":
    main()
