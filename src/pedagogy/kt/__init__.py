"""Knowledge tracing: student models fitted on real answer logs.

Models follow the scikit-learn estimator shape (``fit`` / ``predict_proba`` /
``evaluate``) with a one-step-ahead, leak-free protocol, and give a live
``tracker()`` for tutoring.  Data: :func:`read` (three-line sequences or long
CSV/Parquet logs) into :class:`Responses`.  Models: :class:`BKT`, :class:`PFA`, :class:`IRT` (``irt1pl``/``irt2pl``), :class:`Elo`;
``DKT`` needs the ``[torch]`` extra and is imported lazily
(``pedagogy.kt.DKT`` or ``get_model("dkt")``).  :func:`load` reads a saved
model of any kind.
"""

from __future__ import annotations

import importlib
from typing import Any

from pedagogy.kt.base import (
    FORMAT,
    KTModel,
    NotFittedError,
    Tracker,
    get_model,
    load,
    load_dict,
    models,
    register_model,
)
from pedagogy.kt.bkt import BKT
from pedagogy.kt.data import (
    DataError,
    Responses,
    name_index,
    read,
    read_log,
    read_sequences,
    write_sequences,
)
from pedagogy.kt.elo import Elo
from pedagogy.kt.irt import IRT, IRT1PL, IRT2PL
from pedagogy.kt.metrics import score_predictions
from pedagogy.kt.pfa import PFA

# DKT needs torch (the ``[torch]`` extra): imported only when asked for.
_LAZY = {"DKT": "pedagogy.kt.dkt"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pedagogy.kt' has no attribute {name!r}")


__all__ = [
    "KTModel",
    "Tracker",
    "Responses",
    "DataError",
    "NotFittedError",
    "get_model",
    "models",
    "register_model",
    "load",
    "load_dict",
    "FORMAT",
    "read",
    "read_log",
    "read_sequences",
    "write_sequences",
    "name_index",
    "score_predictions",
    "BKT",
    "PFA",
    "IRT",
    "IRT1PL",
    "IRT2PL",
    "Elo",
    "DKT",
]
