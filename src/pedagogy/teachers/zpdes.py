"""``zpdes``: Zone of Proximal Development and Empirical Success (Clement et al., 2015).

A multi-armed bandit on learning progress, restricted to the activities whose
prerequisites the learner already masters (the *zone of proximal development*,
ZPD).  The expert knowledge is a :class:`~pedagogy.spaces.SkillGraph`: skills
with prerequisites, optionally with items (exercises) mapped to skills.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from itertools import accumulate
from numbers import Integral, Real
from typing import Any

import numpy as np

from pedagogy.params import InstanceOf, Interval, ListOf, Nullable, Param, Satisfies
from pedagogy.paths import prerequisite_closure
from pedagogy.spaces import SkillGraph
from pedagogy.teachers.base import Teacher, register

__all__ = ["ZPDESTeacher"]

# How many arms / skills report() lists at most (reports must stay small).
_REPORT_TOP = 50


@register
class ZPDESTeacher(Teacher[SkillGraph]):
    """ZPDES: a learning-progress bandit inside the zone of proximal development.

    Implements ZPDES from Clement, Roy, Oudeyer & Lopes, "Multi-Armed Bandits
    for Intelligent Tutoring Systems", *Journal of Educational Data Mining*
    7(2), 2015 (arXiv:1310.3174), Algorithm "ZPDES".

    * **ZPD.**  A skill is *activated* when every prerequisite has a success
      rate of at least ``activation_threshold`` over its last
      ``success_window`` answers (or is mastered); skills without prerequisites
      are activated from the start.  A skill is *mastered*, and leaves the ZPD,
      when its own success rate over the last ``success_window`` answers
      reaches ``mastery_threshold``.  The ZPD is the activated, not yet
      mastered skills.  Both states are permanent (the paper only widens the
      ZPD and retires mastered activities).
    * **Arms.**  Without items the arms are the skills of the ZPD.  With items,
      an item is an arm when all its skills are activated and at least one of
      them is not mastered; its answers count towards the success rate of each
      of its skills.  A skill that no item practises is treated as mastered as
      soon as it is activated (there is nothing to practise), so it never
      blocks the skills that depend on it.
    * **Bandit.**  Each arm keeps its last ``window`` (the paper's *d*) scores.
      Once full, every new answer yields the reward
      ``r = mean(newest d/2) - mean(oldest d/2)`` (the empirical progress in
      success rate), clipped at zero as the reference implementation
      (kidlearn's ``ZpdesSsb``) does, and the weight update
      ``w <- beta * w + eta * max(r, 0)``, so weights never go negative.  An
      arm is drawn with probability ``(1 - gamma) * w+ / sum(w+) + gamma / K``
      over the ``K`` current arms, with ``w+ = max(w, min_weight)``: the floor
      (this implementation's) keeps an arm whose weight decayed to nothing
      from being starved.  A
      newly activated arm starts at ``initial_weight``, optimistic compared with
      the reward scale, so that it is tried before the bandit settles (as in
      the paper, new activities are explored first).
    * **Review.**  When no arm is left (every reachable skill mastered), ZPDES
      keeps proposing for review: the arms become the tasks of the
      ``review_skills`` most recently mastered skills (the hardest ones the
      learner reached), still chosen by the same bandit.

    * **Review when stalled** (``review_when_stalled``, an addition to the
      paper; 0 gives the paper's behaviour).  Mastered skills leave the ZPD
      for good, so a ZPD left with only skills that show no progress (every
      arm's weight at the floor: an unlearnable skill, say) would drill them
      forever while the learner forgets the rest.  In that state this share of
      proposals reviews the mastered skill practised longest ago (spaced
      review).  An arm counts as stalled once it has a full window of
      answers and its weight has decayed to the floor (with clipped rewards
      that takes about 16 answers without any rise in success).  On the
      ``skills`` benchmark (slow forgetting, 2 unlearnable tasks) the paper's
      rule ends with 0 % of the learnable tasks mastered.

    ``observe`` expects the correctness of one answer in ``[0, 1]``: 0/1 for a
    human, or a probability of success / partial credit.

    Memory is bounded: ``window`` scores per task, ``success_window`` scores per
    skill, one weight per task, whatever the number of observations.

    ``goals=`` (a list of goal skills) makes the teaching goal-directed
    (:func:`pedagogy.paths.plan_path`): arms are only tasks whose skills all
    lie in the goals' prerequisite closure, so nothing outside what the goals
    need is ever proposed; once every reachable skill of the closure is
    mastered, review is among the closure's mastered skills.

    Defaults: ``gamma = 0.1`` is the paper's; ``beta``, ``eta``, the windows,
    the two thresholds and ``initial_weight`` are this implementation's choices
    (the paper's exact values could not be checked), measured on the project's
    two-region and ``students`` benchmarks.
    """

    name = "zpdes"
    description = "Learning-progress bandit inside the zone of proximal development of a skill graph."
    paper = "Clement, Roy, Oudeyer, Lopes - Multi-Armed Bandits for Intelligent Tutoring Systems, JEDM 2015 (arXiv 1310.3174)"
    score_doc = "correctness of one answer in [0, 1] (0/1, or a probability of success / partial credit)"
    score_range = (0.0, 1.0)
    space_types = (SkillGraph,)
    params = {
        "gamma": Param(0.1, Interval(Real, 0, 1, closed="left"), "exploration rate"),
        "beta": Param(0.7, Interval(Real, 0, 1), "weight decay of w <- beta * w + eta * r"),
        "eta": Param(0.3, Interval(Real, 0, closed="neither"), "step of w <- beta * w + eta * r"),
        "window": Param(
            20,
            Satisfies(lambda v: Interval(Integral, 2).accepts(v) and v % 2 == 0, "an even integer >= 2"),
            "the paper's d: scores per arm of the progress estimate",
        ),
        "success_window": Param(20, Interval(Integral, 1), "answers per skill of the success rates"),
        "activation_threshold": Param(0.7, Interval(Real, 0, 1, closed="right"), "success rate that opens a skill's dependants"),
        "mastery_threshold": Param(0.9, Interval(Real, 0, 1, closed="right"), "success rate that retires a skill"),
        "initial_weight": Param(0.3, Interval(Real, 0, closed="neither"), "weight of an arm entering the ZPD"),
        "min_weight": Param(0.001, Interval(Real, 0, closed="neither"), "floor of the sampling weights"),
        "review_skills": Param(3, Interval(Integral, 1), "last mastered skills reviewed once the ZPD is empty"),
        "review_when_stalled": Param(
            0.5,
            Interval(Real, 0, 1),
            "share of proposals spent on spaced review while no arm progresses",
            paper=0.0,
            why="without it the ZPD drills unlearnable skills while the rest is forgotten",
        ),
        "goals": Param(
            None,
            Nullable(ListOf(InstanceOf(str, "a skill name"))),
            "goal skills: teach only them and their prerequisites (None: every skill)",
        ),
    }

    # ------------------------------------------------------------ options
    def _check_options(self) -> None:
        for goal in self.options["goals"] or []:
            if goal not in self.space.prerequisites:
                raise self._error(f"option 'goals' names unknown skill {goal!r}")
        if self.options["activation_threshold"] > self.options["mastery_threshold"]:
            raise self._error(
                "option 'activation_threshold' must not exceed 'mastery_threshold' "
                f"({self.options['activation_threshold']} > {self.options['mastery_threshold']})"
            )

    # -------------------------------------------------------------- setup
    def _setup(self) -> None:
        g = self.space
        o = self.options
        self._gamma = float(o["gamma"])
        self._beta = float(o["beta"])
        self._eta = float(o["eta"])
        self._d = int(o["window"])
        self._half = self._d // 2
        self._sw = int(o["success_window"])
        self._act_thr = float(o["activation_threshold"])
        self._mas_thr = float(o["mastery_threshold"])
        self._w0 = float(o["initial_weight"])
        self._min_w = float(o["min_weight"])
        self._n_review = int(o["review_skills"])
        self._stall_review = float(o["review_when_stalled"])

        # Static structure of the graph, by skill index (topological order).
        skills = g.skills
        self._n_skills = len(skills)
        self._prereq: list[list[int]] = [[g.skill_index(p) for p in g.prerequisites[s]] for s in skills]
        children: list[list[int]] = [[] for _ in skills]
        for s, pre in enumerate(self._prereq):
            for p in pre:
                children[p].append(s)
        self._children = children
        # Task (internal index) -> skill indices, and skill -> tasks.
        self._task_skills: list[list[int]] = [[g.skill_index(s) for s in g.skills_of(t)] for t in g.tasks]
        skill_tasks: list[list[int]] = [[] for _ in skills]
        for t, sks in enumerate(self._task_skills):
            for s in sks:
                skill_tasks[s].append(t)
        self._skill_tasks = skill_tasks
        if o["goals"]:
            inside = prerequisite_closure(g, o["goals"])
            self._in_goals = [s in inside for s in skills]
        else:
            self._in_goals = [True] * self._n_skills
        # Tasks that may be proposed: every skill they practise is one the goals need.
        self._allowed = [all(self._in_goals[s] for s in sks) for sks in self._task_skills]

        # Dynamic state.
        n = g.n
        self._w = [self._w0] * n
        self._cum: list[float] | None = None
        self._hist: list[deque[float]] = [deque(maxlen=self._d) for _ in range(n)]
        self._skill_hist: list[deque[float]] = [deque(maxlen=self._sw) for _ in skills]
        self._activated = [False] * self._n_skills
        self._mastered = [False] * self._n_skills
        self._mastered_order: list[int] = []
        self._last_practice = [0] * self._n_skills  # observation clock, for spaced review
        self._answers = [0] * n  # answers per task (to tell a stalled arm from a new one)
        self._clock = 0
        self._version = 0  # bumped whenever the ZPD changes
        for s in range(self._n_skills):
            if not self._prereq[s]:
                self._activate(s)
        self._rebuild_arms()

    # ------------------------------------------------------- ZPD dynamics
    def _activate(self, s: int) -> None:
        """Skill ``s`` enters the ZPD; its new arms start with the optimistic weight."""
        self._activated[s] = True
        self._version += 1
        for t in self._skill_tasks[s]:
            self._w[t] = self._w0
        if not self._skill_tasks[s]:
            # Nothing practises this skill: it cannot be measured, so it must
            # not block its dependants.
            self._master(s)

    def _master(self, s: int) -> None:
        self._mastered[s] = True
        self._version += 1
        self._mastered_order.append(s)
        for c in self._children[s]:
            self._maybe_activate(c)

    def _rate(self, s: int) -> float | None:
        h = self._skill_hist[s]
        return sum(h) / len(h) if len(h) == self._sw else None

    def _maybe_activate(self, c: int) -> None:
        if self._activated[c]:
            return
        for p in self._prereq[c]:
            if self._mastered[p]:
                continue
            r = self._rate(p)
            if r is None or r < self._act_thr:
                return
        self._activate(c)

    def _rebuild_arms(self) -> None:
        """Recompute the current arms (called only when the ZPD changes)."""
        allowed = self._allowed
        arms = [
            t
            for t, sks in enumerate(self._task_skills)
            if allowed[t] and all(self._activated[s] for s in sks) and not all(self._mastered[s] for s in sks)
        ]
        self._reviewing = not arms
        if not arms:
            recent = [s for s in self._mastered_order if self._in_goals[s]][-self._n_review :]
            seen: set[int] = set()
            for s in reversed(recent):
                for t in self._skill_tasks[s]:
                    if allowed[t] and t not in seen:
                        seen.add(t)
                        arms.append(t)
            arms.sort()
        if not arms:  # cannot happen for a valid graph; keep the teacher usable anyway
            arms = [t for t in range(self.space.n) if allowed[t]] or list(range(self.space.n))
        self._arms = arms
        self._cum = None

    # ------------------------------------------------------------- bandit
    def _cumulative(self) -> list[float]:
        """Running sums of the clipped weights of the arms (cached until a weight or the arms change)."""
        if self._cum is None:
            w = self._w
            floor = self._min_w
            self._cum = list(accumulate(max(w[t], floor) for t in self._arms))
        return self._cum

    def _probabilities(self) -> np.ndarray:
        w = np.maximum(np.asarray([self._w[t] for t in self._arms]), self._min_w)
        total = w.sum()
        k = len(self._arms)
        return (1.0 - self._gamma) * w / total + self._gamma / k

    def _stalled(self, total: float, k: int) -> bool:
        """No arm of the ZPD shows progress (all weights at the floor) while something is mastered."""
        # A full window per arm first, so that a new arm is never judged on its first answers.
        return (
            self._stall_review > 0
            and not self._reviewing
            and bool(self._mastered_order)
            and total <= k * self._min_w * (1.0 + 1e-12)
            and min(self._answers[t] for t in self._arms) >= self._d
            and bool(self._reviewable())
        )

    def _reviewable(self) -> list[int]:
        """Mastered skills a review may practise: inside the goals' closure, with a task that may be proposed."""
        return [m for m in self._mastered_order if self._in_goals[m] and any(self._allowed[t] for t in self._skill_tasks[m])]

    def _review_task(self) -> int:
        """A task of the mastered skill practised longest ago."""
        s = min(self._reviewable(), key=lambda m: (self._last_practice[m], m))
        tasks = [t for t in self._skill_tasks[s] if self._allowed[t]]
        return tasks[0] if len(tasks) == 1 else tasks[int(self.rng.integers(len(tasks)))]

    def _propose(self, n: int) -> list[Any]:
        arms = self._arms
        k = len(arms)
        cum = self._cumulative()
        total = cum[-1]
        g = self._gamma
        picks: list[int] = []
        if self._stalled(total, k):
            for x in self.rng.random(n).tolist():
                if x < self._stall_review:
                    picks.append(self._review_task())
                else:
                    picks.append(arms[min(int((x - self._stall_review) / (1.0 - self._stall_review) * k), k - 1)])
            return picks
        for x in self.rng.random(n).tolist():
            if x < g:
                j = int(x / g * k)  # exploration: x / gamma is uniform in [0, 1)
            else:
                # Exploitation, proportional to the weights: (x - gamma) / (1 - gamma) is uniform.
                j = bisect_right(cum, (x - g) / (1.0 - g) * total)
            picks.append(arms[min(j, k - 1)])
        return picks

    def _observe(self, task: int, score: float) -> None:
        self._clock += 1
        self._answers[task] += 1
        for s in self._task_skills[task]:
            self._last_practice[s] = self._clock
        h = self._hist[task]
        h.append(score)
        m = len(h)
        if m >= 2:
            # Progress: mean of the newest half minus mean of the older half of
            # the last d answers (of the last 2 * floor(m / 2) while fewer than d
            # are known, so that the bandit starts learning early).
            half = m // 2
            vals = list(h)
            r = (sum(vals[m - half :]) - sum(vals[m - 2 * half : m - half])) / half
            # Clipped at zero as in the reference (kidlearn's ZpdesSsb): a drop in
            # success is no reward, so weights never go negative.
            self._w[task] = self._beta * self._w[task] + self._eta * max(r, 0.0)
            self._cum = None
        version = self._version
        for s in self._task_skills[task]:
            self._skill_hist[s].append(score)
            if not self._activated[s]:
                continue  # answers are still recorded, e.g. from review of a multi-skill item
            r_s = self._rate(s)
            if r_s is None:
                continue
            if not self._mastered[s] and r_s >= self._mas_thr:
                self._master(s)
            elif r_s >= self._act_thr:
                # The prerequisite is known well enough: dependants may enter the ZPD.
                for c in self._children[s]:
                    if not self._activated[c]:
                        self._maybe_activate(c)
        if self._version != version:
            self._rebuild_arms()

    # -------------------------------------------------------------- state
    def _get_state(self) -> dict[str, Any]:
        return {
            "weights": list(self._w),
            "task_history": [list(h) for h in self._hist],
            "skill_history": [list(h) for h in self._skill_hist],
            "activated": list(self._activated),
            "mastered": list(self._mastered),
            "mastered_order": list(self._mastered_order),
            "last_practice": list(self._last_practice),
            "answers": list(self._answers),
            "clock": self._clock,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        n = self.space.n
        w = [float(x) for x in state["weights"]]
        if len(w) != n or len(state["task_history"]) != n or len(state["skill_history"]) != self._n_skills:
            raise KeyError("sizes do not match the space")
        self._w = w
        self._hist = [deque((float(x) for x in h), maxlen=self._d) for h in state["task_history"]]
        self._skill_hist = [deque((float(x) for x in h), maxlen=self._sw) for h in state["skill_history"]]
        self._activated = [bool(x) for x in state["activated"]]
        self._mastered = [bool(x) for x in state["mastered"]]
        self._mastered_order = [int(x) for x in state["mastered_order"]]
        self._last_practice = [int(x) for x in state["last_practice"]]
        self._answers = [int(x) for x in state["answers"]]
        self._clock = int(state["clock"])
        self._rebuild_arms()

    # ------------------------------------------------------------- report
    def _report(self) -> dict[str, Any]:
        g = self.space
        zpd = [g.skills[s] for s in range(self._n_skills) if self._activated[s] and not self._mastered[s]]
        p = self._probabilities()
        order = np.argsort(-p, kind="stable")[:_REPORT_TOP]
        return {
            "zpd": zpd[:_REPORT_TOP],
            "zpd_size": len(zpd),
            "mastered": [g.skills[s] for s in self._mastered_order][-_REPORT_TOP:],
            "n_mastered": len(self._mastered_order),
            "reviewing": self._reviewing,
            "n_arms": len(self._arms),
            "arms": [{"task": g.tasks[self._arms[i]], "weight": self._w[self._arms[i]], "probability": float(p[i])} for i in order],
        }
