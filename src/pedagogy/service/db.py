"""Database engines and migrations.

SQLite (the default, a file): WAL journal, a busy timeout, and every
transaction opened with ``BEGIN IMMEDIATE`` so that two writers queue on the
write lock instead of failing with "database is locked" when a read
transaction tries to upgrade.  PostgreSQL (``postgresql+psycopg://...``):
read-modify-write of a learner's state takes a row lock
(``SELECT ... FOR UPDATE``, see :mod:`pedagogy.service.store`).

The schema is built by the Alembic migrations shipped in
``pedagogy/service/migrations``; :func:`migrate` applies them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

__all__ = ["make_engine", "migrate", "alembic_config", "MIGRATIONS_DIR", "normalise_url"]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

#: milliseconds a SQLite writer waits for the lock before giving up
SQLITE_BUSY_MS = 30_000


def normalise_url(url: str) -> str:
    """A database URL from ``url``: a plain path means a SQLite file; ``postgresql://`` uses psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{os.path.abspath(url)}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, pool_size: int | None = 10, immediate: bool = True, synchronous: str = "full") -> Engine:
    """An engine for ``url`` with the settings above; ``pool_size=None``: no pool (one-shot connections).

    SQLite only: ``immediate=False`` starts transactions with a plain ``BEGIN`` (for read-only use);
    ``synchronous`` is the ``PRAGMA synchronous`` level: ``full`` (default) syncs the WAL at every
    commit, so an acknowledged answer survives a power cut; ``normal`` syncs at checkpoints only
    (still safe when the server process is killed, not when the machine loses power).
    """
    url = normalise_url(url)
    u = make_url(url)
    kw: dict[str, Any] = {"poolclass": NullPool} if pool_size is None else {"pool_size": pool_size, "max_overflow": 20}
    if u.get_backend_name() == "sqlite":
        if u.database in (None, "", ":memory:"):
            raise ValueError("the service needs a SQLite *file* (an in-memory database is not shared between connections)")
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000, "check_same_thread": False}, **kw)
        if synchronous not in ("full", "normal"):
            raise ValueError(f"SQLite synchronous must be 'full' or 'normal', got {synchronous!r}")
        _sqlite_setup(engine, immediate, synchronous)
        return engine
    # no pool_pre_ping (a round trip per checkout); connections are recycled after an hour instead
    return create_engine(url, pool_recycle=3600, **kw)


def _sqlite_setup(engine: Engine, immediate: bool, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would BEGIN (deferred) lazily; turn it off and BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(url: str) -> Any:
    """An Alembic ``Config`` for the shipped migrations and ``url`` (no ini file needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
