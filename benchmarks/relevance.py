"""ALP-GMM with and without per-dimension relevance (``relevance_alpha``), on grids with and without irrelevant parameters.

``alp-gmm`` at its defaults (``relevance_alpha=0.01``: the mixture and the
nearest-neighbour ALP use only the task parameters the score depends on)
against the same teacher with ``relevance_alpha=None`` (every parameter, the
paper's setting), on learners the benchmark's seeds never see (learner seeds
1000 + i, teacher seeds 2000 + i):

* every grid scenario of ``pedagogy bench`` at its full budget (20,000
  episodes; ``high-dim`` is the one with irrelevant parameters);
* a smaller grid (5 x 5 cubes) with and without 4 irrelevant parameters,
  5,000 episodes: there the blur of the irrelevant parameters happens to
  help the paper's setting, and relevance brings the teacher back to what it
  does on the 2-D grid alone.

Runs go to a pool of processes; prints a markdown table of final mastered
fractions (mean ± std over seeds).

    python benchmarks/relevance.py                   # 10 seeds, 200 runs (33 min on 2 busy cores)
    python benchmarks/relevance.py --seeds 2 --scenarios high-dim   # a smoke run
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from pedagogy import sim, teachers
from pedagogy.sim.grid import GridLearner

VARIANTS: dict[str, dict[str, Any]] = {"relevance (default)": {}, "every parameter (paper)": {"relevance_alpha": None}}
SMALL = {"5x5 grid": {"cubes_per_dim": 5}, "5x5 grid + 4 irrelevant": {"cubes_per_dim": 5, "irrelevant_dims": 4}}
SMALL_EPISODES = 5000


def _learner(case: str, seed: int) -> tuple[Any, int, str]:
    """A fresh learner of ``case`` (a scenario or a small grid), its budget and metric."""
    if case in SMALL:
        return GridLearner(seed=seed, **SMALL[case]), SMALL_EPISODES, "mastered_fraction"
    sc = sim.get_scenario(case)
    return sc.factory(seed), sc.budget_full, sc.metric


def _one(job: tuple[str, str, int]) -> tuple[str, str, int, float]:
    case, variant, i = job
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    learner, budget, metric = _learner(case, 1000 + i)
    teacher = teachers.make("alp-gmm", learner.space, seed=2000 + i, **VARIANTS[variant])
    for _ in range(budget):
        x = teacher.propose()
        teacher.observe(x, learner.practice(x))
    return case, variant, i, float(learner.evaluate()[metric])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    grids = [s for s in sim.scenarios() if "grid" in sim.get_scenario(s).tags]
    ap.add_argument("--scenarios", default=",".join([*grids, *SMALL]), help="grid scenarios and small grids to run")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    cases = args.scenarios.split(",")
    jobs = [(c, v, i) for c in cases for v in VARIANTS for i in range(args.seeds)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(_one, jobs))
    wall = time.perf_counter() - t0
    print(f"`python benchmarks/relevance.py --seeds {args.seeds}`: alp-gmm, final mastered fraction, mean ± std over {args.seeds} seeds")
    print(f"({len(jobs)} runs, {wall / 60:.1f} min on {os.cpu_count()} CPUs)\n")
    print("| learner | budget | " + " | ".join(VARIANTS) + " |")
    print("|---|---:|" + "---:|" * len(VARIANTS))
    for c in cases:
        cells = []
        for v in VARIANTS:
            x = np.array([r[3] for r in results if r[0] == c and r[1] == v])
            cells.append(f"{x.mean():.3f} ± {x.std():.3f}")
        budget = SMALL_EPISODES if c in SMALL else sim.get_scenario(c).budget_full
        print(f"| `{c}` | {budget:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
