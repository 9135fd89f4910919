"""pedagogy.data.CurriculumSampler: batches from the teacher's groups, feedback, exact resume."""

from __future__ import annotations

import json
from collections import Counter

import pytest

torch = pytest.importorskip("torch", reason="pedagogy.data needs the torch extra")
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from pedagogy import spaces, teachers  # noqa: E402
from pedagogy.data import CurriculumSampler  # noqa: E402

LABELS = ["easy"] * 20 + ["mid"] * 30 + ["hard"] * 50
SPACE = spaces.Discrete(["easy", "hard", "mid"])
DATA = TensorDataset(torch.arange(len(LABELS)))


def test_mixed_batches_follow_the_teacher_proposals() -> None:
    sampler = CurriculumSampler(LABELS, teachers.make("random", SPACE, seed=5), 8, num_batches=10)
    replica = teachers.make("random", SPACE, seed=5)
    batches = list(sampler.batches())
    assert len(batches) == 10 and all(len(b) == 8 for b in batches)
    for batch in batches:
        assert [LABELS[i] for i in batch] == replica.propose(8)
    assert len(list(sampler)) == len(sampler) == 80


def test_one_group_per_batch_and_each_group_is_covered_before_repeats() -> None:
    sampler = CurriculumSampler(LABELS, "sequential", 5, per_batch=True, num_batches=4, seed=1)
    batches = list(sampler.batches())
    for batch in batches:
        assert len({LABELS[i] for i in batch}) == 1
    rows = [i for b in batches for i in b]  # 20 rows of the first group: each exactly once
    assert sorted(rows) == [i for i, g in enumerate(LABELS) if g == "easy"]


def test_signals_steer_the_curriculum() -> None:
    """DUMP sends more batches where |advantage| is high (here: 'hard')."""
    sampler = CurriculumSampler(LABELS, "dump", 10, num_batches=60, seed=0)
    seen: Counter[str] = Counter()
    for batch in sampler.batches():
        groups = [LABELS[i] for i in batch]
        seen.update(groups)
        sampler.observe(batch, [1.0 if g == "hard" else 0.05 for g in groups])
    assert sampler.teacher.n_observed == 600
    assert seen["hard"] > 2 * max(seen["easy"], seen["mid"])


def _train(sampler: CurriculumSampler, loader: DataLoader, log: list[list[int]], stop_at: int | None = None) -> bool:
    """A fake training loop: the signal depends on the rows and the step; True if it stopped early."""
    for (x,) in loader:
        step = len(log)
        if stop_at is not None and step == stop_at:
            return True
        rows = x.tolist()
        log.append(rows)
        sampler.observe(rows, [((r * 7 + step) % 10) / 10 for r in rows])
    return False


def _loader(sampler: CurriculumSampler) -> DataLoader:
    return DataLoader(DATA, batch_size=sampler.batch_size, sampler=sampler, num_workers=2, prefetch_factor=2)


def _sampler() -> CurriculumSampler:
    return CurriculumSampler(LABELS, "sec", 6, num_batches=12, seed=3)


def test_interrupted_run_equals_uninterrupted_run_with_dataloader_workers() -> None:
    full = _sampler()
    full_log: list[list[int]] = []
    for _ in range(2):  # two epochs
        _train(full, _loader(full), full_log)

    run = _sampler()
    log: list[list[int]] = []
    _train(run, _loader(run), log)
    assert _train(run, _loader(run), log, stop_at=17)  # crash in the middle of epoch 2 ...
    saved = json.loads(json.dumps(run.state_dict()))  # ... after a checkpoint at step 17
    assert saved["pending"]  # the workers had prefetched batches that were never trained on
    del run
    resumed = _sampler()
    resumed.load_state_dict(saved)
    _train(resumed, _loader(resumed), log)  # the rest of epoch 2
    assert log == full_log
    assert json.dumps(resumed.state_dict()["teacher"]) == json.dumps(json.loads(json.dumps(full.state_dict()["teacher"])))
    next_full, next_resumed = list(full.batches()), list(resumed.batches())  # and epoch 3 alike
    assert next_full == next_resumed


def test_group_column_of_a_dataframe_and_a_hf_dataset() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": [f"q{i}" for i in range(len(LABELS))], "level": LABELS})
    s = CurriculumSampler("level", "lp", 4, dataset=frame, num_batches=3)
    assert all(frame["level"][i] in SPACE for i in s)
    datasets = pytest.importorskip("datasets")
    hf = datasets.Dataset.from_pandas(frame)
    s = CurriculumSampler("level", "lp", 4, dataset=hf, num_batches=3)
    batch = next(iter(s.batches()))
    s.observe([hf[i]["level"] for i in batch], [1.0, 0.0, 1.0, 0.0])  # by group label
    assert s.teacher.n_observed == 4
    with pytest.raises(ValueError, match="no column 'source'"):
        CurriculumSampler("source", "lp", 4, dataset=hf)


def test_errors_name_what_was_wrong() -> None:
    with pytest.raises(ValueError, match="column name, so pass dataset="):
        CurriculumSampler("level", "lp", 4)
    with pytest.raises(ValueError, match="group 'mid' of the dataset is not a task"):
        CurriculumSampler(LABELS, teachers.make("lp", spaces.Discrete(["easy", "hard"])), 4)
    with pytest.raises(ValueError, match="task 'extra' has no rows"):
        CurriculumSampler(LABELS, teachers.make("lp", spaces.Discrete(["easy", "hard", "mid", "extra"])), 4)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        CurriculumSampler(LABELS, "lp", 0)
    with pytest.raises(ValueError, match="str or int"):
        CurriculumSampler([1.5, 2.5], "lp", 1)
    s = CurriculumSampler([0, 1, 1, 0], "lp", 2)
    with pytest.raises(ValueError, match="integers too"):
        s.observe([0, 1], [1.0, 0.0])
    s.observe([0, 1], [1.0, 0.0], by="index")
    with pytest.raises(ValueError, match="row index 9 is not in range"):
        s.observe([9], [1.0], by="index")
    with pytest.raises(ValueError, match="2 keys but 1 signals"):
        s.observe([0, 1], [1.0], by="index")
    with pytest.raises(ValueError, match="teacher 'lp': score must be"):
        s.observe([0], [float("nan")], by="index")
    state = s.state_dict()
    other = CurriculumSampler([0, 1, 1, 0], "lp", 1)
    with pytest.raises(ValueError, match="batch_size=2"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="not a sampler state"):
        other.load_state_dict({"format": "x"})
