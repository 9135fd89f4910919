"""The service serves BKT, PFA, IRT and Elo courses with the library's numbers.

For every servable KT model: a model fitted here and uploaded with a course;
answers (right, wrong and fractional) posted through HTTP give the
predictions, stored learner state, mastery and next-item predictions that the
model's tracker gives when used directly through its public per-student API
(``update_score``/``state``/``predict``), to 1e-9.  Models that cannot serve
are refused with a 422 naming why.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pedagogy import kt
from pedagogy.kt import Responses

from .conftest import Api

SKILLS = ["s0", "s1", "s2", "s3"]
ITEMS = {f"i{k}": SKILLS[k % 4] for k in range(8)}  # two items per skill


def _data(seed: int, items: bool) -> Responses:
    """Students with an ability; items with a difficulty; practice helps."""
    rng = np.random.default_rng(seed)
    diff = {it: -1.0 + 0.3 * k for k, it in enumerate(ITEMS)}
    users, skills, its, correct = [], [], [], []
    for u in range(60):
        theta = rng.normal(0, 1)
        for t in range(20):
            it = f"i{int(rng.integers(8))}"
            p = 1 / (1 + np.exp(-(theta - diff[it] + 0.1 * t)))
            users.append(f"u{u}")
            skills.append(ITEMS[it])
            its.append(it)
            correct.append(int(rng.random() < p))
    return Responses.from_arrays(users, skills, correct, item=its if items else None)


SERVED = [("bkt", False), ("pfa", False), ("irt1pl", True), ("irt2pl", True), ("irt1pl", False), ("elo", True), ("elo", False)]


def _model_doc(name: str, items: bool, tmp_path: Path) -> dict:
    model = kt.get_model(name)().fit(_data(0, items))
    path = tmp_path / f"{name}.json"
    model.save(path)
    return json.loads(path.read_text())


def _key(name: str, items: bool, item: str) -> object:
    """What the library tracker is given for a course item: skills (BKT/PFA), the item (item-level IRT/Elo) or its skill."""
    if name in ("bkt", "pfa"):
        return [ITEMS[item]]
    return item if items else ITEMS[item]


@pytest.mark.parametrize(("name", "items"), SERVED, ids=[f"{n}-{'items' if i else 'skills'}" for n, i in SERVED])
def test_http_results_equal_the_library_tracker(api: Api, tmp_path: Path, name: str, items: bool) -> None:
    doc = _model_doc(name, items, tmp_path)
    model = kt.load_dict(doc)
    key = api.tenant("school")
    course = {"name": "c", "skills": {s: [] for s in SKILLS}, "items": ITEMS, "teacher": "mastery", "model": doc}
    api.course(key, course)
    assert api.call(key, "GET", "/v1/courses/c").json()["model"] == f"fitted {name}"
    rng = np.random.default_rng(7)
    tr = model.tracker()
    for learner in ("ann", "bob"):
        answers = [{"item": f"i{int(rng.integers(8))}", "correct": float(rng.choice([0.0, 1.0, 0.25, 0.5]))} for _ in range(25)]
        got = []
        for start in range(0, 25, 10):  # several requests: the state is stored and loaded between them
            r = api.call(key, "POST", f"/v1/courses/c/learners/{learner}/answers", json=answers[start : start + 10])
            assert r.status_code == 200, r.text
            got += [a["predicted_success"] for a in r.json()["answers"]]
        lib = [tr.update_score(learner, _key(name, items, a["item"]), a["correct"]) for a in answers]  # type: ignore[arg-type]
        assert np.max(np.abs(np.array(got) - np.array(lib))) <= 1e-9
        # the stored student-model state is the tracker's public state
        stored = api.call(key, "GET", f"/v1/courses/c/learners/{learner}").json()["model_state"]
        assert stored == json.loads(json.dumps(tr.state(learner)))
        # mastery: BKT's P(known); other models: their predicted success per skill
        rows = {r["skill"]: r for r in api.call(key, "GET", f"/v1/courses/c/learners/{learner}/mastery").json()["skills"]}
        for s in SKILLS:
            if name == "bkt":
                want = tr.mastery(learner)[s]
            else:
                its = [it for it, sk in ITEMS.items() if sk == s]
                want = float(np.mean([tr.predict(learner, _key(name, items, it)) for it in its]))  # type: ignore[arg-type]
            assert abs(rows[s]["p_known"] - want) <= 1e-9, s
            if name != "bkt":
                assert rows[s]["predicted_success"] == rows[s]["p_known"]
        # the next items carry the model's predictions
        nxt = api.call(key, "GET", f"/v1/courses/c/learners/{learner}/next", params={"n": 3}).json()["items"]
        assert nxt
        for row in nxt:
            assert abs(row["predicted_success"] - tr.predict(learner, _key(name, items, row["item"]))) <= 1e-9  # type: ignore[arg-type]


def test_an_elo_model_that_updates_items_is_refused(api: Api, tmp_path: Path) -> None:
    model = kt.get_model("elo")(update_items=True).fit(_data(0, True))
    path = tmp_path / "elo.json"
    model.save(path)
    key = api.tenant("school")
    doc = {"name": "c", "skills": {s: [] for s in SKILLS}, "items": ITEMS, "model": json.loads(path.read_text())}
    r = api.call(key, "POST", "/v1/courses", json=doc)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "update_items" in r.json()["detail"] and "shared by all learners" in r.json()["detail"]
    assert api.call(key, "GET", "/v1/courses").json() == []


def test_a_dkt_model_is_refused_naming_why(api: Api) -> None:
    key = api.tenant("school")
    doc = {"name": "c", "skills": {"a": []}, "model": {"format": kt.FORMAT, "model": "dkt", "params": {}, "state": {}}}
    r = api.call(key, "POST", "/v1/courses", json=doc)
    assert r.status_code == 422
    assert "'dkt' cannot serve" in r.json()["detail"] and "per-student state API" in r.json()["detail"]
    assert api.call(key, "GET", "/v1/courses").json() == []
