"""ADR, SPDL and Goal GAN on the grid scenarios, at their defaults and started from the easy corner.

The benchmark runs every teacher at its defaults.  ADR and SPDL were
designed to start from expert knowledge: a nominal task (ADR) or an initial
distribution on easy tasks (SPDL).  The grid scenarios unlock from the
box's lower corner, so this script also runs ``adr`` with ``initial="low"``
and ``spdl`` with its initial mean at the first cube's centre
(``initial_mean=[0.05, ...]``), and prints the final ``mastered_fraction``
next to ``random``'s.

Usage::

    python benchmarks/expert_start.py                      # grid-2d, 3 seeds, 6,000 episodes
    python benchmarks/expert_start.py --scenario fast-learner --seeds 2 --episodes 3000
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from pedagogy import sim, teachers


def _variants(ndim: int) -> list[tuple[str, str, dict[str, Any]]]:
    corner = [0.05] * ndim
    return [
        ("random", "random", {}),
        ("adr", "adr", {}),
        ("adr initial=low", "adr", {"initial": "low"}),
        ("spdl", "spdl", {}),
        ("spdl initial_mean=corner", "spdl", {"initial_mean": corner}),
        ("goal-gan", "goal-gan", {}),
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="grid-2d")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--episodes", type=int, default=6000)
    args = ap.parse_args(argv)
    scenario = sim.get_scenario(args.scenario)
    ndim = scenario.factory(0).space.ndim
    print(f"{args.scenario}: final {scenario.metric} after {args.episodes} episodes, mean ± std over {args.seeds} seeds")
    for label, name, options in _variants(ndim):
        finals, t0 = [], time.perf_counter()
        for seed in range(args.seeds):
            learner = scenario.factory(seed)
            teacher = teachers.make(name, learner.space, seed=seed, **options)
            for _ in range(args.episodes):
                x = teacher.propose()
                teacher.observe(x, learner.practice(x))
            finals.append(learner.evaluate()[scenario.metric])
        secs = (time.perf_counter() - t0) / args.seeds
        print(f"  {label:28s} {np.mean(finals):.3f} ± {np.std(finals):.3f}   {secs:5.1f} s/run")


if __name__ == "__main__":
    main()
