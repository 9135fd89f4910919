"""``plr``: Prioritized Level Replay (Jiang, Grefenstette, Rocktäschel, ICML 2021)."""

from __future__ import annotations

import bisect
from numbers import Integral, Real
from typing import Any

import numpy as np

from pedagogy.params import Interval, OneOf, Param
from pedagogy.spaces import Discrete
from pedagogy.teachers.base import Teacher, register


@register
class PLRTeacher(Teacher[Discrete]):
    """Prioritized Level Replay: replay the seen levels with the highest learning potential.

    Jiang, Grefenstette, Rocktäschel, "Prioritized Level Replay", ICML 2021
    (arXiv 2010.03934).  Tasks are *levels* (e.g. environment seeds of a
    :class:`~pedagogy.spaces.Discrete` space, which may be huge such as
    ``Discrete(100_000)``).  Each seen level keeps a score ``S_i`` and the
    time ``C_i`` it was last proposed.  Each proposal first draws the replay
    decision: with the paper's proportionate schedule the replay probability
    is ``|seen| / |all levels|``; where the buffer holds fewer levels than the
    space, it is the buffer's filled fraction capped at ``replay_prob`` (as
    Syllabus does), so that new
    levels keep coming once the buffer is full — uncapped it would reach 1 and
    the buffer would never see a new level again.  With
    ``replay_schedule="fixed"`` it is ``replay_prob`` (Robust PLR).  On replay a seen level is drawn from::

        P_replay = (1 - rho) * P_S + rho * P_C
        P_S(i) ∝ (1 / rank(S_i)) ** (1 / beta)     (rank 1 = highest score)
        P_C(i) ∝ c - C_i                            (c = proposals so far)

    otherwise an unseen level is drawn uniformly (by rejection from the space,
    so nothing of size ``|space|`` is ever allocated).

    The seen-level buffer holds at most ``buffer_size`` levels (capacity =
    ``min(buffer_size, |space|)``).  When it is full, a newly observed level
    replaces the lowest-scoring one only if its score is higher (as in Robust
    PLR's level buffer).  Rank sampling is O(log n) per proposal: levels are
    kept sorted by score (ties broken by a random key redrawn whenever a
    level is rescored, so equal-score levels take turns at the top instead of
    one of them holding rank 1 for ever) and the rank weights' cumulative sum
    is precomputed;
    the staleness draw is O(n) but happens only with probability ``rho``.

    Score: the learning potential of the episode just played on the level, any
    finite real, higher = more to learn; the paper's best choice is the
    average magnitude of the GAE over the episode (L1 value loss), the
    positive value loss or the mean ``|advantage|`` also fit.  Only its rank
    matters.  ``score_ema = 1`` replaces the stored score by the latest (paper
    default); smaller values average.
    """

    name = "plr"
    description = "Prioritized Level Replay: rank-based replay of high-learning-potential levels plus staleness."
    paper = "Jiang, Grefenstette, Rocktäschel 2021, Prioritized Level Replay, ICML, arXiv 2010.03934"
    score_doc = "learning potential of the episode, e.g. mean |GAE| (L1 value loss); any finite real, only its rank matters"
    large_discrete = True
    space_types = (Discrete,)
    params = {
        "temperature": Param(0.1, Interval(Real, 0, closed="neither"), "rank temperature beta"),
        "staleness_coef": Param(0.1, Interval(Real, 0, 1), "staleness mixing weight rho"),
        "replay_schedule": Param("proportionate", OneOf("proportionate", "fixed"), "replay probability: seen / all levels, or replay_prob"),
        "replay_prob": Param(
            0.5,
            Interval(Real, 0, 1),
            "replay probability of the fixed schedule; the cap of the proportionate one on a buffer smaller than the space",
        ),
        "score_ema": Param(1.0, Interval(Real, 0, 1, closed="right"), "weight of a new score of a seen level"),
        "buffer_size": Param(4000, Interval(Integral, 1), "most levels remembered"),
        "report_top": Param(10, Interval(Integral, 1), "levels listed by report()"),
    }

    def _setup(self) -> None:
        self._n = self.space.n
        self._cap = min(int(self.options["buffer_size"]), self._n)
        ranks = np.arange(1, self._cap + 1, dtype=float)
        # Cumulative rank weights, once: the draw for n seen levels uses the first n entries.
        self._rank_cdf = np.cumsum(ranks ** (-1.0 / float(self.options["temperature"])))
        self._levels: list[int] = []  # slot -> level
        self._slot: dict[int, int] = {}  # level -> slot
        self._scores = np.zeros(self._cap)  # slot -> score
        self._last = np.zeros(self._cap)  # slot -> proposal clock when last proposed
        self._tie = np.zeros(self._cap)  # slot -> random tie-break key, redrawn at each rescoring
        self._order: list[tuple[float, float, int]] = []  # (-score, tie, slot), sorted: index = rank - 1
        self._clock = 0

    # ------------------------------------------------------------ sampling
    def _unseen(self) -> int | None:
        seen = self._slot
        if len(seen) >= self._n:
            return None
        for _ in range(64):  # rejection: cheap while the seen fraction is small
            lv = int(self.rng.integers(self._n))
            if lv not in seen:
                return lv
        # Almost every level is seen (only possible for small spaces): list the rest.
        mask = np.ones(self._n, dtype=bool)
        mask[np.fromiter(seen, dtype=np.int64, count=len(seen))] = False
        rest = np.flatnonzero(mask)
        return int(rest[int(self.rng.integers(rest.size))])

    def _replay(self) -> int:
        n = len(self._levels)
        if self.rng.random() < float(self.options["staleness_coef"]):
            w = self._clock - self._last[:n]
            cdf = np.cumsum(w)
            if cdf[-1] <= 0:
                slot = int(self.rng.integers(n))
            else:
                slot = min(int(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right")), n - 1)
        else:
            r = int(np.searchsorted(self._rank_cdf[:n], self.rng.random() * self._rank_cdf[n - 1], side="right"))
            slot = self._order[min(r, n - 1)][2]
        return slot

    def _replay_probability(self) -> float:
        n = len(self._levels)
        if n == 0:
            return 0.0
        if n >= self._n:
            return 1.0
        cap = float(self.options["replay_prob"])
        if self.options["replay_schedule"] == "proportionate":
            filled = n / self._cap  # = seen / all levels when the buffer holds the whole space
            return filled if self._cap == self._n else min(filled, cap)
        return cap

    def _propose(self, n: int) -> list[Any]:
        out: list[int] = []
        for _ in range(n):
            level = None
            if self._levels and self.rng.random() < self._replay_probability():
                slot = self._replay()
                level = self._levels[slot]
                self._last[slot] = self._clock
            else:
                level = self._unseen()
                if level is None:  # every level is seen: replay
                    slot = self._replay()
                    level = self._levels[slot]
                    self._last[slot] = self._clock
            self._clock += 1
            out.append(level)
        return out

    # ------------------------------------------------------------ scoring
    def _observe(self, task: Any, score: float) -> None:
        level = int(task)
        slot = self._slot.get(level)
        if slot is not None:
            a = float(self.options["score_ema"])
            old = float(self._scores[slot])
            new = a * score + (1.0 - a) * old
            self._order.pop(bisect.bisect_left(self._order, (-old, float(self._tie[slot]), slot)))
            self._scores[slot] = new
            self._tie[slot] = self.rng.random()
            bisect.insort(self._order, (-new, float(self._tie[slot]), slot))
            return
        if len(self._levels) < self._cap:
            slot = len(self._levels)
            self._levels.append(level)
        else:
            worst_neg, _, slot = self._order[-1]
            if score <= -worst_neg:
                return  # not better than the weakest stored level: forget it
            self._order.pop()
            del self._slot[self._levels[slot]]
            self._levels[slot] = level
        self._slot[level] = slot
        self._scores[slot] = score
        self._tie[slot] = self.rng.random()
        self._last[slot] = max(self._clock - 1, 0)
        bisect.insort(self._order, (-score, float(self._tie[slot]), slot))

    # --------------------------------------------------------------- state
    def _get_state(self) -> dict[str, Any]:
        n = len(self._levels)
        return {
            "levels": list(self._levels),
            "scores": self._scores[:n].tolist(),
            "last": self._last[:n].tolist(),
            "tie": self._tie[:n].tolist(),
            "clock": self._clock,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._setup()
        levels = [int(x) for x in state["levels"]]
        if len(levels) > self._cap:
            raise ValueError("more stored levels than the buffer holds")
        n = len(levels)
        self._levels = levels
        self._slot = {lv: i for i, lv in enumerate(levels)}
        self._scores[:n] = state["scores"]
        self._last[:n] = state["last"]
        self._tie[:n] = state["tie"]
        self._order = sorted((-float(self._scores[i]), float(self._tie[i]), i) for i in range(n))
        self._clock = int(state["clock"])

    def _report(self) -> dict[str, Any]:
        n = len(self._levels)
        top: list[dict[str, Any]] = []
        if n:
            rho = float(self.options["staleness_coef"])
            stale = self._clock - self._last[:n]
            stale_p = stale / stale.sum() if stale.sum() > 0 else np.full(n, 1.0 / n)
            total = float(self._rank_cdf[n - 1])
            k = min(int(self.options["report_top"]), n)
            for r in range(k):
                slot = self._order[r][2]
                p_rank = (self._rank_cdf[r] - (self._rank_cdf[r - 1] if r else 0.0)) / total
                top.append(
                    {
                        "task": self.space.tasks[self._levels[slot]],
                        "score": float(self._scores[slot]),
                        "staleness": float(stale[slot]),
                        "replay_probability": float((1 - rho) * p_rank + rho * stale_p[slot]),
                    }
                )
        return {"levels_seen": n, "capacity": self._cap, "replay_decision_probability": self._replay_probability(), "top": top}
