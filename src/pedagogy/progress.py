"""The one progress bar of the project's long commands (``pedagogy bench``, ``pedagogy kt bench``).

A rich progress bar on stderr, silently absent where rich is not installed
or the caller asks for quiet output.  Start it only after worker processes
are forked: its refresh runs in a thread.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ProgressBar"]


class ProgressBar:
    """``start()``, ``advance(label)`` (one step done), ``describe(label)``, ``stop()``; also a context manager."""

    def __init__(self, total: int, title: str = "", transient: bool = False, enabled: bool = True) -> None:
        self.total = total
        self.title = title
        self.transient = transient
        self.enabled = enabled
        self._p: Any = None
        self._task: Any = None

    def start(self) -> None:
        if not self.enabled or self._p is not None:
            return
        try:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        except ImportError:  # pragma: no cover - rich comes with the [bench] extra
            return
        self._p = Progress(
            TextColumn(f"[bold]{self.title}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=self.transient,
        )
        self._p.start()
        self._task = self._p.add_task("", total=self.total)

    def advance(self, label: str = "") -> None:
        if self._p is not None:
            self._p.update(self._task, advance=1, description=label)

    def describe(self, label: str) -> None:
        if self._p is not None:
            self._p.update(self._task, description=label)

    def stop(self) -> None:
        if self._p is not None:
            self._p.stop()
            self._p = None

    def __enter__(self) -> ProgressBar:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
