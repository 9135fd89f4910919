"""Datasets and training loops: curriculum sampling for supervised and RL fine-tuning.

* :class:`CurriculumSampler` — a ``torch.utils.data.Sampler`` over a dataset
  whose rows belong to groups; each batch comes from the groups a teacher
  picks, and ``observe`` feeds per-example signals back.
* :class:`CyclicalSampler` — Kesgin & Amasyali's cyclical curriculum
  (:class:`pedagogy.cyclical.CyclicalSchedule`) as a ``Sampler``: one pass
  is one epoch of the schedule.
* :mod:`pedagogy.data.trl` — ``CurriculumGRPOTrainer``: TRL's GRPO with the
  teacher choosing the prompts' groups from the rewards.
* :mod:`pedagogy.data.verl` — ``PedagogyCurriculumSampler``: verl's
  curriculum-sampler hook (``data.sampler.class_path``) over a
  :class:`CurriculumSampler`.

Needs the ``torch`` extra (``trl`` for :mod:`pedagogy.data.trl`, ``verl`` for
:mod:`pedagogy.data.verl`).
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError('pedagogy.data needs torch: pip install torch==2.13.0 "pedagogy[torch]"') from exc

from pedagogy.data.cyclical import CyclicalSampler
from pedagogy.data.sampler import CurriculumSampler, group_labels

__all__ = ["CurriculumSampler", "CyclicalSampler", "group_labels"]
