"""The results document: its format tag, the recorded versions, plain-JSON cleaning, space descriptions."""

from __future__ import annotations

import math
import platform
from typing import Any

import numpy as np

__all__ = ["RESULTS_FORMAT", "clean", "space_info", "versions"]

#: /2: ``meta.split``, ``meta.variants``, ``meta.left_out``, per-scenario ``variants`` and per-run ``variant``
RESULTS_FORMAT = "pedagogy.bench/2"


def versions() -> dict[str, str]:
    """The versions a result depends on, recorded in ``meta``."""
    import pedagogy

    return {"pedagogy": pedagogy.__version__, "numpy": np.__version__, "python": platform.python_version(), "platform": platform.platform()}


def space_info(space: Any) -> dict[str, Any]:
    """A short JSON description of a task space for the report."""
    from pedagogy.spaces import Box, Discrete

    if isinstance(space, Box):
        return space.to_dict()
    if isinstance(space, Discrete):
        return {"type": space.kind, "n": space.n}
    return {"type": getattr(space, "kind", type(space).__name__)}


def clean(obj: Any) -> Any:
    """Plain JSON data: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
