"""What a new user meets in their first hour: the README's first snippet, the CLI's listings, the examples."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
import typing
from pathlib import Path

import numpy as np
import pytest

from pedagogy import spaces, teachers
from pedagogy.cli import main
from pedagogy.params import InstanceOf, ListOf, Satisfies
from pedagogy.teachers.base import Teacher

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_first_snippet_runs_as_pasted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert first is not None, "the README has no python code block"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, typing.Any] = {"__name__": "__readme__"}
    exec(compile(first.group(1), "README.md (first python block)", "exec"), namespace)
    assert "teacher" in namespace and "agent" in namespace
    # the snippet's saved state resumes exactly
    restored = teachers.load(namespace["teacher"].state_dict())
    assert np.array_equal(restored.propose(), namespace["teacher"].propose())


def test_toy_environment_rejects_a_task_outside_its_box() -> None:
    from pedagogy.sim.toy import ToyAgent, run_episode

    agent = ToyAgent(seed=0)
    assert 0.0 <= run_episode(agent, [0.05, 0.05]) <= 1.0
    with pytest.raises(ValueError, match=r"ToyAgent: task \[2.0, 0.0\] is not in Box"):
        run_episode(agent, [2.0, 0.0])


def test_propose_has_one_documented_contract() -> None:
    """``propose()`` is one task, ``propose(n)`` a list of n tasks: typed as such for type checkers."""
    overloads = typing.get_overloads(Teacher.propose)
    assert len(overloads) == 2
    hints = [typing.get_type_hints(f)["return"] for f in overloads]
    assert hints[1] == list[typing.Any]
    assert "a ``list`` of ``n`` tasks" in (Teacher.propose.__doc__ or "")


@pytest.mark.parametrize("space", [spaces.Box([0.0, 0.0], [1.0, 1.0]), spaces.Discrete(["a", "b", "c"]), spaces.Discrete(4)])
def test_propose_n_is_a_list_of_what_propose_returns(space: spaces.Space) -> None:
    t = teachers.make("random", space, seed=0)
    one, batch = t.propose(), t.propose(1)
    assert isinstance(batch, list) and len(batch) == 1 and type(batch[0]) is type(one)


def test_list_rules_read_as_english() -> None:
    assert ListOf(Satisfies(bool, "a registered teacher other than 'auto'")).describe() == (
        "a non-empty list of registered teachers other than 'auto'"
    )
    assert ListOf(InstanceOf(str, "a skill name"), min_len=0).describe() == "a list of skill names"


def test_teachers_verbose_has_no_broken_plurals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["teachers", "-v"]) == 0
    out = capsys.readouterr().out
    assert "registereds" not in out and "skills name" not in out
    assert "a non-empty list of registered teachers other than 'auto'" in out


def test_cli_lists_the_spaces_a_teacher_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    """A ``Discrete`` teacher accepts a ``SkillGraph`` too: the CLI, the catalogue and the README say so."""
    assert main(["teachers"]) == 0
    out = capsys.readouterr().out
    line = out.split("ability-matched", 1)[1].splitlines()[1]
    assert "spaces: Discrete, SkillGraph |" in line
    assert teachers.get("zpdes").accepted_spaces() == ["SkillGraph"]
    for name in teachers.available():
        cls = teachers.get(name)
        for space in (spaces.Box([0.0], [1.0]), spaces.Discrete(3), spaces.SkillGraph({"a": [], "b": ["a"]})):
            assert isinstance(space, cls.space_types) == (type(space).__name__ in cls.accepted_spaces()), name


def test_skipped_tests_say_why_in_the_summary() -> None:
    assert "-rs" in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]["addopts"]
    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("sqlalchemy") is None:
        pytest.skip("the service extra is not installed: pip install -e '.[service]'")
    env = {k: v for k, v in os.environ.items() if k not in ("PEDAGOGY_TEST_POSTGRES_URL", "CI", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "tests/service/test_migrations.py", "-k", "postgresql"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "SKIPPED" in proc.stdout and "set PEDAGOGY_TEST_POSTGRES_URL=postgresql+psycopg://" in proc.stdout, proc.stdout[-2000:]
    readme = README.read_text(encoding="utf-8")
    assert "PEDAGOGY_TEST_POSTGRES_URL" in readme


def test_class_order_example_reports_several_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("class_order_digits", ROOT / "examples" / "class_order_digits.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(seeds=2)
    out = capsys.readouterr().out
    assert "over 2 seeds (mean ± sd" in out
    rows = [line for line in out.splitlines() if "±" in line and line.startswith("  ")]
    assert len(rows) == 3 and all(len(re.findall(r"\d\.\d{3}", r)) == 4 for r in rows), out
