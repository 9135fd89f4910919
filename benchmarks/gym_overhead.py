"""Overhead of pedagogy.gym on a vector env: CartPole steps/s with and without the teacher, side by side.

``AsyncVectorEnv`` s of 8 ``CartPole-v1`` sub-environments, stepped with
random actions (short episodes, about 22 steps: the worst case for the
wrapper, which works at episode boundaries): the plain env, a second plain
env (``plain (control)``: the noise floor of the measurement), and
``make_vector_env`` with each teacher of ``--teachers`` choosing the pole
length and push force (within +-20 % of CartPole's own, so that episodes last
about as long as in the plain env; the episode counts are printed).

The machine may be shared, so the arms are measured in many short blocks of
``--steps`` vector steps, interleaved: every round runs each arm once on the
same actions, in a new random order, and each teacher arm's block is divided
by the plain env's block of the same round.  The table gives the median of
these per-round ratios, its interquartile range and a bootstrap 95 %
confidence interval of the median, the median block's rate, and the CPU time
per env step of all the processes (the main one and the workers, from
``/proc/<pid>/schedstat``, nanosecond resolution, when it exists).  The
machine's load (``uptime``) before and after the run is printed with it.
Target: at most 5 % slower than the plain env.

    python benchmarks/gym_overhead.py                          # 80 rounds of 200 vector steps
    python benchmarks/gym_overhead.py --teachers random,alp-gmm
    python benchmarks/gym_overhead.py --rounds 3 --steps 50    # a smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import time
from typing import Any

import gymnasium
import numpy as np

from pedagogy import spaces, teachers
from pedagogy.gym import make_vector_env

SPACE = spaces.Box([0.4, 8.0], [0.6, 12.0], names=["pole_half_length", "force_mag"])
PLAIN, CONTROL = "plain", "plain (control)"


def set_cartpole_task(env: gymnasium.Env, task: Any) -> None:
    """Apply (pole half-length, push force) to a CartPole."""
    cp = env.unwrapped
    cp.length = float(task[0])
    cp.polemass_length = cp.masspole * cp.length
    cp.force_mag = float(task[1])


def make_cartpole() -> gymnasium.Env:
    return gymnasium.make("CartPole-v1")


def build(arm: str, num_envs: int, mode: str = "async") -> Any:
    if arm in (PLAIN, CONTROL):
        cls = gymnasium.vector.AsyncVectorEnv if mode == "async" else gymnasium.vector.SyncVectorEnv
        return cls([make_cartpole] * num_envs)
    teacher = teachers.make(arm, SPACE, seed=0)
    return make_vector_env(
        make_cartpole, num_envs, teacher, vectorization_mode=mode, set_task=set_cartpole_task, return_bounds=(0.0, 500.0)
    )


def uptime() -> str:
    """The ``uptime`` line (the load averages), or the load averages alone where there is no ``uptime``."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        one, five, fifteen = os.getloadavg()
        return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def _cpu_of(pid: int) -> float:
    """CPU seconds a process has run so far (``/proc/<pid>/schedstat``: nanoseconds; else ``ps``-grade ticks)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) * 1e-9
    except OSError:
        import psutil

        t = psutil.Process(pid).cpu_times()
        return float(t.user + t.system)


def cpu_seconds(envs: Any) -> float:
    """CPU time so far of this process and of the vector env's worker processes."""
    return _cpu_of(os.getpid()) + sum(_cpu_of(p.pid) for p in envs.unwrapped.processes)


def block(envs: Any, actions: np.ndarray) -> tuple[float, float, int]:
    """Step through ``actions``; return (wall seconds, CPU seconds of all processes, finished episodes)."""
    done = 0
    c0 = cpu_seconds(envs)
    t0 = time.perf_counter()
    for a in actions:
        _, _, term, trunc, _ = envs.step(a)
        done += int((term | trunc).sum())
    wall = time.perf_counter() - t0
    return wall, cpu_seconds(envs) - c0, done


def median_ci(x: np.ndarray, rng: np.random.Generator, n: int = 2000) -> tuple[float, float]:
    """A bootstrap 95 % confidence interval of the median of ``x``."""
    meds = np.median(rng.choice(x, size=(n, len(x))), axis=1)
    lo, hi = np.percentile(meds, [2.5, 97.5])
    return float(lo), float(hi)


def in_process_cost(arms: list[str], num_envs: int, steps: int, rounds: int) -> dict[str, float]:
    """CPU µs per vector step of each arm on a SyncVectorEnv (one process, no IPC): the wrapper's own work."""
    envs = {arm: build(arm, num_envs, "sync") for arm in arms}
    rng = np.random.default_rng(1)
    cost: dict[str, list[float]] = {a: [] for a in arms}
    for e in envs.values():
        e.reset(seed=0)
    for _ in range(rounds):
        actions = rng.integers(0, 2, size=(steps, num_envs))
        for arm, e in envs.items():
            t0 = time.process_time()
            for a in actions:
                e.step(a)
            cost[arm].append(1e6 * (time.process_time() - t0) / steps)
    for e in envs.values():
        e.close()
    return {a: statistics.median(c) for a, c in cost.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200, help="vector steps per block")
    ap.add_argument("--rounds", type=int, default=80, help="rounds (each runs every arm once, in a random order)")
    ap.add_argument("--num-envs", type=int, default=8)
    ap.add_argument("--teachers", default="random", help="comma-separated teachers, each an arm (default: random)")
    ap.add_argument("--no-sync", action="store_true", help="skip the one-process (SyncVectorEnv) table")
    args = ap.parse_args()
    teacher_arms = [t for t in args.teachers.split(",") if t]
    arms = [PLAIN, CONTROL, *teacher_arms]
    load_before = uptime()
    envs = {arm: build(arm, args.num_envs) for arm in arms}
    rng = np.random.default_rng(0)
    wall: dict[str, list[float]] = {a: [] for a in arms}
    cpu: dict[str, list[float]] = {a: [] for a in arms}
    episodes = dict.fromkeys(arms, 0)
    try:
        for arm in arms:
            envs[arm].reset(seed=0)
        for _ in range(args.rounds):
            actions = rng.integers(0, 2, size=(args.steps, args.num_envs))
            for i in rng.permutation(len(arms)):  # the same actions for every arm, in a new order
                w, c, d = block(envs[arms[i]], actions)
                wall[arms[i]].append(w)
                cpu[arms[i]].append(c)
                episodes[arms[i]] += d
        stats = {arm: envs[arm].feeder.stats() for arm in teacher_arms}
    finally:
        for e in envs.values():
            e.close()
    load_after = uptime()
    env_steps = args.steps * args.num_envs
    print(
        f"`python benchmarks/gym_overhead.py --steps {args.steps} --rounds {args.rounds} --teachers {args.teachers}`: "
        f"AsyncVectorEnv of {args.num_envs} CartPole-v1, random actions, {args.rounds} interleaved rounds of "
        f"{args.steps} vector steps per arm (Python {platform.python_version()}, gymnasium {gymnasium.__version__}, "
        f"{os.cpu_count()} CPUs)\n"
    )
    print(f"- uptime before: `{load_before}`\n- uptime after: `{load_after}`\n")
    print(
        "| arm | env steps/s (median block) | time / plain's, same round (median) | interquartile range "
        "| 95 % CI of the median | CPU µs per env step (all processes) | CPU / plain's | episodes | teacher refills |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    base_wall, base_cpu = np.array(wall[PLAIN]), np.array(cpu[PLAIN])
    ci_rng = np.random.default_rng(2)
    for arm in arms:
        w, c = np.array(wall[arm]), np.array(cpu[arm])
        rate = env_steps / float(np.median(w))
        cpu_us = 1e6 * float(np.median(c)) / env_steps
        label = {PLAIN: "plain AsyncVectorEnv", CONTROL: "plain AsyncVectorEnv (control)"}.get(arm, f"make_vector_env + `{arm}`")
        if arm == PLAIN:
            print(f"| {label} | {rate:,.0f} | 1 | — | — | {cpu_us:.1f} | 1 | {episodes[arm]:,} | — |")
            continue
        ratio = w / base_wall
        q1, q2, q3 = np.percentile(ratio, [25, 50, 75])
        lo, hi = median_ci(ratio, ci_rng)
        cpu_ratio = float(np.median(c / base_cpu))
        refills = f"{stats[arm]['refills']:,}" if arm in stats else "—"
        print(
            f"| {label} | {rate:,.0f} | {q2:.3f} | {q1:.3f} to {q3:.3f} | {lo:.3f} to {hi:.3f} | {cpu_us:.1f} "
            f"| {cpu_ratio:.3f} | {episodes[arm]:,} | {refills} |"
        )
    if not args.no_sync:
        sync_arms = [PLAIN, *teacher_arms]
        sync = in_process_cost(sync_arms, args.num_envs, args.steps, min(args.rounds, 20))
        print(
            f"\nThe same arms on a SyncVectorEnv (one process, CPU time, median of {min(args.rounds, 20)} blocks): the wrapper's own work\n"
        )
        print("| arm | CPU µs per vector step | added per vector step |")
        print("|---|---:|---:|")
        for arm, us in sync.items():
            added = "—" if arm == PLAIN else f"{us - sync[PLAIN]:.1f} µs"
            print(f"| {arm} | {us:.1f} | {added} |")
    print("\ntarget: at most 5 % slower than plain (a ratio of at most 1.05)")


if __name__ == "__main__":
    main()
