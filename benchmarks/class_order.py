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
* orders: the designer's 5 best and 5 worst (beam search), and ``--orders``
  random orders; Spearman's rank correlation between the designer's score and
  the accuracy is taken over the random orders.

Usage::

    python benchmarks/class_order.py                      # 5 seeds, 60 random orders, ~2 min on 2 cores
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


class MLP:
    """A one-hidden-layer ReLU network with a softmax over all 10 classes, trained by Adam (numpy; fast enough to run hundreds of streams)."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int, seed: int, lr: float = 0.01):
        rng = np.random.default_rng(seed)
        self.p = [rng.normal(0, np.sqrt(2.0 / n_in), (n_in, n_hidden)), np.zeros(n_hidden),
                  rng.normal(0, np.sqrt(1.0 / n_hidden), (n_hidden, n_out)), np.zeros(n_out)]
        self.m = [np.zeros_like(w) for w in self.p]
        self.v = [np.zeros_like(w) for w in self.p]
        self.t = 0
        self.lr = lr

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = np.maximum(x @ self.p[0] + self.p[1], 0.0)
        return h, h @ self.p[2] + self.p[3]

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        """One Adam step on the mean cross-entropy of a mini-batch."""
        h, z = self._forward(x)
        z = z - z.max(axis=1, keepdims=True)
        prob = np.exp(z)
        prob /= prob.sum(axis=1, keepdims=True)
        prob[np.arange(len(y)), y] -= 1.0
        g_z = prob / len(y)
        g_h = (g_z @ self.p[2].T) * (h > 0)
        grads = [x.T @ g_h, g_h.sum(axis=0), h.T @ g_z, g_z.sum(axis=0)]
        self.t += 1
        b1, b2 = 0.9, 0.999
        for i, g in enumerate(grads):
            self.m[i] = b1 * self.m[i] + (1 - b1) * g
            self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
            mh = self.m[i] / (1 - b1 ** self.t)
            vh = self.v[i] / (1 - b2 ** self.t)
            self.p[i] -= self.lr * mh / (np.sqrt(vh) + 1e-8)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self._forward(x)[1], axis=1)


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
            b = idx[start:start + batch]
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


def run(seeds: int, n_orders: int, top: int) -> dict[str, Any]:
    from scipy.stats import spearmanr

    out: dict[str, Any] = {"seeds": [], "conditions": {}}
    per_cond: dict[str, dict[str, list[float]]] = {}
    for seed in range(seeds):
        data = split(seed)
        feats = feature_extractor(data["x_feat"], data["y_feat"], seed)
        cd = CurriculumDesigner(feats(data["x_stream"]), data["y_stream"])
        best = cd.best(top)
        worst = cd.worst(top)
        rng = np.random.default_rng(1000 + seed)
        rand = [rng.permutation(10).tolist() for _ in range(n_orders)]
        rec: dict[str, Any] = {"seed": seed, "best": [], "worst": [], "random": []}
        for replay in (0, 10):
            cond = "replay" if replay else "no replay"
            acc_best = [stream([int(c) for c in o], data, seed, replay) for o, _ in best]
            acc_worst = [stream([int(c) for c in o], data, seed, replay) for o, _ in worst]
            acc_rand = [stream(o, data, seed, replay) for o in rand]
            scores = [cd.score(o) for o in rand]
            rho = float(spearmanr(scores, acc_rand).statistic)
            rec[cond] = {"best": acc_best, "worst": acc_worst, "random": acc_rand, "random_scores": scores, "spearman": rho}
            agg = per_cond.setdefault(cond, {"best": [], "worst": [], "random": [], "spearman": [], "scores": [], "accs": []})
            agg["best"].append(float(np.mean(acc_best)))
            agg["worst"].append(float(np.mean(acc_worst)))
            agg["random"].append(float(np.mean(acc_rand)))
            agg["spearman"].append(rho)
            agg["scores"].extend(scores)
            agg["accs"].extend(acc_rand)
            print(f"seed {seed} {cond:9s}: best {np.mean(acc_best):.3f}  random {np.mean(acc_rand):.3f}  "
                  f"worst {np.mean(acc_worst):.3f}  spearman {rho:+.3f}", flush=True)
        rec["best_orders"] = [[o, s] for o, s in best]
        rec["worst_orders"] = [[o, s] for o, s in worst]
        out["seeds"].append(rec)
    for cond, agg in per_cond.items():
        pooled = float(spearmanr(agg["scores"], agg["accs"]).statistic)
        out["conditions"][cond] = {
            "best_mean": float(np.mean(agg["best"])), "best_std": float(np.std(agg["best"])),
            "random_mean": float(np.mean(agg["random"])), "random_std": float(np.std(agg["random"])),
            "worst_mean": float(np.mean(agg["worst"])), "worst_std": float(np.std(agg["worst"])),
            "spearman_per_seed": agg["spearman"], "spearman_mean": float(np.mean(agg["spearman"])),
            "spearman_pooled": pooled, "n_random_orders": len(agg["accs"]),
        }
    return out


def plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conds = list(res["conditions"])
    fig, axes = plt.subplots(1, len(conds) + 1, figsize=(5 * (len(conds) + 1), 4))
    for ax, cond in zip(axes, conds):
        for rec in res["seeds"]:
            r = rec[cond]
            ax.scatter(r["random_scores"], r["random"], s=10, alpha=0.6, label=f"seed {rec['seed']}")
        c = res["conditions"][cond]
        ax.set_title(f"{cond}: Spearman {c['spearman_mean']:+.2f} (mean over seeds)")
        ax.set_xlabel("designer score of a random order")
        ax.set_ylabel("final mean accuracy")
    ax = axes[-1]
    w = 0.25
    for i, kind in enumerate(("best", "random", "worst")):
        ax.bar(np.arange(len(conds)) + (i - 1) * w, [res["conditions"][c][f"{kind}_mean"] for c in conds], w,
               yerr=[res["conditions"][c][f"{kind}_std"] for c in conds], label=f"designer {kind}" if kind != "random" else "random")
    ax.set_xticks(np.arange(len(conds)), conds)
    ax.set_ylabel("final mean accuracy")
    ax.legend()
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
    print("\n| condition | designer best 5 | random | designer worst 5 | Spearman (mean over seeds) | Spearman (pooled) |")
    print("|---|---:|---:|---:|---:|---:|")
    for cond, c in res["conditions"].items():
        print(f"| {cond} | {c['best_mean']:.3f} ± {c['best_std']:.3f} | {c['random_mean']:.3f} ± {c['random_std']:.3f} | "
              f"{c['worst_mean']:.3f} ± {c['worst_std']:.3f} | {c['spearman_mean']:+.3f} | {c['spearman_pooled']:+.3f} |")
    print(f"\nwall time {res['wall_time_s']:.0f} s; wrote {out / 'class_order.json'} and {out / 'class_order.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
