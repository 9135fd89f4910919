"""Cyclical curriculum vs a plain curriculum vs vanilla training, measured on scikit-learn's digits.

Kesgin & Amasyali, "Cyclical Curriculum Learning", IEEE TNNLS 2024: each epoch
trains on a subset of the data, easiest first by a scoring function, whose size
cycles between a start fraction and the whole data set
(:class:`pedagogy.cyclical.CyclicalSchedule`, the reference code's defaults:
0.25 -> 1.0, doubling / halving per epoch).

Protocol (per seed), on the bundled 8x8 digits (1,797 images, no download):

* a stratified 50 / 50 train / test split;
* scores, as in the reference code's example: ``1 / loss`` of each training
  example under a model fitted on the training split (here a scikit-learn
  ``LogisticRegression``);
* the learner: a one-hidden-layer numpy network (32 ReLU units, Adam,
  learning rate 0.001, mini-batches of 32, the epoch's subset shuffled), the
  same initial weights for every schedule of a seed;
* schedules: ``vanilla`` (everything every epoch), ``curriculum`` (the plain
  size schedule: 0.25, 0.5, 1.0, 1.0, ...; easiest first), ``cyclical``
  (0.25, 0.5, 1.0, 0.5, 0.25, ...; easiest first) and ``cyclical-weighted``
  (the same sizes, examples drawn with probability proportional to the score
  as the reference code's training loop does);
* the measure: test accuracy after every epoch; the table gives the
  accuracy at a few epochs, the final one, the best epoch's (the reference
  code reports the best), the examples trained on, and each schedule's
  accuracy once it has trained on as many examples as the cheapest schedule
  in total (a cyclical epoch is on average about half an epoch of data).

Usage::

    python benchmarks/cyclical_digits.py --out benchmarks/results/cyclical   # 5 seeds, 100 epochs, ~1 min
    python benchmarks/cyclical_digits.py --seeds 2 --epochs 10 --out /tmp/cy
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # tiny matrices: one BLAS thread each is fastest on a shared machine

import numpy as np
from _numpy_mlp import MLP

from pedagogy.cyclical import CyclicalSchedule

SCHEDULES: dict[str, dict[str, Any]] = {
    "vanilla": {"strategy": "vanilla"},
    "curriculum": {"strategy": "increase"},
    "cyclical": {"strategy": "cycle"},
    "cyclical-weighted": {"strategy": "cycle", "selection": "weighted"},
}


def split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x / 16.0, y, test_size=0.5, stratify=y, random_state=seed)
    return x_tr, x_te, y_tr, y_te


def easiness(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``1 / loss`` per example under a logistic regression fitted on the training split (higher = easier)."""
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = LogisticRegression(max_iter=300).fit(x, y).predict_proba(x)[np.arange(len(y)), y]
    return 1.0 / np.maximum(-np.log(np.maximum(p, 1e-300)), 1e-12)


def train(schedule: CyclicalSchedule, data: tuple[np.ndarray, ...], seed: int, epochs: int, batch: int = 32) -> dict[str, list[float]]:
    x_tr, x_te, y_tr, y_te = data
    net = MLP(x_tr.shape[1], 32, 10, seed, lr=0.001)
    rng = np.random.default_rng(seed)
    acc, seen = [], []
    total = 0
    for epoch in range(epochs):
        idx = schedule.subset(epoch)
        idx = idx[rng.permutation(len(idx))]
        for s in range(0, len(idx), batch):
            b = idx[s : s + batch]
            net.step(x_tr[b], y_tr[b])
        total += len(idx)
        acc.append(float(np.mean(net.predict(x_te) == y_te)))
        seen.append(total)
    return {"accuracy": acc, "examples_seen": seen}


def run(seeds: int, epochs: int) -> dict[str, Any]:
    out: dict[str, Any] = {"seeds": seeds, "epochs": epochs, "runs": {k: [] for k in SCHEDULES}, "fractions": {}}
    for seed in range(seeds):
        data = split(seed)
        scores = easiness(data[0], data[2])
        for name, opts in SCHEDULES.items():
            sch = CyclicalSchedule(len(scores), scores, seed=seed, **opts)
            out["fractions"][name] = sch.fractions(epochs)
            out["runs"][name].append(train(sch, data, seed, epochs))
        line = "  ".join(f"{n} {out['runs'][n][-1]['accuracy'][-1]:.3f}" for n in SCHEDULES)
        print(f"seed {seed}: final test accuracy  {line}", flush=True)
    summary = {}
    for name, runs in out["runs"].items():
        acc = np.array([r["accuracy"] for r in runs])
        summary[name] = {
            "final_mean": float(acc[:, -1].mean()),
            "final_std": float(acc[:, -1].std()),
            "best_mean": float(acc.max(axis=1).mean()),
            "best_std": float(acc.max(axis=1).std()),
            "mean_curve": acc.mean(axis=0).tolist(),
            "examples_seen": runs[0]["examples_seen"][-1],
        }
    # the same amount of training for all: each schedule's accuracy after the last epoch within the smallest total
    budget = min(s["examples_seen"] for s in summary.values())
    for name, runs in out["runs"].items():
        seen = runs[0]["examples_seen"]
        e = max(i for i, n in enumerate(seen) if n <= budget)
        acc = np.array([r["accuracy"][e] for r in runs])
        summary[name].update(
            same_budget_epoch=e + 1, same_budget_examples=seen[e], same_budget_mean=float(acc.mean()), same_budget_std=float(acc.std())
        )
    out["summary"] = summary
    out["same_budget"] = budget
    return out


def plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, runs in res["runs"].items():
        acc = np.array([r["accuracy"] for r in runs])
        ep = np.arange(1, acc.shape[1] + 1)
        m, s = acc.mean(axis=0), acc.std(axis=0)
        axes[0].plot(ep, m, label=name)
        axes[0].fill_between(ep, m - s, m + s, alpha=0.15)
        axes[1].plot(runs[0]["examples_seen"], m, label=name)
    axes[0].set_xlabel("epoch")
    axes[1].set_xlabel("examples trained on")
    for ax in axes:
        ax.set_ylabel(f"test accuracy (mean ± std over {res['seeds']} seeds)")
        ax.set_ylim(0.5, 1.0)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--out", default="bench-out/cyclical")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    res = run(a.seeds, a.epochs)
    res["wall_time_s"] = time.perf_counter() - t0
    res["command"] = " ".join(["python", "benchmarks/cyclical_digits.py", *(argv if argv is not None else sys.argv[1:])])
    res["python"] = platform.python_version()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cyclical_digits.json").write_text(json.dumps(res, indent=1))
    plot(res, out / "cyclical_digits.png")
    marks = [e for e in (5, 10, 20, 50) if e < a.epochs]
    head = "".join(f" epoch {e} |" for e in marks)
    print(
        f"\n| schedule |{head} final (epoch {a.epochs}) | best epoch | examples trained on | "
        f"at <= {res['same_budget']:,} examples (epoch) |"
    )
    print("|---|" + "---:|" * (len(marks) + 4))
    for name, s in res["summary"].items():
        at = "".join(f" {s['mean_curve'][e - 1]:.4f} |" for e in marks)
        print(
            f"| {name} |{at} {s['final_mean']:.4f} ± {s['final_std']:.4f} | {s['best_mean']:.4f} ± {s['best_std']:.4f} | "
            f"{s['examples_seen']:,} | {s['same_budget_mean']:.4f} ± {s['same_budget_std']:.4f} ({s['same_budget_epoch']}) |"
        )
    print(f"\nwall time {res['wall_time_s']:.0f} s; wrote {out / 'cyclical_digits.json'} and {out / 'cyclical_digits.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
