"""The service computes what the library computes.

* ASSISTments 2009: a BKT model from ``pedagogy kt fit`` uploaded with a
  course; replaying a slice of the test split through HTTP gives the
  library's ``BKT.predict_proba`` per answer, and ``pedagogy kt eval``'s
  scores, to 1e-9.
* Simulated students (``pedagogy.sim`` BKT students) taught through HTTP get
  exactly the proposals, answers and final mastery that the same teacher with
  the same seed gives in-process.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pedagogy import kt, teachers
from pedagogy.cli import main
from pedagogy.kt.metrics import score_predictions
from pedagogy.service.core import learner_seed
from pedagogy.sim.students import STUDENTS_GRAPH, StudentsLearner
from pedagogy.spaces import SkillGraph

from .conftest import Api

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kt"
TRAIN = FIXTURES / "assist2009_train_50.csv"  # the first students of the ASSISTments 2009 splits
TEST = FIXTURES / "assist2009_test_30.csv"


def test_bkt_predictions_through_http_equal_the_library(api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_path = tmp_path / "bkt.json"
    assert main(["kt", "fit", "--model", "bkt", str(TRAIN), "-o", str(model_path), "--param", "n_restarts=2"]) == 0
    assert main(["kt", "eval", "--model", str(model_path), str(TEST), "--json"]) == 0
    cli_scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    model = kt.load(model_path)
    data = kt.read(TEST)
    expected = model.predict_proba(data)

    key = api.tenant("school")
    skills = sorted(set(model.skill_names_) | set(data.skill_names), key=int)
    api.course(key, {"name": "a09", "skills": {s: [] for s in skills}, "teacher": "mastery", "model": json.loads(model_path.read_text())})
    got = []
    for student, sl in data.students():
        rows = [
            {"item": data.skill_names[data.skill_idx[data.skill_ptr[i]]], "correct": int(data.correct[i])} for i in range(sl.start, sl.stop)
        ]
        for start in range(0, len(rows), 150):  # several requests per student
            r = api.call(key, "POST", f"/v1/courses/a09/learners/{student}/answers", json=rows[start : start + 150])
            assert r.status_code == 200, r.text
            got += [a["predicted_success"] for a in r.json()["answers"]]
    got_arr = np.array(got)
    assert got_arr.shape == expected.shape and data.n_answers > 2000
    assert np.max(np.abs(got_arr - expected)) <= 1e-9
    # the stored predictions are the same numbers
    first = data.user_names[0]
    hist = api.call(key, "GET", f"/v1/courses/a09/learners/{first}/history", params={"limit": 1000}).json()["answers"]
    n0 = len(hist)
    assert np.max(np.abs(np.array([a["predicted_success"] for a in hist]) - expected[:n0])) <= 1e-9
    # and `pedagogy kt eval` scores the service's predictions identically
    http_scores = score_predictions(data.correct, got_arr)
    for k in ("auc", "rmse", "accuracy", "log_loss"):
        assert abs(http_scores[k] - cli_scores[k]) <= 1e-9, k
    assert http_scores["n"] == cli_scores["n"]
    # mastery = the library tracker's P(known) after the same answers
    tr = model.tracker()
    for i in range(n0):
        tr.update("x", data.skill_names[data.skill_idx[data.skill_ptr[i]]], int(data.correct[i]))
    m = api.call(key, "GET", f"/v1/courses/a09/learners/{first}/mastery").json()
    lib = tr.mastery("x")
    for row in m["skills"]:
        if row["skill"] in lib:
            assert abs(row["p_known"] - lib[row["skill"]]) <= 1e-12


STEPS = 80


@pytest.mark.parametrize("teacher, student_seed", [("mastery", 0), ("zpdes", 1), ("ability-matched", 2)])
def test_simulated_students_over_http_match_in_process(api: Api, teacher: str, student_seed: int) -> None:
    course_seed = 11
    learner = f"sim-{student_seed}"
    # in process
    t = teachers.make(teacher, SkillGraph(STUDENTS_GRAPH), seed=learner_seed(course_seed, learner))
    local = StudentsLearner(STUDENTS_GRAPH, seed=student_seed)
    local_tasks, local_scores = [], []
    for _ in range(STEPS):
        task = t.propose()
        score = local.practice(task)
        t.observe(task, score)
        local_tasks.append(task)
        local_scores.append(score)
    # through HTTP
    key = api.tenant("school")
    api.course(key, {"name": "arith", "skills": STUDENTS_GRAPH, "teacher": teacher, "seed": course_seed})
    remote = StudentsLearner(STUDENTS_GRAPH, seed=student_seed)
    tasks, scores = [], []
    base = f"/v1/courses/arith/learners/{learner}"
    for _ in range(STEPS):
        item = api.call(key, "GET", base + "/next").json()["items"][0]["item"]
        score = remote.practice(item)
        assert api.call(key, "POST", base + "/answers", json={"item": item, "correct": score}).status_code == 200
        tasks.append(item)
        scores.append(score)
    assert tasks == local_tasks and scores == local_scores
    assert remote.evaluate() == local.evaluate()
    assert len(set(tasks)) > 3  # the teacher moved through the graph
    state = api.call(key, "GET", base).json()["teacher_state"]
    assert state == json.loads(json.dumps(t.state_dict(space=False)))  # the course keeps the graph
