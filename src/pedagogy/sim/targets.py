"""What a scenario promises: the targets the benchmark judges and the baseline runs they compare against.

These are declarations only.  :mod:`pedagogy.sim` sits below the benchmark,
so a :class:`Target` names *what* to measure (a :data:`Measure`), the
threshold and the comparison; :mod:`pedagogy.bench.targets` measures it on a
scenario's summary.  A :class:`Baseline` is a registered teacher with fixed
options, run by the benchmark under its own display name wherever a target
of its scenario refers to it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from pedagogy.params import InstanceOf, OneOf, Satisfies, validate

__all__ = ["OPS", "Baseline", "BudgetToReach", "Final", "Measure", "RatioOfFinals", "Saving", "Target"]

#: the comparisons a target may make: ``value op threshold``
OPS = (">=", ">", "<=", "<")


def name_rule(what: str) -> Satisfies:
    """A rule for a non-empty, non-blank string, described as ``what``."""
    return Satisfies(lambda v: isinstance(v, str) and bool(v.strip()), what)


@dataclass(frozen=True)
class Baseline:
    """A reference run: teacher ``teacher`` built with ``options``, shown as ``name`` (e.g. ``sequential (3 in a row)``).

    ``doc`` says in a line why this schedule is the reference.  Baselines are
    shown in their scenario's table but not ranked.  ``dynamic_sampling``: the
    teacher runs behind DAPO's filter (zero-variance groups dropped and
    replaced, see :mod:`pedagogy.teachers.dynamic_sampling`).
    """

    name: str
    teacher: str
    options: dict[str, Any] = field(default_factory=dict, hash=False)
    doc: str = ""
    dynamic_sampling: bool = False

    def __post_init__(self) -> None:
        validate(
            vars(self),
            {
                "name": name_rule("a non-empty display name"),
                "teacher": name_rule("a registered teacher's name"),
                "options": Satisfies(lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v), "a dict option -> value"),
                "doc": InstanceOf(str, "a string"),
                "dynamic_sampling": InstanceOf(bool, "True or False"),
            },
            "Baseline",
            word="field",
        )


@dataclass(frozen=True)
class Final:
    """The final mean value of ``key`` (default: the scenario's metric) of ``teacher``, or of the best teacher when ``None``."""

    teacher: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class RatioOfFinals:
    """The best teacher's final metric (``reference`` left out) divided by ``reference``'s.

    If the reference ends at 0 the ratio is undefined: the target then holds
    exactly when the best teacher learned something (``> 0``).
    """

    reference: str = "random"


@dataclass(frozen=True)
class Saving:
    """``1 - best / reference`` of the median answers to full mastery over seeds: the share of practice the best teacher saves.

    A seed that never reached full mastery within the budget counts as
    "never" (it sorts last), so the median is defined when more than half of
    a teacher's seeds got there; a reference that fails on a few seeds
    neither breaks the comparison nor inflates it.  If the reference's median
    is undefined, the saving is a lower bound computed against the budget.
    """

    reference: str | Baseline


@dataclass(frozen=True)
class BudgetToReach:
    """The share of the budget ``teacher``'s mean curve needs to reach ``reference``'s final metric (a :class:`Baseline` runs with its scenario)."""

    teacher: str | Baseline
    reference: str = "random"


#: what a target measures
Measure = Final | RatioOfFinals | Saving | BudgetToReach
_MEASURES = (Final, RatioOfFinals, Saving, BudgetToReach)


@dataclass(frozen=True)
class Target:
    """One promise of a scenario: ``measure op threshold``, e.g. "best teacher masters >= 90 % of the space"."""

    description: str
    measure: Measure
    threshold: float
    op: str = ">="

    def __post_init__(self) -> None:
        validate(
            vars(self),
            {
                "description": name_rule("a non-empty description"),
                "measure": InstanceOf(_MEASURES, "one of " + ", ".join(m.__name__ for m in _MEASURES)),
                "threshold": Satisfies(lambda v: isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v), "a finite number"),
                "op": OneOf(*OPS),
            },
            "Target",
            word="field",
        )

    def baselines(self) -> tuple[Baseline, ...]:
        """The baselines this target compares against."""
        return tuple(v for f in dataclasses.fields(self.measure) if isinstance(v := getattr(self.measure, f.name), Baseline))
