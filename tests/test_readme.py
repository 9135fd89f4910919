"""The README's code for a custom teacher runs and passes the contract it advertises."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pedagogy import spaces, teachers
from pedagogy.teachers.checks import check_teacher

README = Path(__file__).resolve().parents[1] / "README.md"


def _block_defining(name: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return next(b for b in blocks if f"class {name}(" in b)


def test_readme_custom_teacher_passes_check_teacher():
    namespace: dict = {"np": np}
    exec(compile(_block_defining("Greedy"), "README.md", "exec"), namespace)
    try:
        check_teacher(namespace["Greedy"], spaces.Discrete(6))
        t = teachers.make("greedy", spaces.Discrete(6), seed=0)
        for task in range(6):
            t.observe(task, 0.1 * task)
        assert t.probabilities().argmax() == 5
    finally:
        teachers.REGISTRY.unregister("greedy")
