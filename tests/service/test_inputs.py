"""Bad input is a 4xx problem naming the field, on SQLite and PostgreSQL alike, with nothing stored.

Each case here answered 500 (or was silently misread) before the input rules of
``pedagogy.service.inputs``; see issue 16.
"""

from __future__ import annotations

import json
import socket

import pytest

from .conftest import Api, ThreadServer
from .test_api import COURSE, _n_stored, _problem

BASE = "/v1/courses/arith/learners/ann"
XAPI = "http://adlnet.gov/expapi/verbs/answered"


@pytest.fixture
def setup(api: Api) -> tuple[Api, str]:
    key = api.tenant("acme")
    api.course(key, COURSE)
    return api, key


def _raw(api: Api, key: str, method: str, path: str, body: str) -> object:
    return api.call(key, method, path, content=body.encode(), headers={"Content-Type": "application/json"})


def _statement(name: str = "ann", item: str = "a1", **extra: object) -> dict:
    return {
        "actor": {"account": {"homePage": "https://lms.example", "name": name}},
        "verb": {"id": XAPI},
        "object": {"id": item},
        "result": {"success": True},
        "context": {"contextActivities": {"parent": [{"id": "arith"}]}},
        **extra,
    }


def _courses(api: Api, key: str) -> list[str]:
    return [c["name"] for c in api.call(key, "GET", "/v1/courses").json()]


def test_lone_surrogate_in_a_course_name_is_a_422(setup: tuple[Api, str]) -> None:
    api, key = setup
    r = _raw(api, key, "POST", "/v1/courses", '{"name": "x\\ud800", "skills": {"a": []}}')
    body = _problem(r, 422, "surrogate")
    assert body["field"] == "body.name"
    assert _courses(api, key) == ["arith"]


def test_lone_surrogate_in_an_xapi_actor_is_a_422(setup: tuple[Api, str]) -> None:
    api, key = setup
    doc = json.dumps(_statement()).replace('"ann"', '"ann\\udc00"')
    _problem(_raw(api, key, "POST", "/v1/xapi/statements", doc), 422, "surrogate")
    assert _n_stored(api) == 0


@pytest.mark.parametrize("path", ["/v1/courses", BASE + "/answers", "/v1/xapi/statements", "/v1/tenants"])
def test_deeply_nested_json_is_a_400(setup: tuple[Api, str], path: str) -> None:
    api, key = setup
    _problem(_raw(api, key, "POST", path, "[" * 30_000 + "]" * 30_000), 400, "nested")
    _problem(_raw(api, key, "POST", path, "[" * 40 + "]" * 40), 400, "nested")  # under the recursion limit, over ours


def test_integers_beyond_their_columns_in_paths_and_queries_are_422(setup: tuple[Api, str]) -> None:
    api, key = setup
    api.call(key, "POST", BASE + "/answers", json={"item": "a1", "correct": 1})
    _problem(api.call(key, "GET", BASE + "/history?after=9223372036854775808"), 422, "after")
    _problem(api.call(key, "GET", BASE + "/history?after=2147483648"), 422, "after")
    _problem(api.admin("DELETE", "/v1/keys/99999999999999999999"), 422, "key_id")
    assert api.call(key, "GET", BASE + "/history?after=2147483647").json()["answers"] == []
    _problem(api.admin("DELETE", "/v1/keys/2147483647"), 404, "2147483647")


@pytest.mark.parametrize("items", [{"i1": 3}, {"i1": [["a"]]}, {"i1": []}, {"i1": None}])
def test_course_items_must_be_skill_names(setup: tuple[Api, str], items: dict) -> None:
    api, key = setup
    r = api.call(key, "POST", "/v1/courses", json={"name": "bad", "skills": {"a": []}, "items": items})
    _problem(r, 422, "items.i1")
    assert _courses(api, key) == ["arith"]


def test_a_long_reverse_prerequisite_chain_serves_its_dashboard(setup: tuple[Api, str]) -> None:
    api, key = setup
    n = 1500
    skills = {f"s{i}": [f"s{i + 1}"] if i < n - 1 else [] for i in range(n)}
    api.course(key, {"name": "chain", "skills": skills})
    api.client.cookies.set("pedagogy_key", key)
    r = api.client.get("/courses/chain")
    assert r.status_code == 200 and "skill-graph" in r.text


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"name": "long", "skills": {"a": []}, "items": {"i" * 10_000: "a"}}, "items"),
        ({"name": "long", "skills": {"s" * 10_000: []}}, "skills"),
        ({"name": "long", "title": "t" * 50_000, "skills": {"a": []}}, "title"),
        ({"name": "n" * 201, "skills": {"a": []}}, "name"),
        ({"name": "nul\x00", "skills": {"a": []}}, "body.name"),
        ({"name": "ok", "skills": {"a\x00": []}}, "body.skills"),
        ({"name": "ok", "skills": {"a": []}, "teacher": "mastery\x00"}, "body.teacher"),
    ],
)
def test_course_names_and_titles_follow_one_rule_on_both_backends(setup: tuple[Api, str], doc: dict, field: str) -> None:
    api, key = setup
    r = api.call(key, "POST", "/v1/courses", json=doc)
    assert r.status_code in (400, 422), r.text
    assert field in r.json()["detail"], r.json()["detail"]
    assert _courses(api, key) == ["arith"]


def test_nul_in_tenant_and_learner_names_is_refused(setup: tuple[Api, str]) -> None:
    api, key = setup
    _problem(api.admin("POST", "/v1/tenants", json={"name": "t\x00"}), 422, "NUL")
    _problem(api.call(key, "POST", "/v1/courses/arith/learners/a%00b/answers", json={"item": "a1", "correct": 1}), 422, "learner")
    _problem(api.call(key, "GET", "/v1/courses/arith/learners/a%00b/next"), 422, "learner")
    _problem(api.call(key, "POST", "/v1/xapi/statements", json=_statement(name="a\x00b")), 422, "NUL")
    _problem(api.call(key, "POST", "/v1/xapi/statements", json=_statement(name="x" * 201)), 400, "actor.account.name")
    assert _n_stored(api) == 0
    assert [t["name"] for t in api.admin("GET", "/v1/tenants").json()] == ["acme"]


def test_an_xapi_learner_id_must_be_addressable_in_a_path(setup: tuple[Api, str]) -> None:
    api, key = setup
    r = api.call(key, "POST", "/v1/xapi/statements", json=_statement(name="has/slash"))
    body = _problem(r, 400, "/")
    assert body["field"] == "actor.account.name"
    _problem(api.call(key, "POST", "/v1/xapi/statements", json=_statement(item="i" * 201)), 400, "object.id")
    assert _n_stored(api) == 0


@pytest.mark.parametrize("value", ["1", "0.5", "true", [1], {"v": 1}])
def test_scores_must_be_json_numbers_or_booleans(setup: tuple[Api, str], value: object) -> None:
    api, key = setup
    for field in ("correct", "score"):
        _problem(api.call(key, "POST", BASE + "/answers", json={"item": "a1", field: value}), 422, field)
    assert _n_stored(api) == 0


@pytest.mark.parametrize("ts", [253402300800, 1714557600, "yesterday", "0001-01-01T00:00:00+01:00"])
def test_timestamps_are_iso_strings_only(setup: tuple[Api, str], ts: object) -> None:
    api, key = setup
    _problem(api.call(key, "POST", BASE + "/answers", json={"item": "a1", "correct": 1, "timestamp": ts}), 422, "timestamp")
    _problem(api.call(key, "POST", "/v1/xapi/statements", json=_statement(timestamp=ts)), 400, "timestamp")
    assert _n_stored(api) == 0
    r = api.call(key, "POST", BASE + "/answers", json={"item": "a1", "correct": 1, "timestamp": "2024-05-01T12:00:00"})
    assert r.json()["answers"][0]["timestamp"] == "2024-05-01T12:00:00Z"  # no offset: UTC


def test_a_model_that_does_not_load_names_no_server_path(setup: tuple[Api, str]) -> None:
    api, key = setup
    model = {"format": "pedagogy.kt/1", "model": "bkt", "params": {}, "state": {"skill_names": "oops"}}
    body = _problem(api.call(key, "POST", "/v1/courses", json={"name": "m", "skills": {"a": []}, "model": model}), 422, "model")
    assert "/tmp" not in body["detail"] and "pedagogy-model-" not in body["detail"]


def test_batches_are_limited(setup: tuple[Api, str]) -> None:
    from pedagogy.service import inputs

    api, key = setup
    batch = [{"item": "a1", "correct": 1}] * (inputs.MAX_BATCH + 1)
    _problem(api.call(key, "POST", BASE + "/answers", json=batch), 413, str(inputs.MAX_BATCH))
    assert _n_stored(api) == 0


def test_courses_are_limited(setup: tuple[Api, str]) -> None:
    from pedagogy.service import inputs

    api, key = setup
    skills = {f"s{i}": [] for i in range(inputs.MAX_SKILLS + 1)}
    _problem(api.call(key, "POST", "/v1/courses", json={"name": "big", "skills": skills}), 422, str(inputs.MAX_SKILLS))


def _http(sock: socket.socket, request: bytes) -> bytes:
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return head


def test_the_connection_is_kept_after_bad_input(db_url: str) -> None:
    with ThreadServer(db_url) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as sock:
            body = b"[" * 30_000 + b"]" * 30_000
            head = _http(
                sock,
                b"POST /v1/courses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body,
            )
            assert head.startswith(b"HTTP/1.1 400") and b"connection: close" not in head.lower()
            head = _http(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
