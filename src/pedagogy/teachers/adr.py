"""``adr``: Automatic Domain Randomization (OpenAI et al. 2019, "Solving Rubik's Cube with a Robot Hand")."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, Param, Satisfies
from pedagogy.spaces import Box
from pedagogy.teachers.base import Teacher, register

_LOWER, _UPPER = 0, 1

#: most boundary proposals remembered while their scores are outstanding (oldest forgotten first)
MAX_PENDING_BOUNDARY = 10_000


def _initial_ok(value: Any) -> bool:
    if isinstance(value, str):
        return value in ("centre", "low", "high")
    if isinstance(value, (list, tuple)) and value:
        return all(isinstance(v, Real) and not isinstance(v, bool) and np.isfinite(float(v)) for v in value)
    return False


@register
class ADRTeacher(Teacher[Box]):
    """ADR: grow a box of randomised task parameters outwards from one nominal task.

    OpenAI, Akkaya, Andrychowicz, et al., "Solving Rubik's Cube with a Robot
    Hand", arXiv 1910.07113, 2019 (Section 5, Algorithm 1, Automatic Domain
    Randomization); defaults the paper does not fix come from TeachMyAgent's
    ``ADR`` teacher (Romac et al., ICML 2021, ``teachers/algos/adr.py`` and
    its ``teacher_args_handler.py``).

    The teacher keeps, for every task dimension ``i``, a current range
    ``[phi_i^L, phi_i^H]`` inside the box.  Both start at one *nominal* task
    ``initial`` (the paper starts from a single, calibrated environment, so
    the initial distribution is a point).  A proposal is

    * with probability ``1 - boundary_prob``: every dimension uniform in its
      current range (ordinary training);
    * with probability ``boundary_prob``: a *boundary evaluation* — a
      dimension ``i`` is drawn uniformly, then its lower or upper side (each
      with probability 1/2), the task's ``i``-th coordinate is set to that
      boundary value and the other dimensions are uniform in their ranges.

    Only boundary evaluations feed the performance buffers ``D_i^L`` /
    ``D_i^H``: the teacher remembers which proposed tasks were boundary
    samples (up to 10,000 outstanding, matched on the task's exact
    coordinates; a task it did not propose counts as an ordinary training
    episode and is ignored).  When a buffer holds ``buffer_size`` scores its
    mean ``P`` is compared with the thresholds: ``P >= threshold_high``
    widens that side by ``step`` (times the box's width on that dimension),
    ``P <= threshold_low`` narrows it by ``step``; the buffer is then
    cleared.  Bounds are clipped to the box and a side never crosses the
    other.  A score that arrives after its boundary moved is dropped (it
    measured a boundary that no longer exists).

    ``observe`` expects the episode's performance, higher is better (the
    paper uses the number of successes per episode; a return, a success
    rate or a normalised score works the same way, with thresholds on its
    scale).

    **Paper's settings.**  Algorithm 1 of the paper (boundary sampling,
    per-side buffers of length ``m``, thresholds ``t_L < t_H``, step
    ``Delta``, buffers cleared after each check).  The paper's numbers are
    task-specific (thresholds in successes per episode, one step size per
    randomised physical parameter), so the defaults are TeachMyAgent's:
    ``buffer_size`` 10 (its ``queue_len``), ``step`` 0.1 (its
    ``step_size``, in task units there, a fraction of the box width here:
    the same on a unit box), ``boundary_prob`` 0.5 (the class default of
    TeachMyAgent's ``ADR``; its benchmark runs used 0.7), and the
    thresholds: TeachMyAgent's ``min_reward_thr`` 0 and ``max_reward_thr``
    180 on the walker tracks' return scale, mapped by its own
    ``scale_reward`` rescaling (returns in [-150, 350]) to 0.3 and 0.66 on
    a [0, 1] score.  ``initial="centre"``: the paper widens each parameter's
    range on both sides of its nominal value, which on a box with no other
    knowledge is the centre (TeachMyAgent draws a random point when it is
    given no initial distribution); pass ``"low"`` where the box's lower
    corner is the easy, nominal task (the grid scenarios unlock from it), or
    the nominal task's coordinates.

    Two choices are not the paper's, which randomises unbounded ranges: a
    boundary side already at the box's limit is skipped when the other side
    of that dimension can still move (as TeachMyAgent does), and if both
    sides are at the limit either is evaluated (so it can still narrow,
    where TeachMyAgent stops evaluating that dimension).
    """

    name = "adr"
    description = "Automatic Domain Randomization: widen/narrow per-dimension ranges from boundary performance."
    paper = "OpenAI et al. 2019, Solving Rubik's Cube with a Robot Hand (Automatic Domain Randomization), arXiv 1910.07113"
    score_doc = "performance of the episode, higher is better (successes, return, success rate), on the thresholds' scale"
    space_types = (Box,)
    params: ClassVar[dict[str, Param]] = {
        "initial": Param(
            "centre",
            Satisfies(_initial_ok, "'centre', 'low', 'high' or a list of the nominal task's coordinates"),
            "the nominal task both range ends start at ('centre' of the box, its 'low' or 'high' corner, or coordinates)",
        ),
        "step": Param(
            0.1,
            Interval(Real, 0, 1, closed="right"),
            "Delta: how far a boundary moves per update, as a fraction of the box width (TeachMyAgent: 0.1)",
        ),
        "buffer_size": Param(
            10,
            Interval(Integral, 1, None),
            "m: boundary scores averaged before a boundary is updated (TeachMyAgent's queue_len: 10)",
        ),
        "threshold_high": Param(
            0.66,
            Interval(Real),
            "t_H: mean boundary performance at or above which the range widens (TeachMyAgent's 180 rescaled to [0, 1])",
        ),
        "threshold_low": Param(
            0.3,
            Interval(Real),
            "t_L: mean boundary performance at or below which the range narrows (TeachMyAgent's 0 rescaled to [0, 1])",
        ),
        "boundary_prob": Param(
            0.5,
            Interval(Real, 0, 1),
            "p_b: probability that a proposal is a boundary evaluation (TeachMyAgent's class default: 0.5)",
        ),
    }

    def _check_options(self) -> None:
        o = self.options
        if not o["threshold_low"] < o["threshold_high"]:
            raise self._error(
                f"option 'threshold_low' must be below 'threshold_high', got {o['threshold_low']!r} >= {o['threshold_high']!r}"
            )
        init = o["initial"]
        if not isinstance(init, str):
            if len(init) != self.space.ndim:
                raise self._error(f"option 'initial' must have {self.space.ndim} coordinates, got {len(init)}")
            if not self.space.contains(np.asarray(init, dtype=float)):
                raise self._error(f"option 'initial' must be inside the space {self.space!r}, got {init!r}")

    # ------------------------------------------------------------------ state
    def _setup(self) -> None:
        space = self.space
        self._box_lo = np.array(space.low, dtype=float)
        self._box_hi = np.array(space.high, dtype=float)
        self._d = int(space.ndim)
        init = self.options["initial"]
        if init == "centre":
            x0 = (self._box_lo + self._box_hi) / 2.0
        elif init == "low":
            x0 = self._box_lo.copy()
        elif init == "high":
            x0 = self._box_hi.copy()
        else:
            x0 = np.asarray(init, dtype=float)
        self._step = float(self.options["step"]) * (self._box_hi - self._box_lo)
        self._m = int(self.options["buffer_size"])
        self._t_high = float(self.options["threshold_high"])
        self._t_low = float(self.options["threshold_low"])
        self._p_b = float(self.options["boundary_prob"])
        self._bounds = np.stack([x0.copy(), x0.copy()])  # row 0: phi^L, row 1: phi^H
        self._buffers: list[list[list[float]]] = [[[], []] for _ in range(self._d)]  # [dim][side] -> scores
        # task coordinates -> outstanding boundary evaluations [dim, side, boundary value at proposal]
        self._boundary: dict[tuple[float, ...], list[list[Any]]] = {}
        self._n_boundary = 0
        self._updates = 0
        self._episodes = 0

    def _get_state(self) -> dict[str, Any]:
        return {
            "bounds": self._bounds.tolist(),
            "buffers": [[list(s) for s in b] for b in self._buffers],
            "boundary": [[list(k), [list(e) for e in v]] for k, v in self._boundary.items()],
            "updates": self._updates,
            "episodes": self._episodes,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._bounds = np.asarray(state["bounds"], dtype=float).reshape(2, self._d)
        self._buffers = [[[float(x) for x in s] for s in b] for b in state["buffers"]]
        self._boundary = {tuple(float(x) for x in k): [[int(e[0]), int(e[1]), float(e[2])] for e in v] for k, v in state["boundary"]}
        self._n_boundary = sum(len(v) for v in self._boundary.values())
        self._updates = int(state["updates"])
        self._episodes = int(state["episodes"])

    # ------------------------------------------------------------- algorithm
    def _boundary_side(self, dim: int) -> int:
        """Pick the side of ``dim`` to evaluate: one that can still widen if any, else either."""
        lo_capped = self._bounds[_LOWER, dim] <= self._box_lo[dim]
        hi_capped = self._bounds[_UPPER, dim] >= self._box_hi[dim]
        if lo_capped != hi_capped:
            return _UPPER if lo_capped else _LOWER
        return _LOWER if self.rng.random() < 0.5 else _UPPER

    def _propose(self, n: int) -> list[Any]:
        out = []
        rng = self.rng
        lo, hi = self._bounds[_LOWER], self._bounds[_UPPER]
        width = hi - lo
        for _ in range(n):
            x = lo + rng.random(self._d) * width
            np.clip(x, lo, hi, out=x)  # rounding of lo + u * width must not step outside
            if rng.random() < self._p_b:
                dim = int(rng.integers(self._d))
                side = self._boundary_side(dim)
                value = float(self._bounds[side, dim])
                x[dim] = value
                key = tuple(x.tolist())
                self._boundary.setdefault(key, []).append([dim, side, value])
                self._n_boundary += 1
                if self._n_boundary > MAX_PENDING_BOUNDARY:  # forget the oldest outstanding evaluation
                    oldest = next(iter(self._boundary))
                    entries = self._boundary[oldest]
                    entries.pop(0)
                    if not entries:
                        del self._boundary[oldest]
                    self._n_boundary -= 1
            out.append(x)
        return out

    def _observe(self, task: Any, score: float) -> None:
        self._episodes += 1
        if not self._boundary:
            return
        key = tuple(task.tolist())
        entries = self._boundary.get(key)
        if entries is None:
            return  # an ordinary training episode: ADR does not learn from it
        dim, side, value = entries.pop(0)
        if not entries:
            del self._boundary[key]
        self._n_boundary -= 1
        if self._bounds[side, dim] != value:
            return  # the boundary moved since this task was proposed
        buf = self._buffers[dim][side]
        buf.append(score)
        if len(buf) < self._m:
            return
        mean = sum(buf) / len(buf)
        buf.clear()
        sign = -1.0 if side == _LOWER else 1.0  # direction that widens this side
        if mean >= self._t_high:
            delta = sign * self._step[dim]
        elif mean <= self._t_low:
            delta = -sign * self._step[dim]
        else:
            return
        b = self._bounds
        if side == _LOWER:
            new = min(max(b[_LOWER, dim] + delta, self._box_lo[dim]), b[_UPPER, dim])
        else:
            new = max(min(b[_UPPER, dim] + delta, self._box_hi[dim]), b[_LOWER, dim])
        # Snap rounding residue (0.5 - 5 * 0.1 is not 0.0) onto the box's faces and the other side.
        tol = 1e-9 * (self._box_hi[dim] - self._box_lo[dim])
        for edge in (self._box_lo[dim], self._box_hi[dim], b[1 - side, dim]):
            if abs(new - edge) <= tol:
                new = edge
        if new != b[side, dim]:
            b[side, dim] = new
            self._updates += 1
            # The other side's buffer keeps its scores: they measured that side, which did not move.

    def _report(self) -> dict[str, Any]:
        lo, hi = self._bounds
        return {
            "episodes": self._episodes,
            "updates": self._updates,
            "low": lo.tolist(),
            "high": hi.tolist(),
            "volume_fraction": float(np.prod((hi - lo) / (self._box_hi - self._box_lo))),
            "buffered": [[len(s) for s in b] for b in self._buffers],
            "outstanding_boundary_evaluations": self._n_boundary,
        }
