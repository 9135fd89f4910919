"""verl: a curriculum sampler whose teacher picks the prompts' groups from the rollouts' rewards.

``PedagogyCurriculumSampler`` is a verl ``AbstractCurriculumSampler`` (verl
0.7; later releases dropped the interface) over a
:class:`~pedagogy.data.CurriculumSampler`.  verl builds it from its config::

    data.sampler.class_path=pkg://pedagogy.data.verl
    data.sampler.class_name=PedagogyCurriculumSampler
    data.dataloader_num_workers=0          # verl requires it for a curriculum
    +data.sampler.teacher=dump             # the options below, all optional
    +data.sampler.group_column=data_source

Options, under ``data.sampler``: ``teacher`` (a name, default ``"dump"``),
``teacher_options`` (a mapping), ``group_column`` (the dataset column of each
prompt's group, default verl's ``data_source``, or ``extra_info.<key>``: a key
of verl's ``extra_info`` dicts; verl's rollout keeps only those two and
``reward_model`` of a row's columns in the batch it hands to ``update``), ``signal``
(``"abs_advantage"``, default, or ``"mean_reward"``), ``reward_key`` (the
batch tensor summed per response, default ``token_level_scores``),
``per_batch`` (one group per batch) and ``seed`` (default ``data.seed``, else 0).

After every training step verl calls :meth:`~PedagogyCurriculumSampler.update`
with the step's batch: the responses are grouped by their ``uid`` (one prompt,
``rollout.n`` responses), and the teacher observes one signal per prompt,
labelled with the prompt's ``group_column`` value.  verl saves the sampler's
``state_dict`` with its dataloader (``data.pt`` of a checkpoint), so a resumed
run continues the curriculum: same teacher, same shuffles, same position,
the batch trained on before the checkpoint not replayed.  verl saves before
it calls ``update``, so the resumed teacher has not seen the signals of the
checkpoint's own step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from typing import Any

try:
    from verl import DataProto
    from verl.experimental.dataset.sampler import AbstractCurriculumSampler
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        'pedagogy.data.verl needs verl 0.7 (the last release with AbstractCurriculumSampler): pip install torch==2.13.0 "pedagogy[verl]"'
    ) from exc

from pedagogy.data._verl_config import column_labels, pick_key, plain, section, split_column, teacher_spec
from pedagogy.data.sampler import CurriculumSampler, prompt_signal

__all__ = ["PedagogyCurriculumSampler", "prompt_signals"]

SIGNALS = ("abs_advantage", "mean_reward")
OPTIONS = ("class_path", "class_name", "teacher", "teacher_options", "group_column", "signal", "reward_key", "per_batch", "seed")


def prompt_signals(rewards: Iterable[Sequence[float]], kind: str = "abs_advantage") -> list[float | None]:
    """One signal per prompt from each prompt's list of response rewards (:func:`~pedagogy.data.sampler.prompt_signal`; ``None``: no reward left)."""
    return [prompt_signal(row, kind) for row in rewards]


class PedagogyCurriculumSampler(AbstractCurriculumSampler):
    """verl's curriculum sampler interface over a :class:`CurriculumSampler` (options: the module docstring).

    ``self.curriculum`` is the :class:`CurriculumSampler` (its
    ``teacher.report()`` says what the teacher believes).
    """

    def __init__(self, data_source: Sized, data_config: Any):
        who = "PedagogyCurriculumSampler"
        cfg = plain(data_config)
        if not isinstance(cfg, Mapping):
            raise ValueError(f"{who}: data_config must be verl's data config (a mapping), got {type(data_config).__name__}")
        opts = section(cfg.get("sampler"), OPTIONS, who, "data.sampler", shown=OPTIONS[2:])
        signal = opts.get("signal") or "abs_advantage"
        if signal not in SIGNALS:
            raise ValueError(f"{who}: data.sampler.signal must be one of {', '.join(SIGNALS)}, got {signal!r}")
        teacher, teacher_options = teacher_spec(opts, who, "data.sampler", "dump")
        self.group_column = str(opts.get("group_column") or "data_source")
        self.reward_key = str(opts.get("reward_key") or "token_level_scores")
        self.signal = str(signal)
        batch_size = cfg.get("gen_batch_size") or cfg.get("train_batch_size")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"PedagogyCurriculumSampler: data.train_batch_size must be a positive integer, got {batch_size!r}")
        per_batch = opts.get("per_batch", False)
        if not isinstance(per_batch, bool):
            raise ValueError(f"PedagogyCurriculumSampler: data.sampler.per_batch must be true or false, got {per_batch!r}")
        seed = opts.get("seed")
        if seed is None:
            seed = cfg.get("seed")
        rows = len(data_source)
        if rows < batch_size:
            raise ValueError(f"PedagogyCurriculumSampler: the dataset has {rows} rows, fewer than one batch ({batch_size})")
        self.curriculum = CurriculumSampler(
            self._labels(data_source),
            teacher,
            batch_size,
            num_batches=rows // batch_size,  # verl's dataloader drops the last incomplete batch
            per_batch=per_batch,
            seed=0 if seed is None else seed,
            teacher_options=teacher_options,
        )

    def _split_column(self) -> tuple[str, str | None]:
        return split_column(self.group_column)

    def _pick(self, values: list[Any], where: str) -> list[Any]:
        return pick_key(values, self.group_column, "PedagogyCurriculumSampler", where, "data.sampler.group_column")

    def _labels(self, data_source: Any) -> list[Any]:
        """Every row's group: from the column of verl's ``RLHFDataset.dataframe`` (or of a table-like dataset)."""
        return column_labels(data_source, self.group_column, "PedagogyCurriculumSampler", "data.sampler.group_column")

    @property
    def teacher(self) -> Any:
        return self.curriculum.teacher

    def __len__(self) -> int:
        return len(self.curriculum)

    def __iter__(self) -> Iterator[int]:
        return iter(self.curriculum)

    # ---------------------------------------------------------------- feedback
    def update(self, batch: DataProto) -> None:
        """Feed the teacher one signal per prompt of ``batch`` (a training step's rollouts, rewards computed)."""
        nt = batch.non_tensor_batch
        column, _ = self._split_column()
        for key in (column, "uid"):
            if key not in nt:
                raise ValueError(
                    f"PedagogyCurriculumSampler.update: the batch has no non-tensor {key!r} (keys: {', '.join(sorted(nt))}); "
                    "verl's rollout keeps data_source and extra_info, so group by data_source or extra_info.<key>"
                )
        if batch.batch is None or self.reward_key not in batch.batch.keys():
            have = ", ".join(sorted(batch.batch.keys())) if batch.batch is not None else "none"
            raise ValueError(
                f"PedagogyCurriculumSampler.update: the batch has no tensor {self.reward_key!r} (data.sampler.reward_key; tensors: {have})"
            )
        scores = batch.batch[self.reward_key]
        rewards = (scores.sum(-1) if scores.dim() > 1 else scores).detach().float().cpu().tolist()
        by_uid: dict[Any, list[float]] = {}
        group: dict[Any, Any] = {}
        for uid, label, r in zip(nt["uid"].tolist(), self._pick(nt[column].tolist(), "the batch's"), rewards):
            if group.setdefault(uid, label) != label:
                raise ValueError(f"PedagogyCurriculumSampler.update: the responses of uid {uid!r} have groups {group[uid]!r} and {label!r}")
            by_uid.setdefault(uid, []).append(float(r))
        signals = prompt_signals(list(by_uid.values()), self.signal)
        kept = [(group[u], s) for u, s in zip(by_uid, signals) if s is not None and not math.isnan(s)]
        if kept:
            self.curriculum.observe([g for g, _ in kept], [s for _, s in kept], by="group")

    # ------------------------------------------------------------------ resume
    def state_dict(self) -> dict[str, Any]:
        """The curriculum's state, every batch handed out counted as trained on.

        verl draws a batch just before training on it (``num_workers=0``) and
        saves after the step, so nothing handed out is waiting to be replayed.
        """
        state = self.curriculum.state_dict()
        state["done_in_epoch"] += len(state["pending"])
        state["pending"] = []
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.curriculum.load_state_dict(state)
