"""The HTTP API on SQLite and PostgreSQL: the happy path, authentication, tenant isolation, bad input."""

from __future__ import annotations

import json

import pytest

from pedagogy.sim.students import STUDENTS_GRAPH

from .conftest import Api

GRAPH = {"add": [], "sub": ["add"], "mul": ["add"], "div": ["mul", "sub"]}
ITEMS = {"a1": "add", "a2": "add", "s1": "sub", "m1": "mul", "d1": "div", "md": ["mul", "div"]}
COURSE = {"name": "arith", "skills": GRAPH, "items": ITEMS, "teacher": "mastery"}
PROBLEM = "application/problem+json"


def _problem(r, status: int, *words: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for w in words:
        assert w in body["detail"], body["detail"]
    return body


def _n_stored(api: Api) -> int:
    return api.store.count_answers()


@pytest.fixture
def setup(api: Api) -> tuple[Api, str]:
    key = api.tenant("acme")
    api.course(key, COURSE)
    return api, key


def test_flow_answers_next_mastery_history(setup: tuple[Api, str]) -> None:
    api, key = setup
    base = "/v1/courses/arith/learners/ann"
    r = api.call(key, "GET", base + "/next")
    assert r.status_code == 200
    first = r.json()["items"][0]
    assert first["item"] in ("a1", "a2") and first["target_skill"] == "add"
    assert 0 < first["predicted_success"] < 1 and first["mastered"] is False
    assert "add" in first["reason"]
    r = api.call(key, "POST", base + "/answers", json={"item": "a1", "correct": 1, "timestamp": "2024-05-01T10:00:00Z"})
    assert r.status_code == 200, r.text
    one = r.json()["answers"][0]
    assert one["seq"] == 1 and one["predicted_success"] == pytest.approx(first["predicted_success"])
    batch = [{"item": "a2", "correct": 1}, {"item": "s1", "score": 0.25}, {"item": "md", "correct": False}]
    r = api.call(key, "POST", base + "/answers", json=batch)
    assert [a["seq"] for a in r.json()["answers"]] == [2, 3, 4] and r.json()["n_answers"] == 4
    r = api.call(key, "POST", base + "/answers", json={"answers": [{"item": "a1", "correct": 1}]})
    assert r.json()["answers"][0]["seq"] == 5
    m = api.call(key, "GET", base + "/mastery").json()
    skills = {row["skill"]: row for row in m["skills"]}
    assert set(skills) == set(GRAPH) and m["n_answers"] == 5
    assert skills["add"]["p_known"] > 0.9 > skills["div"]["p_known"]  # right answers on add, a wrong one on div
    assert 0 < skills["div"]["predicted_success"] < skills["add"]["predicted_success"] < 1
    page1 = api.call(key, "GET", base + "/history", params={"limit": 2}).json()
    assert [a["item"] for a in page1["answers"]] == ["a1", "a2"] and page1["next_after"] == 2
    assert page1["answers"][0]["timestamp"] == "2024-05-01T10:00:00Z"
    page2 = api.call(key, "GET", base + "/history", params={"limit": 10, "after": 2}).json()
    assert [a["item"] for a in page2["answers"]] == ["s1", "md", "a1"] and page2["next_after"] is None
    assert page2["answers"][0]["score"] == 0.25
    r = api.call(key, "GET", base + "/next", params={"n": 3})
    assert len(r.json()["items"]) == 3
    assert [c["name"] for c in api.call(key, "GET", "/v1/courses").json()] == ["arith"]
    assert api.call(key, "GET", "/v1/courses/arith/learners").json() == [{"learner": "ann", "n_answers": 5}]


def test_openapi_documents_the_resources(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    for path in (
        "/v1/courses",
        "/v1/courses/{course}/learners/{learner}/answers",
        "/v1/xapi/statements",
        "/v1/courses/{course}/learners/{learner}/next",
        "/v1/tenants",
    ):
        assert path in spec["paths"]


def test_authentication(setup: tuple[Api, str]) -> None:
    api, key = setup
    _problem(api.client.get("/v1/courses"), 401, "missing API key")
    _problem(api.client.get("/v1/courses", headers={"Authorization": "Bearer pdg_wrong"}), 401, "invalid")
    _problem(api.client.get("/v1/courses", headers={"Authorization": "Basic abc"}), 401, "Bearer")
    assert api.client.get("/v1/courses", headers={"X-API-Key": key}).status_code == 200
    # a tenant key is not an admin key, and an admin key is not a tenant key
    _problem(api.call(key, "POST", "/v1/tenants", json={"name": "evil"}), 403, "admin")
    _problem(api.admin("GET", "/v1/courses"), 403, "tenant")
    # revoke: the key stops working at once
    keys = api.admin("GET", "/v1/tenants/acme/keys").json()
    assert len(keys) == 1 and "key" not in keys[0] and keys[0]["revoked"] is False
    assert api.admin("DELETE", f"/v1/keys/{keys[0]['id']}").status_code == 200
    _problem(api.call(key, "GET", "/v1/courses"), 401, "revoked")
    assert api.admin("GET", "/v1/tenants/acme/keys").json()[0]["revoked"] is True


def test_keys_are_stored_hashed(setup: tuple[Api, str]) -> None:
    api, key = setup
    from sqlalchemy import text

    with api.store.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT key_hash FROM api_keys"))]
    assert key not in stored and all(len(h) == 64 for h in stored)


def test_other_tenants_data_is_invisible(setup: tuple[Api, str]) -> None:
    api, key = setup
    api.call(key, "POST", "/v1/courses/arith/learners/ann/answers", json={"item": "a1", "correct": 1})
    other = api.tenant("globex")
    missing = _problem(api.call(other, "GET", "/v1/courses/nosuch"), 404)
    for method, path, kw in [
        ("GET", "/v1/courses/arith", {}),
        ("DELETE", "/v1/courses/arith", {}),
        ("GET", "/v1/courses/arith/learners", {}),
        ("GET", "/v1/courses/arith/learners/ann/next", {}),
        ("GET", "/v1/courses/arith/learners/ann/mastery", {}),
        ("GET", "/v1/courses/arith/learners/ann/history", {}),
        ("GET", "/v1/courses/arith/learners/ann", {}),
        ("POST", "/v1/courses/arith/learners/ann/answers", {"json": {"item": "a1", "correct": 0}}),
    ]:
        body = _problem(api.call(other, method, path, **kw), 404, "not found")
        assert body["title"] == missing["title"]
        assert "acme" not in body["detail"]
    st = _statement("6f1f8f6e-8f1e-4a3b-9c1d-0a1b2c3d4e50", "ann", "a1", True)
    _problem(api.call(other, "POST", "/v1/xapi/statements", json=st), 404, "not found")
    # the other tenant's own course of the same name is separate; ann is unknown there
    api.course(other, COURSE)
    _problem(api.call(other, "GET", "/v1/courses/arith/learners/ann/history"), 404)
    _problem(api.call(other, "GET", "/v1/courses/arith/learners/ann/mastery"), 404)
    st = _statement("6f1f8f6e-8f1e-4a3b-9c1d-0a1b2c3d4e51", "ann", "a1", True)
    assert api.call(other, "POST", "/v1/xapi/statements", json=st).status_code == 200
    # ... and acme's ann still has exactly her one answer
    assert len(api.call(key, "GET", "/v1/courses/arith/learners/ann/history").json()["answers"]) == 1
    assert len(api.call(other, "GET", "/v1/courses/arith/learners/ann/history").json()["answers"]) == 1
    # a tenant cannot revoke another tenant's key
    acme_key_id = api.admin("GET", "/v1/tenants/acme/keys").json()[0]["id"]
    _problem(api.call(other, "DELETE", f"/v1/keys/{acme_key_id}"), 404)
    assert api.call(key, "GET", "/v1/courses").status_code == 200


@pytest.mark.parametrize(
    "body, status, words",
    [
        (b'{"item": "a1", "correct": 1', 400, ["malformed JSON"]),
        (b'{"item": "zz", "correct": 1}', 422, ["unknown item 'zz'"]),
        (b'{"item": "a1", "correct": 1.5}', 422, ["correct"]),
        (b'{"item": "a1", "correct": -0.1}', 422, ["correct"]),
        (b'{"item": "a1", "score": "high"}', 422, ["score"]),
        (b'{"item": "a1"}', 422, ["correct", "score"]),
        (b'{"item": "a1", "correct": 1, "timestamp": "yesterday"}', 422, ["timestamp"]),
        (b'{"item": "a1", "correct": 1, "timestamp": "2024-13-45T99:00:00Z"}', 422, ["timestamp"]),
        (b'{"item": "a1", "correct": 1, "bogus": 2}', 422, ["bogus"]),
        (b'[{"item": "a1", "correct": 1}, {"item": "a1", "correct": 7}]', 422, ["answer 1"]),
        (b'[{"item": "a1", "correct": 1}, {"item": "nope", "correct": 1}]', 422, ["answer 1", "nope"]),
        (b"[]", 422, ["empty"]),
        (b'"a1"', 422, ["answer object"]),
    ],
)
def test_bad_answers_store_nothing(setup: tuple[Api, str], body: bytes, status: int, words: list[str]) -> None:
    api, key = setup
    path = "/v1/courses/arith/learners/ann/answers"
    api.call(key, "POST", path, json={"item": "a1", "correct": 1})
    before = api.call(key, "GET", "/v1/courses/arith/learners/ann").json()
    _problem(api.call(key, "POST", path, content=body, headers={"Content-Type": "application/json"}), status, *words)
    after = api.call(key, "GET", "/v1/courses/arith/learners/ann").json()
    assert after == before and _n_stored(api) == 1


def test_oversized_body_is_refused(setup: tuple[Api, str]) -> None:
    api, key = setup
    big = [{"item": "a1", "correct": 1}] * 3000  # ~90 kB, over the 64 kB limit of the fixture
    _problem(api.call(key, "POST", "/v1/courses/arith/learners/ann/answers", json=big), 413, "64000 bytes")
    assert _n_stored(api) == 0
    # also without a Content-Length (chunked)
    chunks = (json.dumps(big)[i : i + 4096].encode() for i in range(0, 90_000, 4096))
    r = api.call(key, "POST", "/v1/courses/arith/learners/ann/answers", content=chunks, headers={"Content-Type": "application/json"})
    _problem(r, 413)
    assert _n_stored(api) == 0


@pytest.mark.parametrize(
    "doc, words",
    [
        ({"name": "c", "skills": {"a": ["c"], "b": ["a"], "c": ["b"]}}, ["cycle", "a", "b", "c"]),
        ({"name": "c", "skills": {"a": ["ghost"]}}, ["unknown prerequisite 'ghost'"]),
        ({"name": "c", "skills": {"a": []}, "items": {"i1": "ghost"}}, ["unknown skill 'ghost'"]),
        ({"name": "c", "skills": {"a": []}, "teacher": "nosuch"}, ["unknown teacher 'nosuch'"]),
        ({"name": "c", "skills": {"a": []}, "teacher_options": {"threshold": 7}}, ["threshold"]),
        ({"name": "c", "skills": {"a": []}, "model": {"model": "pfa"}}, ["BKT"]),
        ({"name": "c"}, ["skills"]),
        ({"skills": {"a": []}}, ["name"]),
        ({"name": "c", "skills": {"a": []}, "colour": "red"}, ["colour"]),
    ],
)
def test_bad_courses_are_422_naming_the_problem(api: Api, doc: dict, words: list[str]) -> None:
    key = api.tenant("acme")
    _problem(api.call(key, "POST", "/v1/courses", json=doc), 422, *words)
    assert api.call(key, "GET", "/v1/courses").json() == []


def test_course_conflict_and_delete(setup: tuple[Api, str]) -> None:
    api, key = setup
    _problem(api.call(key, "POST", "/v1/courses", json=COURSE), 409, "arith")
    api.call(key, "POST", "/v1/courses/arith/learners/ann/answers", json={"item": "a1", "correct": 1})
    assert api.call(key, "DELETE", "/v1/courses/arith").status_code == 204
    _problem(api.call(key, "GET", "/v1/courses/arith"), 404)
    assert _n_stored(api) == 0
    # a new course of the same name is a new course (nothing cached from the old one)
    api.course(key, {"name": "arith", "skills": {"x": []}, "items": {"x1": "x"}})
    _problem(api.call(key, "POST", "/v1/courses/arith/learners/ann/answers", json={"item": "a1", "correct": 1}), 422, "a1")
    assert api.call(key, "GET", "/v1/courses/arith/learners/ann/next").json()["items"][0]["item"] == "x1"


def test_idempotency_key(setup: tuple[Api, str]) -> None:
    api, key = setup
    path = "/v1/courses/arith/learners/ann/answers"
    body = [{"item": "a1", "correct": 1}, {"item": "s1", "correct": 0}]
    first = api.call(key, "POST", path, json=body, headers={"Idempotency-Key": "req-1"})
    again = api.call(key, "POST", path, json=body, headers={"Idempotency-Key": "req-1"})
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert _n_stored(api) == 2
    _problem(api.call(key, "POST", path, json=body[:1], headers={"Idempotency-Key": "req-1"}), 422, "req-1")
    assert api.call(key, "POST", path, json=body[:1], headers={"Idempotency-Key": "req-2"}).json()["answers"][0]["seq"] == 3
    assert _n_stored(api) == 3
    # keys are per tenant
    other = api.tenant("globex")
    api.course(other, COURSE)
    assert api.call(other, "POST", path, json=body, headers={"Idempotency-Key": "req-1"}).json()["answers"][0]["seq"] == 1


def _statement(
    sid: str | None, learner: str, item: str, success: bool | None = None, scaled: float | None = None, course: str = "arith"
) -> dict:
    result: dict = {}
    if success is not None:
        result["success"] = success
    if scaled is not None:
        result["score"] = {"scaled": scaled}
    st = {
        "actor": {"account": {"homePage": "https://school.example", "name": learner}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"id": f"https://school.example/items/{item}"},
        "result": result,
        "context": {"contextActivities": {"parent": [{"id": f"https://school.example/courses/{course}"}]}},
        "timestamp": "2024-05-01T10:00:00Z",
    }
    if sid is not None:
        st["id"] = sid
    return st


def test_xapi_statements(setup: tuple[Api, str]) -> None:
    api, key = setup
    ids = [f"6f1f8f6e-8f1e-4a3b-9c1d-0a1b2c3d4e{i:02d}" for i in range(4)]
    batch = [
        _statement(ids[0], "ann", "a1", True),
        _statement(ids[1], "bob", "s1", scaled=0.5),
        _statement(ids[2], "ann", "a2", False),
        _statement(None, "ann", "m1", True),
    ]
    r = api.call(key, "POST", "/v1/xapi/statements", json=batch)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got[:3] == ids[:3] and len(got) == 4
    hist = api.call(key, "GET", "/v1/courses/arith/learners/ann/history").json()["answers"]
    assert [(a["item"], a["score"], a["source"]) for a in hist] == [("a1", 1.0, "xapi"), ("a2", 0.0, "xapi"), ("m1", 1.0, "xapi")]
    assert api.call(key, "GET", "/v1/courses/arith/learners/bob/history").json()["answers"][0]["score"] == 0.5
    state = api.call(key, "GET", "/v1/courses/arith/learners/ann").json()
    # re-sending a stored statement changes nothing
    assert api.call(key, "POST", "/v1/xapi/statements", json=batch[0]).json() == [ids[0]]
    assert api.call(key, "POST", "/v1/xapi/statements", json=batch[:3]).json() == ids[:3]
    assert api.call(key, "GET", "/v1/courses/arith/learners/ann").json() == state and _n_stored(api) == 4
    # same id, different content: 409; duplicate ids in one batch: 400; nothing stored either way
    _problem(api.call(key, "POST", "/v1/xapi/statements", json=_statement(ids[0], "ann", "a1", False)), 409, ids[0])
    fresh = "6f1f8f6e-8f1e-4a3b-9c1d-0a1b2c3d4eff"
    _problem(
        api.call(key, "POST", "/v1/xapi/statements", json=[_statement(fresh, "ann", "a1", True), _statement(fresh, "ann", "a1", True)]),
        400,
        fresh,
    )
    # a batch with one bad statement stores none of it
    _problem(
        api.call(key, "POST", "/v1/xapi/statements", json=[_statement(fresh, "ann", "a1", True), _statement(None, "ann", "ghost", True)]),
        400,
        "ghost",
    )
    for bad, word in [
        ({**batch[0], "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"}}, "verb"),
        ({**batch[0], "actor": {"mbox": "mailto:a@b.c"}}, "actor.account.name"),
        ({**batch[0], "result": {}}, "result"),
        (_statement(None, "ann", "a1", scaled=1.5), "scaled"),
        ({**batch[0], "id": "not-a-uuid"}, "UUID"),
        ({**_statement(None, "ann", "a1", True), "context": {}}, "course"),
    ]:
        _problem(api.call(key, "POST", "/v1/xapi/statements", json=bad), 400, word)
    assert api.call(key, "GET", "/v1/courses/arith/learners/ann").json() == state and _n_stored(api) == 4
    # the course can also be given on the request
    st = {**_statement(None, "cy", "a1", True), "context": {}}
    assert api.call(key, "POST", "/v1/xapi/statements", params={"course": "arith"}, json=st).status_code == 200
    _problem(api.call(key, "POST", "/v1/xapi/statements", json=_statement(None, "ann", "a1", True, course="ghost")), 404, "ghost")


def test_enrol_with_a_seed(setup: tuple[Api, str]) -> None:
    api, key = setup
    r = api.call(key, "PUT", "/v1/courses/arith/learners/zed", json={"seed": 42})
    assert r.status_code == 200 and r.json()["teacher_seed"] == 42
    assert api.call(key, "PUT", "/v1/courses/arith/learners/zed", json={"seed": 42}).status_code == 200
    _problem(api.call(key, "PUT", "/v1/courses/arith/learners/zed", json={"seed": 43}), 409, "seed")
    assert api.call(key, "GET", "/v1/courses/arith/learners/zed").json()["teacher_state"]["seed"] == 42


def test_courses_on_the_students_graph_for_each_tutoring_teacher(api: Api) -> None:
    key = api.tenant("acme")
    for teacher in ("mastery", "zpdes", "ability-matched"):
        api.course(key, {"name": teacher, "skills": STUDENTS_GRAPH, "teacher": teacher})
        for _ in range(3):
            nxt = api.call(key, "GET", f"/v1/courses/{teacher}/learners/ann/next").json()["items"][0]
            assert nxt["item"] in STUDENTS_GRAPH
            r = api.call(key, "POST", f"/v1/courses/{teacher}/learners/ann/answers", json={"item": nxt["item"], "correct": 1})
            assert r.status_code == 200


def test_the_stored_teacher_state_leaves_the_course_graph_out(setup: tuple[Api, str]) -> None:
    api, key = setup
    base = "/v1/courses/arith/learners/ann"
    api.call(key, "POST", base + "/answers", json={"item": "a1", "correct": 1})
    api.call(key, "GET", base + "/next")
    state = api.call(key, "GET", base).json()["teacher_state"]
    assert "space" not in state and state["teacher"] == "mastery"  # the course holds the graph; every write is smaller
