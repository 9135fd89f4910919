"""The contract every registered teacher keeps: exact resume, plain-JSON state, clean rejection."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pedagogy import spaces, teachers
from tests.conftest import all_spaces_for, space_for

ALL = teachers.available()
EXPECTED = {
    "random", "sequential", "alp-gmm", "covar-gmm", "riac", "lp", "tscl",
    "plr", "dump", "sec", "zpdes", "ability-matched",
}


def _scorer(seed: int):
    """A deterministic, task-dependent score stream in [0, 1]."""
    rng = np.random.default_rng(seed)

    def score(task):
        base = float(np.mean(task)) if isinstance(task, np.ndarray) else (hash(str(task)) % 7) / 7.0
        return float(np.clip(base * 0.8 + 0.2 * rng.random(), 0.0, 1.0))

    return score


def _cycle(t, score, k):
    out = []
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


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y)
        else:
            assert x == y


def _snapshot(t):
    return json.dumps(t.state_dict(), sort_keys=True, allow_nan=False)


def test_all_twelve_registered():
    assert EXPECTED <= set(ALL)
    assert ALL == sorted(ALL)


@pytest.mark.parametrize("name", ALL)
def test_documented(name):
    cls = teachers.get(name)
    assert cls.description and cls.paper and cls.score_doc
    assert cls.__doc__ and len(cls.__doc__) > 80


@pytest.mark.parametrize("name", ALL)
def test_exact_resume_through_json(name):
    for space in all_spaces_for(name):
        t = teachers.make(name, space, seed=3)
        _cycle(t, _scorer(1), 500)
        saved = json.loads(_snapshot(t))  # strict JSON: no NaN/inf, plain types only
        s_a, s_b = _scorer(2), _scorer(2)
        cont = _cycle(t, s_a, 500)
        resumed = teachers.load(saved)
        cont2 = _cycle(resumed, s_b, 500)
        _same(cont, cont2)
        assert _snapshot(t) == _snapshot(resumed)


@pytest.mark.parametrize("name", ALL)
def test_proposals_inside_space_and_seeded(name):
    for space in all_spaces_for(name):
        a = teachers.make(name, space, seed=11)
        b = teachers.make(name, space, seed=11)
        ta = _cycle(a, _scorer(5), 300)
        tb = _cycle(b, _scorer(5), 300)
        _same(ta, tb)
        assert all(space.contains(x) for x in ta)
        assert isinstance(a.propose(3), list)
        json.dumps(a.report(), allow_nan=False)


@pytest.mark.parametrize("name", ALL)
def test_bad_input_rejected_and_state_unchanged(name):
    space = space_for(name)
    t = teachers.make(name, space, seed=0)
    _cycle(t, _scorer(0), 60)
    good = t.propose()
    before = _snapshot(t)
    outside = [5.0, 5.0] if isinstance(space, spaces.Box) else "no-such-task"
    bad_calls = [
        lambda: t.observe(outside, 0.5),
        lambda: t.observe(good, float("nan")),
        lambda: t.observe(good, float("inf")),
        lambda: t.observe(good, "high"),
        lambda: t.observe([good, good], [0.5]),
        lambda: t.observe([good, outside], [0.5, 0.5]),
        lambda: t.observe([good, good], [0.5, float("nan")]),
        lambda: t.propose(0),
        lambda: t.propose(-2),
    ]
    for call in bad_calls:
        with pytest.raises(ValueError, match=name):
            call()
        assert _snapshot(t) == before
    t.observe(good, 0.5)  # the good call still works afterwards


@pytest.mark.parametrize("name", ALL)
def test_unknown_option_and_wrong_space(name):
    space = space_for(name)
    with pytest.raises(ValueError, match="unknown option 'no_such_option'"):
        teachers.make(name, space, no_such_option=1)
    cls = teachers.get(name)
    for other in (spaces.Box([0], [1]), spaces.Discrete(3)):
        if not isinstance(other, cls.space_types):
            with pytest.raises(ValueError, match=name):
                teachers.make(name, other)


# Teachers that must know the probability a task was proposed with (Exp3's
# importance weights) reject observations of tasks they never proposed.
NEEDS_PROPOSAL = [(n, {}) for n in ALL if teachers.get(n).requires_proposed] + [("tscl", {"algorithm": "exp3"})]


@pytest.mark.parametrize("name, options", NEEDS_PROPOSAL)
def test_task_never_proposed_rejected(name, options):
    space = space_for(name)
    t = teachers.make(name, space, seed=0, **options)
    assert t.requires_proposed
    first = t.propose()
    never = next(x for x in space.tasks if x != first)  # type: ignore[attr-defined]
    before = _snapshot(t)
    with pytest.raises(ValueError, match="not proposed"):
        t.observe(never, 0.5)
    assert _snapshot(t) == before
    x = t.propose()
    t.observe(x, 0.5)
    before = _snapshot(t)
    with pytest.raises(ValueError, match="not proposed"):
        t.observe(x, 0.5)  # already observed
    assert _snapshot(t) == before


def test_unknown_teacher_lists_known():
    with pytest.raises(ValueError, match="known teachers: .*alp-gmm"):
        teachers.make("alp_gmm_typo", spaces.Discrete(2))


def test_load_rejects_garbage():
    with pytest.raises(ValueError, match="not a pedagogy teacher state"):
        teachers.load({"teacher": "random"})
    state = teachers.make("random", spaces.Discrete(2), seed=0).state_dict()
    del state["rng"]
    with pytest.raises(ValueError, match="missing rng"):
        teachers.load(state)


def test_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        teachers.make("random", spaces.Discrete(2), seed=-1)
