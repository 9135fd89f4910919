"""Answer logs for knowledge tracing: one container, two readers.

:class:`Responses` holds answers grouped by student, each student's answers
in time order.  An answer practises one or more skills (multi-skill items),
stored in CSR form: the skills of answer ``i`` are
``skill_idx[skill_ptr[i]:skill_ptr[i + 1]]``.

Readers (implemented below):

* :func:`read_sequences` — the three-line format of DKT / DKVMN (line 1 the
  number of answers, line 2 skill or question ids, line 3 0/1 answers;
  trailing commas allowed);
* :func:`read_log` — long CSV / Parquet logs with columns ``user``, ``skill``,
  ``correct`` and optional ``item``, ``timestamp`` (names configurable).

Malformed input raises :class:`DataError` naming the file and line; nothing
is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Responses", "DataError"]


class DataError(ValueError):
    """Malformed knowledge-tracing input; the message names the file and line."""


@dataclass
class Responses:
    """Students' answers, grouped by student, in time order within a student.

    Attributes
    ----------
    user : int32 array (n,)
        Student index of each answer (into ``user_names``); a student's answers
        are contiguous.
    correct : int8 array (n,)
        1 if the answer was correct, else 0.
    skill_ptr : int64 array (n + 1,), skill_idx : int32 array
        CSR skills of each answer (indices into ``skill_names``).
    item : int32 array (n,) or None
        Item (question) index of each answer, into ``item_names``.
    user_names, skill_names, item_names : lists
        The ids as they appear in the data (kept as str).
    source : str
        Where the data came from (file path), for messages.
    skipped : int
        Rows of the source that could not be used (counted and reported, e.g.
        rows with no skill), never silently.
    """

    user: np.ndarray
    correct: np.ndarray
    skill_ptr: np.ndarray
    skill_idx: np.ndarray
    user_names: list[str]
    skill_names: list[str]
    item: np.ndarray | None = None
    item_names: list[str] | None = None
    source: str = ""
    skipped: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def n_answers(self) -> int:
        return int(self.correct.shape[0])

    @property
    def n_users(self) -> int:
        return len(self.user_names)

    @property
    def n_skills(self) -> int:
        return len(self.skill_names)

    @property
    def single_skill(self) -> bool:
        """True when every answer practises exactly one skill."""
        return bool(np.all(np.diff(self.skill_ptr) == 1))

    @property
    def skill(self) -> np.ndarray:
        """The skill of each answer (only when :attr:`single_skill`)."""
        if not self.single_skill:
            raise ValueError(f"{self.source or 'data'}: some answers practise several skills; use skill_ptr/skill_idx")
        return self.skill_idx

    @property
    def user_ptr(self) -> np.ndarray:
        """Start offset of each student's answers (length n_users + 1)."""
        counts = np.bincount(self.user, minlength=self.n_users)
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
