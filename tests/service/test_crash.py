"""Crash safety: SIGKILL the server while answers stream in; after a restart every acknowledged answer is
stored and each learner's state is a replay of its stored answers."""

from __future__ import annotations

import threading
import time

import httpx

from pedagogy.service import core
from pedagogy.service.store import AnswerIn, replay
from pedagogy.sim.students import STUDENTS_GRAPH

from .conftest import ADMIN, Server, tenant_key

SKILLS = list(STUDENTS_GRAPH)
LEARNERS = [f"l{i}" for i in range(4)]


def test_sigkill_mid_stream_loses_no_acknowledged_answer(db_url: str) -> None:
    srv = Server(db_url).start()  # the default durability settings (SQLite synchronous=full)
    key = tenant_key(srv.url, "acme")
    h = {"Authorization": f"Bearer {key}"}
    r = httpx.post(srv.url + "/v1/courses", json={"name": "c", "skills": STUDENTS_GRAPH, "teacher": "zpdes"}, headers=h)
    assert r.status_code == 201, r.text
    acked: dict[str, list[dict]] = {name: [] for name in LEARNERS}
    stop = threading.Event()

    def stream(name: str, offset: int) -> None:
        i = offset
        with httpx.Client(base_url=srv.url, headers=h, timeout=10) as client:
            while not stop.is_set():
                batch = [{"item": SKILLS[(i + k) % len(SKILLS)], "correct": (i + k) % 3 % 2} for k in range(1 + i % 3)]
                try:
                    r = client.post(f"/v1/courses/c/learners/{name}/answers", json=batch)
                except httpx.HTTPError:
                    return  # the server is gone
                if 200 <= r.status_code < 300:
                    acked[name] += r.json()["answers"]
                i += 1

    threads = [threading.Thread(target=stream, args=(name, 5 * n)) for n, name in enumerate(LEARNERS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while (sum(len(v) for v in acked.values()) < 80 or min(len(v) for v in acked.values()) < 5) and time.monotonic() < deadline:
        time.sleep(0.02)
    srv.kill()  # mid-stream: requests are in flight
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert all(acked.values()), "every learner had acknowledged answers before the kill"

    again = Server(db_url).start()
    try:
        fields = core.parse_course({"name": "c", "skills": STUDENTS_GRAPH, "teacher": "zpdes"})
        rt = core.CourseRuntime(0, "c", fields["space"], "zpdes", {}, 0, None)
        with httpx.Client(base_url=again.url, headers=h, timeout=30) as client:
            for name in LEARNERS:
                stored = client.get(f"/v1/courses/c/learners/{name}/history", params={"limit": 1000}).json()["answers"]
                by_seq = {a["seq"]: a for a in stored}
                assert [a["seq"] for a in stored] == list(range(1, len(stored) + 1))
                for a in acked[name]:
                    s = by_seq.get(a["seq"])
                    assert s is not None, f"acknowledged answer {a} of {name} was lost"
                    assert (s["item"], s["score"], s["predicted_success"]) == (a["item"], a["score"], a["predicted_success"])
                state = client.get(f"/v1/courses/c/learners/{name}").json()
                assert state["n_answers"] == len(stored)
                model_state, teacher_state = replay(rt, state["teacher_seed"], [AnswerIn(a["item"], a["score"], None) for a in stored])
                assert state["model_state"] == model_state
                assert state["teacher_state"] == teacher_state
            # the restarted server goes on where the stored state is
            assert client.post("/v1/courses/c/learners/l0/answers", json={"item": "counting", "correct": 1}).status_code == 200
            assert httpx.get(again.url + "/v1/tenants", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    finally:
        again.stop()
