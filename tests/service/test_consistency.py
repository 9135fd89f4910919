"""Concurrent answers for one learner lose nothing: the final state is a sequential replay of the stored answers."""

from __future__ import annotations

import asyncio
import json

import httpx

from pedagogy.service import core
from pedagogy.service.store import AnswerIn, replay
from pedagogy.sim.students import STUDENTS_GRAPH

from .conftest import Server, ThreadServer, tenant_key

N = 48
SKILLS = list(STUDENTS_GRAPH)


def _answers(n: int) -> list[dict]:
    # different items and scores, so that the order of the updates matters
    return [{"item": SKILLS[(7 * i) % len(SKILLS)], "correct": [1, 0, 1, 0.5, 1, 0.25][i % 6]} for i in range(n)]


async def _fire(url: str, key: str, bodies: list[dict], learner: str) -> list[int]:
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        h = {"Authorization": f"Bearer {key}"}
        path = f"/v1/courses/c/learners/{learner}/answers"
        rs = await asyncio.gather(*(client.post(path, json=b, headers=h) for b in bodies))
    return [r.status_code for r in rs]


def _check(url: str, key: str, learner: str, teacher: str) -> None:
    h = {"Authorization": f"Bearer {key}"}
    state = httpx.get(f"{url}/v1/courses/c/learners/{learner}", headers=h, timeout=30).json()
    hist = httpx.get(f"{url}/v1/courses/c/learners/{learner}/history", params={"limit": 1000}, headers=h, timeout=30).json()
    stored = hist["answers"]
    assert [a["seq"] for a in stored] == list(range(1, N + 1))
    assert sorted(json.dumps(a, sort_keys=True) for a in _answers(N)) == sorted(
        json.dumps({"item": a["item"], "correct": a["score"] if a["score"] not in (0.0, 1.0) else int(a["score"])}, sort_keys=True)
        for a in stored
    )
    assert state["n_answers"] == N and state["version"] == N
    fields = core.parse_course({"name": "c", "skills": STUDENTS_GRAPH, "teacher": teacher})
    rt = core.CourseRuntime(0, "c", fields["space"], teacher, {}, 0, None)
    model_state, teacher_state = replay(rt, state["teacher_seed"], [AnswerIn(a["item"], a["score"], None) for a in stored])
    assert state["model_state"] == json.loads(json.dumps(model_state))
    assert state["teacher_state"] == json.loads(json.dumps(teacher_state))
    # and each answer's stored prediction is the replay's prediction at that point
    session = rt.session(None, None, state["teacher_seed"])
    for a in stored:
        assert session.answer(a["item"], a["score"]) == a["predicted_success"]


def _run(url: str, key: str, teacher: str) -> None:
    h = {"Authorization": f"Bearer {key}"}
    r = httpx.post(url + "/v1/courses", json={"name": "c", "skills": STUDENTS_GRAPH, "teacher": teacher}, headers=h, timeout=30)
    assert r.status_code == 201, r.text
    codes = asyncio.run(_fire(url, key, _answers(N), "ann"))
    assert codes == [200] * N
    _check(url, key, "ann", teacher)


def test_concurrent_answers_one_process(db_url: str) -> None:
    with ThreadServer(db_url) as srv:
        _run(srv.url, tenant_key(srv.url, "acme"), "zpdes")


def test_concurrent_answers_two_worker_processes_on_postgresql(pg_database: str) -> None:
    srv = Server(pg_database, workers=2).start()
    try:
        _run(srv.url, tenant_key(srv.url, "acme"), "mastery")
    finally:
        srv.stop()


async def _same_key(url: str, key: str, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        h = {"Authorization": f"Bearer {key}", "Idempotency-Key": "retry-1"}
        body = [{"item": "counting", "correct": 1}, {"item": "addition", "correct": 0}]
        return await asyncio.gather(*(client.post("/v1/courses/c/learners/bo/answers", json=body, headers=h) for _ in range(n)))


def test_concurrent_retries_with_one_idempotency_key_store_once(db_url: str) -> None:
    with ThreadServer(db_url) as srv:
        key = tenant_key(srv.url, "acme")
        h = {"Authorization": f"Bearer {key}"}
        assert httpx.post(srv.url + "/v1/courses", json={"name": "c", "skills": STUDENTS_GRAPH}, headers=h).status_code == 201
        rs = asyncio.run(_same_key(srv.url, key, 8))
        assert [r.status_code for r in rs] == [200] * 8
        assert all(r.json() == rs[0].json() for r in rs)
        hist = httpx.get(srv.url + "/v1/courses/c/learners/bo/history", headers=h).json()["answers"]
        assert [a["item"] for a in hist] == ["counting", "addition"]
