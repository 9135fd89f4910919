"""Large batches: a configurable limit (413 naming it), stored in bounded chunks, each its own commit,
idempotent on a retry after an interruption between chunks (issue 16, item 3)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import ADMIN, Api
from .test_api import COURSE, ITEMS, _problem, _statement

MAX_BATCH = 50
CHUNK = 7
N = 30  # answers in the test batch: chunks of 7, 7, 7, 7, 2
PATH = "/v1/courses/arith/learners/{}/answers"


@pytest.fixture
def chunked(db_url: str) -> Iterator[tuple[Api, str]]:
    from fastapi.testclient import TestClient

    from pedagogy.service.app import create_app
    from pedagogy.service.config import Settings

    settings = Settings(db=db_url, admin_key=ADMIN, max_batch=MAX_BATCH, chunk=CHUNK, sqlite_synchronous="normal")
    app = create_app(settings, migrate=False)
    with TestClient(app) as client:
        api = Api(client, app.state.store)
        key = api.tenant("acme")
        api.course(key, COURSE)
        yield api, key
    app.state.store.dispose()


def _batch(n: int = N) -> list[dict[str, Any]]:
    items = sorted(ITEMS)
    return [
        {"item": items[(3 * i) % len(items)], "correct": i % 3 != 1, "timestamp": f"2024-05-01T10:{i // 60:02d}:{i % 60:02d}Z"}
        for i in range(n)
    ]


def _history(api: Api, key: str, learner: str) -> list[dict[str, Any]]:
    r = api.call(key, "GET", f"/v1/courses/arith/learners/{learner}/history", params={"limit": 1000})
    assert r.status_code == 200, r.text
    return list(r.json()["answers"])


def _enrol(api: Api, key: str, learner: str) -> None:
    assert api.call(key, "PUT", f"/v1/courses/arith/learners/{learner}", json={"seed": 5}).status_code == 200


def _state(api: Api, key: str, learner: str) -> tuple[Any, Any, int]:
    s = api.call(key, "GET", f"/v1/courses/arith/learners/{learner}").json()
    return s["model_state"], s["teacher_state"], s["n_answers"]


class Interrupted(Exception):
    pass


def _interrupt_after(api: Api, n_stored: int) -> None:
    """Make the store fail (as a crash would) right after the chunk that brings the batch to ``n_stored``."""

    def hook(done: int) -> None:
        if done == n_stored:
            raise Interrupted(f"interrupted after {done}")

    api.store._chunk_committed = hook  # type: ignore[method-assign]


def _call_interrupted(api: Api, key: str, path: str, body: Any, headers: dict[str, str] | None = None) -> None:
    """The request dies mid-way: the test client re-raises the error, or the app answered it with a 500."""
    try:
        r = api.call(key, "POST", path, json=body, headers=headers or {})
    except Interrupted:
        return
    assert r.status_code == 500, r.text


def test_batch_over_the_configured_limit_is_413_naming_it(chunked: tuple[Api, str]) -> None:
    api, key = chunked
    _problem(api.call(key, "POST", PATH.format("ann"), json=_batch(MAX_BATCH + 1)), 413, str(MAX_BATCH), "--max-batch")
    sts = [_statement(str(uuid.UUID(int=i)), "ann", "a1", True) for i in range(MAX_BATCH + 1)]
    _problem(api.call(key, "POST", "/v1/xapi/statements", json=sts), 413, str(MAX_BATCH), "--max-batch")
    assert api.store.count_answers() == 0
    assert api.call(key, "POST", PATH.format("ann"), json=_batch(MAX_BATCH)).status_code == 200
    assert api.store.count_answers() == MAX_BATCH


def test_chunked_batch_equals_one_transaction(chunked: tuple[Api, str]) -> None:
    api, key = chunked
    for learner in ("one", "chunks"):
        _enrol(api, key, learner)
    api.store.chunk = 10_000
    whole = api.call(key, "POST", PATH.format("one"), json=_batch()).json()
    api.store.chunk = CHUNK
    commits: list[int] = []
    api.store._chunk_committed = commits.append  # type: ignore[method-assign]
    parts = api.call(key, "POST", PATH.format("chunks"), json=_batch()).json()
    assert commits == [7, 14, 21, 28]  # five commits: four between-chunk hand-overs, then the last chunk
    assert parts["n_answers"] == whole["n_answers"] == N
    assert parts["answers"] == whole["answers"]
    assert [a["seq"] for a in _history(api, key, "chunks")] == list(range(1, N + 1))
    assert _state(api, key, "chunks") == _state(api, key, "one")


def test_bad_answer_in_a_late_chunk_stores_nothing(chunked: tuple[Api, str]) -> None:
    api, key = chunked
    batch = _batch()
    batch[-1]["item"] = "nope"
    _problem(api.call(key, "POST", PATH.format("ann"), json=batch), 422, "answer 29", "nope")
    assert api.store.count_answers() == 0


@pytest.mark.parametrize("cut", [7, 28])
def test_retry_after_interruption_between_chunks_stores_nothing_twice(chunked: tuple[Api, str], cut: int) -> None:
    api, key = chunked
    for learner in ("ref", "ann"):
        _enrol(api, key, learner)
    reference = api.call(key, "POST", PATH.format("ref"), json=_batch()).json()
    _interrupt_after(api, cut)
    headers = {"Idempotency-Key": "big-1"}
    _call_interrupted(api, key, PATH.format("ann"), _batch(), headers)
    assert len(_history(api, key, "ann")) == cut  # the chunks before the interruption are committed
    # a different request under the same key is refused, and stores nothing
    _problem(api.call(key, "POST", PATH.format("ann"), json=_batch(N - 1), headers=headers), 422, "big-1")
    api.store._chunk_committed = lambda done: None  # type: ignore[method-assign]
    r = api.call(key, "POST", PATH.format("ann"), json=_batch(), headers=headers)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["n_answers"] == N
    assert done["answers"] == reference["answers"]  # the response of an uninterrupted run
    hist = _history(api, key, "ann")
    assert [a["seq"] for a in hist] == list(range(1, N + 1))
    assert [(a["item"], a["score"]) for a in hist] == [(a["item"], a["score"]) for a in reference["answers"]]
    assert _state(api, key, "ann") == _state(api, key, "ref")
    # and once finished, the same key answers the stored response without storing anything
    again = api.call(key, "POST", PATH.format("ann"), json=_batch(), headers=headers)
    assert again.status_code == 200 and again.json() == done
    assert len(_history(api, key, "ann")) == N


def test_xapi_retry_after_interruption_between_chunks(chunked: tuple[Api, str]) -> None:
    api, key = chunked
    items = sorted(ITEMS)
    sts = [_statement(str(uuid.UUID(int=i + 1)), "ann", items[i % len(items)], i % 2 == 0) for i in range(N)]
    _interrupt_after(api, 14)
    _call_interrupted(api, key, "/v1/xapi/statements", sts)
    assert len(_history(api, key, "ann")) == 14
    api.store._chunk_committed = lambda done: None  # type: ignore[method-assign]
    r = api.call(key, "POST", "/v1/xapi/statements", json=sts)
    assert r.status_code == 200, r.text
    assert r.json() == [s["id"] for s in sts]
    hist = _history(api, key, "ann")
    assert [a["seq"] for a in hist] == list(range(1, N + 1))
    assert [a["item"] for a in hist] == [items[i % len(items)] for i in range(N)]
    # an unknown item in the last chunk: the whole batch is refused before any chunk is stored
    bad = [_statement(str(uuid.UUID(int=1000 + i)), "bob", "a1", True) for i in range(N)]
    bad[-1] = _statement(str(uuid.UUID(int=2000)), "bob", "nope", True)
    _problem(api.call(key, "POST", "/v1/xapi/statements", json=bad), 400, "nope")
    assert api.store.count_answers() == N


def test_other_tenants_write_between_chunks(chunked: tuple[Api, str]) -> None:
    """Another tenant's answer sent while a batch is being stored is committed before the batch ends."""
    api, key = chunked
    other = api.tenant("small")
    api.course(other, {**COURSE, "name": "tiny"})
    seen: dict[str, int] = {}

    def hook(done: int) -> None:
        if done == CHUNK:  # the batch has committed its first chunk; another tenant's request arrives
            t = threading.Thread(
                target=lambda: seen.setdefault(
                    "status", api.call(other, "POST", "/v1/courses/tiny/learners/x/answers", json={"item": "a1", "correct": 1}).status_code
                )
            )
            t.start()
            t.join(timeout=30)
            seen["batch_stored"] = len(_history(api, key, "ann"))

    api.store._chunk_committed = hook  # type: ignore[method-assign]
    assert api.call(key, "POST", PATH.format("ann"), json=_batch()).status_code == 200
    assert seen == {"status": 200, "batch_stored": CHUNK}
