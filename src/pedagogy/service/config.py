"""Service settings: command-line options, with environment variables as defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["Settings", "ENV"]

#: setting -> (environment variable, help text)
ENV: dict[str, tuple[str, str]] = {
    "db": ("PEDAGOGY_DB", "database: a SQLite file path or URL (sqlite:///path.db), or postgresql+psycopg://user@host/db"),
    "host": ("PEDAGOGY_HOST", "interface to listen on"),
    "port": ("PEDAGOGY_PORT", "TCP port"),
    "workers": ("PEDAGOGY_WORKERS", "server processes (uvicorn workers) sharing the database"),
    "max_body_bytes": ("PEDAGOGY_MAX_BODY_BYTES", "largest request body accepted (413 above)"),
    "max_batch": ("PEDAGOGY_MAX_BATCH", "most answers or xAPI statements in one request (413 above)"),
    "chunk": (
        "PEDAGOGY_CHUNK",
        "a larger batch is stored this many answers (or statements) per transaction, each its own commit, so it never holds the database's writer for long",
    ),
    "admin_key": (
        "PEDAGOGY_ADMIN_KEY",
        "register this token as an admin API key at start (else one is created and printed on the first start)",
    ),
    "pool_size": ("PEDAGOGY_POOL_SIZE", "database connections kept open per process"),
    "sqlite_synchronous": (
        "PEDAGOGY_SQLITE_SYNCHRONOUS",
        "SQLite only: 'full' syncs every commit to disk (an acknowledged answer survives a power cut); 'normal' syncs at checkpoints (faster; survives a killed server, not a power cut)",
    ),
    "threads": ("PEDAGOGY_THREADS", "threads per process running requests (database work)"),
    "log_level": ("PEDAGOGY_LOG_LEVEL", "uvicorn log level (critical, error, warning, info, debug)"),
}


@dataclass
class Settings:
    db: str = "pedagogy.db"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body_bytes: int = 1_048_576
    max_batch: int = 10_000
    chunk: int = 200
    admin_key: str | None = None
    pool_size: int = 10
    sqlite_synchronous: str = "full"
    threads: int = 6
    log_level: str = "warning"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            var = ENV[f.name][0]
            if var in env and env[var] != "":
                raw = env[var]
                values[f.name] = int(raw) if f.type in ("int", int) else raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        s = cls(**values)
        s.check()
        return s

    def check(self) -> None:
        for name in ("port", "workers", "max_body_bytes", "max_batch", "chunk", "pool_size", "threads"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < (0 if name == "port" else 1):
                raise ValueError(f"setting {name} must be a positive integer, got {v!r}")
        if self.sqlite_synchronous not in ("full", "normal"):
            raise ValueError(f"setting sqlite_synchronous must be 'full' or 'normal', got {self.sqlite_synchronous!r}")

    def to_env(self) -> dict[str, str]:
        """These settings as environment variables (how worker processes receive them)."""
        return {ENV[f.name][0]: str(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None}
