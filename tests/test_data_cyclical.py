"""CyclicalSampler: one epoch of the cyclical schedule per pass, through a DataLoader, resumable."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from pedagogy.cyclical import CyclicalSchedule
from pedagogy.data import CyclicalSampler

N = 40
SCORES = np.arange(N, dtype=float)[::-1]  # example 0 is the easiest


def _loader(sampler: CyclicalSampler) -> DataLoader:
    data = TensorDataset(torch.arange(N))
    return DataLoader(data, batch_size=4, sampler=sampler, num_workers=0)


def test_each_pass_is_one_epoch_of_the_schedule_easiest_first():
    schedule = CyclicalSchedule(N, SCORES)
    sampler = CyclicalSampler(CyclicalSchedule(N, SCORES))
    for epoch in range(7):
        assert len(sampler) == schedule.size(epoch)
        seen = sorted(int(x) for (batch,) in _loader(sampler) for x in batch)
        assert seen == sorted(schedule.subset(epoch).tolist())  # the epoch's subset, each once
        assert max(seen) == schedule.size(epoch) - 1  # the easiest examples only
    assert [CyclicalSchedule(N, SCORES).size(e) for e in range(5)] == [10, 20, 40, 20, 10]


def test_resumes_with_the_same_batches():
    a = CyclicalSampler(CyclicalSchedule(N, SCORES, seed=3))
    for _ in range(3):
        list(a)
    state = json.loads(json.dumps(a.state_dict()))
    b = CyclicalSampler(CyclicalSchedule(N, SCORES, seed=3))
    b.load_state_dict(state)
    assert [list(a) for _ in range(4)] == [list(b) for _ in range(4)]


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="schedule must be a pedagogy.cyclical.CyclicalSchedule"):
        CyclicalSampler([1, 2, 3])  # type: ignore[arg-type]
    s = CyclicalSampler(CyclicalSchedule(N, SCORES))
    with pytest.raises(ValueError, match="state was saved with different scores"):
        s.load_state_dict(CyclicalSampler(CyclicalSchedule(N, SCORES + 1)).state_dict())
    assert s.schedule.epoch == 0
