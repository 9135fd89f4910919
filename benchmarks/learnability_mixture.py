"""Prompt-level teachers on a mixture of 3,000 prompts with a coin-flip source (the tests' small learner, scaled up).

Four sources of 750 prompts: trivial (pass rate 0.97), unsolvable (0),
learnable (a logistic in the prompt's own practice plus a tenth of all
practice, difficulties spread over 20 .. 2,000) and coin flips (0.5 for ever),
8 rollouts per observation, batches of 64, 12,000 prompts in all (4 per
prompt).  Prints each teacher's share of proposals per source and the
learnable source's final mean pass rate.  Takes a few seconds.

Usage::

    PYTHONPATH=$PWD/src:$PWD python benchmarks/learnability_mixture.py [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from pedagogy import spaces, teachers
from tests.test_learnability import PromptLearner, mastery, run

KINDS = ["trivial"] * 750 + ["unsolvable"] * 750 + ["learnable"] * 750 + ["coin"] * 750
ROWS: list[tuple[str, dict[str, object]]] = [
    ("learnability", {"groups": KINDS}),
    ("learnability", {"groups": KINDS, "noise_guard": False}),
    ("learnability", {}),
    ("hierarchical", {"groups": KINDS}),
    ("hierarchical", {"groups": KINDS, "source_teacher": "lp"}),
    ("hierarchical", {"groups": KINDS, "source_teacher": "sec"}),
    ("random", {}),
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prompt-level teachers on a 3,000-prompt mixture with a coin-flip source.")
    parser.add_argument("--seed", type=int, default=0, help="teacher and learner seed (default 0)")
    args = parser.parse_args(argv)
    print("| teacher | options | trivial | unsolvable | learnable | coin | learnable pass rate |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, opts in ROWS:
        t = teachers.make(name, spaces.Discrete(len(KINDS)), seed=args.seed, **opts)
        learner = PromptLearner(KINDS, seed=args.seed)
        learner.difficulty[:] = np.random.default_rng(args.seed + 1).uniform(20, 2000, len(KINDS))
        shares = run(t, learner, 12_000, batch=64)
        shown = ", ".join(f"{k}={v}" for k, v in opts.items() if k != "groups") + (" groups" if "groups" in opts else "")
        cells = " | ".join(f"{shares[k] / 12_000:.2f}" for k in ("trivial", "unsolvable", "learnable", "coin"))
        print(f"| {name} | {shown.strip(', ') or '-'} | {cells} | {mastery(learner):.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
