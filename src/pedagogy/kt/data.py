"""Answer logs for knowledge tracing: one container, three readers.

:class:`Responses` holds answers grouped by student, each student's answers
in time order.  An answer practises one or more skills (multi-skill items),
stored in CSR form: the skills of answer ``i`` are
``skill_idx[skill_ptr[i]:skill_ptr[i + 1]]``.

Readers:

* :func:`read_sequences` — the three-line format of DKT / DKVMN (line 1 the
  number of answers, line 2 skill or question ids, line 3 0/1 answers;
  trailing commas and trailing blank lines allowed);
* :func:`read_log` — long CSV / Parquet logs with columns ``user``, ``skill``,
  ``correct`` and optional ``item``, ``timestamp`` (names configurable);
* :func:`read` — picks one of the two from the file's extension / content.

Malformed input raises :class:`DataError` naming the file and line; nothing
is silently dropped.  Rows that are well formed but unusable by a model (a log
row without a skill) are counted in :attr:`Responses.skipped` and described in
:attr:`Responses.notes`.

Also here: :meth:`Responses.from_arrays` (build from in-memory columns),
:meth:`Responses.subset` / :meth:`Responses.split_users` (student subsets),
:meth:`Responses.students` (iterate per student), :meth:`Responses.concat`,
:meth:`Responses.lookup` (match names against a fitted model's vocabulary)
and :func:`write_sequences`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

__all__ = ["Responses", "DataError", "read_sequences", "read_log", "read", "write_sequences", "name_index"]


class DataError(ValueError):
    """Malformed knowledge-tracing input; the message names the file and line."""


def _sorted_names(names: np.ndarray) -> np.ndarray:
    """Order unique ids numerically when they are all integers, else as text."""
    try:
        keys = np.array([int(s) for s in names.tolist()], dtype=np.int64)
    except ValueError:
        return names
    return names[np.argsort(keys, kind="stable")]


def _encode(tokens: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Map string tokens to int32 codes; names ordered numerically when possible."""
    uniq, inv = np.unique(tokens, return_inverse=True)
    order = _sorted_names(uniq)
    if order is not uniq:
        # remap codes so that code k is the k-th name in numeric order
        rank = np.empty(len(uniq), dtype=np.int64)
        rank[np.searchsorted(uniq, order)] = np.arange(len(uniq))
        inv = rank[inv]
    return inv.astype(np.int32).reshape(-1), [str(s) for s in order.tolist()]


def _merge_names(lists: Sequence[Sequence[str]]) -> list[str]:
    """Union of several name lists, ordered numerically when all are integers."""
    uniq = np.unique(np.asarray([str(x) for ls in lists for x in ls] or [""], dtype=str))
    if not any(len(ls) for ls in lists):
        return []
    return [str(x) for x in _sorted_names(uniq).tolist()]


def name_index(names: Sequence[str], vocabulary: Sequence[str]) -> np.ndarray:
    """Position of each of ``names`` in ``vocabulary`` (-1 when absent).

    Models match skills/items by *name* between training and test data; this
    is the one place that does it.
    """
    lookup = {str(v): i for i, v in enumerate(vocabulary)}
    return np.array([lookup.get(str(n), -1) for n in names], dtype=np.int64)


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
    notes : list of str
        Human-readable descriptions of what was skipped and why.
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

    # ------------------------------------------------------------------ basics
    @property
    def n_answers(self) -> int:
        return int(self.correct.shape[0])

    def __len__(self) -> int:
        return self.n_answers

    @property
    def n_users(self) -> int:
        return len(self.user_names)

    @property
    def n_skills(self) -> int:
        return len(self.skill_names)

    @property
    def n_items(self) -> int:
        return 0 if self.item_names is None else len(self.item_names)

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

    @property
    def answer_of_skill(self) -> np.ndarray:
        """For each entry of ``skill_idx``, the answer it belongs to (int64)."""
        return np.repeat(np.arange(self.n_answers, dtype=np.int64), np.diff(self.skill_ptr))

    def __repr__(self) -> str:
        extra = f", items={self.n_items}" if self.item is not None else ""
        skipped = f", skipped={self.skipped}" if self.skipped else ""
        return f"Responses(answers={self.n_answers}, users={self.n_users}, skills={self.n_skills}{extra}{skipped}, source={self.source!r})"

    def summary(self) -> dict[str, Any]:
        """Counts for reports (plain data)."""
        return {
            "source": self.source,
            "answers": self.n_answers,
            "users": self.n_users,
            "skills": self.n_skills,
            "items": self.n_items if self.item is not None else None,
            "multi_skill_answers": int(np.sum(np.diff(self.skill_ptr) > 1)),
            "correct_rate": float(self.correct.mean()) if self.n_answers else None,
            "skipped": self.skipped,
            "notes": list(self.notes),
        }

    # ----------------------------------------------------------- construction
    @classmethod
    def from_arrays(
        cls,
        user: Sequence[Any] | np.ndarray,
        skill: Sequence[Any] | np.ndarray,
        correct: Sequence[Any] | np.ndarray,
        item: Sequence[Any] | np.ndarray | None = None,
        source: str = "arrays",
    ) -> Responses:
        """Build from per-answer columns already in time order within each student.

        ``skill`` holds one id per answer, or a sequence of ids (list/tuple)
        for multi-skill answers.  Students are numbered in order of first
        appearance; their answers are gathered (stable), so they need not be
        contiguous on input.  Ids are kept as ``str``.
        """
        user_arr = np.asarray([str(u) for u in user], dtype=object)
        n = len(user_arr)
        corr = np.asarray(correct)
        if corr.shape != (n,) or len(skill) != n or (item is not None and len(item) != n):
            raise DataError(f"{source}: user, skill, correct (and item) must have the same length")
        if n and not np.all((corr == 0) | (corr == 1)):
            bad = int(np.flatnonzero(~((corr == 0) | (corr == 1)))[0])
            raise DataError(f"{source}: answer {bad}: correct must be 0 or 1, got {corr[bad]!r}")
        # group students by first appearance, keeping time order (stable sort)
        first: dict[str, int] = {}
        codes = np.array([first.setdefault(u, len(first)) for u in user_arr], dtype=np.int64)
        order = np.argsort(codes, kind="stable")
        flat: list[str] = []
        counts = np.empty(n, dtype=np.int64)
        for k, s in enumerate(skill):
            if isinstance(s, (list, tuple, np.ndarray)):
                if len(s) == 0:
                    raise DataError(f"{source}: answer {k} has an empty skill list")
                flat.extend(str(x) for x in s)
                counts[k] = len(s)
            else:
                flat.append(str(s))
                counts[k] = 1
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        sk_codes, sk_names = _encode(np.asarray(flat, dtype=str)) if n else (np.zeros(0, np.int32), [])
        # reorder CSR rows by `order`
        starts, ends = ptr[:-1][order], ptr[1:][order]
        new_counts = ends - starts
        new_ptr = np.concatenate([[0], np.cumsum(new_counts)]).astype(np.int64)
        gather = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)]) if n else np.zeros(0, np.int64)
        it, it_names = None, None
        if item is not None:
            codes_i, it_names = _encode(np.asarray([str(x) for x in item], dtype=str)) if n else (np.zeros(0, np.int32), [])
            it = codes_i[order].astype(np.int32)
        return cls(
            user=codes[order].astype(np.int32),
            correct=corr[order].astype(np.int8),
            skill_ptr=new_ptr,
            skill_idx=sk_codes[gather].astype(np.int32),
            user_names=list(first),
            skill_names=sk_names,
            item=it,
            item_names=it_names,
            source=source,
        )

    # -------------------------------------------------------------- subsets
    def students(self) -> Iterator[tuple[str, slice]]:
        """Yield ``(student name, slice of their answers)`` in order."""
        ptr = self.user_ptr
        for u, name in enumerate(self.user_names):
            yield name, slice(int(ptr[u]), int(ptr[u + 1]))

    def subset(self, users: Sequence[int] | Sequence[str] | np.ndarray) -> Responses:
        """The answers of the given students (indices or names), in the given order.

        Skill and item vocabularies are kept unchanged (so indices stay
        comparable with the full data).
        """
        users = list(users)
        if users and isinstance(users[0], str):
            pos = name_index(users, self.user_names)
            if np.any(pos < 0):
                missing = [u for u, p in zip(users, pos, strict=True) if p < 0][:5]
                raise KeyError(f"{self.source or 'data'}: unknown students {missing}")
            idx = pos
        else:
            idx = np.asarray(users, dtype=np.int64)
        ptr = self.user_ptr
        if len(idx) and (idx.min() < 0 or idx.max() >= self.n_users):
            raise IndexError(f"{self.source or 'data'}: student index out of range")
        rows = (np.concatenate([np.arange(ptr[u], ptr[u + 1]) for u in idx]) if len(idx) else np.zeros(0, np.int64)).astype(np.int64)
        counts = np.diff(self.skill_ptr)[rows]
        new_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        sk_rows = (
            np.concatenate([np.arange(self.skill_ptr[r], self.skill_ptr[r + 1]) for r in rows])
            if self.single_skill is False and len(rows)
            else self.skill_ptr[rows]
        ).astype(np.int64)
        new_user = np.repeat(np.arange(len(idx), dtype=np.int32), np.diff(ptr)[idx])
        return Responses(
            user=new_user,
            correct=self.correct[rows].copy(),
            skill_ptr=new_ptr,
            skill_idx=self.skill_idx[sk_rows].copy(),
            user_names=[self.user_names[u] for u in idx],
            skill_names=list(self.skill_names),
            item=None if self.item is None else self.item[rows].copy(),
            item_names=None if self.item_names is None else list(self.item_names),
            source=self.source,
            skipped=0,
            notes=[],
        )

    def split_users(self, fraction: float, seed: int = 0) -> tuple[Responses, Responses]:
        """Random split of the *students*: ``(rest, held_out)`` with ``fraction`` held out.

        Useful for a validation split inside the training data (early
        stopping, model selection) without touching the test file.
        """
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
        perm = np.random.default_rng(seed).permutation(self.n_users)
        k = int(round(fraction * self.n_users))
        held, rest = np.sort(perm[:k]), np.sort(perm[k:])
        return self.subset(rest), self.subset(held)

    @staticmethod
    def concat(parts: Sequence[Responses], rename_users: bool = True) -> Responses:
        """Concatenate several data sets; skill/item vocabularies are merged by name.

        With ``rename_users`` students are renamed ``"<part>:<name>"`` so
        that equal names in different parts stay different students (with it
        off, equal names must not occur in two parts).
        """
        if not parts:
            raise ValueError("concat needs at least one Responses")
        skill_names = _merge_names([p.skill_names for p in parts])
        has_item = all(p.item is not None for p in parts)
        item_names = _merge_names([p.item_names or [] for p in parts]) if has_item else None
        users: list[str]
        users, uoff, ptr_parts, off = [], 0, [np.zeros(1, np.int64)], 0
        user_arr, sk_arr, it_arr = [], [], []
        for k, p in enumerate(parts):
            users.extend(f"{k}:{u}" for u in p.user_names) if rename_users else users.extend(p.user_names)
            user_arr.append(p.user.astype(np.int64) + uoff)
            uoff += p.n_users
            ptr_parts.append(p.skill_ptr[1:] - p.skill_ptr[0] + off)
            off += int(p.skill_ptr[-1] - p.skill_ptr[0])
            sk_arr.append(name_index(p.skill_names, skill_names)[p.skill_idx])
            if item_names is not None:  # i.e. has_item
                # p.item_names: set with p.item (a Responses invariant)
                it_arr.append(name_index(cast(list[str], p.item_names), item_names)[p.item])
        if len(set(users)) != len(users):
            raise ValueError("concat: the same student name occurs in two parts; use rename_users=True")
        return Responses(
            user=np.concatenate(user_arr).astype(np.int32),
            correct=np.concatenate([p.correct for p in parts]).astype(np.int8),
            skill_ptr=np.concatenate(ptr_parts).astype(np.int64),
            skill_idx=np.concatenate(sk_arr).astype(np.int32),
            user_names=users,
            skill_names=skill_names,
            item=np.concatenate(it_arr).astype(np.int32) if has_item else None,
            item_names=item_names,
            source="+".join(p.source for p in parts),
            skipped=sum(p.skipped for p in parts),
            notes=[n for p in parts for n in p.notes],
        )

    def lookup(self, vocabulary: Sequence[str], kind: str = "skill") -> np.ndarray:
        """Index of each of this data's skill (or item) names in a model's ``vocabulary`` (-1 if unseen)."""
        names = self.skill_names if kind == "skill" else self.item_names
        if names is None:
            raise ValueError(f"{self.source or 'data'} has no {kind}s")
        return name_index(names, vocabulary)


# ---------------------------------------------------------------------------
# three-line sequences
# ---------------------------------------------------------------------------
def _clean(line: str) -> str:
    s = line.strip()
    if " " in s or "\t" in s:
        s = s.replace(" ", "").replace("\t", "")
    return s[:-1] if s.endswith(",") else s


def read_sequences(path: str | os.PathLike[str]) -> Responses:
    """Read the three-line DKT / DKVMN format.

    For each student: line 1 the number of answers, line 2 the comma-separated
    skill (or question) ids, line 3 the comma-separated 0/1 answers.  A
    trailing comma on a line and blank lines at the end of the file are
    allowed.  Students are named by their record number (``"0"``, ``"1"``...).

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    Responses

    Raises
    ------
    DataError
        On a non-numeric or non-positive count, a line whose length disagrees
        with its count, a correctness value other than 0/1, an empty id, or a
        truncated last record — with the file and line number.
    """
    src = os.fspath(path)
    try:
        with open(src, encoding="utf-8-sig") as fh:
            lines = fh.read().splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{src}: not a UTF-8 text file ({exc})") from None
    while lines and not lines[-1].strip():
        lines.pop()
    skill_lines: list[str] = []
    corr_lines: list[str] = []
    counts: list[int] = []
    starts: list[int] = []  # 0-based line index of each record's count line
    i, n_lines = 0, len(lines)
    while i < n_lines:
        head = lines[i].strip().rstrip(",").strip()
        try:
            n = int(head)
        except ValueError:
            raise DataError(f"{src}, line {i + 1}: expected the number of answers, got {lines[i][:40]!r}") from None
        if n <= 0:
            raise DataError(f"{src}, line {i + 1}: the number of answers must be positive, got {n}")
        if i + 2 >= n_lines:
            raise DataError(f"{src}, line {i + 1}: truncated record (a count line must be followed by a skill line and an answer line)")
        s, c = _clean(lines[i + 1]), _clean(lines[i + 2])
        for k, (txt, what) in enumerate(((s, "skill ids"), (c, "answers"))):
            got = txt.count(",") + 1 if txt else 0
            if got != n:
                raise DataError(f"{src}, line {i + 2 + k}: {got} {what} but line {i + 1} says {n}")
        skill_lines.append(s)
        corr_lines.append(c)
        counts.append(n)
        starts.append(i)
        i += 3
    cnt = np.asarray(counts, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(cnt)])

    def where(j: int, k: int) -> int:  # 1-based line of answer j, line k of the record
        return starts[int(np.searchsorted(offsets, j, side="right") - 1)] + 1 + k

    total = int(offsets[-1])
    if total == 0:
        return Responses(
            user=np.zeros(0, np.int32),
            correct=np.zeros(0, np.int8),
            skill_ptr=np.zeros(1, np.int64),
            skill_idx=np.zeros(0, np.int32),
            user_names=[],
            skill_names=[],
            source=src,
        )
    ctok = np.asarray(",".join(corr_lines).split(","))
    ok = (ctok == "0") | (ctok == "1")
    if not ok.all():
        j = int(np.flatnonzero(~ok)[0])
        raise DataError(f"{src}, line {where(j, 2)}: answers must be 0 or 1, got {str(ctok[j])!r}")
    stok = np.asarray(",".join(skill_lines).split(","))
    empty = stok == ""
    if empty.any():
        j = int(np.flatnonzero(empty)[0])
        raise DataError(f"{src}, line {where(j, 1)}: empty skill id")
    codes, names = _encode(stok)
    return Responses(
        user=np.repeat(np.arange(len(cnt), dtype=np.int32), cnt),
        correct=(ctok == "1").astype(np.int8),
        skill_ptr=np.arange(total + 1, dtype=np.int64),
        skill_idx=codes,
        user_names=[str(k) for k in range(len(cnt))],
        skill_names=names,
        source=src,
    )


def write_sequences(data: Responses, path: str | os.PathLike[str]) -> None:
    """Write single-skill ``data`` in the three-line format (student names are not kept)."""
    skill = data.skill
    names = np.asarray(data.skill_names, dtype=object)
    with open(os.fspath(path), "w", encoding="utf-8") as fh:
        for _, sl in data.students():
            n = sl.stop - sl.start
            if n == 0:
                continue
            fh.write(f"{n}\n{','.join(names[skill[sl]].tolist())}\n{','.join(map(str, data.correct[sl].tolist()))}\n")


# ---------------------------------------------------------------------------
# long logs (CSV / Parquet)
# ---------------------------------------------------------------------------
_TRUE = {"1", "1.0", "true", "True", "TRUE"}
_FALSE = {"0", "0.0", "false", "False", "FALSE"}


def read_log(
    path: str | os.PathLike[str],
    user: str = "user",
    skill: str = "skill",
    correct: str = "correct",
    item: str | None = None,
    timestamp: str | None = None,
    skill_sep: str | None = None,
) -> Responses:
    """Read a long answer log (one row per answer) from CSV or Parquet.

    Parameters
    ----------
    path : str or path-like
        ``.parquet`` / ``.pq`` files are read with pyarrow, anything else as CSV
        (pandas is needed: the ``[kt]`` extra).
    user, skill, correct : str
        Column names of the student id, the skill id(s) and the 0/1 answer.
    item : str, optional
        Column of the item (question) id, for models with per-item parameters.
    timestamp : str, optional
        Column to order each student's answers by (numbers or date strings);
        the sort is stable, so ties keep file order.  Without it, file order.
    skill_sep : str, optional
        Separator of several skills in one cell (multi-skill items), e.g.
        ``"_"`` or ``","``.

    Returns
    -------
    Responses
        Students in order of first appearance.  Rows without a skill are not
        used: they are counted in ``skipped`` and described in ``notes``.

    Raises
    ------
    DataError
        A missing column (named), a missing student id or answer, an answer
        other than 0/1 (``0``, ``1``, ``0.0``, ``1.0``, ``true``, ``false``
        accepted), an unparsable timestamp — with the file and line (CSV, the
        header being line 1) or row (Parquet).
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pandas is in the [kt] extra
        raise ImportError("reading logs needs pandas: pip install 'pedagogy[kt]'") from exc
    src = os.fspath(path)
    wanted = [c for c in (user, skill, correct, item, timestamp) if c is not None]
    parquet = src.lower().endswith((".parquet", ".pq"))
    if parquet:
        import pyarrow.parquet as pq

        have = pq.read_schema(src).names
    else:
        try:
            have = list(pd.read_csv(src, nrows=0, encoding_errors="replace").columns)
        except pd.errors.EmptyDataError:
            raise DataError(f"{src}: the file is empty (a CSV log needs a header line naming its columns)") from None
    missing = [c for c in wanted if c not in have]
    if missing:
        raise DataError(f"{src}, line 1: missing column(s) {missing}; the file has {have}")
    if parquet:
        df = pd.read_parquet(src, columns=list(dict.fromkeys(wanted)))

        def loc(r: int) -> str:
            return f"{src}, row {r + 1}"
    else:
        strs = {c: str for c in (user, skill, item, correct) if c is not None}
        df = pd.read_csv(
            src,
            usecols=list(dict.fromkeys(wanted)),
            dtype=strs,
            keep_default_na=False,
            na_values=[""],
            encoding_errors="replace",
        )

        def loc(r: int) -> str:
            return f"{src}, line {r + 2}"

    n_rows = len(df)
    # --- answers
    corr_col = df[correct]
    if corr_col.isna().any():
        r = int(np.flatnonzero(corr_col.isna().to_numpy())[0])
        raise DataError(f"{loc(r)}: missing value in column {correct!r}")
    if corr_col.dtype == bool:
        corr = corr_col.to_numpy().astype(np.int8)
    else:
        cs = corr_col.astype(str).str.strip()
        is1, is0 = cs.isin(_TRUE).to_numpy(), cs.isin(_FALSE).to_numpy()
        if not (is1 | is0).all():
            r = int(np.flatnonzero(~(is1 | is0))[0])
            raise DataError(f"{loc(r)}: column {correct!r} must be 0 or 1, got {cs.iloc[r]!r}")
        corr = is1.astype(np.int8)
    # --- students
    ucol = df[user]
    if ucol.isna().any():
        r = int(np.flatnonzero(ucol.isna().to_numpy())[0])
        raise DataError(f"{loc(r)}: missing value in column {user!r}")
    users = ucol.astype(str).str.strip().to_numpy()
    # --- skills (a missing skill makes the row unusable: skipped, counted)
    scol = df[skill]
    sstr = scol.astype(str).str.strip()
    no_skill = (scol.isna() | (sstr == "") | sstr.str.lower().isin(["nan", "none"])).to_numpy()
    notes: list[str] = []
    keep = ~no_skill
    if no_skill.any():
        first_bad = [loc(int(r)) for r in np.flatnonzero(no_skill)[:3]]
        notes.append(f"{int(no_skill.sum())} of {n_rows} rows have no {skill!r} and were not used (e.g. {'; '.join(first_bad)})")
    # --- items
    items = None
    if item is not None:
        icol = df[item]
        no_item = icol.isna().to_numpy() & keep
        if no_item.any():
            notes.append(f"{int(no_item.sum())} rows have no {item!r} and were not used (e.g. {loc(int(np.flatnonzero(no_item)[0]))})")
            keep &= ~no_item
        items = icol.astype(str).str.strip().to_numpy()
    # --- order: by student (first appearance), then timestamp (stable), then file order
    first: dict[str, int] = {}
    ucode = np.array([first.setdefault(u, len(first)) for u in users], dtype=np.int64)
    if timestamp is not None:
        tcol = df[timestamp]
        if pd.api.types.is_numeric_dtype(tcol):
            t = tcol.to_numpy(dtype=np.float64)
            bad = np.isnan(t)
        else:
            parsed = pd.to_datetime(tcol, errors="coerce", format="mixed")
            bad = parsed.isna().to_numpy()
            t = parsed.to_numpy().astype("datetime64[ns]").astype(np.int64)  # exact (no float rounding)
        bad = bad & keep
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise DataError(f"{loc(r)}: cannot read timestamp {tcol.iloc[r]!r} in column {timestamp!r}")
        order = np.lexsort((np.arange(n_rows), t, ucode))
    else:
        order = np.argsort(ucode, kind="stable")
    order = order[keep[order]]
    skipped = int(n_rows - len(order))
    # --- skills of kept rows, in final order
    sk = sstr.to_numpy()[order]
    if skill_sep is not None:
        parts = [[p.strip() for p in s.split(skill_sep) if p.strip()] for s in sk]
        counts = np.array([len(p) for p in parts], dtype=np.int64)
        empty = counts == 0
        if empty.any():
            r = int(order[np.flatnonzero(empty)[0]])
            raise DataError(f"{loc(r)}: column {skill!r} holds only separators {sk[np.flatnonzero(empty)[0]]!r}")
        flat = np.asarray([x for p in parts for x in p], dtype=str)
    else:
        counts = np.ones(len(order), dtype=np.int64)
        flat = np.asarray(sk, dtype=str)
    codes, names = _encode(flat) if len(flat) else (np.zeros(0, np.int32), [])
    # students who kept no answer are dropped from the vocabulary
    kept_u = ucode[order]
    present, new_u = np.unique(kept_u, return_inverse=True)
    all_names = list(first)
    it, it_names = None, None
    if items is not None:
        it, it_names = _encode(np.asarray(items[order], dtype=str)) if len(order) else (np.zeros(0, np.int32), [])
    lost_users = len(first) - len(present)
    if lost_users:
        notes.append(f"{lost_users} students had no usable row")
    return Responses(
        user=new_u.astype(np.int32).reshape(-1),
        correct=corr[order],
        skill_ptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        skill_idx=codes,
        user_names=[all_names[k] for k in present.tolist()],
        skill_names=names,
        item=it,
        item_names=it_names,
        source=src,
        skipped=skipped,
        notes=notes,
    )


def read(path: str | os.PathLike[str], **kw: Any) -> Responses:
    """Read ``path`` with :func:`read_sequences` or :func:`read_log`.

    Parquet files and files whose first non-empty line is not a bare integer
    (i.e. a CSV header) are logs (keyword arguments go to :func:`read_log`);
    otherwise the three-line format (no keyword arguments accepted).
    """
    src = os.fspath(path)
    if src.lower().endswith((".parquet", ".pq")):
        return read_log(src, **kw)
    with open(src, encoding="utf-8-sig", errors="replace") as fh:
        first = ""
        for line in fh:
            if line.strip():
                first = line.strip().rstrip(",").strip()
                break
    if first.isdigit():
        if kw:
            raise TypeError(f"{src} is in the three-line sequence format, which takes no options (got {sorted(kw)})")
        return read_sequences(src)
    return read_log(src, **kw)
