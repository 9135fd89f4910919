"""pedagogy's BKT against pyBKT on the same splits with the same one-step-ahead protocol.

pyBKT (Badrinath, Wang & Pardos, EDM 2021; ``pip install pyBKT``) needs
numpy < 2, so it runs in its own virtual environment, in a subprocess::

    python3 -m venv /tmp/pybkt-venv
    /tmp/pybkt-venv/bin/pip install pyBKT "numpy<2" pandas "scikit-learn<1.4"   # newer sklearn breaks pyBKT
    python benchmarks/kt_vs_pybkt.py --pybkt-python /tmp/pybkt-venv/bin/python

For each data set both models are fitted on ``*_train`` and evaluated on
``*_test``; both use ``--restarts`` random restarts (pyBKT's ``num_fits``).
pyBKT's ``predict`` is checked to be one-step-ahead (flipping an answer must
not change its own prediction, but must change the next one on that skill).
pyBKT's test predictions are also recomputed with *our* forward filter from
*its* fitted parameters: agreement shows both sides score the same model the
same way.  (pyBKT's ``fit`` and ``predict`` reorder the DataFrame they are
given, in place; the driver passes copies, else its predictions would be
read back in the wrong row order.)  Finally pedagogy's BKT is timed on about a million answers
(ASSISTments 2015 train + test, twice, students renamed).

Timings are wall-clock on a shared machine; treat them as rough.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pedagogy.kt import BKT, Responses, read, score_predictions

DATA = Path("/work/shared/data/kt")
SETS = {
    "assist2009": ("assist2009_updated/assist2009_updated_train.csv", "assist2009_updated/assist2009_updated_test.csv"),
    "assist2015": ("assist2015/assist2015_train.csv", "assist2015/assist2015_test.csv"),
    "synthetic": ("synthetic/naive_c5_q50_s4000_v0_train.csv", "synthetic/naive_c5_q50_s4000_v0_test.csv"),
}

# The driver runs inside pyBKT's environment: fit, predict, check the protocol, dump parameters.
DRIVER = r"""
import json, sys, time
import numpy as np, pandas as pd
from pyBKT.models import Model

train_csv, test_csv, out, restarts, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
tr = pd.read_csv(train_csv, dtype={"skill_name": str, "user_id": str})
te = pd.read_csv(test_csv, dtype={"skill_name": str, "user_id": str})
m = Model(seed=seed, num_fits=restarts)
# pyBKT's fit and predict reorder the DataFrame they are given, in place: always pass copies.
t0 = time.perf_counter()
m.fit(data=tr.copy())
fit_s = time.perf_counter() - t0
t0 = time.perf_counter()
pred = m.predict(data=te.copy())
pred_s = time.perf_counter() - t0
p = pred.set_index("row").loc[te["row"], "correct_predictions"].to_numpy()
# protocol check on a few answers that have a later answer by the same student on the same skill
g = te.groupby(["user_id", "skill_name"])["row"]
nxt = g.shift(-1)
cand = te.index[nxt.notna()].to_numpy()
rng = np.random.default_rng(0)
checks = []
small = te[te["user_id"].isin(te["user_id"].drop_duplicates().iloc[:50])].copy()
cand = small.index[nxt.loc[small.index].notna()].to_numpy()
base = m.predict(data=small.copy()).set_index("row")["correct_predictions"]
for i in rng.choice(cand, size=min(5, len(cand)), replace=False):
    flipped = small.copy()
    flipped.loc[i, "correct"] = 1 - flipped.loc[i, "correct"]
    q = m.predict(data=flipped.copy()).set_index("row")["correct_predictions"]
    r, rn = int(te.loc[i, "row"]), int(nxt.loc[i])
    checks.append({"own_changed": bool(abs(q[r] - base[r]) > 1e-12), "next_changed": bool(abs(q[rn] - base[rn]) > 1e-12)})
params = m.params().reset_index()
rows = [[str(s), str(pa), str(c), float(v)] for s, pa, c, v in params[["skill", "param", "class", "value"]].itertuples(index=False)]
json.dump({"fit_s": fit_s, "pred_s": pred_s, "p": p.tolist(), "checks": checks, "params": rows}, open(out, "w"))
"""


def to_frame_csv(data: Responses, path: Path) -> None:
    """Write a single-skill Responses as a pyBKT log (row = global order)."""
    import pandas as pd

    pd.DataFrame(
        {
            "row": np.arange(data.n_answers),
            "order_id": np.arange(data.n_answers),
            "user_id": np.asarray(data.user_names, dtype=object)[data.user],
            "skill_name": np.asarray(data.skill_names, dtype=object)[data.skill],
            "correct": data.correct.astype(int),
        }
    ).to_csv(path, index=False)


def from_pybkt_params(rows: list[list], skill_names: list[str]) -> BKT:
    """A pedagogy BKT carrying pyBKT's fitted parameters (to score them with our forward filter)."""
    table: dict[str, dict[str, float]] = {}
    for skill, param, _cls, value in rows:  # pyBKT's names: prior, learns, forgets, guesses, slips
        table.setdefault(skill, {})[param] = value
    names = [s for s in skill_names if s in table]
    # pyBKT does not bound its parameters; exact 0/1 (e.g. guess = slip = 0) would make a
    # filtering step 0/0, so they are kept inside [1e-6, 1 - 1e-6] as our fit keeps its own
    for s in names:
        for k in table[s]:
            table[s][k] = min(max(table[s][k], 1e-6), 1 - 1e-6) if k != "forgets" or table[s][k] > 0 else 0.0
    m = BKT()
    m._set_state(
        {
            "skill_names": names,
            "prior": [table[s]["prior"] for s in names],
            "learn": [table[s]["learns"] for s in names],
            "forget": [table[s].get("forgets", 0.0) for s in names],
            "guess": [table[s]["guesses"] for s in names],
            "slip": [table[s]["slips"] for s in names],
            "log_likelihood": [0.0] * len(names),
            "n_iter": [0] * len(names),
            "skill_count": [1.0] * len(names),
        }
    )
    return m


def run_set(name: str, restarts: int, seed: int, pybkt_python: str | None, cache: str | None = None) -> dict:
    tr_path, te_path = (DATA / p for p in SETS[name])
    tr, te = read(tr_path), read(te_path)
    out = {"set": name, "train_answers": tr.n_answers, "test_answers": te.n_answers}
    t0 = time.perf_counter()
    ours = BKT(n_restarts=restarts, seed=seed).fit(tr)
    out["ours_fit_s"] = time.perf_counter() - t0
    out["ours"] = ours.evaluate(te)
    cached = Path(cache) / f"pybkt_{name}_r{restarts}_s{seed}.json" if cache else None
    if cached is not None and cached.exists():
        got = json.loads(cached.read_text())
    elif pybkt_python:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            to_frame_csv(tr, tmp / "train.csv")
            to_frame_csv(te, tmp / "test.csv")
            (tmp / "driver.py").write_text(DRIVER)
            res = subprocess.run(
                [
                    pybkt_python,
                    str(tmp / "driver.py"),
                    str(tmp / "train.csv"),
                    str(tmp / "test.csv"),
                    str(tmp / "out.json"),
                    str(restarts),
                    str(seed),
                ],
                capture_output=True,
                text=True,
            )
            if res.returncode != 0:
                raise RuntimeError(f"pyBKT driver failed:\n{res.stderr[-3000:]}")
            got = json.loads((tmp / "out.json").read_text())
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps(got))
    else:
        got = None
    if got is not None:
        p = np.clip(np.asarray(got["p"], dtype=np.float64), 0.0, 1.0)
        out["pybkt_fit_s"] = got["fit_s"]
        out["pybkt"] = score_predictions(te.correct, p)
        out["pybkt_checks"] = got["checks"]
        theirs = from_pybkt_params(got["params"], tr.skill_names)
        q = theirs.predict_proba(te)
        out["pybkt_params_our_filter"] = score_predictions(te.correct, q)
        out["max_abs_diff_their_predict_vs_our_filter"] = float(np.max(np.abs(q - p)))
        out["fit_ratio"] = got["fit_s"] / out["ours_fit_s"]
    return out


def million(restarts: int, seed: int) -> dict:
    tr = read(DATA / SETS["assist2015"][0])
    te = read(DATA / SETS["assist2015"][1])
    big = Responses.concat([tr, te, tr, te])
    t0 = time.perf_counter()
    BKT(n_restarts=restarts, seed=seed).fit(big)
    return {"answers": big.n_answers, "fit_s": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pybkt-python", help="python of a venv with pyBKT (omit to run pedagogy only)")
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--restarts", type=int, default=5, help="random restarts for both (pyBKT num_fits)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-million", action="store_true", help="skip the 1M-answer timing")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--cache", help="folder where pyBKT's outputs are kept and reused (its fits take minutes)")
    args = ap.parse_args(argv)
    results = []
    print(f"restarts: {args.restarts} for both; cores visible: {os.cpu_count()} (shared machine: timings are noisy)")
    header = f"{'data':<11} {'model':<24} {'AUC':>7} {'RMSE':>7} {'fit s':>8}"
    print(header + "\n" + "-" * len(header))
    for name in args.sets:
        r = run_set(name, args.restarts, args.seed, args.pybkt_python, args.cache)
        results.append(r)
        print(f"{name:<11} {'pedagogy BKT':<24} {r['ours']['auc']:7.4f} {r['ours']['rmse']:7.4f} {r['ours_fit_s']:8.2f}")
        if "pybkt" in r:
            print(f"{name:<11} {'pyBKT predict()':<24} {r['pybkt']['auc']:7.4f} {r['pybkt']['rmse']:7.4f} {r['pybkt_fit_s']:8.2f}")
            s = r["pybkt_params_our_filter"]
            print(f"{name:<11} {'pyBKT params, our filter':<24} {s['auc']:7.4f} {s['rmse']:7.4f} {'':>8}")
            own = sum(c["own_changed"] for c in r["pybkt_checks"])
            nxt = sum(c["next_changed"] for c in r["pybkt_checks"])
            print(
                f"{'':<11} fit-time ratio pyBKT/pedagogy: {r['fit_ratio']:.1f}x; AUC difference (ours - pyBKT): "
                f"{r['ours']['auc'] - r['pybkt']['auc']:+.4f}; pyBKT predict one-step-ahead check: flipping an answer "
                f"changed its own prediction {own}/{len(r['pybkt_checks'])}, the next one {nxt}/{len(r['pybkt_checks'])}; "
                f"max |their predict - our filter on their params| = {r['max_abs_diff_their_predict_vs_our_filter']:.2e}"
            )
        sys.stdout.flush()
    if not args.no_million:
        m = million(args.restarts, args.seed)
        results.append({"million": m})
        print(f"pedagogy BKT on {m['answers']:,} answers (ASSISTments 2015 train+test twice): fit {m['fit_s']:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
