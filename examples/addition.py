"""Learning to add with a curriculum
=================================

An MLP, a ``CurriculumSampler`` and a teacher.

The dataset holds additions of 1- to 4-digit numbers (one group per number
of digits) and a fifth group, ``noise``, whose answers are random: nothing
can be learned there.  A small MLP reads both numbers' digits and predicts
every digit of the sum.  The teacher picks each example's group from the
per-example correctness it observes (0/1, exact match); the metric is the
exact-match accuracy on held-out additions of the four learnable groups.

    python examples/addition.py --teacher lp --steps 1500 --seed 0
    python examples/addition.py --teacher random        # uniform over the groups: the baseline

Run time: about 6 s on one CPU core with the defaults (1,500 batches; needs the ``[torch]``
extra). The figure: held-out accuracy
against batches, 3 seeds per teacher, from ``benchmarks/real_learners.py``.

.. image:: /img/addition.png
   :alt: Learning to add with a curriculum
"""

# sphinx_gallery_thumbnail_path = "img/addition.png"

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from pedagogy.data import CurriculumSampler

DIGITS = 4
GROUPS = ["1-digit", "2-digit", "3-digit", "4-digit", "noise"]
LEARNABLE = GROUPS[:4]


def make_data(n_per_group: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Rows of (a, b) digit pairs with the digits of a + b as targets, and their group labels."""
    xs, ys, labels = [], [], []
    for g in GROUPS:
        d = DIGITS if g == "noise" else int(g[0])
        a = rng.integers(0, 10**d, n_per_group)
        b = rng.integers(0, 10**d, n_per_group)
        s = rng.integers(0, 2 * 10**DIGITS, n_per_group) if g == "noise" else a + b
        xs.append(np.stack([_digits(a, DIGITS), _digits(b, DIGITS)], axis=1).reshape(n_per_group, -1))
        ys.append(_digits(s, DIGITS + 1))
        labels += [g] * n_per_group
    return np.concatenate(xs), np.concatenate(ys), labels


def _digits(v: np.ndarray, n: int) -> np.ndarray:
    return np.stack([(v // 10**i) % 10 for i in range(n)], axis=1)


class Adder(nn.Module):
    """One-hot digits in, one 10-way softmax per digit of the sum out."""

    def __init__(self, hidden: int = 256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2 * DIGITS * 10, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, (DIGITS + 1) * 10)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = nn.functional.one_hot(x, 10).float().flatten(1)
        return self.net(h).view(-1, DIGITS + 1, 10)


def run(teacher: str, seed: int = 0, steps: int = 1500, batch_size: int = 64, eval_every: int = 100) -> dict[str, Any]:
    """Train one learner with ``teacher``; return the learning curve and the group mix it was given."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, y, labels = make_data(4000, rng)
    tx, ty, tlabels = make_data(500, np.random.default_rng(10_000 + seed))
    keep = np.array([g in LEARNABLE for g in tlabels])
    tx_t, ty_t, tl = torch.as_tensor(tx[keep]), torch.as_tensor(ty[keep]), np.array(tlabels)[keep]
    x_t, y_t = torch.as_tensor(x), torch.as_tensor(y)
    sampler = CurriculumSampler(labels, teacher, batch_size, num_batches=steps, seed=seed)
    model = Adder()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    curve: list[dict[str, Any]] = []
    mix = dict.fromkeys(GROUPS, 0)
    t0 = time.perf_counter()
    for step, batch in enumerate(sampler.batches(), start=1):
        idx = torch.as_tensor(batch)
        logits = model(x_t[idx])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 10), y_t[idx].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        correct = (logits.argmax(-1) == y_t[idx]).all(-1).float().tolist()
        sampler.observe(batch, correct)
        for i in batch:
            mix[labels[i]] += 1
        if step % eval_every == 0 or step == steps:
            with torch.no_grad():
                ok = (model(tx_t).argmax(-1) == ty_t).all(-1).numpy()
            per = {g: float(ok[tl == g].mean()) for g in LEARNABLE}
            curve.append({"step": step, "accuracy": float(np.mean(list(per.values()))), **per})
    return {
        "teacher": teacher,
        "seed": seed,
        "steps": steps,
        "batch_size": batch_size,
        "final_accuracy": curve[-1]["accuracy"],
        "curve": curve,
        "mix": {g: c / (steps * batch_size) for g, c in mix.items()},
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher", default="lp")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=1500)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = run(args.teacher, args.seed, args.steps)
    print(json.dumps({k: v for k, v in out.items() if k != "curve"}, indent=1))


if __name__ == "__main__":
    main()
