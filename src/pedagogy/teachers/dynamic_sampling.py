"""DAPO's dynamic sampling in front of any teacher: batches of informative groups only.

DAPO (Yu et al. 2025, "DAPO: An Open-Source LLM Reinforcement Learning
System at Scale", arXiv 2503.14476, section 3.2) drops every prompt whose
group of rollouts all got the same reward — all correct or all wrong: zero
variance, so every GRPO advantage is 0 and the group contributes no
gradient — and keeps sampling until the batch is full of groups with
non-zero variance.  The dropped rollouts were generated all the same: the
filter buys full batches of signal with extra rollouts.

:class:`DynamicSampling` does this for any pedagogy teacher (and any trainer
that can ask for more prompts): it proposes, takes the groups' outcomes,
tells the teacher of **every** group — the dropped ones included, since "this
prompt is solved" or "this prompt is hopeless" is what a curriculum needs to
know — keeps the informative groups, and proposes again for the missing
ones, until the batch is full or ``max_rounds`` rounds were spent.  Every
group and rollout is counted (:meth:`DynamicSampling.stats`).

Defaults and their sources:

* ``max_rounds=10``: the DAPO recipe's run scripts (verl ``recipe/dapo``,
  ``max_num_gen_batches=10``) give up after 10 generation batches; ``None``
  never gives up.  A batch that is not full when the rounds run out is
  returned as it is (``stats()["partial_batches"]``), where verl stops with
  an error.
* ``refill="missing"``: each round proposes only the groups still missing.
  DAPO's recipe generates whole generation batches and throws away the
  surplus informative groups: ``refill="batch"`` does that (the surplus is
  counted as dropped, ``stats()["surplus_groups"]``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import Any

from pedagogy.teachers.base import Teacher

__all__ = ["DynamicSampling", "success_rate", "zero_variance"]

STATE_FORMAT = "pedagogy.dynamic_sampling/1"


def _rewards(rewards: Any, who: str) -> list[float]:
    if isinstance(rewards, (str, bytes, Mapping)) or not hasattr(rewards, "__iter__"):
        raise ValueError(f"{who}: a group's rewards must be a sequence of numbers, got {rewards!r:.60}")
    values = rewards.tolist() if hasattr(rewards, "tolist") else list(rewards)
    out: list[float] = []
    for r in values:
        if isinstance(r, bool) or not isinstance(r, Real):
            raise ValueError(f"{who}: rewards must be real numbers, got {r!r:.60}")
        out.append(float(r))
    if any(math.isinf(r) for r in out):
        raise ValueError(f"{who}: rewards must be finite (NaN marks an unscorable completion), got {out!r:.80}")
    return out


def zero_variance(rewards: Sequence[float]) -> bool:
    """Whether a group's rewards all agree (NaN rewards, unscorable completions, left out; no reward left counts as agreeing)."""
    r = [x for x in _rewards(rewards, "zero_variance") if x == x]
    return all(x == r[0] for x in r)


def success_rate(rewards: Sequence[float]) -> float:
    """A group's success rate for a prompt-level teacher: the mean of its rewards clipped to [0, 1] (NaN left out).

    Raises ``ValueError`` when no reward is left (nothing to tell the teacher).
    """
    r = [min(1.0, max(0.0, x)) for x in _rewards(rewards, "success_rate") if x == x]
    if not r:
        raise ValueError("success_rate: every reward of the group is NaN (no completion could be scored)")
    return sum(r) / len(r)


class DynamicSampling:
    """Fill batches of ``batch_size`` informative groups from ``teacher``'s proposals (see the module docstring).

    Parameters
    ----------
    teacher:
        Any pedagogy teacher; it proposes the prompts and observes one
        signal per group.
    batch_size:
        Informative groups per batch.
    max_rounds:
        Proposal rounds per batch before a partial batch is returned
        (default 10; ``None``: no limit).
    refill:
        ``"missing"`` (default) or ``"batch"`` (DAPO's recipe), see above.
    informative:
        ``outcome -> bool``: whether a group is kept.  Default: its rewards
        (the outcome is a sequence of rewards) do not all agree.
    signal:
        ``outcome -> float``: what the teacher observes for a group.
        Default: :func:`success_rate`.
    rollouts_per_group:
        Rollouts per group, for the counts only (default: the length of
        each outcome when it is a sequence, else 1).

    Use :meth:`fill` with a rollout function, or drive the rounds yourself:
    :meth:`propose`, then :meth:`observe` with the outcomes, until
    :attr:`ready`, then :meth:`take`.
    """

    def __init__(
        self,
        teacher: Teacher[Any],
        batch_size: int,
        *,
        max_rounds: int | None = 10,
        refill: str = "missing",
        informative: Callable[[Any], bool] | None = None,
        signal: Callable[[Any], float] | None = None,
        rollouts_per_group: int | None = None,
    ):
        if not isinstance(teacher, Teacher):
            raise ValueError(f"DynamicSampling: teacher must be a pedagogy Teacher, got {teacher!r:.60}")
        for key, v in (("batch_size", batch_size), ("max_rounds", max_rounds), ("rollouts_per_group", rollouts_per_group)):
            if v is None and key != "batch_size":
                continue
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"DynamicSampling: {key} must be a positive integer{'' if key == 'batch_size' else ' or None'}, got {v!r}")
        if refill not in ("missing", "batch"):
            raise ValueError(f"DynamicSampling: refill must be 'missing' or 'batch', got {refill!r}")
        for key, f in (("informative", informative), ("signal", signal)):
            if f is not None and not callable(f):
                raise ValueError(f"DynamicSampling: {key} must be a function of a group's outcome, got {f!r:.60}")
        self.teacher = teacher
        self.batch_size = int(batch_size)
        self.max_rounds = None if max_rounds is None else int(max_rounds)
        self.refill = refill
        self._informative = informative or (lambda outcome: not zero_variance(outcome))
        self._signal = signal or success_rate
        self.rollouts_per_group = rollouts_per_group
        self._kept: list[tuple[Any, Any]] = []
        self._rounds = 0
        self._outstanding = 0  # proposed, not yet observed
        self.groups = 0  # every group rolled out
        self.dropped = 0  # groups dropped for zero variance
        self.surplus = 0  # informative groups beyond a full batch (refill="batch")
        self.rollouts = 0
        self.dropped_rollouts = 0
        self.batches = 0
        self.partial_batches = 0

    # ------------------------------------------------------------- rounds
    @property
    def missing(self) -> int:
        """Informative groups the current batch still needs."""
        return max(0, self.batch_size - len(self._kept))

    @property
    def ready(self) -> bool:
        """Whether the current batch is complete: full, or out of rounds."""
        return self.missing == 0 or (self.max_rounds is not None and self._rounds >= self.max_rounds)

    def propose(self, limit: int | None = None) -> list[Any]:
        """The prompts of the next round: the missing groups (``refill="batch"``: a whole batch), at most ``limit``."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ValueError(f"DynamicSampling.propose: limit must be a positive integer or None, got {limit!r}")
        if self.ready:
            raise ValueError("DynamicSampling.propose: the batch is complete; take() it first")
        n = self.batch_size if self.refill == "batch" else self.missing
        if limit is not None:
            n = min(n, limit)
        tasks = list(self.teacher.propose(n))
        self._outstanding += len(tasks)
        return tasks

    def observe(self, tasks: Sequence[Any], outcomes: Sequence[Any]) -> list[bool]:
        """Tell the teacher every group's signal, keep the informative groups; returns which were kept.

        Everything is checked (lengths, each signal, the teacher's own checks)
        before anything changes.
        """
        tasks, outcomes = list(tasks), list(outcomes)
        if len(tasks) != len(outcomes):
            raise ValueError(f"DynamicSampling.observe: {len(tasks)} tasks but {len(outcomes)} outcomes")
        signals, keep, sizes = [], [], []
        for task, outcome in zip(tasks, outcomes):
            try:
                s = float(self._signal(outcome))
                k = bool(self._informative(outcome))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"DynamicSampling.observe: the outcome of {task!r} is not usable: {exc}") from None
            if not math.isfinite(s):
                raise ValueError(f"DynamicSampling.observe: the signal of {task!r} is {s}, not a finite number")
            signals.append(s)
            keep.append(k)
            sizes.append(self._size(outcome))
        if tasks:
            self.teacher.observe(tasks, signals)  # validates before it changes anything
        self._rounds += 1
        self._outstanding = max(0, self._outstanding - len(tasks))
        self.groups += len(tasks)
        self.rollouts += sum(sizes)
        for task, outcome, k, size in zip(tasks, outcomes, keep, sizes):
            if k:
                self._kept.append((task, outcome))
            else:
                self.dropped += 1
                self.dropped_rollouts += size
        return keep

    def _size(self, outcome: Any) -> int:
        if self.rollouts_per_group is not None:
            return self.rollouts_per_group
        return len(outcome) if isinstance(outcome, Sequence) or hasattr(outcome, "__len__") else 1

    def take(self) -> list[tuple[Any, Any]]:
        """The complete batch as ``(task, outcome)`` pairs (fewer than ``batch_size`` when out of rounds); starts the next."""
        if not self.ready:
            raise ValueError(f"DynamicSampling.take: the batch still misses {self.missing} groups and has rounds left")
        batch, extra = self._kept[: self.batch_size], self._kept[self.batch_size :]
        for _, outcome in extra:
            size = self._size(outcome)
            self.surplus += 1
            self.dropped_rollouts += size
        self.batches += 1
        self.partial_batches += len(batch) < self.batch_size
        self._kept, self._rounds, self._outstanding = [], 0, 0
        return batch

    def fill(self, rollout: Callable[[list[Any]], Sequence[Any]]) -> list[tuple[Any, Any]]:
        """One complete batch: propose, ``rollout(tasks) -> outcomes``, observe, until :attr:`ready`."""
        while not self.ready:
            tasks = self.propose()
            outcomes = list(rollout(tasks))
            self.observe(tasks, outcomes)
        return self.take()

    # --------------------------------------------------------------- facts
    def stats(self) -> dict[str, float]:
        """Counts so far: groups and rollouts, those dropped (zero variance, and surplus), batches (partial ones)."""
        return {
            "groups": self.groups,
            "dropped_groups": self.dropped,
            "surplus_groups": self.surplus,
            "rollouts": self.rollouts,
            "dropped_rollouts": self.dropped_rollouts,
            "dropped_share": self.dropped_rollouts / self.rollouts if self.rollouts else 0.0,
            "batches": self.batches,
            "partial_batches": self.partial_batches,
        }

    def state_dict(self) -> dict[str, Any]:
        """Plain JSON data (the teacher's state and the counts), between batches only."""
        if self._kept or self._rounds or self._outstanding:
            raise ValueError("DynamicSampling.state_dict: a batch is being filled; save between batches (after take())")
        return {"format": STATE_FORMAT, "teacher": self.teacher.state_dict(), "stats": self.stats()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume from :meth:`state_dict` (the teacher is rebuilt from its state)."""
        from pedagogy.teachers.base import load

        if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"DynamicSampling.load_state_dict: not a dynamic-sampling state (expected format {STATE_FORMAT!r})")
        teacher = load(state["teacher"])
        st = state["stats"]
        self.teacher = teacher
        self.groups, self.dropped, self.surplus = int(st["groups"]), int(st["dropped_groups"]), int(st["surplus_groups"])
        self.rollouts, self.dropped_rollouts = int(st["rollouts"]), int(st["dropped_rollouts"])
        self.batches, self.partial_batches = int(st["batches"]), int(st["partial_batches"])
        self._kept, self._rounds, self._outstanding = [], 0, 0
