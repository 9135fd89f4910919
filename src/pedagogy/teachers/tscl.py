"""``tscl``: Teacher-Student Curriculum Learning (Matiisen, Oliver, Cohen, Schulman 2017)."""

from __future__ import annotations

from collections import deque
from numbers import Integral, Real
from typing import Any

import numpy as np

from pedagogy.params import Interval, OneOf, Param
from pedagogy.teachers._categorical import CategoricalTeacher, softmax, top_k
from pedagogy.teachers.base import register


@register
class TSCLTeacher(CategoricalTeacher):
    """Teacher-Student Curriculum Learning: practise the task whose learning curve is steepest.

    Matiisen, Oliver, Cohen, Schulman, "Teacher-Student Curriculum Learning"
    (2017, arXiv 1707.00183).  The teacher is a non-stationary bandit whose
    reward is the *absolute* slope of each task's learning curve, so tasks
    being forgotten (negative slope) are practised again too.

    ``algorithm="window"`` (default, the paper's Window algorithm): each task
    keeps its last ``window`` scores with the time step (observation count)
    at which they arrived; its value ``Q`` is the linear-regression slope of
    score against time.  A task is chosen ε-greedily on ``|Q|``
    (``policy="epsilon"``) or from ``softmax(|Q| / temperature)``
    (``policy="boltzmann"``).  Tasks with fewer than two scores have no slope
    yet and are tried first (in random order), so every task gets a slope.

    ``algorithm="thompson"`` (the paper's Sampling algorithm): each task keeps
    its last ``window`` rewards, the score change since its previous score;
    each proposal draws one reward from every task's buffer and picks the
    largest ``|reward|`` (a task with an empty buffer is picked first).

    ``algorithm="exp3"``: Exp3 (Auer et al. 2002) over tasks with reward
    ``min(1, |score change|)``, importance-weighted by the probability the task
    had *when it was proposed*; so in this mode ``observe`` only accepts tasks
    this teacher proposed and has not yet seen scored.

    Score: any finite real, higher = better (e.g. success rate or return);
    exp3 expects scores in [0, 1] (larger changes count as 1).
    """

    name = "tscl"
    description = "Teacher-Student Curriculum Learning: bandit on |learning-curve slope| (window, sampling, exp3)."
    paper = "Matiisen, Oliver, Cohen, Schulman 2017, Teacher-Student Curriculum Learning, arXiv 1707.00183"
    score_doc = "any finite real, higher is better (exp3: in [0, 1])"
    params = {
        "algorithm": Param("window", OneOf("window", "thompson", "exp3"), "the paper's Window or Sampling algorithm, or Exp3"),
        "window": Param(10, Interval(Integral, 1), "buffer length K per task"),
        "policy": Param("epsilon", OneOf("epsilon", "boltzmann"), "exploration of the window algorithm"),
        "epsilon": Param(0.1, Interval(Real, 0, 1), "epsilon of epsilon-greedy"),
        "temperature": Param(0.0004, Interval(Real, 0, closed="neither"), "Boltzmann temperature"),
        "exp3_gamma": Param(0.1, Interval(Real, 0, 1, closed="right"), "Exp3 exploration rate gamma"),
        **CategoricalTeacher.params,
    }

    def _check_options(self) -> None:
        if self.options["algorithm"] == "window" and self.options["window"] < 2:
            raise self._error("option 'window' must be >= 2 to fit a slope")

    def _setup(self) -> None:
        n = self.space.n
        self._alg = self.options["algorithm"]
        k = int(self.options["window"])
        # Exp3 needs the proposal probability of every observed task; instance-level flag.
        self.requires_proposed = self._alg == "exp3"
        self._t = 0  # observations so far (the time axis of slopes)
        self._hist: dict[int, deque[tuple[int, float]]] = {}  # window: (t, score) per task
        self._q = np.zeros(n)  # window: |slope|; exp3: log-weights
        self._tried = np.zeros(n, dtype=bool)  # window: has >= 2 scores
        self._last: dict[int, float] = {}  # thompson / exp3: previous score per task
        self._rew = np.zeros((n, k)) if self._alg == "thompson" else None
        self._rcount = np.zeros(n, dtype=np.int64)  # thompson: rewards buffered per task (<= window)
        self._rtotal = np.zeros(n, dtype=np.int64)  # thompson: rewards ever pushed (ring position)
        self._props: deque[tuple[int, float]] = deque()  # exp3: (task, p at proposal), in base pending order

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _slope(points: deque[tuple[int, float]]) -> float:
        m = len(points)
        mt = sum(t for t, _ in points) / m
        mx = sum(x for _, x in points) / m
        num = sum((t - mt) * (x - mx) for t, x in points)
        den = sum((t - mt) ** 2 for t, _ in points)
        return num / den if den > 0 else 0.0

    def _weights(self) -> np.ndarray:
        n = self._q.size
        if self._alg == "exp3":
            g = float(self.options["exp3_gamma"])
            p = softmax(self._q, 1.0)
            return (1.0 - g) * p / p.sum() + g / n
        # window: tasks without a slope first, then epsilon-greedy or Boltzmann on |slope|
        untried = ~self._tried
        if untried.any():
            return untried.astype(float)
        if self.options["policy"] == "boltzmann":
            return softmax(self._q, float(self.options["temperature"]))
        best = self._q == self._q.max()
        eps = float(self.options["epsilon"])
        return eps / n + (1.0 - eps) * best / best.sum()

    def _thompson_choice(self) -> int:
        empty = np.flatnonzero(self._rcount == 0)
        if empty.size:
            return int(empty[int(self.rng.integers(empty.size))])
        n = self._rcount.size
        pick = (self.rng.random(n) * self._rcount).astype(np.int64)
        draws = np.abs(self._rew[np.arange(n), pick])  # type: ignore[index]
        best = np.flatnonzero(draws == draws.max())
        return int(best[int(self.rng.integers(best.size))])

    # ---------------------------------------------------------------- hooks
    def _propose(self, n: int) -> list[Any]:
        if self._alg == "thompson":  # a fresh draw from every buffer per proposal: no fixed distribution
            return [self._thompson_choice() for _ in range(n)]
        out = super()._propose(n)
        if self._alg == "exp3":
            p = self.probabilities()
            for t in out:  # mirror the base class's pending queue (same order, same bound)
                self._props.append((t, float(p[t])))
                if len(self._props) > self.max_pending:
                    self._props.popleft()
        return out

    def _update(self, task: int, score: float) -> None:
        i = int(task)
        self._t += 1
        if self._alg == "window":
            h = self._hist.get(i)
            if h is None:
                h = self._hist[i] = deque(maxlen=int(self.options["window"]))
            h.append((self._t, score))
            if len(h) >= 2:
                self._tried[i] = True
                self._q[i] = abs(self._slope(h))
            return
        prev = self._last.get(i)
        self._last[i] = score
        if self._alg == "thompson":
            if prev is not None:
                k = self._rew.shape[1]  # type: ignore[union-attr]
                self._rew[i, self._rtotal[i] % k] = score - prev  # type: ignore[index]  # FIFO ring
                self._rtotal[i] += 1
                self._rcount[i] = min(self._rtotal[i], k)
            return
        # exp3: consume the oldest outstanding proposal of this task
        for j, (t, p) in enumerate(self._props):  # noqa: B007 - p is read after the loop
            if t == i:
                del self._props[j]
                break
        else:  # pragma: no cover - the base class has already checked it was proposed
            p = 1.0 / self._q.size
        r = min(1.0, abs(score - prev)) if prev is not None else 0.0
        g = float(self.options["exp3_gamma"])
        self._q[i] += g * r / (p * self._q.size)
        self._q -= self._q.max()  # keep log-weights bounded

    def _get_state(self) -> dict[str, Any]:
        keys = sorted(self._hist)
        st: dict[str, Any] = {"t": self._t}
        if self._alg == "window":
            st["tasks"] = keys
            st["hist"] = [[[t, x] for t, x in self._hist[k]] for k in keys]
        else:
            lk = sorted(self._last)
            st["last_tasks"] = lk
            st["last"] = [self._last[k] for k in lk]
        if self._alg == "thompson":
            nz = np.flatnonzero(self._rcount).tolist()
            st["r_tasks"] = nz
            st["r_total"] = [int(self._rtotal[i]) for i in nz]
            st["rewards"] = [self._rew[i, : self._rcount[i]].tolist() for i in nz]  # type: ignore[index]
        if self._alg == "exp3":
            st["logw"] = self._q.tolist()
            st["props"] = [[t, p] for t, p in self._props]
        return st

    def _set_state(self, state: dict[str, Any]) -> None:
        self._setup()
        self._t = int(state["t"])
        if self._alg == "window":
            for k, h in zip(state["tasks"], state["hist"]):
                d = self._hist[int(k)] = deque(((int(t), float(x)) for t, x in h), maxlen=int(self.options["window"]))
                if len(d) >= 2:
                    self._tried[int(k)] = True
                    self._q[int(k)] = abs(self._slope(d))
        else:
            self._last = {int(k): float(v) for k, v in zip(state["last_tasks"], state["last"])}
        if self._alg == "thompson":
            for i, tot, r in zip(state["r_tasks"], state["r_total"], state["rewards"]):
                self._rew[int(i), : len(r)] = r  # type: ignore[index]
                self._rcount[int(i)] = len(r)
                self._rtotal[int(i)] = int(tot)
        if self._alg == "exp3":
            self._q = np.asarray(state["logw"], dtype=float)
            self._props = deque((int(t), float(p)) for t, p in state["props"])

    def _report(self) -> dict[str, Any]:
        if self._alg == "thompson":
            names = self.space.tasks
            mean_abs = np.zeros(self._rcount.size)
            nz = self._rcount > 0
            mean_abs[nz] = np.abs(self._rew[nz]).sum(axis=1) / self._rcount[nz]  # type: ignore[index]
            rows = top_k(names, {"mean_abs_reward": mean_abs, "buffered": self._rcount}, mean_abs, int(self.options["report_top"]))
            return {"algorithm": "thompson", "top": rows}
        return super()._report()

    def _report_columns(self) -> dict[str, np.ndarray]:
        return {"log_weight" if self._alg == "exp3" else "abs_slope": self._q}

    def _report_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"algorithm": self._alg}
        if self._alg == "window":
            extra["tasks_with_slope"] = int(self._tried.sum())
        return extra
