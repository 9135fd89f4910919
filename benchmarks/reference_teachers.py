"""Compare pedagogy's continuous teachers with the teachDeepRL reference implementations.

Usage::

    git clone https://github.com/flowersteam/teachDeepRL /tmp/teachDeepRL
    pip install treelib          # the reference RIAC needs it (scikit-learn is already a dependency)
    python benchmarks/reference_teachers.py --reference-dir /tmp/teachDeepRL

Two measurements, same seeds and budgets for both implementations:

1. **Speed**: microseconds per ``sample_task`` + ``update`` episode of the
   reference ALP-GMM, Covar-GMM and RIAC on a 2-D unit box, next to
   ``propose`` + ``observe`` of ``alp-gmm``, ``covar-gmm`` and ``riac``
   (all refits included) with this library's defaults and, where some
   default departs from the paper, with ``preset="paper"``; and the ratios
   reference / ours.  The score is a cheap synthetic reward so the learner
   costs nothing.  Times are CPU time of this process
   (``time.process_time``) with BLAS/OpenMP limited to one thread, so other
   jobs on a shared machine blur them less than wall time.
2. **Quality**: mastered fraction of the ``grid-2d`` scenario
   (:mod:`pedagogy.sim.grid`, the ALP-GMM paper's toy environment) after
   ``--grid-episodes`` episodes, per seed, side by side: the reference
   teacher, ours with ``preset="paper"`` (every option at the paper's
   setting: this row should match the reference's mastery), ours with the
   defaults (only for teachers whose defaults depart from the paper), and
   uniform random sampling.

The reference code is only imported from ``--reference-dir`` (inserted in
``sys.path``); nothing of it is copied into pedagogy.  It imports
``gym.spaces.Box``: when ``gym`` is not installed a minimal stand-in module is
registered (``Box`` with ``low``, ``high``, ``sample`` drawing from the global
``np.random`` that the reference seeds, and ``contains``).  Its RIAC imports
``treelib``; without it RIAC is skipped with a message.
"""

from __future__ import annotations

import argparse
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pedagogy import sim, spaces, teachers

TEACHERS = [("ALP-GMM", "alp-gmm"), ("Covar-GMM", "covar-gmm"), ("RIAC", "riac")]


def _install_gym_stub() -> None:
    """Register a tiny ``gym.spaces.Box`` if gym is absent (the reference needs only these members)."""
    try:
        import gym.spaces

        return
    except ImportError:
        pass

    class Box:
        def __init__(self, low: Any, high: Any, dtype: Any = np.float32):
            self.dtype = dtype
            self.low = np.array(low, dtype=dtype)
            self.high = np.array(high, dtype=dtype)
            self.shape = self.low.shape

        def sample(self) -> np.ndarray:
            return np.random.uniform(self.low, self.high).astype(self.dtype)

        def contains(self, x: Any) -> bool:
            x = np.asarray(x)
            return x.shape == self.shape and bool(np.all(x >= self.low) and np.all(x <= self.high))

        def seed(self, seed: Any = None) -> None:
            pass

    gym = types.ModuleType("gym")
    gym_spaces = types.ModuleType("gym.spaces")
    gym_spaces.Box = Box  # type: ignore[attr-defined]
    gym.spaces = gym_spaces  # type: ignore[attr-defined]
    sys.modules["gym"] = gym
    sys.modules["gym.spaces"] = gym_spaces


def _reference_classes(ref_dir: Path) -> dict[str, Callable[..., Any] | None]:
    if not (ref_dir / "teachDRL" / "teachers" / "algos").is_dir():
        raise SystemExit(f"{ref_dir} does not look like a teachDeepRL checkout (no teachDRL/teachers/algos)")
    sys.path.insert(0, str(ref_dir))
    _install_gym_stub()
    from teachDRL.teachers.algos.alp_gmm import ALPGMM
    from teachDRL.teachers.algos.covar_gmm import CovarGMM

    classes: dict[str, Callable[..., Any] | None] = {"ALP-GMM": ALPGMM, "Covar-GMM": CovarGMM, "RIAC": None}
    try:
        from teachDRL.teachers.algos.riac import RIAC

        classes["RIAC"] = RIAC
    except ImportError as exc:
        print(f"  (reference RIAC skipped: {exc}; `pip install treelib` to include it)")
    return classes


# ------------------------------------------------------------------ speed
def _time_reference(cls: Callable[..., Any], episodes: int, seed: int) -> float:
    teacher = cls([0.0, 0.0], [1.0, 1.0], seed=seed + 1)  # the reference treats seed 0 as "no seed"
    noise = np.random.default_rng(seed).random(episodes)
    start = time.process_time()
    for i in range(episodes):
        task = teacher.sample_task()
        teacher.update(np.array(task), float(0.5 * task[0] + 0.5 * noise[i]))
    return (time.process_time() - start) / episodes * 1e6


def _time_ours(name: str, episodes: int, seed: int, preset: str | None = None) -> float:
    teacher = teachers.make(name, spaces.Box([0.0, 0.0], [1.0, 1.0]), seed=seed, preset=preset)
    noise = np.random.default_rng(seed).random(episodes)
    start = time.process_time()
    for i in range(episodes):
        task = teacher.propose()
        teacher.observe(task, float(0.5 * task[0] + 0.5 * noise[i]))
    return (time.process_time() - start) / episodes * 1e6


# ---------------------------------------------------------------- quality
def _grid_reference(cls: Callable[..., Any], seed: int, episodes: int, scenario: str) -> float:
    learner = sim.make(scenario, seed)
    teacher = cls([0.0] * learner.space.ndim, [1.0] * learner.space.ndim, seed=seed + 1)
    for _ in range(episodes):
        task = np.asarray(teacher.sample_task(), dtype=float)
        task = np.clip(task, learner.space.low, learner.space.high)  # float32 rounding can step outside
        teacher.update(task, learner.practice(task))
    return learner.evaluate()["mastered_fraction"]


def _grid_ours(name: str, seed: int, episodes: int, scenario: str, preset: str | None = None) -> float:
    learner = sim.make(scenario, seed)
    teacher = teachers.make(name, learner.space, seed=seed, preset=preset)
    for _ in range(episodes):
        task = teacher.propose()
        teacher.observe(task, learner.practice(task))
    return learner.evaluate()["mastered_fraction"]


def _variants(name: str) -> list[tuple[str, str | None]]:
    """Our runs of a teacher: the paper preset, then the defaults where they differ from it."""
    if teachers.get(name).paper_departures():
        return [("paper", "paper"), ("default", None)]
    return [("paper=default", None)]


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reference-dir", required=True, type=Path, help="local checkout of flowersteam/teachDeepRL")
    p.add_argument("--speed-episodes", type=int, default=20_000, help="episodes per speed measurement (default 20000)")
    p.add_argument("--grid-episodes", type=int, default=20_000, help="episodes per grid run (default 20000, the paper's)")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds for the grid runs")
    p.add_argument("--scenario", default="grid-2d", help="pedagogy.sim scenario (default grid-2d)")
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument("--skip-grid", action="store_true")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    ref = _reference_classes(args.reference_dir.resolve())
    # One BLAS/OpenMP thread for both implementations: scikit-learn's k-means
    # otherwise spawns threads that dominate (and blur) per-episode timings.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)

    if not args.skip_speed:
        print(f"\nSpeed on a 2-D box, {args.speed_episodes} episodes (us per propose+observe, refits included)")
        print(f"{'teacher':<10} {'ours as':<15} {'reference':>10} {'pedagogy':>10} {'ratio':>7}")
        for label, name in TEACHERS:
            cls = ref[label]
            theirs = _time_reference(cls, args.speed_episodes, 0) if cls is not None else None
            for variant, preset in _variants(name):
                ours = _time_ours(name, args.speed_episodes, 0, preset)
                ref_col = f"{theirs:>10.1f}" if theirs is not None else f"{'-':>10}"
                ratio = f"{theirs / ours:>6.1f}x" if theirs is not None else f"{'-':>7}"
                print(f"{label:<10} {variant:<15} {ref_col} {ours:>10.1f} {ratio}")
                sys.stdout.flush()

    if not args.skip_grid:
        print(f"\nMastered fraction on {args.scenario!r} after {args.grid_episodes} episodes, seeds {seeds}")
        print(f"{'teacher':<10} {'run':<24} {'mean':>6}  per seed")
        rnd = [_grid_ours("random", s, args.grid_episodes, args.scenario) for s in seeds]
        print(f"{'random':<10} {'pedagogy':<24} {np.mean(rnd):>6.3f}  {_fmt(rnd)}")
        for label, name in TEACHERS:
            cls = ref[label]
            if cls is None:
                print(f"{label:<10} {'reference':<24} {'-':>6}  (not available)")
            else:
                theirs = [_grid_reference(cls, s, args.grid_episodes, args.scenario) for s in seeds]
                print(f"{label:<10} {'reference':<24} {np.mean(theirs):>6.3f}  {_fmt(theirs)}")
            sys.stdout.flush()
            for variant, preset in _variants(name):
                ours = [_grid_ours(name, s, args.grid_episodes, args.scenario, preset) for s in seeds]
                print(f"{label:<10} {'pedagogy ' + variant:<24} {np.mean(ours):>6.3f}  {_fmt(ours)}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
