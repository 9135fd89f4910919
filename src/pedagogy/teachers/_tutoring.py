"""What the tutoring teachers (``mastery``, ``spaced-mastery``) share: the skill layout of a space and the wheel-spinning rule.

Private: the teachers' docstrings describe the behaviour; this module only
keeps one copy of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pedagogy.spaces import Discrete, SkillGraph

__all__ = ["FLAG", "REMEDIATE", "SkillLayout", "WheelSpinning", "demoted_level"]


@dataclass(frozen=True)
class SkillLayout:
    """Skills of a space in order, each one's prerequisites and each task's skills, as positions."""

    skills: list[Any]
    prereq: list[list[int]]
    task_skills: list[list[int]]

    @classmethod
    def of(cls, space: Discrete) -> SkillLayout:
        """The layout of ``space``: a SkillGraph's skills (its items' skills, else each task is its skill), or a plain Discrete's tasks."""
        graph = space if isinstance(space, SkillGraph) else None
        skills: list[Any] = list(graph.skills) if graph is not None else list(space.tasks)
        pos = {s: i for i, s in enumerate(skills)}
        prereq = [[pos[p] for p in graph.prerequisites[s]] for s in skills] if graph is not None else [[] for _ in skills]
        if graph is not None and graph.items is not None:
            items: Mapping[Any, list[str]] = graph.items  # keyed by the tasks (the items)
            task_skills = [[pos[s] for s in items[t]] for t in graph.tasks]
        elif graph is not None:
            task_skills = [[pos[t]] for t in graph.tasks]
        else:
            task_skills = [[i] for i in range(len(skills))]
        return cls(skills, prereq, task_skills)

    def skill_tasks(self, allowed: Sequence[bool] | None = None) -> list[list[int]]:
        """Per skill, the (allowed) task indices that practise it."""
        out: list[list[int]] = [[] for _ in self.skills]
        for t, sks in enumerate(self.task_skills):
            if allowed is None or allowed[t]:
                for s in sks:
                    out[s].append(t)
        return out


def demoted_level(threshold: float) -> float:
    """Where a remediation puts a prerequisite: just below the mastery threshold, so one or two right answers re-master it."""
    return threshold - 0.5 * (1.0 - threshold)


#: what :meth:`WheelSpinning.missed` asks the teacher to do
REMEDIATE, FLAG = "remediate", "flag"


class WheelSpinning:
    """Per skill: answers in a row while unmastered, the wheel-spinning flag, turns taken while flagged, remediations.

    The rule (Beck & Gong, AIED 2013): a skill still unmastered after
    ``max_attempts`` answers in a row first sends the teacher back to its
    prerequisites (``max_remediations`` times, where it has any: it should
    lower their P(L) to :func:`demoted_level`), then is flagged.
    """

    def __init__(self, n: int, max_attempts: int, max_remediations: int):
        self.max_attempts = int(max_attempts)
        self.max_remediations = int(max_remediations)
        self.streak = [0] * n
        self.flagged = [False] * n
        self.turns = [0] * n
        self.remediations = [0] * n

    def mastered(self, s: int) -> None:
        """Skill ``s`` is mastered (again): a fresh start."""
        self.streak[s] = 0
        self.flagged[s] = False

    def missed(self, s: int, has_prerequisites: bool) -> str | None:
        """An answer on unmastered skill ``s``: :data:`REMEDIATE`, :data:`FLAG` (just flagged) or None."""
        self.streak[s] += 1
        if self.flagged[s]:
            self.turns[s] += 1
        elif self.streak[s] >= self.max_attempts:
            if has_prerequisites and self.remediations[s] < self.max_remediations:
                self.remediations[s] += 1
                self.streak[s] = 0
                return REMEDIATE
            self.flagged[s] = True
            return FLAG
        return None

    def state(self, flag_key: str) -> dict[str, Any]:
        return {
            "streak": list(self.streak),
            flag_key: list(self.flagged),
            "turns": list(self.turns),
            "remediations": list(self.remediations),
        }

    def load(self, state: dict[str, Any], flag_key: str, error: Callable[[str], Exception]) -> None:
        n = len(self.streak)
        for key in ("streak", flag_key, "turns", "remediations"):
            if len(state[key]) != n:
                raise error(f"state field {key!r} has {len(state[key])} entries for {n} skills")
        self.streak = [int(x) for x in state["streak"]]
        self.flagged = [bool(x) for x in state[flag_key]]
        self.turns = [int(x) for x in state["turns"]]
        self.remediations = [int(x) for x in state["remediations"]]
