"""xAPI statements: the subset the service accepts, checked before anything is stored.

A statement (xAPI 1.0.3, ``adlnet/xAPI-Spec``) is an answer when::

    {"id": "<uuid>",                                  # optional: the service assigns one
     "actor": {"account": {"homePage": "...", "name": "<learner id>"}},
     "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
     "object": {"id": "<item>"},                      # or an IRI ending in /items/<item>
     "result": {"success": true, "score": {"scaled": 0.8}},   # score.scaled wins over success
     "context": {"contextActivities": {"parent": [{"id": "<course>"}]}},  # or ?course= on the request
     "timestamp": "2024-05-01T12:00:00Z"}

The learner id, item, course and timestamp follow the service's input rules
(:mod:`pedagogy.service.inputs`): a learner id has no ``/``, since it must be
addressable as ``/v1/courses/{course}/learners/{learner}``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from pedagogy.service import inputs
from pedagogy.service.errors import ApiError

ANSWERED_VERB = "http://adlnet.gov/expapi/verbs/answered"

__all__ = ["parse_statements", "ANSWERED_VERB"]

T = TypeVar("T")


def _bad(index: int | None, message: str) -> ApiError:
    where = f"statement {index}: " if index is not None else ""
    return ApiError(400, "Bad Request", where + message)


def _tail(iri: str, marker: str) -> str:
    return iri.rsplit(marker, 1)[1] if marker in iri else iri


def parse_statement(st: Any, index: int | None, default_course: str | None) -> dict[str, Any]:
    if not isinstance(st, dict):
        raise _bad(index, "a statement must be a JSON object")
    sid = st.get("id")
    if sid is None:
        sid = str(uuid.uuid4())
    else:
        try:
            sid = str(uuid.UUID(str(sid)))
        except ValueError:
            raise _bad(index, f"id {sid!r} is not a UUID") from None
    actor = st.get("actor")
    account = actor.get("account") if isinstance(actor, dict) else None
    name = account.get("name") if isinstance(account, dict) else None
    if name is None:
        raise _bad(index, "actor.account.name (the learner id) is required")
    name = _field(index, "actor.account.name", inputs.path_name, name)
    verb = st.get("verb")
    vid = verb.get("id") if isinstance(verb, dict) else None
    if vid != ANSWERED_VERB:
        raise _bad(index, f"verb {vid!r} is not supported (only {ANSWERED_VERB})")
    obj = st.get("object")
    oid = obj.get("id") if isinstance(obj, dict) else None
    if not isinstance(oid, str) or not oid:
        raise _bad(index, "object.id (the item) is required")
    item = _field(index, "object.id", inputs.name, _tail(oid, "/items/"))
    result = st.get("result")
    if not isinstance(result, dict):
        raise _bad(index, "result with success or score.scaled is required")
    score_obj = result.get("score")
    scaled = score_obj.get("scaled") if isinstance(score_obj, dict) else None
    if scaled is not None:
        if isinstance(scaled, bool) or not isinstance(scaled, (int, float)) or not 0.0 <= scaled <= 1.0:
            raise _bad(index, f"result.score.scaled must be a number in [0, 1], got {scaled!r}")
        score = float(scaled)
    elif isinstance(result.get("success"), bool):
        score = 1.0 if result["success"] else 0.0
    else:
        raise _bad(index, "result.success (true/false) or result.score.scaled is required")
    course = default_course
    ctx = st.get("context")
    if isinstance(ctx, dict):
        acts = ctx.get("contextActivities")
        parents = acts.get("parent") if isinstance(acts, dict) else None
        if isinstance(parents, dict):
            parents = [parents]
        if isinstance(parents, list) and parents and isinstance(parents[0], dict) and isinstance(parents[0].get("id"), str):
            course = _tail(parents[0]["id"], "/courses/")
    if not course:
        raise _bad(index, "no course: give context.contextActivities.parent[0].id or ?course= on the request")
    course = _field(index, "course", inputs.path_name, course)
    ts = st.get("timestamp")
    timestamp = None if ts is None else _field(index, "timestamp", inputs.timestamp, ts)
    content = {k: v for k, v in st.items() if k not in ("id", "stored", "authority", "version")}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return {
        "id": sid,
        "learner": name,
        "item": item,
        "score": score,
        "course": course,
        "timestamp": timestamp,
        "hash": digest,
    }


def _field(index: int | None, field: str, check: Callable[[Any, str], T], value: Any) -> T:
    """``check(value)`` by the service's input rules; a 400 naming the statement and the field."""
    where = f"statement {index}: " if index is not None else ""
    try:
        return check(value, field)
    except ApiError as exc:
        raise ApiError(400, "Bad Request", where + exc.detail, field=field) from None


def parse_statements(body: Any, default_course: str | None) -> list[dict[str, Any]]:
    """Parse one statement or an array; duplicate ids within the batch are a 400."""
    if isinstance(body, list):
        if not body:
            raise _bad(None, "an empty array of statements")
        if len(body) > inputs.MAX_BATCH:
            raise ApiError(413, "Content Too Large", f"{len(body)} statements in one request; the limit is {inputs.MAX_BATCH}")
        parsed = [parse_statement(st, i, default_course) for i, st in enumerate(body)]
    else:
        parsed = [parse_statement(body, None, default_course)]
    seen: dict[str, int] = {}
    for i, p in enumerate(parsed):
        if p["id"] in seen:
            raise _bad(None, f"statement id {p['id']} appears twice in the batch (statements {seen[p['id']]} and {i})")
        seen[p["id"]] = i
    return parsed
