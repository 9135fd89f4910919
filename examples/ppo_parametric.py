"""PPO on a parametric MountainCar
===============================

PPO on a parametric MountainCar whose task a teacher chooses (Stable-Baselines3).

The task is ``(power, goal_position)`` of ``ParametricMountainCar``; goals past
the wall at 0.6 cannot be reached.  Four SB3 workers (``DummyVecEnv``) share one
teacher through ``make_sb3_vec_env`` (under ``VecNormalize``, with
rl-baselines3-zoo's PPO settings for MountainCarContinuous); the teacher's
score is the episode's success.  The metric is the success rate of the deterministic policy on a
fixed grid of reachable tasks.

    python examples/ppo_parametric.py --teacher alp-gmm --timesteps 100000 --seed 0
    python examples/ppo_parametric.py --teacher random                       # the baseline

Run time: about 3 min per 60,000 timesteps on 2 shared CPU cores (``benchmarks/real_learners.py``'s
timings), so about 5 min with the default 100,000; needs the ``[gym]`` extra. The figure: success on
the test tasks against environment steps, 3 seeds per teacher.

.. image:: /img/ppo.png
   :alt: PPO on a parametric MountainCar
"""

# sphinx_gallery_thumbnail_path = "img/ppo.png"

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import torch

from pedagogy import teachers
from pedagogy.gym import ParametricMountainCar
from pedagogy.gym.sb3 import make_sb3_vec_env

MAX_STEPS = 999
GRID = [(p, g) for p in (0.001, 0.0015, 0.002, 0.0025) for g in (0.2, 0.35, 0.45, 0.55)]  # all reachable goals


def _env() -> ParametricMountainCar:
    return ParametricMountainCar(max_episode_steps=MAX_STEPS)


def _success(episode_return: float, info: dict[str, Any]) -> float:
    return float(info["is_success"])


def evaluate(model: Any, norm: Any) -> float:
    """Success rate of the deterministic policy over :data:`GRID` (``norm``: the training VecNormalize)."""
    env = _env()
    wins = 0
    for i, task in enumerate(GRID):
        env.set_task(task)
        obs, _ = env.reset(seed=1000 + i)
        while True:
            action, _ = model.predict(norm.normalize_obs(obs), deterministic=True)
            obs, _, term, trunc, info = env.step(action)
            if term or trunc:
                wins += int(info["is_success"])
                break
    return wins / len(GRID)


def run(teacher: str, seed: int = 0, timesteps: int = 100_000, evals: int = 5) -> dict[str, Any]:
    """Train PPO with ``teacher`` choosing the tasks; return the success-rate curve."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecNormalize

    torch.manual_seed(seed)
    t = teachers.make(teacher, ParametricMountainCar.task_space(), seed=seed)
    venv = VecNormalize(make_sb3_vec_env(_env, 4, t, subprocess=False, score=_success))
    # rl-baselines3-zoo's PPO settings for MountainCarContinuous (gSDE exploration), with 4 workers
    model = PPO(
        "MlpPolicy",
        venv,
        n_steps=64,
        batch_size=256,
        gamma=0.9999,
        learning_rate=7.77e-5,
        ent_coef=0.00429,
        clip_range=0.1,
        n_epochs=10,
        gae_lambda=0.9,
        max_grad_norm=5.0,
        vf_coef=0.19,
        use_sde=True,
        policy_kwargs={"log_std_init": -3.29, "ortho_init": False},
        seed=seed,
        device="cpu",
        verbose=0,
    )
    curve = []
    t0 = time.perf_counter()
    per = timesteps // evals
    for k in range(1, evals + 1):
        model.learn(per, reset_num_timesteps=False)
        curve.append({"timesteps": k * per, "success": evaluate(model, venv)})
    venv.close()
    goals = np.array([float(task[1]) for task in t.propose(2000)]) if teacher != "random" else None
    return {
        "teacher": teacher,
        "seed": seed,
        "timesteps": timesteps,
        "final_success": curve[-1]["success"],
        "curve": curve,
        "episodes": t.n_observed,
        "proposed_unreachable_fraction_at_end": None if goals is None else float(np.mean(goals > 0.6)),
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher", default="alp-gmm")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timesteps", type=int, default=100_000)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = run(args.teacher, args.seed, args.timesteps)
    print(json.dumps({k: v for k, v in out.items()}, indent=1))


if __name__ == "__main__":
    main()
