"""Does the Curriculum Designer's class order help a class-incremental learner?  Measured on digits.

Singh et al., "Learning to Learn: How to Continuously Teach Humans and
Machines", ICCV 2023 (arXiv 2211.15470): online class-incremental learning,
one class at a time, a single pass; the Curriculum Designer
(:mod:`pedagogy.class_order`) ranks class orders from class prototypes.

Protocol (per seed), on scikit-learn's bundled 8x8 digits (1,797 images, 10
classes, no download):

* a stratified split: 25 % to fit the *feature extractor* (an
  ``MLPClassifier`` with 64 hidden ReLU units; its hidden layer gives the
  features, as the paper's pre-trained network does), 50 % for the stream,
  25 % for the test;
* the designer's prototypes are the mean hidden features of each class on
  the stream split; cosine distances, as in the paper;
* the learner: a fresh one-hidden-layer network (64 ReLU units, softmax
  over all 10 classes, Adam, learning rate 0.01; numpy, so that hundreds of
  streams run in minutes) that sees the classes one at a time in the given order, each
  class once, in mini-batches of 10 (one Adam step per batch);
  with replay, every step also trains on up to 10 examples drawn from a
  reservoir buffer of 50 past examples;
* the measure: mean per-class accuracy over all 10 classes on the test split
  after the stream;
* orders: the designer's 5 best and 5 worst (all 10! orders scored), for
  both criteria of :mod:`pedagogy.class_order` (``paper``: the authors'
  scorer; ``blend``: an earlier reading), and ``--orders`` random orders;
  Spearman's rank correlation between the designer's score and the accuracy
  is taken over the random orders (per seed, and pooled over seeds).

Usage::

    python benchmarks/class_order.py --out benchmarks/results/class_order   # 5 seeds, 60 random orders, ~2.5 min on 2 busy cores
    python benchmarks/class_order.py --seeds 2 --orders 10 --out /tmp/co
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

from pedagogy.class_order import CurriculumDesigner


def split(seed: int) -> dict[str, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    x_feat, x_rest, y_feat, y_rest = train_test_split(x, y, train_size=0.25, stratify=y, random_state=seed)
    x_str, x_te, y_str, y_te = train_test_split(x_rest, y_rest, test_size=1 / 3, stratify=y_rest, random_state=seed)
    return {"x_feat": x_feat, "y_feat": y_feat, "x_stream": x_str, "y_stream": y_str, "x_test": x_te, "y_test": y_te}


def feature_extractor(x: np.ndarray, y: np.ndarray, seed: int) -> Any:
    """An MLP fitted offline; returns a function x -> hidden ReLU features."""
    from sklearn.neural_network import MLPClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=seed).fit(x, y)
    w, b = net.coefs_[0], net.intercepts_[0]
    return lambda z: np.maximum(z @ w + b, 0.0)


def stream(order: list[int], data: dict[str, np.ndarray], seed: int, replay: int, batch: int = 10, buffer_size: int = 50) -> float:
    """One single-pass class-incremental run; the test's mean per-class accuracy."""
    rng = np.random.default_rng(seed)
    x, y = data["x_stream"], data["y_stream"]
    net = MLP(x.shape[1], 64, 10, seed)
    classes = np.arange(10)
    buf_x: list[np.ndarray] = []
    buf_y: list[int] = []
    seen = 0
    for c in order:
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        for start in range(0, len(idx), batch):
            b = idx[start : start + batch]
            bx, by = x[b], y[b]
            if replay and buf_x:
                r = rng.choice(len(buf_x), size=min(replay, len(buf_x)), replace=False)
                bx = np.vstack([bx, np.stack([buf_x[i] for i in r])])
                by = np.concatenate([by, [buf_y[i] for i in r]])
            net.step(bx, by)
            if replay:
                for i in b:  # reservoir sampling over the stream
                    seen += 1
                    if len(buf_x) < buffer_size:
                        buf_x.append(x[i])
                        buf_y.append(int(y[i]))
                    else:
                        j = int(rng.integers(seen))
                        if j < buffer_size:
                            buf_x[j], buf_y[j] = x[i], int(y[i])
    pred = net.predict(data["x_test"])
    yt = data["y_test"]
    return float(np.mean([np.mean(pred[yt == c] == c) for c in classes]))


CRITERIA = ("paper", "blend")


def run(seeds: int, n_orders: int, top: int) -> dict[str, Any]:
    from scipy.stats import spearmanr

    out: dict[str, Any] = {"seeds": [], "results": {}}
    agg: dict[tuple[str, str], dict[str, list[float]]] = {}
    for seed in range(seeds):
        data = split(seed)
        feats_fn = feature_extractor(data["x_feat"], data["y_feat"], seed)
        feats = feats_fn(data["x_stream"])
        rng = np.random.default_rng(1000 + seed)
        rand = [rng.permutation(10).tolist() for _ in range(n_orders)]
        rec: dict[str, Any] = {"seed": seed, "random_orders": rand}
        designers = {c: CurriculumDesigner(feats, data["y_stream"], criterion=c) for c in CRITERIA}
        ranked = {c: cd.ranking(top, exhaustive_up_to=10) for c, cd in designers.items()}
        for replay in (0, 10):
            cond = "replay" if replay else "no replay"
            acc_rand = [stream(o, data, seed, replay) for o in rand]
            rec[cond] = {"random": acc_rand}
            for c, cd in designers.items():
                best, worst = ranked[c]
                acc_best = [stream([int(x) for x in o], data, seed, replay) for o, _ in best]
                acc_worst = [stream([int(x) for x in o], data, seed, replay) for o, _ in worst]
                scores = [cd.score(o) for o in rand]
                rho = float(spearmanr(scores, acc_rand).statistic)
                rec[cond][c] = {
                    "best": acc_best,
                    "worst": acc_worst,
                    "random_scores": scores,
                    "spearman": rho,
                    "best_orders": [[o, sc] for o, sc in best],
                    "worst_orders": [[o, sc] for o, sc in worst],
                }
                g = agg.setdefault((cond, c), {"best": [], "worst": [], "random": [], "spearman": [], "scores": [], "accs": []})
                g["best"].append(float(np.mean(acc_best)))
                g["worst"].append(float(np.mean(acc_worst)))
                g["random"].append(float(np.mean(acc_rand)))
                g["spearman"].append(rho)
                g["scores"].extend(scores)
                g["accs"].extend(acc_rand)
                print(
                    f"seed {seed} {cond:9s} {c:5s}: best {np.mean(acc_best):.3f}  random {np.mean(acc_rand):.3f}  "
                    f"worst {np.mean(acc_worst):.3f}  spearman {rho:+.3f}",
                    flush=True,
                )
        out["seeds"].append(rec)
    for (cond, c), g in agg.items():
        out["results"].setdefault(cond, {})[c] = {
            "best_mean": float(np.mean(g["best"])),
            "best_std": float(np.std(g["best"])),
            "random_mean": float(np.mean(g["random"])),
            "random_std": float(np.std(g["random"])),
            "worst_mean": float(np.mean(g["worst"])),
            "worst_std": float(np.std(g["worst"])),
            "spearman_per_seed": g["spearman"],
            "spearman_mean": float(np.mean(g["spearman"])),
            "spearman_pooled": float(spearmanr(g["scores"], g["accs"]).statistic),
            "n_random_orders": len(g["accs"]),
        }
    return out


def plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conds = list(res["results"])
    fig, axes = plt.subplots(1, len(conds) + 1, figsize=(5 * (len(conds) + 1), 4))
    for ax, cond in zip(axes, conds):
        for rec in res["seeds"]:
            r = rec[cond]
            ax.scatter(r["paper"]["random_scores"], r["random"], s=10, alpha=0.6, label=f"seed {rec['seed']}")
        c = res["results"][cond]["paper"]
        ax.set_title(f"{cond}: Spearman {c['spearman_mean']:+.2f} (paper criterion)", fontsize=9)
        ax.set_xlabel("designer score of a random order (paper criterion)")
        ax.set_ylabel("final mean accuracy")
    ax = axes[-1]
    labels, vals, errs = [], [], []
    for cond in conds:
        r = res["results"][cond]
        for key, lab in (("best", "best"), ("random", "rand"), ("worst", "worst")):
            for c in CRITERIA if key != "random" else CRITERIA[:1]:
                labels.append(f"{cond[:2]} {lab}" + (f" {c}" if key != "random" else ""))
                vals.append(r[c][f"{key}_mean"])
                errs.append(r[c][f"{key}_std"])
    ax.bar(np.arange(len(vals)), vals, yerr=errs, color="tab:blue")
    ax.set_xticks(np.arange(len(vals)), labels, rotation=70, fontsize=7)
    ax.set_ylabel("final mean accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--orders", type=int, default=60, help="random orders per seed")
    ap.add_argument("--top", type=int, default=5, help="designer best / worst orders per seed")
    ap.add_argument("--out", default="bench-out/class_order")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    res = run(a.seeds, a.orders, a.top)
    res["wall_time_s"] = time.perf_counter() - t0
    res["command"] = " ".join(["python", "benchmarks/class_order.py", *(argv if argv is not None else sys.argv[1:])])
    res["python"] = platform.python_version()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "class_order.json").write_text(json.dumps(res, indent=1))
    plot(res, out / "class_order.png")
    print(
        f"\n| learner | criterion | designer best {a.top} | random | designer worst {a.top} | Spearman (mean over seeds) | Spearman (pooled) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for cond, by in res["results"].items():
        for crit, c in by.items():
            print(
                f"| {cond} | {crit} | {c['best_mean']:.3f} ± {c['best_std']:.3f} | {c['random_mean']:.3f} ± {c['random_std']:.3f} | "
                f"{c['worst_mean']:.3f} ± {c['worst_std']:.3f} | {c['spearman_mean']:+.3f} | {c['spearman_pooled']:+.3f} |"
            )
    print(f"\nwall time {res['wall_time_s']:.0f} s; wrote {out / 'class_order.json'} and {out / 'class_order.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
