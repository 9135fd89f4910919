"""``space``: Self-Paced Context Evaluation (Eimer, Biedenkapp, Hutter, Lindauer, ICML 2021)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, Param
from pedagogy.spaces import Discrete
from pedagogy.teachers.base import Teacher, register


@register
class SPaCETeacher(Teacher[Discrete]):
    """SPaCE: train on a growing set of instances, ordered by how much the agent's value of them changes.

    Eimer, Biedenkapp, Hutter, Lindauer, "Self-Paced Context Evaluation for
    Contextual Reinforcement Learning", ICML 2021 (Algorithm 1; reference
    code automl/SPaCE, ``src/baselines_spl.py``).

    The instances are the tasks of a :class:`~pedagogy.spaces.Discrete`
    space.  The teacher keeps a *working set* of the first ``size``
    instances of an ordering, and proposes them round-robin (as the
    reference's environment wrapper cycles through its instance set).  It
    starts with one instance (the space's first).  One *iteration* is
    ``set_factor`` passes over the working set (``set_factor * size``
    observed episodes).  At its end:

    * the mean value ``V_t`` of the working set's instances is compared
      with the previous iteration's ``V_{t-1}``: if
      ``| |V_t| - |V_{t-1}| | <= threshold * |V_t|`` (progress has
      stalled), the working set grows by ``increment`` instances (up to the
      whole space);
    * every instance is ranked by the change of its value since the
      previous iteration, ``V_t(i) - V_{t-1}(i)``, largest first, and the
      working set becomes the first ``size`` instances of that ranking.

    The value of an instance is the last score observed on it; an instance
    never observed has value 0 (the reference starts its previous
    evaluations at 0), and ties keep the space's order, so unseen instances
    enter in the order the space lists them (list easy instances first if
    you know them).  The reference evaluates the critic on *every*
    instance's start state each iteration; a teacher only sees the
    instances it proposed, so an instance outside the working set keeps
    its last value (change 0) until it is proposed again.

    Score: the agent's value estimate ``V(s_0)`` of the instance's start
    state under the current policy — what SPaCE orders by.  The episode's
    return is an acceptable proxy (a Monte-Carlo estimate of that value);
    say so when you report results obtained with it.

    **Paper's settings.**  ``threshold`` (eta) 0.1, ``increment`` (kappa)
    1 and ``set_factor`` 1 are the reference's defaults, one instance at
    the start as there.  The reference trains ``100 * size`` environment
    steps per iteration; here an iteration is counted in episodes.
    """

    name = "space"
    description = "Self-Paced Context Evaluation: growing instance set ordered by value change, grown when progress stalls."
    paper = "Eimer, Biedenkapp, Hutter, Lindauer. Self-Paced Context Evaluation for Contextual Reinforcement Learning. ICML 2021"
    score_doc = "value estimate V(s0) of the instance's start state (an episode return is an acceptable proxy); any finite real"
    space_types = (Discrete,)
    params: ClassVar[dict[str, Param]] = {
        "threshold": Param(
            0.1,
            Interval(Real, 0, None),
            "eta: the set grows when the working set's mean value changes by at most this fraction (paper: 0.1)",
        ),
        "increment": Param(1, Interval(Integral, 1, None), "kappa: instances added when progress stalls (paper: 1)"),
        "set_factor": Param(
            1,
            Interval(Integral, 1, None),
            "passes over the working set per iteration (paper: 1)",
        ),
    }

    # ------------------------------------------------------------------ state
    def _setup(self) -> None:
        n = self.space.n
        self._n = n
        self._order = np.arange(n, dtype=np.int64)  # ranking of all instances
        self._size = 1
        self._value = np.zeros(n)  # last score per instance (0 = never observed)
        self._last = np.zeros(n)  # values at the previous iteration's end
        self._last_mean = 0.0
        self._cursor = 0  # round-robin position in the working set
        self._since = 0  # episodes observed in this iteration
        self._iterations = 0
        self._growths = 0

    def _get_state(self) -> dict[str, Any]:
        return {
            "order": self._order.tolist(),
            "size": self._size,
            "value": self._value.tolist(),
            "last": self._last.tolist(),
            "last_mean": self._last_mean,
            "cursor": self._cursor,
            "since": self._since,
            "iterations": self._iterations,
            "growths": self._growths,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._order = np.asarray(state["order"], dtype=np.int64).reshape(self._n)
        self._size = int(state["size"])
        self._value = np.asarray(state["value"], dtype=float).reshape(self._n)
        self._last = np.asarray(state["last"], dtype=float).reshape(self._n)
        self._last_mean = float(state["last_mean"])
        self._cursor = int(state["cursor"])
        self._since = int(state["since"])
        self._iterations = int(state["iterations"])
        self._growths = int(state["growths"])

    # ------------------------------------------------------------- algorithm
    def _propose(self, n: int) -> list[Any]:
        out = []
        for _ in range(n):
            out.append(int(self._order[self._cursor % self._size]))
            self._cursor = (self._cursor + 1) % self._size
        return out

    def _observe(self, task: Any, score: float) -> None:
        self._value[task] = score
        self._since += 1
        if self._since >= int(self.options["set_factor"]) * self._size:
            self._end_iteration()

    def _end_iteration(self) -> None:
        o = self.options
        working = self._order[: self._size]
        mean = float(np.mean(self._value[working]))
        delta = abs(abs(mean) - abs(self._last_mean))
        self._last_mean = mean
        if delta <= float(o["threshold"]) * abs(mean) and self._size < self._n:
            self._size = min(self._size + int(o["increment"]), self._n)
            self._growths += 1
        improvement = self._value - self._last
        self._order = np.argsort(-improvement, kind="stable").astype(np.int64)
        self._last = self._value.copy()
        self._cursor = 0
        self._since = 0
        self._iterations += 1

    def _report(self) -> dict[str, Any]:
        tasks = self.space.tasks
        working = self._order[: self._size].tolist()
        return {
            "working_set_size": self._size,
            "working_set": [tasks[i] for i in working[:50]],
            "iterations": self._iterations,
            "growths": self._growths,
            "mean_value": self._last_mean,
        }
