"""DAPO's dynamic sampling in front of any teacher (pedagogy.teachers.dynamic_sampling)."""

from __future__ import annotations

from typing import Any

import pytest

from pedagogy import spaces, teachers
from pedagogy.teachers.dynamic_sampling import DynamicSampling, success_rate, zero_variance

#: a prompt's fixed group of 4 rewards: solved, hopeless, or informative
REWARDS = {"solved": [1.0, 1.0, 1.0, 1.0], "hopeless": [0.0, 0.0, 0.0, 0.0], "mid": [1.0, 0.0, 1.0, 0.0], "mid2": [0.0, 0.0, 0.25, 0.0]}


class Spy:
    """Records what the wrapped teacher observes."""

    def __init__(self, teacher: teachers.Teacher) -> None:
        self.seen: list[tuple[Any, float]] = []
        inner = teacher.observe

        def observe(tasks: Any, scores: Any) -> None:
            inner(tasks, scores)
            self.seen.extend(zip(tasks, scores))

        teacher.observe = observe  # type: ignore[method-assign]


def _rollout(tasks: list[str]) -> list[list[float]]:
    return [list(REWARDS[t]) for t in tasks]


def _sampler(names: tuple[str, ...] = tuple(REWARDS), **kw: Any) -> tuple[DynamicSampling, Spy]:
    teacher = teachers.make("random", spaces.Discrete(list(names)), seed=0)
    spy = Spy(teacher)
    return DynamicSampling(teacher, 6, **kw), spy


def test_helpers():
    assert zero_variance([1, 1, 1]) and zero_variance([0.0, float("nan"), 0.0]) and zero_variance([])
    assert not zero_variance([1, 0]) and not zero_variance([0.5, 0.25])
    assert success_rate([1, 0, 1, 1]) == 0.75 and success_rate([2.0, -1.0, float("nan")]) == 0.5  # clipped to [0, 1]
    with pytest.raises(ValueError, match="every reward of the group is NaN"):
        success_rate([float("nan")])
    with pytest.raises(ValueError, match="rewards must be real numbers"):
        zero_variance(["1", "0"])


def test_zero_variance_groups_are_dropped_replaced_counted_and_observed():
    ds, spy = _sampler()
    batch = ds.fill(_rollout)
    assert len(batch) == 6 and {t for t, _ in batch} <= {"mid", "mid2"}  # only informative groups train
    st = ds.stats()
    assert st["groups"] == len(spy.seen) > 6  # the teacher was told of every group, the dropped ones too
    assert st["dropped_groups"] == sum(t in ("solved", "hopeless") for t, _ in spy.seen) == st["groups"] - 6
    assert st["rollouts"] == 4 * st["groups"] and st["dropped_rollouts"] == 4 * st["dropped_groups"]
    assert {t: s for t, s in spy.seen} == {"solved": 1.0, "hopeless": 0.0, "mid": 0.5, "mid2": 0.0625}  # success rates
    assert st["batches"] == 1 and st["partial_batches"] == 0
    ds.fill(_rollout)
    assert ds.stats()["batches"] == 2


def test_each_round_proposes_only_the_missing_groups():
    ds, spy = _sampler()
    sizes = []
    while not ds.ready:
        tasks = ds.propose()
        sizes.append(len(tasks))
        kept = ds.observe(tasks, _rollout(tasks))
        assert kept == [t.startswith("mid") for t in tasks]
    assert sizes[0] == 6 and all(b < a or b == a for a, b in zip(sizes, sizes[1:]))
    assert len(ds.take()) == 6


def test_out_of_rounds_gives_a_partial_batch():
    ds, spy = _sampler(("solved", "hopeless"), max_rounds=3)
    batch = ds.fill(_rollout)
    assert batch == [] and ds.stats()["partial_batches"] == 1 and ds.stats()["groups"] == 18 == len(spy.seen)


def test_refill_batch_is_dapos_recipe_and_counts_the_surplus():
    ds, _ = _sampler(("mid", "solved"), refill="batch")
    batch = ds.fill(_rollout)
    st = ds.stats()
    assert len(batch) == 6 and st["groups"] % 6 == 0  # whole generation batches
    assert st["surplus_groups"] == st["groups"] - st["dropped_groups"] - 6
    assert st["dropped_rollouts"] == 4 * (st["dropped_groups"] + st["surplus_groups"])


def test_works_with_every_discrete_teacher():
    space = spaces.Discrete(list(REWARDS))
    for name in teachers.available():
        cls = teachers.get(name)
        if not isinstance(space, cls.space_types) or cls.missing_requirements():
            continue
        ds = DynamicSampling(teachers.make(name, space, seed=1), 4, max_rounds=50)
        for _ in range(3):
            batch = ds.fill(_rollout)
            assert all(not zero_variance(o) for _, o in batch), name


def test_bad_input_is_rejected_and_nothing_changes():
    teacher = teachers.make("random", spaces.Discrete(list(REWARDS)), seed=0)
    with pytest.raises(ValueError, match="teacher must be a pedagogy Teacher"):
        DynamicSampling("random", 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DynamicSampling(teacher, 0)
    with pytest.raises(ValueError, match="refill must be"):
        DynamicSampling(teacher, 2, refill="all")
    with pytest.raises(ValueError, match="max_rounds must be"):
        DynamicSampling(teacher, 2, max_rounds=0)
    ds, spy = _sampler()
    tasks = ds.propose()
    outcomes = _rollout(tasks)
    before = (ds.stats(), ds.teacher.n_observed, len(spy.seen))
    with pytest.raises(ValueError, match="tasks but"):
        ds.observe(tasks, outcomes[:-1])
    bad = list(outcomes)
    bad[-1] = [1.0, float("inf")]
    with pytest.raises(ValueError, match=f"outcome of {tasks[-1]!r}.*finite"):
        ds.observe(tasks, bad)
    bad[-1] = "1100"
    with pytest.raises(ValueError, match="must be a sequence of numbers"):
        ds.observe(tasks, bad)
    with pytest.raises(ValueError, match="zzz"):  # the teacher's own check
        ds.observe([*tasks, "zzz"], [*outcomes, [1.0, 0.0]])
    assert (ds.stats(), ds.teacher.n_observed, len(spy.seen)) == before
    with pytest.raises(ValueError, match="still misses"):
        ds.take()
    ds.observe(tasks, outcomes)


def test_state_between_batches_only():
    ds, _ = _sampler()
    ds.fill(_rollout)
    state = ds.state_dict()
    other, _ = _sampler()
    other.load_state_dict(state)
    assert other.stats() == ds.stats()
    assert other.teacher.propose(5) == ds.teacher.propose(5)  # the teacher resumed exactly
    ds.propose()
    with pytest.raises(ValueError, match="save between batches"):
        ds.state_dict()
    with pytest.raises(ValueError, match="not a dynamic-sampling state"):
        other.load_state_dict({"format": "x"})


def test_llm_mix_knows_its_informative_groups():
    from pedagogy.sim.llm_mix import LLMMixLearner

    learner = LLMMixLearner(seed=0)
    assert not learner.informative(0.0) and learner.informative(0.7)
    learner.use_signal("success_rate")
    assert learner.informative(0.5) and not learner.informative(1.0) and not learner.informative(0.0)
