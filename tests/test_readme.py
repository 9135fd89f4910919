"""The documented custom teacher (docs/howto/own-teacher.md) runs and passes the contract it advertises."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pedagogy import spaces, teachers
from pedagogy.teachers.checks import check_teacher

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "howto" / "own-teacher.md"


def _block_defining(name: str) -> str:
    blocks = re.findall(
        r"```(?:python|\{code-block\} python\n(?::[\w-]+:[^\n]*\n)*)\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S
    )
    return next(b for b in blocks if f"class {name}(" in b)


def test_documented_custom_teacher_passes_check_teacher():
    namespace: dict = {"np": np}
    exec(compile(_block_defining("Greedy"), str(GUIDE), "exec"), namespace)
    try:
        check_teacher(namespace["Greedy"], spaces.Discrete(6))
        t = teachers.make("greedy", spaces.Discrete(6), seed=0)
        for task in range(6):
            t.observe(task, 0.1 * task)
        assert t.probabilities().argmax() == 5
    finally:
        teachers.REGISTRY.unregister("greedy")


README = GUIDE.parents[2] / "README.md"


def test_readme_is_a_short_front_page_whose_commands_and_links_hold():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    bench = 'pip install -e ".[bench]" && pedagogy bench --suite quick'
    tests = 'pip install torch==2.13.0 -e ".[dev]" && python -m pytest -q -n 2'
    assert bench in text and tests in text
    assert tests in (README.parent / ".ci" / "run").read_text(encoding="utf-8"), "CI runs the README's test command"
    links = re.findall(r"\]\(((?:docs|examples)/[^)#]*)\)", text)
    assert len(links) >= 10
    missing = [link for link in links if not (README.parent / link).exists()]
    assert not missing, f"the README links to files that do not exist: {missing}"
