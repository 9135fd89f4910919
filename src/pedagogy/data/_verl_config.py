"""Reading pedagogy's options out of verl's config: shared by the verl 0.7 and 0.9 adapters.

verl hands its config around as OmegaConf nodes; these helpers turn them into
plain data, check an options section (unknown keys, the teacher, its
options) and read a group column (``data_source`` or ``extra_info.<key>``)
from verl's ``RLHFDataset.dataframe``.  Every error names the adapter
(``who``) and the config key that is wrong.  No verl import here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["plain", "section", "teacher_spec", "split_column", "pick_key", "column_labels"]


def plain(x: Any) -> Any:
    """An OmegaConf node (or anything) as plain Python data."""
    try:
        from omegaconf import OmegaConf

        if OmegaConf.is_config(x):
            return OmegaConf.to_container(x, resolve=True)
    except ImportError:  # pragma: no cover - omegaconf comes with verl
        pass
    return x


def section(value: Any, allowed: Sequence[str], who: str, where: str, shown: Sequence[str] | None = None) -> dict[str, Any]:
    """The options mapping at config key ``where`` (``None``: empty), its keys checked against ``allowed``."""
    opts = plain(value) or {}
    if not isinstance(opts, Mapping):
        raise ValueError(f"{who}: {where} must be a mapping, got {opts!r}")
    unknown = sorted(set(opts) - set(allowed))
    if unknown:
        raise ValueError(f"{who}: unknown {where} option {unknown[0]!r} (options: {', '.join(shown if shown is not None else allowed)})")
    return dict(opts)


def teacher_spec(opts: Mapping[str, Any], who: str, where: str, default: str) -> tuple[str, dict[str, Any]]:
    """The teacher name and its options from ``opts`` (``teacher``, ``teacher_options``); the seed stays outside."""
    teacher = opts.get("teacher") or default
    if not isinstance(teacher, str):
        raise ValueError(f"{who}: {where}.teacher must be a teacher name, got {teacher!r}")
    teacher_options = opts.get("teacher_options") or {}
    if not isinstance(teacher_options, Mapping):
        raise ValueError(f"{who}: {where}.teacher_options must be a mapping, got {teacher_options!r}")
    if "seed" in teacher_options:
        raise ValueError(f"{who}: set the seed as {where}.seed, not in teacher_options")
    return teacher, dict(teacher_options)


def split_column(spec: str) -> tuple[str, str | None]:
    """``"col"`` or ``"col.key"`` (a key of a column of dicts, e.g. ``extra_info.difficulty``)."""
    column, _, key = spec.partition(".")
    return column, key or None


def pick_key(values: list[Any], spec: str, who: str, where: str, option: str) -> list[Any]:
    """``values`` of a column, or each value's ``key`` when ``spec`` is ``"col.key"``."""
    column, key = split_column(spec)
    if key is None:
        return values
    bad = [v for v in values if not isinstance(v, Mapping) or key not in v]
    if bad:
        raise ValueError(f"{who}: {where} {column!r} has a value without key {key!r} ({option}={spec!r}): {bad[0]!r}")
    return [v[key] for v in values]


def column_labels(data_source: Any, spec: str, who: str, option: str) -> list[Any]:
    """Every row's value of column ``spec``, from verl's ``RLHFDataset.dataframe`` (or a table-like dataset)."""
    table = getattr(data_source, "dataframe", data_source)
    column, _ = split_column(spec)
    try:
        values = table[column]
    except (KeyError, TypeError, ValueError, IndexError):
        names = getattr(table, "column_names", None) or list(getattr(table, "columns", []))
        raise ValueError(
            f"{who}: the dataset has no column {column!r} ({option})" + (f"; columns: {', '.join(map(str, names))}" if names else "")
        ) from None
    labels = pick_key(values.tolist() if hasattr(values, "tolist") else list(values), spec, who, "the dataset's column", option)
    rows = len(data_source)
    if len(labels) != rows:
        raise ValueError(f"{who}: column {column!r} has {len(labels)} values for {rows} rows")
    return labels
