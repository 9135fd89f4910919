"""``planning-mastery``: tutoring that plans, one answer ahead, on a BKT posterior with forgetting and per-learner rates."""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.kt.core import BKT_KEYS, check_bkt
from pedagogy.params import InstanceOf, Interval, ListOf, Nullable, OneOf, Param
from pedagogy.spaces import Discrete, SkillGraph
from pedagogy.teachers._tutoring import REMEDIATE, SkillLayout, WheelSpinning, demoted_level
from pedagogy.teachers.base import Teacher, register
from pedagogy.teachers.mastery import bkt_options_from_model

__all__ = ["PlanningMasteryTeacher"]

#: standard-normal points of the learning-rate grid (the multiplier is exp(learn_spread * z))
_RATE_Z = (-2.0, -1.0, 0.0, 1.0, 2.0)


@register
class PlanningMasteryTeacher(Teacher[Discrete]):
    """Tutoring that plans: practise the item with the largest expected gain in known skills under a learner model.

    Student model.  Bayesian Knowledge Tracing (Corbett & Anderson,
    "Knowledge tracing: Modeling the acquisition of procedural knowledge",
    UMUAI 1994): each skill is known or not, an answer is right with
    probability ``1 - slip`` if known and ``guess`` if not, and a practice
    of an unknown skill teaches it with probability ``learn``.  Two
    extensions, each a hypothesis the learner's answers weigh:

    * Prerequisite gating (a :class:`~pedagogy.spaces.SkillGraph`): practice
      teaches only when every prerequisite is known, so the transition is
      ``learn * P(prerequisites known)``; a prerequisite is never certain, so
      an answer on a skill is also evidence about its prerequisites (mean
      field: the answer's likelihood if a prerequisite is unknown, when the
      skill cannot be known, is ``guess``; if it is known, that of the
      skill's ``P(L)`` given its prerequisites).  A right answer on
      fractions confirms division; a run of wrong ones casts doubt on it.
    * Forgetting: a known skill is forgotten at a constant hazard between
      practices, ``P(L)`` decaying as ``2 ** (-elapsed / half_life)`` with
      time counted in answers, the exponential forgetting curve of the
      planning-under-forgetting literature (Reddy, Labutov, Banerjee &
      Joachims, "Unbounded Human Learning: Optimal Scheduling for Spaced
      Repetition", KDD 2016; Lindsey, Shroyer, Pashler & Mozer, "Improving
      students' long-term knowledge retention through personalized review",
      Psychological Science 2014).  A right answer multiplies the skill's
      half-life by ``1 + spacing * (1 - R)``, ``R`` the model's retention
      just before (the spacing effect in the form of FSRS' stability
      increase, Ye, Su & Cao, KDD 2022).  Skills are not forgotten before
      their first practice (what the learner brings is the prior).

    Per-learner rates, shrunk toward the population.  The learner's
    learning speed and forgetting are unknown, so the teacher runs one
    filter per hypothesis on a grid — learning multipliers
    ``exp(learn_spread * z)``, ``z`` in -2..2 (``learn_i = 1 - (1 -
    learn)^m``, the individual-speed form of the students literature), times
    "does not forget" and each of ``half_lives`` — and weighs them by the
    likelihood of the learner's own answers (exact Bayesian model averaging
    over the grid).  The prior over the grid is the population: a normal
    over ``z`` and ``forgetting_prior`` spread evenly over the half-lives.
    With few answers the population dominates; every answer moves the
    weights toward the rates that predict this learner.  ``report()`` shows
    the posterior learning rate, P(forgets) and half-life.

    Planning (one-step lookahead, the greedy policy of the POMDP teaching
    view, Rafferty, Brunskill, Griffiths & Shafto, "Faster Teaching via POMDP
    Planning", Cognitive Science 2016).  The reward is the number of known
    skills; under BKT the expected posterior after an answer is the
    predictive, so the expected gain of practising skill ``s`` now is
    ``(1 - P(L_s now)) * learn_s * P(prerequisites known now)``, averaged
    over the grid's posterior.  The teacher proposes the item with the
    largest summed gain over its skills (ties: the earliest, prerequisite
    order).  A known skill has no gain, so mastered skills are left alone
    while anything else can be learned; under forgetting a skill's gain
    grows as it fades, so it comes back; with everything mastered the least
    certain skill is checked.  Candidates are the skills whose prerequisites
    all have ``P(L) >= ready`` (0.8; ``ready=None`` is the Cognitive Tutor's
    rule, prerequisites mastered at ``threshold``; ``ready=0`` lets every
    skill compete on its gain alone): the one-step gain sees no value in
    the information a prerequisite's answers bring, and with ``ready=0`` too
    many answers go to skills whose prerequisite turns out unknown.

    Wheel-spinning (Beck & Gong, AIED 2013, as in ``mastery``): a skill
    unmastered (``P(L) < threshold``) after ``max_attempts`` answers in a
    row lowers its prerequisites' ``P(L)`` just below the threshold, so
    they are re-checked (``max_remediations`` times; after that the skill is
    reported as set aside).  Whether a skill can be learned at all (label
    noise, an exercise that is broken) is a hypothesis of its own: its
    answers are weighed between the BKT predictive and answers at the guess
    rate, from the prior ``learnable_prior``, and every gain is multiplied by
    ``P(learnable)``, so an unlearnable skill stops capturing the student
    while a slow one that starts to answer right regains its turns.

    Defaults: ``prior``/``learn``/``guess``/``slip`` are ``mastery``'s (0.5,
    0.1, 0.2, 0.1); ``threshold=0.95`` is the Cognitive Tutor's criterion
    (``ready=0.8`` departs from it, see the options table); the slip grid
    (0.5x to 3x the population slip) lets a learner who slips often keep
    credit for what they know;
    ``model=`` takes a fitted :class:`pedagogy.kt.BKT` (or what
    :func:`~pedagogy.teachers.mastery.bkt_params_from_model` returns) for
    per-skill population parameters (its ``forget`` is per practice and is
    not used: forgetting here is fitted in time).  The rate grid (spread
    ``ln 2``: one doubling of the learning speed per standard deviation),
    half-lives 25/100/400 answers, ``forgetting_prior=0.5`` and
    ``spacing=1`` are declared assumptions, not fitted on any benchmark
    scenario; the papers fit their forgetting rates per population, which is
    what ``half_lives`` and the grid's weights stand for.

    Score: correctness of one answer in ``[0, 1]`` (a fraction is soft
    evidence: the mix of the right and wrong posteriors).  State: the
    grid's ``P(L)``, decay rates and log-weights, plain JSON; exact resume.
    """

    name = "planning-mastery"
    description = (
        "Expected-gain tutoring: one-step lookahead on a BKT posterior with prerequisite gating, forgetting and per-learner rates."
    )
    paper = (
        "Corbett & Anderson 1994 (BKT); Rafferty, Brunskill, Griffiths & Shafto 2016, Faster Teaching via POMDP Planning "
        "(Cognitive Science); Reddy et al. 2016, Unbounded Human Learning (KDD) and Lindsey et al. 2014 (forgetting models)"
    )
    score_doc = "correctness of one answer in [0, 1] (0/1; fractions are soft evidence)"
    space_types = (Discrete,)
    score_range = (0.0, 1.0)
    _probability = Interval(Real, 0, 1)
    params: ClassVar[dict[str, Param]] = {
        "prior": Param(0.5, _probability, "P(L0) of every skill given its prerequisites are known"),
        "learn": Param(0.1, _probability, "population P(T) of every skill"),
        "guess": Param(0.2, _probability, "P(G) of every skill"),
        "slip": Param(0.1, _probability, "P(S) of every skill"),
        "params": Param(None, Nullable(InstanceOf(Mapping, "a dict skill -> BKT parameters")), "per-skill overrides"),
        "threshold": Param(0.95, Interval(Real, 0, 1, closed="neither"), "mastery criterion on P(L) (reports, wheel-spinning)"),
        "learn_spread": Param(
            math.log(2.0), Interval(Real, 0, 3), "log-sd of the learner's learning-speed multiplier (0: every learner is the population)"
        ),
        "forgetting": Param("fit", OneOf("fit", "none"), "fit: weigh forgetting hypotheses by the answers; none: standard BKT"),
        "forgetting_prior": Param(0.5, Interval(Real, 0, 1, closed="left"), "prior probability that the learner forgets"),
        "half_lives": Param(
            [25.0, 100.0, 400.0],
            ListOf(Interval(Real, 0, None, closed="neither")),
            "candidate half-lives (in answers) of a freshly practised skill",
        ),
        "slip_factors": Param(
            [0.5, 1.0, 2.0, 3.0],
            ListOf(Interval(Real, 0, None, closed="neither")),
            "slip hypotheses, as multiples of the population slip (one equally likely a priori)",
        ),
        "spacing": Param(1.0, Interval(Real, 0, 100), "a right answer multiplies the half-life by 1 + spacing * (1 - retention)"),
        "ready": Param(
            0.8,
            Nullable(Interval(Real, 0, 1)),
            "a skill is a candidate once every prerequisite has P(L) >= this (None: the threshold; 0: every skill)",
            paper=None,
            why="answers on a skill are evidence about its prerequisites, so they need not be drilled to the mastery "
            "criterion first; 0.8 vs the Cognitive Tutor's 0.95 (None) from a sweep on learner seeds 100-119 of students "
            "(median answers to mastery 155 vs 208; students-forgetting 386 vs 350 on 10-20 seeds), see docs/benchmarks/tutoring.md",
        ),
        "learnable_prior": Param(
            0.95, Interval(Real, 0, 1, closed="neither"), "prior probability that a skill can be learned at all (not label noise)"
        ),
        "max_attempts": Param(10, Interval(Integral, 1), "answers in a row on an unmastered skill before it counts as wheel-spinning"),
        "max_remediations": Param(
            2, Interval(Integral, 0), "returns to the prerequisites before a wheel-spinning skill is only reported as set aside"
        ),
    }

    def __init__(self, space: Discrete, seed: int | None = None, preset: str | None = None, model: Any = None, **options: Any):
        if model is not None:
            fitted = bkt_options_from_model(f"teacher '{self.name}'", model, space, options, allow_dict=True)
            fitted.pop("forget", None)
            options.update(fitted)
        super().__init__(space, seed=seed, preset=preset, **options)

    # ------------------------------------------------------------ options
    def _skills(self) -> list[Any]:
        return list(self.space.skills) if isinstance(self.space, SkillGraph) else list(self.space.tasks)

    def _check_options(self) -> None:
        owner = f"teacher '{self.name}'"
        params = self.options["params"] or {}
        known = {str(s) for s in self._skills()}
        for skill in params:
            if str(skill) not in known:
                raise self._error(f"option 'params' names unknown skill {skill!r}")
        base = check_bkt({**{k: self.options[k] for k in BKT_KEYS if k != "forget"}, "forget": 0.0}, owner)
        self._bkt_of = {}
        for s in self._skills():
            own = {k: v for k, v in dict(params.get(str(s), {})).items() if k != "forget"}
            self._bkt_of[str(s)] = check_bkt(own, owner, where=f"skill {s!r}", defaults=base)

    # -------------------------------------------------------------- setup
    def _setup(self) -> None:
        layout = SkillLayout.of(self.space)
        skills = self._skills()
        n = len(skills)
        o = self.options
        p = [self._bkt_of[str(s)] for s in skills]
        self._prereq = layout.prereq
        self._task_skills = layout.task_skills
        self._children: list[list[int]] = [[] for _ in range(n)]
        for c, pre in enumerate(self._prereq):
            for q in pre:
                self._children[q].append(c)
        self._has_tasks = np.array([bool(ts) for ts in layout.skill_tasks()])
        self._one_skill_tasks = [sks for sks in self._task_skills] == [[i] for i in range(n)]
        self._G = np.array([x["guess"] for x in p])
        slip = np.array([x["slip"] for x in p])
        t0 = np.array([x["learn"] for x in p])
        self._t0 = float(t0.mean()) if n else float(o["learn"])
        # The grid of hypotheses: learning multiplier x decay rate (0: does not forget).
        spread = float(o["learn_spread"])
        zs = _RATE_Z if spread > 0 else (0.0,)
        rates = [0.0] if o["forgetting"] == "none" else [0.0, *(1.0 / float(h) for h in o["half_lives"])]
        forgets = float(o["forgetting_prior"]) if len(rates) > 1 else 0.0
        r_prior = [math.log(1.0 - forgets) if forgets < 1.0 else -math.inf] + [
            math.log(forgets / (len(rates) - 1)) if forgets > 0 else -math.inf for _ in rates[1:]
        ]
        slips = [float(f) for f in o["slip_factors"]]
        grid = [(z, f, j) for z in zs for f in slips for j in range(len(rates))]
        self._mult = np.array([math.exp(spread * z) for z, _, _ in grid])
        self._rate0 = np.array([rates[j] for _, _, j in grid])
        self._slip_factor = np.array([f for _, f, _ in grid])
        self._logprior = np.array([-0.5 * z * z - math.log(len(slips)) + r_prior[j] for z, _, j in grid])
        self._logprior -= _logsumexp(self._logprior)
        k = len(self._mult)
        self._T = 1.0 - (1.0 - t0[None, :]) ** self._mult[:, None]  # (K, n)
        # slip hypotheses: the population's slip times each factor, kept below 1 - guess
        self._S = np.minimum(slip[None, :] * self._slip_factor[:, None], 0.99 * (1.0 - self._G[None, :]))
        # Prior P(L) in prerequisite order (mean field: given the prerequisites, times their marginals).
        prior = np.array([x["prior"] for x in p])
        marginal = np.empty(n)
        for s in range(n):
            marginal[s] = prior[s] * math.prod(marginal[q] for q in self._prereq[s])
        self._L = np.tile(marginal, (k, 1))  # P(L) as of self._at
        self._rate = np.tile(self._rate0[:, None], (1, n))  # decay rate per answer (1 / half-life)
        self._logw = self._logprior.copy()
        self._at = np.zeros(n, dtype=np.int64)  # clock when each row of P(L) was last set
        self._last = np.full(n, -1, dtype=np.int64)  # clock of each skill's last practice (-1: never, no decay)
        self._clock = 0
        self._threshold = float(o["threshold"])
        self._demoted = demoted_level(self._threshold)
        self._spacing = float(o["spacing"])
        self._gate = float(o["ready"]) if o["ready"] is not None else self._threshold
        self._spin = WheelSpinning(n, int(o["max_attempts"]), int(o["max_remediations"]))
        p_learnable = float(o["learnable_prior"])
        self._learnable_prior = math.log(p_learnable / (1.0 - p_learnable))
        self._learnable_logodds = np.full(n, self._learnable_prior)

    # ------------------------------------------------------------- model
    def _weights(self) -> np.ndarray:
        w = np.exp(self._logw - self._logw.max())
        return w / w.sum()

    def _now(self, cols: Any = slice(None)) -> np.ndarray:
        """P(L) of every hypothesis now (K, skills): the stored value, decayed since it was set (practised skills only)."""
        dt = np.where(self._last[cols] >= 0, self._clock - self._at[cols], 0)
        return self._L[:, cols] * np.exp2(-self._rate[:, cols] * dt)

    def _open(self, now: Mapping[int, np.ndarray], s: int) -> np.ndarray:
        """P(every prerequisite of ``s`` known now) per hypothesis (mean field), from ``now[q]``, the P(L) columns."""
        out = np.ones(len(self._logw))
        for q in self._prereq[s]:
            out = out * now[q]
        return out

    def _gains(self, now: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Expected gain in known skills of one practice of each skill (grid posterior mean), from P(L) ``now``."""
        open_ = np.ones_like(now)
        for s, pre in enumerate(self._prereq):
            for q in pre:
                open_[:, s] *= now[:, q]
        return w @ ((1.0 - now) * self._T * open_)

    def _learnable(self) -> np.ndarray:
        """P(each skill can be learned at all), from its answers: learnable (the BKT predictive) vs answers at the guess rate."""
        return 1.0 / (1.0 + np.exp(-np.maximum(self._learnable_logodds, -700.0)))

    def p_known(self) -> np.ndarray:
        """The posterior P(L) of every skill now (averaged over the grid)."""
        return self._weights() @ self._now()

    # ---------------------------------------------------------- selection
    def _choose_task(self) -> int:
        now, w = self._now(), self._weights()
        gains = self._gains(now, w)
        if self._gate < 1.0:  # candidates: skills whose prerequisites are all known with P(L) >= ready (if any)
            pk = w @ now
            ready = np.array([all(bool(pk[q] >= self._gate) for q in pre) for pre in self._prereq], dtype=bool)
            if np.any(ready & self._has_tasks):
                gains = np.where(ready, gains, -1.0)
        gains = gains * self._learnable()  # a skill that cannot be learned has nothing to gain
        gains = np.where(self._has_tasks, gains, -1.0)
        if self._one_skill_tasks:
            return int(np.argmax(gains))  # tasks are the skills: the first best
        return self._best_task(gains, range(len(self._task_skills)))

    def _best_task(self, gains: np.ndarray, tasks: Any) -> int:
        best, best_g = -1, -math.inf
        for t in tasks:
            sks = self._task_skills[t]
            g = float(gains[sks[0]]) if len(sks) == 1 else float(sum(max(float(gains[s]), 0.0) for s in sks))
            if g > best_g:
                best, best_g = t, g
        return best

    def _propose(self, n: int) -> list[Any]:
        # A batch is drilled on the current choice: the posterior only moves with answers.
        return [self._choose_task()] * n

    # ------------------------------------------------------------ updates
    def _set(self, s: int, value: np.ndarray) -> None:
        self._L[:, s] = np.clip(value, 0.0, 1.0)  # rounding must not push a probability past 1 (Bayes would amplify it)
        self._at[s] = self._clock

    def _observe(self, task: Any, score: float) -> None:
        y = float(score)
        for s in self._task_skills[task]:
            self._answer(s, y)
        self._clock += 1

    def _answer(self, s: int, y: float) -> None:
        now = {c: self._now(c) for c in (s, *self._prereq[s])}  # only the columns this answer touches
        ls = now[s]
        g, sl = self._G[s], self._S[:, s]
        p_right = ls * (1.0 - sl) + (1.0 - ls) * g
        like = np.maximum(y * p_right + (1.0 - y) * (1.0 - p_right), 1e-300)
        mixed = float(self._weights() @ like)
        self._learnable_logodds[s] += math.log(mixed) - math.log(max(y * g + (1.0 - y) * (1.0 - g), 1e-300))
        self._learnable_logodds[s] = min(self._learnable_logodds[s], self._learnable_prior)  # evidence for learnable saturates at the prior
        self._logw = self._logw + np.log(like)
        self._logw -= self._logw.max()
        post = y * ls * (1.0 - sl) / np.maximum(p_right, 1e-300) + (1.0 - y) * ls * sl / np.maximum(1.0 - p_right, 1e-300)
        # the answer is evidence about each prerequisite: unknown prerequisite -> the skill is unknown (guess)
        open_s = self._open(now, s)
        given_open = np.minimum(1.0, ls / np.maximum(open_s, 1e-12))
        for q in self._prereq[s]:
            pk = given_open * (1.0 - sl) + (1.0 - given_open) * g  # P(right | q known), other prerequisites as they are
            lq = now[q]
            right = lq * pk / np.maximum(lq * pk + (1.0 - lq) * g, 1e-300)
            wrong = lq * (1.0 - pk) / np.maximum(lq * (1.0 - pk) + (1.0 - lq) * (1.0 - g), 1e-300)
            self._set(q, y * right + (1.0 - y) * wrong)
            now[q] = self._L[:, q]
        open_s = self._open(now, s)
        # spacing: a right answer late on the forgetting curve lengthens the half-life more
        if self._last[s] >= 0 and y >= 0.5:
            retention = np.exp2(-self._rate[:, s] * (self._clock - self._last[s]))
            self._rate[:, s] = self._rate[:, s] / (1.0 + self._spacing * (1.0 - retention))
        self._set(s, post + (1.0 - post) * self._T[:, s] * open_s)
        self._last[s] = self._clock
        if float(self._weights() @ self._L[:, s]) >= self._threshold:
            self._spin.mastered(s)
        elif self._spin.missed(s, bool(self._prereq[s])) == REMEDIATE:
            for q in self._prereq[s]:  # wheel-spinning is evidence against the prerequisites: re-check them
                self._set(q, np.minimum(self._now(q), self._demoted))

    # -------------------------------------------------------------- state
    def _get_state(self) -> dict[str, Any]:
        return {
            "p_known": self._L.tolist(),
            "decay": self._rate.tolist(),
            "log_weights": self._logw.tolist(),
            "set_at": self._at.tolist(),
            "last": self._last.tolist(),
            "clock": self._clock,
            "learnable_logodds": self._learnable_logodds.tolist(),
            **self._spin.state("aside"),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        k, n = self._L.shape
        for key in ("p_known", "decay"):
            rows = state[key]
            if len(rows) != k or any(len(r) != n for r in rows):
                raise self._error(f"state field {key!r} must be {k} rows of {n} skills")
        for key in ("set_at", "last", "learnable_logodds"):
            if len(state[key]) != n:
                raise self._error(f"state field {key!r} has {len(state[key])} entries for {n} skills")
        if len(state["log_weights"]) != k:
            raise self._error(f"state field 'log_weights' has {len(state['log_weights'])} entries for {k} hypotheses")
        self._spin.load(state, "aside", self._error)
        self._L = np.array(state["p_known"], dtype=float)
        self._rate = np.array(state["decay"], dtype=float)
        self._logw = np.array(state["log_weights"], dtype=float)
        self._at = np.array(state["set_at"], dtype=np.int64)
        self._last = np.array(state["last"], dtype=np.int64)
        self._clock = int(state["clock"])
        self._learnable_logodds = np.array(state["learnable_logodds"], dtype=float)

    def rates(self) -> dict[str, float]:
        """The posterior over the learner's rates: learning rate (of a population-average skill), P(forgets), half-life if it does."""
        w = self._weights()
        learn = float(w @ (1.0 - (1.0 - self._t0) ** self._mult))
        forgets = self._rate0 > 0
        p_forget = float(w[forgets].sum())
        half_life = float(w[forgets] @ (1.0 / self._rate0[forgets]) / p_forget) if p_forget > 0 else math.inf
        return {"learn": learn, "learn_multiplier": float(w @ self._mult), "p_forgets": p_forget, "half_life": half_life}

    def _report(self) -> dict[str, Any]:
        skills = self._skills()
        pk = self.p_known()
        gains = self._gains(self._now(), self._weights())
        learnable = self._learnable()
        rows = [
            {
                "skill": skills[s],
                "p_known": round(float(pk[s]), 4),
                "mastered": bool(pk[s] >= self._threshold),
                "gain": round(float(gains[s]), 5),
                "set_aside": self._spin.flagged[s],
                "learnable": round(float(learnable[s]), 4),
            }
            for s in range(len(skills))
        ][:50]
        return {
            "mastered": int(np.sum(pk >= self._threshold)),
            "rates": {k: round(v, 4) for k, v in self.rates().items()},
            "skills": rows,
            "next": self._to_external(self._choose_task()),
        }


def _logsumexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    return m + math.log(float(np.sum(np.exp(x - m))))
