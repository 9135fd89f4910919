"""A continuous task space cut into hyper-cubes that unlock one after another.

:class:`GridLearner` is the toy learner of the ALP-GMM paper (Portelas, Colas,
Hofmann, Oudeyer, "Teacher algorithms for curriculum learning of Deep RL in
continuously parameterized environments", CoRL 2019, the ``toy_env`` of
flowersteam/teachDeepRL) with the options needed for the challenges of
TeachMyAgent (Romac et al., ICML 2021): unlearnable regions, mostly trivial
spaces, rugged difficulty, irrelevant dimensions, forgetting and learners of
different speeds.  The scenarios built on it are registered at the bottom.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from functools import partial
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, Nullable, OneOf, Rule
from pedagogy.sim.base import Learner, Scenario, register_scenario
from pedagogy.sim.split import draw_with, register_variants
from pedagogy.sim.targets import Final, RatioOfFinals, Target
from pedagogy.spaces import Box

__all__ = ["GridLearner"]

_MAX_CUBES = 1_000_000  # keeps the per-cube lists (and evaluate) small and fast
_NOISE_BLOCK = 4096  # Gaussian noise is drawn in blocks: one numpy call per 4096 episodes


_NONNEG_INT = Interval(Integral, 0)
_FRACTION = Interval(Real, 0, 1)
_NONNEG = Interval(Real, 0)
_POSITIVE = Interval(Real, 0, None, closed="neither")


class GridLearner(Learner):
    """Hyper-cubes of a unit box that are learned by practice, unlocking from one corner.

    What it models: an agent whose competence on a task depends only on the
    region ("cube") of the task-parameter space the task falls in, and that can
    only start learning a region once it masters an easier adjacent region —
    the toy environment of ALP-GMM (Portelas et al., CoRL 2019).

    Dynamics (one :meth:`practice` call = one episode):

    * The first ``dims`` parameters are cut into ``cubes_per_dim`` equal bins
      each; the other ``irrelevant_dims`` parameters are ignored.
    * A cube's competence starts at 0.  Practising a task inside an *unlocked*
      cube adds ``increment`` (times the cube's rate) up to ``cap``; practice
      in a locked cube changes nothing.
    * Cube ``(0, .., 0)`` is unlocked.  Another cube is unlocked while one of
      its *previous neighbours* is mastered — a cube whose coordinates each
      equal the cube's or are one smaller (not all equal), as in the reference
      toy environment (so diagonal predecessors count).  Unlocking is re-checked
      at every episode, so with forgetting a cube can lock again.
    * A cube is *mastered* while its competence is ``>= threshold``.  (The
      reference counts a cube as mastered above 75 but unlocks at 75; one
      threshold is used for both here.)
    * ``unlock="axis"``: only the previous neighbours along one axis count
      (no diagonal predecessors), a slower, more chain-like unlocking.
    * ``start_corner``: the box corner the unlocking starts from, one bit per
      relevant dimension (bit ``d`` set: dimension ``d``'s bins are mirrored,
      so the start is at its top); 0 is the origin, as in the reference.
    * ``unlearnable_fraction`` of the cubes, those farthest from the start
      corner (largest coordinate sum, ties broken by flat index; the layout does
      not depend on the seed), can never be learned: their competence stays 0
      and they unlock nothing.
    * ``trivial_fraction`` of the cubes, those nearest to the start corner, are
      always unlocked and mastered by a single episode (increment = cap).
    * ``forgetting``: after every episode each cube that was not practised
      loses that much competence (floored at 0).  Applied lazily from the
      episode a cube was last touched, so practice stays O(1).
    * ``difficulty="rugged"``: difficulty is not monotone in the parameters —
      each relevant dimension's bins are shuffled (so the unlocking chain jumps
      around the box) and every cube gets its own learning rate, log-uniform in
      [1/2, 2].  The layout comes from ``layout_seed`` (default: ``seed``).

    Score (what the teacher sees): the practised cube's competence after the
    episode divided by ``cap`` (in [0, 1]), plus ``noise`` times a standard
    Gaussian, clipped to [0, 1] — a normalised episodic return.

    :meth:`oracle_task`: the centre of the easiest cube that is learnable,
    unlocked and not mastered (fewest episodes left to mastery, then nearest
    the start corner); when every learnable cube is mastered, the one with
    the lowest competence (review, which matters under forgetting).

    :meth:`evaluate` returns ``mastered_fraction`` = mastered cubes / *all*
    cubes (the "% mastered cubes" of the ALP-GMM paper), and also
    ``mastered_learnable_fraction`` (mastered / learnable cubes),
    ``mean_competence`` (mean competence / cap over all cubes) and
    ``unlocked_fraction`` (unlocked learnable cubes / all cubes).

    Parameters
    ----------
    dims:
        Relevant dimensions (default 2).
    cubes_per_dim:
        Bins per relevant dimension (default 10, so 100 cubes in 2-D).
    irrelevant_dims:
        Extra task parameters that have no effect (default 0).
    unlearnable_fraction, trivial_fraction:
        Fractions of the cubes (rounded to whole cubes) that are unlearnable
        or trivial, see above.  The start cube cannot be unlearnable.
    noise:
        Standard deviation of the Gaussian noise on the score (default 0, as
        in the reference experiments).
    forgetting:
        Competence lost per episode by every cube not practised (default 0).
    increment, cap, threshold:
        Competence gained per episode in an unlocked cube (default 1), its
        maximum (default 100) and the mastery threshold (default 75), the
        reference's values.
    difficulty:
        ``"monotone"`` (default) or ``"rugged"``.
    layout_seed:
        Seed of the rugged layout; ``None`` uses ``seed``.
    unlock:
        ``"diagonal"`` (default, the reference's rule) or ``"axis"``, see above.
    start_corner:
        The start corner as a bit mask over the relevant dimensions (default 0, the origin).
    seed:
        Seed of the score noise.
    """

    space: Box

    parameters: ClassVar[Mapping[str, Rule]] = {
        "dims": Interval(Integral, 1),
        "cubes_per_dim": Interval(Integral, 1),
        "irrelevant_dims": _NONNEG_INT,
        "unlearnable_fraction": _FRACTION,
        "trivial_fraction": _FRACTION,
        "noise": _NONNEG,
        "forgetting": _NONNEG,
        "increment": _POSITIVE,
        "cap": _POSITIVE,
        "threshold": _POSITIVE,
        "difficulty": OneOf("monotone", "rugged"),
        "layout_seed": Nullable(_NONNEG_INT),
        "unlock": OneOf("diagonal", "axis"),
        "start_corner": _NONNEG_INT,
        "seed": _NONNEG_INT,
    }

    def __init__(
        self,
        dims: int = 2,
        cubes_per_dim: int = 10,
        irrelevant_dims: int = 0,
        unlearnable_fraction: float = 0.0,
        trivial_fraction: float = 0.0,
        noise: float = 0.0,
        forgetting: float = 0.0,
        increment: float = 1.0,
        cap: float = 100.0,
        threshold: float = 75.0,
        difficulty: str = "monotone",
        layout_seed: int | None = None,
        unlock: str = "diagonal",
        start_corner: int = 0,
        seed: int = 0,
    ):
        self._check_parameters(
            dims=dims,
            cubes_per_dim=cubes_per_dim,
            irrelevant_dims=irrelevant_dims,
            unlearnable_fraction=unlearnable_fraction,
            trivial_fraction=trivial_fraction,
            noise=noise,
            forgetting=forgetting,
            increment=increment,
            cap=cap,
            threshold=threshold,
            difficulty=difficulty,
            layout_seed=layout_seed,
            unlock=unlock,
            start_corner=start_corner,
            seed=seed,
        )
        dims, n, irrelevant_dims, seed = int(dims), int(cubes_per_dim), int(irrelevant_dims), int(seed)
        unlearnable_fraction, trivial_fraction = float(unlearnable_fraction), float(trivial_fraction)
        noise, forgetting, increment, cap, threshold = float(noise), float(forgetting), float(increment), float(cap), float(threshold)
        if n**dims > _MAX_CUBES:
            raise self._error(f"cubes_per_dim**dims = {n}**{dims} cubes is more than {_MAX_CUBES:,}")
        if threshold > cap:
            raise self._error(f"threshold ({threshold}) must not exceed cap ({cap})")
        if layout_seed is not None:
            layout_seed = int(layout_seed)
        start_corner = int(start_corner)
        if start_corner >= 2**dims:
            raise self._error(f"start_corner must be < 2**dims = {2**dims} (one bit per relevant dimension), got {start_corner}")
        self.unlock, self.start_corner = str(unlock), start_corner

        total = n**dims
        n_unlearnable = round(unlearnable_fraction * total)
        n_trivial = round(trivial_fraction * total)
        if n_unlearnable >= total:
            raise self._error(f"unlearnable_fraction={unlearnable_fraction} leaves no learnable cube (the start cube must be learnable)")
        if n_unlearnable + n_trivial > total:
            raise self._error(f"unlearnable_fraction + trivial_fraction = {unlearnable_fraction + trivial_fraction} is more than 1")

        self.dims = dims
        self.cubes_per_dim = n
        self.irrelevant_dims = irrelevant_dims
        self.unlearnable_fraction = unlearnable_fraction
        self.trivial_fraction = trivial_fraction
        self.noise = noise
        self.forgetting = forgetting
        self.increment = increment
        self.cap = cap
        self.threshold = threshold
        self.difficulty = difficulty
        self.n_cubes = total
        self.seed = seed
        self.rng = np.random.default_rng(seed)

        names = [f"x{i}" for i in range(dims)] + [f"irrelevant{i}" for i in range(irrelevant_dims)]
        self.space = Box([0.0] * (dims + irrelevant_dims), [1.0] * (dims + irrelevant_dims), names=names)

        # Layout.  Cubes are indexed in *logical* coordinates (the unlocking
        # order); bins of the box map to logical coordinates through _perm.
        layout_rng = np.random.default_rng(seed if layout_seed is None else layout_seed)
        if difficulty == "rugged":
            self._perm = [[int(v) for v in layout_rng.permutation(n)] for _ in range(dims)]
            rate = np.exp(layout_rng.uniform(math.log(0.5), math.log(2.0), size=total))
        else:
            self._perm = [list(range(n)) for _ in range(dims)]
            rate = np.ones(total)
        for d in range(dims):
            if start_corner >> d & 1:  # the start corner is at the top of dimension d: its bins are mirrored
                self._perm[d] = self._perm[d][::-1]
        coords = np.array(list(np.ndindex(*(n,) * dims)), dtype=np.int64)[:, ::-1]  # coords[flat] with dim 0 fastest
        order = np.lexsort((np.arange(total), coords.sum(axis=1)))  # nearest to the start corner first
        learnable = np.ones(total, dtype=bool)
        if n_unlearnable:
            learnable[order[total - n_unlearnable :]] = False
        trivial = np.zeros(total, dtype=bool)
        trivial[order[:n_trivial]] = True
        self._coords = coords
        self._learnable_arr = learnable
        self._trivial_arr = trivial
        self.n_learnable = int(learnable.sum())

        # Per-call state lives in Python lists: indexing them is much cheaper than numpy scalars.
        gain = np.where(trivial, cap, increment * rate)
        self._gain: list[float] = gain.tolist()
        self._learnable: list[bool] = learnable.tolist()
        self._always_unlocked: list[bool] = trivial.tolist()
        self._always_unlocked[0] = True
        self._comp: list[float] = [0.0] * total
        self._last: list[int] = [0] * total  # episode at which _comp was last written (lazy forgetting)
        self._unlocked_cache: list[bool] = list(self._always_unlocked)  # used only without forgetting
        self._prev: dict[int, list[int]] = {}
        self._next: dict[int, list[int]] = {}
        self._strides = [n**d for d in range(dims)]
        self.episodes = 0
        self._noise_buf: list[float] = []
        self._noise_pos = 0

    # ------------------------------------------------------------ neighbours
    def _neighbours(self, cube: int, step: int) -> list[int]:
        """Cubes whose coordinates equal ``cube``'s or differ by ``step`` (+1 or -1), not all equal."""
        c = self._coords[cube]
        n = self.cubes_per_dim
        out = []
        for delta in itertools.product((0, step), repeat=self.dims):
            if not any(delta) or (self.unlock == "axis" and sum(1 for v in delta if v) > 1):
                continue
            other = c + np.array(delta)
            if np.all((other >= 0) & (other < n)):
                out.append(int(sum(int(v) * s for v, s in zip(other, self._strides))))
        return out

    def _previous(self, cube: int) -> list[int]:
        prev = self._prev.get(cube)
        if prev is None:
            # Only learnable cubes can ever be mastered, so only they can unlock.
            prev = [j for j in self._neighbours(cube, -1) if self._learnable[j]]
            self._prev[cube] = prev
        return prev

    # -------------------------------------------------------------- dynamics
    def cube_of(self, task: Any) -> int:
        """Flat (logical) index of the cube ``task`` falls in; ``ValueError`` if it is not in the box."""
        xs = task.tolist() if isinstance(task, np.ndarray) else list(task)
        if len(xs) != self.dims + self.irrelevant_dims:
            raise self._error(f"a task has {self.dims + self.irrelevant_dims} parameters, got {len(xs)}")
        n = self.cubes_per_dim
        cube = 0
        for d, v in enumerate(xs):
            if not 0.0 <= v <= 1.0:  # also rejects NaN
                raise self._error(f"task parameter {d} = {v!r} is outside [0, 1]")
            if d < self.dims:
                b = int(v * n)
                cube += self._perm[d][b if b < n else n - 1] * self._strides[d]
        return cube

    def _competence_now(self, cube: int, t: int) -> float:
        """Competence of ``cube`` after episode ``t`` (lazy forgetting)."""
        c = self._comp[cube]
        if self.forgetting and c > 0.0:
            c -= self.forgetting * (t - self._last[cube])
            c = max(c, 0.0)
        return c

    def _is_unlocked(self, cube: int, t: int) -> bool:
        """Whether ``cube`` is unlocked after episode ``t``."""
        if self._always_unlocked[cube]:
            return True
        if not self.forgetting:
            return self._unlocked_cache[cube]
        thr = self.threshold
        return any(self._competence_now(j, t) >= thr for j in self._previous(cube))

    def _on_mastered(self, cube: int) -> None:
        """Without forgetting, mastery is permanent: unlock the cube's successors once."""
        succ = self._next.get(cube)
        if succ is None:
            succ = self._neighbours(cube, +1)
            self._next[cube] = succ
        for j in succ:
            self._unlocked_cache[j] = True

    def practice(self, task: Any) -> float:
        """One episode on ``task`` (a point of :attr:`space`); returns the noisy normalised competence."""
        cube = self.cube_of(task)
        t = self.episodes + 1
        if self._learnable[cube]:
            comp = self._competence_now(cube, t - 1)
            if self._is_unlocked(cube, t - 1):
                was = comp
                comp = min(comp + self._gain[cube], self.cap)
                if not self.forgetting and was < self.threshold <= comp:
                    self._on_mastered(cube)
            self._comp[cube] = comp
            self._last[cube] = t
        else:
            comp = 0.0
        self.episodes = t
        score = comp / self.cap
        if self.noise:
            if self._noise_pos >= len(self._noise_buf):
                self._noise_buf = self.rng.standard_normal(_NOISE_BLOCK).tolist()
                self._noise_pos = 0
            score += self.noise * self._noise_buf[self._noise_pos]
            self._noise_pos += 1
            score = 0.0 if score < 0.0 else (min(score, 1.0))
        return score

    # ------------------------------------------------------------ evaluation
    def competence(self) -> np.ndarray:
        """Current competence / cap of every cube, shape ``(cubes_per_dim,) * dims`` in *box* bin order."""
        comp = np.asarray(self._comp, dtype=float)
        if self.forgetting:
            comp = np.maximum(0.0, comp - self.forgetting * (self.episodes - np.asarray(self._last)))
        n = self.cubes_per_dim
        logical = comp.reshape((n,) * self.dims, order="F") / self.cap  # flat index has dim 0 fastest
        # Logical coordinates -> box bins: bin b of dim d holds logical index perm[d][b].
        return logical[np.ix_(*self._perm)]

    def evaluate(self) -> dict[str, float]:
        """Ground truth: see the class docstring for the keys."""
        comp = np.asarray(self._comp, dtype=float)
        if self.forgetting:
            comp = np.maximum(0.0, comp - self.forgetting * (self.episodes - np.asarray(self._last)))
        mastered = int(np.count_nonzero(comp >= self.threshold))
        unlocked = sum(1 for c in range(self.n_cubes) if self._learnable[c] and self._is_unlocked(c, self.episodes))
        return {
            "mastered_fraction": mastered / self.n_cubes,
            "mastered_learnable_fraction": mastered / self.n_learnable,
            "mean_competence": float(comp.mean() / self.cap),
            "unlocked_fraction": unlocked / self.n_cubes,
        }

    def _oracle_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(previous learnable neighbours padded with -1, rank nearest the start corner, gain per episode), built once."""
        tables = getattr(self, "_oracle_cache", None)
        if tables is None:
            prev = [self._previous(c) for c in range(self.n_cubes)]
            width = max(1, max(len(p) for p in prev))
            padded = np.full((self.n_cubes, width), -1, dtype=np.int64)
            for c, p in enumerate(prev):
                padded[c, : len(p)] = p
            order = np.lexsort((np.arange(self.n_cubes), self._coords.sum(axis=1)))
            rank = np.empty(self.n_cubes, dtype=np.int64)
            rank[order] = np.arange(self.n_cubes)
            tables = self._oracle_cache = (padded, rank, np.asarray(self._gain, dtype=float))
        return tables

    def oracle_task(self) -> np.ndarray:
        """The centre of the cube an all-seeing teacher practises now (see the class docstring); irrelevant parameters at 0.5."""
        prev, rank, gain = self._oracle_tables()
        comp = np.asarray(self._comp, dtype=float)
        if self.forgetting:
            comp = np.maximum(0.0, comp - self.forgetting * (self.episodes - np.asarray(self._last)))
        learnable = self._learnable_arr
        mastered = (comp >= self.threshold) & learnable
        if self.forgetting:
            padded_mastered = np.append(mastered, False)  # index -1 (padding) reads False
            unlocked = np.asarray(self._always_unlocked) | padded_mastered[prev].any(axis=1)
        else:
            unlocked = np.asarray(self._unlocked_cache) | np.asarray(self._always_unlocked)
        todo = np.flatnonzero(learnable & unlocked & ~mastered)
        if todo.size:
            left = np.ceil((self.threshold - comp[todo]) / gain[todo] - 1e-9)  # episodes still needed
            cube = int(todo[np.lexsort((rank[todo], left))[0]])
        else:
            pool = np.flatnonzero(learnable)
            cube = int(pool[np.lexsort((rank[pool], comp[pool]))[0]])
        n = self.cubes_per_dim
        centre = []
        for d in range(self.dims):
            logical = int(self._coords[cube][d])
            b = self._perm[d].index(logical)  # the box bin holding this logical coordinate
            centre.append((b + 0.5) / n)
        return np.array(centre + [0.5] * self.irrelevant_dims)

    def __repr__(self) -> str:
        return (
            f"GridLearner(dims={self.dims}, cubes_per_dim={self.cubes_per_dim}, irrelevant_dims={self.irrelevant_dims}, "
            f"unlearnable={self.n_cubes - self.n_learnable}/{self.n_cubes}, difficulty={self.difficulty!r})"
        )


# ---------------------------------------------------------------- scenarios
# Budgets: ``full`` is the ALP-GMM paper's 20,000 episodes on its 2-D grid;
# ``quick`` keeps every grid scenario x every box teacher x 3 seeds at about
# two minutes of one core (measured: 8,000 episodes took 0.3-3.8 s per run
# for random, riac, covar-gmm, alp-gmm, sequential).  20 evaluations = one
# every 1,000 episodes in full, the paper's score step.
_QUICK = 6000
_FULL = 20000


#: the ALP-GMM paper's figures on its 2-D toy grid, set at 20,000 episodes
GRID_TARGETS = (
    Target("best teacher masters >= 90 % of the space", Final(key="mastered_fraction"), 0.90, ">="),
    Target("alp-gmm masters > 35 %", Final(teacher="alp-gmm", key="mastered_fraction"), 0.35, ">"),
)


def _draw_grid(options: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """A variant of a grid family: another size, learning speed, score noise, infeasible region, unlock rule, start corner and layout.

    The family's own setting (its unlearnable share, trivial share, forgetting,
    irrelevant dimensions, difficulty) is kept, rates are scaled around it.
    """
    p = dict(options)
    p["cubes_per_dim"] = int(rng.choice([8, 10, 12]))
    p["increment"] = round(float(options.get("increment", 1.0) * np.exp(rng.uniform(-0.4, 0.4))), 3)
    p["noise"] = float(rng.choice([0.0, 0.05, 0.1]))
    if "unlearnable_fraction" not in options and "trivial_fraction" not in options and rng.random() < 0.5:
        p["unlearnable_fraction"] = round(float(rng.uniform(0.1, 0.3)), 2)  # an infeasible far side
    if "forgetting" in options:
        p["forgetting"] = round(float(options["forgetting"] * np.exp(rng.uniform(-0.5, 0.5))), 5)
    p["layout_seed"] = int(rng.integers(2**31))
    p["unlock"] = str(rng.choice(["diagonal", "axis"]))
    p["start_corner"] = int(rng.integers(2 ** int(options.get("dims", 2))))
    return p


def _describe_grid(p: dict[str, Any]) -> str:
    n = p["cubes_per_dim"]
    parts = [f"{n}x{n} cubes" if p.get("dims", 2) == 2 else f"{n} bins per dim", f"increment {p['increment']:g}", f"noise {p['noise']:g}"]
    for key in ("unlearnable_fraction", "trivial_fraction", "forgetting", "irrelevant_dims"):
        if key in p:
            parts.append(f"{key.replace('_', ' ')} {p[key]:g}")
    parts.append(f"{p['unlock']} unlocking from corner {p['start_corner']}")
    if p.get("difficulty") == "rugged":
        parts.append("rugged layout")
    return ", ".join(parts)


def _grid_scenario(
    name: str,
    description: str,
    metric: str = "mastered_fraction",
    targets: tuple[Target, ...] = (),
    judged_budget: int | None = None,
    **options: Any,
) -> Scenario:
    def factory(seed: int) -> GridLearner:
        return GridLearner(seed=seed, **options)

    factory.__doc__ = f"GridLearner({', '.join(f'{k}={v!r}' for k, v in options.items())}, seed=seed)"
    register_variants(name, draw_with(GridLearner, partial(_draw_grid, options), _describe_grid))
    return register_scenario(
        Scenario(
            name=name,
            description=description,
            factory=factory,
            budget_quick=_QUICK,
            budget_full=_FULL,
            evaluations=20,
            metric=metric,
            tags=("grid", "box"),
            targets=targets,
            judged_budget=judged_budget,
        )
    )


_grid_scenario(
    "grid-2d", "ALP-GMM toy grid: 10x10 cubes unlocking from a corner (Portelas et al. 2019)", targets=GRID_TARGETS, judged_budget=_FULL
)
_grid_scenario(
    "mostly-unlearnable",
    "80% of the grid (the far side) can never be learned",
    metric="mastered_learnable_fraction",
    targets=(Target("best teacher's final mastered_learnable_fraction >= 3x random's", RatioOfFinals("random"), 3.0, ">="),),
    unlearnable_fraction=0.8,
)
_grid_scenario("mostly-trivial", "80% of the grid is mastered after a single episode", trivial_fraction=0.8)
_grid_scenario("rugged", "difficulty not monotone: shuffled unlocking chain and irregular learning rates", difficulty="rugged")
_grid_scenario("high-dim", "2 relevant + 8 irrelevant task parameters", irrelevant_dims=8)
_grid_scenario("forgetting", "unpractised cubes lose 0.005 competence per episode", forgetting=0.005)
_grid_scenario("slow-learner", "half the learning rate (150 episodes to master a cube)", increment=0.5)
_grid_scenario("fast-learner", "four times the learning rate (19 episodes to master a cube)", increment=4.0)
