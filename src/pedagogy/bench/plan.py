"""What a benchmark will run: argument checks, the selection of teachers per scenario, seeds and :class:`RunSpec`.

A run is fully described by a :class:`RunSpec` (plain, typed, picklable),
so a worker process needs nothing else, and every seed is derived from the
names and the base seed only: the results do not depend on how the runs are
spread over processes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from numbers import Integral
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import (
    Boolean,
    Interval,
    Nullable,
    OneOf,
    Rule,
    Satisfies,
    validate,
)

__all__ = ["ORACLE", "SUITES", "BenchError", "RunSpec", "Selection", "check_arguments", "derive_seeds", "plan_runs", "resolve_selection"]

#: suite name -> (seeds, which scenario budget)
SUITES: dict[str, tuple[int, str]] = {"quick": (3, "budget_quick"), "full": (10, "budget_full")}

#: display name of the reference row that reads the learner's ground truth (``Learner.oracle_task``); not a teacher
ORACLE = "oracle"

_SEED = Interval(Integral, 0, 2**32 - 1)
_NAME = Satisfies(lambda v: isinstance(v, str) and bool(v), "a non-empty string")


class BenchError(ValueError):
    """A bad benchmark request (unknown name, impossible combination, bad number)."""


def _validate(values: Mapping[str, Any], rules: Mapping[str, Rule], owner: str) -> None:
    try:
        validate(values, rules, owner, word="argument")
    except ValueError as exc:
        raise BenchError(str(exc)) from None


#: the arguments of :func:`pedagogy.bench.run`
RUN_ARGUMENTS: dict[str, Rule] = {
    "seeds": Nullable(Interval(Integral, 1)),
    "budget": Nullable(Interval(Integral, 1)),
    "jobs": Nullable(Interval(Integral, 1)),
    "suite": OneOf(*SUITES),
    "base_seed": Interval(Integral, 0),
    "progress": Boolean(),
    "command": Nullable(Satisfies(lambda v: isinstance(v, str), "a string")),
    "on_error": OneOf("record", "raise"),
    "mastery_probes": Interval(Integral, 0),
    "split": OneOf("dev", "test"),
    "variants": Nullable(Interval(Integral, 1)),
}


def check_arguments(**values: Any) -> None:
    """Check :func:`pedagogy.bench.run`'s arguments; :class:`BenchError` naming the first bad one."""
    _validate(values, RUN_ARGUMENTS, "bench.run")


# --------------------------------------------------------------------- seeds
def _name_key(name: str) -> int:
    # crc32, not hash(): Python salts str hashes per process.
    return zlib.crc32(name.encode("utf-8"))


def derive_seeds(base_seed: int, scenario: str, seed_index: int, teacher: str) -> tuple[int, int]:
    """The (learner seed, teacher seed) of one run.

    The learner seed depends on the base seed, the scenario and the seed index
    only, so every teacher meets the *same* learners at a given seed index;
    the teacher seed also depends on the teacher's (display) name.
    """
    learner = np.random.SeedSequence([base_seed, _name_key(scenario), seed_index]).generate_state(1)[0]
    teacher_s = np.random.SeedSequence([base_seed, _name_key(scenario), seed_index, _name_key(teacher)]).generate_state(1)[0]
    return int(learner), int(teacher_s)


# ------------------------------------------------------------------ RunSpec
@dataclass(frozen=True)
class RunSpec:
    """One run: teacher ``teacher`` on a fresh learner of ``scenario`` seeded ``learner_seed``, for ``budget`` practice calls.

    ``teacher`` is the name shown in the results; ``make`` is the registered
    teacher built with ``options`` (``""``: ``teacher`` itself; a baseline
    sets both).  ``record_tasks`` keeps the proposed tasks for the picture;
    ``mastery_probes`` is how often the first full mastery is looked for.
    ``oracle``: the run is the scenario's oracle reference — the tasks come
    from the learner's own ``oracle_task()``, no teacher is built.
    ``variant``: the scenario variant the learner comes from
    (:func:`pedagogy.sim.split.variant`; 0 is the registered scenario).
    ``dynamic_sampling``: the teacher runs behind DAPO's filter
    (:class:`~pedagogy.teachers.dynamic_sampling.DynamicSampling`).
    """

    scenario: str
    teacher: str
    seed_index: int
    learner_seed: int
    teacher_seed: int
    budget: int
    record_tasks: bool = True
    mastery_probes: int = 400
    make: str = ""
    options: dict[str, Any] = field(default_factory=dict, hash=False)
    oracle: bool = False
    variant: int = 0
    dynamic_sampling: bool = False

    RULES: ClassVar[dict[str, Rule]] = {
        "scenario": _NAME,
        "teacher": _NAME,
        "seed_index": Interval(Integral, 0),
        "learner_seed": _SEED,
        "teacher_seed": _SEED,
        "budget": Interval(Integral, 1),
        "record_tasks": Boolean(),
        "mastery_probes": Interval(Integral, 0),
        "make": Satisfies(lambda v: isinstance(v, str), "a string"),
        "options": Satisfies(lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v), "a dict option -> value"),
        "oracle": Boolean(),
        "variant": Interval(Integral, 0),
        "dynamic_sampling": Boolean(),
    }

    def __post_init__(self) -> None:
        _validate(vars(self), self.RULES, "RunSpec")

    @property
    def teacher_name(self) -> str:
        """The registered teacher this run builds."""
        return self.make or self.teacher

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready when the options are)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """The inverse of :meth:`to_dict`; unknown or missing keys are a :class:`BenchError`."""
        known = {f.name for f in fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise BenchError(f"RunSpec: unknown key {extra[0]!r} (known: {', '.join(sorted(known))})")
        try:
            return cls(**data)
        except TypeError as exc:
            raise BenchError(f"RunSpec: {exc}") from None


# ---------------------------------------------------------------- selection
@dataclass(frozen=True)
class Selection:
    """Which teachers run on which scenario, and why the others do not.

    ``applicable[s]`` lists the registered teachers that accept scenario
    ``s``'s space, ``skipped[s][t]`` says why ``t`` does not run,
    ``baselines[s]`` are the scenario's baseline runs, ``spaces[s]`` is one
    learner's space and ``oracle[s]`` says whether its learner implements
    ``oracle_task`` (then the oracle reference row runs with it).
    ``left_out[t]`` says why a registered teacher was left out of a default
    selection (its optional package is missing).
    """

    scenarios: list[str]
    teachers: list[str]
    applicable: dict[str, list[str]]
    skipped: dict[str, dict[str, str]]
    baselines: dict[str, tuple[Any, ...]]
    spaces: dict[str, Any]
    oracle: dict[str, bool] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)


def _unique(names: Iterable[str]) -> list[str]:
    if isinstance(names, str):
        raise BenchError(f"names must be a list of strings, not the string {names!r}")
    out: list[str] = []
    for n in names:
        if not isinstance(n, str) or not n:
            raise BenchError(f"names must be non-empty strings, got {n!r}")
        if n not in out:
            out.append(n)
    return out


def _kinds(cls: Any) -> str:
    return " or ".join(c.__name__ for c in cls.space_types)


def resolve_selection(scenarios: Iterable[str] | None, teachers: Iterable[str] | None) -> Selection:
    """Check the requested names and decide which teacher runs on which scenario.

    Raises :class:`BenchError` for an unknown name, an empty selection, an
    explicitly requested teacher that accepts none of the selected scenarios'
    spaces, or a scenario baseline that cannot be built on its scenario.
    """
    from pedagogy import sim
    from pedagogy import teachers as teachers_mod
    from pedagogy.sim.base import Learner

    scen_names = _unique(scenarios) if scenarios is not None else sim.scenarios()
    left_out: dict[str, str] = {}
    if teachers is None:
        # every registered teacher this installation can build (one whose optional package is missing is left out, with the reason)
        left_out = {
            t: f"needs {', '.join(m)}, not installed" for t in teachers_mod.available() if (m := teachers_mod.get(t).missing_requirements())
        }
        teach_names = [t for t in teachers_mod.available() if t not in left_out]
    else:
        teach_names = _unique(teachers)
    if not scen_names:
        raise BenchError("no scenario selected (no scenario is registered, or the list is empty)")
    if not teach_names:
        raise BenchError("no teacher selected")
    try:
        declared = {s: sim.get_scenario(s) for s in scen_names}
        classes = {t: teachers_mod.get(t) for t in teach_names}
    except ValueError as exc:
        raise BenchError(str(exc)) from None
    for t, cls in classes.items():
        missing = cls.missing_requirements()
        if missing:
            raise BenchError(f"teacher {t!r} needs {', '.join(missing)}")
    spaces: dict[str, Any] = {}
    applicable: dict[str, list[str]] = {}
    skipped: dict[str, dict[str, str]] = {}
    baselines: dict[str, tuple[Any, ...]] = {}
    oracle: dict[str, bool] = {}
    if ORACLE in teach_names:
        raise BenchError(f"a teacher is named {ORACLE!r}, the name of the benchmark's reference row; rename it")
    for s, sc in declared.items():
        # A learner's space does not depend on its seed; seed 0 is only a probe.
        probe = sc.factory(0)
        space = probe.space
        spaces[s] = space
        oracle[s] = type(probe).oracle_task is not Learner.oracle_task
        applicable[s] = [t for t in teach_names if isinstance(space, classes[t].space_types)]
        skipped[s] = {t: f"accepts {_kinds(classes[t])}, not {type(space).__name__}" for t in teach_names if t not in applicable[s]}
        baselines[s] = sc.baselines
        for b in sc.baselines:
            _check_baseline(s, b, space, teach_names)
            if b.name == ORACLE:
                raise BenchError(f"scenario {s!r}: baseline {b.name!r} has the name of the oracle reference row")
    if teachers is not None:
        for t in teach_names:
            if not any(t in applicable[s] for s in scen_names):
                kinds = ", ".join(f"{s} ({type(spaces[s]).__name__})" for s in scen_names)
                raise BenchError(f"teacher {t!r} accepts {_kinds(classes[t])} spaces and cannot run on any selected scenario: {kinds}")
    if not any(applicable.values()):
        raise BenchError("no selected teacher can run on any selected scenario")
    return Selection(scen_names, teach_names, applicable, skipped, baselines, spaces, oracle, left_out)


def _check_baseline(scenario: str, baseline: Any, space: Any, teacher_names: list[str]) -> None:
    """A baseline must not shadow a teacher's name and must build on its scenario's space."""
    from pedagogy import teachers as teachers_mod

    where = f"scenario {scenario!r}: baseline {baseline.name!r}"
    if baseline.name in teacher_names:
        raise BenchError(f"{where} has the name of a registered teacher; give it a display name of its own")
    try:
        teachers_mod.make(baseline.teacher, space, seed=0, **baseline.options)
    except (ValueError, TypeError) as exc:
        raise BenchError(f"{where} cannot be built: {exc}") from None


def plan_runs(
    selection: Selection,
    n_seeds: int,
    budgets: Mapping[str, int],
    base_seed: int,
    mastery_probes: int,
    variants: Mapping[str, Sequence[int]] | None = None,
) -> list[RunSpec]:
    """Every run of the benchmark, longest first (better load balance across processes).

    ``variants[s]`` lists scenario ``s``'s variant seeds; seed index ``i``
    runs on variant ``variants[s][i % len(variants[s])]``, the same for every
    teacher (default: variant 0, the registered scenario).
    """
    specs: list[RunSpec] = []
    for s in selection.scenarios:
        runs: list[tuple[str, str, dict[str, Any], bool, bool]] = [(t, "", {}, False, False) for t in selection.applicable[s]]
        runs += [(b.name, b.teacher, dict(b.options), False, b.dynamic_sampling) for b in selection.baselines[s]]
        if selection.oracle.get(s):
            runs.append((ORACLE, "", {}, True, False))
        for name, make, options, is_oracle, dyn in runs:
            for i in range(n_seeds):
                ls, ts = derive_seeds(base_seed, s, i, name)
                seeds_of_s = variants.get(s) if variants else None
                v = int(seeds_of_s[i % len(seeds_of_s)]) if seeds_of_s else 0
                # tasks are recorded for seed 0 only: the picture shows one run per teacher
                specs.append(
                    RunSpec(
                        s,
                        name,
                        i,
                        ls,
                        ts,
                        int(budgets[s]),
                        i == 0,
                        mastery_probes,
                        make,
                        options,
                        is_oracle,
                        variant=v,
                        dynamic_sampling=dyn,
                    )
                )
    return sorted(specs, key=lambda spec: -spec.budget)
