"""``spdl``: Self-Paced Deep Reinforcement Learning (Klink, Abdulsamad, Belousov, Peters, NeurIPS 2020)."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from pedagogy.params import Interval, Nullable, Param, Satisfies
from pedagogy.spaces import Box
from pedagogy.teachers._gmm import box_geometry
from pedagogy.teachers.base import Teacher, register

_LOG_STD_MIN = math.log(1e-4)  # in unit-box coordinates: keeps the covariance invertible
_LOG_STD_MAX = math.log(10.0)
_FAR = 100.0  # bound on the mean's distance to the unit box and on L's off-diagonal entries (never reached)
_MAXITER = 50  # SLSQP iterations per update (2-D problems converge in 15-40)
_LINE_SEARCH = 10  # halvings of the step towards an infeasible SLSQP answer


def _coords_ok(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(float(v)) for v in value)
    )


_COORDS = Nullable(Satisfies(_coords_ok, "a list of coordinates"))


def _std_ok(value: Any) -> bool:
    values = value if isinstance(value, (list, tuple)) else [value]
    return _coords_ok(values) and all(float(v) > 0 for v in values)


_STD = Satisfies(_std_ok, "a number > 0 or a list of them, one per dimension")


class _Gauss:
    """A Gaussian in unit-box coordinates from the flat parameters ``[mean, log diag(L), tril(L) below]``."""

    __slots__ = ("chol", "d", "logdet", "mean", "prec")

    def __init__(self, x: np.ndarray, d: int, tril: tuple[np.ndarray, np.ndarray]) -> None:
        self.d = d
        self.mean = x[:d]
        chol = np.diag(np.exp(x[d : 2 * d]))
        chol[tril] = x[2 * d :]
        self.chol = chol
        inv = np.linalg.inv(chol)
        self.prec = inv.T @ inv
        self.logdet = 2.0 * float(np.sum(x[d : 2 * d]))

    @property
    def cov(self) -> np.ndarray:
        return self.chol @ self.chol.T

    def log_pdf(self, u: np.ndarray) -> np.ndarray:
        z = np.linalg.solve(self.chol, (u - self.mean).T)  # (d, n)
        return -0.5 * (np.sum(z * z, axis=0) + self.logdet + self.d * math.log(2.0 * math.pi))


def _kl(p: _Gauss, q: _Gauss) -> float:
    """KL(p || q) of two Gaussians."""
    diff = q.mean - p.mean
    return 0.5 * float(np.trace(q.prec @ p.cov) + diff @ q.prec @ diff - p.d + q.logdet - p.logdet)


def _flat_grad(g_mean: np.ndarray, g_chol: np.ndarray, chol: np.ndarray, tril: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Gradient in the flat parameters from the gradients in the mean and in the Cholesky factor."""
    return np.concatenate([g_mean, np.diag(g_chol) * np.diag(chol), g_chol[tril]])


def _kl_grad_first(p: _Gauss, q: _Gauss, tril: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """d KL(p || q) / d (p's flat parameters)."""
    g_mean = q.prec @ (p.mean - q.mean)
    g_chol = q.prec @ p.chol - np.diag(1.0 / np.diag(p.chol))
    return _flat_grad(g_mean, g_chol, p.chol, tril)


def _kl_grad_second(p: _Gauss, q: _Gauss, tril: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """d KL(p || q) / d (q's flat parameters)."""
    diff = q.mean - p.mean
    g_mean = q.prec @ diff
    a = p.cov + np.outer(diff, diff)
    g_chol = -q.prec @ a @ q.prec @ q.chol + np.diag(1.0 / np.diag(q.chol))
    return _flat_grad(g_mean, g_chol, q.chol, tril)


@register
class SPDLTeacher(Teacher[Box]):
    """SPDL: a Gaussian task distribution moved towards a target as fast as the learner's performance allows.

    Klink, Abdulsamad, Belousov, Peters, "Self-Paced Deep Reinforcement
    Learning", NeurIPS 2020; the constrained form of its update is the one
    of the authors' journal version (Klink, Abdulsamad, Belousov, D'Eramo,
    Peters, Pajarinen, "A Probabilistic Interpretation of Self-Paced
    Learning with Applications to Reinforcement Learning", JMLR 2021) and
    of their code (psclklnk/spdl, ``SelfPacedTeacherV2``).  TeachMyAgent's
    ``self_paced_teacher.py`` supplies the defaults for a box with no
    expert knowledge.

    Tasks are drawn from ``p_nu = N(mean, L L^T)`` over the box (in its
    unit-cube coordinates) and **clipped** into the box, as in both
    reference implementations (the clipped task is the one recorded and
    scored).  The ``update_every`` episodes observed since the last update
    (their tasks ``c_k`` and scores ``v_k``) are used, then forgotten, at
    each update.  Their expected performance under a candidate ``p`` is the
    importance-weighted estimate ``J(p) = mean_k p(c_k) / p_nu(c_k) * v_k``;
    the value of a task is the episode's observed score (the paper uses the
    critic's value of the episode's initial state; pass that as the score
    if you have it, a return is the Monte-Carlo estimate of it).  Then:

    * if ``J(p_nu) >= performance_lb``: minimise ``KL(p || mu)`` (``mu``
      the target) subject to ``J(p) >= performance_lb`` and
      ``KL(p_nu || p) <= max_kl``;
    * else, if the bound was never reached: maximise ``J(p)`` subject to
      ``KL(p_nu || p) <= max_kl`` (move to where the learner does well);
    * else keep ``p_nu``.

    The optimiser is scipy's SLSQP over the mean, the log-diagonal and the
    lower triangle of ``L``; a result that breaks a constraint or does not
    improve the objective is discarded (as the reference does).  The first
    ``update_offset`` updates are skipped.  Everything is deterministic
    given the data, so a resumed teacher continues exactly.

    **Paper's settings.**  ``max_kl`` 0.05 (epsilon of every experiment in
    the papers' code) and ``update_offset`` 5 (its ``OFFSET``) are the
    paper's.  Its ``V_LB`` is task-specific (3.5 on point-mass returns, 42.5
    on ball catching), so ``performance_lb`` 0.5 is this library's choice
    for scores in [0, 1].  An SPDL iteration is one batch of the RL
    algorithm (2048-5000 environment steps there; 100,000 steps in
    TeachMyAgent); ``update_every`` 100 episodes is this library's choice.
    Without expert knowledge TeachMyAgent starts from a Gaussian at a random
    point of the box with standard deviations of 10 % of its width and
    targets a Gaussian at the centre with standard deviations of a quarter
    of the width (about 95 % of it inside the box): the defaults here
    (``initial_mean=None`` draws the point from the teacher's seed);
    ``target_mean`` / ``target_std`` (one standard deviation, or one per
    dimension) give any other diagonal Gaussian as the target.  The
    references' optional lower bound on the standard deviation (with its
    KL threshold) is not implemented.

    ``observe`` expects the episode's value or return, higher is better, on
    the scale of ``performance_lb``.
    """

    name = "spdl"
    description = "Self-Paced Deep RL: Gaussian task distribution pushed to a target under a performance bound."
    paper = "Klink, Abdulsamad, Belousov, Peters. Self-Paced Deep Reinforcement Learning. NeurIPS 2020 (constrained update: JMLR 2021)"
    score_doc = "value (or return) of the episode, higher is better, on the scale of performance_lb (default: in [0, 1])"
    space_types = (Box,)
    params: ClassVar[dict[str, Param]] = {
        "performance_lb": Param(
            0.5,
            Interval(Real),
            "V_LB: expected score the distribution must keep while it moves to the target (paper: task-specific)",
        ),
        "max_kl": Param(
            0.05,
            Interval(Real, 0, None, closed="neither"),
            "epsilon: bound on KL(old || new) per update (paper: 0.05)",
        ),
        "update_every": Param(
            100,
            Interval(Integral, 2, None),
            "episodes between two updates; the update uses these episodes (paper: one RL batch)",
        ),
        "update_offset": Param(5, Interval(Integral, 0, None), "updates skipped at the start (paper: 5)"),
        "initial_mean": Param(
            None,
            _COORDS,
            "the initial distribution's mean (task units); None: a random point of the box (TeachMyAgent)",
        ),
        "initial_std": Param(
            0.1,
            _STD,
            "the initial standard deviations, as fractions of the box width (TeachMyAgent: 0.1)",
        ),
        "target_mean": Param(None, _COORDS, "the target's mean (task units); None: the box's centre (TeachMyAgent)"),
        "target_std": Param(
            0.25,
            _STD,
            "the target's standard deviations, as fractions of the box width (TeachMyAgent: 0.25)",
        ),
    }

    def _check_options(self) -> None:
        for key in ("initial_mean", "target_mean", "initial_std", "target_std"):
            v = self.options[key]
            if isinstance(v, (list, tuple)) and len(v) != self.space.ndim:
                raise self._error(f"option {key!r} must have {self.space.ndim} values, got {len(v)}")

    # ------------------------------------------------------------------ state
    def _setup(self) -> None:
        o = self.options
        self._d, self._low, self._span = box_geometry(self.space)
        d = self._d
        self._tril = np.tril_indices(d, -1)
        self._n_params = 2 * d + len(self._tril[0])
        if o["initial_mean"] is None:
            m0 = self.rng.random(d)
        else:
            m0 = (np.asarray(o["initial_mean"], dtype=float) - self._low) / self._span
        t0 = np.full(d, 0.5) if o["target_mean"] is None else (np.asarray(o["target_mean"], dtype=float) - self._low) / self._span
        self._x = self._flat(m0, o["initial_std"])
        self._target = _Gauss(self._flat(t0, o["target_std"]), d, self._tril)
        self._every = int(o["update_every"])
        self._buf_u: list[list[float]] = []
        self._buf_v: list[float] = []
        self._episodes = 0
        self._updates = 0  # update points reached (offset included)
        self._moves = 0  # updates that changed the distribution
        self._reached = False  # the performance bound was met once
        self._last_j: float | None = None
        self._prepare()

    def _flat(self, mean: np.ndarray, std: float | list[float]) -> np.ndarray:
        """Flat parameters of a diagonal Gaussian; ``std`` in fractions of the box width (one or one per dimension)."""
        x = np.zeros(self._n_params)
        x[: self._d] = mean
        x[self._d : 2 * self._d] = np.log(np.broadcast_to(np.asarray(std, dtype=float), (self._d,)))
        return x

    def _prepare(self) -> None:
        self._dist = _Gauss(self._x, self._d, self._tril)

    def _get_state(self) -> dict[str, Any]:
        return {
            "x": self._x.tolist(),
            "buf_u": [list(u) for u in self._buf_u],
            "buf_v": list(self._buf_v),
            "episodes": self._episodes,
            "updates": self._updates,
            "moves": self._moves,
            "reached": self._reached,
            "last_j": self._last_j,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._x = np.asarray(state["x"], dtype=float).reshape(self._n_params)
        self._buf_u = [[float(a) for a in u] for u in state["buf_u"]]
        self._buf_v = [float(v) for v in state["buf_v"]]
        self._episodes = int(state["episodes"])
        self._updates = int(state["updates"])
        self._moves = int(state["moves"])
        self._reached = bool(state["reached"])
        self._last_j = None if state["last_j"] is None else float(state["last_j"])
        self._prepare()

    # ------------------------------------------------------------- algorithm
    def _propose(self, n: int) -> list[Any]:
        g = self._dist
        z = self.rng.standard_normal((n, self._d))
        u = np.clip(g.mean + z @ g.chol.T, 0.0, 1.0)
        x = np.clip(self._low + u * self._span, self.space.low, self.space.high)
        return list(x)

    def _observe(self, task: Any, score: float) -> None:
        self._buf_u.append(((task - self._low) / self._span).tolist())
        self._buf_v.append(score)
        self._episodes += 1
        if len(self._buf_v) >= self._every:
            self._updates += 1
            if self._updates > int(self.options["update_offset"]):
                # One BLAS thread: SLSQP's small dense algebra is ~10x slower on several busy cores.
                with threadpool_limits(limits=1, user_api="blas"):
                    self._update(np.asarray(self._buf_u), np.asarray(self._buf_v))
            self._buf_u.clear()
            self._buf_v.clear()

    def _update(self, u: np.ndarray, v: np.ndarray) -> None:
        d, tril = self._d, self._tril
        old = self._dist
        old_logp = old.log_pdf(u)
        lb = float(self.options["performance_lb"])
        eps = float(self.options["max_kl"])
        target = self._target
        cache: dict[bytes, _Gauss] = {}

        def gauss(x: np.ndarray) -> _Gauss:
            # SLSQP asks for the objective, the constraints and their gradients at the same point.
            key = x.tobytes()
            g = cache.get(key)
            if g is None:
                if len(cache) > 8:
                    cache.clear()
                g = cache[key] = _Gauss(x, d, tril)
            return g

        def perf_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
            g = gauss(x)
            w = np.exp(np.minimum(g.log_pdf(u) - old_logp, 50.0))
            a = w * v / len(v)
            r = (u - g.mean) @ g.prec  # rows: P (c_k - m)
            g_mean = a @ r
            g_chol = (r.T * a) @ r @ g.chol - float(np.sum(a)) * np.diag(1.0 / np.diag(g.chol))
            return float(np.sum(a)), _flat_grad(g_mean, g_chol, g.chol, tril)

        def perf(x: np.ndarray) -> float:
            return perf_and_grad(x)[0]

        def trust(x: np.ndarray) -> float:
            return eps - _kl(old, gauss(x))

        def trust_grad(x: np.ndarray) -> np.ndarray:
            return -_kl_grad_second(old, gauss(x), tril)

        x0 = self._x.copy()
        j0 = perf(x0)
        self._last_j = j0
        trust_con = {"type": "ineq", "fun": trust, "jac": trust_grad}
        if j0 >= lb:
            self._reached = True

            def objective(x: np.ndarray) -> float:
                return _kl(gauss(x), target)

            def objective_grad(x: np.ndarray) -> np.ndarray:
                return _kl_grad_first(gauss(x), target, tril)

            perf_con = {"type": "ineq", "fun": lambda x: perf(x) - lb, "jac": lambda x: perf_and_grad(x)[1]}
            constraints: list[dict[str, Any]] = [trust_con, perf_con]
        elif not self._reached:

            def objective(x: np.ndarray) -> float:
                return -perf(x)

            def objective_grad(x: np.ndarray) -> np.ndarray:
                return -perf_and_grad(x)[1]

            constraints = [trust_con]
        else:
            return
        # Finite bounds on every parameter: scipy's SLSQP is orders of magnitude slower with open ones.
        bounds = [(-_FAR, 1.0 + _FAR)] * d + [(_LOG_STD_MIN, _LOG_STD_MAX)] * d + [(-_FAR, _FAR)] * (self._n_params - 2 * d)
        with np.errstate(all="ignore"):
            try:
                res = minimize(
                    objective,
                    x0,
                    jac=objective_grad,
                    method="SLSQP",
                    bounds=bounds,
                    constraints=constraints,
                    options={"maxiter": _MAXITER, "ftol": 1e-9},
                )
                x_opt = np.asarray(res.x, dtype=float)
            except (ValueError, np.linalg.LinAlgError):
                return
            if not np.all(np.isfinite(x_opt)):
                return
            f0 = objective(x0)

            def acceptable(x: np.ndarray) -> bool:
                try:
                    return all(c["fun"](x) >= -1e-9 for c in constraints) and objective(x) < f0
                except np.linalg.LinAlgError:
                    return False

            # SLSQP's answer if it keeps the constraints and improves; else the longest step towards it
            # that does (a backtracking line search, as TeachMyAgent's conjugate-gradient step ends with).
            x, ok = x_opt, acceptable(x_opt)
            alpha = 1.0
            for _ in range(_LINE_SEARCH):
                if ok:
                    break
                alpha *= 0.5
                x = x0 + alpha * (x_opt - x0)
                ok = acceptable(x)
        if ok:
            self._x = x
            self._moves += 1
            self._prepare()

    def _report(self) -> dict[str, Any]:
        g = self._dist
        scale = np.outer(self._span, self._span)
        return {
            "episodes": self._episodes,
            "updates": self._updates,
            "moves": self._moves,
            "mean": (self._low + g.mean * self._span).tolist(),
            "covariance": (g.cov * scale).tolist(),
            "kl_to_target": _kl(g, self._target),
            "performance_lb_reached": self._reached,
            "last_expected_performance": self._last_j,
        }
