"""Teachers against uniform sampling on real trainable learners, over seeds.

* ``addition`` — an MLP learning 1- to 4-digit addition plus an unlearnable
  ``noise`` group, fed by a ``CurriculumSampler`` (``examples/addition.py``);
  metric: held-out exact-match accuracy on the learnable groups.
* ``ppo`` — Stable-Baselines3 PPO on ``ParametricMountainCar`` with the teacher
  choosing power and goal through ``make_sb3_vec_env``
  (``examples/ppo_parametric.py``); metric: success rate on a grid of
  reachable tasks.

Runs go to a pool of processes; writes ``results.json`` (every curve, the
arguments, the versions) and one PNG of mean curves per learner into
``--out`` (default ``bench-out/real-learners``), and prints a markdown table.

    python benchmarks/real_learners.py                              # both learners, default budgets
    python benchmarks/real_learners.py --learners addition --seeds 0,1 --addition-steps 300   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

TEACHERS = {"addition": ["random", "lp", "tscl", "sequential"], "ppo": ["random", "alp-gmm", "riac"]}
X = {"addition": "step", "ppo": "timesteps"}
Y = {"addition": "accuracy", "ppo": "success"}


def _one(job: tuple[str, str, int, int]) -> dict[str, Any]:
    learner, teacher, seed, budget = job
    import torch

    torch.set_num_threads(1)
    if learner == "addition":
        import addition

        return {"learner": learner, **addition.run(teacher, seed, steps=budget)}
    import ppo_parametric

    return {"learner": learner, **ppo_parametric.run(teacher, seed, timesteps=budget)}


def _plot(results: list[dict[str, Any]], learner: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for teacher in TEACHERS[learner]:
        runs = [r for r in results if r["learner"] == learner and r["teacher"] == teacher]
        if not runs:
            continue
        xs = [c[X[learner]] for c in runs[0]["curve"]]
        ys = np.array([[c[Y[learner]] for c in r["curve"]] for r in runs])
        ax.plot(xs, ys.mean(0), label=f"{teacher} ({len(runs)} seeds)")
        ax.fill_between(xs, ys.min(0), ys.max(0), alpha=0.15)
    ax.set_xlabel(X[learner])
    ax.set_ylabel(Y[learner])
    ax.set_title(learner)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learners", default="addition,ppo")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--addition-steps", type=int, default=1500)
    ap.add_argument("--ppo-timesteps", type=int, default=100_000)
    ap.add_argument("--addition-teachers", default=",".join(TEACHERS["addition"]))
    ap.add_argument("--ppo-teachers", default=",".join(TEACHERS["ppo"]))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="bench-out/real-learners")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    TEACHERS["addition"] = args.addition_teachers.split(",")
    TEACHERS["ppo"] = args.ppo_teachers.split(",")
    learners = args.learners.split(",")
    budget = {"addition": args.addition_steps, "ppo": args.ppo_timesteps}
    jobs = [(lr, t, s, budget[lr]) for lr in learners for t in TEACHERS[lr] for s in seeds]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(_one, jobs))
    wall = time.perf_counter() - t0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import torch

    meta = {
        "command": " ".join(["python", *sys.argv]),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "wall_seconds": wall,
        "args": vars(args),
    }
    (out / "results.json").write_text(json.dumps({"meta": meta, "runs": results}, indent=1))
    print(f"`{meta['command']}` — {len(jobs)} runs, {wall / 60:.1f} min on {os.cpu_count()} CPUs\n")
    for lr in learners:
        _plot(results, lr, out / f"{lr}.png")
        key = "final_accuracy" if lr == "addition" else "final_success"
        base = np.mean([r[key] for r in results if r["learner"] == lr and r["teacher"] == "random"])
        print(f"| {lr}: teacher | final {Y[lr]} (mean ± std over {len(seeds)} seeds) | vs random | minutes per run |")
        print("|---|---:|---:|---:|")
        for t in TEACHERS[lr]:
            runs = [r for r in results if r["learner"] == lr and r["teacher"] == t]
            v = np.array([r[key] for r in runs])
            ratio = f"{v.mean() / base:.2f}×" if base > 0 else "—"
            mins = np.mean([r["seconds"] for r in runs]) / 60
            print(f"| `{t}` | {v.mean():.3f} ± {v.std():.3f} | {ratio} | {mins:.1f} |")
        print()
    print(f"wrote {out}/results.json and {', '.join(f'{lr}.png' for lr in learners)}")


if __name__ == "__main__":
    main()
