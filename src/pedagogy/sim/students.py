"""A simulated human student: Bayesian Knowledge Tracing dynamics on a skill graph.

:class:`StudentsLearner` draws one student per seed (a class of students is a
set of seeds).  The scenario ``students`` is registered at the bottom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.kt.core import bkt_p_correct, check_bkt
from pedagogy.params import InstanceOf, Interval, Nullable, Rule
from pedagogy.sim.base import Learner, Scenario, register_scenario
from pedagogy.sim.targets import Baseline, Saving, Target
from pedagogy.spaces import SkillGraph

__all__ = ["DEFAULT_BKT", "SKILL_BUILDER", "STUDENTS_GRAPH", "StudentsLearner"]


#: Default BKT parameters: prior P(L0), learn P(T), guess P(G), slip P(S),
#: forget P(F).  They are the medians of per-skill BKT fits (EM / Baum-Welch,
#: no forgetting, guess and slip bounded by 0.45) on the 83 skills with at
#: least 200 answers of the ASSISTments 2009 skill-builder training split in
#: /work/shared/data/kt/assist2009_updated: prior 0.68 (IQR 0.59-0.84), learn
#: 0.10 (0.06-0.20), guess 0.22 (0.12-0.37), slip 0.21 (0.13-0.27).  Published
#: ASSISTments fits are in the same range (e.g. Pardos & Heffernan, UMAP 2010;
#: pyBKT, Badrinath, Wang & Pardos, EDM 2021).  Here the prior is the chance a
#: skill is known at the start *given* its prerequisites are, so over the
#: default graph a new student knows about 18 % of the skills.  Standard BKT
#: has no forgetting.
DEFAULT_BKT: dict[str, float] = {"prior": 0.68, "learn": 0.10, "guess": 0.22, "slip": 0.21, "forget": 0.0}


class StudentsLearner(Learner):
    """One simulated student answering exercises on a skill graph, after BKT.

    What it models: a human student in a tutoring system, with the hidden
    two-state (unknown / learned) skill model of Bayesian Knowledge Tracing
    (Corbett & Anderson, "Knowledge tracing: Modeling the acquisition of
    procedural knowledge", UMUAI 1994), prerequisite gating between skills,
    and individual differences in learning speed.

    Dynamics (one :meth:`practice` call = one answered exercise on a skill):

    * Initial state, in prerequisite order: a skill starts learned with
      probability ``prior`` if all its prerequisites start learned, else it
      starts unknown (nobody knows fractions without division).
    * The answer is correct with probability ``1 - slip`` if the skill is
      learned, ``guess`` otherwise; the answer reflects the state *before*
      the exercise (standard BKT emission).
    * Then, if the skill is unknown and every prerequisite is learned, it
      becomes learned with probability ``learn_i = 1 - (1 - learn)**m``, where
      ``m`` is the student's learning-speed trait, log-normal with
      ``sigma=trait_sigma`` (drawn once per student from the seed); with
      unlearned prerequisites practice teaches nothing.  A learned skill is
      forgotten with probability ``forget`` at each of its exercises.

    Score (what the teacher sees): the correctness of the answer, 0.0 or 1.0.

    :meth:`oracle_task`: the first skill in topological order that is in the
    unknown state (never learned, or forgotten) while all its prerequisites
    are learned — the mastery-learning ideal with the hidden state in view;
    when every skill is learned, the first skill (nothing left to teach).

    :meth:`evaluate`: ``mastered_fraction`` (fraction of skills in the learned
    state), ``all_mastered`` (1.0 if every skill is learned, else 0.0) and
    ``expected_accuracy`` (mean probability of a correct answer over skills).

    Parameters
    ----------
    prerequisites:
        Mapping skill -> prerequisite skills (a DAG); default
        :data:`STUDENTS_GRAPH`.  Exercises are the skills themselves.
    params:
        BKT parameters for every skill (keys ``prior``, ``learn``, ``guess``,
        ``slip``, ``forget``; missing keys take :data:`DEFAULT_BKT`), or a
        mapping skill -> such a dict for per-skill values.
    trait_sigma:
        Spread (log-normal sigma) of the learning-speed trait (default 0.5).
    seed:
        Seed of the student: trait, initial state and answers.
    """

    parameters: ClassVar[Mapping[str, Rule]] = {
        "params": Nullable(InstanceOf(Mapping, "a dict of BKT parameters or a dict skill -> dict")),
        "trait_sigma": Interval(Real, 0, 3),
        "seed": Interval(Integral, 0),
    }

    def __init__(
        self,
        prerequisites: Mapping[str, Sequence[str]] | None = None,
        params: Mapping[str, Any] | None = None,
        trait_sigma: float = 0.5,
        seed: int = 0,
    ):
        self._check_parameters(params=params, trait_sigma=trait_sigma, seed=seed)
        try:
            self.space = SkillGraph(STUDENTS_GRAPH if prerequisites is None else prerequisites)
        except ValueError as e:
            raise self._error(f"bad prerequisites: {e}") from None
        per_skill = self._parse_params(params or {}, self.space.skills)
        self.params: dict[str, dict[str, float]] = per_skill
        self.trait_sigma = float(trait_sigma)
        self.seed = int(seed)
        self.rng = np.random.default_rng(seed)

        # The student: a learning-speed multiplier, then the initial state in prerequisite order.
        self.trait = float(np.exp(self.trait_sigma * self.rng.standard_normal()))
        tasks = self.space.tasks  # == skills in topological order
        self._prereq: list[list[int]] = [[self.space.index(p) for p in self.space.prerequisites[s]] for s in tasks]
        self._learn = [1.0 - (1.0 - per_skill[s]["learn"]) ** self.trait for s in tasks]
        self._slip = [per_skill[s]["slip"] for s in tasks]
        self._guess = [per_skill[s]["guess"] for s in tasks]
        self._forget = [per_skill[s]["forget"] for s in tasks]
        draws = self.rng.random(len(tasks))
        known = [False] * len(tasks)
        for i, s in enumerate(tasks):  # tasks are in topological order, so prerequisites come first
            known[i] = all(known[j] for j in self._prereq[i]) and bool(draws[i] < per_skill[s]["prior"])
        self._known = known
        self.answers = 0

    def _parse_params(self, params: Mapping[str, Any], skills: list[str]) -> dict[str, dict[str, float]]:
        """One checked BKT parameter set per skill (:func:`pedagogy.kt.core.check_bkt`); missing keys from :data:`DEFAULT_BKT`."""
        if params and all(isinstance(v, Mapping) for v in params.values()):
            unknown = [s for s in params if s not in skills]
            if unknown:
                raise self._error(f"params given for unknown skill {unknown[0]!r}")
            raw = {s: params.get(s, {}) for s in skills}
        else:
            raw = {s: params for s in skills}
        name = type(self).__name__
        return {s: check_bkt(p, name, where=f"skill {s!r}", defaults=DEFAULT_BKT) for s, p in raw.items()}

    def knows(self, skill: str) -> bool:
        """Whether ``skill`` is in the learned state (ground truth)."""
        return self._known[self.space.index(skill)]

    def practice(self, task: Any) -> float:
        """One exercise on skill ``task``; returns 1.0 for a correct answer, 0.0 otherwise."""
        try:
            i = self.space.index(task)
        except (KeyError, TypeError):
            raise self._error(f"unknown skill {task!r}") from None
        u_answer, u_change = self.rng.random(2)
        known = self._known[i]
        correct = u_answer < self._p_correct(i, known)
        if known:
            if u_change < self._forget[i]:
                self._known[i] = False
        elif u_change < self._learn[i] and all(self._known[j] for j in self._prereq[i]):
            self._known[i] = True
        self.answers += 1
        return 1.0 if correct else 0.0

    def oracle_task(self) -> str:
        """The skill an all-seeing tutor gives next (see the class docstring)."""
        known = self._known
        for i, k in enumerate(known):  # tasks are in topological order
            if not k and all(known[j] for j in self._prereq[i]):
                return str(self.space.tasks[i])
        return str(self.space.tasks[0])

    def _p_correct(self, i: int, known: bool) -> float:
        """P(correct answer) on skill ``i`` in the given state: BKT's emission (1 - slip or guess)."""
        return bkt_p_correct(1.0 if known else 0.0, self._guess[i], self._slip[i])

    def evaluate(self) -> dict[str, float]:
        """Ground truth: see the class docstring."""
        n = len(self._known)
        learned = sum(self._known)
        acc = sum(self._p_correct(i, k) for i, k in enumerate(self._known)) / n
        return {
            "mastered_fraction": learned / n,
            "all_mastered": 1.0 if learned == n else 0.0,
            "expected_accuracy": acc,
        }

    def __repr__(self) -> str:
        return f"StudentsLearner(skills={len(self._known)}, trait={self.trait:.3f}, seed={self.seed})"


#: The ``students`` scenario's curriculum: 12 arithmetic skills up to ratios
#: and percentages, each listing the skills it needs.
STUDENTS_GRAPH: dict[str, list[str]] = {
    "counting": [],
    "addition": ["counting"],
    "subtraction": ["addition"],
    "multiplication": ["addition"],
    "division": ["multiplication", "subtraction"],
    "fraction-concept": ["division"],
    "equivalent-fractions": ["fraction-concept", "multiplication"],
    "fraction-addition": ["equivalent-fractions", "addition"],
    "fraction-multiplication": ["fraction-concept", "multiplication"],
    "decimals": ["fraction-concept"],
    "percentages": ["decimals", "fraction-multiplication"],
    "ratios": ["equivalent-fractions", "division"],
}


def _students(seed: int) -> StudentsLearner:
    return StudentsLearner(STUDENTS_GRAPH, seed=seed)


# Budgets: with learn = 0.10 a student needs about 10 exercises per unknown
# skill once it is open.  Measured over 40 students: an oracle that always
# drills the first unknown skill needs ~110 exercises on average (max ~360),
# random choice ~820 (max ~2,000), a fixed sequence of 20-30 exercises per skill
# in prerequisite order, then cycling, ~650 (max ~3,400).  The full budget lets
# nearly the whole class reach mastery; 250 evaluations (every 6 exercises in
# quick, 16 in full) and the benchmark's mastery probes (every 4 or 10
# exercises) locate the first all-mastered answer finely enough for a 30 %
# comparison.
#: The fixed schedule the ``students`` target compares against: the skills in
#: prerequisite order, moving on after 3 correct answers in a row (the
#: ASSISTments skill-builder completion rule), i.e. ``sequential`` with
#: ``window=3, threshold=1.0``.  Measured (full suite, 10 students): it is
#: fast where it works but moves on from a skill guessed right 3 times and never
#: comes back, so 3 of the 10 students never reach full mastery; the target
#: therefore compares medians (see :class:`~pedagogy.sim.targets.Saving`).
SKILL_BUILDER = Baseline(
    "sequential (3 in a row)", "sequential", {"window": 3, "threshold": 1.0},
    doc="skills in prerequisite order, next skill after 3 correct answers in a row (ASSISTments skill builder)",
)

register_scenario(
    Scenario(
        name="students",
        description="a BKT student (12 arithmetic skills with prerequisites, individual learning speed); score = 0/1 answer",
        factory=_students,
        budget_quick=1500,
        budget_full=4000,
        evaluations=250,
        metric="mastered_fraction",
        tags=("skill_graph", "students"),
        targets=(
            Target(f"best teacher needs >= 30 % fewer answers to full mastery (median over students) than {SKILL_BUILDER.name}",
                   Saving(SKILL_BUILDER), 0.30, ">="),
        ),
    )
)
