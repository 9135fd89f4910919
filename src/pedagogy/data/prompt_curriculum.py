"""``PromptCurriculum``: a teacher over a dataset's prompts (row indices), independent of any trainer.

Prompt-level curricula (DAPO's dynamic sampling, arXiv 2503.14476; online
difficulty filtering, 2504.03380; learnability sampling, 2502.12272) choose
*which prompt* to roll out next from each prompt's history of rewards.  A
:class:`PromptCurriculum` holds one teacher on ``Discrete(range(n_prompts))``:
:meth:`next_indices` asks it for the next row indices, and :meth:`observe`
tells it how each prompt's group of responses did (one signal per prompt:
its success rate by default).  Trainer adapters (verl 0.9's custom dataset and
replay buffer, :mod:`pedagogy.data.verl09`) share one such object; it has no
trainer import, so any loop can use it.

``groups=`` (one label per prompt: its source or difficulty bucket) is handed
to the teacher's own ``groups`` option, for prompt-level teachers that let an
unseen prompt borrow its group's statistics; a teacher without that option is
refused rather than silently ignoring the groups.

Only the teachers' public API is used (``propose``, ``observe``,
``state_dict``, ``load``, ``report``), so every teacher on a ``Discrete``
space works; on large prompt sets pick one whose per-call cost does not grow
with the number of tasks (``large_discrete`` teachers such as ``random``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pedagogy import spaces, teachers
from pedagogy.data.sampler import prompt_signal

__all__ = ["PromptCurriculum", "SIGNALS", "STATE_FORMAT"]

STATE_FORMAT = "pedagogy.prompt_curriculum/1"

#: ``"mean_reward"``: a prompt's mean reward (its success rate for 0/1 rewards); ``"abs_advantage"``: GRPO's mean |advantage|
SIGNALS = ("mean_reward", "abs_advantage")


def _is_int(x: Any) -> bool:
    return not isinstance(x, (bool, np.bool_)) and isinstance(x, (int, np.integer))


class PromptCurriculum:
    """A teacher choosing a dataset's prompts by their row index.

    Parameters
    ----------
    n_prompts : int
        Rows of the dataset; the teacher's space is ``Discrete(range(n_prompts))``.
    teacher : Teacher or str
        A teacher on exactly that space, or a teacher name built on it with
        ``seed`` and ``teacher_options`` (e.g. ``"learnability"``, ``"sec-lp"``,
        ``"lp"``, ``"random"``).
    groups : sequence, optional
        One ``str``/``int`` label per prompt, passed to the teacher's
        ``groups`` option (only with a teacher given by name).
    signal : str
        What the teacher observes per prompt (:data:`SIGNALS`), default
        ``"mean_reward"``: a success rate in [0, 1] for 0/1 rewards.
    seed : int
        The teacher's seed when it is given by name.
    reward_range : (low, high), optional
        Rewards are mapped from ``[low, high]`` onto ``[0, 1]`` before the
        signal is computed (e.g. ``(-1, 1)`` for a verifier scoring -1/+1);
        a reward outside the range is an error.  Default: as they are.
    """

    def __init__(
        self,
        n_prompts: int,
        teacher: teachers.Teacher[Any] | str,
        *,
        groups: Sequence[Any] | None = None,
        signal: str = "mean_reward",
        seed: int = 0,
        teacher_options: Mapping[str, Any] | None = None,
        reward_range: Sequence[float] | None = None,
    ):
        if reward_range is not None:
            try:
                low, high = (float(x) for x in reward_range)
            except (TypeError, ValueError):
                raise ValueError(f"PromptCurriculum: reward_range must be a pair (low, high), got {reward_range!r}") from None
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"PromptCurriculum: reward_range must be finite with low < high, got {reward_range!r}")
            reward_range = (low, high)
        if not _is_int(n_prompts) or n_prompts < 1:
            raise ValueError(f"PromptCurriculum: n_prompts must be a positive integer, got {n_prompts!r}")
        if signal not in SIGNALS:
            raise ValueError(f"PromptCurriculum: signal must be one of {', '.join(SIGNALS)}, got {signal!r}")
        if not _is_int(seed) or seed < 0:
            raise ValueError(f"PromptCurriculum: seed must be a non-negative integer, got {seed!r}")
        n = int(n_prompts)
        options = dict(teacher_options or {})
        if isinstance(teacher, str):
            if groups is not None:
                labels = self._check_groups(groups, n)
                cls = teachers.get(teacher)
                if "groups" not in cls.defaults:
                    raise ValueError(f"PromptCurriculum: teacher {teacher!r} has no groups option, so groups= cannot be used with it")
                if "groups" in options:
                    raise ValueError("PromptCurriculum: give the groups as groups=, not in teacher_options")
                options["groups"] = labels
            teacher = teachers.make(teacher, spaces.Discrete(list(range(n))), seed=int(seed), **options)
        elif not isinstance(teacher, teachers.Teacher):
            raise ValueError(f"PromptCurriculum: teacher must be a pedagogy Teacher or a teacher name, got {teacher!r}")
        elif options or groups is not None:
            raise ValueError("PromptCurriculum: teacher_options and groups only apply when the teacher is given by name")
        space = teacher.space
        if not isinstance(space, spaces.Discrete) or space.tasks != list(range(n)):
            raise ValueError(f"PromptCurriculum: the teacher needs the space Discrete(range({n})) of the row indices, got {space!r}")
        self.n_prompts = n
        self.signal = str(signal)
        self.reward_range: tuple[float, float] | None = None if reward_range is None else (reward_range[0], reward_range[1])
        self.teacher: teachers.Teacher[Any] = teacher

    @staticmethod
    def _check_groups(groups: Sequence[Any], n: int) -> list[Any]:
        labels = groups.tolist() if isinstance(groups, np.ndarray) else list(groups)
        if len(labels) != n:
            raise ValueError(f"PromptCurriculum: groups has {len(labels)} labels for {n} prompts (one per prompt)")
        for i, g in enumerate(labels):
            if isinstance(g, np.generic):
                g = labels[i] = g.item()
            if isinstance(g, bool) or not isinstance(g, (str, int)):
                raise ValueError(f"PromptCurriculum: the group of prompt {i} must be a str or int label, got {g!r}")
        return labels

    # ------------------------------------------------------------------ choose
    def next_indices(self, n: int) -> list[int]:
        """The next ``n`` row indices to roll out (the teacher's proposals)."""
        if not _is_int(n) or n < 1:
            raise ValueError(f"PromptCurriculum.next_indices: n must be a positive integer, got {n!r}")
        return [int(i) for i in self.teacher.propose(int(n))]

    def next_index(self) -> int:
        """The next row index to roll out."""
        return int(self.teacher.propose())

    # ---------------------------------------------------------------- feedback
    def _check_index(self, i: Any, where: str) -> int:
        if not _is_int(i) or not 0 <= int(i) < self.n_prompts:
            raise ValueError(f"PromptCurriculum.{where}: prompt {i!r} is not a row index in [0, {self.n_prompts})")
        return int(i)

    def _check_signal(self, i: int, s: float) -> float:
        low, high = self.teacher.score_range
        if (low is not None and s < low) or (high is not None and s > high):
            lo = "-inf" if low is None else f"{low:g}"
            hi = "inf" if high is None else f"{high:g}"
            raise ValueError(
                f"PromptCurriculum: the {self.signal} of prompt {i} is {s:g}, outside [{lo}, {hi}] that teacher "
                f"'{self.teacher.name}' takes ({self.teacher.score_doc})"
            )
        return s

    def observe_rates(self, indices: Sequence[Any], rates: Sequence[Any]) -> None:
        """Give the teacher one signal per prompt directly (e.g. each prompt's success rate).

        Every input is checked before the teacher changes: a bad index, a NaN
        or a value outside the teacher's score range raises a ``ValueError``
        naming the prompt.
        """
        idx, vals = list(indices), list(rates)
        if len(idx) != len(vals):
            raise ValueError(f"PromptCurriculum.observe_rates: {len(idx)} prompts but {len(vals)} rates")
        rows = [self._check_index(i, "observe_rates") for i in idx]
        checked = []
        for i, v in zip(rows, vals):
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)) or not math.isfinite(float(v)):
                raise ValueError(f"PromptCurriculum.observe_rates: the rate of prompt {i} must be a finite number, got {v!r}")
            checked.append(self._check_signal(i, float(v)))
        if rows:
            self.teacher.observe(rows, checked)

    def observe(self, indices: Sequence[Any], rewards: Sequence[Sequence[float]]) -> list[float | None]:
        """Feed the teacher each prompt's group of response rewards; return the signals observed.

        ``rewards[k]`` are the rewards of the responses to prompt
        ``indices[k]``.  NaN rewards (unscorable responses) are left out and a
        prompt left with none is skipped (``None`` in the result).  Every
        input is checked before the teacher changes.
        """
        idx, groups = list(indices), list(rewards)
        if len(idx) != len(groups):
            raise ValueError(f"PromptCurriculum.observe: {len(idx)} prompts but {len(groups)} reward groups")
        rows = [self._check_index(i, "observe") for i in idx]
        signals: list[float | None] = []
        for i, g in zip(rows, groups):
            try:
                values = [float(x) for x in g]
            except (TypeError, ValueError):
                raise ValueError(f"PromptCurriculum.observe: the rewards of prompt {i} must be a sequence of numbers, got {g!r}") from None
            if any(math.isinf(x) for x in values):
                raise ValueError(f"PromptCurriculum.observe: the rewards of prompt {i} must be finite, got {values}")
            if self.reward_range is not None:
                low, high = self.reward_range
                if any(x < low or x > high for x in values if x == x):
                    raise ValueError(
                        f"PromptCurriculum.observe: a reward of prompt {i} is outside reward_range [{low:g}, {high:g}]: {values}"
                    )
                values = [(x - low) / (high - low) for x in values]
            s = prompt_signal(values, self.signal)
            signals.append(None if s is None else self._check_signal(i, s))
        kept = [(i, s) for i, s in zip(rows, signals) if s is not None]
        if kept:
            self.teacher.observe([i for i, _ in kept], [s for _, s in kept])
        return signals

    # ------------------------------------------------------------------ resume
    def state_dict(self) -> dict[str, Any]:
        """Plain JSON data: the teacher's state and this object's settings (exact resume)."""
        return {
            "format": STATE_FORMAT,
            "n_prompts": self.n_prompts,
            "signal": self.signal,
            "reward_range": None if self.reward_range is None else list(self.reward_range),
            "teacher": self.teacher.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume from :meth:`state_dict` output; the state must be of a curriculum over as many prompts."""
        if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"PromptCurriculum.load_state_dict: not a prompt-curriculum state (expected format {STATE_FORMAT!r})")
        if state.get("n_prompts") != self.n_prompts:
            raise ValueError(
                f"PromptCurriculum.load_state_dict: the state is of {state.get('n_prompts')!r} prompts, this dataset has {self.n_prompts}"
            )
        if state.get("signal") not in SIGNALS:
            raise ValueError(f"PromptCurriculum.load_state_dict: signal must be one of {', '.join(SIGNALS)}, got {state.get('signal')!r}")
        teacher = teachers.load(state["teacher"])
        if not isinstance(teacher.space, spaces.Discrete) or teacher.space.tasks != list(range(self.n_prompts)):
            raise ValueError("PromptCurriculum.load_state_dict: the teacher's space is not the row indices")
        rr = state.get("reward_range")
        if rr is not None and (not isinstance(rr, (list, tuple)) or len(rr) != 2 or not float(rr[0]) < float(rr[1])):
            raise ValueError(f"PromptCurriculum.load_state_dict: reward_range must be null or [low, high], got {rr!r}")
        self.teacher, self.signal = teacher, str(state["signal"])
        self.reward_range = None if rr is None else (float(rr[0]), float(rr[1]))

    def report(self) -> dict[str, Any]:
        """The teacher's report, with the number of prompts."""
        return {"prompts": self.n_prompts, **self.teacher.report()}

    def __repr__(self) -> str:
        return f"PromptCurriculum({self.n_prompts} prompts, {self.teacher!r}, signal={self.signal!r})"
