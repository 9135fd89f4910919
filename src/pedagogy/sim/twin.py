"""Your own students as a scenario: a simulated twin of a population fitted with BKT.

:func:`twin_scenario` turns a fitted :class:`pedagogy.kt.BKT` (what ``pedagogy
kt fit`` saves) and a skill graph (``{"skill": ["prereq", ...]}``) into a
``students``-style :class:`~pedagogy.sim.base.Scenario`, so every teacher can
be ranked on a twin of the user's population:
``pedagogy bench --students-from bkt.json --graph course.json``.

Each simulated student is a :class:`~pedagogy.sim.students.StudentsLearner`
with the model's per-skill parameters (prior, learn, guess, slip, forget;
skills of the graph the model was not fitted on take the model's population
defaults, as its own tracker does) and an individual learning-speed trait.

What is and is not fitted:

* Per-skill parameters: from the model, except the prior, converted from the
  model's marginal ``P(L0)`` to the simulator's "known at the start *given*
  the prerequisites are known": ``min(1, prior_s / min_p prior_p)`` over the
  skill's prerequisites (a student who knows a skill knows its
  prerequisites, so the prerequisites' joint is taken as nested, its
  probability the smallest of their priors).  Exact on a graph without
  prerequisites; an approximation otherwise.
* The spread of learners: standard BKT has no per-student parameter, so the
  spread is not in the model; ``trait_sigma`` (log-normal sigma of the
  learning-speed trait) is a declared assumption, default 0.5 as in the
  ``students`` scenario, 0 for a population of identical BKT students.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from pedagogy.kt.core import BKT_KEYS
from pedagogy.sim.base import Scenario
from pedagogy.sim.students import StudentsLearner
from pedagogy.spaces import SkillGraph

__all__ = ["read_graph", "twin_params", "twin_scenario"]


def read_graph(path: str | os.PathLike[str]) -> dict[str, list[str]]:
    """A skill graph from a JSON file ``{"skill": ["prerequisite", ...], ...}`` (a ``ValueError`` naming the problem)."""
    src = os.fspath(path)
    try:
        with open(src, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"graph {src!r}: cannot read it as JSON ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in data.values()):
        raise ValueError(f"graph {src!r}: expected an object skill -> list of prerequisite skills")
    graph = {str(k): list(v) for k, v in data.items()}
    SkillGraph(graph)  # a cycle or an unknown prerequisite is a ValueError naming it
    return graph


def twin_params(model: Any, graph: Mapping[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """Per-skill :class:`StudentsLearner` parameters for ``graph`` from a fitted BKT (see the module docstring)."""
    table = getattr(model, "params_table", None)
    defaults = getattr(model, "defaults_", None)
    if not callable(table) or not callable(defaults):
        raise ValueError(f"a twin needs a fitted pedagogy.kt.BKT (with params_table() and defaults_()), got {type(model).__name__}")  # noqa: TRY004 - the library reports bad inputs as ValueError
    fitted = table()
    base = {k: float(v) for k, v in defaults().items() if k in BKT_KEYS}
    marginal = {s: {**base, **{k: float(v) for k, v in fitted.get(s, {}).items() if k in BKT_KEYS}} for s in graph}
    out: dict[str, dict[str, float]] = {}
    for s, pre in graph.items():
        p = dict(marginal[s])
        if pre:
            joint = min(marginal[q]["prior"] for q in pre)
            p["prior"] = min(1.0, p["prior"] / joint) if joint > 0 else 0.0
        out[s] = p
    return out


def twin_scenario(
    model: Any,
    graph: Mapping[str, Sequence[str]],
    name: str = "students-twin",
    trait_sigma: float = 0.5,
    budget_quick: int = 1500,
    budget_full: int = 4000,
) -> Scenario:
    """A scenario of simulated twins of ``model``'s population on ``graph`` (not registered: see :func:`~pedagogy.sim.register_scenario`).

    ``model`` is a fitted :class:`pedagogy.kt.BKT` or the path of one saved by
    ``pedagogy kt fit`` / ``BKT.save``; the budgets and the 250 evaluations
    are the ``students`` scenario's.
    """
    if isinstance(model, (str, os.PathLike)):
        from pedagogy import kt

        model = kt.load(model)
    SkillGraph(graph)
    params = twin_params(model, graph)
    sigma = float(trait_sigma)
    frozen = {s: list(v) for s, v in graph.items()}
    StudentsLearner(frozen, params=params, trait_sigma=sigma, seed=0)  # check once, here

    def factory(seed: int) -> StudentsLearner:
        return StudentsLearner(frozen, params=params, trait_sigma=sigma, seed=seed)

    return Scenario(
        name=name,
        description=f"twins of a fitted BKT population ({len(frozen)} skills, trait sigma {sigma:g}); score = 0/1 answer",
        factory=factory,
        budget_quick=budget_quick,
        budget_full=budget_full,
        evaluations=250,
        metric="mastered_fraction",
        tags=("skill_graph", "students", "twin"),
    )
