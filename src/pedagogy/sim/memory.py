"""Simulated students whose knowledge is graded and fades: a memory model, not BKT.

:class:`MemoryStudent` is the second family of simulated students (the first,
:class:`~pedagogy.sim.students.StudentsLearner`, follows BKT's all-or-nothing
skills).  Here a skill is a *strength* that grows with practice and decays
without it, after the exponential forgetting curve, so a teacher must also
schedule reviews, and a teacher that assumes BKT holds the wrong student model.
The scenario ``students-forgetting`` is registered at the bottom.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, Rule
from pedagogy.sim.base import PREREQUISITES, Learner, Scenario, register_scenario
from pedagogy.sim.graphs import random_graph
from pedagogy.sim.split import draw_with, register_variants
from pedagogy.sim.students import STUDENTS_GRAPH, describe_graph
from pedagogy.sim.targets import Saving, Target
from pedagogy.spaces import SkillGraph

__all__ = ["MASTERY_LEVEL", "MEMORY_DEFAULTS", "MemoryStudent"]

#: P(correct) every skill must reach at once for the student to count as a master
MASTERY_LEVEL = 0.9

#: Default parameters of :class:`MemoryStudent`.  They are round numbers set
#: from the literature's orders of magnitude before any teacher ran on the
#: scenario, never tuned to a teacher:
#:
#: * ``learn = 0.2``: acquisition per practised answer (about 10 answers to
#:   learn a new skill, as with the ASSISTments BKT fits' learn rate of 0.1-0.2
#:   in :data:`~pedagogy.sim.students.DEFAULT_BKT`);
#: * ``half_life = 30``: half-life in answers of a freshly learned skill (with
#:   one answer a minute, recall halves in half an hour of other work: the
#:   steep first day of Ebbinghaus' 1885 curve);
#: * ``half_life_known = 300``: half-life of a skill the student already knew
#:   before the course;
#: * ``growth = 0.1`` and ``spacing = 2.0``: a correct recall multiplies the
#:   half-life by ``1 + growth + spacing * (1 - retention)``: massed practice
#:   (retention near 1) adds little, a review when half is forgotten doubles
#:   it (the spacing effect; the stability increase grows as retrievability
#:   falls, as in Ye, Su & Cao, KDD 2022, FSRS' memory model, and Pavlik &
#:   Anderson, Cognitive Science 2005);
#: * ``guess = 0.2``: a right answer without recall (multiple choice, 5 options);
#: * ``gate = 0.5``: practice teaches nothing while a prerequisite's recall is
#:   below one half;
#: * ``prior = 0.5``: chance a skill is known at the start, given its
#:   prerequisites are;
#: * ``trait_sigma = 0.5``: log-normal spread of the two individual traits
#:   (learning speed and memory), drawn independently per student;
#: * ``power_decay = 0``: the exponential forgetting curve; a positive value
#:   ``d`` switches to the power-law curve ``(1 + (2 ** (1/d) - 1) * dt / h) ** -d``
#:   with the same half-life ``h`` (Wixted & Ebbesen, Psychological Science
#:   1991; FSRS-4.5 uses ``d = 0.5``).  As ``d`` grows it tends to the
#:   exponential; a small ``d`` forgets fast at first, then slowly.
MEMORY_DEFAULTS: dict[str, float] = {
    "learn": 0.2,
    "half_life": 30.0,
    "half_life_known": 300.0,
    "growth": 0.1,
    "spacing": 2.0,
    "guess": 0.2,
    "gate": 0.5,
    "prior": 0.5,
    "trait_sigma": 0.5,
    "power_decay": 0.0,
}


class MemoryStudent(Learner):
    """A student whose skills are graded strengths with a forgetting curve.

    Memory model: the exponential forgetting curve of Ebbinghaus (1885) in the
    half-life form of half-life regression (Settles & Meeder, "A Trainable
    Spaced Repetition Model for Language Learning", ACL 2016) and of
    Pimsleur's graduated intervals (1967): the recall of skill ``i`` at time
    ``t`` (time = the number of answers given so far, on any skill) is

        recall_i(t) = a_i * 2 ** (-(t - last_i) / h_i)

    (or the power-law curve of the same half-life, see ``power_decay`` in
    :data:`MEMORY_DEFAULTS`) where ``a_i`` in [0, 1] is how well the skill was acquired, ``last_i`` the
    time of its last practice and ``h_i`` its half-life in answers.

    Dynamics (one :meth:`practice` call = one answered exercise):

    * The answer is correct with probability
      ``P(correct) = guess + (1 - guess) * recall_i(t)``, drawn *before* the
      exercise changes anything.
    * Prerequisite gating: the skill is *open* when every prerequisite's
      recall is at least ``gate``; practising a closed skill teaches nothing
      (nobody learns fractions without division).
    * On an open skill: acquisition ``a_i += learn_i * (1 - a_i)``; the
      exercise re-exposes the skill (``last_i = t``); after a correct answer
      the half-life grows by the factor ``1 + growth + spacing * (1 - r)``
      where ``r = 2 ** (-(t - last_i) / h_i)`` was the retention just before
      (spacing effect: reviews late on the curve consolidate more).
    * Individual differences: a learning-speed trait ``m`` (``learn_i = 1 -
      (1 - learn) ** m``) and a memory trait ``k`` (multiplies both starting
      half-lives), log-normal with sigma ``trait_sigma``, drawn per student.
    * Initial state, in prerequisite order: a skill is known (``a = 1``,
      half-life ``half_life_known * k``, just practised) with probability
      ``prior`` if all its prerequisites are, else unknown (``a = 0``,
      half-life ``half_life * k``).

    Score (what the teacher sees): the correctness of the answer, 0.0 or 1.0.

    :meth:`evaluate` (ground truth, on the TRUE success probability): ``mastered_fraction``
    (skills with ``P(correct) >= 0.9`` now), ``all_mastered`` (1.0 when every
    skill is at once), ``expected_accuracy`` (mean ``P(correct)``) and
    ``mean_recall``.

    :meth:`oracle_task` is what a teacher that sees the true recalls would
    pick now: the open skill with the lowest ``P(correct)`` (earliest in
    prerequisite order on ties).

    Parameters
    ----------
    prerequisites:
        Mapping skill -> prerequisite skills (a DAG); default
        :data:`~pedagogy.sim.students.STUDENTS_GRAPH`.
    seed:
        Seed of the student: traits, initial state and answers.
    **params:
        Any of :data:`MEMORY_DEFAULTS` (see there for the values and why).
    """

    space: SkillGraph
    parameters: ClassVar[Mapping[str, Rule]] = {
        "prerequisites": PREREQUISITES,
        "learn": Interval(Real, 0, 1, closed="right"),
        "half_life": Interval(Real, 0, None, closed="neither"),
        "half_life_known": Interval(Real, 0, None, closed="neither"),
        "growth": Interval(Real, 0),
        "spacing": Interval(Real, 0),
        "guess": Interval(Real, 0, 1, closed="left"),
        "gate": Interval(Real, 0, 1),
        "prior": Interval(Real, 0, 1),
        "trait_sigma": Interval(Real, 0, 3),
        "power_decay": Interval(Real, 0, 100),
        "seed": Interval(Integral, 0),
    }

    def __init__(self, prerequisites: Mapping[str, Sequence[str]] | None = None, seed: int = 0, **params: float):
        unknown = sorted(set(params) - set(MEMORY_DEFAULTS))
        if unknown:
            raise self._error(f"unknown parameter {unknown[0]!r} (known: {', '.join(MEMORY_DEFAULTS)})")
        p = {**MEMORY_DEFAULTS, **params}
        self._check_parameters(prerequisites=prerequisites, seed=seed, **p)
        try:
            self.space = SkillGraph(STUDENTS_GRAPH if prerequisites is None else prerequisites)
        except ValueError as e:
            raise self._error(f"bad prerequisites: {e}") from None
        self.params = {k: float(v) for k, v in p.items()}
        self.seed = int(seed)
        self.rng = np.random.default_rng(seed)
        sigma = self.params["trait_sigma"]
        z = self.rng.standard_normal(2)
        self.trait = float(np.exp(sigma * z[0]))  # learning speed
        self.memory = float(np.exp(sigma * z[1]))  # memory (half-life multiplier)
        tasks = self.space.tasks  # skills in topological order
        n = len(tasks)
        self._prereq = [[self.space.index(q) for q in self.space.prerequisites[str(s)]] for s in tasks]
        self._learn = 1.0 - (1.0 - self.params["learn"]) ** self.trait
        self._guess = self.params["guess"]
        self._gate = self.params["gate"]
        self._power_decay = self.params["power_decay"]
        self._growth = self.params["growth"]
        self._spacing = self.params["spacing"]
        draws = self.rng.random(n)
        known = [False] * n
        self._a = [0.0] * n
        self._h = [self.params["half_life"] * self.memory] * n
        self._last = [0] * n
        for i in range(n):  # prerequisites come first
            known[i] = all(known[j] for j in self._prereq[i]) and bool(draws[i] < self.params["prior"])
            if known[i]:
                self._a[i] = 1.0
                self._h[i] = self.params["half_life_known"] * self.memory
        self.answers = 0

    # ----------------------------------------------------------- ground truth
    def recall(self, i: int) -> float:
        """Recall of skill index ``i`` now (ground truth)."""
        a = self._a[i]
        if a <= 0.0:
            return 0.0
        return a * self._retention(i)

    def _retention(self, i: int) -> float:
        """The forgetting curve at the time since skill ``i``'s last practice, in units of its half-life (1 at 0, 1/2 at one half-life)."""
        d = self._power_decay
        if d > 0.0:
            return float((1.0 + (2.0 ** (1.0 / d) - 1.0) * (self.answers - self._last[i]) / self._h[i]) ** -d)
        return math.exp(-math.log(2.0) * (self.answers - self._last[i]) / self._h[i])  # the same float operations as before power_decay

    def p_correct(self, skill: Any) -> float:
        """True probability of a correct answer on ``skill`` now."""
        return self._p(self.space.index(skill))

    def _p(self, i: int) -> float:
        return self._guess + (1.0 - self._guess) * self.recall(i)

    def _open(self, i: int) -> bool:
        return all(self.recall(j) >= self._gate for j in self._prereq[i])

    # --------------------------------------------------------------- practice
    def practice(self, task: Any) -> float:
        """One exercise on skill ``task``; returns 1.0 for a correct answer, 0.0 otherwise."""
        try:
            i = self.space.index(task)
        except (KeyError, TypeError):
            raise self._error(f"unknown skill {task!r}") from None
        correct = bool(self.rng.random() < self._p(i))
        if self._open(i):
            a = self._a[i]
            retention = self._retention(i) if a > 0.0 else 1.0
            self._a[i] = a + self._learn * (1.0 - a)
            if correct:
                self._h[i] *= 1.0 + self._growth + self._spacing * (1.0 - retention)
            self._last[i] = self.answers
        self.answers += 1
        return 1.0 if correct else 0.0

    def evaluate(self) -> dict[str, float]:
        """Ground truth on the true success probabilities (see the class docstring)."""
        n = len(self._a)
        ps = [self._p(i) for i in range(n)]
        mastered = sum(p >= MASTERY_LEVEL for p in ps)
        return {
            "mastered_fraction": mastered / n,
            "all_mastered": 1.0 if mastered == n else 0.0,
            "expected_accuracy": sum(ps) / n,
            "mean_recall": sum(self.recall(i) for i in range(n)) / n,
        }

    def oracle_task(self) -> Any:
        """The skill an all-seeing teacher would pick now: the open skill with the lowest true P(correct)."""
        best, best_p = 0, math.inf
        for i in range(len(self._a)):
            if self._open(i):
                p = self._p(i)
                if p < best_p:
                    best, best_p = i, p
        return self.space.tasks[best]

    def __repr__(self) -> str:
        return f"MemoryStudent(skills={len(self._a)}, trait={self.trait:.3f}, memory={self.memory:.3f}, seed={self.seed})"


def _students_forgetting(seed: int) -> MemoryStudent:
    return MemoryStudent(STUDENTS_GRAPH, seed=seed)


register_scenario(
    Scenario(
        name="students-forgetting",
        description="a forgetting student (graded skills, exponential forgetting, spacing effect, prerequisites, "
        "2 traits) on the 12 arithmetic skills; score = 0/1 answer; mastery = P(correct) >= 0.9 on every skill at once",
        factory=_students_forgetting,
        budget_quick=1500,
        budget_full=4000,
        evaluations=250,
        metric="mastered_fraction",
        tags=("skill_graph", "students", "forgetting"),
        targets=(
            Target(
                "best tutoring teacher reaches mastery of every skill at once within 1.5x the oracle's answers "
                "(median over students; needs the oracle row)",
                Saving("oracle"),
                -0.5,
                ">=",
            ),
        ),
    )
)


# ------------------------------------------------------------------ variants
def _draw_memory(rng: np.random.Generator) -> dict[str, Any]:
    """Another skill graph (8-16 skills), other learning and forgetting rates, forgetting law (half power-law), spacing effect and guess."""
    return {
        "prerequisites": random_graph(rng, int(rng.integers(8, 17))),
        "learn": round(float(MEMORY_DEFAULTS["learn"] * np.exp(rng.uniform(-0.5, 0.5))), 4),
        "half_life": round(float(MEMORY_DEFAULTS["half_life"] * np.exp(rng.uniform(-0.6, 0.6))), 2),
        "half_life_known": round(float(MEMORY_DEFAULTS["half_life_known"] * np.exp(rng.uniform(-0.5, 0.5))), 1),
        "spacing": round(float(rng.uniform(1.0, 3.0)), 3),
        "guess": round(float(rng.uniform(0.1, 0.3)), 3),
        "trait_sigma": round(float(rng.uniform(0.3, 0.7)), 3),
        "power_decay": 0.0 if rng.random() < 0.5 else round(float(rng.uniform(0.3, 1.5)), 3),
    }


def _describe_memory(p: dict[str, Any]) -> str:
    return (
        f"{describe_graph(p['prerequisites'])}; learn {p['learn']:g}, half-life {p['half_life']:g} "
        f"(known {p['half_life_known']:g}), spacing {p['spacing']:g}, guess {p['guess']:g}, trait sigma {p['trait_sigma']:g}, "
        + (f"power-law forgetting (decay {p['power_decay']:g})" if p["power_decay"] > 0 else "exponential forgetting")
    )


register_variants("students-forgetting", draw_with(MemoryStudent, _draw_memory, _describe_memory))
