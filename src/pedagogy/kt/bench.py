"""``pedagogy kt bench``: every KT model on every shared dataset.

For each dataset folder (a ``*train*`` and a ``*test*`` file in the
three-line format, see ``shared/data/README.md``) each model is fitted on the
training file and scored one step ahead on the test file.  The test file is
never used for fitting, tuning or early stopping.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["find_data_dir", "find_datasets", "default_models", "make_model", "run_bench", "DATA_ENV"]

#: environment variable naming the data folder (``.../shared/data`` or ``.../shared/data/kt``)
DATA_ENV = "PEDAGOGY_DATA"

#: the order models are listed in (those available are run)
MODEL_ORDER = ("bkt", "pfa", "irt1pl", "irt2pl", "elo", "dkt")


def find_data_dir(explicit: str | os.PathLike[str] | None = None, start: str | os.PathLike[str] | None = None) -> Path:
    """The folder of the KT datasets.

    Parameters
    ----------
    explicit : path, optional
        Used as is when given (it must exist).
    start : path, optional
        Where to start looking (default: the current directory).

    Returns
    -------
    Path
        ``explicit``; else ``$PEDAGOGY_DATA`` (or its ``kt`` subfolder); else
        the first ``shared/data/kt`` found in ``start`` or one of its parents
        (which covers a repository next to ``shared/``).

    Raises
    ------
    FileNotFoundError
        With a message saying where it looked.
    """
    if explicit is not None:
        p = Path(explicit)
        if not p.is_dir():
            raise FileNotFoundError(f"data directory {str(p)!r} does not exist")
        return p
    env = os.environ.get(DATA_ENV)
    if env:
        p = Path(env)
        if (p / "kt").is_dir():
            return p / "kt"
        if p.is_dir():
            return p
        raise FileNotFoundError(f"${DATA_ENV}={env!r} is not a directory")
    here = Path(start if start is not None else os.getcwd()).resolve()
    for d in (here, *here.parents):
        cand = d / "shared" / "data" / "kt"
        if cand.is_dir():
            return cand
    raise FileNotFoundError(f"no shared/data/kt found in {str(here)!r} or its parents; pass --data-dir or set ${DATA_ENV}")


def find_datasets(data_dir: str | os.PathLike[str]) -> dict[str, tuple[Path, Path]]:
    """``{name: (train_file, test_file)}`` for every sub-folder holding one train and one test file."""
    out: dict[str, tuple[Path, Path]] = {}
    for sub in sorted(Path(data_dir).iterdir()):
        if not sub.is_dir():
            continue
        files = [f for f in sorted(sub.iterdir()) if f.is_file() and not f.name.startswith(".")]
        train = [f for f in files if "train" in f.name]
        test = [f for f in files if "test" in f.name]
        if len(train) == 1 and len(test) == 1:
            out[sub.name] = (train[0], test[0])
    return out


def default_models() -> list[str]:
    """The registered models, plus DKT when torch is installed."""
    from pedagogy import kt

    names = set(kt.models())
    try:
        kt.get_model("dkt")
        names.add("dkt")
    except ImportError:
        pass
    return [m for m in MODEL_ORDER if m in names] + sorted(names - set(MODEL_ORDER))


def make_model(name: str, params: Mapping[str, Any] | None = None) -> Any:
    """An unfitted model ``name`` with constructor ``params``; a clear ValueError for unknown keys."""
    from pedagogy import kt

    cls = kt.get_model(name)
    params = dict(params or {})
    known = cls.param_names()
    unknown = [k for k in params if k not in known]
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for model {name!r}; known: {', '.join(known)}")
    return cls(**params)


def run_bench(
    data_dir: str | os.PathLike[str],
    datasets: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    on_step: Callable[[str, str, str], None] | None = None,
) -> list[dict[str, Any]]:
    """Fit each model on each dataset's training file and score it on the test file.

    Parameters
    ----------
    data_dir : path
        Folder of dataset sub-folders (see :func:`find_datasets`).
    datasets, models : lists of names, optional
        Default: all found / :func:`default_models`.
    params : ``{model: {key: value}}``, optional
        Constructor parameters per model.
    on_step : callable ``(dataset, model, phase)``, optional
        Called before ``"read"`` / ``"fit"`` / ``"eval"`` and after ``"done"``
        (progress display).

    Returns
    -------
    list of dict
        One row per (dataset, model): ``dataset, model, auc, rmse, accuracy,
        log_loss, n, fit_s, predict_s, skill_level``.
    """
    from pedagogy import kt
    from pedagogy.kt.irt import item_keys

    found = find_datasets(data_dir)
    if not found:
        raise FileNotFoundError(f"no datasets (sub-folders with one *train* and one *test* file) in {str(data_dir)!r}")
    names = list(found) if not datasets else list(datasets)
    missing = [d for d in names if d not in found]
    if missing:
        raise ValueError(f"unknown dataset(s) {missing}; found in {str(data_dir)!r}: {', '.join(found)}")
    model_names = list(models) if models else default_models()
    for m in model_names:
        kt.get_model(m)  # fail before any work on an unknown model
    params = params or {}
    step = on_step or (lambda d, m, p: None)
    rows = []
    for ds in names:
        train_path, test_path = found[ds]
        step(ds, "", "read")
        train, test = kt.read(train_path), kt.read(test_path)
        skill_level = item_keys(test)[1]
        for m in model_names:
            model = make_model(m, params.get(m))
            step(ds, m, "fit")
            t0 = time.perf_counter()
            model.fit(train)
            fit_s = time.perf_counter() - t0
            step(ds, m, "eval")
            t0 = time.perf_counter()
            scores = model.evaluate(test)
            pred_s = time.perf_counter() - t0
            rows.append({"dataset": ds, "model": m, **scores, "fit_s": fit_s, "predict_s": pred_s, "skill_level": skill_level})
            step(ds, m, "done")
    return rows
