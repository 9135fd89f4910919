"""``goal-gan``: Goal GAN (Florensa, Held, Geng, Abbeel, ICML 2018); needs torch (``pip install 'pedagogy[torch]'``)."""

from __future__ import annotations

import itertools
import math
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, Nullable, Param
from pedagogy.spaces import Box
from pedagogy.teachers._gmm import box_geometry
from pedagogy.teachers.base import Teacher, register

#: most generated goals remembered while their rollouts are outstanding (oldest forgotten first)
MAX_PENDING_GOALS = 10_000

# LSGAN targets of the paper (Mao et al.'s a, b, c): unlabelled / generated -> a, good goals -> b, generator -> c.
_A, _B, _C = -1.0, 1.0, 0.0
_BATCH = 64  # reference: batch_size 64
_LR = 1e-3  # reference: RMSProp, learning rate 0.001
_DECAY = 0.9  # RMSProp decay and epsilon of TensorFlow 1, which the reference used
_EPS = 1e-10


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError("teacher 'goal-gan' needs torch: pip install 'pedagogy[torch]'") from exc
    return torch


class _OneThread:
    """Run torch on one thread inside the block: tiny networks are many times slower on several busy cores."""

    def __enter__(self) -> None:
        t = _torch()
        self._prev = t.get_num_threads()
        if self._prev != 1:
            t.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        if self._prev != 1:
            _torch().set_num_threads(self._prev)


def _xavier(rng: np.random.Generator, sizes: list[int]) -> list[np.ndarray]:
    """Weights (Xavier-uniform, as the reference) and zero biases of an MLP with layer sizes ``sizes``."""
    out: list[np.ndarray] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        a = math.sqrt(6.0 / (fan_in + fan_out))
        out.append(rng.uniform(-a, a, size=(fan_in, fan_out)))
        out.append(np.zeros(fan_out))
    return out


@register
class GoalGANTeacher(Teacher[Box]):
    """Goal GAN: a generator of goals of intermediate difficulty, trained adversarially on labelled past goals.

    Florensa, Held, Geng, Abbeel, "Automatic Goal Generation for
    Reinforcement Learning Agents", ICML 2018 (arXiv 1705.06366); the
    reference code is rllab-curriculum, as used by psclklnk/spdl and
    TeachMyAgent (``teachers/algos/goal_gan.py``, ``teachers/utils/gan/``).

    Tasks (goals) are points of the box.  A generator ``G(z)`` (an MLP,
    noise of the box's dimension, ReLU hidden layers, tanh output onto the
    box) proposes goals with Gaussian noise of ``noise_level`` times the
    box width added (then clipped to the box).  Each generated goal is
    proposed ``n_rollouts`` times in a row; the mean of its scores is its
    success, and it is labelled a *goal of intermediate difficulty* (GOID)
    when ``success_low <= success <= success_high``.  A goal whose success
    is above ``success_high`` joins the buffer of old goals (if it is
    farther than ``old_goal_distance`` times the box's diagonal from every
    goal there).  With probability ``p_old`` a proposal is instead an old
    goal with the same noise (to avoid forgetting).

    Every ``update_size`` labelled goals (if any is a GOID), the
    discriminator ``D`` and the generator are trained for ``gan_iterations``
    steps of the least-squares GAN of the paper: ``D`` minimises
    ``y (D(g) - b)^2 + (1 - y) (D(g) - a)^2`` on the labelled goals plus
    ``(D(G(z)) - a)^2`` on generated ones, ``G`` minimises
    ``(D(G(z)) - c)^2`` with ``a, b, c = -1, 1, 0`` (the reference code
    uses ``c = 1``).  Both use RMSProp (learning rate 0.001, as the
    reference, with TensorFlow 1's accumulators) on batches of 64.  The
    labelled goals are then forgotten.

    Only generated goals are labelled: the teacher remembers the ones whose
    rollouts are outstanding (up to 10,000, matched on exact coordinates);
    other observations are ignored.  torch is imported when the teacher is
    built; the networks' weights and the optimiser's accumulators are part
    of the saved state (plain JSON), and every random draw (weights'
    initialisation included) comes from the teacher's seed, so a resumed
    teacher continues exactly.

    ``observe`` expects the episode's success: 0/1, or a success rate or
    probability in [0, 1].

    **Paper's settings.**  ``success_low`` 0.1 and ``success_high`` 0.9 are
    the paper's (TeachMyAgent ran 0.25 / 0.75).  From the reference code:
    ``n_rollouts`` 2, ``update_size`` 100, ``p_old`` 0.2, ``noise_level``
    0.01 and ``old_goal_distance`` 0.01 (TeachMyAgent's defaults), the
    optimiser and batch above.  Departures, for a small CPU-fast teacher:
    hidden layers of 32 units (reference: 256 for the generator, 128 for
    the discriminator), 50 training steps per update (reference: 250) and
    at most 1,000 old goals (reference: no bound).

    **Initialisation.**  The paper ("Goal GAN initialization") fits the GAN, before the
    curriculum starts, to the goals that the initial policy reaches by
    random exploration, so that the first generated goals are feasible; an
    untrained generator's goals stay near the centre of the box.  A teacher
    that only sees (task, score) pairs cannot watch the states visited, so
    its first ``pretrain_episodes`` proposals are goals drawn uniformly from
    the box (its random exploration), and the GAN is then trained for
    ``pretrain_iterations`` steps on the ones that scored above 0, all
    labelled good (the "reached" goals; all the uniform goals if none
    scored, which is the reference code's ``pretrain_uniform``).  1,000
    goals is the size of TeachMyAgent's pretraining set and 500 steps the
    ``outer_iters`` of rllab-curriculum's ``StateGAN.pretrain``.  Measured
    (``bench --suite quick``, mastered fraction, 3 seeds), before -> after:
    grid-2d 0.000 -> 0.010, fast-learner 0.000 -> 0.093, mostly-trivial
    0.260 -> 0.857 (random: 0.000, 0.067, 0.803).
    """

    name = "goal-gan"
    description = "Goal GAN: LSGAN generator of goals of intermediate difficulty (success in [0.1, 0.9])."
    paper = "Florensa, Held, Geng, Abbeel. Automatic Goal Generation for Reinforcement Learning Agents. ICML 2018 (arXiv 1705.06366)"
    score_doc = "success of the episode in [0, 1] (0/1, or a success rate / probability)"
    score_range = (0.0, 1.0)
    space_types = (Box,)
    requires = {"torch": "torch"}
    params: ClassVar[dict[str, Param]] = {
        "success_low": Param(0.1, Interval(Real, 0, 1), "R_min: lowest mean success of a goal of intermediate difficulty (paper: 0.1)"),
        "success_high": Param(0.9, Interval(Real, 0, 1), "R_max: highest mean success of a goal of intermediate difficulty (paper: 0.9)"),
        "n_rollouts": Param(2, Interval(Integral, 1, None), "episodes per generated goal before it is labelled (reference: 2)"),
        "update_size": Param(100, Interval(Integral, 1, None), "labelled goals between two GAN trainings (reference: 100)"),
        "p_old": Param(0.2, Interval(Real, 0, 1), "probability of replaying an old (mastered) goal (reference: 0.2)"),
        "noise_level": Param(
            0.01,
            Interval(Real, 0, None),
            "Gaussian noise added to goals, as a fraction of the box width (reference: 0.01)",
        ),
        "old_goal_distance": Param(
            0.01,
            Interval(Real, 0, None),
            "an old goal is kept only this far (fraction of the box diagonal) from the others (reference: 0.01)",
        ),
        "hidden": Param(
            32,
            Interval(Integral, 1, None),
            "units of each of the two hidden layers of both networks",
            paper=256,
            why="CPU-fast: a training of 50 steps takes ~60 ms with 32 units on a busy 2-core machine (reference: generator 256, discriminator 128)",
        ),
        "gan_iterations": Param(
            50,
            Interval(Integral, 1, None),
            "training steps of D and G per update",
            paper=250,
            why="CPU-fast: a few hundred µs per propose+observe on a 2-D box (benchmarks/overhead.py)",
        ),
        "pretrain_episodes": Param(
            1000,
            Interval(Integral, 0, None),
            "first episodes, on goals drawn uniformly from the box, whose goals with a positive score (all of them if"
            " none) the GAN is fitted to before it generates (reference: 1,000 pretraining goals); 0: no pretraining",
        ),
        "pretrain_iterations": Param(
            500,
            Interval(Integral, 1, None),
            "training steps of D and G of that pretraining (reference: 500)",
        ),
        "max_old_goals": Param(
            1000,
            Nullable(Interval(Integral, 1, None)),
            "most old goals kept (oldest dropped); None: no bound",
            paper=None,
            why="bounds memory and the saved state on long runs",
        ),
    }

    def _check_options(self) -> None:
        o = self.options
        if not o["success_low"] <= o["success_high"]:
            raise self._error(f"option 'success_low' must not exceed 'success_high', got {o['success_low']!r} > {o['success_high']!r}")

    # ------------------------------------------------------------------ state
    def _setup(self) -> None:
        t = _torch()
        o = self.options
        self._d, self._low, self._span = box_geometry(self.space)
        d, h = self._d, int(o["hidden"])
        self._g_sizes = [d, h, h, d]
        self._d_sizes = [d, h, h, 1]
        self._gen = self._tensors(_xavier(self.rng, self._g_sizes))
        self._dis = self._tensors(_xavier(self.rng, self._d_sizes))
        self._g_acc = [t.ones_like(p) for p in self._gen]
        self._d_acc = [t.ones_like(p) for p in self._dis]
        self._noise = float(o["noise_level"]) * self._span
        self._old_dist = float(o["old_goal_distance"]) * float(np.linalg.norm(self._span))
        self._outstanding: dict[tuple[float, ...], list[list[float]]] = {}  # goal -> score lists of its outstanding copies
        self._n_outstanding = 0
        self._queue: list[list[float]] = []  # repeats of the last generated goal still to propose
        self._goals: list[list[float]] = []  # labelled goals since the last training
        self._labels: list[float] = []
        self._old: list[list[float]] = []  # mastered goals, for replay
        self._trainings = 0
        self._last_goid = 0.0
        self._episodes = 0
        self._pretrained = int(self.options["pretrain_episodes"]) == 0
        self._warm_proposed = 0  # uniform goals proposed before the pretraining
        self._warm: list[list[float]] = []  # [*goal, score] of the ones observed

    def _tensors(self, arrays: list[np.ndarray]) -> list[Any]:
        t = _torch()
        return [t.tensor(np.asarray(a, dtype=np.float64), dtype=t.float64) for a in arrays]

    def _get_state(self) -> dict[str, Any]:
        return {
            "gen": [p.tolist() for p in self._gen],
            "dis": [p.tolist() for p in self._dis],
            "g_acc": [p.tolist() for p in self._g_acc],
            "d_acc": [p.tolist() for p in self._d_acc],
            "pending": [[list(k), [list(s) for s in v]] for k, v in self._outstanding.items()],
            "queue": [list(q) for q in self._queue],
            "goals": [list(g) for g in self._goals],
            "labels": list(self._labels),
            "old": [list(g) for g in self._old],
            "trainings": self._trainings,
            "last_goid": self._last_goid,
            "episodes": self._episodes,
            "pretrained": self._pretrained,
            "warm_proposed": self._warm_proposed,
            "warm": [list(w) for w in self._warm],
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        def shaped(values: list[Any], sizes: list[int]) -> list[Any]:
            out = []
            for i, v in enumerate(values):
                shape = (sizes[i // 2], sizes[i // 2 + 1]) if i % 2 == 0 else (sizes[i // 2 + 1],)
                out.append(np.asarray(v, dtype=np.float64).reshape(shape))
            return self._tensors(out)

        self._gen = shaped(state["gen"], self._g_sizes)
        self._dis = shaped(state["dis"], self._d_sizes)
        self._g_acc = shaped(state["g_acc"], self._g_sizes)
        self._d_acc = shaped(state["d_acc"], self._d_sizes)
        self._outstanding = {tuple(float(x) for x in k): [[float(s) for s in lst] for lst in v] for k, v in state["pending"]}
        self._n_outstanding = sum(len(v) for v in self._outstanding.values())
        self._queue = [[float(x) for x in q] for q in state["queue"]]
        self._goals = [[float(x) for x in g] for g in state["goals"]]
        self._labels = [float(y) for y in state["labels"]]
        self._old = [[float(x) for x in g] for g in state["old"]]
        self._trainings = int(state["trainings"])
        self._last_goid = float(state["last_goid"])
        self._episodes = int(state["episodes"])
        self._pretrained = bool(state.get("pretrained", True))  # states saved before pretraining existed: as they were
        self._warm_proposed = int(state.get("warm_proposed", 0))
        self._warm = [[float(x) for x in w] for w in state.get("warm", [])]

    # --------------------------------------------------------------- networks
    def _mlp(self, params: list[Any], x: Any, out: str) -> Any:
        t = _torch()
        n = len(params) // 2
        for i in range(n):
            x = x @ params[2 * i] + params[2 * i + 1]
            if i < n - 1:
                x = t.relu(x) if out == "tanh" else t.nn.functional.leaky_relu(x, 0.2)
        return t.tanh(x) if out == "tanh" else x

    def _generate(self, k: int) -> np.ndarray:
        """``k`` goals from the generator, in [-1, 1] coordinates."""
        t = _torch()
        z = t.from_numpy(self.rng.standard_normal((k, self._d)))
        with t.no_grad(), _OneThread():
            return self._mlp(self._gen, z, "tanh").numpy()

    @staticmethod
    def _rmsprop(params: list[Any], grads: list[Any], acc: list[Any]) -> None:
        for p, g, a in zip(params, grads, acc):
            a.mul_(_DECAY).add_((1.0 - _DECAY) * g * g)
            p.sub_(_LR * g / (a.sqrt() + _EPS))

    def _unit(self, goals: np.ndarray) -> np.ndarray:
        """Tasks -> [-1, 1] coordinates (the generator's output range)."""
        return 2.0 * (goals - self._low) / self._span - 1.0

    def _pretrain(self) -> None:
        """Fit the GAN to the warm-up goals that scored (the goals the initial learner reaches), all labelled good."""
        self._pretrained = True
        warm = np.asarray(self._warm, dtype=np.float64).reshape(-1, self._d + 1)
        self._warm = []
        reached = warm[warm[:, -1] > 0, :-1]
        goals = reached if len(reached) else warm[:, :-1]  # nothing reached: the uniform goals themselves
        if not len(goals):
            return  # no warm-up episode observed: the generator starts as initialised
        with _OneThread():
            self._train(self._unit(goals), np.ones(len(goals)), int(self.options["pretrain_iterations"]))

    def _train(self, goals: np.ndarray, labels: np.ndarray, iterations: int) -> None:
        """``iterations`` LSGAN steps on ``goals`` ([-1, 1] coordinates) labelled ``labels`` (1: good, 0: not)."""
        t = _torch()
        x_real = t.from_numpy(goals)
        y_real = t.from_numpy(labels)
        target_real = _B * y_real + _A * (1.0 - y_real)
        n = len(goals)
        for _ in range(iterations):
            idx = t.from_numpy(self.rng.integers(n, size=min(_BATCH, n)))
            z = t.from_numpy(self.rng.standard_normal((_BATCH, self._d)))
            # discriminator step
            for p in self._dis:
                p.requires_grad_(True)
            with t.no_grad():
                fake = self._mlp(self._gen, z, "tanh")
            d_real = self._mlp(self._dis, x_real[idx], "linear").squeeze(1)
            d_fake = self._mlp(self._dis, fake, "linear").squeeze(1)
            loss_d = t.cat([(d_real - target_real[idx]) ** 2, (d_fake - _A) ** 2]).mean()
            grads = t.autograd.grad(loss_d, self._dis)
            for p in self._dis:
                p.requires_grad_(False)
            with t.no_grad():
                self._rmsprop(self._dis, grads, self._d_acc)
            # generator step (the same noise)
            for p in self._gen:
                p.requires_grad_(True)
            loss_g = ((self._mlp(self._dis, self._mlp(self._gen, z, "tanh"), "linear") - _C) ** 2).mean()
            grads = t.autograd.grad(loss_g, self._gen)
            for p in self._gen:
                p.requires_grad_(False)
            with t.no_grad():
                self._rmsprop(self._gen, grads, self._g_acc)

    # ------------------------------------------------------------- algorithm
    def _to_task(self, u: np.ndarray) -> np.ndarray:
        """[-1, 1] coordinates plus the goal noise -> a task inside the box."""
        x = self._low + (u + 1.0) * 0.5 * self._span + self._noise * self.rng.standard_normal(self._d)
        return np.clip(x, self.space.low, self.space.high)

    def _propose(self, n: int) -> list[Any]:
        out = []
        rnd = self.rng
        k = int(self.options["n_rollouts"])
        p_old = float(self.options["p_old"])
        for _ in range(n):
            if not self._pretrained:
                if self._warm_proposed < int(self.options["pretrain_episodes"]):
                    self._warm_proposed += 1
                    out.append(self.rng.uniform(self.space.low, self.space.high))
                    continue
                self._pretrain()
            if self._queue:
                out.append(np.asarray(self._queue.pop(0), dtype=float))
                continue
            if self._old and rnd.random() < p_old:
                g = np.asarray(self._old[int(rnd.integers(len(self._old)))])
                x = np.clip(g + self._noise * rnd.standard_normal(self._d), self.space.low, self.space.high)
                out.append(x)
                continue
            x = self._to_task(self._generate(1)[0])
            key = tuple(x.tolist())
            self._outstanding.setdefault(key, []).append([])
            self._n_outstanding += 1
            if self._n_outstanding > MAX_PENDING_GOALS:
                oldest = next(iter(self._outstanding))
                self._outstanding[oldest].pop(0)
                if not self._outstanding[oldest]:
                    del self._outstanding[oldest]
                self._n_outstanding -= 1
            self._queue.extend([list(key)] * (k - 1))
            out.append(x)
        return out

    def _observe(self, task: Any, score: float) -> None:
        self._episodes += 1
        if not self._pretrained:
            if len(self._warm) < int(self.options["pretrain_episodes"]):
                self._warm.append([*task.tolist(), float(score)])  # only warm-up goals are proposed until then
            return
        key = tuple(task.tolist())
        lists = self._outstanding.get(key)
        if lists is None:
            return  # a replayed old goal or a task this teacher did not generate
        lists[0].append(score)
        o = self.options
        if len(lists[0]) < int(o["n_rollouts"]):
            return
        success = sum(lists[0]) / len(lists[0])
        lists.pop(0)
        if not lists:
            del self._outstanding[key]
        self._n_outstanding -= 1
        self._goals.append(list(key))
        self._labels.append(float(o["success_low"] <= success <= o["success_high"]))
        if success > o["success_high"]:
            self._add_old(task)
        if len(self._goals) >= int(o["update_size"]):
            if any(self._labels):
                goals = self._unit(np.asarray(self._goals, dtype=np.float64))
                with _OneThread():
                    self._train(goals, np.asarray(self._labels, dtype=np.float64), int(o["gan_iterations"]))
                self._trainings += 1
            self._last_goid = sum(self._labels) / len(self._labels)
            self._goals.clear()
            self._labels.clear()

    def _add_old(self, task: np.ndarray) -> None:
        if self._old and self._old_dist > 0:
            dist = np.min(np.linalg.norm(np.asarray(self._old) - task, axis=1))
            if dist <= self._old_dist:
                return
        self._old.append(task.tolist())
        cap = self.options["max_old_goals"]
        if cap is not None and len(self._old) > int(cap):
            del self._old[0]

    def _report(self) -> dict[str, Any]:
        return {
            "episodes": self._episodes,
            "trainings": self._trainings,
            "goid_fraction_last_update": self._last_goid,
            "old_goals": len(self._old),
            "labelled_since_training": len(self._goals),
            "outstanding_goals": self._n_outstanding,
            "pretrained": self._pretrained,
        }
