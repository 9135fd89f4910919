"""One run: a teacher on a fresh learner for a budget of practice calls, with the learner's curve.

The loop proposes ``scenario.batch`` tasks at a time (``propose`` ->
``practice_many`` -> ``observe``) and calls the learner's ground-truth
``evaluate()`` at evenly spaced points; between them it probes for the first
full mastery.  Everything it needs is in the :class:`~pedagogy.bench.plan.RunSpec`.
"""

from __future__ import annotations

import math
import sys
import time
import traceback
from contextlib import ExitStack
from typing import Any

import numpy as np

from pedagogy.bench.plan import RunSpec

__all__ = ["MAX_DISCRETE_TASKS", "MAX_TASK_POINTS", "TASK_BINS", "eval_points", "run_one"]

#: most proposed tasks recorded per run for the "where did the teacher send tasks" picture
MAX_TASK_POINTS = 2000
#: time bins and most tasks of the per-task proposal counts recorded for Discrete spaces
TASK_BINS = 20
MAX_DISCRETE_TASKS = 200


def limit_threads() -> ExitStack:
    """Run numerical libraries single-threaded (returns a context to undo it).

    Parallelism comes from processes; one BLAS/torch thread per run also keeps
    floating-point reductions identical whatever ``jobs`` is.
    """
    stack = ExitStack()
    try:
        from threadpoolctl import threadpool_limits

        stack.enter_context(threadpool_limits(limits=1))
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    limit_torch(stack)
    return stack


def limit_torch(stack: Any) -> None:
    """One torch thread, if torch is loaded (learners may import it lazily, so this is called twice)."""
    torch = sys.modules.get("torch")
    if torch is not None and not getattr(stack, "_torch_limited", False):
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        stack.callback(torch.set_num_threads, before)
        stack._torch_limited = True


def eval_points(budget: int, evaluations: int) -> list[int]:
    """Episodes after which ``evaluate()`` is called: 0, ``evaluations`` evenly spaced points, the end."""
    pts = np.round(np.linspace(0, budget, max(1, evaluations) + 1)).astype(int)
    return sorted(set(pts.tolist()))


class _Recorder:
    """Where the teacher sent its tasks: a bounded subsample (Box) or proposals per task and time bin (Discrete)."""

    def __init__(self, space: Any, budget: int, enabled: bool) -> None:
        from pedagogy.spaces import Box, Discrete

        self.space, self.budget = space, budget
        self.is_box = enabled and isinstance(space, Box)
        self.is_disc = enabled and isinstance(space, Discrete) and space.n <= MAX_DISCRETE_TASKS
        self.stride = max(1, math.ceil(budget / MAX_TASK_POINTS))
        self.episode: list[int] = []
        self.xy: list[list[float]] = []
        self.counts = np.zeros((TASK_BINS, space.n if self.is_disc else 0), dtype=np.int64)

    def add(self, done: int, tasks: list[Any]) -> None:
        if self.is_box:
            for i, task in enumerate(tasks):
                if (done + i) % self.stride == 0:
                    self.episode.append(done + i)
                    self.xy.append([round(float(v), 5) for v in np.asarray(task)[:2]])
        elif self.is_disc:
            for i, task in enumerate(tasks):
                self.counts[(done + i) * TASK_BINS // self.budget, self.space.index(task)] += 1

    def result(self) -> dict[str, Any] | None:
        if self.is_box:
            return {"episode": self.episode, "x": self.xy}
        if self.is_disc:
            return {"bins": TASK_BINS, "names": [str(t) for t in self.space.tasks], "counts": self.counts.tolist()}
        return None


class _Oracle:
    """The oracle reference in the teacher's place: each proposal is the learner's ``oracle_task()``; scores are ignored."""

    def __init__(self, learner: Any) -> None:
        self.learner = learner

    def propose(self, n: int) -> list[Any]:
        return [self.learner.oracle_task() for _ in range(n)]

    def observe(self, tasks: list[Any], scores: list[float]) -> None:
        pass


def _filtered(teacher: Any, learner: Any, batch: int) -> Any:
    """``teacher`` behind DAPO's filter: groups the learner calls uninformative are dropped and replaced (and still observed)."""
    from pedagogy.teachers.dynamic_sampling import DynamicSampling

    learner.informative(0.0)  # refuses, naming the learner, when its practice is not a group of rollouts
    return DynamicSampling(
        teacher, batch, max_rounds=None, informative=learner.informative, signal=float, rollouts_per_group=getattr(learner, "group", 1)
    )


def run_one(spec: RunSpec) -> dict[str, Any]:
    """One teacher on one fresh learner; returns the curve and the run's facts.

    Returns a dict with the spec's names and seeds, ``episodes`` (where
    ``evaluate()`` was called), ``curve`` (``evaluate()`` key -> values),
    ``mastery_episode`` (first episode where ``mastered_fraction`` was seen at
    1, or ``None``: besides the curve points, ``evaluate()`` is probed up to
    ``mastery_probes`` times along the run until it is, so the resolution is
    ``budget / mastery_probes`` episodes, rounded up to whole batches),
    ``tasks`` (see :class:`_Recorder`) and ``wall_time_s``.  Any exception
    inside the run is caught and returned as ``error`` so one broken teacher
    does not stop a benchmark.

    An oracle spec (``spec.oracle``) takes its tasks from the learner's
    ``oracle_task()`` through the same loop.  A teacher the scenario names in
    its ``signals`` observes that learner signal (``Learner.use_signal``).  A
    teacher with a ``groups`` option gets the learner's ``task_groups`` (each
    task's source), when the learner has them.
    """
    from pedagogy import teachers

    t0 = time.perf_counter()
    out: dict[str, Any] = {
        "scenario": spec.scenario,
        "teacher": spec.teacher,
        "seed_index": spec.seed_index,
        "learner_seed": spec.learner_seed,
        "teacher_seed": spec.teacher_seed,
        "variant": spec.variant,
    }
    try:
        from pedagogy.sim.split import variant

        sc = variant(spec.scenario, spec.variant)
        budget = spec.budget
        with limit_threads() as limits:
            learner = sc.factory(spec.learner_seed)
            if spec.oracle:
                tutor: Any = _Oracle(learner)
            else:
                options = dict(spec.options)
                groups = getattr(learner, "task_groups", None)
                if groups is not None and "groups" in teachers.get(spec.teacher_name).defaults:
                    options.setdefault("groups", list(groups))  # a prompt-level teacher gets each task's source
                tutor = teachers.make(spec.teacher_name, learner.space, seed=spec.teacher_seed, **options)
                signal = sc.signals.get(spec.teacher_name)
                if signal is not None:
                    learner.use_signal(signal)
                if spec.dynamic_sampling:
                    tutor = _filtered(tutor, learner, int(sc.batch))
            limit_torch(limits)
            points = eval_points(budget, sc.evaluations)
            recorder = _Recorder(learner.space, budget, spec.record_tasks)
            episodes: list[int] = []
            curve: dict[str, list[float]] = {}
            mastery: int | None = None

            def evaluate(done: int) -> None:
                nonlocal mastery
                ev = learner.evaluate()
                episodes.append(done)
                for k, v in ev.items():
                    curve.setdefault(str(k), []).append(float(v))
                if mastery is None and float(ev.get("mastered_fraction", 0.0)) >= 1.0:
                    mastery = done

            evaluate(0)
            nxt = 1
            done = 0
            batch = max(1, int(sc.batch))
            probe_every = math.ceil(budget / spec.mastery_probes) if spec.mastery_probes > 0 else None
            next_probe = probe_every
            # where a run of whole batches evaluates; a filtered run's rounds stop there too, so every row shares the episodes
            marks = sorted({min(budget, -(-p // batch) * batch) for p in points if p > 0})
            while done < budget:
                limit = min(batch, budget - done)
                if spec.dynamic_sampling:
                    limit = min(limit, next(m for m in marks if m > done) - done)
                tasks = tutor.propose(limit)
                n = len(tasks)
                scores = learner.practice_many(tasks)
                tutor.observe(tasks, [float(s) for s in scores])
                if spec.dynamic_sampling and tutor.ready:
                    tutor.take()  # the learner trained on the groups as it rolled them out; zero-variance ones teach nothing
                recorder.add(done, tasks)
                done += n
                if nxt < len(points) and points[nxt] <= done and (not spec.dynamic_sampling or done in marks):
                    evaluate(done)
                    while nxt < len(points) and points[nxt] <= done:
                        nxt += 1
                elif (
                    mastery is None
                    and next_probe is not None
                    and next_probe <= done
                    and float(learner.evaluate().get("mastered_fraction", 0.0)) >= 1.0
                ):
                    # a finer look for the first full mastery only (not part of the curve)
                    mastery = done
                if next_probe is not None and probe_every is not None:
                    while next_probe <= done:
                        next_probe += probe_every
        out.update(episodes=episodes, curve=curve, mastery_episode=mastery)
        if spec.dynamic_sampling:
            out["dynamic_sampling"] = tutor.stats()
        tasks_seen = recorder.result()
        if tasks_seen is not None:
            out["tasks"] = tasks_seen
    except Exception as exc:  # noqa: BLE001 - reported, not hidden: see "error"
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = "".join(tb[-6:])
    out["wall_time_s"] = time.perf_counter() - t0
    return out
