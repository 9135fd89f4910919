"""Teachers: curriculum algorithms behind one small API.

>>> from pedagogy import spaces, teachers
>>> t = teachers.make("random", spaces.Discrete(["a", "b"]), seed=0)
>>> task = t.propose()
>>> t.observe(task, 1.0)
>>> t2 = teachers.load(t.state_dict())

Every module in this package except ``base``, ``checks`` (the contract
checks users run on their own teachers), ``dynamic_sampling`` (DAPO's filter
in front of any teacher) and private (``_``) ones defines one
teacher and registers it; they are all imported here so that the registry is
complete.
"""

from __future__ import annotations

import importlib
import pkgutil

from pedagogy.teachers.base import PRESETS, REGISTRY, STATE_FORMAT, Teacher, available, get, load, make, register, to_jsonable

__all__ = ["Teacher", "make", "load", "available", "get", "register", "to_jsonable", "STATE_FORMAT", "PRESETS", "REGISTRY"]

#: modules of this package that define no teacher
_NOT_TEACHERS = ("base", "checks", "dynamic_sampling")

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _NOT_TEACHERS and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
del _module
