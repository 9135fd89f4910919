"""Behaviour of ``space`` (Self-Paced Context Evaluation): the working set grows only when progress stalls."""

from __future__ import annotations

from collections import Counter

import pytest

from pedagogy import spaces, teachers

INSTANCES = spaces.Discrete([f"inst{i}" for i in range(8)])


def _iterate(t: teachers.Teacher, value, iterations: int) -> list[tuple[int, float, int]]:
    """Run until ``iterations`` more iterations have ended; return (size before, mean value, size after) of each."""
    out = []
    while iterations:
        it, size = t.report()["iterations"], t.report()["working_set_size"]
        x = t.propose()
        t.observe(x, value(x))
        r = t.report()
        if r["iterations"] > it:
            out.append((size, r["mean_value"], r["working_set_size"]))
            iterations -= 1
    return out


def test_starts_with_one_instance_and_proposes_only_the_working_set():
    t = teachers.make("space", INSTANCES, seed=0)
    assert t.report()["working_set"] == ["inst0"]
    assert t.propose(5) == ["inst0"] * 5


def test_grows_when_progress_stalls():
    t = teachers.make("space", INSTANCES, seed=0)
    log = _iterate(t, lambda x: 1.0, 9)  # the same value every time: stalled from the 2nd iteration on
    assert [s for s, _, _ in log] == [1, 1, 2, 3, 4, 5, 6, 7, 8]
    assert [a for _, _, a in log] == [1, 2, 3, 4, 5, 6, 7, 8, 8]  # the first iteration improved (0 -> 1), then +kappa each


def test_does_not_grow_while_the_value_keeps_improving():
    practice: Counter[str] = Counter()

    def improving(x: str) -> float:  # +25 % per episode: relative change 0.2 > eta = 0.1
        practice[x] += 1
        return 1.25 ** practice[x]

    t = teachers.make("space", INSTANCES, seed=0)
    log = _iterate(t, improving, 40)
    assert all(a == 1 for _, _, a in log)
    assert set(t.propose(3)) == {"inst0"}
    log = _iterate(t, lambda x: 5.0, 2)  # the learner stalls: the next iteration grows the set
    assert log[-1][2] == 2


def test_growth_follows_the_stall_rule_on_a_saturating_learner():
    """A value that saturates with practice (1 - 0.7^k): growth exactly at the iterations where |dV| <= eta |V|."""
    practice: Counter[str] = Counter()

    def saturating(x: str) -> float:
        practice[x] += 1
        return 1.0 - 0.7 ** practice[x]

    t = teachers.make("space", INSTANCES, seed=0, set_factor=2)
    log = _iterate(t, saturating, 60)
    prev = 0.0
    grew_any = still_any = False
    for before, mean, after in log:
        stalled = abs(abs(mean) - abs(prev)) <= 0.1 * abs(mean)
        if before < 8:
            assert (after == before + 1) == stalled
            grew_any |= stalled
            still_any |= not stalled
        prev = mean
    assert grew_any and still_any
    assert log[-1][2] == 8


def test_working_set_ordered_by_value_change():
    t = teachers.make("space", INSTANCES, seed=0, increment=3)
    gains = {"inst0": 0.1, "inst1": 3.0, "inst2": 1.0}
    values: Counter[str] = Counter()

    def value(x: str) -> float:
        values[x] += gains.get(x, 0.0)
        return values[x]

    _iterate(t, lambda x: 0.0, 1)  # stalled at 0: the set grows to 4
    assert t.report()["working_set_size"] == 4
    _iterate(t, value, 1)
    assert t.report()["working_set"][:3] == ["inst1", "inst2", "inst0"]


def test_option_errors():
    with pytest.raises(ValueError, match="teacher 'space': option 'increment' must be an integer >= 1"):
        teachers.make("space", INSTANCES, increment=0)
    with pytest.raises(ValueError, match="needs a Discrete space"):
        teachers.make("space", spaces.Box([0.0], [1.0]))
