"""Readers, the Responses container, metrics and generic save/load of pedagogy.kt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pedagogy import kt
from pedagogy.kt import (
    DataError,
    Responses,
    read,
    read_log,
    read_sequences,
    score_predictions,
    write_sequences,
)
from pedagogy.kt.base import FORMAT, KTModel, Tracker, register_model

FIX = Path(__file__).parent / "fixtures" / "kt"
TRAIN = FIX / "assist2009_train_50.csv"
TEST = FIX / "assist2009_test_30.csv"
LOG = FIX / "assist2015_log_15.csv"


def _write(tmp_path: Path, text: str, name: str = "d.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ----------------------------------------------------------------- sequences
def test_read_sequences_small(tmp_path):
    p = _write(tmp_path, "3\n5,7,5,\n1,0,1,\n2\n7,9\n0,0\n\n\n")
    r = read_sequences(p)
    assert r.n_answers == 5 and r.n_users == 2
    assert r.skill_names == ["5", "7", "9"]
    names = np.array(r.skill_names)[r.skill]
    assert names.tolist() == ["5", "7", "5", "7", "9"]
    assert r.correct.tolist() == [1, 0, 1, 0, 0]
    assert r.user.tolist() == [0, 0, 0, 1, 1]
    assert r.user_ptr.tolist() == [0, 3, 5]
    assert r.single_skill and r.skipped == 0


def test_skill_names_numeric_order(tmp_path):
    r = read_sequences(_write(tmp_path, "3\n10,9,100\n1,1,0\n"))
    assert r.skill_names == ["9", "10", "100"]
    assert np.array(r.skill_names)[r.skill].tolist() == ["10", "9", "100"]


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("3\n1,2\n1,0,1\n", 2, "2 skill ids"),  # length disagrees (skills)
        ("2\n1,2\n1,0,1\n", 3, "3 answers"),  # length disagrees (answers)
        ("2\n1,2\n1,2\n", 3, "0 or 1"),  # correctness not 0/1
        ("2\n1,2\n1,x\n", 3, "0 or 1"),
        ("3\n1,2,3\n1,0,1\nabc\n1\n1\n", 4, "number of answers"),  # non-numeric count
        ("3\n1,2,3\n1,0,1\n2\n1,2\n", 4, "truncated"),  # truncated record
        ("2\n1,2\n", 1, "truncated"),
        ("0\n\n\n", 1, "positive"),
        ("2\n1,,\n1,0\n", 2, "empty skill"),
        ("1\n1\n1\n2\n4,4\n1,0.5\n", 6, "0 or 1"),
    ],
)
def test_read_sequences_rejects_malformed(tmp_path, text, line, words):
    p = _write(tmp_path, text)
    with pytest.raises(DataError) as exc:
        read_sequences(p)
    msg = str(exc.value)
    assert str(p) in msg and f"line {line}" in msg and words in msg


def test_read_sequences_real_slice():
    r = read_sequences(TRAIN)
    assert r.n_users == 50
    first = TRAIN.read_text().splitlines()
    assert np.diff(r.user_ptr)[0] == int(first[0])
    assert r.correct[: int(first[0])].tolist() == [int(x) for x in first[2].rstrip(",").split(",")]
    assert r.n_answers == sum(int(first[i]) for i in range(0, 150, 3))
    assert set(np.unique(r.correct)) == {0, 1}


def test_write_sequences_round_trip(tmp_path):
    r = read_sequences(TRAIN)
    out = tmp_path / "w.csv"
    write_sequences(r, out)
    r2 = read_sequences(out)
    assert np.array_equal(r.correct, r2.correct) and np.array_equal(r.user, r2.user)
    assert (np.array(r.skill_names)[r.skill] == np.array(r2.skill_names)[r2.skill]).all()


# ----------------------------------------------------------------------- logs
def test_read_log_orders_by_timestamp_stable(tmp_path):
    p = _write(
        tmp_path,
        "user,skill,correct,t\nb,s1,1,5\na,s1,0,3\na,s2,1,1\nb,s2,0,5\na,s1,1,3\nb,s1,1,2\n",
    )
    r = read_log(p, timestamp="t")
    assert r.user_names == ["b", "a"]  # first appearance
    sk = np.array(r.skill_names)[r.skill]
    # b: t=2 (s1,1), then the tie at t=5 in file order (s1,1), (s2,0)
    assert sk[:3].tolist() == ["s1", "s1", "s2"] and r.correct[:3].tolist() == [1, 1, 0]
    # a: t=1 (s2,1) then the tie at t=3 in file order (s1,0), (s1,1)
    assert sk[3:].tolist() == ["s2", "s1", "s1"] and r.correct[3:].tolist() == [1, 0, 1]
    r_file = read_log(p)  # no timestamp: file order within a student
    assert r_file.correct.tolist() == [1, 0, 1, 0, 1, 1]


def test_read_log_multi_skill_items_and_skipped(tmp_path):
    p = _write(
        tmp_path,
        "uid,kc,ok,q\nu1,a_b,1,q1\nu1,,0,q2\nu2,b,0,q3\nu2,a,true,q1\nu3,,1,q9\n",
    )
    r = read_log(p, user="uid", skill="kc", correct="ok", item="q", skill_sep="_")
    assert r.n_answers == 3 and r.skipped == 2
    assert r.user_names == ["u1", "u2"]  # u3 had no usable row
    assert any("2 of 5 rows" in n for n in r.notes) and any("no usable row" in n for n in r.notes)
    assert any("line 3" in n for n in r.notes)  # names where the skipped rows are
    assert np.diff(r.skill_ptr).tolist() == [2, 1, 1]
    assert not r.single_skill
    assert np.array(r.skill_names)[r.skill_idx].tolist() == ["a", "b", "b", "a"]
    assert np.array(r.item_names)[r.item].tolist() == ["q1", "q3", "q1"]
    with pytest.raises(ValueError):
        _ = r.skill


@pytest.mark.parametrize(
    "text, kw, where, words",
    [
        ("user,skill\nu,1\n", {}, "line 1", "'correct'"),  # missing column named
        ("user,skill,correct\nu,1,1\nu,2,2\n", {}, "line 3", "0 or 1"),
        ("user,skill,correct\nu,1,1\nu,2,\n", {}, "line 3", "missing value"),
        ("user,skill,correct\nu,1,1\n,2,1\n", {}, "line 3", "missing value in column 'user'"),
        ("user,skill,correct,t\nu,1,1,2020-01-01\nu,2,1,notadate\n", {"timestamp": "t"}, "line 3", "timestamp"),
        ("user,skill,correct\nu,1,1\n", {"item": "question"}, "line 1", "'question'"),
    ],
)
def test_read_log_rejects_malformed(tmp_path, text, kw, where, words):
    p = _write(tmp_path, text)
    with pytest.raises(DataError) as exc:
        read_log(p, **kw)
    assert str(p) in str(exc.value) and where in str(exc.value) and words in str(exc.value)


def test_read_log_parquet(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    df = pd.DataFrame({"user": ["a", "a", "b"], "skill": ["x", "y", "x"], "correct": [1, 0, 1]})
    p = tmp_path / "log.parquet"
    df.to_parquet(p)
    r = read(p)
    assert r.n_answers == 3 and r.user_names == ["a", "b"]
    df2 = df.assign(correct=[1, 3, 0])
    df2.to_parquet(p)
    with pytest.raises(DataError, match="row 2"):
        read(p)


def test_read_log_real_slice_matches_sequences():
    """The log fixture is the first 15 students of ASSISTments 2015 train, shuffled, with times."""
    r = read_log(LOG, user="user_id", skill="skill_id", correct="correct", timestamp="order_id")
    assert r.n_users == 15 and r.n_answers == 1336 and r.skipped == 0
    # in time order each student's order_id increases
    # (re-read the raw rows to check the reader sorted them)
    import pandas as pd

    df = pd.read_csv(LOG).sort_values(["order_id"], kind="stable")
    for name, sl in r.students():
        rows = df[df.user_id == name]
        assert r.correct[sl].tolist() == rows.correct.tolist()
        assert np.array(r.skill_names)[r.skill[sl]].tolist() == rows.skill_id.astype(str).tolist()


def test_read_dispatch(tmp_path):
    assert read(TRAIN).n_users == 50
    assert read(LOG, user="user_id", skill="skill_id").n_users == 15
    with pytest.raises(TypeError):
        read(TRAIN, user="x")


# ------------------------------------------------------------------ container
def test_from_arrays_subset_split_concat():
    r = Responses.from_arrays(
        ["a", "b", "a", "c", "b"], ["s1", ["s1", "s2"], "s2", "s1", "s1"], [1, 0, 0, 1, 1], item=["i1", "i2", "i3", "i1", "i2"]
    )
    assert r.user_names == ["a", "b", "c"]
    assert r.correct.tolist() == [1, 0, 0, 1, 1]  # a: 1, 0 ; b: 0, 1 ; c: 1
    assert np.diff(r.skill_ptr).tolist() == [1, 1, 2, 1, 1]
    sub = r.subset(["c", "b"])
    assert sub.user_names == ["c", "b"] and sub.correct.tolist() == [1, 0, 1]
    assert np.diff(sub.skill_ptr).tolist() == [1, 2, 1]
    assert sub.skill_names == r.skill_names
    assert np.array(sub.item_names)[sub.item].tolist() == ["i1", "i2", "i2"]
    rest, held = r.split_users(1 / 3, seed=1)
    assert rest.n_users == 2 and held.n_users == 1
    assert sorted(rest.user_names + held.user_names) == ["a", "b", "c"]
    both = Responses.concat([r, sub])
    assert both.n_answers == r.n_answers + sub.n_answers and both.n_users == 5
    assert np.array_equal(both.skill_ptr[: r.n_answers + 1], r.skill_ptr)
    with pytest.raises(DataError):
        Responses.from_arrays(["a"], ["s"], [2])


def test_concat_merges_vocabularies():
    a = Responses.from_arrays(["u"], ["10"], [1])
    b = Responses.from_arrays(["u"], ["9"], [0])
    c = Responses.concat([a, b])
    assert c.skill_names == ["9", "10"]
    assert np.array(c.skill_names)[c.skill].tolist() == ["10", "9"]
    assert c.user_names == ["0:u", "1:u"]
    with pytest.raises(ValueError):
        Responses.concat([a, b], rename_users=False)


# -------------------------------------------------------------------- metrics
def test_score_predictions():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.9])
    s = score_predictions(y, p)
    assert s["auc"] == pytest.approx(0.75)
    assert s["rmse"] == pytest.approx(np.sqrt(np.mean((y - p) ** 2)))
    assert s["accuracy"] == pytest.approx(0.5)
    assert s["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.4, 0.4, 0.9])))
    assert s["n"] == 4
    assert np.isfinite(score_predictions([0, 1], [0.0, 1.0])["log_loss"])  # clipped
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    yy = rng.integers(0, 2, 2000)
    pp = np.round(rng.random(2000) * 0.5 + 0.3 * yy, 2)  # many ties
    assert score_predictions(yy, pp)["auc"] == pytest.approx(roc_auc_score(yy, pp), abs=1e-12)
    assert np.isnan(score_predictions([1, 1], [0.3, 0.7])["auc"])
    with pytest.raises(ValueError):
        score_predictions([0, 1], [0.5])
    with pytest.raises(ValueError):
        score_predictions([0, 1], [0.5, np.nan])


# ---------------------------------------------------------- generic save/load
@register_model
class _Toy(KTModel):
    """A per-skill success rate, to test the generic save/load hooks."""

    name = "_toy_test_model"

    def __init__(self, smoothing: float = 1.0) -> None:
        self.smoothing = smoothing
        self.skill_names_ = None

    def fit(self, data):
        k = np.bincount(data.skill, weights=data.correct, minlength=data.n_skills)
        n = np.bincount(data.skill, minlength=data.n_skills)
        self.rate_ = (k + self.smoothing) / (n + 2 * self.smoothing)
        self.skill_names_ = list(data.skill_names)
        self.extra_ = {"nested": [np.arange(3, dtype=np.int32), {"x": 1.5}]}
        return self

    def predict_proba(self, data):
        idx = data.lookup(self.skill_names_)
        return np.append(self.rate_, 0.5)[idx][data.skill]

    def tracker(self) -> Tracker:
        raise NotImplementedError

    def _get_state(self):
        return {"skill_names": self.skill_names_, "rate": self.rate_, "extra": self.extra_}

    def _set_state(self, state):
        self.skill_names_ = state["skill_names"]
        self.rate_ = state["rate"]
        self.extra_ = state["extra"]


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_generic_save_load(tmp_path, suffix):
    tr, te = read(TRAIN), read(TEST)
    m = _Toy(smoothing=0.5).fit(tr)
    path = tmp_path / f"m{suffix}"
    m.save(path)
    m2 = kt.load(path)
    assert isinstance(m2, _Toy) and m2.smoothing == 0.5
    assert np.array_equal(m.predict_proba(te), m2.predict_proba(te))
    assert m2.extra_["nested"][0].dtype == np.int32 and m2.extra_["nested"][1] == {"x": 1.5}
    if suffix == ".json":
        doc = json.loads(path.read_text())
        assert doc["format"] == FORMAT and doc["model"] == "_toy_test_model"


def test_save_refuses_unfitted_and_nan(tmp_path):
    with pytest.raises(kt.NotFittedError):
        _Toy().save(tmp_path / "x.json")
    m = _Toy().fit(read(TRAIN))
    m.rate_[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        m.save(tmp_path / "x.json")


def test_load_rejects_other_files(tmp_path):
    p = _write(tmp_path, json.dumps({"hello": 1}), "x.json")
    with pytest.raises(ValueError, match="not a saved"):
        kt.load(p)
    p = _write(tmp_path, json.dumps({"format": "other/9", "model": "bkt", "state": {}}), "y.json")
    with pytest.raises(ValueError, match="unsupported format"):
        kt.load(p)
    p = _write(tmp_path, json.dumps({"model": "nope", "state": {}}), "z.json")
    with pytest.raises(ValueError, match="unknown KT model"):
        kt.load(p)
