"""Declared parameters: one rule per option, checked in one place.

Teachers, simulated learners, knowledge-tracing models and the benchmark all
take options.  Instead of a hand-written checker each, they declare a rule per
option (in the style of scikit-learn's ``_parameter_constraints``) and their
base class calls :func:`validate`, so every bad value gets an error of the
same shape::

    <owner>: option 'ema_alpha' must be a number in (0, 1], got 2.0

>>> from numbers import Real
>>> rules = {"rate": Interval(Real, 0, 1, closed="right"), "mode": OneOf("fast", "slow")}
>>> validate({"rate": 0.5, "mode": "fast"}, rules, "demo")
>>> validate({"rate": 0.0, "mode": "fast"}, rules, "demo")
Traceback (most recent call last):
...
ValueError: demo: option 'rate' must be a number in (0, 1], got 0.0

:class:`Param` bundles a default, its rule, a line of documentation and, where
the default departs from the paper an algorithm comes from, the paper's
value: ``pedagogy teachers -v`` and ``preset="paper"`` are derived from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, cast

import numpy as np

__all__ = [
    "Rule",
    "Interval",
    "OneOf",
    "Boolean",
    "Nullable",
    "InstanceOf",
    "ListOf",
    "Satisfies",
    "Param",
    "validate",
    "PAPER_UNSET",
    "defaults_of",
    "rules_of",
    "paper_settings",
    "table",
    "options_doc",
    "rejected_values",
]


class Rule:
    """A constraint on one value: :meth:`accepts` and a phrase for error messages."""

    def accepts(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Interval(Rule):
    """A finite real (``kind=Real``) or integer (``kind=Integral``) between ``low`` and ``high``.

    ``closed`` says which ends belong to the interval: ``"both"``, ``"left"``,
    ``"right"`` or ``"neither"``; ``None`` for an open-ended side.  Booleans are
    never numbers here, and integers are accepted where reals are.
    """

    kind: type = Real
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def __post_init__(self) -> None:
        if self.kind not in (Real, Integral):
            raise ValueError(f"Interval: kind must be numbers.Real or numbers.Integral, got {self.kind!r}")
        if self.closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval: closed must be 'both', 'left', 'right' or 'neither', got {self.closed!r}")

    def accepts(self, value: Any) -> bool:
        if _is_bool(value) or not isinstance(value, self.kind):
            return False
        x = float(cast(float, value))
        if not math.isfinite(x):
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and not (x >= self.low if left else x > self.low):
            return False
        if self.high is not None and not (x <= self.high if right else x < self.high):
            return False
        return True

    def describe(self) -> str:
        noun = "an integer" if self.kind is Integral else "a number"
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            return f"{noun} in {'[' if left else '('}{self.low:g}, {self.high:g}{']' if right else ')'}"
        if self.low is not None:
            return f"{noun} {'>=' if left else '>'} {self.low:g}"
        if self.high is not None:
            return f"{noun} {'<=' if right else '<'} {self.high:g}"
        return "a finite integer" if self.kind is Integral else "a finite number"


class OneOf(Rule):
    """One of a fixed set of values (compared by type and value, so ``True`` is not ``1``)."""

    def __init__(self, *values: Any) -> None:
        if not values:
            raise ValueError("OneOf needs at least one value")
        self.values = tuple(values)

    def accepts(self, value: Any) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OneOf) and other.values == self.values

    def __hash__(self) -> int:
        return hash(self.values)


class Boolean(Rule):
    """``True`` or ``False``."""

    def accepts(self, value: Any) -> bool:
        return _is_bool(value)

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Nullable(Rule):
    """``None``, or a value the inner rule accepts."""

    rule: Rule

    def accepts(self, value: Any) -> bool:
        return value is None or self.rule.accepts(value)

    def describe(self) -> str:
        return f"None or {self.rule.describe()}"


@dataclass(frozen=True)
class InstanceOf(Rule):
    """An instance of ``types``, described as ``what`` (e.g. "a dict skill -> parameters")."""

    types: type | tuple[type, ...]
    what: str

    def accepts(self, value: Any) -> bool:
        return isinstance(value, self.types) and not (_is_bool(value) and bool not in _as_tuple(self.types))

    def describe(self) -> str:
        return self.what


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


@dataclass(frozen=True)
class ListOf(Rule):
    """A list or tuple of at least ``min_len`` values, each accepted by ``rule``."""

    rule: Rule
    min_len: int = 1

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (list, tuple)) and len(value) >= self.min_len and all(self.rule.accepts(v) for v in value)

    def describe(self) -> str:
        size = "a non-empty list" if self.min_len == 1 else f"a list of at least {self.min_len}" if self.min_len else "a list"
        return f"{size} of {_plural(self.rule.describe())}"


#: words that end a noun phrase and start its qualifier ("an integer >= 1", "a teacher other than 'auto'")
_QUALIFIERS = frozenset({"in", "other", "than", "that", "which", "with", "without", "from", "of", "or", "not", "between"})


def _plural(phrase: str) -> str:
    """``"a skill name"`` -> ``"skill names"``: the noun before any qualifier takes the plural."""
    for article in ("an ", "a "):
        if phrase.startswith(article):
            words = phrase[len(article) :].split(" ")
            end = next((i for i, w in enumerate(words) if i and (w in _QUALIFIERS or not w[:1].isalpha())), len(words))
            noun = words[end - 1]
            words[end - 1] = noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")
            return " ".join(words)
    return phrase


@dataclass(frozen=True)
class Satisfies(Rule):
    """A value for which ``test(value)`` is true, described as ``what``; for rules no other class states."""

    test: Callable[[Any], bool]
    what: str

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.test(value))
        except (TypeError, ValueError):
            return False

    def describe(self) -> str:
        return self.what


_PROBES: tuple[Any, ...] = (-1, 0, 0.5, 1, 1.5, -0.5, 1e12, math.nan, True, "x", None, [], ["x"])


def rejected_values(rule: Rule, most: int = 4) -> list[Any]:
    """Up to ``most`` values that ``rule`` rejects: just outside its bounds first, then wrong types.

    The contract checks of teachers (:mod:`pedagogy.teachers.checks`) and KT models
    (:mod:`pedagogy.kt.checks`) probe every declared option with these values, so a
    rule and the values that break it are defined in one place.

    >>> rejected_values(Interval(Integral, 1, None))
    [0, 1.5, -1, 0.5]
    """
    cands: list[Any] = []
    inner = rule.rule if isinstance(rule, Nullable) else rule
    if isinstance(inner, Interval):
        step = 1 if inner.kind is Integral else 0.5
        if inner.low is not None:
            cands += [inner.low, inner.low - step]
        if inner.high is not None:
            cands += [inner.high, inner.high + step]
        cands.append(1.5 if step == 1 else "x")
    if isinstance(inner, ListOf):
        cands += [[v] for v in rejected_values(inner.rule, most)]
    out: list[Any] = []
    for v in [*cands, *_PROBES]:
        if not rule.accepts(v) and not any(type(v) is type(w) and repr(v) == repr(w) for w in out):
            out.append(v)
        if len(out) >= most:
            break
    return out


class _PaperUnset:
    def __repr__(self) -> str:
        return "PAPER_UNSET"


#: marker: the option's default *is* the paper's setting
PAPER_UNSET: Any = _PaperUnset()


@dataclass(frozen=True)
class Param:
    """One declared option: its default, the rule it must satisfy, one line of documentation.

    ``paper`` is the paper's setting where the default departs from it (then
    ``why`` says why the default is different, with the measurement's place).
    """

    default: Any
    rule: Rule
    doc: str = ""
    paper: Any = PAPER_UNSET
    why: str = ""

    def __post_init__(self) -> None:
        if not self.rule.accepts(self.default):
            raise ValueError(f"Param: default {self.default!r} breaks its own rule ({self.rule.describe()})")
        if self.departs and not self.rule.accepts(self.paper):
            raise ValueError(f"Param: paper setting {self.paper!r} breaks the rule ({self.rule.describe()})")

    @property
    def departs(self) -> bool:
        """Whether the default differs from the paper's setting."""
        return self.paper is not PAPER_UNSET


def validate(values: Mapping[str, Any], rules: Mapping[str, Rule], owner: str, *, word: str = "option") -> None:
    """Check every ``values[name]`` against ``rules[name]``; raise ``ValueError`` naming the first bad one.

    Names in ``values`` without a rule are not checked here (unknown names
    are the caller's error to raise, with its list of known names).
    """
    for name, rule in rules.items():
        if name in values and not rule.accepts(values[name]):
            raise ValueError(f"{owner}: {word} {name!r} must be {rule.describe()}, got {_short(values[name])}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def defaults_of(params: Mapping[str, Param]) -> dict[str, Any]:
    """``{name: default}`` of declared parameters."""
    return {k: p.default for k, p in params.items()}


def rules_of(params: Mapping[str, Param]) -> dict[str, Rule]:
    """``{name: rule}`` of declared parameters."""
    return {k: p.rule for k, p in params.items()}


def paper_settings(params: Mapping[str, Param]) -> dict[str, Any]:
    """``{name: paper value}`` for the parameters whose default departs from the paper."""
    return {k: p.paper for k, p in params.items() if p.departs}


def options_doc(params: Mapping[str, Param], indent: str = "    ") -> str:
    """The numpydoc-style "Options" section of a docstring, written from the declarations."""
    lines = ["Options", "-------"]
    for name, default, rule, doc in table(params):
        lines.append(f"{name} : {rule}, default {default}")
        if doc:
            lines.append(f"    {doc}")
    return "\n".join(indent + line for line in lines)


def table(params: Mapping[str, Param]) -> list[tuple[str, str, str, str]]:
    """Rows ``(name, default, rule, doc)`` for help texts and docs; departures name the paper's value."""
    rows = []
    for name, p in params.items():
        doc = p.doc
        if p.departs:
            doc = f"{doc} [paper: {p.paper!r}{'; ' + p.why if p.why else ''}]".strip()
        rows.append((name, repr(p.default), p.rule.describe(), doc))
    return rows
