"""``sequential``: a hand-written ordered curriculum that advances on a mastery threshold."""

from __future__ import annotations

from collections import deque
from numbers import Integral, Real
from typing import Any, cast

import numpy as np

from pedagogy.params import Interval, ListOf, Nullable, Param, Satisfies
from pedagogy.spaces import Box, Discrete, SkillGraph
from pedagogy.teachers.base import Teacher, register

#: stages of the default Box curriculum (equal slices along the first dimension)
BOX_DEFAULT_STAGES = 5


@register
class SequentialTeacher(Teacher[Box | Discrete]):
    """Hand-ordered curriculum: practise one stage until mastered, then move on.

    The classic manual curriculum (Bengio et al. 2009, "Curriculum learning";
    the hand-crafted baseline of Matiisen et al. 2017, TSCL): an ordered list of
    stages; proposals are uniform within the current stage; once the mean of
    the last ``window`` scores observed on the current stage reaches
    ``threshold``, the teacher moves to the next stage (the window restarts).
    The last stage is kept once mastered.  Scores of tasks outside the
    current stage are counted but do not move the window.

    ``curriculum`` (option): a list of stages.

    * Discrete / SkillGraph: each stage is a task or a list of tasks.  Default:
      for a SkillGraph, its skills in topological order (with items, each item
      joins the stage of its last-learnt skill); for a Discrete with
      ``difficulty``, one stage per difficulty level, easiest first; otherwise
      one task per stage in the space's order.
    * Box: each stage is a sub-box ``[low, high]`` (two lists of ``ndim``
      numbers, or two numbers for a 1-D box) inside the space.  Default: the
      box cut into 5 equal slices along the *first* dimension, low to high
      (assumes the first parameter is the difficulty knob).

    Score: any finite real on the scale of ``threshold`` (default: a success
    rate in [0, 1]).
    """

    name = "sequential"
    description = "Hand-written ordered curriculum; advance when the windowed mean score passes a threshold."
    paper = "Bengio et al. 2009, Curriculum learning (ICML); manual-curriculum baseline of Matiisen et al. 2017"
    score_doc = "any finite real on the scale of `threshold` (default: success rate in [0, 1])"
    large_discrete = True
    space_types = (Box, Discrete)
    params = {
        "curriculum": Param(None, Nullable(ListOf(Satisfies(lambda v: v is not None, "a stage"))), "ordered stages (default: see above)"),
        "threshold": Param(0.8, Interval(Real), "windowed mean score that moves to the next stage"),
        "window": Param(20, Interval(Integral, 1), "scores averaged on a stage before it can be passed"),
    }

    def _check_options(self) -> None:
        self._stages = self._build_stages(self.options["curriculum"])

    # ------------------------------------------------------------ stages
    def _build_stages(self, cur: list[Any] | None) -> list[Any]:
        sp = self.space
        if isinstance(sp, Box):
            if cur is None:
                edges = np.linspace(sp.low[0], sp.high[0], BOX_DEFAULT_STAGES + 1)
                out = []
                for k in range(BOX_DEFAULT_STAGES):
                    lo, hi = sp.low.copy(), sp.high.copy()
                    lo[0], hi[0] = edges[k], edges[k + 1]
                    out.append((lo, hi))
                return out
            return [self._box_stage(k, st) for k, st in enumerate(cur)]
        assert isinstance(sp, Discrete)
        if cur is None:
            return self._default_discrete()
        stages = []
        for k, st in enumerate(cur):
            names = st if isinstance(st, list) else [st]
            if not names:
                raise self._error(f"curriculum stage {k} is empty")
            idx = []
            for name in names:
                if isinstance(name, (list, dict)) or not sp.contains(name):
                    raise self._error(f"curriculum stage {k}: task {name!r} is not in the space {sp!r}")
                idx.append(sp.index(name))
            if len(set(idx)) != len(idx):
                raise self._error(f"curriculum stage {k} lists a task twice")
            stages.append(np.asarray(idx, dtype=np.int64))
        return stages

    def _box_stage(self, k: int, st: Any) -> tuple[np.ndarray, np.ndarray]:
        sp = self.space
        assert isinstance(sp, Box)
        try:
            lo = np.asarray(st[0], dtype=float).reshape(-1)
            hi = np.asarray(st[1], dtype=float).reshape(-1)
            ok = len(st) == 2
        except (TypeError, ValueError, IndexError, KeyError):
            ok = False
        if not ok or lo.size != sp.ndim or hi.size != sp.ndim:
            raise self._error(f"curriculum stage {k} must be a sub-box [low, high] with {sp.ndim} numbers each, got {st!r}")
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))) or np.any(lo > hi):
            raise self._error(f"curriculum stage {k}: need finite low <= high, got {st!r}")
        if np.any(lo < sp.low) or np.any(hi > sp.high):
            raise self._error(f"curriculum stage {k}: sub-box {st!r} is not inside the space {sp!r}")
        return lo, hi

    def _default_discrete(self) -> list[np.ndarray]:
        sp = self.space
        assert isinstance(sp, Discrete)
        if isinstance(sp, SkillGraph):
            by_skill: list[list[int]] = [[] for _ in sp.skills]
            for i, t in enumerate(sp.tasks):
                last = max(sp.skill_index(s) for s in sp.skills_of(t))
                by_skill[last].append(i)
            return [np.asarray(g, dtype=np.int64) for g in by_skill if g]
        if sp.difficulty is not None:
            levels = np.unique(sp.difficulty)
            return [np.flatnonzero(sp.difficulty == d) for d in levels]
        return [np.asarray([i], dtype=np.int64) for i in range(sp.n)]

    def _setup(self) -> None:
        self._stage = 0
        self._window: deque[float] = deque(maxlen=int(self.options["window"]))
        self._members = self._member_set(0)

    def _member_set(self, k: int) -> set[int] | None:
        st = self._stages[k]
        return None if isinstance(st, tuple) else set(st.tolist())

    def _in_stage(self, task: Any) -> bool:
        st = self._stages[self._stage]
        if isinstance(st, tuple):
            return bool(np.all(task >= st[0]) and np.all(task <= st[1]))
        return task in self._members  # type: ignore[operator]

    # ---------------------------------------------------------------- hooks
    def _propose(self, n: int) -> list[Any]:
        st = self._stages[self._stage]
        if isinstance(st, tuple):
            return list(self.rng.uniform(st[0], st[1], size=(n, st[0].size)))
        return st[self.rng.integers(st.size, size=n)].tolist()

    def _observe(self, task: Any, score: float) -> None:
        if not self._in_stage(task):
            return
        self._window.append(score)
        w = int(self.options["window"])
        if len(self._window) == w and self._stage + 1 < len(self._stages):
            if sum(self._window) / w >= float(self.options["threshold"]):
                self._stage += 1
                self._window.clear()
                self._members = self._member_set(self._stage)

    def _get_state(self) -> dict[str, Any]:
        return {"stage": self._stage, "window": list(self._window)}

    def _set_state(self, state: dict[str, Any]) -> None:
        stage = int(state["stage"])
        if not 0 <= stage < len(self._stages):
            raise IndexError(f"stage {stage} out of range")
        self._stage = stage
        self._window = deque((float(x) for x in state["window"]), maxlen=int(self.options["window"]))
        self._members = self._member_set(stage)

    def _report(self) -> dict[str, Any]:
        st = self._stages[self._stage]
        if isinstance(st, tuple):
            desc: Any = {"low": st[0].tolist(), "high": st[1].tolist()}
        else:
            names = [cast(Discrete, self.space).tasks[i] for i in st[:20].tolist()]
            desc = {"tasks": names, "n_tasks": int(st.size)}
        mean = sum(self._window) / len(self._window) if self._window else None
        last = self._stage + 1 == len(self._stages)
        return {
            "stage": self._stage,
            "n_stages": len(self._stages),
            "current": desc,
            "windowed_mean": mean,
            "window_fill": len(self._window),
            "mastered_last": bool(
                last and mean is not None and len(self._window) == int(self.options["window"]) and mean >= float(self.options["threshold"])
            ),
        }
