"""``alp-gmm``: Absolute Learning Progress with Gaussian Mixture Models (Portelas et al., CoRL 2019)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import fdtrc  # survival function of the F distribution (scipy.stats is a heavy import)

from pedagogy.params import Interval, Nullable, Param
from pedagogy.teachers._gmm import Mixture
from pedagogy.teachers._gmm_teacher import GMMTeacher
from pedagogy.teachers.base import register


def _squared_distances(XT: np.ndarray, x: np.ndarray, dims: np.ndarray) -> np.ndarray:
    """Squared distances from ``x`` (D,) to the columns of ``XT`` (D, m), over the dimensions ``dims``.

    Points are stored by coordinate (a row per dimension) so that each term
    is one pass over a contiguous row: several times faster than a
    (m, D) difference for the few dimensions of a task box.
    """
    j = dims[0]
    d2 = np.square(XT[j] - x[j])
    for j in dims[1:]:
        d2 += np.square(XT[j] - x[j])
    return d2


def relevant_dimensions(XT: np.ndarray, scores: np.ndarray, alpha: float, bins: int = 10) -> np.ndarray:
    """The dimensions of the unit-box tasks ``XT`` (D, n) that the ``scores`` depend on.

    For each dimension, a one-way analysis of variance of the scores across
    ``bins`` equal bins of that coordinate; a dimension is kept when its
    F-test rejects "no effect" at level ``alpha / D`` (Bonferroni over the D
    tests).  Every dimension is kept while the evidence is too thin to tell
    (fewer than 20 tasks per bin, constant scores) or when none passes, so an
    uninformative history never narrows the search.
    """
    D, n = XT.shape
    every = np.arange(D)
    if n < 20 * bins:
        return every
    mean = float(scores.mean())
    total = float(np.square(scores - mean).sum())
    if not total > 0.0:
        return every
    keep = []
    for j in range(D):
        b = np.minimum((XT[j] * bins).astype(np.intp), bins - 1)
        counts = np.bincount(b, minlength=bins)
        sums = np.bincount(b, weights=scores, minlength=bins)
        filled = counts > 0
        between = float((sums[filled] ** 2 / counts[filled]).sum() - n * mean * mean)
        groups = int(filled.sum())
        within = total - between
        if groups < 2 or not within > 0.0:
            keep.append(j)  # the bins explain every bit of the variance
            continue
        F = (between / (groups - 1)) / (within / (n - groups))
        if fdtrc(groups - 1, n - groups, F) < alpha / D:
            keep.append(j)
    return np.asarray(keep, dtype=np.intp) if keep else every


class _NearestHistory:
    """(task, score) history with nearest-neighbour look-up.

    Old points are searched by brute force while there are at most
    ``TREE_FROM`` of them, and otherwise through a KD-tree rebuilt every
    ``buffer_size`` additions (the reference's buffered dataset); the most
    recent ones are always searched by brute force.  At most ``max_size``
    old points are kept (the oldest are dropped at each rebuild), so memory
    is bounded; ``max_size=None`` keeps every point (the reference's
    default), so memory grows with the episodes.
    """

    #: old points from which a KD-tree beats a brute-force pass
    TREE_FROM = 4096

    def __init__(self, dim: int, max_size: int | None, buffer_size: int):
        self.dim = dim
        self.max_size = max_size
        self.buffer_size = buffer_size
        self.old_xT = np.empty((dim, 0))
        self.old_r = np.empty(0)
        self.new_xT = np.empty((dim, buffer_size))
        self.new_r = np.empty(buffer_size)
        self.count = 0
        self.tree: cKDTree | None = None
        #: the dimensions distances are measured over
        self.dims = np.arange(dim)

    def __len__(self) -> int:
        return self.old_r.shape[0] + self.count

    def set_dims(self, dims: np.ndarray) -> None:
        """Measure distances over ``dims`` from now on."""
        if not np.array_equal(dims, self.dims):
            self.dims = np.asarray(dims, dtype=np.intp)
            self._build()

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """Every stored task (D, m) and its score (m,), oldest first."""
        return (
            np.concatenate([self.old_xT, self.new_xT[:, : self.count]], axis=1),
            np.concatenate([self.old_r, self.new_r[: self.count]]),
        )

    def nearest_score(self, x: np.ndarray) -> float:
        """Score of the nearest stored task (ties: the older one, as in the reference)."""
        best_d, best_r = np.inf, 0.0
        if self.tree is not None:
            d, i = self.tree.query(x[self.dims])
            best_d, best_r = d * d, self.old_r[i]
        elif self.old_r.shape[0]:
            d2 = _squared_distances(self.old_xT, x, self.dims)
            i = int(d2.argmin())
            best_d, best_r = d2[i], self.old_r[i]
        if self.count:
            d2 = _squared_distances(self.new_xT[:, : self.count], x, self.dims)
            j = int(d2.argmin())
            if d2[j] < best_d:
                best_r = self.new_r[j]
        return float(best_r)

    def add(self, x: np.ndarray, r: float) -> None:
        if self.count == self.buffer_size:
            self._flush()
        self.new_xT[:, self.count] = x
        self.new_r[self.count] = r
        self.count += 1

    def _flush(self) -> None:
        self.old_xT = np.concatenate([self.old_xT, self.new_xT[:, : self.count]], axis=1)
        self.old_r = np.concatenate([self.old_r, self.new_r[: self.count]])
        if self.max_size is not None:
            self.old_xT = self.old_xT[:, -self.max_size :]
            self.old_r = self.old_r[-self.max_size :]
        self.old_xT = np.ascontiguousarray(self.old_xT)
        self.count = 0
        self._build()

    def _build(self) -> None:
        self.tree = cKDTree(self.old_xT[self.dims].T) if self.old_r.shape[0] > self.TREE_FROM else None

    def state(self) -> dict[str, Any]:
        return {
            "old_x": self.old_xT.T.tolist(),
            "old_r": self.old_r.tolist(),
            "new_x": self.new_xT[:, : self.count].T.tolist(),
            "new_r": self.new_r[: self.count].tolist(),
        }

    def load(self, s: dict[str, Any]) -> None:
        self.old_xT = np.ascontiguousarray(np.asarray(s["old_x"], dtype=float).reshape(-1, self.dim).T)
        self.old_r = np.asarray(s["old_r"], dtype=float).reshape(-1)
        self.count = len(s["new_r"])
        if self.count:
            self.new_xT[:, : self.count] = np.asarray(s["new_x"], dtype=float).reshape(-1, self.dim).T
            self.new_r[: self.count] = np.asarray(s["new_r"], dtype=float)
        self._build()


class _RecentTasks:
    """Ring of the last ``size`` (task, score) pairs, searched by brute force."""

    def __init__(self, dim: int, size: int):
        self.dim = dim
        self.size = size
        self.xT = np.empty((dim, size))
        self.r = np.empty(size)
        self.n = 0  # additions so far; the next one goes to slot n % size

    def nearest(self, x: np.ndarray, dims: np.ndarray) -> tuple[float, float]:
        """Squared distance over ``dims`` to, and score of, the nearest stored task (the first in storage order on ties)."""
        m = min(self.n, self.size)
        d2 = _squared_distances(self.xT[:, :m], x, dims)
        j = int(d2.argmin())
        return float(d2[j]), float(self.r[j])

    def add(self, x: np.ndarray, r: float) -> None:
        i = self.n % self.size
        self.xT[:, i] = x
        self.r[i] = r
        self.n += 1

    def state(self) -> dict[str, Any]:
        m = min(self.n, self.size)
        return {"n": self.n, "x": self.xT[:, :m].T.tolist(), "r": self.r[:m].tolist()}

    def load(self, s: dict[str, Any]) -> None:
        self.n = int(s["n"])
        m = min(self.n, self.size)
        if m:
            self.xT[:, :m] = np.asarray(s["x"], dtype=float).reshape(m, self.dim).T
            self.r[:m] = np.asarray(s["r"], dtype=float).reshape(m)


@register
class ALPGMMTeacher(GMMTeacher):
    """ALP-GMM: sample tasks where the absolute learning progress is high.

    Portelas, Colas, Hofmann, Oudeyer, "Teacher algorithms for curriculum
    learning of Deep RL in continuously parameterized environments", CoRL 2019
    (arXiv:1910.07224); reference code: flowersteam/teachDeepRL.

    Each observed task gets an *absolute learning progress* (ALP): the absolute
    difference between its score and the score of the nearest previously
    observed task (Euclidean distance in the box rescaled to the unit cube);
    by default also against the nearest of the last ``alp_recent_size`` tasks,
    keeping the larger value (see that option).
    Every ``fit_rate`` episodes, Gaussian mixtures with ``potential_ks``
    components are fitted by EM on the last ``fit_rate`` points
    ``(task, ALP)`` and the best one by AIC is kept.  A proposal is then, with
    probability ``random_task_ratio``, a uniform task; otherwise a component is
    drawn with probability proportional to its mean ALP and a task is sampled
    from its Gaussian over the task dimensions, clipped to the box.  Before
    the first fit (``nb_bootstrap`` episodes) tasks are uniform.

    ``observe`` expects a reward-like score, higher is better (episodic return,
    success rate, normalised score...).  ALP is an absolute difference of
    scores, so its scale follows the score's.

    **Paper's settings.**  ``fit_rate``, ``nb_bootstrap``,
    ``random_task_ratio``, ``potential_ks``, ``gmm_fitness``, ``nb_em_init``
    and ``alp_buffer_size`` default to the paper's (and the reference code's)
    values.  Three defaults depart from it: ``alp_max_size`` (paper: ``None``,
    every past task), ``alp_recent_size`` (paper: ``None``, no recent
    comparison) and ``relevance_alpha`` (paper: ``None``, every task
    parameter in the fit).  ``teachers.make("alp-gmm", box, preset="paper")``
    sets all three to ``None`` and is the paper's ALP-GMM;
    ``alp_recent_radius`` then has no effect.  Side by side with the reference code (``grid-2d``, 20,000
    episodes, seeds 0-2, % cubes mastered, benchmarks/reference_teachers.py):
    reference 36.7, ``preset="paper"`` 37.7, defaults 76.3.

    Why the history and progress options are what they are
    -------------------------------------------------------
    (Each option's default, rule and the paper's value are in the generated
    *Options* section below.)

    ``alp_max_size``
        Past tasks searched for the nearest neighbour: the last
        ``alp_max_size`` to ``alp_max_size + alp_buffer_size`` episodes.
        ``None`` keeps every past task, as the reference does: memory and the
        saved state then grow by ``D + 1`` floats per episode (D task
        dimensions; about 24 bytes in memory and 60 characters of JSON per
        episode on a 2-D box), and each KD-tree rebuild costs
        ``O(n log n)`` in the ``n`` episodes so far.  A bound keeps memory
        constant, and a shorter one makes ALP measure *recent* change:
        with a long history the nearest neighbour is often a stale episode, so
        ALP stays high where nothing is learned any more.  Too short, and the
        neighbour is far away and noise dominates slow progress.  Measured
        (20,000 episodes of the paper's 2-D grid, 4 seeds, % cubes mastered):
        10,000 -> 35 %, 1,000 -> 52 %, 500 -> 66 %, 250 -> 82 %, 100 -> 90 %;
        but below 1,000 the teacher no longer finds a slowly, noisily
        improving region within 2,000 episodes (tests/test_learning_progress),
        hence 1,000.  Use ~100 for fast learners with sharp competence steps.
    ``alp_buffer_size``
        Recent tasks searched by brute force; older ones sit in a KD-tree
        rebuilt every ``alp_buffer_size`` episodes (the reference's buffered
        nearest-neighbour search, same size).
    ``alp_recent_size``
        ALP at two time scales: a task's ALP is the larger of the paper's ALP
        (against the nearest task of the long history above) and
        ``|score - score of the nearest of the last alp_recent_size tasks|``
        (if that task lies within ``alp_recent_radius``).  ``None`` gives the
        paper's ALP alone (against the history ``alp_max_size`` keeps).  Why:
        the long history keeps slow, noisy progress
        visible (the comparison with an older visit spans more practice); the
        short one reaches farther in the task space, so the border between
        mastered tasks and tasks not learned yet stands out and the sampling
        follows a moving frontier instead of drilling mastered tasks.  With
        the paper's ALP alone, more than half of the episodes of the 2-D grid
        went to cubes already at full competence.  Measured (full budgets,
        the 3 seeds of ``pedagogy bench``, % cubes mastered, paper's ALP ->
        default): grid-2d 50 -> 79, grid-2d with score noise 0.1
        32 -> 55, forgetting 35 -> 44, slow-learner 31 -> 42, rugged 24 -> 25,
        high-dim 55 -> 55, mostly-unlearnable, mostly-trivial and
        fast-learner 100 -> 100; the slow two-region test of
        tests/test_learning_progress passes either way.
    ``relevance_alpha``
        Before each fit, a one-way analysis of variance of the scores of the
        stored tasks across ten bins of each task parameter; a parameter is
        kept when its F-test is significant at ``relevance_alpha / D``
        (Bonferroni).  The mixture, the nearest-neighbour ALP and the recent
        radius then use only the kept parameters, and the others are drawn
        uniformly; every parameter is kept while the evidence is too thin or
        none passes.  Why: parameters that change nothing make every
        neighbour far away and spread the mixtures over useless dimensions
        (``high-dim``).  The result is a teacher that behaves on the relevant
        parameters as it would without the others: on a smaller grid where
        that blur happened to help, it is then below the paper's setting
        (docs/results/relevance.md).  ``None``: every parameter, as in
        the paper.
    ``alp_recent_radius``
        The recent comparison is skipped when the nearest recent task is
        farther than this (Euclidean distance in the box rescaled to the unit
        cube; ``None``: no limit).  Far away, a score difference says nothing
        about progress at this task: without the limit, with 8 irrelevant task
        parameters (every neighbour far), the mastered share fell by about 2
        points (9 seeds).  Unused when ``alp_recent_size`` is None.
    """

    name = "alp-gmm"
    description = "Absolute learning progress + Gaussian mixtures over a continuous task box."
    paper = "Portelas, Colas, Hofmann, Oudeyer. Teacher algorithms for curriculum learning of Deep RL in continuously parameterized environments. CoRL 2019 (arXiv:1910.07224)"
    params: ClassVar[dict[str, Param]] = {
        **GMMTeacher.params,
        "alp_max_size": Param(
            1000,
            Nullable(Interval(Integral, 1, None)),
            "past tasks kept for the nearest-neighbour ALP; None: all of them (memory grows)",
            paper=None,
            why="a bounded history keeps memory constant and ALP recent (grid-2d: 35 % mastered at 10,000, 52 % at 1,000)",
        ),
        "alp_buffer_size": Param(
            500,
            Interval(Integral, 1, None),
            "recent tasks searched by brute force before the KD-tree is rebuilt (paper: 500)",
        ),
        "alp_recent_size": Param(
            100,
            Nullable(Interval(Integral, 1, None)),
            "also compare with the nearest of the last N tasks and keep the larger ALP; None: the paper's ALP alone",
            paper=None,
            why="follows the moving frontier of competence (grid-2d, 3 seeds: 50 -> 79 % mastered)",
        ),
        "relevance_alpha": Param(
            0.01,
            Nullable(Interval(Real, 0, 1, closed="neither")),
            "fit and sample only the task dimensions the score depends on (ANOVA F-test at this level); None: every dimension",
            paper=None,
            why="irrelevant task parameters blur the nearest-neighbour ALP and the mixtures (docs/results/relevance.md: high-dim 54 % -> 76 % mastered)",
        ),
        "alp_recent_radius": Param(
            0.3,
            Nullable(Interval(Real, 0, None, closed="neither")),
            "skip the recent comparison beyond this unit-box distance; None: no limit (unused without alp_recent_size)",
        ),
    }
    extra_columns = 1  # the ALP

    def _gmm_setup(self) -> None:
        o = self.options
        self._history = _NearestHistory(self._d, o["alp_max_size"], int(o["alp_buffer_size"]))
        rs = o["alp_recent_size"]
        self._recent = None if rs is None else _RecentTasks(self._d, int(rs))
        rad = o["alp_recent_radius"]
        self._radius2 = np.inf if rad is None else float(rad) ** 2

    def _gmm_state(self) -> dict[str, Any]:
        return {"history": self._history.state(), "recent": None if self._recent is None else self._recent.state()}

    def _gmm_load(self, state: dict[str, Any]) -> None:
        self._history.dims = self._fit_dims.copy()
        self._history.load(state["history"])
        if self._recent is not None:
            self._recent.load(state["recent"])

    def _choose_fit_dims(self) -> np.ndarray:
        alpha = self.options["relevance_alpha"]
        if alpha is None or self._d == 1:
            return self._fit_dims
        XT, r = self._history.points()
        dims = relevant_dimensions(XT, r, float(alpha))
        self._history.set_dims(dims)
        return dims

    def _fill_row(self, row: np.ndarray, u: np.ndarray, score: float) -> None:
        # The reference returns ALP 0 until a few tasks have been seen.
        alp = 0.0
        if len(self._history) > 5:
            alp = abs(score - self._history.nearest_score(u))
            if self._recent is not None:
                d2, r = self._recent.nearest(u, self._fit_dims)
                if d2 <= self._radius2:  # farther, it is no longer the same place
                    alp = max(alp, abs(score - r))
        self._history.add(u, score)
        if self._recent is not None:
            self._recent.add(u, score)
        row[self._d] = alp

    def _interest_of(self, gmm: Mixture) -> np.ndarray:
        """A component's mean ALP (its last mean coordinate), as in the paper."""
        return np.maximum(gmm.means[:, -1], 0.0)

    def _component_report(self, mean: np.ndarray, cov: np.ndarray, interest: float) -> dict[str, Any]:
        return {"alp": float(mean[-1])}
