"""pedagogy.data.verl: verl builds the sampler from its config, update() feeds the teacher, resume is exact.

verl 0.7 pins numpy<2, so this runs in its own virtual environment (see
the verl guide, docs/howto/verl.md); the main test run skips it.
"""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest

pytest.importorskip(
    "verl",
    reason='verl 0.7 pins numpy<2: this test runs in its own environment, .ci/run\'s .venv/verl (pip install torch==2.13.0 -e ".[verl]" pytest)',
)
torch = pytest.importorskip("torch")
pytest.importorskip("verl.experimental.dataset.sampler")

from omegaconf import OmegaConf  # noqa: E402
from torchdata.stateful_dataloader import StatefulDataLoader  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.experimental.dataset.sampler import AbstractCurriculumSampler  # noqa: E402
from verl.trainer.main_ppo import create_rl_sampler  # noqa: E402
from verl.utils.dataset.rl_dataset import collate_fn  # noqa: E402

from pedagogy.data.verl import PedagogyCurriculumSampler, prompt_signals  # noqa: E402

GROUPS = ["easy"] * 12 + ["medium"] * 12 + ["hard"] * 12
LEVEL = {"easy": 0.9, "medium": 0.5, "hard": 0.1}  # the chance a response is correct
N = 4  # responses per prompt (rollout.n)


class FakeRLHFDataset:
    """What the sampler sees of verl's RLHFDataset: ``dataframe`` (a datasets.Dataset), rows as dicts."""

    def __init__(self, groups):
        datasets = pytest.importorskip("datasets")
        self.dataframe = datasets.Dataset.from_dict(
            {
                "data_source": groups,
                "prompt": [f"q{i}" for i in range(len(groups))],
                "extra_info": [{"index": i, "level": ["easy", "medium", "hard"].index(g)} for i, g in enumerate(groups)],
            }
        )

    def __len__(self):
        return len(self.dataframe)

    def __getitem__(self, i):
        row = self.dataframe[i]
        return {"input_ids": torch.tensor([i]), "data_source": row["data_source"], "extra_info": row["extra_info"], "row": i}


def data_config(**sampler):
    return OmegaConf.create(
        {
            "train_batch_size": 4,
            "dataloader_num_workers": 0,
            "shuffle": True,
            "seed": 7,
            "sampler": {"class_path": "pkg://pedagogy.data.verl", "class_name": "PedagogyCurriculumSampler", **sampler},
        }
    )


def make_loader(cfg, dataset):
    """As verl's RayPPOTrainer._create_dataloader does."""
    sampler = create_rl_sampler(cfg, dataset)
    loader = StatefulDataLoader(
        dataset=dataset, batch_size=cfg.train_batch_size, num_workers=0, drop_last=True, collate_fn=collate_fn, sampler=sampler
    )
    return sampler, loader


def rollout_batch(batch_dict, step):
    """A training step's batch as verl's fit loop builds it: uids, rollout.n responses each, rewards at the last token."""
    batch = DataProto.from_single_dict(batch_dict)
    batch.non_tensor_batch["uid"] = np.array([str(uuid.uuid4()) for _ in range(len(batch))], dtype=object)
    batch = batch.repeat(repeat_times=N, interleave=True)
    rng = np.random.default_rng([step, *batch.non_tensor_batch["row"].tolist()])
    p = np.array([LEVEL[g] for g in batch.non_tensor_batch["data_source"]])
    scores = torch.zeros(len(batch), 5)
    scores[:, -1] = torch.tensor((rng.random(len(batch)) < p).astype(np.float32))
    batch.batch["token_level_scores"] = scores
    batch.batch["token_level_rewards"] = scores.clone()
    return batch.select_idxs(torch.from_numpy(rng.permutation(len(batch))))  # balance_batch reorders the rows


def test_verl_config_builds_the_sampler():
    sampler = create_rl_sampler(
        data_config(teacher="sec", group_column="data_source", teacher_options={"temperature": 0.5}), FakeRLHFDataset(GROUPS)
    )
    assert isinstance(sampler, PedagogyCurriculumSampler) and isinstance(sampler, AbstractCurriculumSampler)
    state = sampler.teacher.state_dict()
    assert state["teacher"] == "sec" and state["options"]["temperature"] == 0.5 and state["seed"] == 7  # data.seed
    assert sorted(sampler.teacher.space.tasks) == ["easy", "hard", "medium"]
    assert len(sampler) == len(GROUPS)  # 9 batches of 4
    rows = list(sampler)
    assert len(rows) == len(GROUPS) and all(0 <= r < len(GROUPS) for r in rows)


def test_update_feeds_one_signal_per_prompt_to_the_teacher():
    sampler = PedagogyCurriculumSampler(FakeRLHFDataset(GROUPS), data_config())
    seen = []
    sampler.curriculum.teacher.observe = lambda groups, signals: seen.append((list(groups), list(signals)))
    rewards = {"u1": ("easy", [1.0, 0.0, 1.0]), "u2": ("hard", [0.0, 0.0, 0.0]), "u3": ("easy", [1.0, 1.0, 0.0])}
    rows = [(u, g, r) for u, (g, rs) in rewards.items() for r in rs]
    order = [4, 0, 7, 2, 5, 1, 8, 3, 6]  # rows of a uid are not contiguous after balance_batch
    scores = torch.zeros(9, 3)
    for i, j in enumerate(order):
        scores[i, 1] = rows[j][2]  # the reward sits at one token; the sum over tokens is the response's score
    batch = DataProto.from_dict(
        tensors={"token_level_scores": scores},
        non_tensors={
            "uid": np.array([rows[j][0] for j in order], dtype=object),
            "data_source": np.array([rows[j][1] for j in order], dtype=object),
        },
    )
    sampler.update(batch)

    def abs_adv(r):
        r = np.asarray(r)
        return float((np.abs(r - r.mean()) / (r.std(ddof=1) + 1e-4)).mean())

    ((groups, signals),) = seen
    by_uid = dict(zip(["u2", "u1", "u3"], zip(groups, signals)))  # first appearance order: rows 4 (u2), 0 (u1), 7 (u3)
    assert groups == ["hard", "easy", "easy"]
    assert by_uid["u1"] == ("easy", pytest.approx(abs_adv([1, 0, 1])))
    assert by_uid["u3"] == ("easy", pytest.approx(abs_adv([1, 1, 0])))
    assert by_uid["u2"] == ("hard", 0.0)

    mean = PedagogyCurriculumSampler(FakeRLHFDataset(GROUPS), data_config(signal="mean_reward"))
    seen.clear()
    mean.curriculum.teacher.observe = lambda groups, signals: seen.append((list(groups), list(signals)))
    mean.update(batch)
    assert seen == [(["hard", "easy", "easy"], [0.0, pytest.approx(2 / 3), pytest.approx(2 / 3)])]
    assert prompt_signals([[float("nan")], [1.0, float("nan")]], "mean_reward") == [None, 1.0]


def test_group_column_can_be_a_key_of_extra_info():
    cfg = data_config(group_column="extra_info.level", signal="mean_reward")
    ds = FakeRLHFDataset(GROUPS)
    sampler, loader = make_loader(cfg, ds)
    assert sampler.teacher.space.tasks == [0, 1, 2]
    seen = []
    observe = sampler.curriculum.teacher.observe
    sampler.curriculum.teacher.observe = lambda groups, signals: (seen.append(list(groups)), observe(groups, signals))
    batch_dict = next(iter(loader))
    batch = rollout_batch(batch_dict, 0)
    sampler.update(batch)
    levels = {i: ["easy", "medium", "hard"].index(g) for i, g in enumerate(GROUPS)}
    assert sorted(seen[0]) == sorted(levels[r] for r in batch_dict["row"].tolist())
    with pytest.raises(ValueError, match="without key 'difficulty'"):
        create_rl_sampler(data_config(group_column="extra_info.difficulty"), ds)


def _train(loader, sampler, steps, start=0, save_at=None):
    """verl's fit loop: draw, roll out, (save), update. Returns the rows of each step and the saved state."""
    out, saved = [], None
    it = iter(loader)
    for step in range(start, start + steps):
        batch_dict = next(it)
        out.append(batch_dict["row"].tolist())
        batch = rollout_batch(batch_dict, step)
        if step == save_at:  # verl saves the checkpoint before calling update()
            buf = io.BytesIO()
            torch.save(loader.state_dict(), buf)
            saved = buf.getvalue()
        sampler.update(batch)
    return out, saved


def test_resume_through_verls_dataloader_continues_the_curriculum_exactly():
    cfg = data_config(teacher="dump")
    ds = FakeRLHFDataset(GROUPS)
    sampler, loader = make_loader(cfg, ds)
    first, _ = _train(loader, sampler, 3)
    buf = io.BytesIO()
    torch.save(loader.state_dict(), buf)  # between two steps: everything so far observed
    rest, _ = _train(loader, sampler, 5, start=3)

    sampler2, loader2 = make_loader(cfg, ds)
    loader2.load_state_dict(torch.load(io.BytesIO(buf.getvalue()), weights_only=False))
    resumed, _ = _train(loader2, sampler2, 5, start=3)
    assert resumed == rest
    assert sampler2.teacher.state_dict() == sampler.teacher.state_dict()
    assert len(first + rest) == 8 and len({tuple(b) for b in first + rest}) > 1


def test_resume_from_a_verl_checkpoint_does_not_replay_the_trained_batch():
    cfg = data_config(teacher="dump")
    ds = FakeRLHFDataset(GROUPS)
    sampler, loader = make_loader(cfg, ds)
    _, saved = _train(loader, sampler, 4, save_at=3)  # saved during step 3, before its update
    sampler2, loader2 = make_loader(cfg, ds)
    loader2.load_state_dict(torch.load(io.BytesIO(saved), weights_only=False))
    left = [b["row"].tolist() for b in loader2]
    assert len(left) == len(GROUPS) // 4 - 4  # the epoch's remaining batches, none replayed
    assert sampler2.curriculum.epoch == 1
    assert len(list(loader2)) == len(GROUPS) // 4  # the next epoch is whole


def test_bad_config_is_rejected_with_a_clear_message():
    ds = FakeRLHFDataset(GROUPS)
    with pytest.raises(ValueError, match="unknown data.sampler option 'teachr'"):
        create_rl_sampler(data_config(teachr="dump"), ds)
    with pytest.raises(ValueError, match="signal must be one of abs_advantage, mean_reward"):
        create_rl_sampler(data_config(signal="loss"), ds)
    with pytest.raises(ValueError, match="no column 'difficulty'.*columns: data_source, prompt, extra_info"):
        create_rl_sampler(data_config(group_column="difficulty"), ds)
    with pytest.raises(ValueError, match="teacher_options must be a mapping"):
        create_rl_sampler(data_config(teacher_options=3), ds)
    with pytest.raises(ValueError, match="per_batch must be true or false"):
        create_rl_sampler(data_config(per_batch="yes"), ds)
    with pytest.raises(ValueError, match="fewer than one batch"):
        create_rl_sampler(data_config(), FakeRLHFDataset(["easy"] * 3))
    with pytest.raises(Exception, match="nosuchteacher"):
        create_rl_sampler(data_config(teacher="nosuchteacher"), ds)
    sampler = create_rl_sampler(data_config(), ds)
    batch = DataProto.from_dict(
        tensors={"token_level_scores": torch.zeros(2, 3)}, non_tensors={"data_source": np.array(["easy", "easy"], dtype=object)}
    )
    with pytest.raises(ValueError, match="no non-tensor 'uid'"):
        sampler.update(batch)
    batch.non_tensor_batch["uid"] = np.array(["a", "a"], dtype=object)
    with pytest.raises(ValueError, match="no tensor 'token_level_rewards'"):
        PedagogyCurriculumSampler(ds, data_config(reward_key="token_level_rewards")).update(batch)
    batch.non_tensor_batch["data_source"] = np.array(["easy", "hard"], dtype=object)
    with pytest.raises(ValueError, match="uid 'a' have groups 'easy' and 'hard'"):
        sampler.update(batch)
