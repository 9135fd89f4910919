"""``spaced-mastery``: mastery learning over a prerequisite graph plus FSRS review scheduling.

Needs the ``fsrs`` package (the ``memory`` extra: ``pip install 'pedagogy[memory]'``,
tested with ``fsrs==6.3.2``); it is imported when a teacher is built, so the
rest of the library works without it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from numbers import Integral, Real
from typing import Any, ClassVar

from pedagogy.kt.core import bkt_update
from pedagogy.params import Interval, Nullable, OneOf, Param
from pedagogy.spaces import Discrete, SkillGraph
from pedagogy.teachers._tutoring import REMEDIATE, SkillLayout, WheelSpinning, demoted_level
from pedagogy.teachers.base import Teacher, register

__all__ = ["FSRS_VERSION", "SpacedMasteryTeacher"]

#: the fsrs release this teacher is tested with (``pedagogy[memory]`` pins it)
FSRS_VERSION = "6.3.2"

#: origin of every card's timeline (any fixed date: only differences matter)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _fsrs() -> Any:
    try:
        import fsrs
    except ImportError as exc:  # pragma: no cover - exercised where fsrs is missing
        raise ImportError(
            f"teacher 'spaced-mastery' needs the fsrs package: pip install 'pedagogy[memory]' (or fsrs=={FSRS_VERSION})"
        ) from exc
    return fsrs


@register
class SpacedMasteryTeacher(Teacher[Discrete]):
    """Mastery learning that survives forgetting: drill ready skills to mastery, review them before they fade.

    Two student models, each used for what it is good at, neither assumed true:

    * Acquisition: Bayesian Knowledge Tracing (Corbett & Anderson, UMUAI
      1994) per skill, as in ``mastery``: a skill is *mastered* when
      ``P(L) >= threshold``; the *ready* skills are the unmastered ones whose
      prerequisites are mastered; the first ready skill in prerequisite
      order is drilled.  A skill that stays unmastered after
      ``max_attempts`` answers in a row first sends the teacher back to its
      prerequisites (``max_remediations`` times: their ``P(L)`` is lowered to
      ``demote_to``, by default just below the threshold as in ``mastery``,
      so a learner who knows them re-masters them with one or two right
      answers), then is set aside (wheel-spinning, Beck & Gong, AIED 2013):
      the other ready skills go first, set-aside skills take turns.
    * Memory: one FSRS card per skill (Ye, Su & Cao, "A Stochastic
      Shortest Path Algorithm for Optimizing Spaced Repetition Scheduling",
      KDD 2022; FSRS-6 through the ``fsrs`` package, its default parameters
      fitted on Anki users).  Every answer is a review of its skills' cards
      (correct: ``Good``, wrong: ``Again``).  A mastered skill whose
      predicted retrievability has fallen below ``retention`` is *due*, and
      due reviews go before new learning (the most forgotten first); when
      nothing is due and no skill is ready, the teacher reviews the skill
      with the lowest retrievability, so every skill is kept up at once.  A
      failed review lowers ``P(L)`` through BKT, so a forgotten skill is
      drilled again (and its dependants wait).  This is ``selection="mastery"``.

    ``selection="weakest"`` (the default) merges the two into one estimate of
    the chance of a correct answer now, ``guess + (1 - guess) P(L) R``, and
    practises the *open* skill (prerequisites mastered) with the lowest
    estimate, the rule an all-seeing teacher follows with the true
    probabilities: new skills are drilled while they are weak, and a
    mastered skill comes back when its predicted recall has fallen below the
    skills being learned, which also spaces the reviews (the spacing
    effect).  Set-aside skills take every other turn.  The defaults
    ``selection="weakest"`` and ``prior=0.2`` come from a sweep on learner
    seeds 0-19 of ``students-forgetting`` and 0-9 of ``students``, not the
    benchmark's derived seeds; the measured figures are in docs/results/full-suite.md and docs/concepts/students.md.

    Does this learner forget?  FSRS is a hypothesis, not a fact: a BKT-like
    learner never forgets, and reviewing it only costs answers.  So ``R``
    enters every decision as ``1 - w (1 - R)``, where ``w`` in ``[0, 1]`` is
    fitted from the learner's own reviews (answers on mastered skills): if
    the learner forgets as FSRS predicts, review success rises with ``R``
    with slope ``(1 - guess - slip) threshold``; if it does not, it is flat
    (slips fail fresh and late reviews alike).  ``w`` is the posterior mean
    of that slope's ratio, a Gaussian linear regression of the 0/1 answers
    (noise variance 0.25) on ``R`` with an intercept and the prior
    ``N(forgetting_prior, forgetting_sd^2)``, clipped to ``[0, 1]``: the
    prior mean 1 starts with today's full trust in FSRS (missing a forgetting
    learner's reviews costs more than a few needless ones), ``sd=1`` lets
    some dozens of reviews overturn it.  ``forgetting="assume"`` keeps
    ``w = 1``.

    Time: FSRS counts days, the teacher counts answers (``observe`` calls, on
    any skill).  One answer is ``1 / answers_per_day`` days at the start;
    since the learner's true memory is unknown (a simulated student, a child
    or an adult forget at different rates), the scale is fitted online from
    the learner's own reviews: after each answer on a mastered skill,
    ``log(days per answer) += calibration * (predicted - observed)``, where
    predicted is ``guess + (1 - guess) * R`` (FSRS' retrievability, the BKT
    guess allowing for lucky answers).  Reviews that fail more often than
    predicted make time run faster (more reviews), and the reverse.  The
    forgetting-curve shape and stabilities stay FSRS'; only the unit is
    fitted.  The most forgotten skill is found without an FSRS call per
    skill (retrievability falls monotonically with elapsed time / stability).

    Score: the correctness of one answer in ``[0, 1]`` (``>= 0.5`` is a
    correct review for FSRS; BKT takes fractions as soft evidence).

    State: BKT posteriors, counters, the time scale, the five sums of the
    forgetting fit and ``w``, and the cards as ``fsrs.Card.to_dict()``
    dicts: plain JSON, exact resume (fuzzing off, card
    ids fixed).  On a plain ``Discrete`` space each task is its own skill;
    with items an item of the target skill is drawn, and its answer reviews
    all of its skills.
    """

    name = "spaced-mastery"
    description = "Mastery learning on the prerequisite graph (BKT) plus FSRS review of mastered skills before they fade."
    paper = (
        "Corbett & Anderson 1994 (knowledge tracing, mastery learning); Ye, Su & Cao 2022, A Stochastic Shortest Path "
        "Algorithm for Optimizing Spaced Repetition Scheduling, KDD (FSRS)"
    )
    score_doc = "correctness of one answer in [0, 1] (0/1; fractions are soft evidence)"
    space_types = (Discrete,)
    requires = {"fsrs": "memory"}
    score_range = (0.0, 1.0)
    _probability = Interval(Real, 0, 1)
    params: ClassVar[dict[str, Param]] = {
        "prior": Param(0.2, _probability, "BKT P(L0) of every skill (0.2: two lucky guesses do not make a mastered skill)"),
        "learn": Param(0.1, _probability, "BKT P(T) of every skill"),
        "guess": Param(0.2, _probability, "BKT P(G) of every skill (also the lucky-answer floor of the calibration)"),
        "slip": Param(0.1, _probability, "BKT P(S) of every skill"),
        "threshold": Param(0.95, Interval(Real, 0, 1, closed="neither"), "mastery criterion on BKT P(L)"),
        "retention": Param(
            0.9,
            Interval(Real, 0, 1, closed="neither"),
            "a mastered skill is due for review when FSRS' retrievability falls below this (FSRS' desired retention)",
        ),
        "answers_per_day": Param(20.0, Interval(Real, 0, None, closed="neither"), "starting time scale: answers per FSRS day"),
        "calibration": Param(0.05, Interval(Real, 0, 1), "step of the online fit of the time scale (0: keep answers_per_day)"),
        "max_attempts": Param(10, Interval(Integral, 1), "answers in a row on an unmastered skill before it is set aside"),
        "selection": Param(
            "weakest",
            OneOf("mastery", "weakest"),
            "mastery: due reviews, then the first ready skill; weakest: the open skill with the lowest estimated P(correct)",
        ),
        "max_remediations": Param(2, Interval(Integral, 0), "returns to the prerequisites before a skill is set aside"),
        "demote_to": Param(
            None,
            Nullable(_probability),
            "P(L) a prerequisite is lowered to when a remediation re-checks it (None: just below threshold, as mastery)",
        ),
        "forgetting": Param(
            "fit",
            OneOf("fit", "assume"),
            "fit: weigh FSRS' forgetting by how much the learner's reviews show it; assume: trust FSRS fully",
        ),
        "forgetting_prior": Param(1.0, Interval(Real, 0, 1), "prior mean of the forgetting weight"),
        "forgetting_sd": Param(1.0, Interval(Real, 0, None, closed="neither"), "prior sd of the forgetting weight"),
    }

    # -------------------------------------------------------------- setup
    def _skills(self) -> list[Any]:
        return list(self.space.skills) if isinstance(self.space, SkillGraph) else list(self.space.tasks)

    def _setup(self) -> None:
        fsrs = _fsrs()
        self._fsrs = fsrs
        self._scheduler = fsrs.Scheduler(desired_retention=float(self.options["retention"]), enable_fuzzing=False)
        self._good, self._again = fsrs.Rating.Good, fsrs.Rating.Again
        layout = SkillLayout.of(self.space)
        n = len(layout.skills)
        self._prereq = layout.prereq
        self._task_skills = layout.task_skills
        self._skill_tasks = layout.skill_tasks()
        o = self.options
        self._G, self._S, self._T = float(o["guess"]), float(o["slip"]), float(o["learn"])
        self._threshold = float(o["threshold"])
        self._retention = float(o["retention"])
        self._cal = float(o["calibration"])
        self._L = [float(o["prior"])] * n
        self._spin = WheelSpinning(n, int(o["max_attempts"]), int(o["max_remediations"]))
        self._aside = self._spin.flagged
        self._demote_to = demoted_level(self._threshold) if o["demote_to"] is None else float(o["demote_to"])
        self._cards: list[Any] = [None] * n  # fsrs.Card once practised
        self._r_cache: list[tuple[int, float] | None] = [None] * n  # (whole elapsed days, retrievability): derived, not saved
        self._last = [0] * n  # answer count at each card's last review
        self._clock = 0
        self._days_per_answer = 1.0 / float(o["answers_per_day"])
        self._fit_forgetting = o["forgetting"] == "fit"
        self._tau2 = float(o["forgetting_sd"]) ** 2
        self._rev = [0.0] * 5  # reviews of mastered skills: n and the sums of R, y, R^2, R y
        self._w0 = float(o["forgetting_prior"])
        self._w = self._w0

    # ---------------------------------------------------------- memory
    def _elapsed_days(self, s: int) -> float:
        return (self._clock - self._last[s]) * self._days_per_answer

    def _retrievability(self, s: int) -> float:
        """FSRS' retrievability of skill ``s`` now (FSRS counts whole elapsed days, so it is cached per day)."""
        card = self._cards[s]
        if card is None or card.last_review is None:
            return 0.0
        elapsed = timedelta(days=self._elapsed_days(s))
        cached = self._r_cache[s]
        if cached is not None and cached[0] == elapsed.days:
            return cached[1]
        r = float(self._scheduler.get_card_retrievability(card, card.last_review + elapsed))
        self._r_cache[s] = (elapsed.days, r)
        return r

    def _most_forgotten(self, candidates: list[int]) -> int:
        """The candidate with the lowest retrievability: the largest elapsed time per unit of stability."""
        return max(candidates, key=lambda s: ((self._clock - self._last[s]) / max(self._cards[s].stability or 1e-9, 1e-9), -s))

    def _review(self, s: int, correct: bool) -> None:
        card = self._cards[s]
        if card is None:
            card = self._fsrs.Card(card_id=s + 1, due=_EPOCH)
            when = _EPOCH
        else:
            when = card.last_review + timedelta(days=self._elapsed_days(s))
        self._cards[s], _ = self._scheduler.review_card(card, self._good if correct else self._again, when)
        self._r_cache[s] = None
        self._last[s] = self._clock

    # ---------------------------------------------------------- selection
    def _mastered(self, s: int) -> bool:
        return self._L[s] >= self._threshold

    def _recall(self, s: int) -> float:
        """FSRS' retrievability weighted by the fitted forgetting: 1 - w (1 - R)."""
        return 1.0 - self._w * (1.0 - self._retrievability(s))

    def _forgetting_weight(self) -> float:
        """Posterior mean of w, clipped to [0, 1] (see the class docstring)."""
        n, sr, sy, srr, sry = self._rev
        if n < 2:
            return self._w0
        b = (1.0 - self._G - self._S) * self._threshold  # the slope of P(correct) on R that BKT x FSRS predicts
        sxx = b * b * (srr - sr * sr / n)
        sxy = b * (sry - sr * sy / n)
        noise = 0.25  # the largest variance of a 0/1 answer
        w = (self._w0 / self._tau2 + sxy / noise) / (1.0 / self._tau2 + sxx / noise)
        return min(1.0, max(0.0, w))

    def _estimate(self, s: int) -> float:
        """The teacher's estimate of P(correct) now: guess + (1 - guess) P(L) R (R = 1 before the first answer)."""
        r = 1.0 if self._cards[s] is None else self._recall(s)
        return self._G + (1.0 - self._G) * self._L[s] * r

    def _choose_skill(self) -> int:
        n = len(self._L)
        if self.options["selection"] == "weakest":
            practisable = [s for s in range(n) if self._skill_tasks[s]]
            open_ = [s for s in practisable if all(self._mastered(p) for p in self._prereq[s])]
            aside = [s for s in open_ if self._aside[s]]
            if aside and (len(aside) == len(open_) or self._clock % 2 == 0):
                return min(aside, key=lambda s: (self._spin.turns[s], s))  # set-aside skills take every other turn
            pool = [s for s in open_ if not self._aside[s]] or practisable
            return min(pool, key=lambda s: (self._estimate(s), s))
        practisable = [s for s in range(n) if self._skill_tasks[s]]
        mastered = [s for s in practisable if self._mastered(s) and self._cards[s] is not None]
        if mastered:
            worst = self._most_forgotten(mastered)
            if self._recall(worst) < self._retention:
                return worst  # a due review goes first
        ready = [s for s in practisable if not self._mastered(s) and all(self._mastered(p) for p in self._prereq[s])]
        fresh = [s for s in ready if not self._aside[s]]
        if fresh:
            return fresh[0]  # skills are in prerequisite (topological) order
        if mastered and (not ready or self._clock % 2 == 0):
            return self._most_forgotten(mastered)  # nothing new to learn: keep every skill up
        if ready:
            return min(ready, key=lambda s: (self._spin.turns[s], s))
        return min(practisable, key=lambda s: (self._L[s], s))

    def _propose(self, n: int) -> list[Any]:
        skill = self._choose_skill()
        tasks = self._skill_tasks[skill]
        if len(tasks) == 1:
            return [tasks[0]] * n
        return [tasks[int(i)] for i in self.rng.integers(len(tasks), size=n)]

    # ------------------------------------------------------------ updates
    def _observe(self, task: Any, score: float) -> None:
        self._clock += 1
        correct = score >= 0.5
        for s in self._task_skills[task]:
            was = self._mastered(s)
            if was and self._fit_forgetting and self._cards[s] is not None:
                r = self._retrievability(s)
                for k, v in enumerate((1.0, r, score, r * r, r * score)):
                    self._rev[k] += v
                self._w = self._forgetting_weight()
            if was and self._cal > 0.0 and self._cards[s] is not None:
                predicted = self._G + (1.0 - self._G) * self._retrievability(s)
                self._days_per_answer = min(1.0, max(1e-5, self._days_per_answer * math.exp(self._cal * (predicted - score))))
            self._review(s, correct)
            self._L[s] = bkt_update(self._L[s], self._T, 0.0, self._G, self._S, score)
            if self._mastered(s):
                self._spin.mastered(s)
            elif self._spin.missed(s, bool(self._prereq[s])) == REMEDIATE:
                # wheel-spinning is evidence against the prerequisites: re-check them, then retry
                for p in self._prereq[s]:
                    self._L[p] = min(self._L[p], self._demote_to)

    # -------------------------------------------------------------- state
    def _get_state(self) -> dict[str, Any]:
        return {
            "p_known": list(self._L),
            **self._spin.state("aside"),
            "cards": [None if c is None else c.to_dict() for c in self._cards],
            "last": list(self._last),
            "clock": self._clock,
            "days_per_answer": self._days_per_answer,
            "reviews": list(self._rev),
            "forgetting_weight": self._w,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        n = len(self._L)
        for key in ("p_known", "cards", "last"):
            if len(state[key]) != n:
                raise self._error(f"state field {key!r} has {len(state[key])} entries for {n} skills")
        if len(state["reviews"]) != len(self._rev):
            raise self._error(f"state field 'reviews' has {len(state['reviews'])} entries, not {len(self._rev)}")
        self._spin.load(state, "aside", self._error)
        self._aside = self._spin.flagged
        self._L = [float(x) for x in state["p_known"]]
        self._rev = [float(x) for x in state["reviews"]]
        self._w = float(state["forgetting_weight"])
        self._cards = [None if c is None else self._fsrs.Card.from_dict(c) for c in state["cards"]]
        self._r_cache = [None] * n
        self._last = [int(x) for x in state["last"]]
        self._clock = int(state["clock"])
        self._days_per_answer = float(state["days_per_answer"])

    def _report(self) -> dict[str, Any]:
        skills = self._skills()
        rows = [
            {
                "skill": skills[s],
                "p_known": round(self._L[s], 4),
                "mastered": self._mastered(s),
                "retrievability": round(self._retrievability(s), 4),
                "set_aside": self._aside[s],
            }
            for s in range(len(skills))
        ][:50]
        return {
            "answers_per_day": 1.0 / self._days_per_answer,
            "forgetting_weight": round(self._w, 4),
            "mastered": sum(map(self._mastered, range(len(skills)))),
            "skills": rows,
            "next": skills[self._choose_skill()],
        }
