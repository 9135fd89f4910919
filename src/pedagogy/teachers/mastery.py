"""``mastery``: mastery learning driven by Bayesian Knowledge Tracing (Corbett & Anderson, 1994)."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

from pedagogy.kt.core import BKT_KEYS, bkt_update, check_bkt
from pedagogy.params import InstanceOf, Interval, ListOf, Nullable, Param
from pedagogy.paths import plan_path, prerequisite_closure
from pedagogy.spaces import Discrete, SkillGraph
from pedagogy.teachers._tutoring import FLAG, REMEDIATE, SkillLayout, WheelSpinning, demoted_level
from pedagogy.teachers.base import Teacher, register

__all__ = ["MasteryTeacher", "bkt_options_from_model", "bkt_params_from_model"]


def bkt_params_from_model(model: Any, skills: list[Any]) -> dict[str, Any]:
    """Options ``prior``..``forget`` and per-skill ``params`` from a fitted :class:`pedagogy.kt.BKT`.

    Skills the model was not fitted on take its population defaults, as the
    model's own tracker does.
    """
    table = getattr(model, "params_table", None)
    defaults = getattr(model, "defaults_", None)
    if not callable(table) or not callable(defaults):
        raise ValueError(f"model must be a fitted pedagogy.kt.BKT (with params_table() and defaults_()), got {type(model).__name__}")
    fitted = table()
    known = {str(s) for s in skills}
    per_skill = {s: {k: float(v) for k, v in p.items() if k in BKT_KEYS} for s, p in fitted.items() if s in known}
    base = {k: float(v) for k, v in defaults().items() if k in BKT_KEYS}
    return {**base, "params": per_skill}


def bkt_options_from_model(owner: str, model: Any, space: Discrete, options: Mapping[str, Any], allow_dict: bool = False) -> dict[str, Any]:
    """The BKT options a teacher's ``model=`` gives, refusing a clash with BKT options given beside it.

    ``owner`` starts every error message; ``allow_dict`` also takes the
    options themselves as a mapping (what :func:`bkt_params_from_model` returns).
    """
    clash = sorted(set(options) & {*BKT_KEYS, "params"})
    if clash:
        raise ValueError(f"{owner}: give either model= or the BKT option {clash[0]!r}, not both")
    skills = space.skills if isinstance(space, SkillGraph) else list(getattr(space, "tasks", []))
    try:
        return dict(model) if allow_dict and isinstance(model, Mapping) else bkt_params_from_model(model, skills)
    except ValueError as exc:
        raise ValueError(f"{owner}: {exc}") from None


@register
class MasteryTeacher(Teacher[Discrete]):
    """Cognitive-Tutor mastery learning: practise the next skill until BKT says it is known.

    Corbett & Anderson, "Knowledge tracing: Modeling the acquisition of
    procedural knowledge", User Modeling and User-Adapted Interaction 4, 1994.
    The teacher keeps, per skill, the Bayesian Knowledge Tracing posterior
    ``P(L)`` that the student knows it, updated after every answer (evidence
    with guess/slip, then the learn/forget transition).  A skill is *mastered*
    when ``P(L) >= threshold`` (0.95, the Cognitive Tutor's criterion).

    Selection: the *ready* skills are the unmastered ones whose prerequisites
    (in a :class:`~pedagogy.spaces.SkillGraph`) are all mastered.  The teacher
    drills the first ready skill in prerequisite (topological) order.  A skill
    that is still not mastered after ``max_attempts`` answers in a row is
    treated as wheel-spinning (Beck & Gong, "Wheel-spinning: students who fail
    to master a skill", AIED 2013, used 10 attempts).  Wheel-spinning is
    evidence against the prerequisites (in a prerequisite graph a skill cannot
    be learned before them), so the first ``max_remediations`` times it
    happens the teacher *remediates*: it lowers the prerequisites' ``P(L)``
    just below the threshold, so they are re-checked (a student who knows
    them re-masters them with one or two right answers), and gives the skill a
    fresh start.  After that the skill is flagged: other ready skills go
    first, and when only flagged skills are left they take turns with
    reviews, so an unlearnable skill cannot capture the student.  A review
    practises the mastered skill practised longest ago (spaced review keeps
    forgetting in check); when every skill is mastered the teacher only
    reviews.

    With items, the teacher picks the target skill as above, then an item of
    that skill whose other skills are all ready or mastered (uniformly among
    them); an answer updates every skill of the item with the same evidence
    (the usual independent-skills approximation).  On a plain ``Discrete``
    space each task is its own skill without prerequisites.

    Score: the correctness of one answer in ``[0, 1]`` (0/1; a fraction is
    treated as soft evidence, a mix of the correct and incorrect updates).

    ``model=`` takes a fitted :class:`pedagogy.kt.BKT` instead of the five
    numbers: every skill gets the model's parameters (unknown skills its
    population defaults), so the teacher's ``P(L)`` is exactly what the
    model's tracker computes after the same answers.  The state stays plain
    JSON: the parameters are copied into the options.

    ``goals=`` (a list of goal skills) makes the teaching goal-directed
    (:func:`pedagogy.paths.plan_path`): only the goals and their transitive
    prerequisites are ever proposed (the next skill is the first ready one
    of the plan), and once they are all mastered the teacher reviews along
    that path.  With items, only items whose skills all lie inside that
    closure are proposed.
    """

    name = "mastery"
    description = "BKT mastery learning: drill the next ready skill until P(known) >= 0.95 (Cognitive Tutor)."
    paper = "Corbett & Anderson 1994, Knowledge tracing: Modeling the acquisition of procedural knowledge"
    score_doc = "correctness of one answer in [0, 1] (0/1; fractions are soft evidence)"
    space_types = (Discrete,)
    score_range = (0.0, 1.0)
    _probability = Interval(Real, 0, 1)
    params = {
        "prior": Param(0.5, _probability, "P(L0) of every skill"),
        "learn": Param(0.1, _probability, "P(T) of every skill"),
        "guess": Param(0.2, _probability, "P(G) of every skill"),
        "slip": Param(0.1, _probability, "P(S) of every skill"),
        "forget": Param(0.0, _probability, "P(F) of every skill (0: standard BKT)"),
        "params": Param(None, Nullable(InstanceOf(Mapping, "a dict skill -> BKT parameters")), "per-skill overrides"),
        "threshold": Param(0.95, Interval(Real, 0, 1, closed="neither"), "mastery criterion on P(L)"),
        "max_attempts": Param(10, Interval(Integral, 1), "answers in a row on a skill before it counts as wheel-spinning"),
        "max_remediations": Param(2, Interval(Integral, 0), "returns to the prerequisites before a skill is flagged"),
        "goals": Param(
            None,
            Nullable(ListOf(InstanceOf((str, int), "a skill name"))),
            "goal skills: teach only them and their prerequisites (None: every skill)",
        ),
    }

    def __init__(self, space: Discrete, seed: int | None = None, preset: str | None = None, model: Any = None, **options: Any):
        if model is not None:
            options.update(bkt_options_from_model(f"teacher '{self.name}'", model, space, options))
        super().__init__(space, seed=seed, preset=preset, **options)

    # ------------------------------------------------------------ options
    def _skills(self) -> list[str] | list[Any]:
        return self.space.skills if isinstance(self.space, SkillGraph) else list(self.space.tasks)

    def _check_options(self) -> None:
        owner = f"teacher '{self.name}'"
        params = self.options["params"] or {}
        known = {str(s) for s in self._skills()}
        for skill in params:
            if str(skill) not in known:
                raise self._error(f"option 'params' names unknown skill {skill!r}")
        skill_set = set(self._skills())
        for goal in self.options["goals"] or []:
            if goal not in skill_set:
                raise self._error(f"option 'goals' names unknown skill {goal!r}")
        base = check_bkt({k: self.options[k] for k in BKT_KEYS}, owner)
        self._bkt_of = {str(s): check_bkt(params.get(str(s), {}), owner, where=f"skill {s!r}", defaults=base) for s in self._skills()}

    def _bkt(self, skill: str) -> dict[str, float]:
        return self._bkt_of[skill]

    # -------------------------------------------------------------- setup
    def _setup(self) -> None:
        layout = SkillLayout.of(self.space)
        skills = self._skills()
        n = len(skills)
        params = [self._bkt(str(s)) for s in skills]
        self._G = [p["guess"] for p in params]
        self._S = [p["slip"] for p in params]
        self._T = [p["learn"] for p in params]
        self._F = [p["forget"] for p in params]
        self._L = [p["prior"] for p in params]
        self._spin = WheelSpinning(n, int(self.options["max_attempts"]), int(self.options["max_remediations"]))
        self._spinning = self._spin.flagged
        self._last = [0] * n  # observation clock at each skill's last practice (for spaced review)
        self._clock = 0
        self._review_turn = False
        graph = self.space if isinstance(self.space, SkillGraph) else None
        # Items: task index -> skill positions; skill position -> task indices.
        self._prereq = layout.prereq
        self._task_skills = layout.task_skills
        goals = self.options["goals"]
        if goals:
            # Goal-directed: skills outside the goals' prerequisite closure get no tasks, so they are never proposed.
            inside = prerequisite_closure(graph, goals) if graph is not None else set(goals)
            allowed = [all(skills[s] in inside for s in sks) for sks in self._task_skills]
        else:
            allowed = [True] * len(self._task_skills)
        self._skill_tasks = layout.skill_tasks(allowed)
        self._threshold = float(self.options["threshold"])
        # Where a demoted prerequisite lands: just below mastery.
        self._demoted = demoted_level(self._threshold)
        self._children: list[list[int]] = [[] for _ in range(n)]
        for c, pre in enumerate(self._prereq):
            for p in pre:
                self._children[p].append(c)
        self._rebuild_index()

    def _rebuild_index(self) -> None:
        """Derive the ready sets from P(L) and the flags (after setup or a state load).

        Kept incrementally afterwards, so choosing a skill does not scan them all.
        """
        n = len(self._L)
        self._is_mastered = [self._L[s] >= self._threshold for s in range(n)]
        self._unmet = [sum(not self._is_mastered[p] for p in self._prereq[s]) for s in range(n)]
        self._fresh_ready: set[int] = set()  # ready and not wheel-spinning
        self._spin_ready: set[int] = set()  # ready and wheel-spinning
        for s in range(n):
            self._refresh(s)

    def _refresh(self, s: int) -> None:
        self._fresh_ready.discard(s)
        self._spin_ready.discard(s)
        if not self._is_mastered[s] and self._unmet[s] == 0 and self._skill_tasks[s]:
            (self._spin_ready if self._spinning[s] else self._fresh_ready).add(s)

    def _set_p_known(self, s: int, value: float) -> None:
        self._L[s] = value
        mastered = value >= self._threshold
        if mastered != self._is_mastered[s]:
            self._is_mastered[s] = mastered
            for c in self._children[s]:
                self._unmet[c] += -1 if mastered else 1
                self._refresh(c)
        self._refresh(s)

    # ---------------------------------------------------------- selection
    def _mastered(self, s: int) -> bool:
        return self._is_mastered[s]

    def _ready(self, s: int) -> bool:
        return s in self._fresh_ready or s in self._spin_ready

    def _choose_skill(self) -> int:
        if self._fresh_ready:
            return min(self._fresh_ready)  # topological order: the earliest ready skill
        ready = self._spin_ready
        if not ready or self._review_turn:
            review = self._review_skill()
            if review is not None:
                return review
        return min(ready, key=lambda s: (self._spin.turns[s], s))

    def _review_skill(self) -> int | None:
        """The mastered skill practised longest ago (None if no skill is mastered)."""
        mastered = [s for s in range(len(self._L)) if self._is_mastered[s] and self._skill_tasks[s]]
        if not mastered:
            practisable = [s for s in range(len(self._L)) if self._skill_tasks[s]]
            return min(practisable, key=lambda s: (self._last[s], s)) if not self._spin_ready else None
        return min(mastered, key=lambda s: (self._last[s], s))

    def _choose_task(self, skill: int) -> int:
        candidates = self._skill_tasks[skill]
        if len(candidates) > 1:
            ok = [t for t in candidates if all(s == skill or self._mastered(s) or self._ready(s) for s in self._task_skills[t])]
            candidates = ok or candidates
            return candidates[int(self.rng.integers(len(candidates)))]
        return candidates[0]

    def _propose(self, n: int) -> list[Any]:
        # A batch is drilled on the current choice: the posterior only moves with answers.
        skill = self._choose_skill()
        return [self._choose_task(skill) for _ in range(n)]

    # ------------------------------------------------------------ updates
    def _update_skill(self, s: int, score: float) -> None:
        self._set_p_known(s, bkt_update(self._L[s], self._T[s], self._F[s], self._G[s], self._S[s], score))

    def _observe(self, task: Any, score: float) -> None:
        self._clock += 1
        if not self._fresh_ready:
            self._review_turn = not self._review_turn  # alternate flagged skills and reviews
        for s in self._task_skills[task]:
            self._last[s] = self._clock
            was_mastered = self._mastered(s)
            self._update_skill(s, score)
            if self._mastered(s) and not was_mastered:
                self._spin.mastered(s)
                self._refresh(s)
            elif not self._mastered(s):
                action = self._spin.missed(s, bool(self._prereq[s]))
                if action == REMEDIATE:
                    for p in self._prereq[s]:
                        self._set_p_known(p, min(self._L[p], self._demoted))
                elif action == FLAG:
                    self._refresh(s)

    # -------------------------------------------------------------- state
    def _get_state(self) -> dict[str, Any]:
        return {
            "p_known": list(self._L),
            **self._spin.state("spinning"),
            "last": list(self._last),
            "clock": self._clock,
            "review_turn": self._review_turn,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        n = len(self._L)
        for key in ("p_known", "last"):
            if len(state[key]) != n:
                raise self._error(f"state field {key!r} has {len(state[key])} entries for {n} skills")
        self._spin.load(state, "spinning", self._error)
        self._spinning = self._spin.flagged
        self._L = [float(x) for x in state["p_known"]]
        self._last = [int(x) for x in state["last"]]
        self._clock = int(state["clock"])
        self._review_turn = bool(state["review_turn"])
        self._rebuild_index()

    def _report(self) -> dict[str, Any]:
        skills = self._skills()
        rows = [
            {
                "skill": skills[s],
                "p_known": round(self._L[s], 4),
                "mastered": self._mastered(s),
                "ready": self._ready(s),
                "wheel_spinning": self._spinning[s],
            }
            for s in range(len(skills))
        ][:50]
        out = {"mastered": sum(self._mastered(s) for s in range(len(skills))), "skills": rows, "next": skills[self._choose_skill()]}
        if self.options["goals"] and isinstance(self.space, SkillGraph):
            # what is still to learn for the goals, in order (pedagogy.paths.plan_path on this teacher's P(L))
            known = {s: min(max(p, 0.0), 1.0) for s, p in zip(skills, self._L)}
            out["plan"] = plan_path(self.space, known, self.options["goals"], threshold=self._threshold)[:50]
        return out
