"""The service's input rules, checked at the edge, the same for every route and both databases.

Everything a client sends passes through here before anything is stored, so a
bad value is a 4xx naming the field, never a database error (PostgreSQL refuses
NUL characters and over-long strings that SQLite would store) and never a 500:

* JSON bodies: at most :data:`MAX_DEPTH` levels of nesting; strings without NUL
  characters or lone surrogates (``"\\ud800"`` cannot be encoded as UTF-8);
  integers within 64 bits; no ``NaN`` or ``Infinity``.
* Names (tenants, courses, learners — also an xAPI actor's name —, items and
  skills): 1 to :data:`MAX_NAME` characters, no control characters; names that
  appear in a URL path (tenants, courses, learners) have no ``/`` either.
* Scores: a JSON number in [0, 1] or a boolean; strings such as ``"1"`` are refused.
* Timestamps: one rule, :func:`timestamp`: an ISO 8601 / RFC 3339 date-time
  *string*; without a UTC offset it is read as UTC; numbers are refused (epoch
  seconds and milliseconds cannot be told apart).
* Integers in paths and queries (key ids, answer sequence numbers): within the
  range of their 32-bit columns, :data:`INT32_MAX`.
* Size limits: :data:`MAX_SKILLS` skills and :data:`MAX_ITEMS` items per course,
  :data:`MAX_BATCH` answers or statements per request.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from pedagogy.service.errors import ApiError, invalid

__all__ = [
    "MAX_NAME",
    "MAX_TITLE",
    "MAX_DEPTH",
    "MAX_SKILLS",
    "MAX_ITEMS",
    "MAX_BATCH",
    "INT64_MAX",
    "INT32_MAX",
    "loads",
    "name",
    "path_name",
    "score",
    "timestamp",
]

MAX_NAME = 200
MAX_TITLE = 500
MAX_DEPTH = 32
MAX_SKILLS = 2_000
MAX_ITEMS = 20_000
MAX_BATCH = 1_000
INT64_MAX = 2**63 - 1
#: the largest id or sequence number (their columns are 32-bit integers on PostgreSQL)
INT32_MAX = 2**31 - 1

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _where(path: list[Any]) -> str:
    return "body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _check_tree(doc: Any) -> None:
    """Depth, strings and integers of a parsed JSON document, walked without recursion."""
    stack: list[tuple[Any, list[Any]]] = [(doc, [])]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise invalid("body", f"JSON nested deeper than {MAX_DEPTH} levels", 400)
        if isinstance(node, dict):
            for k, v in node.items():
                _check_string(k, path + [k], key=True)
                stack.append((v, path + [k]))
        elif isinstance(node, list):
            stack.extend((v, path + [i]) for i, v in enumerate(node))
        elif isinstance(node, str):
            _check_string(node, path)
        elif isinstance(node, int) and not isinstance(node, bool) and not -INT64_MAX - 1 <= node <= INT64_MAX:
            raise invalid(_where(path), "integer outside the 64-bit range")


def _check_string(s: str, path: list[Any], key: bool = False) -> None:
    what = "a key" if key else "a string"
    if "\x00" in s:
        raise invalid(_where(path), f"{what} contains a NUL character")
    if _SURROGATE.search(s):
        raise invalid(_where(path), f"{what} contains a lone surrogate (not encodable as UTF-8)")


def _no_constant(value: str) -> Any:
    raise ValueError(f"{value} is not a JSON number")


def loads(raw: bytes) -> Any:
    """A request body as JSON, checked by the rules above; 400 when malformed or nested too deeply."""
    try:
        doc = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise invalid("body", f"JSON nested deeper than {MAX_DEPTH} levels", 400) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "Bad Request", f"malformed JSON body: {exc}", field="body") from None
    _check_tree(doc)
    return doc


def text(value: Any, field: str, max_len: int = MAX_NAME, empty: bool = False) -> str:
    """A free text (a title, a label): a string of at most ``max_len`` characters without NUL or lone surrogates."""
    if not isinstance(value, str):
        raise invalid(field, f"must be a string, got {type(value).__name__}")
    if not value and not empty:
        raise invalid(field, "must not be empty")
    if len(value) > max_len:
        raise invalid(field, f"longer than {max_len} characters ({len(value)})")
    if "\x00" in value or _SURROGATE.search(value):
        raise invalid(field, "contains a NUL character or a lone surrogate")
    return value


def name(value: Any, field: str) -> str:
    """An item or skill name: 1 to :data:`MAX_NAME` characters, no control characters."""
    s = text(value, field)
    if _CONTROL.search(s):
        raise invalid(field, "contains a control character")
    return s


def path_name(value: Any, field: str) -> str:
    """A name that appears in URL paths (tenant, course, learner): :func:`name` without ``/``."""
    s = name(value, field)
    if "/" in s:
        raise invalid(field, "must not contain '/' (it could not be addressed in a URL path)")
    return s


def score(value: Any, field: str) -> float:
    """A correctness: a boolean or a JSON number in [0, 1] (strings are refused)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise invalid(field, f"must be true/false or a number in [0, 1], got {value!r}")
    return float(value)


def timestamp(value: Any, field: str) -> datetime:
    """An ISO 8601 / RFC 3339 date-time string, as an aware UTC datetime (no offset: UTC)."""
    if not isinstance(value, str):
        raise invalid(field, f"must be an ISO 8601 date-time string such as '2024-05-01T12:00:00Z', got {type(value).__name__}")
    try:
        ts = datetime.fromisoformat(value.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise invalid(field, f"{value[:60]!r} is not an ISO 8601 date-time") from None
    try:
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    except OverflowError:
        raise invalid(field, f"{value[:60]!r} is out of range in UTC") from None
