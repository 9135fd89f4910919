"""pedagogy.ray: a teacher as a Ray actor shared by rollout workers, on a small local cluster."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="pedagogy.ray needs the ray extra")

from pedagogy import spaces, teachers  # noqa: E402
from pedagogy.ray import RemoteTeacher  # noqa: E402

DISCRETE = spaces.Discrete([f"level{i}" for i in range(12)])
BOX = spaces.Box([0.0, 0.0], [1.0, 1.0])


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _score(task: Any, worker: int, i: int) -> float:
    """A deterministic score in [0, 1] from the task, the worker and the step."""
    x = float(np.sum(task)) if isinstance(task, np.ndarray) else float(DISCRETE.index(task))
    return float((x * 0.37 + worker * 0.11 + i * 0.013) % 1.0)


def rollout(teacher: Any, worker: int, rounds: int = 20, batch: int = 8) -> int:
    """What a rollout worker does: propose a batch, play it, observe each outcome; flush at the end."""
    n = 0
    with teacher if isinstance(teacher, RemoteTeacher) else _nullcontext():
        for r in range(rounds):
            for j, task in enumerate(teacher.propose(batch)):
                teacher.observe(task, _score(task, worker, r * batch + j))
                n += 1
    return n


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


rollout_task = ray.remote(rollout)


def test_no_outcome_lost_with_parallel_workers() -> None:
    remote = RemoteTeacher(teachers.make("lp", DISCRETE, seed=0), flush_every=32)
    counts = ray.get([rollout_task.remote(remote, w, rounds=25) for w in range(4)])
    assert counts == [200] * 4  # 200 is not a multiple of 32: the last flush matters
    assert remote.n_observed == 800
    assert remote.n_proposed == 800
    remote.observe(DISCRETE.tasks[0], 1.0)  # the driver's own observation, buffered
    assert remote.state_dict()["observed"] == 801
    remote.close()


@pytest.mark.parametrize("name,space", [("lp", DISCRETE), ("alp-gmm", BOX)])
def test_fixed_order_gives_the_single_process_state(name: str, space: spaces.Space) -> None:
    options = {"fit_rate": 40, "nb_bootstrap": 40} if name == "alp-gmm" else {}  # refit often: GMMs in the state
    local = teachers.make(name, space, seed=3, **options)
    remote = RemoteTeacher(teachers.make(name, space, seed=3, **options), flush_every=5)
    for w in range(3):  # the workers one after another: a fixed order
        ray.get(rollout_task.remote(remote, w))
        rollout(local, w)
    state = remote.state_dict()
    assert json.dumps(state, sort_keys=True) == json.dumps(json.loads(json.dumps(local.state_dict())), sort_keys=True)
    assert np.array_equal(np.asarray(remote.propose(4)), np.asarray(local.propose(4)))  # and they go on alike
    assert remote.to_teacher().n_observed == local.n_observed == 3 * 20 * 8
    remote.close()


def test_errors_name_the_problem_and_leave_the_teacher_unchanged() -> None:
    remote = RemoteTeacher(teachers.make("lp", DISCRETE, seed=0), flush_every=100)
    with pytest.raises(ValueError, match="finite"):
        remote.observe("level0", float("nan"))  # checked in this process, at once
    with pytest.raises(ValueError, match="2 tasks but 1 scores"):
        remote.observe(["level0", "level1"], [0.5])
    remote.observe("level0", 0.5)
    remote.observe("not-a-level", 0.5)  # only the actor knows the space's rules
    with pytest.raises(ValueError, match="teacher 'lp': task 'not-a-level' is not in the space"):
        remote.flush()
    assert remote.n_observed == 0  # the whole bad batch was refused
    remote.observe("level0", 0.5)
    assert remote.n_observed == 1
    with pytest.raises(ValueError, match="flush_every"):
        RemoteTeacher(teachers.make("lp", DISCRETE, seed=0), flush_every=0)
    with pytest.raises(ValueError, match="Teacher or its state_dict"):
        RemoteTeacher("lp")  # type: ignore[arg-type]
    remote.close()


def test_gym_workers_share_one_remote_curriculum() -> None:
    pytest.importorskip("gymnasium", reason="needs the gym extra too")
    from pedagogy.gym import TaskWrapper
    from tests.test_gym import EchoEnv, K

    @ray.remote
    def play(teacher: RemoteTeacher, episodes: int) -> int:
        env = TaskWrapper(EchoEnv(), teacher, return_bounds=(0, K - 1))
        with teacher:
            for ep in range(episodes):
                env.reset(seed=ep)
                while not any(env.step(0)[2:4]):
                    pass
        return episodes

    remote = RemoteTeacher(teachers.make("sec", spaces.Discrete(K), seed=0), flush_every=16)
    assert sum(ray.get([play.remote(remote, 30) for _ in range(3)])) == 90
    assert remote.n_observed == 90
    remote.close()


def test_sfl_levels_through_task_wrappers_sharing_a_remote_learnability_teacher() -> None:
    """SFL's setting: levels of an environment, some unsolvable, some trivial; one remote teacher for all workers."""
    gymnasium = pytest.importorskip("gymnasium", reason="needs the gym extra too")
    from pedagogy.gym import TaskWrapper
    from tests.test_learnability import LEVEL_KINDS, LEVELS, LevelEnv, play_levels

    @ray.remote
    def play(teacher: RemoteTeacher, episodes: int) -> dict[int, int]:
        env = TaskWrapper(LevelEnv(gymnasium), teacher, return_bounds=(0, 1))
        with teacher:
            return dict(play_levels(env, episodes))

    remote = RemoteTeacher(teachers.make("learnability", spaces.Discrete(LEVELS), seed=0, rollouts=1, gamma=0.95), flush_every=8)
    counts: dict[int, int] = {}
    for part in ray.get([play.remote(remote, 500) for _ in range(2)]):
        for level, c in part.items():
            counts[level] = counts.get(level, 0) + c
    assert remote.n_observed == 1000
    solvable = sum(c for level, c in counts.items() if LEVEL_KINDS[level] == "learnable")
    assert solvable / 1000 > 0.55, counts  # a third of the levels
    remote.close()
