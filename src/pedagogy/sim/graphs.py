"""Random skill graphs (prerequisite DAGs) for the scenario variants of :mod:`pedagogy.sim.split`.

A graph is drawn layer by layer: skill ``k`` may only require skills drawn
before it, so the result is acyclic by construction, and every skill but the
first has at least one prerequisite with probability ``1 - p_root`` (a few
extra roots make several entry points, as in real curricula).
"""

from __future__ import annotations

import numpy as np

__all__ = ["random_graph"]


def random_graph(
    rng: np.random.Generator, n_skills: int, max_prerequisites: int = 2, p_root: float = 0.15, prefix: str = "s"
) -> dict[str, list[str]]:
    """A random prerequisite DAG of ``n_skills`` skills named ``{prefix}00``, ``{prefix}01``, ...

    Each later skill draws 0 prerequisites with probability ``p_root``, else
    1 to ``max_prerequisites`` among the skills before it, biased toward the
    most recent ones (long chains, like a curriculum).  Deterministic given
    ``rng``'s state.
    """
    if n_skills < 1:
        raise ValueError(f"random_graph: n_skills must be >= 1, got {n_skills}")
    if max_prerequisites < 1:
        raise ValueError(f"random_graph: max_prerequisites must be >= 1, got {max_prerequisites}")
    width = max(2, len(str(n_skills - 1)))
    names = [f"{prefix}{i:0{width}d}" for i in range(n_skills)]
    graph: dict[str, list[str]] = {names[0]: []}
    for k in range(1, n_skills):
        if rng.random() < p_root:
            graph[names[k]] = []
            continue
        m = int(rng.integers(1, min(max_prerequisites, k) + 1))
        weights = np.arange(1, k + 1, dtype=float) ** 2  # recent skills are likelier prerequisites
        picks = rng.choice(k, size=m, replace=False, p=weights / weights.sum())
        graph[names[k]] = [names[int(j)] for j in sorted(picks)]
    return graph
