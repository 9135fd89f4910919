"""verl 0.9: a teacher chooses the prompts before rollout and sees every finished group's rewards after it.

verl 0.8 removed the curriculum-sampler hook that :mod:`pedagogy.data.verl`
(verl 0.7) plugs into, and verl 0.9's ``create_rl_sampler`` builds only a
random or a sequential sampler.  verl 0.9 still loads two classes of the
user's from its config, and this module gives one of each, sharing one
:class:`~pedagogy.data.PromptCurriculum` (a teacher over the training set's
row indices):

* :class:`PedagogyPromptDataset`, verl's ``RLHFDataset`` loaded from
  ``data.custom_cls.{path,name}``: *before* rollout, each row the dataloader
  asks for is replaced by the row the teacher proposes next.  Its state (the
  teacher's) is part of the dataloader's state, which verl saves as
  ``data.pt`` in every checkpoint and loads on resume.
* :class:`PedagogyReplayBuffer` (``PedagogyReplayBufferAsync`` for verl's
  async trainer modes), verl's v1 ``ReplayBuffer`` loaded from
  ``trainer.v1.sampler.custom_sampler.{path,name}`` with ``sampler_kwargs``:
  *after* rollout, the teacher observes every finished group's rewards (one
  success rate per prompt); groups whose responses all scored the same are
  dropped (DAPO's dynamic sampling, Yu et al. 2025, arXiv 2503.14476) and
  verl's refill function is asked for more prompts in their place (verl's
  own rule: two prompts per dropped group in sync mode, one in async).

Config (hydra overrides)::

    data.custom_cls.path=pkg://pedagogy.data.verl09
    data.custom_cls.name=PedagogyPromptDataset
    data.dataloader_num_workers=0              # the teacher lives in the main process
    +data.pedagogy.teacher=learnability        # options below, all optional
    +data.pedagogy.group_column=data_source
    trainer.v1.sampler.custom_sampler.path=pkg://pedagogy.data.verl09
    trainer.v1.sampler.custom_sampler.name=PedagogyReplayBuffer
    +trainer.v1.sampler.sampler_kwargs.train_batch_size=${data.train_batch_size}
    data.gen_batch_size=1                      # refills of any size (verl's DAPO setting)

``data.pedagogy`` options: ``teacher`` (a name, default ``"learnability"``),
``teacher_options`` (a mapping), ``seed`` (default ``data.seed``, else 0),
``signal`` (``"mean_reward"``, default: each prompt's success rate, or
``"abs_advantage"``), ``group_column`` (a column, or ``extra_info.<key>``,
whose value per row is given to the teacher's ``groups`` option),
``reward_range`` (``[low, high]``: rewards mapped onto [0, 1], e.g.
``[-1, 1]``; default: rewards as they are, which a success-rate teacher
needs in [0, 1]) and ``name`` (the key the replay buffer finds the curriculum under, default
``"default"``).  ``sampler_kwargs`` options: ``curriculum`` (that name),
``drop_zero_variance`` (default true), ``train_batch_size`` (required when
dropping: the prompts of one training batch), ``gen_batch_size`` (default 1:
the dataloader's batch, a refill is a multiple of it),
``max_inflight_gen_batches`` (default 1), ``reward_field`` (default
``rm_scores``: the per-token scores summed per response) and
``poll_interval`` (seconds, default verl's 2.0).

Limits:

* The dataset ignores the index verl's sampler gives it, so ``data.shuffle``
  and ``data.seed`` no longer order the prompts; an epoch is
  ``len(dataset)`` draws from the teacher, not one pass over every prompt.
* ``data.dataloader_num_workers`` must be 0: a worker process would hold a
  copy of the teacher that never sees a reward.
* The validation set must come from other files than the training set (the
  dataset tells the two apart by ``data.train_files``).
* The teacher chooses each prompt when the dataloader fetches it, so with
  ``gen_batch_size`` > 1 it chooses a batch at a time.
* In async modes, prompts in flight at a checkpoint are restored by verl's
  TransferQueue checkpoint and reissued: the teacher's state has them as
  proposed, and observes them when they finish.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

try:
    import torch
    import verl.trainer.ppo.v1.replay_buffer as _rb
    from torch.utils.data import get_worker_info
    from verl.trainer.ppo.v1.replay_buffer import ReplayBuffer, ReplayBufferAsync
    from verl.utils.dataset.rl_dataset import RLHFDataset
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(f'pedagogy.data.verl09 needs verl 0.9 ({exc}): pip install torch==2.13.0 "pedagogy[verl09]"') from exc

from pedagogy.data._verl_config import column_labels, plain, section, teacher_spec
from pedagogy.data.prompt_curriculum import SIGNALS, PromptCurriculum

__all__ = ["PedagogyPromptDataset", "PedagogyReplayBuffer", "PedagogyReplayBufferAsync", "ROW_KEY", "curriculum"]

#: the field each prompt carries through rollout: its row index in the training set
ROW_KEY = "pedagogy_row"
DATASET_OPTIONS = ("teacher", "teacher_options", "seed", "signal", "group_column", "reward_range", "name")
SAMPLER_OPTIONS = (
    "curriculum",
    "drop_zero_variance",
    "train_batch_size",
    "gen_batch_size",
    "max_inflight_gen_batches",
    "reward_field",
    "poll_interval",
)
STATE_FORMAT = "pedagogy.verl09_dataset/1"

#: the training datasets' curricula in this process, by ``data.pedagogy.name``
_CURRICULA: dict[str, PromptCurriculum] = {}


def curriculum(name: str = "default") -> PromptCurriculum:
    """The curriculum of the :class:`PedagogyPromptDataset` registered as ``name`` in this process."""
    try:
        return _CURRICULA[name]
    except KeyError:
        have = ", ".join(sorted(_CURRICULA)) or "none"
        raise LookupError(
            f"pedagogy.data.verl09: no PedagogyPromptDataset curriculum named {name!r} in this process (have: {have}); "
            "set data.custom_cls.path=pkg://pedagogy.data.verl09 and data.custom_cls.name=PedagogyPromptDataset"
        ) from None


def _files(x: Any) -> list[str]:
    x = plain(x)
    return [str(f) for f in (x if isinstance(x, (list, tuple)) else [x])] if x is not None else []


def _positive_int(opts: Mapping[str, Any], key: str, default: int | None, who: str, where: str) -> int | None:
    v = opts.get(key, default)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"{who}: {where}.{key} must be a positive integer, got {v!r}")
    return v


class PedagogyPromptDataset(RLHFDataset):
    """verl's ``RLHFDataset`` whose training rows come from a teacher (options and limits: the module docstring).

    ``self.curriculum`` is the :class:`~pedagogy.data.PromptCurriculum` of a
    training set, ``None`` for the validation set (which reads rows as verl
    asks for them).  Every row carries its index as ``pedagogy_row``.
    """

    def __init__(self, data_files: Any, tokenizer: Any, config: Any, processor: Any = None, max_samples: int = -1):
        who, where = "PedagogyPromptDataset", "data.pedagogy"
        opts = section(config.get("pedagogy"), DATASET_OPTIONS, who, where)  # checked before the files are read
        signal = opts.get("signal") or "mean_reward"
        if signal not in SIGNALS:
            raise ValueError(f"{who}: {where}.signal must be one of {', '.join(SIGNALS)}, got {signal!r}")
        teacher, teacher_options = teacher_spec(opts, who, where, "learnability")
        name = opts.get("name") or "default"
        if not isinstance(name, str):
            raise ValueError(f"{who}: {where}.name must be a string, got {name!r}")
        seed = opts.get("seed", config.get("seed"))
        seed = 0 if seed is None else seed
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"{who}: {where}.seed must be a non-negative integer, got {seed!r}")
        mine, train, val = _files(data_files), _files(config.get("train_files")), _files(config.get("val_files"))
        is_train = mine == train
        if is_train and train == val:
            raise ValueError(
                f"{who}: data.val_files are data.train_files; give validation its own files (the training set's rows come from the teacher)"
            )
        if is_train and config.get("dataloader_num_workers", 0) != 0:
            raise ValueError(
                f"{who}: set data.dataloader_num_workers=0 (got {config.get('dataloader_num_workers')}): "
                "a dataloader worker would draw from a copy of the teacher that never sees a reward"
            )
        super().__init__(data_files, tokenizer, config, processor=processor, max_samples=max_samples)
        self.curriculum: PromptCurriculum | None = None
        self.curriculum_name = name
        if is_train:
            column = opts.get("group_column")
            groups = column_labels(self, str(column), who, f"{where}.group_column") if column else None
            self.curriculum = PromptCurriculum(
                len(self),
                teacher,
                groups=groups,
                signal=str(signal),
                seed=seed,
                teacher_options=teacher_options,
                reward_range=opts.get("reward_range"),
            )
            _CURRICULA[name] = self.curriculum

    def __getitem__(self, item: int) -> dict[str, Any]:
        if self.curriculum is None:
            row = int(item)
        else:
            if get_worker_info() is not None:
                raise RuntimeError("PedagogyPromptDataset: set data.dataloader_num_workers=0 (a worker cannot tell the teacher anything)")
            row = self.curriculum.next_index()
        out: dict[str, Any] = super().__getitem__(row)
        out[ROW_KEY] = torch.tensor(row, dtype=torch.int64)
        return out

    # The dataloader saves these (verl's data.pt) and restores them on resume.
    def state_dict(self) -> dict[str, Any]:
        return {"format": STATE_FORMAT, "curriculum": None if self.curriculum is None else self.curriculum.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"PedagogyPromptDataset.load_state_dict: not this dataset's state (expected format {STATE_FORMAT!r})")
        if (state.get("curriculum") is None) != (self.curriculum is None):
            raise ValueError("PedagogyPromptDataset.load_state_dict: a training set's state given to a validation set, or the reverse")
        if self.curriculum is not None:
            self.curriculum.load_state_dict(state["curriculum"])


class _PedagogyBuffer:
    """What both replay buffers add to verl's: the teacher observes each finished group once; zero-variance groups are dropped."""

    sync_mode: bool = True

    def __init__(
        self,
        trainer_mode: str,
        trainer_config: Any,
        max_off_policy_threshold: int | None,
        max_off_policy_strategy: str,
        sampler_kwargs: Any,
        poll_interval: float = 2.0,
        refill_fn: Any = None,
        **kwargs: Any,
    ):
        who, where = type(self).__name__, "trainer.v1.sampler.sampler_kwargs"
        if (trainer_mode == "sync") != self.sync_mode:
            other = "PedagogyReplayBuffer" if trainer_mode == "sync" else "PedagogyReplayBufferAsync"
            raise ValueError(f"{who}: trainer.v1.trainer_mode is {trainer_mode!r}; use {other} as trainer.v1.sampler.custom_sampler.name")
        opts = section(sampler_kwargs, SAMPLER_OPTIONS, who, where)
        drop = opts.get("drop_zero_variance", True)
        if not isinstance(drop, bool):
            raise ValueError(f"{who}: {where}.drop_zero_variance must be true or false, got {drop!r}")
        train_batch_size = _positive_int(opts, "train_batch_size", None, who, where)
        gen_batch_size = _positive_int(opts, "gen_batch_size", 1, who, where)
        inflight = _positive_int(opts, "max_inflight_gen_batches", 1, who, where)
        if drop and self.sync_mode and train_batch_size is None:
            raise ValueError(
                f"{who}: set {where}.train_batch_size (e.g. to ${{data.train_batch_size}}) to drop zero-variance groups in sync mode"
            )
        if drop and refill_fn is None:
            raise ValueError(f"{who}: dropping zero-variance groups needs verl's refill function (refill_fn)")
        reward_field = opts.get("reward_field") or "rm_scores"
        poll = opts.get("poll_interval", poll_interval)
        if isinstance(poll, bool) or not isinstance(poll, (int, float)) or not poll > 0:
            raise ValueError(f"{who}: {where}.poll_interval must be a positive number of seconds, got {poll!r}")
        name = opts.get("curriculum") or "default"
        super().__init__(  # type: ignore[call-arg]
            trainer_mode=trainer_mode,
            trainer_config=trainer_config,
            max_off_policy_threshold=max_off_policy_threshold,
            max_off_policy_strategy=max_off_policy_strategy,
            sampler_kwargs=sampler_kwargs,
            poll_interval=float(poll),
            refill_fn=refill_fn,
            # verl's DAPO machinery does the eviction and the refills; _dapo_filtered_keys below decides
            filter_groups_metric=FILTER_NAME if drop else None,
            train_batch_size=train_batch_size,
            gen_batch_size=gen_batch_size,
            max_inflight_gen_batches=inflight,
        )
        self.curriculum_name = str(name)
        self.drop_zero_variance = drop
        self.reward_field = str(reward_field)
        self._observed: dict[str, dict[str, float | None]] = defaultdict(dict)
        #: groups observed, groups dropped (zero variance) and prompts asked for through refill_fn, since the start
        self.counts = {"observed": 0, "dropped": 0, "refilled": 0}
        if refill_fn is not None:

            def refill(num_prompts: int) -> Any:
                self.counts["refilled"] += int(num_prompts)
                return refill_fn(num_prompts)

            self.refill_fn = refill

    @property
    def curriculum(self) -> PromptCurriculum:
        """The training dataset's curriculum (the dataset is built after the replay buffer, so it is looked up when needed)."""
        return curriculum(self.curriculum_name)

    def _group_rewards(self, partition_id: str, uids: set[str]) -> dict[str, tuple[int, list[float]]]:
        """Each finished group's row and one reward per session, read from TransferQueue."""
        keys = [k for k in self.partitions[partition_id] if k.split("_")[0] in uids]  # type: ignore[attr-defined]
        if not keys:
            return {}
        data = _rb.tq.kv_batch_get(keys=keys, partition_id=partition_id, select_fields=[self.reward_field, ROW_KEY])
        rows, scores = list(data[ROW_KEY]), list(data[self.reward_field])
        out: dict[str, tuple[int, list[float]]] = {}
        seen: set[tuple[str, str]] = set()
        for key, row, score in zip(keys, rows, scores):
            uid, session = key.split("_")[:2]
            row = getattr(row, "data", row)
            r = int(row.item() if hasattr(row, "item") else row)
            if uid in out and out[uid][0] != r:
                raise ValueError(f"{type(self).__name__}: the trajectories of prompt group {uid} have rows {out[uid][0]} and {r}")
            group = out.setdefault(uid, (r, []))
            if (uid, session) not in seen:  # a multi-turn session stores several outputs that share one reward
                seen.add((uid, session))
                group[1].append(float(score.sum().item()) if hasattr(score, "sum") else float(score))
        return out

    def _dapo_filtered_keys(self, partition_id: str) -> tuple[set[str], Counter[float]]:
        if partition_id == "val":
            return set(), Counter()
        finished = self.finished_keys[partition_id]  # type: ignore[attr-defined]
        observed = self._observed[partition_id]
        for uid in observed.keys() - finished:
            del observed[uid]
        new = finished - observed.keys()
        if new:
            groups = self._group_rewards(partition_id, new)
            uids = sorted(groups)
            self.curriculum.observe([groups[u][0] for u in uids], [groups[u][1] for u in uids])
            for uid in new:
                rewards = [r for r in groups[uid][1] if not math.isnan(r)] if uid in groups else []
                same = len(rewards) > 1 and max(rewards) == min(rewards)
                observed[uid] = rewards[0] if self.drop_zero_variance and same else None
            self.counts["observed"] += len(groups)
        dropped = {u: v for u, v in observed.items() if v is not None}
        self.counts["dropped"] += len(new & dropped.keys())
        return set(dropped), Counter(v for v in dropped.values() if v is not None)

    def _clear_groups(self, partition_id: str, uids: set[str]) -> None:
        super()._clear_groups(partition_id, uids)  # type: ignore[misc]
        for uid in uids:
            self._observed[partition_id].pop(uid, None)


#: the metric name this module hands verl's DAPO machinery (only whether it is set matters to verl)
FILTER_NAME = "pedagogy_zero_variance"


class PedagogyReplayBuffer(_PedagogyBuffer, ReplayBuffer):
    """verl 0.9's sync replay buffer whose teacher sees every finished group (options: the module docstring)."""

    sync_mode = True


class PedagogyReplayBufferAsync(_PedagogyBuffer, ReplayBufferAsync):
    """The same for verl's async trainer modes (``trainer.v1.trainer_mode`` other than ``sync``)."""

    sync_mode = False
