"""PPO reaching goals in a U-maze
===============================

PPO reaching goals in a U-shaped corridor, half of whose goal box is unreachable (Stable-Baselines3).
Run time: about 1 to 2 minutes per 2,000-episode run on one CPU core.

``UMazeReach`` is a point in the square ``[-1, 1]²`` that can only move in a
corridor of width ``1 - INNER`` = 0.3 along three sides of it — the bottom
(``y <= -INNER``), the right (``x >= INNER``) and the top (``y >= INNER``); the
block ``x < INNER, |y| < INNER`` is a wall.  The point starts near
``START`` = (-0.85, -0.85), the bottom-left end, and moves by
``STEP * clip(action, -1, 1)`` per step (a move into the wall slides along
it).  The task is the goal ``(gx, gy)`` in the box ``[-1, 1]²``; the episode
ends with reward 1 when the point comes within ``RADIUS`` of the goal and with
reward 0 after ``HORIZON`` = 50 steps otherwise (a sparse reward, short
episodes).  Goals deeper than ``RADIUS`` inside the wall (``gx < 0.6`` and
``|gy| < 0.6``, 48 % of the box) can never be reached; the far end of the
corridor needs about 40 steps along two turns.  This is the shape of the
point-mass U-maze of Goal GAN (Florensa et al., 2018), whose goal space is
larger than the region the agent can move in.

A teacher chooses each episode's goal through ``make_sb3_vec_env`` (8
``DummyVecEnv`` workers, every one a ``TaskWrapper``); its score is the
episode's success.  The metric is the success rate of the deterministic policy
on :data:`TEST_GOALS`, 200 fixed goals drawn uniformly from the feasible part
of the box.  The budget is counted in episodes; the policy is evaluated every
``budget / evals`` episodes.

    python examples/ppo_reach.py --teacher alp-gmm --episodes 2000 --seed 0
    python examples/ppo_reach.py --teacher random                     # the baseline

The PPO settings below were chosen with uniform sampling (``random``) alone,
before any teacher ran (docs/benchmarks/rl.md, "Calibration").
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import gymnasium
import numpy as np
import torch

from pedagogy import teachers
from pedagogy.spaces import Box

STEP = 0.12  # displacement per step at full throttle, per axis
HORIZON = 50  # steps per episode at most
RADIUS = 0.1  # success: within this distance of the goal
INNER = 0.7  # the wall is the block x < INNER, |y| < INNER; the corridor is 0.3 wide
START = (-0.85, -0.85)
START_NOISE = 0.05  # the start is uniform within START ± START_NOISE
N_ENVS = 8

#: the learner's settings, chosen with uniform sampling alone (docs/benchmarks/rl.md)
PPO_SETTINGS: dict[str, Any] = {
    "n_steps": 128,
    "batch_size": 256,
    "n_epochs": 5,
    "learning_rate": 1e-3,
    "gamma": 0.95,
    "gae_lambda": 0.95,
    "ent_coef": 0.0,
    "policy_kwargs": {"net_arch": [64, 64]},
}


def task_space() -> Box:
    """The goal box ``[-1, 1]²``; its part with ``gx < 0.6`` and ``|gy| < 0.6`` is unreachable."""
    return Box([-1.0, -1.0], [1.0, 1.0], names=["gx", "gy"])


#: the corridor's three rectangles (low, high): bottom, right, top
_ARMS = [
    (np.array([-1.0, -1.0]), np.array([1.0, -INNER])),
    (np.array([INNER, -1.0]), np.array([1.0, 1.0])),
    (np.array([-1.0, INNER]), np.array([1.0, 1.0])),
]


def free(pos: Any) -> bool:
    """Whether the point may be at ``pos`` (in the corridor)."""
    x, y = (float(v) for v in np.asarray(pos, dtype=float).reshape(2))
    return max(abs(x), abs(y)) <= 1.0 and (x >= INNER or abs(y) >= INNER)


def feasible(goal: Any) -> bool:
    """Whether some policy can reach ``goal``: it lies within ``RADIUS`` of the corridor."""
    x, y = (float(v) for v in np.asarray(goal, dtype=float).reshape(2))
    return x >= INNER - RADIUS or abs(y) >= INNER - RADIUS


def held_out_goals(n: int = 200, seed: int = 12345) -> np.ndarray:
    """``n`` feasible goals uniform over the feasible part of the box (fixed by ``seed``)."""
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    while len(out) < n:
        g = rng.uniform(-1, 1, 2)
        if feasible(g):
            out.append(g)
    return np.array(out)


TEST_GOALS = held_out_goals()


def oracle_action(obs: Any) -> np.ndarray:
    """A hand-written policy that follows the corridor to the goal (for tests: every feasible goal is reachable)."""
    o = np.asarray(obs, dtype=float)
    pos, goal = o[:2], o[2:]

    def arm(p: np.ndarray) -> int:  # 0 bottom, 1 right, 2 top (the corners belong to the bottom and top)
        return 1 if p[0] >= INNER - RADIUS and abs(p[1]) < INNER else (0 if p[1] < 0 else 2)

    corners = {(0, 1): (0.85, -0.85), (1, 0): (0.85, -0.85), (1, 2): (0.85, 0.85), (2, 1): (0.85, 0.85)}
    a, b = arm(pos), arm(goal)
    if a == b:
        target = np.clip(goal, *_ARMS[a])
    else:
        nxt = a + (1 if b > a else -1)
        target = np.array(corners[(a, nxt)])
        if np.hypot(*(target - pos)) < 0.2:  # at the corner: move on along the next arm
            target = np.clip(goal if nxt == b else np.array(corners[(nxt, b)]), *_ARMS[nxt])
    return np.clip((target - pos) / STEP, -1.0, 1.0)


class UMazeReach(gymnasium.Env):
    """A point that must reach the goal ``set_task(goal)`` within ``HORIZON`` steps; reward 1 on arrival, else 0.

    Observation: ``(x, y, gx, gy)``.  Action: a displacement in ``[-1, 1]²``
    (scaled by ``STEP``; clipped).  The last step's ``info["is_success"]``
    says whether the goal was reached.
    """

    observation_space = gymnasium.spaces.Box(-1.0, 1.0, shape=(4,), dtype=np.float32)
    action_space = gymnasium.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)

    def __init__(self) -> None:
        self.goal = np.zeros(2)
        self.pos = np.array(START)
        self.t = 0

    def set_task(self, goal: Any) -> None:
        """Set the goal (taken at the next ``reset``); outside ``[-1, 1]²`` is a ValueError."""
        g = np.asarray(goal, dtype=float).reshape(-1)
        if g.shape != (2,) or not np.all(np.isfinite(g)) or np.any(np.abs(g) > 1.0):
            raise ValueError(f"UMazeReach: a goal is (gx, gy) in [-1, 1]², got {goal!r}")
        self.goal = g

    def _obs(self) -> np.ndarray:
        return np.concatenate([self.pos, self.goal]).astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.pos = np.array(START) + self.np_random.uniform(-START_NOISE, START_NOISE, 2)
        self.t = 0
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        a = np.clip(np.asarray(action, dtype=float).reshape(2), -1.0, 1.0)
        new = self.pos + STEP * a
        # the corridor is three rectangles; the move is clipped into those the point is in (it slides along walls)
        moves = [np.clip(new, lo, hi) for lo, hi in _ARMS if np.all(self.pos >= lo - 1e-12) and np.all(self.pos <= hi + 1e-12)]
        self.pos = min(moves, key=lambda m: float(np.hypot(*(m - new))))
        self.t += 1
        reached = bool(np.hypot(*(self.pos - self.goal)) <= RADIUS)
        truncated = not reached and self.t >= HORIZON
        info: dict[str, Any] = {"is_success": reached} if reached or truncated else {}
        return self._obs(), float(reached), reached, truncated, info


def _success(episode_return: float, info: dict[str, Any]) -> float:
    return float(info["is_success"])


def evaluate(model: Any, goals: np.ndarray = TEST_GOALS) -> float:
    """Success rate of ``model``'s deterministic policy, one episode per goal, all goals stepped together."""
    envs = [UMazeReach() for _ in goals]
    obs = []
    for i, (env, g) in enumerate(zip(envs, goals)):
        env.set_task(g)
        obs.append(env.reset(seed=10_000 + i)[0])
    done = np.zeros(len(goals), dtype=bool)
    wins = np.zeros(len(goals), dtype=bool)
    o = np.array(obs)
    for _ in range(HORIZON):
        actions, _ = model.predict(o, deterministic=True)
        for i in np.flatnonzero(~done):
            o[i], _, term, trunc, _ = envs[i].step(actions[i])
            wins[i] |= term
            done[i] = term or trunc
        if done.all():
            break
    return float(wins.mean())


def run(teacher: str, seed: int = 0, episodes: int = 2000, evals: int = 15, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train PPO for ``episodes`` episodes with ``teacher`` choosing goals; return the test-success curve."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    from pedagogy.gym.sb3 import make_sb3_vec_env

    torch.manual_seed(seed)
    t = teachers.make(teacher, task_space(), seed=seed)
    trained: list[tuple[bool, float]] = []  # (feasible goal, success) of every training episode

    def score(episode_return: float, info: dict[str, Any]) -> float:
        s = _success(episode_return, info)
        trained.append((feasible(info["task"]), s))
        return s

    venv = make_sb3_vec_env(UMazeReach, N_ENVS, t, subprocess=False, score=score, monitor=False)
    venv.seed(seed)
    model = PPO("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **(settings or PPO_SETTINGS))
    every = max(1, episodes // evals)
    curve: list[dict[str, float]] = []

    class Milestones(BaseCallback):
        def _on_step(self) -> bool:
            while len(trained) >= (len(curve) + 1) * every and len(curve) < evals:
                curve.append({"episodes": (len(curve) + 1) * every, "success": evaluate(self.model)})
            return len(curve) < evals

    t0 = time.perf_counter()
    model.learn(total_timesteps=10 * episodes * HORIZON, callback=Milestones())
    venv.close()
    tr = np.array(trained[: every * evals], dtype=float).reshape(-1, 2)
    return {
        "teacher": teacher,
        "seed": seed,
        "episodes": episodes,
        "final_success": curve[-1]["success"],
        "curve": curve,
        "timesteps": int(model.num_timesteps),
        "infeasible_share": float(1 - tr[:, 0].mean()),
        "infeasible_share_last_quarter": float(1 - tr[-len(tr) // 4 :, 0].mean()),
        "train_success": float(tr[:, 1].mean()),
        "seconds": time.perf_counter() - t0,
    }


#: what calibration tried, uniform sampling only, seeds 100 and 101 (never the benchmark's seeds)
CANDIDATES: dict[str, dict[str, Any]] = {
    "lr1e-3-64x64-ep5-g.95": PPO_SETTINGS,
    "lr3e-4-64x64-ep10-g.99": {**PPO_SETTINGS, "learning_rate": 3e-4, "n_epochs": 10, "gamma": 0.99},
    "lr3e-4-64x64-ep5-g.95": {**PPO_SETTINGS, "learning_rate": 3e-4},
}


def calibrate(episodes: int = 2000, seeds: tuple[int, ...] = (100, 101)) -> dict[str, Any]:
    """Final test success of ``random`` under every :data:`CANDIDATES` setting (uniform sampling only)."""
    out = {}
    for name, settings in CANDIDATES.items():
        runs = [run("random", s, episodes, evals=5, settings=settings) for s in seeds]
        out[name] = {"final": [r["final_success"] for r in runs], "curves": [[c["success"] for c in r["curve"]] for r in runs]}
        print(name, out[name], flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher", default="alp-gmm")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--episodes", type=int, default=2000)
    ap.add_argument("--evals", type=int, default=15)
    ap.add_argument("--calibrate", action="store_true", help="run the uniform-only calibration of the PPO settings and exit")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.calibrate:
        print(json.dumps(calibrate(args.episodes), indent=1))
        return
    print(json.dumps(run(args.teacher, args.seed, args.episodes, args.evals), indent=1))


if __name__ == "__main__":
    main()
