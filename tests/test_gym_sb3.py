"""pedagogy.gym.sb3: one curriculum for all the workers of an SB3 DummyVecEnv / SubprocVecEnv."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

pytest.importorskip("gymnasium", reason="pedagogy.gym needs the gym extra")
pytest.importorskip("stable_baselines3", reason="pedagogy.gym.sb3 needs stable-baselines3 (the gym extra)")
from stable_baselines3.common.vec_env import DummyVecEnv  # noqa: E402

from pedagogy import teachers  # noqa: E402
from pedagogy.gym import ParametricMountainCar, TaskWrapper  # noqa: E402
from pedagogy.gym.sb3 import TaskVecEnv, make_sb3_vec_env  # noqa: E402
from tests.test_gym import EchoEnv, K, _spy  # noqa: E402


@pytest.mark.parametrize("subprocess", [False, True])
def test_sb3_every_outcome_reaches_teacher_once(subprocess: bool) -> None:
    spy = _spy()
    venv = make_sb3_vec_env(EchoEnv, 4, spy, subprocess=subprocess, return_bounds=(0, K - 1), start_method="fork")
    try:
        venv.reset()
        finished = 0
        for _ in range(300):
            _, _, dones, infos = venv.step(np.array([venv.action_space.sample() for _ in range(4)]))
            finished += int(dones.sum())
            for i in np.flatnonzero(dones):
                assert "terminal_observation" in infos[i] and "episode" in infos[i]  # SB3 and Monitor still work
        assert finished > 50
        assert len(spy.observed) == finished
        assert all(s == pytest.approx(t / (K - 1)) for t, s in spy.observed)
        played = [t for per_env in venv.get_attr("played") for t in per_env]
        assert Counter(t for t, _ in spy.observed) == Counter(played)
        stats = venv.feeder.stats()
        assert stats["unplanned"] == 0 and stats["duplicates"] == 0 and stats["refills"] < finished / 2
    finally:
        venv.close()


def test_sb3_rejects_sub_envs_without_a_remote_task_wrapper() -> None:
    with pytest.raises(ValueError, match="TaskWrapper"):
        TaskVecEnv(DummyVecEnv([EchoEnv]), _spy())
    teacher = _spy()
    with pytest.raises(ValueError, match="teacher=None"):
        TaskVecEnv(DummyVecEnv([lambda: TaskWrapper(EchoEnv(), teacher)]), teacher)
    with pytest.raises(ValueError, match="num_envs"):
        make_sb3_vec_env(EchoEnv, 0, teacher)


def test_ppo_trains_on_a_curriculum_in_subprocesses() -> None:
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)  # tiny networks: threads only contend on a shared 2-core machine

    teacher = teachers.make("alp-gmm", ParametricMountainCar.task_space(), seed=0)
    venv = make_sb3_vec_env(
        lambda: ParametricMountainCar(max_episode_steps=50),
        2,
        teacher,
        score=lambda ret, info: float(info["is_success"]),
        start_method="fork",
    )
    try:
        model = PPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
        model.learn(total_timesteps=512)
        # 512 steps of 50-step episodes in 2 workers: at least 8 finished episodes, all reported.
        assert teacher.n_observed >= 8
        assert teacher.n_observed == venv.feeder.stats()["forwarded"]
    finally:
        venv.close()
