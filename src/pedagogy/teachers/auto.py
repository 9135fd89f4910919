"""``auto``: a teacher that picks teachers, a discounted-UCB bandit over a portfolio of registered teachers."""

from __future__ import annotations

import math
from collections import deque
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, ListOf, Nullable, OneOf, Param, Satisfies
from pedagogy.spaces import Box, Discrete, SkillGraph, Space
from pedagogy.teachers.base import REGISTRY, Teacher, load, register

__all__ = ["DEFAULT_MEMBERS", "AutoTeacher"]

#: The portfolio per kind of space, in this order (a member that is not
#: registered, does not accept the space or cannot be built, e.g. a missing
#: optional dependency, is left out).  Each list holds the teachers that led
#: the quick suite on that kind of space plus ``random``: random is a useful
#: member (it is the safe choice where the signal misleads the others, and
#: it explores), and ``auto`` is judged against it.  On discrete sets
#: ``sec-lp`` is there for the mixtures with noisy sources, which draw the
#: advantage-driven members (``sec``, ``dump``) to sources with nothing to learn.  Kept short because
#: every member observes every outcome: the cost per cycle is the members'
#: sum (the Box members are the costly GMM teachers, about 100-130 µs each).
DEFAULT_MEMBERS: dict[str, tuple[str, ...]] = {
    "Box": ("covar-gmm", "alp-gmm", "random"),
    "SkillGraph": ("zpdes", "spaced-mastery", "mastery", "lp", "random"),
    "Discrete": ("sec-lp", "sec", "dump", "lp", "mastery", "random"),
}

#: most proposals remembered for crediting their member (older ones are credited to nobody)
MAX_PENDING = 10_000
#: most task cells whose last score is remembered (for ``reward="task"``)
MAX_CELLS = 10_000


def _kind(space: Space[Any]) -> str:
    if isinstance(space, SkillGraph):
        return "SkillGraph"
    if isinstance(space, Discrete):
        return "Discrete"
    return "Box"


@register
class AutoTeacher(Teacher[Any]):
    """A portfolio of teachers run as a non-stationary bandit: the member whose proposals show learning progress teaches.

    Members: ``members`` (default :data:`DEFAULT_MEMBERS` for the space's
    kind), each built on the same space with its own seed derived from this
    teacher's.  ``auto`` itself is never a member.  Every member observes
    EVERY outcome (also those of tasks other members proposed), so the one
    chosen next is up to date; only the chosen member proposes.

    Reward (learning progress, as in ALP-GMM, TSCL and ZPDES), credited to
    the member that proposed the task: with ``reward="task"`` (default), how
    much better the task scored than the last time it was practised (by any
    member's choice; a box is cut into 10 cells per dimension, at most
    10,000 cells remembered), mapped to [0, 1] with the score amplitude seen
    so far (0.5: no change).  Its expectation is the learning the practice
    produced; it is noisy but unbiased, and a member that keeps proposing
    mastered or hopeless tasks earns 0.5, one whose tasks improve more.
    ``reward="absolute"`` is ``|fast_m - slow_m|``, two moving averages of
    the scores of member ``m``'s own proposals (biased upwards by the noise
    of 0/1 scores: it favoured ``random`` on the students scenarios);
    ``"gain"`` keeps only increases.  Measured on 30 students (seeds
    1000-1029, answers to full mastery, median / mean): ``students`` task
    293 / 309 with exploration 0.3, 228 / 265 with 0.1 (the default), 209 /
    251 with 0.05; absolute 383 / 404; ``students-forgetting`` 272 / 268,
    250 / 264, 270 / 276 and 270 / 284.  On boxes the default is
    ``"absolute"`` (the GMM members are learning-progress teachers, and a
    cell's gain is too rare a signal): 6,000 episodes, 3 seeds, mastered
    fraction, task / absolute: ``grid-2d`` 0.130 / 0.160,
    ``mostly-unlearnable`` 0.130 / 0.157, ``fast-learner`` 0.523 / 0.493.

    Bandit: discounted UCB (Garivier & Moulines, "On Upper-Confidence Bound
    Policies for Switching Bandit Problems", ALT 2011): every cycle the
    members' counts and reward sums decay by ``discount``; the chosen member
    maximises ``mean_m + exploration * sqrt(log(N) / N_m)`` (a member never
    tried goes first).  One member proposes a whole ``propose(n)`` batch;
    proposals are remembered (at most 10,000) to credit their member when
    observed; an observation nobody proposed updates the members, not the
    bandit.

    Scores: the intersection of the members' ranges (e.g. [0, 1] on skill
    graphs), checked once for all.  State: the members' own ``state_dict()``
    nested, plus the bandit's numbers: plain JSON, exact resume, bounded.
    """

    name = "auto"
    description = "Portfolio of teachers as a discounted-UCB bandit rewarded by the learning progress of each member's proposals."
    paper = (
        "Garivier & Moulines 2011, On Upper-Confidence Bound Policies for Switching Bandit Problems (ALT); "
        "learning progress as in Oudeyer et al. 2007 and Portelas et al. 2019"
    )
    score_doc = "whatever its members expect (the intersection of their score ranges); see DEFAULT_MEMBERS"
    space_types = (Box, Discrete)
    params: ClassVar[dict[str, Param]] = {
        "members": Param(
            None,
            Nullable(ListOf(Satisfies(lambda v: isinstance(v, str) and v != "auto", "a registered teacher other than 'auto'"))),
            "teachers in the portfolio (None: DEFAULT_MEMBERS for the space's kind)",
        ),
        "discount": Param(0.99, Interval(Real, 0, 1, closed="right"), "per-cycle discount of the bandit's statistics (1: stationary UCB)"),
        "exploration": Param(0.1, Interval(Real, 0), "weight of the UCB exploration bonus (rewards are in [0, 1])"),
        "fast": Param(0.1, Interval(Real, 0, 1, closed="right"), "step of the fast moving average of a member's scores"),
        "slow": Param(0.02, Interval(Real, 0, 1, closed="right"), "step of the slow moving average of a member's scores"),
        "reward": Param(
            None,
            Nullable(OneOf("task", "absolute", "gain")),
            "task: score minus the last score on the same task; absolute: |fast - slow| of the member's scores; "
            "gain: max(0, fast - slow); None: task on discrete sets, absolute on boxes",
        ),
        "min_members": Param(1, Interval(Integral, 1), "fewest members that must be buildable"),
    }

    def _check_options(self) -> None:
        if self.options["slow"] >= self.options["fast"]:
            raise self._error(f"option 'slow' must be below option 'fast', got {self.options['slow']} >= {self.options['fast']}")

    def _setup(self) -> None:
        names = self.options["members"]
        explicit = names is not None
        if names is None:
            names = list(DEFAULT_MEMBERS[_kind(self.space)])
        members: list[Teacher[Any]] = []
        kept: list[str] = []
        seeds = np.random.SeedSequence([self.seed, 0x5EED]).generate_state(len(names))
        for name, seed in zip(names, seeds):
            if name not in REGISTRY or name in kept:
                if explicit and name not in REGISTRY:
                    raise self._error(f"option 'members': unknown teacher {name!r}")
                continue
            cls = REGISTRY.get(name)
            if not isinstance(self.space, cls.space_types):
                if explicit:
                    raise self._error(f"option 'members': teacher {name!r} does not accept {type(self.space).__name__} spaces")
                continue
            try:
                member = cls(self.space, seed=int(seed))
            except ImportError:
                if explicit:
                    raise
                continue  # an optional dependency is missing: leave the member out
            if member.requires_proposed:
                continue  # it would reject the outcomes of other members' proposals
            members.append(member)
            kept.append(name)
        if len(members) < int(self.options["min_members"]):
            raise self._error(f"only {len(members)} member(s) could be built from {names}")
        self._members = members
        self._names = kept
        lows = [m.score_range[0] for m in members if m.score_range[0] is not None]
        highs = [m.score_range[1] for m in members if m.score_range[1] is not None]
        # per instance: the members decide what a valid score is
        self.score_range = (max(lows) if lows else None, min(highs) if highs else None)  # type: ignore[misc]
        self._reward = self.options["reward"] or ("absolute" if isinstance(self.space, Box) else "task")
        k = len(members)
        self._n = [0.0] * k  # discounted counts
        self._x = [0.0] * k  # discounted reward sums
        self._ema_fast: list[float | None] = [None] * k
        self._ema_slow: list[float | None] = [None] * k
        self._lo: float | None = None
        self._hi: float | None = None
        self._choices = [0] * k
        self._last_score: dict[str, float] = {}  # task cell -> last score seen on it (bounded, oldest out)
        self._init_pending([], 0)

    def _init_pending(self, entries: list[tuple[int, Any, int]], seq: int) -> None:
        """Outstanding proposals: ``(sequence number, task key, member)``, oldest first."""
        self._seq = seq
        self._live_count = len(entries)
        self._order: deque[tuple[int, Any]] = deque()
        self._waiting: dict[Any, deque[tuple[int, int]]] = {}
        for n, key, i in entries:
            self._order.append((n, key))
            self._waiting.setdefault(key, deque()).append((n, i))

    # ---------------------------------------------------------- selection
    def _choose(self) -> int:
        untried = [i for i, n in enumerate(self._n) if n == 0.0 and self._choices[i] == 0]
        if untried:
            return untried[0]
        total = sum(self._n)
        c = float(self.options["exploration"])
        log_total = math.log(max(total, 1.0 + 1e-9))
        best, best_v = 0, -math.inf
        for i, (n, x) in enumerate(zip(self._n, self._x)):
            v = math.inf if n <= 1e-12 else x / n + c * math.sqrt(max(log_total, 0.0) / n)
            if v > best_v:
                best, best_v = i, v
        return best

    def _propose(self, n: int) -> list[Any]:
        i = self._choose()
        self._choices[i] += 1
        tasks = self._members[i].propose(n)
        tasks = tasks if isinstance(tasks, list) else [tasks]
        internal = [self._to_internal(t) for t in tasks]
        for t in internal:
            key = self._key(t)
            self._order.append((self._seq, key))
            self._waiting.setdefault(key, deque()).append((self._seq, i))
            self._seq += 1
            self._live_count += 1
        while self._live_count > MAX_PENDING:  # forget the oldest outstanding proposal
            n, key = self._order.popleft()
            q = self._waiting.get(key)
            if q and q[0][0] == n:
                q.popleft()
                self._live_count -= 1
                if not q:
                    del self._waiting[key]
        return internal

    def _key(self, task: Any) -> Any:
        return task if self._discrete else tuple(float(v) for v in task)

    # ------------------------------------------------------------ updates
    def _credit(self, task: Any) -> int | None:
        q = self._waiting.get(self._key(task))
        if not q:
            return None
        _, i = q.popleft()  # the oldest outstanding proposal of this task
        self._live_count -= 1
        if not q:
            del self._waiting[self._key(task)]
        while self._order and not self._live(*self._order[0]):
            self._order.popleft()
        return i

    def _remember(self, task: Any, score: float) -> float | None:
        """Store ``score`` as the last score of ``task``'s cell; return the previous one.

        Discrete tasks are their own cells; a box is cut into 10 cells per dimension.
        """
        if self._discrete:
            cell = str(task)
        else:
            b = self.space
            z = np.floor(10.0 * (np.asarray(task) - b.low) / (b.high - b.low)).clip(0, 9).astype(int)
            cell = ",".join(map(str, z.tolist()))
        before = self._last_score.pop(cell, None)
        self._last_score[cell] = score
        if len(self._last_score) > MAX_CELLS:
            del self._last_score[next(iter(self._last_score))]
        return before

    def _live(self, n: int, key: Any) -> bool:
        q = self._waiting.get(key)
        return q is not None and any(m == n for m, _ in q)

    def _observe(self, task: Any, score: float) -> None:
        self._observe_many([task], [score])

    def _observe_many(self, tasks: list[Any], scores: list[float]) -> None:
        external = [self._to_external(t) for t in tasks]
        for m in self._members:
            m.observe(external, scores)
        g = float(self.options["discount"])
        fa, sa = float(self.options["fast"]), float(self.options["slow"])
        for t, s in zip(tasks, scores):
            self._lo = s if self._lo is None else min(self._lo, s)
            self._hi = s if self._hi is None else max(self._hi, s)
            i = self._credit(t)
            before = self._remember(t, s) if self._reward == "task" else None
            if i is None:
                continue
            f, sl = self._ema_fast[i], self._ema_slow[i]
            f = s if f is None else f + fa * (s - f)
            sl = s if sl is None else sl + sa * (s - sl)
            self._ema_fast[i], self._ema_slow[i] = f, sl
            scale = self._hi - self._lo
            mode = self._reward
            if mode == "task":
                # learning progress on the task itself: did it score better than the last time it was practised?
                reward = 0.5 if before is None or scale <= 0 else 0.5 + 0.5 * (s - before) / scale
            else:
                progress = abs(f - sl) if mode == "absolute" else max(0.0, f - sl)
                reward = progress / scale if scale > 0 else 0.0
            for j in range(len(self._n)):
                self._n[j] *= g
                self._x[j] *= g
            self._n[i] += 1.0
            self._x[i] += min(1.0, reward)

    # -------------------------------------------------------------- state
    def _get_state(self) -> dict[str, Any]:
        return {
            "members": [m.state_dict() for m in self._members],
            "n": list(self._n),
            "x": list(self._x),
            "choices": list(self._choices),
            "ema_fast": list(self._ema_fast),
            "ema_slow": list(self._ema_slow),
            "lo": self._lo,
            "hi": self._hi,
            "last_score": [[k, v] for k, v in self._last_score.items()],
            "seq": self._seq,
            "pending": sorted([n, list(k) if isinstance(k, tuple) else k, i] for k, q in self._waiting.items() for n, i in q),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        k = len(self._members)
        members = state["members"]
        if len(members) != k or [m.get("teacher") for m in members] != self._names:
            raise self._error(f"state has members {[m.get('teacher') for m in members]}, this teacher {self._names}")
        self._members = [load(m) for m in members]
        self._n = [float(v) for v in state["n"]]
        self._x = [float(v) for v in state["x"]]
        self._choices = [int(v) for v in state["choices"]]
        self._ema_fast = [None if v is None else float(v) for v in state["ema_fast"]]
        self._ema_slow = [None if v is None else float(v) for v in state["ema_slow"]]
        self._last_score = {str(k): float(v) for k, v in state["last_score"]}
        self._lo = None if state["lo"] is None else float(state["lo"])
        self._hi = None if state["hi"] is None else float(state["hi"])
        self._init_pending(
            [(int(n), tuple(kk) if isinstance(kk, list) else kk, int(i)) for n, kk, i in state["pending"]], int(state["seq"])
        )

    def _report(self) -> dict[str, Any]:
        total = sum(self._n) or 1.0
        return {
            "members": [
                {"teacher": name, "chosen": c, "weight": round(n / total, 4), "mean_reward": round(x / n, 4) if n > 0 else None}
                for name, c, n, x in zip(self._names, self._choices, self._n, self._x)
            ],
            "next": self._names[self._choose()],
        }
