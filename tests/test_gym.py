"""pedagogy.gym: TaskWrapper, the vector wrappers (every autoreset mode) and the parametric env."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from typing import Any

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium", reason="pedagogy.gym needs the gym extra (gymnasium >= 1.0)")
from gymnasium.vector import AutoresetMode  # noqa: E402

from pedagogy import spaces, teachers  # noqa: E402
from pedagogy.gym import (  # noqa: E402
    ParametricMountainCar,
    TaskWrapper,
    VectorTaskWrapper,
    make_vector_env,
    normalize_return,
    register_envs,
)

K = 10  # tasks 0..9


class EchoEnv(gymnasium.Env):
    """Episodes of 1-4 steps whose return is the task played, so a score names its task."""

    observation_space = gymnasium.spaces.Box(0.0, 1.0, (1,), dtype=np.float32)
    action_space = gymnasium.spaces.Discrete(2)

    def __init__(self) -> None:
        self.task: Any = None
        self.played: list[Any] = []
        self._t = self._len = 0
        self._current: Any = None

    def set_task(self, task: Any) -> None:
        self.task = task

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._t, self._len, self._current = 0, 1 + int(self.np_random.integers(4)), self.task
        return np.zeros(1, np.float32), {}

    def step(self, action: Any):
        self._t += 1
        done = self._t >= self._len
        if done:
            self.played.append(self._current)
        # Odd lengths terminate, even ones are truncated: both must be reported.
        term, trunc = done and self._len % 2 == 1, done and self._len % 2 == 0
        return np.zeros(1, np.float32), float(self._current) if done else 0.0, term, trunc, {}


class Spy:
    """A teacher proxy that records every proposal and observation."""

    def __init__(self, teacher: teachers.Teacher) -> None:
        self.teacher = teacher
        self.requires_proposed = teacher.requires_proposed
        self.proposed: list[Any] = []
        self.observed: list[tuple[Any, float]] = []

    def propose(self, n: int | None = None) -> Any:
        out = self.teacher.propose(n)
        self.proposed.extend(out if n is not None else [out])
        return out

    def observe(self, task: Any, score: Any) -> None:
        if np.isscalar(score):
            task, score = [task], [score]
        self.observed.extend(zip(task, score))
        self.teacher.observe(task, score)


def _spy(name: str = "random", **options: Any) -> Spy:
    return Spy(teachers.make(name, spaces.Discrete(K), seed=0, **options))


def _run(envs: VectorTaskWrapper, mode: AutoresetMode, steps: int) -> int:
    """Step with random actions; return the number of finished episodes the loop saw."""
    envs.reset(seed=1)
    finished = 0
    for _ in range(steps):
        _, _, term, trunc, _ = envs.step(envs.action_space.sample())
        done = term | trunc
        finished += int(done.sum())
        if mode == AutoresetMode.DISABLED and done.any():
            envs.reset(options={"reset_mask": done})
    return finished


def _check_exactly_once(spy: Spy, envs: VectorTaskWrapper, finished: int) -> None:
    assert finished > 50
    held = len(envs._backlog)  # AsyncVectorEnv: the last step's outcomes wait for the next step
    assert len(spy.observed) == finished - held
    envs.flush()
    assert len(spy.observed) == finished  # every finished episode reached the teacher, once
    for task, score in spy.observed:  # ... with the task it was played on
        assert score == pytest.approx(task / (K - 1))
    played = [t for per_env in envs.call("played") for t in per_env]
    assert Counter(t for t, _ in spy.observed) == Counter(played)
    assert not Counter(t for t, _ in spy.observed) - Counter(spy.proposed)  # only proposed tasks
    stats = envs.feeder.stats()
    assert stats["unplanned"] == 0 and stats["duplicates"] == 0
    assert stats["refills"] < finished / 2  # tasks go out in batches, not one round trip per episode


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED])
@pytest.mark.parametrize("vectorization", ["sync", "async"])
def test_vector_every_outcome_reaches_teacher_once(vectorization: str, mode: AutoresetMode) -> None:
    spy = _spy()
    envs = make_vector_env(EchoEnv, 4, spy, vectorization_mode=vectorization, autoreset_mode=mode, return_bounds=(0, K - 1))
    try:
        finished = _run(envs, mode, 300)
        _check_exactly_once(spy, envs, finished)
    finally:
        envs.close()


def _episode_end_infos(info: dict[str, Any], mode: AutoresetMode) -> dict[str, Any]:
    """The part of a vector step's info that holds the ending episodes' keys."""
    return info["final_info"] if mode == AutoresetMode.SAME_STEP else info


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED])
@pytest.mark.parametrize("vectorization", ["sync", "async"])
def test_vector_tickets_give_the_same_info_as_full_objects(vectorization: str, mode: AutoresetMode) -> None:
    spy = _spy()
    envs = make_vector_env(EchoEnv, 3, spy, vectorization_mode=vectorization, autoreset_mode=mode, return_bounds=(0, K - 1), depth=2)
    try:
        assert all(envs.get_attr("pedagogy_compact"))  # the sub-environments send tickets
        _, info = envs.reset(seed=1)
        assert info["_task"].all() and list(info["task"]) == spy.proposed[0:6:2]
        playing = list(info["task"])
        ends = 0
        for _ in range(150):
            _, rewards, term, trunc, info = envs.step(envs.action_space.sample())
            assert not {k.lstrip("_") for k in info} & {"pedagogy_ticket", "pedagogy_score"}  # decoded, removed
            if mode == AutoresetMode.SAME_STEP and "final_info" in info:
                assert not {k.lstrip("_") for k in info["final_info"]} & {"pedagogy_ticket", "pedagogy_score"}
            done = term | trunc
            if done.any():
                end = _episode_end_infos(info, mode)
                for i in np.flatnonzero(done):
                    task = end["task"][i]
                    assert end["_task"][i] and task == playing[i] == rewards[i]  # the task the episode was played on
                    outcome = end["pedagogy_outcome"][i]
                    assert end["_pedagogy_outcome"][i] and outcome.task == task and outcome.planned
                    assert outcome.score == pytest.approx(task / (K - 1))
                    ends += 1
            # the tasks of the episodes that start (at this step, or at the next for NEXT_STEP/DISABLED)
            if mode == AutoresetMode.SAME_STEP:
                for i in np.flatnonzero(done):
                    assert info["_task"][i]
                    playing[i] = info["task"][i]
            elif mode == AutoresetMode.DISABLED and done.any():
                _, info = envs.reset(options={"reset_mask": done})
                for i in np.flatnonzero(done):
                    playing[i] = info["task"][i]
            elif "_task" in info:  # NEXT_STEP: the reset's info comes with the step after the end
                for i in np.flatnonzero(info["_task"] & ~done):
                    playing[i] = info["task"][i]
        assert ends > 30
        envs.flush()
        assert len(spy.observed) == ends
        # the main process holds the queue's tasks and the one in play, no more
        assert all(len(sent) <= envs.feeder.depth + 1 for sent in envs.feeder._sent)
    finally:
        envs.close()


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED])
def test_tickets_leave_the_curriculum_unchanged_and_resumable(mode: AutoresetMode) -> None:
    def run(compact: bool) -> teachers.Teacher:
        teacher = teachers.make("lp", spaces.Discrete(K), seed=0)
        envs = make_vector_env(EchoEnv, 3, teacher, vectorization_mode="async", autoreset_mode=mode, return_bounds=(0, K - 1), depth=3)
        envs.set_attr("pedagogy_compact", compact)  # False: the sub-environments send the task and an Outcome
        try:
            _run(envs, mode, 200)
        finally:
            envs.close()
        return teacher

    with_tickets, with_objects = run(True), run(False)
    assert with_tickets.n_observed > 50
    # the teacher saw the same episodes, in the same order: the same state
    assert json.dumps(with_tickets.state_dict(), sort_keys=True) == json.dumps(with_objects.state_dict(), sort_keys=True)
    resumed = teachers.load(json.loads(json.dumps(with_tickets.state_dict())))
    assert list(resumed.propose(20)) == list(with_tickets.propose(20))


def test_task_wrapper_tickets_replays_and_forced_tasks() -> None:
    from pedagogy.gym._feed import SCORE_KEY, TICKET_KEY, TaskFeeder, decode_ticket

    spy = _spy()
    feeder = TaskFeeder(spy, 1, depth=2)
    env = TaskWrapper(EchoEnv(), None, return_bounds=(0, K - 1))
    env.pedagogy_compact = True
    env.pedagogy_queue = feeder.refill()[0]

    def play() -> dict[str, Any]:
        while True:
            _, _, term, trunc, info = env.step(0)
            if term or trunc:
                return info

    seen = []
    for _ in range(3):  # two queued tasks, then the queue is dry: the last one is replayed, unplanned
        _, info = env.reset(seed=0)
        assert "task" not in info
        episode, serial, planned = decode_ticket(info[TICKET_KEY])
        end = play()
        assert "task" not in end and "pedagogy_outcome" not in end
        assert decode_ticket(end[TICKET_KEY]) == (episode, serial, planned)
        task = feeder.task_of(0, serial)
        assert task == env.task and end[SCORE_KEY] == pytest.approx(task / (K - 1))
        seen.append((episode, serial, planned, task))
    assert seen == [(1, 1, True, spy.proposed[0]), (2, 2, True, spy.proposed[1]), (3, 2, False, spy.proposed[1])]
    # a forced task (evaluation) has no ticket: the task itself is in info, and it is not reported
    _, info = env.reset(options={"task": 7})
    assert info["task"] == 7 and TICKET_KEY not in info
    end = play()
    assert end["task"] == 7 and TICKET_KEY not in end and SCORE_KEY not in end and "pedagogy_outcome" not in end
    # a ticket for a task that is over, or was never sent, is rejected, and the feeder is unchanged
    for bad in (1, 3):
        with pytest.raises(RuntimeError, match=f"task number {bad}"):
            feeder.task_of(0, bad)
    assert feeder.task_of(0, 2) == spy.proposed[1]
    with pytest.raises(RuntimeError, match="teacher=None"):
        TaskWrapper(EchoEnv(), spy).pedagogy_compact = True
    with pytest.raises(RuntimeError, match="before any task"):
        queued = TaskWrapper(EchoEnv(), None)
        queued.pedagogy_queue = [1]
        queued.pedagogy_compact = True


def test_vector_with_teacher_that_requires_its_own_proposals() -> None:
    spy = _spy("tscl", algorithm="exp3")
    assert spy.requires_proposed
    envs = make_vector_env(EchoEnv, 3, spy, vectorization_mode="async", autoreset_mode="SameStep", return_bounds=(0, K - 1))
    try:
        finished = _run(envs, AutoresetMode.SAME_STEP, 200)
        _check_exactly_once(spy, envs, finished)
        assert spy.teacher.n_observed == finished
    finally:
        envs.close()


def test_vector_reset_info_has_each_sub_env_task() -> None:
    spy = _spy()
    envs = make_vector_env(EchoEnv, 3, spy, vectorization_mode="sync", return_bounds=(0, K - 1), depth=2)
    _, info = envs.reset(seed=0)
    assert info["_task"].all()
    assert list(info["task"]) == spy.proposed[0:6:2]  # the first task of each queue of 2
    assert [len(q) for q in envs.get_attr("pedagogy_queue")] == [1, 1, 1]
    envs.close()


def test_vector_wrapper_rejects_bad_sub_envs() -> None:
    plain = gymnasium.vector.SyncVectorEnv([EchoEnv] * 2)
    with pytest.raises(ValueError, match="TaskWrapper"):
        VectorTaskWrapper(plain, _spy())
    teacher = teachers.make("random", spaces.Discrete(K), seed=0)
    local = gymnasium.vector.SyncVectorEnv([lambda: TaskWrapper(EchoEnv(), teacher)] * 2)
    with pytest.raises(ValueError, match="teacher=None"):
        VectorTaskWrapper(local, teacher)
    with pytest.raises(ValueError, match="depth"):
        make_vector_env(EchoEnv, 2, teacher, vectorization_mode="sync", depth=0)
    with pytest.raises(ValueError, match="vectorization_mode"):
        make_vector_env(EchoEnv, 2, teacher, vectorization_mode="threads")


def test_task_wrapper_single_env_reports_each_episode() -> None:
    spy = _spy()
    env = TaskWrapper(EchoEnv(), spy, return_bounds=(0, K - 1))
    episodes = 0
    for ep in range(30):
        _, info = env.reset(seed=ep)
        assert info["task"] == spy.proposed[-1] == env.unwrapped.task
        done = False
        while not done:
            _, _, term, trunc, info = env.step(0)
            done = term or trunc
        assert info["pedagogy_outcome"].task == info["task"]
        episodes += 1
    assert len(spy.observed) == episodes
    assert all(s == pytest.approx(t / (K - 1)) for t, s in spy.observed)
    # A forced task (evaluation) is played but not reported.
    _, info = env.reset(options={"task": 3})
    assert info["task"] == 3
    while not any(env.step(0)[2:4]):
        pass
    assert len(spy.observed) == episodes


def test_task_wrapper_score_function_and_errors() -> None:
    spy = _spy()
    env = TaskWrapper(EchoEnv(), spy, score=lambda ret, info: 1.0 if ret >= 5 else 0.0)
    env.reset(seed=0)
    while not any(env.step(0)[2:4]):
        pass
    ((task, score),) = spy.observed
    assert score == (1.0 if task >= 5 else 0.0)
    assert normalize_return(150.0, (0.0, 100.0)) == 1.0 and normalize_return(25.0, (0.0, 100.0)) == 0.25

    class NoSetTask(EchoEnv):
        set_task = None  # type: ignore[assignment]

    with pytest.raises(ValueError, match="set_task"):
        TaskWrapper(NoSetTask(), spy)
    with pytest.raises(ValueError, match="return_bounds"):
        TaskWrapper(EchoEnv(), spy, return_bounds=(1.0, 1.0))
    with pytest.raises(ValueError, match="propose"):
        TaskWrapper(EchoEnv(), object())
    with pytest.raises(RuntimeError, match="no task queued"):
        TaskWrapper(EchoEnv(), None).reset()
    # set_task= overrides the environment's method.
    seen: list[Any] = []
    env = TaskWrapper(EchoEnv(), spy, set_task=lambda e, t: (seen.append(t), e.unwrapped.set_task(t)))
    _, info = env.reset()
    assert seen == [info["task"]]


def _pump(env: gymnasium.Env) -> bool:
    """Energy pumping (push along the velocity): reaches any goal the track allows; True on success."""
    obs, _ = env.reset(seed=0)
    while True:
        obs, _, term, trunc, info = env.step(np.array([1.0 if obs[1] >= 0 else -1.0], dtype=np.float32))
        if term or trunc:
            return bool(info["is_success"])


def test_parametric_mountain_car_has_an_unsolvable_region() -> None:
    env = ParametricMountainCar()
    space = env.task_space()
    assert isinstance(space, spaces.Box) and space.names == ["power", "goal_position"]
    env.set_task([0.0015, 0.45])
    assert _pump(env)
    env.set_task([0.0025, 0.5])
    assert _pump(env)
    env.set_task([0.0025, 0.62])  # past the wall at 0.6: no policy gets there
    assert not _pump(env)
    with pytest.raises(ValueError, match="outside"):
        env.set_task([0.01, 0.45])
    with pytest.raises(ValueError, match="power, goal_position"):
        env.set_task([0.001])
    register_envs()
    register_envs()  # idempotent
    made = gymnasium.make("pedagogy/ParametricMountainCar-v0", max_episode_steps=200)
    assert isinstance(made.unwrapped, ParametricMountainCar)
    made.close()


def test_parametric_env_with_a_teacher_in_a_vector_env() -> None:
    teacher = teachers.make("alp-gmm", ParametricMountainCar.task_space(), seed=0)
    envs = make_vector_env(
        lambda: ParametricMountainCar(max_episode_steps=40),
        2,
        teacher,
        vectorization_mode="async",
        score=lambda ret, info: float(info["is_success"]),
    )
    try:
        _, info = envs.reset(seed=0)
        assert info["task"].shape == (2, 2) and all(t in teacher.space for t in info["task"])
        finished = 0
        for _ in range(200):
            _, _, term, trunc, info = envs.step(envs.action_space.sample())
            finished += int((term | trunc).sum())
    finally:
        envs.close()  # forwards the outcomes the overlap still held
    assert finished == teacher.n_observed >= 8


def test_async_without_overlap_forwards_at_once() -> None:
    spy = _spy()
    envs = make_vector_env(EchoEnv, 2, spy, vectorization_mode="async", overlap=False, return_bounds=(0, K - 1))
    try:
        finished = _run(envs, AutoresetMode.NEXT_STEP, 100)
        assert not envs._backlog and len(spy.observed) == finished
    finally:
        envs.close()


def test_importing_pedagogy_does_not_import_the_extras() -> None:
    code = (
        "import sys, pedagogy, pedagogy.teachers, pedagogy.spaces;"
        "bad = [m for m in ('gymnasium', 'torch', 'ray', 'stable_baselines3', 'trl', 'transformers', 'datasets') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    # each integration imports only its own extra, and pedagogy.gym registers nothing with gymnasium
    code = (
        "import sys, gymnasium, pedagogy.gym;"
        "assert 'pedagogy/ParametricMountainCar-v0' not in gymnasium.registry;"
        "assert not {'torch', 'stable_baselines3', 'ray'} & set(sys.modules), 'gym pulled in more';"
        "import pedagogy.data; assert not {'trl', 'transformers', 'ray'} & set(sys.modules), 'data pulled in more'"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
