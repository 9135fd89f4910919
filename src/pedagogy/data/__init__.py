"""Datasets and training loops: curriculum sampling for supervised and RL fine-tuning.

* :class:`CurriculumSampler` — a ``torch.utils.data.Sampler`` over a dataset
  whose rows belong to groups; each batch comes from the groups a teacher
  picks, and ``observe`` feeds per-example signals back.
* :class:`CyclicalSampler` — Kesgin & Amasyali's cyclical curriculum
  (:class:`pedagogy.cyclical.CyclicalSchedule`) as a ``Sampler``: one pass
  is one epoch of the schedule.
* :mod:`pedagogy.data.trl` — ``CurriculumGRPOTrainer``: TRL's GRPO with the
  teacher choosing the prompts' groups from the rewards.
* :class:`PromptCurriculum` — a teacher over a dataset's prompts (row
  indices), fed each prompt's rewards; trainer-independent.
* :mod:`pedagogy.data.verl` — ``PedagogyCurriculumSampler``: verl 0.7's
  curriculum-sampler hook (``data.sampler.class_path``) over a
  :class:`CurriculumSampler`.
* :mod:`pedagogy.data.verl09` — ``PedagogyPromptDataset`` and
  ``PedagogyReplayBuffer``: verl 0.9's custom dataset class and custom replay
  buffer over one :class:`PromptCurriculum`.

Needs the ``torch`` extra (``trl`` for :mod:`pedagogy.data.trl`, ``verl`` for
:mod:`pedagogy.data.verl`, ``verl09`` for :mod:`pedagogy.data.verl09`).
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError('pedagogy.data needs torch: pip install torch==2.13.0 "pedagogy[torch]"') from exc

from pedagogy.data.cyclical import CyclicalSampler
from pedagogy.data.prompt_curriculum import PromptCurriculum
from pedagogy.data.sampler import CurriculumSampler, group_labels

__all__ = ["CurriculumSampler", "CyclicalSampler", "PromptCurriculum", "group_labels"]
