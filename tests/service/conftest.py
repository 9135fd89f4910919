"""Fixtures of the service tests: every test runs against SQLite and PostgreSQL.

PostgreSQL comes from ``PEDAGOGY_TEST_POSTGRES_URL`` (a server URL; each test
gets a fresh database on it, dropped afterwards).  ``.ci/run`` starts a
cluster and sets it; locally, without it, the PostgreSQL cases are skipped
(under ``CI=true`` they fail instead, so CI cannot silently skip them).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

import httpx  # noqa: E402

ADMIN = "pdg_test_admin_key"
PG_URL = os.environ.get("PEDAGOGY_TEST_POSTGRES_URL")
#: what a skipped PostgreSQL case says in the test summary (``-rs`` in pyproject's addopts)
PG_SKIP_REASON = (
    "the PostgreSQL case: set PEDAGOGY_TEST_POSTGRES_URL=postgresql+psycopg://USER@HOST:PORT/DB "
    "(a server where USER may create databases) to run it; .ci/run starts one"
)


def _pg_admin_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(sql)


def _need_pg() -> None:
    if not PG_URL:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PEDAGOGY_TEST_POSTGRES_URL is not set (CI must test PostgreSQL)")
        pytest.skip(PG_SKIP_REASON)


def _pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


@pytest.fixture
def pg_fresh() -> Iterator[str]:
    """An empty PostgreSQL database (no schema); its SQLAlchemy URL."""
    _need_pg()
    name = f"pedagogy_test_{uuid.uuid4().hex[:12]}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_session_db() -> Iterator[str]:
    """One migrated database per test process (creating a database per test costs ~1 s)."""
    _need_pg()
    from pedagogy.service.db import migrate

    name = f"pedagogy_test_{uuid.uuid4().hex[:12]}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    try:
        migrate(_pg_url(name))
        yield _pg_url(name)
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_database(pg_session_db: str) -> str:
    """The process's migrated PostgreSQL database, emptied for this test."""
    import psycopg

    from pedagogy.service.models import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with psycopg.connect(pg_session_db.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return pg_session_db


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    from pedagogy.service.db import migrate

    path = tmp_path_factory.mktemp("template") / "service.db"
    migrate(str(path))
    return str(path)


@pytest.fixture
def sqlite_database(sqlite_template: str, tmp_path: Any) -> str:
    """A fresh, migrated SQLite file (a copy of the template); its URL."""
    import sqlite3

    dest = tmp_path / "service.db"
    with sqlite3.connect(sqlite_template) as src, sqlite3.connect(dest) as dst:
        src.backup(dst)
    return f"sqlite:///{dest}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated database of each backend."""
    return request.getfixturevalue("sqlite_database" if request.param == "sqlite" else "pg_database")


class Api:
    """A test client with the admin key and helpers for tenants, keys and courses."""

    def __init__(self, client: Any, store: Any) -> None:
        self.client = client
        self.store = store

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        return self.client.request(method, path, headers={"Authorization": f"Bearer {ADMIN}"}, **kw)

    def tenant(self, name: str) -> str:
        """Create tenant ``name`` and return a key of it."""
        r = self.admin("POST", "/v1/tenants", json={"name": name})
        assert r.status_code == 201, r.text
        r = self.admin("POST", f"/v1/tenants/{name}/keys", json={"label": "test"})
        assert r.status_code == 201, r.text
        return r.json()["key"]

    def call(self, key: str, method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {key}", **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def course(self, key: str, doc: dict[str, Any]) -> Any:
        r = self.call(key, "POST", "/v1/courses", json=doc)
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    from fastapi.testclient import TestClient

    from pedagogy.service.app import create_app
    from pedagogy.service.config import Settings

    # "normal": fast commits; durability with the default ("full") is checked by test_crash.py
    app = create_app(Settings(db=db_url, admin_key=ADMIN, max_body_bytes=64_000, sqlite_synchronous="normal"), migrate=False)
    with TestClient(app) as client:
        yield Api(client, app.state.store)
    app.state.store.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``pedagogy serve`` in a subprocess (real processes: workers, SIGKILL)."""

    def __init__(self, db: str, workers: int = 1, cwd: str | None = None) -> None:
        self.db, self.workers, self.cwd = db, workers, cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 90.0) -> Server:
        cmd = [
            sys.executable,
            "-m",
            "pedagogy.cli",
            "serve",
            "--db",
            self.db,
            "--port",
            str(self.port),
            "--admin-key",
            ADMIN,
            "--workers",
            str(self.workers),
            "--log-level",
            "error",
        ]
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stdout.read() if self.proc.stdout else ''}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not come up")

    def kill(self) -> None:
        """SIGKILL the server and all its processes (workers included)."""
        import signal

        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        import signal

        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def tenant_key(base_url: str, name: str) -> str:
    """Create a tenant on a running server; return its key."""
    h = {"Authorization": f"Bearer {ADMIN}"}
    r = httpx.post(base_url + "/v1/tenants", json={"name": name}, headers=h, timeout=30)
    assert r.status_code == 201, r.text
    r = httpx.post(base_url + f"/v1/tenants/{name}/keys", json={}, headers=h, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["key"]


class ThreadServer:
    """The app served by uvicorn in a thread of the test process (real sockets, no process start-up)."""

    def __init__(self, db: str) -> None:
        import threading

        import uvicorn

        from pedagogy.service.app import create_app
        from pedagogy.service.config import Settings

        self.app = create_app(Settings(db=db, admin_key=ADMIN, sqlite_synchronous="normal"), migrate=False)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.app.state.store.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A database of each backend with no schema at all."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("pg_fresh")
