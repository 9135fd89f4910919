"""Contract checks for teachers, like scikit-learn's ``check_estimator``: run them on your own teacher.

>>> from pedagogy import spaces
>>> from pedagogy.teachers.checks import check_teacher
>>> check_teacher("lp", spaces.Discrete(8))

:func:`check_teacher` runs every check below and raises ``AssertionError``
naming the teacher and the check that failed:

* :func:`check_exact_resume` — a strict-JSON round trip of ``state_dict()``
  mid-run, then the same proposals from the saved and the running teacher;
* :func:`check_proposals` — proposals inside the space, reproducible from the
  seed, ``propose(n)`` a list, ``report()`` plain JSON;
* :func:`check_bad_input` — a task outside the space, NaN / infinite /
  non-numeric scores, mismatched batches, ``propose(0)``: each a
  ``ValueError`` naming the teacher, with the state left unchanged;
* :func:`check_options` — an unknown option and every declared rule's
  rejection of a bad value, before anything is built;
* :func:`check_bounded_state` — the saved state stops growing (buffers are
  bounded).

A teacher class that is not registered is checked the same way: pass the
class itself.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping
from typing import Any, cast

import numpy as np

from pedagogy import spaces as sp
from pedagogy.params import rejected_values
from pedagogy.teachers.base import Teacher, get

__all__ = [
    "check_teacher",
    "check_exact_resume",
    "check_proposals",
    "check_bad_input",
    "check_options",
    "check_bounded_state",
    "stable_scorer",
    "cycle",
]

TeacherSpec = str | type[Teacher]


def _cls(teacher: TeacherSpec) -> type[Teacher]:
    return get(teacher) if isinstance(teacher, str) else teacher


def _make(teacher: TeacherSpec, space: sp.Space, seed: int, options: Mapping[str, Any] | None) -> Teacher:
    return _cls(teacher)(space, seed=seed, **dict(options or {}))


def _fail(t: type[Teacher] | Teacher, check: str, message: str) -> AssertionError:
    return AssertionError(f"teacher '{t.name}' fails {check}: {message}")


def stable_scorer(seed: int, low: float = 0.0, high: float = 1.0) -> Callable[[Any], float]:
    """A deterministic, task-dependent score stream in ``[low, high]``, the same in every process.

    Boxes score by the mean of the task, named tasks by a CRC32 of their name
    (Python's ``hash`` of a string is salted per process, so a failure would
    not reproduce).
    """
    rng = np.random.default_rng(seed)

    def score(task: Any) -> float:
        if isinstance(task, np.ndarray):
            base = float(np.clip(np.mean(task), 0.0, 1.0))
        else:
            base = (zlib.crc32(str(task).encode()) % 7) / 7.0
        return low + (high - low) * float(np.clip(base * 0.8 + 0.2 * rng.random(), 0.0, 1.0))

    return score


def cycle(t: Teacher, score: Callable[[Any], float], k: int) -> list[Any]:
    """``k`` propose/observe cycles, every fifth a batch of four; returns the proposals."""
    out: list[Any] = []
    for i in range(k):
        if i % 5 == 4:
            batch = t.propose(4)
            t.observe(batch, [score(x) for x in batch])
            out.extend(batch)
        else:
            x = t.propose()
            t.observe(x, score(x))
            out.append(x)
    return out


def _scorer_for(t: type[Teacher] | Teacher, seed: int) -> Callable[[Any], float]:
    low, high = t.score_range
    lo = 0.0 if low is None else low
    hi = max(lo + 1.0, 1.0) if high is None else high
    return stable_scorer(seed, lo, hi)


def _same(a: list[Any], b: list[Any]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not np.array_equal(x, y):
                return False
        elif x != y or type(x) is not type(y):
            return False
    return True


def _snapshot(t: Teacher) -> str:
    return json.dumps(t.state_dict(), sort_keys=True, allow_nan=False)


def check_exact_resume(teacher: TeacherSpec, space: sp.Space, options: Mapping[str, Any] | None = None, cycles: int = 500) -> None:
    """Save mid-run through strict JSON, load, and continue: identical proposals and states."""
    t = _make(teacher, space, 3, options)
    cycle(t, _scorer_for(t, 1), cycles)
    try:
        saved = json.loads(_snapshot(t))
    except (TypeError, ValueError) as exc:
        raise _fail(t, "exact resume", f"state_dict() is not strict JSON ({exc})") from None
    cont = cycle(t, _scorer_for(t, 2), cycles)
    resumed = type(t).from_state(saved)
    cont2 = cycle(resumed, _scorer_for(t, 2), cycles)
    if not _same(cont, cont2):
        first = next(i for i, (x, y) in enumerate(zip(cont, cont2)) if not _same([x], [y])) if len(cont) == len(cont2) else -1
        raise _fail(t, "exact resume", f"the resumed teacher's proposals differ from the original's (first at {first})")
    if _snapshot(t) != _snapshot(resumed):
        raise _fail(t, "exact resume", "the states differ after the same observations")


def check_proposals(teacher: TeacherSpec, space: sp.Space, options: Mapping[str, Any] | None = None, cycles: int = 300) -> None:
    """Proposals inside the space and reproducible from the seed; ``report()`` is plain JSON."""
    a = _make(teacher, space, 11, options)
    b = _make(teacher, space, 11, options)
    ta = cycle(a, _scorer_for(a, 5), cycles)
    tb = cycle(b, _scorer_for(b, 5), cycles)
    if not _same(ta, tb):
        raise _fail(a, "proposals", "two teachers with the same seed proposed different tasks")
    outside = [x for x in ta if not space.contains(x)]
    if outside:
        raise _fail(a, "proposals", f"proposed {outside[0]!r}, which is not in {space!r}")
    # The return contract: propose() is one task of the space's task type, propose(n) a list of n of them.
    one, batch, single = a.propose(), a.propose(3), a.propose(1)
    if not isinstance(batch, list) or len(batch) != 3 or not isinstance(single, list) or len(single) != 1:
        raise _fail(a, "proposals", f"propose(3) returned {batch!r} and propose(1) {single!r}, not lists of 3 and 1 tasks")
    for task in [one, *batch, *single]:
        if isinstance(space, sp.Box):
            if not (isinstance(task, np.ndarray) and task.dtype == float and task.shape == space.low.shape):
                raise _fail(a, "proposals", f"proposed {task!r}: a task of a Box is a float array of shape {space.low.shape}")
        elif type(task) is not type(cast(sp.Discrete, space).tasks[cast(sp.Discrete, space).index(task)]):
            raise _fail(a, "proposals", f"proposed {task!r} ({type(task).__name__}), not the space's task name")
    try:
        json.dumps(a.report(), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _fail(a, "proposals", f"report() is not plain JSON ({exc})") from None


def check_bad_input(teacher: TeacherSpec, space: sp.Space, options: Mapping[str, Any] | None = None) -> None:
    """Every bad call raises a ``ValueError`` naming the teacher and leaves the state as it was."""
    t = _make(teacher, space, 0, options)
    score = _scorer_for(t, 0)
    cycle(t, score, 60)
    good = t.propose()
    ok = score(good)
    before = _snapshot(t)
    outside: Any = np.full(space.low.shape, 5.0 + float(np.max(space.high))) if isinstance(space, sp.Box) else "no-such-task-\u2603"
    bad_calls: list[tuple[str, Callable[[], Any]]] = [
        ("a task outside the space", lambda: t.observe(outside, ok)),
        ("a NaN score", lambda: t.observe(good, float("nan"))),
        ("an infinite score", lambda: t.observe(good, float("inf"))),
        ("a string score", lambda: t.observe(good, "high")),
        ("a boolean score", lambda: t.observe(good, True)),
        ("2 tasks, 1 score", lambda: t.observe([good, good], [ok])),
        ("a batch with a task outside the space", lambda: t.observe([good, outside], [ok, ok])),
        ("a batch with a NaN score", lambda: t.observe([good, good], [ok, float("nan")])),
        ("propose(0)", lambda: t.propose(0)),
        ("propose(-2)", lambda: t.propose(-2)),
        ("propose(1.5)", lambda: t.propose(1.5)),  # type: ignore[call-overload]
    ]
    low, high = t.score_range
    if low is not None:
        bad_calls.append(("a score below the range", lambda: t.observe(good, low - 1.0)))
    if high is not None:
        bad_calls.append(("a score above the range", lambda: t.observe(good, high + 1.0)))
    for what, call in bad_calls:
        try:
            call()
        except ValueError as exc:
            if f"'{t.name}'" not in str(exc):
                raise _fail(t, "bad input", f"the error for {what} does not name the teacher: {exc}") from None
        else:
            raise _fail(t, "bad input", f"{what} was accepted")
        if _snapshot(t) != before:
            raise _fail(t, "bad input", f"{what} was rejected but changed the state")
    t.observe(good, ok)  # a good call still works afterwards


def check_options(teacher: TeacherSpec, space: sp.Space) -> None:
    """An unknown option, and a value each declared rule rejects, are ``ValueError`` s naming the option."""
    cls = _cls(teacher)
    try:
        cls(space, seed=0, no_such_option=1)
    except ValueError as exc:
        if "unknown option 'no_such_option'" not in str(exc):
            raise _fail(cls, "options", f"the unknown-option error does not name it: {exc}") from None
    else:
        raise _fail(cls, "options", "an unknown option was accepted")
    for name, param in cls.params.items():
        for bad in rejected_values(param.rule):
            try:
                cls(space, seed=0, **{name: bad})
            except ValueError as exc:
                if repr(name) not in str(exc):
                    raise _fail(cls, "options", f"the error for {name}={bad!r} does not name the option: {exc}") from None
            else:
                raise _fail(cls, "options", f"option {name}={bad!r} breaks its rule ({param.rule}) but was accepted")


def check_bounded_state(
    teacher: TeacherSpec, space: sp.Space, options: Mapping[str, Any] | None = None, cycles: int = 3000, growth: float = 1.25
) -> None:
    """The saved state after ``2 * cycles`` cycles is at most ``growth`` times its size after ``cycles``."""
    t = _make(teacher, space, 0, options)
    score = _scorer_for(t, 0)
    cycle(t, score, cycles)
    first = len(_snapshot(t))
    cycle(t, score, cycles)
    second = len(_snapshot(t))
    if second > growth * first:
        raise _fail(t, "bounded state", f"the state grew from {first} to {second} characters between {cycles} and {2 * cycles} cycles")


def check_teacher(teacher: TeacherSpec, space: sp.Space, options: Mapping[str, Any] | None = None, *, memory: bool = True) -> None:
    """Run every check on ``teacher`` (a registered name or a :class:`Teacher` subclass) over ``space``."""
    cls = _cls(teacher)
    if not isinstance(space, cls.space_types):
        raise ValueError(f"check_teacher: teacher '{cls.name}' does not accept {space!r}")
    check_options(cls, space)
    check_proposals(cls, space, options)
    check_exact_resume(cls, space, options)
    check_bad_input(cls, space, options)
    if memory:
        check_bounded_state(cls, space, options)
