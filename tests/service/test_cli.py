"""``pedagogy serve``, ``pedagogy tenant`` and ``pedagogy demo`` as a user runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pedagogy.cli import main

from .conftest import free_port


def test_serve_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    from pedagogy.service.config import ENV

    for name, (var, _) in ENV.items():
        assert "--" + name.replace("_", "-") in out
        assert var in out


def _serve(cwd: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PEDAGOGY_PORT": str(port)}  # configuration from the environment
    for var in ("PEDAGOGY_DB", "PEDAGOGY_ADMIN_KEY"):
        env.pop(var, None)
    return subprocess.Popen(
        [sys.executable, "-m", "pedagogy.cli", "serve"],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_line(proc: subprocess.Popen[str], pattern: str, timeout: float = 90) -> tuple[re.Match[str] | None, str]:
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen += line
        m = re.search(pattern, line)
        if m:
            return m, seen
    return None, seen


def _up(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not come up")


def test_serve_without_configuration(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(tmp_path, port)
    try:
        m, seen = _wait_line(proc, r"first admin API key.*: (\S+)")
        assert m, seen
        assert url in seen
        admin = m.group(1)
        _up(url)
        assert (tmp_path / "pedagogy.db").exists()
        h = {"Authorization": f"Bearer {admin}"}
        assert httpx.post(url + "/v1/tenants", json={"name": "acme"}, headers=h).status_code == 201
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
    # a second start on the same database keeps the key and prints none
    proc = _serve(tmp_path, port)
    try:
        m, seen = _wait_line(proc, re.escape(url))
        assert m, seen
        _up(url)
        assert "admin API key" not in seen
        assert httpx.get(url + "/v1/tenants", headers=h).json()[0]["name"] == "acme"
    finally:
        os.killpg(proc.pid, 15)
        out, _ = proc.communicate(timeout=30)
    assert "admin API key" not in out


def test_serve_reports_a_bad_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"]) == 2
    assert "pedagogy serve: error:" in capsys.readouterr().err


def test_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.db"
    port = free_port()
    assert main(["demo", "--duration", "1.5", "--students", "2", "--pace", "0", "--db", str(db), "--port", str(port), "--exit"]) == 0
    out = capsys.readouterr().out
    url = re.search(r"dashboard of student-1: (\S+)", out).group(1)
    assert url.startswith(f"http://127.0.0.1:{port}/login?key=pdg_")
    # the printed URL lands on the learner's dashboard (not the course list) ...
    from pedagogy.service.app import create_app
    from pedagogy.service.config import Settings

    app = create_app(Settings(db=str(db)), migrate=False)
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        page = client.get(url.split(str(port), 1)[1])
    app.state.store.dispose()
    assert page.status_code == 200 and "student-1" in page.text and "skill-graph" in page.text
    # ... and the demo's summary is the dashboard's measure, word for word
    shown = re.search(r"<p class='muted' id='mastery'>\d+ answers · ([^<]+)</p>", page.text).group(1)
    assert re.search(r"student-1: " + re.escape(shown.replace("&gt;", ">").replace("≥", "≥")), out), (shown, out)
    assert "% of skills learned" not in out
    n = int(re.search(r"gave (\d+) answers", out).group(1))
    assert n >= 4
    from pedagogy.service.store import Store

    store = Store(f"sqlite:///{db}")
    try:
        assert store.count_answers() == n
        from pedagogy.service.demo import FRACTIONS

        assert len(FRACTIONS) == 20
    finally:
        store.dispose()


def test_the_cli_imports_no_service_dependency() -> None:
    code = (
        "import sys, pedagogy.cli; pedagogy.cli.build_parser(); "
        "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'alembic', 'uvicorn', 'psycopg', 'httpx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_tenant_command_creates_a_tenant_and_prints_its_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient

    from pedagogy.service.app import create_app
    from pedagogy.service.config import Settings

    db = str(tmp_path / "t.db")
    assert main(["tenant", "acme", "--db", db, "--label", "ci"]) == 0
    captured = capsys.readouterr()
    key = captured.out.strip()
    assert key.startswith("pdg_") and "\n" not in key  # stdout is the key alone: KEY=$(pedagogy tenant acme)
    assert "created tenant 'acme'" in captured.err
    assert main(["tenant", "acme", "--db", db]) == 0  # a second key for the same tenant
    second = capsys.readouterr().out.strip()
    assert second != key
    app = create_app(Settings(db=db), migrate=False)
    with TestClient(app) as client:
        for k in (key, second):
            r = client.post("/v1/courses", json={"name": f"c{k[-4:]}", "skills": {"a": []}}, headers={"Authorization": f"Bearer {k}"})
            assert r.status_code == 201, r.text
    app.state.store.dispose()


@pytest.mark.parametrize("name", ["a/b", "", "x" * 201, "nul\x00"])
def test_tenant_command_refuses_a_bad_name(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    assert main(["tenant", name, "--db", str(tmp_path / "t.db")]) == 2
    assert "pedagogy tenant: error: tenant name" in capsys.readouterr().err
