"""pedagogy.data.verl09 through verl 0.9's own loading code: the custom dataset and the custom replay buffer.

verl 0.9 needs numpy 2 and packages the main environment does not pin, so
this runs in a virtual environment of its own (``.ci/run``; the main test run
skips it).  The dataset is built by verl's ``create_rl_dataset`` from a tiny
Parquet file written here, the dataloader as verl's v1 trainer builds it, and
the replay buffer by the trainer's own ``_build_replay_buffer``.  TransferQueue,
the key-value store verl's replay buffer reads, needs a Ray cluster; here it
is replaced by a dictionary-backed stand-in of the four calls the buffer makes
(``kv_list``, ``kv_batch_get``, ``kv_batch_put``, ``kv_clear``), which returns
what it stores as verl's ``list_of_dict_to_tensordict`` stacks it; prompts go
from the dataloader through verl's ``get_tensordict`` to one field dict per
response, as the agent loop stores them.  No GPU, no download.
"""

from __future__ import annotations

import io
from collections import defaultdict

import numpy as np
import pytest

pytest.importorskip("verl", reason="verl 0.9 is not installed (pip install 'pedagogy[verl09]'); .ci/run tests it in .venv/verl09")
torch = pytest.importorskip("torch")
pytest.importorskip("verl.trainer.ppo.v1.replay_buffer", reason="needs verl 0.9's v1 trainer (verl>=0.9.1) and TransferQueue")

import pandas as pd  # noqa: E402
import verl.trainer.ppo.v1.replay_buffer as rb  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from torchdata.stateful_dataloader import StatefulDataLoader  # noqa: E402
from verl.trainer.ppo.utils import create_rl_dataset, create_rl_sampler  # noqa: E402
from verl.trainer.ppo.v1.trainer_base import PPOTrainer  # noqa: E402
from verl.utils import tensordict_utils as tu  # noqa: E402
from verl.utils.dataset.rl_dataset import collate_fn  # noqa: E402
from verl.utils.tensordict_utils import list_of_dict_to_tensordict  # noqa: E402

from pedagogy import spaces, teachers  # noqa: E402
from pedagogy.data.verl09 import (  # noqa: E402
    ROW_KEY,
    PedagogyPromptDataset,
    PedagogyReplayBuffer,
    PedagogyReplayBufferAsync,
)
from tests._grouped_teacher import registered  # noqa: E402

SOURCES = ["easy"] * 8 + ["medium"] * 8 + ["hard"] * 8
LEVEL = {"easy": 0.95, "medium": 0.5, "hard": 0.05}  # a response's chance of scoring 1
N = 4  # rollout.n
BATCH = 4  # data.train_batch_size


@pytest.fixture
def files(tmp_path):
    def write(name, sources):
        path = tmp_path / name
        pd.DataFrame(
            {
                "data_source": sources,
                "prompt": [[{"role": "user", "content": f"question {i}"}] for i in range(len(sources))],
                "extra_info": [{"index": i, "level": ["easy", "medium", "hard"].index(s)} for i, s in enumerate(sources)],
            }
        ).to_parquet(path)
        return str(path)

    return write("train.parquet", SOURCES), write("val.parquet", ["easy", "hard"] * 3)


def data_config(files, **pedagogy):
    train, val = files
    return OmegaConf.create(
        {
            "train_files": [train],
            "val_files": [val],
            "prompt_key": "prompt",
            "filter_overlong_prompts": False,
            "train_batch_size": BATCH,
            "gen_batch_size": 1,
            "dataloader_num_workers": 0,
            "shuffle": True,
            "seed": 7,
            "custom_cls": {"path": "pkg://pedagogy.data.verl09", "name": "PedagogyPromptDataset"},
            "pedagogy": pedagogy,
        }
    )


def make_loader(cfg):
    """As verl's v1 PPOTrainer._init_dataloader does."""
    dataset = create_rl_dataset(cfg.train_files, cfg, None, None, is_train=True)
    loader = StatefulDataLoader(
        dataset=dataset,
        batch_size=cfg.gen_batch_size,
        num_workers=0,
        drop_last=True,
        collate_fn=collate_fn,
        sampler=create_rl_sampler(cfg, dataset),
    )
    return dataset, loader


class FakeTransferQueue:
    """The KV calls verl's ReplayBuffer makes, on dictionaries (partition -> key -> tag / fields)."""

    def __init__(self):
        self.tags = defaultdict(dict)
        self.fields = defaultdict(dict)

    def kv_list(self, partition_id=None):
        return {p: {k: dict(t) for k, t in items.items()} for p, items in self.tags.items() if partition_id in (None, p)}

    def kv_batch_put(self, keys, partition_id, tags=None, fields=None):
        for i, k in enumerate(keys):
            self.tags[partition_id].setdefault(k, {}).update(tags[i] if tags else {})
            if fields is not None:
                self.fields[partition_id][k] = fields[i]

    def kv_batch_get(self, keys, partition_id, select_fields=None):
        """A TensorDict of the selected fields, stacked as TransferQueue stores them (verl's own helper)."""
        return list_of_dict_to_tensordict([{f: self.fields[partition_id][k][f] for f in select_fields} for k in keys])

    def kv_clear(self, partition_id, keys):
        for k in keys:
            self.tags[partition_id].pop(k, None)
            self.fields[partition_id].pop(k, None)


class Trainer:
    """The parts of verl's v1 PPOTrainer around the replay buffer: submit prompts, roll them out, sample, save."""

    def __init__(self, cfg, tq, sampler_kwargs, name="PedagogyReplayBuffer", mode="sync"):
        self.dataset, self.loader = make_loader(cfg)
        self.it = None
        self.tq = tq
        self.global_steps = 0
        self.n_uids = 0
        self.trainer_mode = mode
        self.config = OmegaConf.create(
            {
                "data": OmegaConf.to_container(cfg),
                "trainer": {
                    "v1": {
                        "trainer_mode": mode,
                        "sampler": {
                            "max_off_policy_threshold": None,
                            "max_off_policy_strategy": "drop",
                            "custom_sampler": {"path": "pkg://pedagogy.data.verl09", "name": name},
                            "sampler_kwargs": sampler_kwargs,
                        },
                    }
                },
            }
        )
        self.fetched = []  # the rows the dataloader handed out, in order
        self.buffer = PPOTrainer._build_replay_buffer(self)  # verl's own loader of custom samplers

    def _add_prompts_to_generate(self, num_prompts):
        """verl's refill function: fetch prompts from the dataloader and roll each out rollout.n times."""
        for _ in range(num_prompts):
            if self.it is None:
                self.it = iter(self.loader)
            try:
                batch_dict = next(self.it)
            except StopIteration:
                self.it = iter(self.loader)
                batch_dict = next(self.it)
            uids = [f"u{self.n_uids + i:05d}" for i in range(len(batch_dict["raw_prompt"]))]  # no "_": verl splits keys on it
            self.n_uids += len(uids)
            batch_dict["uid"] = np.array(uids, dtype=object)
            batch = tu.get_tensordict(batch_dict)  # as _fetch_one_gen_batch does
            for i in range(len(batch)):
                # the agent loop's view of one prompt, and the fields it stores for each response
                prompt = {k: v[i] if isinstance(v, torch.Tensor) else v[i].data for k, v in batch.items()}
                row = int(prompt[ROW_KEY])
                self.fetched.append(row)
                rng = np.random.default_rng([self.global_steps, row, self.n_uids, i])
                keys, fields = [], []
                for s in range(N):
                    length = int(rng.integers(2, 5))  # responses differ in length
                    scores = torch.zeros(length)
                    scores[-1] = self.score(float(rng.random() < LEVEL[prompt["data_source"]]))  # the reward sits at the last token
                    keys.append(f"{prompt['uid']}_{s}_0")
                    fields.append({**prompt, "rm_scores": scores})
                self.tq.kv_batch_put(
                    keys=keys, partition_id="train", tags=[{"status": "success", "global_steps": self.global_steps}] * N, fields=fields
                )
                self.tq.kv_batch_put(
                    keys=[prompt["uid"]],
                    partition_id="train",
                    tags=[{"is_prompt": True, "status": "finished", "global_steps": self.global_steps}],
                )
        return num_prompts

    @staticmethod
    def score(correct):
        return correct

    def step(self):
        self._add_prompts_to_generate(BATCH)  # prepare_step: one training batch
        meta, metrics = self.buffer.sample(self.global_steps, "train", BATCH)
        self.global_steps += 1
        groups = defaultdict(list)
        for key in meta.keys:
            groups[key.split("_")[0]].append(key)
        trained = []
        for keys in groups.values():
            fields = [self.tq.fields["train"][k] for k in keys]
            trained.append((int(fields[0][ROW_KEY]), [float(f["rm_scores"].sum()) for f in fields]))
            self.tq.kv_clear("train", keys)  # the trainer consumes the batch
        return trained, metrics

    def save(self):
        buf = io.BytesIO()
        torch.save(self.loader.state_dict(), buf)  # verl's data.pt
        return buf.getvalue()


@pytest.fixture
def tq(monkeypatch):
    fake = FakeTransferQueue()
    monkeypatch.setattr(rb, "tq", fake)
    return fake


def test_verl_builds_the_dataset_and_its_rows_are_the_teachers(files):
    cfg = data_config(files, teacher="sec-lp", teacher_options={"temperature": 0.5})
    dataset, loader = make_loader(cfg)
    assert isinstance(dataset, PedagogyPromptDataset)
    cur = dataset.curriculum
    assert cur is not None and cur.teacher.name == "sec-lp" and cur.teacher.seed == 7  # data.seed
    assert cur.teacher.options["temperature"] == 0.5
    twin = teachers.make("sec-lp", spaces.Discrete(list(range(len(SOURCES)))), seed=7, temperature=0.5)
    rows = [int(b[ROW_KEY][0]) for _, b in zip(range(10), loader)]
    assert rows == twin.propose(10)
    batch = next(iter(loader))
    row = int(batch[ROW_KEY][0])
    assert batch["raw_prompt"][0] == [{"role": "user", "content": f"question {row}"}] and batch["data_source"][0] == SOURCES[row]

    val = create_rl_dataset(cfg.val_files, cfg, None, None, is_train=False)  # the validation set reads rows as asked
    assert isinstance(val, PedagogyPromptDataset) and val.curriculum is None
    assert [int(val[i][ROW_KEY]) for i in range(3)] == [0, 1, 2]


def test_group_column_reaches_the_teachers_groups_option(files):
    with registered() as name:
        dataset, loader = make_loader(data_config(files, teacher=name, group_column="data_source"))
        assert dataset.curriculum.teacher.options["groups"] == SOURCES
        rows = [int(b[ROW_KEY][0]) for _, b in zip(range(4), loader)]
        assert {SOURCES[r] for r in rows} == {"easy"}  # the untried group that sorts first
        levels, _ = make_loader(data_config(files, teacher=name, group_column="extra_info.level"))
        assert levels.curriculum.teacher.options["groups"] == [["easy", "medium", "hard"].index(s) for s in SOURCES]
        with pytest.raises(ValueError, match="without key 'difficulty'"):
            make_loader(data_config(files, teacher=name, group_column="extra_info.difficulty"))


def test_the_replay_buffer_observes_every_group_drops_zero_variance_ones_and_refills(files, tq):
    cfg = data_config(files, teacher="sec-lp")
    trainer = Trainer(cfg, tq, {"train_batch_size": BATCH, "poll_interval": 0.01})
    assert isinstance(trainer.buffer, PedagogyReplayBuffer)
    cur = trainer.dataset.curriculum
    seen = []
    observe = cur.teacher.observe
    cur.teacher.observe = lambda rows, rates: (seen.extend(zip(rows, rates)), observe(rows, rates))
    for _ in range(6):
        trained, metrics = trainer.step()
        assert len(trained) == BATCH
        assert all(max(r) > min(r) for _, r in trained)  # no zero-variance group trains
        for row, rewards in trained:
            assert (row, pytest.approx(np.mean(rewards))) in seen  # the teacher saw it, as a success rate
    assert sorted(r for r, _ in seen) == sorted(trainer.fetched)  # every group rolled out was observed, once
    counts = trainer.buffer.counts
    assert counts["observed"] == len(trainer.fetched) and counts["dropped"] > 0
    assert counts["refilled"] == len(trainer.fetched) - 6 * BATCH  # the refills went through verl's refill function
    assert metrics.get("training/filter_groups/evicted_samples", 0) >= 0


def test_without_dropping_every_finished_group_trains(files, tq):
    trainer = Trainer(data_config(files, teacher="random"), tq, {"drop_zero_variance": False, "poll_interval": 0.01})
    for _ in range(3):
        trained, _ = trainer.step()
        assert len(trained) == BATCH
    assert trainer.buffer.counts == {"observed": 3 * BATCH, "dropped": 0, "refilled": 0}
    assert trainer.dataset.curriculum.teacher.n_observed == 3 * BATCH


@pytest.mark.parametrize("teacher", ["sec-lp", "lp"])
def test_resume_from_verls_data_pt_is_exact(files, tq, teacher):
    cfg = data_config(files, teacher=teacher)
    kwargs = {"train_batch_size": BATCH, "poll_interval": 0.01}
    first = Trainer(cfg, tq, kwargs)
    for _ in range(3):
        first.step()
    saved, at = first.save(), (first.global_steps, first.n_uids, len(first.fetched))
    rest = [first.step()[0] for _ in range(3)]

    second = Trainer(cfg, tq, kwargs)  # a new process: datasets, dataloader and buffer built by verl again
    second.loader.load_state_dict(torch.load(io.BytesIO(saved), weights_only=False))
    second.global_steps, second.n_uids = at[0], at[1]
    resumed = [second.step()[0] for _ in range(3)]
    assert resumed == rest
    assert second.fetched == first.fetched[at[2] :]
    assert second.dataset.curriculum.state_dict() == first.dataset.curriculum.state_dict()


def test_async_mode_needs_the_async_buffer(files, tq):
    cfg = data_config(files, teacher="random")
    with pytest.raises(ValueError, match="trainer_mode is 'fully_async'; use PedagogyReplayBufferAsync"):
        Trainer(cfg, tq, {"train_batch_size": BATCH}, mode="fully_async")
    trainer = Trainer(cfg, tq, {"poll_interval": 0.01}, name="PedagogyReplayBufferAsync", mode="fully_async")
    assert isinstance(trainer.buffer, PedagogyReplayBufferAsync)
    for _ in range(3):
        trained, _ = trainer.step()
        assert len(trained) == BATCH and all(max(r) > min(r) for _, r in trained)
    counts = trainer.buffer.counts
    assert counts["observed"] == len(trainer.fetched) and counts["refilled"] == counts["dropped"] > 0  # async: one per drop


class PlusMinusOneTrainer(Trainer):
    """A verifier scoring -1/+1 instead of 0/1."""

    @staticmethod
    def score(correct):
        return 2 * correct - 1


def test_rewards_of_minus_one_and_one_through_reward_range(files, tq):
    kwargs = {"drop_zero_variance": False, "poll_interval": 0.01}
    trainer = PlusMinusOneTrainer(data_config(files, teacher="sec-lp", reward_range=[-1, 1]), tq, kwargs)
    seen = []
    teacher = trainer.dataset.curriculum.teacher
    observe = teacher.observe
    teacher.observe = lambda rows, rates: (seen.extend(rates), observe(rows, rates))
    trained, _ = trainer.step()
    assert {x for _, r in trained for x in r} == {-1.0, 1.0}
    assert sorted(seen) == pytest.approx(sorted((np.mean(r) + 1) / 2 for _, r in trained))  # success rates in [0, 1]

    plain = PlusMinusOneTrainer(data_config(files, teacher="sec-lp"), tq, kwargs)  # without reward_range
    with pytest.raises(ValueError, match=r"mean_reward of prompt \d+ is -[\d.]+, outside \[0, 1\]"):
        plain.step()


def test_bad_config_is_rejected_with_a_clear_message(files, tq):
    with pytest.raises(ValueError, match="unknown data.pedagogy option 'teachr'"):
        make_loader(data_config(files, teachr="lp"))
    with pytest.raises(ValueError, match="data.pedagogy.signal must be one of mean_reward, abs_advantage"):
        make_loader(data_config(files, signal="loss"))
    with pytest.raises(ValueError, match="no column 'difficulty'"):
        make_loader(data_config(files, teacher="random", group_column="difficulty"))
    with pytest.raises(ValueError, match="teacher 'sec-lp' has no groups option"):
        make_loader(data_config(files, teacher="sec-lp", group_column="data_source"))
    cfg = data_config(files, teacher="random")
    cfg.dataloader_num_workers = 2
    with pytest.raises(ValueError, match="set data.dataloader_num_workers=0"):
        make_loader(cfg)
    cfg = data_config(files, teacher="random")
    cfg.val_files = cfg.train_files
    with pytest.raises(ValueError, match="give validation its own files"):
        make_loader(cfg)
    cfg = data_config(files, teacher="random")
    with pytest.raises(ValueError, match=r"set trainer.v1.sampler.sampler_kwargs.train_batch_size"):
        Trainer(cfg, tq, {})
    with pytest.raises(ValueError, match="unknown trainer.v1.sampler.sampler_kwargs option 'drop'"):
        Trainer(cfg, tq, {"drop": True})
    with pytest.raises(ValueError, match="drop_zero_variance must be true or false"):
        Trainer(cfg, tq, {"drop_zero_variance": "yes", "train_batch_size": BATCH})
    with pytest.raises(ValueError, match="gen_batch_size must be a positive integer"):
        Trainer(cfg, tq, {"train_batch_size": BATCH, "gen_batch_size": 0})
    dataset, _ = make_loader(cfg)
    with pytest.raises(ValueError, match="a training set's state given to a validation set"):
        dataset.load_state_dict({"format": "pedagogy.verl09_dataset/1", "curriculum": None})
    with pytest.raises(LookupError, match="no PedagogyPromptDataset curriculum named 'other'"):
        Trainer(cfg, tq, {"train_batch_size": BATCH, "curriculum": "other", "poll_interval": 0.01}).step()
