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

__all__ = ["CurriculumGRPOTrainer", "RepeatCurriculumSampler", "group_signal"]

SignalFn = Callable[[Sequence[float]], float]


def group_signal(rewards: torch.Tensor, kind: str | SignalFn = "abs_advantage") -> list[float]:
    """One signal per prompt from ``rewards`` of shape (prompts, num_generations).

    ``kind``: ``"abs_advantage"`` or ``"mean_reward"``
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
    group_column : str
        The ``train_dataset`` column holding each prompt's group.
    signal : "abs_advantage", "mean_reward" or callable
        What the teacher observes per prompt (see :func:`group_signal`).
    per_batch : bool
        One group per generation batch instead of one per prompt.

    ``trainer.curriculum`` is the :class:`CurriculumSampler` (its
    ``teacher.report()`` says what the teacher believes).
    """

    args: GRPOConfig  # typing only: GRPOTrainer's args (the Trainer base class declares TrainingArguments)

    def __init__(
        self,
        *args: Any,
        teacher: teachers.Teacher | str = "dump",
        group_column: str = "group",
        signal: str | SignalFn = "abs_advantage",
        per_batch: bool = False,
        teacher_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        if not (callable(signal) or signal in ("abs_advantage", "mean_reward")):
            raise ValueError(f"CurriculumGRPOTrainer: signal must be 'abs_advantage', 'mean_reward' or a function, got {signal!r}")
        super().__init__(*args, **kwargs)
        dataset = self.train_dataset
        if dataset is None or not hasattr(dataset, "column_names"):
            raise ValueError("CurriculumGRPOTrainer: needs a map-style datasets.Dataset as train_dataset")
        if group_column not in dataset.column_names:
            raise ValueError(
                f"CurriculumGRPOTrainer: train_dataset has no column {group_column!r} (columns: {', '.join(dataset.column_names)})"
            )
        gen_batch, n_gen = self.args.generation_batch_size, self.num_generations
        assert gen_batch is not None and n_gen is not None  # set by GRPOConfig.__post_init__
        chunk = gen_batch // n_gen
        self.group_column = group_column
        self.signal = signal
        self.curriculum = CurriculumSampler(
            group_column,
            teacher,
            chunk,
            dataset=dataset,
            num_batches=max(1, len(cast(Sized, dataset)) // chunk),  # a datasets.Dataset (column_names)
            per_batch=per_batch,
            seed=int(self.args.seed),
            teacher_options=teacher_options,
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
        groups = [example[self.group_column] for example in inputs]
        if self.accelerator.num_processes > 1:
            from accelerate.utils import gather_object

            groups = gather_object(groups)  # same order as the rewards' gather
        g = self.num_generations
        weights = self.reward_weights.to(rewards_per_func.device).unsqueeze(0)
        rewards = (rewards_per_func * weights).nansum(dim=1)
        unscorable = torch.isnan(rewards_per_func).all(dim=1)
        rewards[unscorable] = torch.nan
        signals = group_signal(rewards.view(-1, g), self.signal)
        labels = groups[::g]
        kept = [lab for lab, row in zip(labels, rewards.view(-1, g).tolist()) if any(x == x for x in row)]
        self.curriculum.observe(kept, signals, by="group")
        return rewards_per_func
