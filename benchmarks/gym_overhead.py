"""Overhead of pedagogy.gym on a vector env: CartPole steps/s with and without the teacher.

Three ``AsyncVectorEnv`` s of 8 ``CartPole-v1`` sub-environments, stepped with
random actions (short episodes, about 22 steps: the worst case for the
wrapper, which works at episode boundaries): plain, and through
``make_vector_env`` with the ``random`` and the ``alp-gmm`` teacher choosing
the pole length and push force (within +-20 % of CartPole's own, so that
episodes last about as long as in the plain env; the episode counts are
printed).  The arms are stepped in alternating chunks (the same actions, the
arms in a new random order every chunk) because the machine may be shared;
the table gives the median chunk's wall-clock rate, the median over chunks of
each arm's slowdown against the plain env in the same chunk (with its
interquartile range), and the CPU time of all the processes (main and
workers) per env step.  A second plain env, ``plain (control)``, measures
the noise floor: with 8 worker processes on 2 cores, two identical envs
differ by several per cent.  Target: at most 5 % slower than the plain env.

    python benchmarks/gym_overhead.py                     # 15 chunks of 1,000 vector steps per arm
    python benchmarks/gym_overhead.py --chunks 2 --steps 200   # a smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from typing import Any

import gymnasium
import numpy as np
import psutil

from pedagogy import spaces, teachers
from pedagogy.gym import make_vector_env

SPACE = spaces.Box([0.4, 8.0], [0.6, 12.0], names=["pole_half_length", "force_mag"])
ARMS = ["plain", "plain (control)", "random", "alp-gmm"]
TEACHER_ARMS = ["random", "alp-gmm"]


def set_cartpole_task(env: gymnasium.Env, task: Any) -> None:
    """Apply (pole half-length, push force) to a CartPole."""
    cp = env.unwrapped
    cp.length = float(task[0])
    cp.polemass_length = cp.masspole * cp.length
    cp.force_mag = float(task[1])


def make_cartpole() -> gymnasium.Env:
    return gymnasium.make("CartPole-v1")


def build(arm: str, num_envs: int, mode: str = "async") -> Any:
    if arm.startswith("plain"):
        cls = gymnasium.vector.AsyncVectorEnv if mode == "async" else gymnasium.vector.SyncVectorEnv
        return cls([make_cartpole] * num_envs)
    teacher = teachers.make(arm, SPACE, seed=0)
    return make_vector_env(
        make_cartpole, num_envs, teacher, vectorization_mode=mode, set_task=set_cartpole_task, return_bounds=(0.0, 500.0)
    )


def in_process_cost(num_envs: int, steps: int, chunks: int) -> dict[str, float]:
    """CPU µs per vector step of each arm on a SyncVectorEnv (one process, no IPC): the wrapper's own work."""
    arms = ["plain", *TEACHER_ARMS]
    envs = {arm: build(arm, num_envs, "sync") for arm in arms}
    rng = np.random.default_rng(1)
    cost: dict[str, list[float]] = {a: [] for a in arms}
    for e in envs.values():
        e.reset(seed=0)
    for _ in range(chunks):
        actions = rng.integers(0, 2, size=(steps, num_envs))
        for arm, e in envs.items():
            t0 = time.process_time()
            for a in actions:
                e.step(a)
            cost[arm].append(1e6 * (time.process_time() - t0) / steps)
    for e in envs.values():
        e.close()
    return {a: statistics.median(c) for a, c in cost.items()}


def cpu_seconds(envs: Any) -> float:
    """CPU time so far of this process and of the vector env's worker processes."""
    own = psutil.Process().cpu_times()
    total = own.user + own.system
    for p in envs.unwrapped.processes:
        t = psutil.Process(p.pid).cpu_times()
        total += t.user + t.system
    return total


def chunk(envs: Any, actions: np.ndarray) -> tuple[float, float, int]:
    """Step through ``actions``; return (env steps/s, CPU µs per env step, finished episodes)."""
    done = 0
    c0 = cpu_seconds(envs)
    t0 = time.perf_counter()
    for a in actions:
        _, _, term, trunc, _ = envs.step(a)
        done += int((term | trunc).sum())
    wall = time.perf_counter() - t0
    steps = len(actions) * envs.num_envs
    return steps / wall, 1e6 * (cpu_seconds(envs) - c0) / steps, done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000, help="vector steps per chunk")
    ap.add_argument("--chunks", type=int, default=15, help="chunks per arm (alternating)")
    ap.add_argument("--num-envs", type=int, default=8)
    args = ap.parse_args()
    envs = {arm: build(arm, args.num_envs) for arm in ARMS}
    rng = np.random.default_rng(0)
    rates: dict[str, list[float]] = {a: [] for a in ARMS}
    cpu: dict[str, list[float]] = {a: [] for a in ARMS}
    episodes = dict.fromkeys(ARMS, 0)
    try:
        for arm in ARMS:
            envs[arm].reset(seed=0)
        for _ in range(args.chunks):
            actions = rng.integers(0, 2, size=(args.steps, args.num_envs))
            for i in rng.permutation(len(ARMS)):  # the same actions for every arm, in a new order
                arm = ARMS[i]
                r, c, d = chunk(envs[arm], actions)
                rates[arm].append(r)
                cpu[arm].append(c)
                episodes[arm] += d
        stats = {arm: envs[arm].feeder.stats() for arm in TEACHER_ARMS}
    finally:
        for e in envs.values():
            e.close()
    print(
        f"`python benchmarks/gym_overhead.py --steps {args.steps} --chunks {args.chunks}`: AsyncVectorEnv of "
        f"{args.num_envs} CartPole-v1, random actions, {args.chunks} alternating chunks of {args.steps} vector steps "
        f"per arm (Python {platform.python_version()}, gymnasium {gymnasium.__version__}, {os.cpu_count()} CPUs)\n"
    )
    print(
        "| arm | env steps/s (median chunk) | slower than plain (median of chunks) | interquartile range "
        "| CPU µs per env step (all processes) | CPU: more than plain | episodes | teacher refills |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    base_cpu = statistics.median(cpu["plain"])
    for arm in ARMS:
        med, c = statistics.median(rates[arm]), statistics.median(cpu[arm])
        if arm == "plain":
            print(f"| plain AsyncVectorEnv | {med:,.0f} | — | — | {c:.1f} | — | {episodes[arm]:,} | — |")
            continue
        slow = [100 * (1 - r / b) for r, b in zip(rates[arm], rates["plain"])]
        q1, q2, q3 = statistics.quantiles(slow, n=4)
        label = "plain AsyncVectorEnv (control)" if arm.startswith("plain") else f"make_vector_env + `{arm}`"
        refills = f"{stats[arm]['refills']:,}" if arm in stats else "—"
        print(
            f"| {label} | {med:,.0f} | {statistics.median(slow):.1f} % | {q1:.1f} to {q3:.1f} % | {c:.1f} "
            f"| {100 * (c / base_cpu - 1):.1f} % | {episodes[arm]:,} | {refills} |"
        )
    sync = in_process_cost(args.num_envs, args.steps, args.chunks)
    print(f"\nThe same arms on a SyncVectorEnv (one process, CPU time, median of {args.chunks} chunks): the wrapper's own work\n")
    print("| arm | CPU µs per vector step | added per vector step |")
    print("|---|---:|---:|")
    for arm in sync:
        added = "—" if arm == "plain" else f"{sync[arm] - sync['plain']:.1f} µs"
        print(f"| {arm} | {sync[arm]:.1f} | {added} |")
    print(f"\nload average during the run: {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} CPUs")
    print("target: at most 5 % slower than plain")


if __name__ == "__main__":
    main()
