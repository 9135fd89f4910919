"""Goal-directed learning paths on a skill graph.

In the spirit of the multi-source multi-sink planning of GraphMASAL ("GraphMASAL:
A Graph-based Multi-Agent System for Adaptive Learning"): the *sources* are
what the learner already masters, the *sinks* are the goal skills, and a plan
is the ordered list of skills still to learn so that every goal is reachable.

:func:`plan_path` returns only the unmastered skills the goals need
(transitively), in a valid prerequisite order.  A :class:`~pedagogy.spaces.SkillGraph`
has conjunctive prerequisites (a skill needs *all* of its prerequisites), so
the set of skills a goal needs is unique: the cost cannot change *which* skills
are planned, only their order among the skills that are ready at the same time
(cheapest first).  Where a plan does have alternatives — which exercises
(items) to practise the planned skills with, when an item practises several
skills — :func:`plan_items` picks them by greedy weighted set cover, the
approximation GraphMASAL uses for its multi-goal case (the exact minimum cover
is NP-hard; greedy is within a factor ``H(k) <= 1 + ln k`` of it, ``k`` the
largest number of planned skills one item covers).

This module sits above :mod:`pedagogy.spaces` and below the teachers; it
imports nothing else from the library.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pedagogy.spaces import SkillGraph

__all__ = ["Cost", "path_cost", "plan_items", "plan_path", "prerequisite_closure"]

#: a cost: ``None`` (1 per skill), ``"expected"`` (``1 - P(known)``: the share of the way to mastery still ahead),
#: a dict skill -> cost, or a callable ``skill -> cost``; costs are finite and >= 0
Cost = None | str | Mapping[str, float] | Callable[[str], float]


def _goals_list(graph: SkillGraph, goals: str | Iterable[str], where: str) -> list[str]:
    if not isinstance(graph, SkillGraph):
        raise ValueError(f"{where}: graph must be a pedagogy.spaces.SkillGraph, got {type(graph).__name__}")  # noqa: TRY004 - the library's one error type
    if isinstance(goals, str):
        goals = [goals]
    try:
        out = list(goals)
    except TypeError:
        raise ValueError(f"{where}: goals must be a skill name or a list of skill names, got {goals!r:.60}") from None
    if not out:
        raise ValueError(f"{where}: goals must name at least one skill")
    known = graph.prerequisites
    for g in out:
        if not isinstance(g, str) or g not in known:
            raise ValueError(f"{where}: unknown goal skill {g!r} (not in the graph)")
    return list(dict.fromkeys(out))


def prerequisite_closure(graph: SkillGraph, goals: str | Iterable[str]) -> set[str]:
    """Every skill the goals need: the goals and all their prerequisites, transitively."""
    todo = _goals_list(graph, goals, "prerequisite_closure")
    seen: set[str] = set()
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.add(s)
        todo.extend(p for p in graph.prerequisites[s] if p not in seen)
    return seen


def _check_mastery(graph: SkillGraph, mastery: Mapping[str, float] | None, where: str) -> dict[str, float]:
    if mastery is None:
        return {}
    if not isinstance(mastery, Mapping):
        raise ValueError(f"{where}: mastery must be a dict skill -> P(known) in [0, 1], got {type(mastery).__name__}")  # noqa: TRY004
    out: dict[str, float] = {}
    for s, p in mastery.items():
        if s not in graph.prerequisites:
            raise ValueError(f"{where}: mastery names unknown skill {s!r}")
        if isinstance(p, bool) or not isinstance(p, (int, float)) and not hasattr(p, "__float__"):
            raise ValueError(f"{where}: mastery of {s!r} must be a probability in [0, 1], got {p!r}")
        x = float(p)
        if not (0.0 <= x <= 1.0):  # also rejects NaN
            raise ValueError(f"{where}: mastery of {s!r} must be a probability in [0, 1], got {p!r}")
        out[s] = x
    return out


def _cost_fn(cost: Cost, mastery: Mapping[str, float], where: str) -> Callable[[str], float]:
    if cost is None:
        raw: Callable[[str], float] = lambda s: 1.0
    elif cost == "expected":
        raw = lambda s: 1.0 - mastery.get(s, 0.0)
    elif isinstance(cost, str):
        raise ValueError(f"{where}: cost must be None, 'expected', a dict skill -> cost or a callable, got {cost!r}")
    elif isinstance(cost, Mapping):
        table = dict(cost)
        raw = lambda s: table.get(s, 1.0)
    elif callable(cost):
        raw = cost
    else:
        raise ValueError(f"{where}: cost must be None, 'expected', a dict skill -> cost or a callable, got {cost!r:.60}")

    def checked(s: str) -> float:
        c = raw(s)
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) or c < 0:
            raise ValueError(f"{where}: cost of skill {s!r} must be a finite number >= 0, got {c!r}")
        return float(c)

    return checked


def plan_path(
    graph: SkillGraph,
    mastery: Mapping[str, float] | None,
    goals: str | Iterable[str],
    cost: Cost = None,
    threshold: float = 0.95,
) -> list[str]:
    """The skills still to learn for ``goals``, in an order that respects every prerequisite.

    Parameters
    ----------
    graph:
        The skills and their prerequisites.
    mastery:
        skill -> P(known) in [0, 1] (a knowledge-tracing model's estimate, or
        a teacher's report); a skill left out counts as unknown (0).  A skill
        is mastered when ``P(known) >= threshold``.
    goals:
        One goal skill or several.
    cost:
        The price of learning a skill (see :data:`Cost`).  The planned *set* is
        the unique set of unmastered skills the goals need (conjunctive
        prerequisites leave no choice), so the cost orders the plan: whenever
        several skills are ready, the cheapest comes first (ties: the graph's
        topological order).  With several goals sharing prerequisites this
        front-loads cheap skills; minimising a weighted sum of goal
        completion times exactly is NP-hard under precedence constraints,
        so the order is a greedy one.
    threshold:
        Mastery criterion on P(known), in (0, 1].

    Returns
    -------
    list of skills
        Each unmastered skill the goals need exactly once, every skill after
        its unmastered prerequisites.  A mastered skill is a source: the search
        does not go past it (what it rests on is taken as known).  Empty when
        every goal is mastered.
    """
    where = "plan_path"
    goal_list = _goals_list(graph, goals, where)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not (0.0 < threshold <= 1.0):
        raise ValueError(f"{where}: threshold must be a number in (0, 1], got {threshold!r}")
    p = _check_mastery(graph, mastery, where)
    price = _cost_fn(cost, p, where)

    def mastered(s: str) -> bool:
        return p.get(s, 0.0) >= threshold

    # Multi-sink backward search from the goals, stopping at the sources (mastered skills).
    need: set[str] = set()
    todo = [g for g in goal_list if not mastered(g)]
    while todo:
        s = todo.pop()
        if s in need:
            continue
        need.add(s)
        todo.extend(q for q in graph.prerequisites[s] if q not in need and not mastered(q))
    if not need:
        return []
    # Kahn's algorithm on the needed skills, cheapest ready skill first.
    pos = {s: graph.skill_index(s) for s in need}
    unmet = {s: sum(q in need for q in graph.prerequisites[s]) for s in need}
    children: dict[str, list[str]] = {s: [] for s in need}
    for s in need:
        for q in graph.prerequisites[s]:
            if q in need:
                children[q].append(s)
    heap = [(price(s), pos[s], s) for s in need if unmet[s] == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, _, s = heapq.heappop(heap)
        order.append(s)
        for c in children[s]:
            unmet[c] -= 1
            if unmet[c] == 0:
                heapq.heappush(heap, (price(c), pos[c], c))
    return order


def path_cost(path: Iterable[str], graph: SkillGraph, mastery: Mapping[str, float] | None = None, cost: Cost = None) -> float:
    """The total cost of a plan (the sum of its skills' costs)."""
    p = _check_mastery(graph, mastery, "path_cost")
    price = _cost_fn(cost, p, "path_cost")
    return float(sum(price(s) for s in path))


def plan_items(
    graph: SkillGraph,
    mastery: Mapping[str, float] | None,
    goals: str | Iterable[str],
    item_cost: Mapping[Any, float] | Callable[[Any], float] | None = None,
    threshold: float = 0.95,
) -> list[Any]:
    """Items (exercises) that together practise every planned skill: greedy weighted set cover.

    Only items whose skills all lie in the goals' prerequisite closure are
    candidates (nothing outside what the goals need is practised).  Greedy
    picks, until every planned skill is covered, the item with the most
    still-uncovered planned skills per unit of cost (ties: the item whose
    earliest uncovered skill comes first in the plan, then the graph's item
    order), and returns the picks ordered by the plan position of the
    earliest planned skill each covers.  A planned skill no candidate item
    practises is a ``ValueError``.  The cover is the classical greedy
    approximation (within ``1 + ln k`` of the cheapest), not the optimum.
    """
    where = "plan_items"
    path = plan_path(graph, mastery, goals, threshold=threshold)
    if graph.items is None:
        return list(path)
    closure = prerequisite_closure(graph, goals)
    rank = {s: i for i, s in enumerate(path)}
    item_pos = {it: i for i, it in enumerate(graph.items)}
    cands = {it: set(sks) for it, sks in graph.items.items() if set(sks) <= closure and set(sks) & rank.keys()}

    def price(it: Any) -> float:
        c = 1.0 if item_cost is None else (item_cost(it) if callable(item_cost) else item_cost.get(it, 1.0))
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) or c <= 0:
            raise ValueError(f"{where}: cost of item {it!r} must be a finite number > 0, got {c!r}")
        return float(c)

    prices = {it: price(it) for it in cands}
    uncovered = set(rank)
    picks: list[Any] = []
    while uncovered:
        best, key = None, None
        for it, sks in cands.items():
            gain = len(sks & uncovered)
            if not gain:
                continue
            k = (-gain / prices[it], min(rank[s] for s in sks & uncovered), item_pos[it])
            if key is None or k < key:
                best, key = it, k
        if best is None:
            s = min(uncovered, key=rank.__getitem__)
            raise ValueError(f"{where}: no item inside the goals' prerequisites practises planned skill {s!r}")
        picks.append(best)
        uncovered -= cands.pop(best)
    return sorted(picks, key=lambda it: (min(rank.get(s, len(rank)) for s in graph.items[it]), item_pos[it]))  # type: ignore[index]
