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
from pedagogy.sim.base import PREREQUISITES, Learner, Scenario, names_rule, register_scenario
from pedagogy.sim.graphs import random_graph
from pedagogy.sim.split import draw_with, register_variants
from pedagogy.sim.targets import Baseline, Saving, Target
from pedagogy.spaces import SkillGraph

__all__ = ["DEFAULT_BKT", "MASTERY_GOALS", "SKILL_BUILDER", "STUDENTS_GOALS", "STUDENTS_GRAPH", "GoalStudentsLearner", "StudentsLearner"]


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

    space: SkillGraph

    parameters: ClassVar[Mapping[str, Rule]] = {
        "prerequisites": PREREQUISITES,
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
        self._check_parameters(prerequisites=prerequisites, params=params, trait_sigma=trait_sigma, seed=seed)
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
        tasks = self.space.skills  # the tasks are the skills, in topological order
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
    "sequential (3 in a row)",
    "sequential",
    {"window": 3, "threshold": 1.0},
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
            Target(
                f"best teacher needs >= 30 % fewer answers to full mastery (median over students) than {SKILL_BUILDER.name}",
                Saving(SKILL_BUILDER),
                0.30,
                ">=",
            ),
        ),
    )
)


# ---------------------------------------------------------------- goal variant
class GoalStudentsLearner(StudentsLearner):
    """A :class:`StudentsLearner` who only has to reach some goal skills (goal-directed tutoring).

    Same student, same dynamics; what counts is the goals.  :meth:`evaluate`
    reports, besides the parent's keys (``all_mastered`` over every skill, and
    the parent's fraction as ``all_skills_fraction``):

    * ``mastered_fraction`` — the fraction of the skills the goals need (the
      goals and their transitive prerequisites) in the learned state, so the
      benchmark's "answers to full mastery" are answers to mastery of the
      goals' closure.  Without forgetting (the default) a learned goal's
      prerequisites stay learned, so this reaches 1 exactly when every goal
      is learned;
    * ``goals_mastered`` — the fraction of the goals in the learned state.

    Parameters are the parent's, plus ``goals`` (a non-empty list of skills).
    """

    parameters: ClassVar[Mapping[str, Rule]] = {**StudentsLearner.parameters, "goals": names_rule("skill names")}

    def __init__(
        self,
        prerequisites: Mapping[str, Sequence[str]] | None = None,
        goals: Sequence[str] = (),
        params: Mapping[str, Any] | None = None,
        trait_sigma: float = 0.5,
        seed: int = 0,
    ):
        self._check_parameters(goals=goals)
        super().__init__(prerequisites, params=params, trait_sigma=trait_sigma, seed=seed)
        from pedagogy.paths import prerequisite_closure

        if isinstance(goals, str) or not goals:
            raise self._error(f"goals must be a non-empty list of skills, got {goals!r}")
        try:
            needed = prerequisite_closure(self.space, list(goals))
        except ValueError as e:
            raise self._error(str(e)) from None
        self.goals = list(dict.fromkeys(goals))
        self._goal_idx = [self.space.index(g) for g in self.goals]
        self._need_idx = sorted(self.space.index(s) for s in needed)

    def evaluate(self) -> dict[str, float]:
        """Ground truth: see the class docstring."""
        out = super().evaluate()
        k = self._known
        out["all_skills_fraction"] = out["mastered_fraction"]
        out["mastered_fraction"] = sum(k[i] for i in self._need_idx) / len(self._need_idx)
        out["goals_mastered"] = sum(k[i] for i in self._goal_idx) / len(self._goal_idx)
        return out

    def __repr__(self) -> str:
        return f"GoalStudentsLearner(goals={self.goals}, trait={self.trait:.3f}, seed={self.seed})"


#: The ``students-goals`` scenario's goals: two skills sharing most of their
#: prerequisites (division, fraction-concept, multiplication, ...); their
#: closure is 8 of the 12 skills, leaving out equivalent-fractions,
#: fraction-addition, percentages and ratios.
STUDENTS_GOALS: list[str] = ["decimals", "fraction-multiplication"]


def _students_goals(seed: int) -> GoalStudentsLearner:
    return GoalStudentsLearner(STUDENTS_GRAPH, goals=STUDENTS_GOALS, seed=seed)


#: ``mastery`` told the goals: the goal-directed tutor the ``students-goals`` target is about.
MASTERY_GOALS = Baseline(
    "mastery (goals)",
    "mastery",
    {"goals": list(STUDENTS_GOALS)},
    doc="BKT mastery learning restricted to the goals' prerequisite closure (pedagogy.paths)",
)
register_scenario(
    Scenario(
        name="students-goals",
        description="the students scenario's BKT student, judged on two goal skills (decimals, fraction-multiplication); "
        "metric = fraction of the goals' closure learned",
        factory=_students_goals,
        budget_quick=1500,
        budget_full=4000,
        evaluations=250,
        metric="mastered_fraction",
        tags=("skill_graph", "students", "goals"),
        targets=(
            # Saving(reference) = 1 - (best goal-blind teacher's median) / (reference's median):
            # below 0 means no goal-blind teacher reaches the goals as fast as goal-directed mastery.
            # Measured (10 students, 1,500 answers): mastery (goals) 110 vs mastery 143, sequential 261,
            # zpdes 345 (zpdes told the goals: 298), i.e. -0.30.
            Target(
                "no goal-blind teacher reaches the goals in fewer answers (median over students) than mastery (goals)",
                Saving(MASTERY_GOALS),
                0.0,
                "<=",
            ),
        ),
    )
)


# ------------------------------------------------------------------ variants
def _draw_bkt(rng: np.random.Generator) -> dict[str, Any]:
    """BKT parameters around :data:`DEFAULT_BKT`, within the ASSISTments fits' interquartile ranges, and a trait spread."""
    return {
        "params": {
            "prior": round(float(rng.uniform(0.55, 0.85)), 3),
            "learn": round(float(rng.uniform(0.06, 0.20)), 3),
            "guess": round(float(rng.uniform(0.12, 0.32)), 3),
            "slip": round(float(rng.uniform(0.12, 0.27)), 3),
            "forget": 0.0,
        },
        "trait_sigma": round(float(rng.uniform(0.3, 0.7)), 3),
    }


def _draw_students(rng: np.random.Generator) -> dict[str, Any]:
    """Another skill graph (8-16 skills) and other BKT parameters."""
    graph = random_graph(rng, int(rng.integers(8, 17)))
    return {"prerequisites": graph, **_draw_bkt(rng)}


def _draw_students_goals(rng: np.random.Generator) -> dict[str, Any]:
    """The goals' graph (the baseline names its goals), other BKT parameters."""
    return {"prerequisites": STUDENTS_GRAPH, "goals": list(STUDENTS_GOALS), **_draw_bkt(rng)}


def describe_graph(graph: dict[str, list[str]]) -> str:
    """``12 skills, 14 prerequisite links`` (or ``the 12 arithmetic skills`` for :data:`STUDENTS_GRAPH`)."""
    if graph == STUDENTS_GRAPH:
        return "the 12 arithmetic skills"
    return f"a random graph of {len(graph)} skills, {sum(len(v) for v in graph.values())} prerequisite links"


def _describe_students(p: dict[str, Any]) -> str:
    b = p["params"]
    return (
        f"{describe_graph(p['prerequisites'])}; prior {b['prior']:g}, learn {b['learn']:g}, guess {b['guess']:g}, "
        f"slip {b['slip']:g}, trait sigma {p['trait_sigma']:g}"
    )


register_variants("students", draw_with(StudentsLearner, _draw_students, _describe_students))
register_variants("students-goals", draw_with(GoalStudentsLearner, _draw_students_goals, _describe_students))
