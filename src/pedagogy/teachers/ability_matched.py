"""``ability-matched``: the DDS-MAE scheduler of PUDF (Meng et al., 2024).

Estimate the learner's ability on an IRT (Rasch) scale from its answers and
train it on the tasks it is able to solve: those whose difficulty is at most
its current ability.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from numbers import Integral, Real
from typing import Any, cast

import numpy as np

from pedagogy.kt.core import elo_gain, logistic
from pedagogy.params import Interval, Param
from pedagogy.spaces import Discrete
from pedagogy.teachers.base import Teacher, register

__all__ = ["AbilityMatchedTeacher"]

# Up to this many tasks with estimated difficulties, the tasks are kept sorted by
# difficulty (an update moves one entry: O(n) memmove, cheap when small); above
# it, proposals use rejection sampling (O(1) expected) and a full scan only when
# the eligible set is too small for rejection to find it.
_SORTED_LIMIT = 4096
# Rejection draws per proposal before falling back to the eligible-set snapshot.
_REJECTION_DRAWS = 64
# Large spaces retake the eligible-set snapshot every n / _SNAPSHOT_DIVISOR
# observations (at least every refit): O(1000) amortised work per observation.
_SNAPSHOT_DIVISOR = 1000
# Largest Newton step on theta (logits): keeps the first steps, when the
# likelihood is flat, from overshooting.
_MAX_STEP = 2.0
# Difficulties listed by report() for big spaces (the easiest and the hardest).
_REPORT_TOP = 10


@register
class AbilityMatchedTeacher(Teacher[Discrete]):
    """Ability-matched curriculum: the DDS-MAE scheduler of PUDF.

    Implements the "Dynamic Data Selection via Model Ability Estimation"
    (DDS-MAE) half of PUDF, from Meng, Yu et al., "A Psychology-based Unified
    Dynamic Framework for Curriculum Learning", 2024 (arXiv:2408.05326): the
    learner's ability ``theta`` is estimated with a one-parameter logistic IRT
    model (Rasch, ``P(correct) = sigmoid(theta - b)``), and the training tasks
    are those whose difficulty ``b`` does not exceed the ability estimate,
    sampled uniformly.

    * **Ability.**  ``theta`` is the maximum a posteriori estimate under a weak
      ``N(0, prior_sd^2)`` prior from the last ``window`` answers, found with
      ``newton_steps`` Newton steps every ``refit_every`` observations (and at
      every observation while the window fills up).  In between, each answer
      moves ``theta`` by one Newton step on that answer alone, using the
      Fisher information accumulated so far (the online form of the same
      estimator).  PUDF re-estimates ability once per epoch; an online teacher
      has no epochs, so it refits on a bounded window of recent answers,
      which also lets the estimate follow a learner who improves.
    * **Difficulty.**  ``space.difficulty`` is used when given (logits, the IRT
      scale).  Otherwise every task starts at ``b = 0`` and is estimated online
      together with ``theta`` (joint 1PL estimation with Elo-style updates,
      Pelanek 2016): after an answer with success probability ``p``,
      ``b <- b + K(n) * (p - score)`` with the uncertainty function
      ``K(n) = difficulty_lr / (1 + difficulty_decay * n)``, ``n`` the number of
      answers the task already had.  Tasks answered wrong more often drift to
      a higher ``b``.
    * **Selection (DDS-MAE).**  The eligible set is
      ``{task : b <= theta + margin}``; proposals are uniform over it.  It is
      never empty: it always contains the ``min_eligible`` easiest tasks (ties
      included).  Spaces of up to 4096 tasks keep the tasks sorted by
      difficulty, so the set is always exact.  Larger spaces with estimated
      difficulties sample by rejection against the live threshold, and, when
      the eligible set is too small for that (under ~5 % of the tasks), from a
      snapshot of it retaken every ``max(refit_every, n / 1000)``
      observations (like PUDF, which selects the training set once per epoch).

    ``observe`` expects a correctness in ``[0, 1]``: a 0/1 outcome, a
    probability of success, or the accuracy of a batch on the task.

    Memory is bounded by ``window`` answers plus one difficulty and one count
    per task.

    Defaults: the selection rule (difficulty at most the ability estimate) is
    the paper's; the prior on the ability, the window and the Elo step for
    unknown difficulties are this implementation's choices (the paper fits
    difficulties offline with IRT).
    """

    name = "ability-matched"
    description = "IRT ability estimate; train on tasks no harder than the ability (PUDF DDS-MAE)."
    paper = "Meng et al. - A Psychology-based Unified Dynamic Framework for Curriculum Learning (PUDF, DDS-MAE), 2024 (arXiv 2408.05326)"
    score_doc = "correctness in [0, 1]: a 0/1 outcome, a probability of success or the accuracy of a batch"
    score_range = (0.0, 1.0)
    large_discrete = True
    space_types = (Discrete,)
    params = {
        "prior_sd": Param(3.0, Interval(Real, 0, closed="neither"), "standard deviation of the prior on theta"),
        "window": Param(100, Interval(Integral, 1), "recent answers the ability is estimated from"),
        "newton_steps": Param(3, Interval(Integral, 1), "Newton steps per refit"),
        "refit_every": Param(10, Interval(Integral, 1), "observations between full refits of theta"),
        "margin": Param(0.0, Interval(Real), "eligible tasks satisfy b <= theta + margin (0 in PUDF)"),
        "min_eligible": Param(1, Interval(Integral, 1), "the easiest tasks always eligible"),
        "difficulty_lr": Param(0.8, Interval(Real, 0, closed="neither"), "Elo step of estimated difficulties"),
        "difficulty_decay": Param(0.05, Interval(Real, 0), "Elo uncertainty decay of estimated difficulties"),
    }

    # ------------------------------------------------------------ options
    def _check_options(self) -> None:
        if self.options["min_eligible"] > self.space.n:
            raise self._error(f"option 'min_eligible' ({self.options['min_eligible']}) exceeds the {self.space.n} tasks")

    # -------------------------------------------------------------- setup
    def _setup(self) -> None:
        o = self.options
        space = self.space
        self._n = space.n
        self._prior_prec = 1.0 / float(o["prior_sd"]) ** 2
        self._W = int(o["window"])
        self._steps = int(o["newton_steps"])
        self._refit_every = int(o["refit_every"])
        self._margin = float(o["margin"])
        self._k_min = int(o["min_eligible"])
        self._lr = float(o["difficulty_lr"])
        self._decay = float(o["difficulty_decay"])
        self._estimated = space.difficulty is None

        self._theta = 0.0
        self._info = 0.0  # Fisher information of the window at theta (prior excluded)
        self._since_refit = 0
        # Ring buffer of the last `window` answers: task index and score.
        self._buf_task: list[int] = [0] * self._W
        self._buf_score: list[float] = [0.0] * self._W
        self._buf_len = 0
        self._buf_pos = 0
        if self._estimated:
            self._bl: list[float] = [0.0] * self._n  # difficulty per task (python floats: fast scalar access)
            self._count: list[int] = [0] * self._n
            # Large spaces: a snapshot of the eligible set, used when rejection
            # sampling fails (the set is small), retaken after `_snapshot_life`
            # observations so that its O(n) cost is amortised.
            self._snapshot: list[int] = []
            self._snapshot_age = 0
            self._snapshot_life = max(self._refit_every, -(-self._n // _SNAPSHOT_DIVISOR))
        else:
            self._bl = [float(x) for x in cast(np.ndarray, space.difficulty)]
        # Small spaces keep the tasks sorted by (difficulty, index): the eligible
        # set is then a prefix, found by bisection, exactly and in O(log n).
        self._sorted_mode = not self._estimated or self._n <= _SORTED_LIMIT
        if self._sorted_mode:
            self._sort()

    def _sort(self) -> None:
        self._sorted = sorted(zip(self._bl, range(self._n)))
        self._sorted_b = [b for b, _ in self._sorted]

    # ---------------------------------------------------------- estimation
    def _refit(self) -> None:
        """MAP estimate of theta on the window: a few Newton steps from the current value."""
        k = self._buf_len
        bl = self._bl
        b = np.array([bl[t] for t in self._buf_task[:k]])
        s_sum = sum(self._buf_score[:k])
        theta = self._theta
        info = 0.0
        for _ in range(self._steps):
            p = 1.0 / (1.0 + np.exp(b - theta))
            info = float(np.dot(p, 1.0 - p))
            grad = s_sum - float(p.sum()) - self._prior_prec * theta
            step = grad / (info + self._prior_prec)
            theta += max(-_MAX_STEP, min(_MAX_STEP, step))
        p = 1.0 / (1.0 + np.exp(b - theta))
        self._theta = theta
        self._info = float(np.dot(p, 1.0 - p))
        self._since_refit = 0

    def _observe(self, task: int, score: float) -> None:
        b = self._bl[task]
        p = logistic(self._theta - b)
        if self._estimated:
            n = self._count[task]
            nb = b + elo_gain(self._lr, self._decay, n) * (p - score)
            self._bl[task] = nb
            self._count[task] = n + 1
            if self._sorted_mode:
                # Move the task to its new place in the sorted list.
                i = bisect_left(self._sorted, (b, task))
                del self._sorted[i]
                del self._sorted_b[i]
                j = bisect_left(self._sorted, (nb, task))
                self._sorted.insert(j, (nb, task))
                self._sorted_b.insert(j, nb)
        self._buf_task[self._buf_pos] = task
        self._buf_score[self._buf_pos] = score
        self._buf_pos = (self._buf_pos + 1) % self._W
        if self._buf_len < self._W:
            self._buf_len += 1
        self._since_refit += 1
        if self._estimated:
            self._snapshot_age += 1
        if self._buf_len < self._W or self._since_refit >= self._refit_every:
            self._refit()
        else:
            # One Newton step on this answer, with the information gathered so far.
            self._info += p * (1.0 - p)
            step = (score - p) / (self._info + self._prior_prec)
            self._theta += max(-_MAX_STEP, min(_MAX_STEP, step))

    # ------------------------------------------------------------ proposal
    def _threshold(self) -> float:
        return self._theta + self._margin

    def _propose(self, n: int) -> list[Any]:
        u = self.rng.random(n).tolist()
        if self._sorted_mode:
            sb = self._sorted_b
            # Uniform over the prefix {b <= theta + margin}, never shorter than the
            # min_eligible easiest tasks (ties included).
            k = max(bisect_right(sb, self._threshold()), bisect_right(sb, sb[self._k_min - 1]))
            srt = self._sorted
            return [srt[int(x * k)][1] for x in u]
        # Large space, estimated difficulties: rejection sampling, exactly uniform
        # over the live set {b <= theta + margin}; when that set is too small for
        # rejection to find it, uniform over the snapshot of the eligible set.
        thr = self._threshold()
        bl, size = self._bl, self._n
        picks: list[int] = []
        for _ in range(n):
            for x in self.rng.random(_REJECTION_DRAWS).tolist():
                j = int(x * size)
                if bl[j] <= thr:
                    picks.append(j)
                    break
            else:
                if not self._snapshot or self._snapshot_age >= self._snapshot_life:
                    self._snapshot = self._eligible().tolist()
                    self._snapshot_age = 0
                snap = self._snapshot
                picks.append(snap[int(self.rng.random() * len(snap))])
        return picks

    def _eligible(self) -> np.ndarray:
        """Indices of the eligible tasks, computed afresh (never empty: the easiest tasks are always in)."""
        b = np.asarray(self._bl)
        floor = float(np.partition(b, self._k_min - 1)[self._k_min - 1])
        return np.flatnonzero(b <= max(self._threshold(), floor))

    # -------------------------------------------------------------- state
    def _get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "theta": self._theta,
            "info": self._info,
            "since_refit": self._since_refit,
            "buffer_tasks": self._buf_task[: self._buf_len],
            "buffer_scores": self._buf_score[: self._buf_len],
            "buffer_pos": self._buf_pos,
        }
        if self._estimated:
            state["difficulty"] = list(self._bl)
            state["counts"] = list(self._count)
            state["snapshot"] = list(self._snapshot)
            state["snapshot_age"] = self._snapshot_age
        return state

    def _set_state(self, state: dict[str, Any]) -> None:
        tasks = np.asarray(state["buffer_tasks"], dtype=np.int64)
        scores = np.asarray(state["buffer_scores"], dtype=float)
        k = tasks.size
        if k != scores.size or k > self._W or (k and (tasks.min() < 0 or tasks.max() >= self._n)):
            raise KeyError("answer buffer does not match the space or the window")
        self._theta = float(state["theta"])
        self._info = float(state["info"])
        self._since_refit = int(state["since_refit"])
        self._buf_task = tasks.tolist() + [0] * (self._W - k)
        self._buf_score = scores.tolist() + [0.0] * (self._W - k)
        self._buf_len = k
        self._buf_pos = int(state["buffer_pos"])
        if self._estimated:
            b = np.asarray(state["difficulty"], dtype=float)
            c = np.asarray(state["counts"], dtype=np.int64)
            if b.shape != (self._n,) or c.shape != (self._n,):
                raise KeyError("difficulty estimates do not match the space")
            self._bl = b.tolist()
            self._count = c.tolist()
            self._snapshot = [int(x) for x in state["snapshot"]]
            self._snapshot_age = int(state["snapshot_age"])
            if self._sorted_mode:
                self._sort()

    # ------------------------------------------------------------- report
    @property
    def theta(self) -> float:
        """Current ability estimate (logits)."""
        return self._theta

    @property
    def difficulty(self) -> np.ndarray:
        """Difficulty per task (internal order): given, or estimated so far."""
        return np.array(self._bl)

    def _report(self) -> dict[str, Any]:
        tasks = self.space.tasks
        se = 1.0 / math.sqrt(self._info + self._prior_prec)
        out: dict[str, Any] = {
            "theta": self._theta,
            "theta_se": se,
            "eligible": int(self._eligible().size),
            "n_tasks": self._n,
            "difficulty_estimated": self._estimated,
        }
        if self._n <= 2 * _REPORT_TOP:
            out["difficulty"] = [[tasks[i], self._bl[i]] for i in range(self._n)]
        else:
            order = np.argsort(np.asarray(self._bl), kind="stable").tolist()
            out["easiest"] = [[tasks[i], self._bl[i]] for i in order[:_REPORT_TOP]]
            out["hardest"] = [[tasks[i], self._bl[i]] for i in order[::-1][:_REPORT_TOP]]
        return out
