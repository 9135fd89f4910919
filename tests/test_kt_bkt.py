"""BKT: parameter recovery, one-step-ahead protocol, tracker, persistence, real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pedagogy import kt
from pedagogy.kt import BKT, NotFittedError, Responses, read

FIX = Path(__file__).parent / "fixtures" / "kt"
DATA = Path("/work/shared/data/kt")


def simulate(
    params: dict[str, dict[str, float]],
    n_students: int,
    n_per_skill: int,
    seed: int,
    items: dict[str, list[tuple[float, float]]] | None = None,
) -> Responses:
    """Students answering each skill ``n_per_skill`` times (skills interleaved at random) under BKT."""
    rng = np.random.default_rng(seed)
    users, skills, correct, item_ids = [], [], [], []
    names = list(params)
    for u in range(n_students):
        order = rng.permutation(np.repeat(np.arange(len(names)), n_per_skill))
        known = {s: rng.random() < params[s]["prior"] for s in names}
        for k in order:
            s = names[k]
            p = params[s]
            g, sl = p["guess"], p["slip"]
            it = None
            if items is not None:
                j = int(rng.integers(len(items[s])))
                g, sl = items[s][j]
                it = f"{s}-q{j}"
            c = rng.random() < ((1 - sl) if known[s] else g)
            users.append(f"u{u}")
            skills.append(s)
            correct.append(int(c))
            item_ids.append(it)
            # transition after the answer
            if known[s]:
                known[s] = rng.random() >= p.get("forget", 0.0)
            else:
                known[s] = rng.random() < p["learn"]
    return Responses.from_arrays(users, skills, correct, item=item_ids if items is not None else None, source="sim")


TRUE = {
    "a": {"prior": 0.2, "learn": 0.15, "guess": 0.2, "slip": 0.1},
    "b": {"prior": 0.5, "learn": 0.05, "guess": 0.3, "slip": 0.15},
    "c": {"prior": 0.1, "learn": 0.3, "guess": 0.1, "slip": 0.05},
}


@pytest.fixture(scope="module")
def sim_data() -> Responses:
    return simulate(TRUE, n_students=500, n_per_skill=30, seed=0)


@pytest.fixture(scope="module")
def fitted(sim_data) -> BKT:
    return BKT(seed=1).fit(sim_data)


def test_recovers_parameters(fitted):
    table = fitted.params_table()
    for s, p in TRUE.items():
        for k, v in p.items():
            assert table[s][k] == pytest.approx(v, abs=0.04), (s, k, table[s][k], v)
        assert table[s]["forget"] == 0.0
    assert np.all(np.isfinite(fitted.log_likelihood_)) and np.all(fitted.n_iter_ >= 1)


def test_likelihood_beats_wrong_parameters(fitted, sim_data):
    """EM's optimum fits the data better than the true parameters with guess and slip swapped."""
    wrong = BKT()
    wrong._set_state(fitted._get_state())
    wrong.guess_, wrong.slip_ = fitted.slip_.copy(), fitted.guess_.copy()
    assert fitted.evaluate(sim_data)["log_loss"] < wrong.evaluate(sim_data)["log_loss"]


def test_forgetting_recovered():
    params = {"a": {"prior": 0.3, "learn": 0.2, "forget": 0.1, "guess": 0.15, "slip": 0.1}}
    data = simulate(params, n_students=400, n_per_skill=40, seed=3)
    m = BKT(forgets=True, seed=0).fit(data)
    assert m.forget_[0] == pytest.approx(0.1, abs=0.04)
    assert m.learn_[0] == pytest.approx(0.2, abs=0.06)
    assert BKT(seed=0).fit(data).forget_[0] == 0.0


def test_multigs_per_item_guess_slip():
    params = {"a": {"prior": 0.2, "learn": 0.15, "guess": 0.2, "slip": 0.1}}
    items = {"a": [(0.05, 0.1), (0.4, 0.1)]}  # an easy-to-guess and a hard-to-guess item
    data = simulate(params, n_students=500, n_per_skill=30, seed=4, items=items)
    m = BKT(multigs=True, seed=0).fit(data)
    g = dict(zip(m.gs_item_, m.gs_guess_, strict=True))
    assert g["a-q0"] == pytest.approx(0.05, abs=0.04) and g["a-q1"] == pytest.approx(0.4, abs=0.05)
    assert BKT(multigs=True).fit(data).evaluate(data)["log_loss"] < BKT().fit(data).evaluate(data)["log_loss"]
    with pytest.raises(ValueError, match="item"):
        BKT(multigs=True).fit(simulate(params, 5, 3, 0))


def test_seed_reproducible(sim_data, fitted):
    again = BKT(seed=1).fit(sim_data)
    assert np.array_equal(again.learn_, fitted.learn_) and np.array_equal(again.guess_, fitted.guess_)


# --------------------------------------------------------------- protocol
def _train_test():
    return read(FIX / "assist2009_train_50.csv"), read(FIX / "assist2009_test_30.csv")


def test_no_leakage_one_step_ahead():
    tr, te = _train_test()
    m = BKT(seed=0).fit(tr)
    p = m.predict_proba(te)
    rng = np.random.default_rng(0)
    changed = with_later = 0
    for t in rng.choice(te.n_answers, 30, replace=False):
        flipped = Responses(**{**te.__dict__, "correct": te.correct.copy()})
        flipped.correct[t] = 1 - flipped.correct[t]
        q = m.predict_proba(flipped)
        assert q[t] == p[t]  # answer t does not inform its own prediction
        u = te.user[t]
        # earlier answers and other students are untouched
        assert np.array_equal(q[: t + 1], p[: t + 1])
        assert np.array_equal(q[te.user != u], p[te.user != u])
        later = np.flatnonzero((te.user == u) & (te.skill == te.skill[t]) & (np.arange(te.n_answers) > t))
        if later.size:  # the next answer on the same skill usually changes (not when P(known) saturates)
            with_later += 1
            changed += q[later[0]] != p[later[0]]
    assert with_later >= 10 and changed >= with_later // 2


def test_tracker_equals_batch():
    tr, te = _train_test()
    m = BKT(seed=0, forgets=True).fit(tr)
    batch = m.predict_proba(te)
    live = m.tracker()
    names = np.array(te.skill_names)
    out = [live.update(te.user_names[u], names[s], int(c)) for u, s, c in zip(te.user, te.skill, te.correct, strict=True)]
    assert np.max(np.abs(np.array(out) - batch)) <= 1e-12
    unseen = set(te.skill_names) - set(tr.skill_names)
    assert unseen  # the fixture has test skills never seen in training: population defaults
    mast = live.mastery(te.user_names[0])
    assert set(m.skill_names_) <= set(mast) and all(0 <= v <= 1 for v in mast.values())


def test_tracker_multi_skill_and_items():
    rng = np.random.default_rng(2)
    n = 400
    users = [f"u{i}" for i in rng.integers(0, 20, n)]
    pool = [["a"], ["b"], ["a", "b"], ["c"]]
    skills = [pool[i] for i in rng.integers(0, 4, n)]
    items = [f"q{i}" for i in rng.integers(0, 5, n)]
    corr = rng.integers(0, 2, n)
    data = Responses.from_arrays(users, [s if len(s) > 1 else s[0] for s in skills], corr, item=items)
    for combine in ("mean", "product"):
        m = BKT(multigs=True, combine=combine, n_restarts=2, seed=0).fit(data)
        batch = m.predict_proba(data)
        live = m.tracker()
        names, inames = np.array(data.skill_names), np.array(data.item_names)
        out = []
        for i in range(data.n_answers):
            sk = names[data.skill_idx[data.skill_ptr[i] : data.skill_ptr[i + 1]]].tolist()
            out.append(live.update(data.user_names[data.user[i]], sk, int(data.correct[i]), item=inames[data.item[i]]))
        assert np.max(np.abs(np.array(out) - batch)) <= 1e-12


def test_tracker_learns_and_predicts():
    m = BKT(seed=0).fit(simulate(TRUE, 100, 10, 5))
    live = m.tracker()
    p0 = live.predict("new", "a")
    assert p0 == pytest.approx(m.prior_[0] * (1 - m.slip_[0]) + (1 - m.prior_[0]) * m.guess_[0])
    for _ in range(5):
        live.update("new", "a", 1)
    assert live.predict("new", "a") > p0
    assert live.mastery("new")["a"] > 0.9 and live.mastery("new")["b"] == pytest.approx(m.prior_[1])
    with pytest.raises(ValueError):
        live.update("new", "a", 2)


# ------------------------------------------------------------ persistence
@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("multigs", [False, True])
def test_save_load_round_trip(tmp_path, suffix, multigs):
    tr, te = _train_test()
    if multigs:  # give the answers items: the skill id plus the answer's parity as a pseudo item

        def with_items(d):
            return Responses.from_arrays(
                np.array(d.user_names)[d.user],
                np.array(d.skill_names)[d.skill],
                d.correct,
                item=[f"i{i % 3}" for i in range(d.n_answers)],
            )

        tr, te = with_items(tr), with_items(te)
    m = BKT(seed=0, multigs=multigs, forgets=True, n_restarts=2).fit(tr)
    path = tmp_path / f"bkt{suffix}"
    m.save(path)
    m2 = kt.load(path)
    assert isinstance(m2, BKT) and m2.get_params() == m.get_params()
    assert np.array_equal(m.predict_proba(te), m2.predict_proba(te))


# ------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"n_restarts": 0}, "bkt: parameter 'n_restarts' must be an integer >= 1, got 0"),
        ({"max_iter": 1.5}, "bkt: parameter 'max_iter' must be an integer >= 1, got 1.5"),
        ({"tol": -1}, "bkt: parameter 'tol' must be a number >= 0, got -1"),
        ({"forgets": 1}, "bkt: parameter 'forgets' must be true or false, got 1"),
        ({"max_guess": 0.0}, "bkt: parameter 'max_guess' must be a number in (0, 1), got 0.0"),
        ({"max_slip": 1.5}, "bkt: parameter 'max_slip' must be a number in (0, 1), got 1.5"),
        ({"combine": "max"}, "bkt: parameter 'combine' must be one of 'mean', 'product', got 'max'"),
        ({"seed": "x"}, "bkt: parameter 'seed' must be None or an integer >= 0, got 'x'"),
        ({"max_guess": 0.6, "max_slip": 0.5}, "bkt: parameters 'max_guess' + 'max_slip' must be at most 1, got 0.6 + 0.5"),
    ],
)
def test_bad_params(kw, message, sim_data):
    model = BKT(**kw)
    with pytest.raises(ValueError) as exc:
        model.fit(sim_data)
    assert str(exc.value) == message
    with pytest.raises(NotFittedError):
        model.predict_proba(sim_data)


def test_not_fitted_and_empty(sim_data):
    with pytest.raises(NotFittedError):
        BKT().predict_proba(sim_data)
    with pytest.raises(NotFittedError):
        BKT().tracker()
    with pytest.raises(ValueError, match="empty"):
        BKT().fit(sim_data.subset([]))


def test_bounds_respected(sim_data):
    m = BKT(max_guess=0.15, max_slip=0.08, seed=0).fit(sim_data)
    assert np.all(m.guess_ <= 0.15) and np.all(m.slip_ <= 0.08)


# --------------------------------------------------------------- real data
@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "assist2009_updated").exists(), reason="shared KT data not present")
def test_assist2009_full_fit():
    tr = read(DATA / "assist2009_updated" / "assist2009_updated_train.csv")
    te = read(DATA / "assist2009_updated" / "assist2009_updated_test.csv")
    m = BKT(seed=0).fit(tr)
    s = m.evaluate(te)
    assert 0.68 < s["auc"] < 0.78, s
    assert 0.40 < s["rmse"] < 0.47, s


def test_tracker_state_load_and_score_updates_are_public():
    rows = [(f"u{u}", s, (u + k) % 2) for u in range(6) for s in ("a", "b") for k in range(4)]
    users, skills, correct = zip(*rows)
    model = BKT(seed=0).fit(Responses.from_arrays(list(users), list(skills), list(correct)))
    tr = model.tracker()
    tr.update("ann", "a", 1)
    st = tr.state("ann")
    assert set(st) == {"known"} and set(st["known"]) == {"a"}
    other = model.tracker()
    other.load("bob", st)
    assert other.predict("bob", "a") == tr.predict("ann", "a") and other.state("ann") == {"known": {}}
    # a score of 1 or 0 is update(); 0.25 lies between the two posteriors, weighted 1:3
    right, wrong, soft = model.tracker(), model.tracker(), model.tracker()
    for t in (right, wrong, soft):
        t.load("x", st)
    right.update_score("x", "a", 1.0)
    wrong.update_score("x", "a", 0.0)
    soft.update_score("x", "a", 0.25)
    r, w, m = (t.state("x")["known"]["a"] for t in (right, wrong, soft))
    assert m == pytest.approx(0.25 * r + 0.75 * w)
    with pytest.raises(ValueError, match="score"):
        soft.update_score("x", "a", 1.5)
    with pytest.raises(ValueError, match="P\\(known\\)"):
        soft.load("x", {"known": {"a": 2.0}})
    assert soft.state("x")["known"]["a"] == m  # a refused load changes nothing
