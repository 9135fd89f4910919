"""One set of rejected values per rule, used by the teachers' and the KT models' contract checks."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import pytest

from pedagogy import spaces
from pedagogy.kt import checks as kt_checks
from pedagogy.params import Boolean, InstanceOf, Interval, ListOf, Nullable, OneOf, Param, rejected_values
from pedagogy.teachers.checks import check_options
from pedagogy.teachers.random import RandomTeacher


def test_one_generator_of_rejected_values() -> None:
    assert kt_checks.rejected_values is rejected_values


@pytest.mark.parametrize(
    "rule",
    [
        Boolean(),
        Nullable(Interval(Real, 0, 1)),
        ListOf(Interval(Integral, 1, None)),
        Nullable(ListOf(InstanceOf(str, "a skill name"))),
        OneOf("a", "b"),
        Interval(Real, None, None),
    ],
    ids=str,
)
def test_every_kind_of_rule_has_values_it_rejects(rule: Any) -> None:
    values = rejected_values(rule)
    assert values and not any(rule.accepts(v) for v in values)


def _lenient(option: str, rule: Any, default: Any) -> type:
    """A teacher that declares ``option`` but lets any value through (it skips the base class's check)."""

    class Lenient(RandomTeacher):
        params = {**RandomTeacher.params, option: Param(default, rule, "a flag")}

        def __init__(self, space: Any, seed: int | None = None, **options: Any) -> None:
            value = options.pop(option, default)
            super().__init__(space, seed=seed, **options)
            self.options[option] = value

    Lenient.name = "lenient"
    return Lenient


@pytest.mark.parametrize(
    ("rule", "default"),
    [(Boolean(), True), (ListOf(InstanceOf(str, "a name")), ["a"]), (Nullable(Interval(Integral, 1, None)), None)],
    ids=["Boolean", "ListOf", "Nullable"],
)
def test_check_options_probes_every_kind_of_rule(rule: Any, default: Any) -> None:
    with pytest.raises(AssertionError, match="option flag=.* breaks its rule .* but was accepted"):
        check_options(_lenient("flag", rule, default), spaces.Discrete(3))


def test_options_are_documented_once_from_their_declarations() -> None:
    """A teacher's docstring has one option table, the generated one: no hand-written ``name : type, default`` lines."""
    import inspect

    from pedagogy import teachers

    for name in teachers.available():
        cls = teachers.get(name)
        doc = inspect.getdoc(cls) or ""
        assert doc.count("\nOptions\n-------\n") <= 1, name
        prose = doc.split("\nOptions\n-------\n")[0]
        for option in cls.params:
            hand = [line for line in prose.splitlines() if line.strip().startswith(f"{option} :") and "default" in line]
            assert not hand, f"{name}: option {option!r} is documented by hand besides its declaration: {hand}"


def _learner_classes() -> list[type]:
    import pedagogy.sim  # noqa: F401  (imports every learner module)
    from pedagogy.sim.base import Learner

    out: list[type] = []
    todo = list(Learner.__subclasses__())
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo += cls.__subclasses__()
    # the package's learners (tests define small ones of their own)
    return sorted((c for c in out if c.__module__.startswith("pedagogy.")), key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", _learner_classes(), ids=lambda c: c.__name__)
def test_every_learner_argument_has_a_rule(cls: type) -> None:
    """Completeness: each constructor argument of a simulated learner is declared in ``parameters``."""
    import inspect

    args = [
        name
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    missing = [a for a in args if a not in cls.parameters]
    assert not missing, f"{cls.__name__}: constructor arguments without a rule in parameters: {missing}"
    if "prerequisites" in args:
        with pytest.raises(ValueError, match=f"{cls.__name__}: parameter 'prerequisites' must be None or a dict"):
            cls(prerequisites=["a", "b"])
