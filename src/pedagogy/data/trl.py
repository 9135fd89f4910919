"""TRL: GRPO post-training where a pedagogy teacher picks the prompts' groups.

``CurriculumGRPOTrainer`` is TRL's ``GRPOTrainer`` with two changes:

* its train sampler (``_get_train_sampler``) draws each generation batch's
  prompts from the groups a :class:`~pedagogy.data.CurriculumSampler`'s
  teacher chooses, in the layout TRL's ``RepeatSampler`` guarantees: each
  prompt ``num_generations`` times in a row, each chunk of prompts repeated
  ``num_iterations * steps_per_generation`` times, and the same indices on
  every process (every process holds an identical teacher, fed identical data);
* after the rewards are computed and gathered from all processes, the teacher
  of every process observes one signal per prompt, labelled with the prompt's
  group (a dataset column): by default the mean absolute group-normalised
  advantage of its completions (the signal of DUMP and SEC).

With ``prompt_level=True`` the teacher chooses prompts, not groups: its space
is the row indices ``Discrete(len(train_dataset))`` and it observes each
prompt's success rate (the mean of its completions' rewards clipped to
[0, 1]); a ``group_column`` is then handed to teachers that take a
``groups=`` option (prompt -> source).  With ``dynamic_sampling=True`` the
trainer applies DAPO's filter (Yu et al. 2025, arXiv 2503.14476), which TRL
lacks: groups whose rewards all agree are dropped from the generation batch
and replaced by fresh prompts from the teacher, which is told of every group
(see :mod:`pedagogy.teachers.dynamic_sampling`; one process only).

Needs ``trl`` (tested with trl 1.16).  Exact resume of the curriculum through
the Trainer's checkpoints is not provided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence, Sized
from typing import Any, cast

import torch
from torch.utils.data import Sampler
from trl import GRPOConfig, GRPOTrainer

from pedagogy import teachers
from pedagogy.data.sampler import CurriculumSampler, prompt_signal
from pedagogy.teachers.dynamic_sampling import zero_variance

__all__ = ["ROW_COLUMN", "CurriculumGRPOTrainer", "RepeatCurriculumSampler", "group_signal"]

#: the column a prompt-level trainer adds to ``train_dataset``: each example's row index
ROW_COLUMN = "pedagogy_row"

SignalFn = Callable[[Sequence[float]], float]


def group_signal(rewards: torch.Tensor, kind: str | SignalFn = "abs_advantage") -> list[float]:
    """One signal per prompt from ``rewards`` of shape (prompts, num_generations).

    ``kind``: ``"abs_advantage"``, ``"mean_reward"`` or ``"success_rate"``
    (:func:`~pedagogy.data.sampler.prompt_signal`), or a function of a
    prompt's list of rewards.  NaN rewards (unscorable completions) are left
    out, and so is a prompt with none left.
    """
    out: list[float] = []
    for row in rewards.detach().double().cpu().tolist():
        if callable(kind):
            r = [x for x in row if x == x]
            if r:
                out.append(float(kind(r)))
            continue
        v = prompt_signal(row, kind)
        if v is not None:
            out.append(v)
    return out


class RepeatCurriculumSampler(Sampler[int]):
    """TRL's ``RepeatSampler`` layout over the chunks a :class:`CurriculumSampler` draws.

    Each chunk holds ``curriculum.batch_size`` distinct prompts; every index
    is yielded ``mini_repeat_count`` times in a row and the whole chunk
    ``repeat_count`` times.
    """

    def __init__(self, curriculum: CurriculumSampler, mini_repeat_count: int, repeat_count: int = 1):
        self.curriculum = curriculum
        self.mini_repeat_count = int(mini_repeat_count)
        self.repeat_count = int(repeat_count)

    def __len__(self) -> int:
        return len(self.curriculum) * self.mini_repeat_count * self.repeat_count

    def __iter__(self) -> Iterator[int]:
        for chunk in self.curriculum.batches():
            for _ in range(self.repeat_count):
                for index in chunk:
                    for _ in range(self.mini_repeat_count):
                        yield index


class CurriculumGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` whose prompts come from the groups a teacher chooses from the rewards.

    Parameters (besides ``GRPOTrainer`` 's)
    ----------
    teacher : Teacher or str
        A teacher on ``Discrete`` of the group labels, or a name (``"dump"``,
        ``"sec"``, ``"lp"``...) built on them with ``args.seed``.
        Prompt-level: a teacher on ``Discrete(len(train_dataset))``, or a name.
    group_column : str or None
        The ``train_dataset`` column holding each prompt's group (default
        ``"group"``; optional when ``prompt_level``: then given as ``groups=``
        to a teacher built by name that takes that option).
    signal : "abs_advantage", "mean_reward", "success_rate" or callable
        What the teacher observes per prompt (see :func:`group_signal`);
        default ``"abs_advantage"``, ``"success_rate"`` when ``prompt_level``.
    per_batch : bool
        One group per generation batch instead of one per prompt.
    prompt_level : bool
        The teacher picks rows (prompts) rather than groups (default False).
    dynamic_sampling : bool
        DAPO's filter: zero-variance groups are replaced (default False).
    max_rounds : int or None
        Generation rounds per batch before the filter gives up (default 10,
        as DAPO's recipe): the batch is then completed with dropped groups,
        whose advantages are 0 (no gradient).

    ``trainer.curriculum`` is the :class:`CurriculumSampler` (its
    ``teacher.report()`` says what the teacher believes);
    ``trainer.dynamic_sampling_stats`` counts groups and rollouts, dropped
    ones included.
    """

    args: GRPOConfig  # typing only: GRPOTrainer's args (the Trainer base class declares TrainingArguments)

    def __init__(
        self,
        *args: Any,
        teacher: teachers.Teacher | str = "dump",
        group_column: str | None = None,
        signal: str | SignalFn | None = None,
        per_batch: bool = False,
        teacher_options: dict[str, Any] | None = None,
        prompt_level: bool = False,
        dynamic_sampling: bool = False,
        max_rounds: int | None = 10,
        **kwargs: Any,
    ):
        if signal is None:
            signal = "success_rate" if prompt_level else "abs_advantage"
        if group_column is None and not prompt_level:
            group_column = "group"
        if not (callable(signal) or signal in ("abs_advantage", "mean_reward", "success_rate")):
            raise ValueError(
                f"CurriculumGRPOTrainer: signal must be 'abs_advantage', 'mean_reward', 'success_rate' or a function, got {signal!r}"
            )
        for key, flag in (("prompt_level", prompt_level), ("dynamic_sampling", dynamic_sampling)):
            if not isinstance(flag, bool):
                raise ValueError(f"CurriculumGRPOTrainer: {key} must be True or False, got {flag!r}")
        if max_rounds is not None and (isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1):
            raise ValueError(f"CurriculumGRPOTrainer: max_rounds must be a positive integer or None, got {max_rounds!r}")
        super().__init__(*args, **kwargs)
        dataset = self.train_dataset
        if dataset is None or not hasattr(dataset, "column_names"):
            raise ValueError("CurriculumGRPOTrainer: needs a map-style datasets.Dataset as train_dataset")
        if (group_column is not None or not prompt_level) and group_column not in dataset.column_names:
            raise ValueError(
                f"CurriculumGRPOTrainer: train_dataset has no column {group_column!r} (columns: {', '.join(dataset.column_names)})"
            )
        if dynamic_sampling and self.accelerator.num_processes > 1:
            raise ValueError("CurriculumGRPOTrainer: dynamic_sampling runs on one process only (the refill rounds differ per process)")
        gen_batch, n_gen = self.args.generation_batch_size, self.num_generations
        assert gen_batch is not None and n_gen is not None  # set by GRPOConfig.__post_init__
        chunk = gen_batch // n_gen
        self.group_column = group_column
        self.signal = signal
        self.prompt_level = prompt_level
        self.dynamic_sampling = dynamic_sampling
        self.max_rounds = max_rounds
        self.dynamic_sampling_stats = {"groups": 0, "dropped_groups": 0, "rollouts": 0, "dropped_rollouts": 0, "partial_batches": 0}
        self._refilling = False
        self._round_rewards: torch.Tensor | None = None
        rows = len(cast(Sized, dataset))  # a datasets.Dataset (column_names)
        options = dict(teacher_options or {})
        if prompt_level:
            # the row of every example travels with it, so its reward is observed under its index
            self.train_dataset = dataset = cast(Any, dataset).add_column(ROW_COLUMN, list(range(rows)))
            if group_column is not None and isinstance(teacher, str) and "groups" in teachers.get(teacher).defaults:
                options.setdefault("groups", list(dataset[group_column]))
        self.curriculum = CurriculumSampler(
            rows if prompt_level else group_column,
            teacher,
            chunk,
            dataset=dataset,
            num_batches=max(1, rows // chunk),
            per_batch=per_batch,
            seed=int(self.args.seed),
            teacher_options=options,
        )

    def _get_train_sampler(self, dataset: Any = None) -> Sampler:
        if dataset is not None and dataset is not self.train_dataset:
            return super()._get_train_sampler(dataset)
        n_gen, steps = self.num_generations, self.args.steps_per_generation
        assert n_gen is not None and steps is not None  # set by GRPOConfig.__post_init__
        return RepeatCurriculumSampler(
            self.curriculum,
            mini_repeat_count=n_gen,
            repeat_count=self.num_iterations * steps,
        )

    def _calculate_rewards(self, inputs: list[dict[str, Any]], prompts: Any, completions: Any, completion_ids_list: Any) -> torch.Tensor:
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)  # gathered
        assert self.model is not None  # GRPOTrainer's model is a required argument
        if not self.model.training:  # evaluation batches must not teach the curriculum
            return rewards_per_func
        key = ROW_COLUMN if self.prompt_level else str(self.group_column)
        groups = [example[key] for example in inputs]
        if self.accelerator.num_processes > 1:
            from accelerate.utils import gather_object

            groups = gather_object(groups)  # same order as the rewards' gather
        g = self.num_generations
        weights = self.reward_weights.to(rewards_per_func.device).unsqueeze(0)
        rewards = (rewards_per_func * weights).nansum(dim=1)
        unscorable = torch.isnan(rewards_per_func).all(dim=1)
        rewards[unscorable] = torch.nan
        self._round_rewards = rewards.detach().view(-1, g).cpu()
        signals = group_signal(rewards.view(-1, g), self.signal)
        labels = groups[::g]
        kept = [lab for lab, row in zip(labels, rewards.view(-1, g).tolist()) if any(x == x for x in row)]
        if self._refilling:
            self.curriculum.teacher.observe(kept, signals)  # refill prompts: observed, never part of a handed-out batch
        else:
            self.curriculum.observe(kept, signals, by="index" if self.prompt_level else "group")
        return rewards_per_func

    # ------------------------------------------------------- dynamic sampling
    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        if not self.dynamic_sampling or self.model is None or not self.model.training:
            return super()._generate_and_score_completions(inputs)
        g = self.num_generations
        assert g is not None
        need = len(inputs) // g
        kept: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        n_kept, rounds, batch = 0, 0, inputs
        stats = self.dynamic_sampling_stats
        try:
            while True:
                out = super()._generate_and_score_completions(batch)
                rewards = self._round_rewards
                assert rewards is not None
                keep = torch.tensor([not zero_variance(row) for row in rewards.tolist()])
                rows = keep.repeat_interleave(g).to(out["advantages"].device)
                kept.append(_select(out, rows))
                dropped.append(_select(out, ~rows))
                n_kept += int(keep.sum())
                stats["groups"] += len(keep)
                stats["rollouts"] += len(keep) * g
                stats["dropped_groups"] += int((~keep).sum())
                stats["dropped_rollouts"] += int((~keep).sum()) * g
                rounds += 1
                if n_kept >= need or (self.max_rounds is not None and rounds >= self.max_rounds):
                    break
                self._refilling = True
                fresh = self.curriculum.draw(need - n_kept)
                batch = [self.train_dataset[i] for i in fresh for _ in range(g)]  # type: ignore[index]
        finally:
            self._refilling = False
        if n_kept < need:
            stats["partial_batches"] += 1
            kept.append(_concat(dropped, g))  # zero advantages: the batch keeps its size, no gradient
        return _trim(_concat(kept, g), need * g)


def _select(out: dict[str, Any], rows: torch.Tensor) -> dict[str, Any]:
    """The completions ``rows`` (a boolean mask) of one generation round's output."""
    n = int(rows.numel())
    sel: dict[str, Any] = {}
    for k, v in out.items():
        if k == "num_items_in_batch":
            continue
        if not isinstance(v, torch.Tensor) or v.ndim == 0 or v.shape[0] != n:
            raise ValueError(
                f"CurriculumGRPOTrainer: dynamic_sampling cannot filter the generation output {k!r} (multimodal or tool inputs)"
            )
        sel[k] = v[rows.to(v.device)]
    return sel


def _pad(t: torch.Tensor, width: int, left: bool) -> torch.Tensor:
    extra = width - t.shape[1]
    if extra <= 0:
        return t
    pad = torch.zeros((t.shape[0], extra, *t.shape[2:]), dtype=t.dtype, device=t.device)
    return torch.cat([pad, t] if left else [t, pad], dim=1)


def _concat(parts: list[dict[str, Any]], g: int) -> dict[str, Any]:
    """Rounds' outputs joined: prompts left-padded, completions and per-token tensors right-padded; token count recomputed."""
    parts = [p for p in parts if p and next(iter(p.values())).shape[0] > 0] or parts[:1]
    out: dict[str, Any] = {}
    for k in parts[0]:
        if k == "num_items_in_batch":
            continue
        ts = [p[k] for p in parts]
        if ts[0].ndim >= 2:
            width = max(t.shape[1] for t in ts)
            ts = [_pad(t, width, left=k.startswith("prompt")) for t in ts]
        out[k] = torch.cat(ts, dim=0)
    mask = out["completion_mask"] * out["tool_mask"] if "tool_mask" in out else out["completion_mask"]
    out["num_items_in_batch"] = mask.sum()
    return out


def _trim(out: dict[str, Any], n: int) -> dict[str, Any]:
    """The first ``n`` completions (whole groups: ``n`` is a multiple of the group size)."""
    res = {k: (v[:n] if isinstance(v, torch.Tensor) and v.ndim > 0 else v) for k, v in out.items()}
    mask = res["completion_mask"] * res["tool_mask"] if "tool_mask" in res else res["completion_mask"]
    res["num_items_in_batch"] = mask.sum()
    return res
