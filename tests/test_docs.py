"""The site's runnable code blocks run, and the pages written from the code say what the code says.

A block marked runnable is a MyST ``{code-block} python`` directive with the
option ``:class: runnable``.  The blocks of one page run in order in one
namespace, in a temporary folder; teachers a page registers are unregistered
afterwards.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from pedagogy import teachers

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
_BLOCK = re.compile(r"^```\{code-block\} python\n((?::[\w-]+:[^\n]*\n)*)\n?(.*?)^```", flags=re.S | re.M)


def runnable_blocks(text: str) -> list[str]:
    """The code of every ``{code-block} python`` of ``text`` whose options include ``:class: runnable``."""
    return [code for options, code in _BLOCK.findall(text) if re.search(r"^:class:.*\brunnable\b", options, flags=re.M)]


def _pages() -> list[Path]:
    skip = {"_build", "_generated", "auto_examples"}
    return sorted(p for p in DOCS.rglob("*.md") if not skip & set(p.relative_to(DOCS).parts) and runnable_blocks(p.read_text("utf-8")))


def test_the_marker_is_found() -> None:
    text = "```{code-block} python\n:class: runnable\n\nx = 1\n```\n\n```{code-block} python\n\ny = 2\n```\n\n```python\nz = 3\n```\n"
    assert runnable_blocks(text) == ["x = 1\n"]
    assert len(_pages()) >= 5, "the site's runnable pages went missing"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_runnable_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = set(teachers.available())
    namespace: dict[str, Any] = {"__name__": f"docs.{page.stem}"}
    try:
        for i, code in enumerate(runnable_blocks(page.read_text("utf-8"))):
            exec(compile(code, f"{page.relative_to(ROOT)} (runnable block {i + 1})", "exec"), namespace)
    finally:
        for name in set(teachers.available()) - before:
            teachers.REGISTRY.unregister(name)


def _pages_module() -> Any:
    spec = importlib.util.spec_from_file_location("pedagogy_pages", DOCS / "_ext" / "pedagogy_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("pedagogy_pages", module)
    spec.loader.exec_module(module)
    return module


def test_catalogue_page_is_the_declarations() -> None:
    page = _pages_module().teacher_page("alp-gmm")
    cls = teachers.get("alp-gmm")
    assert cls.paper in page and "| spaces | Box |" in page
    for option, p in cls.params.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{option}` |"))
        assert f"`{p.default!r}`" in row and p.rule.describe() in row
        assert (f"`{p.paper!r}`" in row) == p.departs
    assert "| spaces | Discrete, SkillGraph |" in _pages_module().teacher_page("ability-matched")


def test_benchmark_page_carries_its_stamp(tmp_path: Path) -> None:
    module = _pages_module()
    results = tmp_path / "benchmarks" / "results" / "demo"
    results.mkdir(parents=True)
    (results / "demo.json").write_text(
        '{"command": "python benchmarks/demo.py", "commit": "abc1234", "machine": "2 cores", '
        '"summary": {"random": {"final": 0.5}, "lp": {"final": 0.75}}}'
    )
    module.ROOT, module.OUT = tmp_path, tmp_path / "out"
    page = module.benchmark_page(results / "demo.json")
    assert "`python benchmarks/demo.py`" in page and "abc1234" in page and "2 cores" in page
    assert "| load | not recorded in this file |" in page
    assert "| summary / lp | 0.75 |" in page


def test_openapi_page_lists_every_route(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="the OpenAPI page needs the service extra: pip install -e '.[service]'")
    module = _pages_module()
    module.OUT = tmp_path
    module.openapi()
    page = (tmp_path / "openapi.md").read_text("utf-8")
    spec = json.loads((tmp_path / "openapi.json").read_text("utf-8"))
    routes = [f"## `{method.upper()} {path}`" for path, methods in spec["paths"].items() for method in methods]
    assert len(routes) >= 15 and "## `POST /v1/tenants`" in routes
    assert sorted(line for line in page.splitlines() if line.startswith("## `")) == sorted(routes)


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_every_example_has_a_gallery_title_and_its_run_time(example: Path) -> None:
    """sphinx-gallery titles a page with the docstring's first heading; the site never runs the examples."""
    import ast

    doc = ast.get_docstring(ast.parse(example.read_text("utf-8"))) or ""
    lines = doc.splitlines()
    assert len(lines) >= 2 and lines[0].strip() and set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0]), (
        f"{example.name}: its docstring must start with a title underlined with '=' (sphinx-gallery's page title)"
    )
    assert re.search(r"Run time:\s[^.]*\d", doc), f"{example.name}: its docstring must state its run time ('Run time: ...')"
