"""``CyclicalSampler``: the cyclical curriculum of :mod:`pedagogy.cyclical` as a torch ``Sampler``.

One pass over the sampler is one epoch of Kesgin & Amasyali's schedule: the
epoch's subset (the easiest examples first by score, its size cycling between
curriculum and vanilla phases), shuffled with a generator seeded by the epoch,
so a run that saves ``state_dict()`` and loads it into a fresh sampler goes on
with exactly the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch.utils.data

from pedagogy.cyclical import CyclicalSchedule

__all__ = ["CyclicalSampler"]


class CyclicalSampler(torch.utils.data.Sampler[int]):
    """Yield the indices of one epoch of ``schedule``; each ``iter()`` starts the next epoch.

    ``shuffle=True`` (default) shuffles the epoch's subset, seeded by
    ``(schedule.seed, epoch)``; ``False`` keeps the easiest-first order.
    ``len()`` is the size of the epoch the next ``iter()`` will yield.
    """

    def __init__(self, schedule: CyclicalSchedule, shuffle: bool = True) -> None:
        if not isinstance(schedule, CyclicalSchedule):
            raise ValueError(f"CyclicalSampler: schedule must be a pedagogy.cyclical.CyclicalSchedule, got {type(schedule).__name__}")
        if not isinstance(shuffle, bool):
            raise ValueError(f"CyclicalSampler: shuffle must be true or false, got {shuffle!r}")
        self.schedule = schedule
        self.shuffle = shuffle

    def __len__(self) -> int:
        return self.schedule.size(self.schedule.epoch)

    def __iter__(self) -> Iterator[int]:
        epoch = self.schedule.epoch
        idx = self.schedule.next_subset()
        if self.shuffle:
            idx = np.random.default_rng([self.schedule.seed, epoch, 1]).permutation(idx)
        return iter(idx.tolist())

    def state_dict(self) -> dict[str, Any]:
        """Plain JSON: the schedule's state (the epoch to yield next) and the shuffle flag."""
        return {"schedule": self.schedule.state_dict(), "shuffle": self.shuffle}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume: the next ``iter()`` yields the epoch that was next when the state was saved."""
        if not isinstance(state, dict) or "schedule" not in state or state.get("shuffle") != self.shuffle:
            raise ValueError("CyclicalSampler: not a state of a sampler with this shuffle setting")
        self.schedule.load_state_dict(state["schedule"])
