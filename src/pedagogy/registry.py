"""One registry class for teachers, scenarios and knowledge-tracing models.

Each registry maps a name to an object with the same verbs: ``register``
(also a class decorator), ``get`` (an error listing the known names),
``names``, ``in``.  Registering a different object under a taken name is an
error, so two plugins cannot silently shadow each other.  Entries can be
*lazy*: a name bound to a module that is imported on the first ``get`` (for
models whose dependency, e.g. torch, is optional).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["Registry", "installed"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> object.

    Parameters
    ----------
    kind : str
        What is registered, for messages ("teacher", "scenario", "KT model").
    key : callable, optional
        Reads an object's name (default: its ``name`` attribute).
    sort : bool, default True
        ``names()`` sorted (else in registration order).
    """

    def __init__(self, kind: str, key: Callable[[T], str] | None = None, sort: bool = True) -> None:
        self.kind = kind
        self._key = key or (lambda obj: getattr(obj, "name", ""))
        self._sort = sort
        self._items: dict[str, T] = {}
        self._lazy: dict[str, tuple[str, str]] = {}  # name -> (module, dependency)

    def register(self, obj: T) -> T:
        """Add ``obj`` under its name; returns it, so it serves as a class decorator."""
        name = self._key(obj)
        if not isinstance(name, str) or not name:
            raise ValueError(f"cannot register {obj!r} as a {self.kind}: it has no name")
        old = self._items.get(name)
        if old is not None and old is not obj:
            raise ValueError(f"{self.kind} name {name!r} is already registered by {_label(old)}")
        self._items[name] = obj
        return obj

    def unregister(self, name: str) -> T | None:
        """Remove ``name`` (for tests and plugins that register temporarily); returns what was there."""
        return self._items.pop(name, None)

    def register_lazy(self, name: str, module: str, dependency: str) -> None:
        """Make ``name`` available once ``module`` is imported; listed only while ``dependency`` is installed."""
        self._lazy[name] = (module, dependency)

    def names(self) -> list[str]:
        """Names of the usable entries (lazy ones whose dependency is installed included)."""
        names = list(self._items)
        for name, (_, dep) in self._lazy.items():
            if name not in self._items and installed(dep):
                names.append(name)
        return sorted(names) if self._sort else names

    def get(self, name: str) -> T:
        """The entry registered as ``name``; a ``ValueError`` listing the known names otherwise."""
        if isinstance(name, str) and name not in self._items and name in self._lazy:
            module, dep = self._lazy[name]
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise ImportError(f"{self.kind} {name!r} needs {exc.name or dep!r}: {exc}") from exc
        try:
            return self._items[name]
        except (KeyError, TypeError):
            known = ", ".join(self.names()) or "none"
            raise ValueError(f"unknown {self.kind} {name!r}; known {self.kind}s: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._items)} entries)"


def _label(obj: object) -> str:
    return getattr(obj, "__name__", None) or type(obj).__name__


def installed(module: str) -> bool:
    """Whether ``module`` can be imported here (looked up, not imported)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # e.g. sys.modules[module] = None
        return False
