"""Data flows one way: a module imports only from its own layer's package or from the layers below.

The layers are the README's architecture diagram; the test also checks that the README shows it.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "pedagogy"
README = Path(__file__).resolve().parents[1] / "README.md"

#: bottom to top; a part may import the parts of the layers below it (and itself)
LAYERS: list[tuple[str, ...]] = [
    ("params", "registry", "progress"),
    ("spaces", "kt", "class_order", "cyclical"),
    ("paths",),
    ("teachers", "sim"),
    ("bench", "service", "gym", "ray", "data"),
    ("cli",),
]
# within the bottom layers, these pairs must not meet (spaces and kt are independent; so are teachers and sim)
INDEPENDENT = [("spaces", "kt"), ("teachers", "sim")]


def _layer(part: str) -> int:
    for i, parts in enumerate(LAYERS):
        if part in parts:
            return i
    raise AssertionError(f"pedagogy.{part} is in no layer of the architecture: add it to LAYERS and the README")


def _part(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "pedagogy":
                names = [f"pedagogy.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith("pedagogy."):
                out.add(name.split(".")[1])
    return out


def test_no_module_imports_a_higher_layer():
    bad = []
    for path in SRC.rglob("*.py"):
        if path.name == "__init__.py" and path.parent == SRC:
            continue  # the package root re-exports spaces and teachers
        me = _part(path)
        for other in _imports(path) - {me}:
            if _layer(other) > _layer(me) or (me, other) in INDEPENDENT or (other, me) in INDEPENDENT:
                bad.append(f"{path.relative_to(SRC)} imports pedagogy.{other}")
    assert not bad, "imports against the architecture:\n" + "\n".join(sorted(bad))


def test_readme_diagram_is_the_layers():
    diagram = " <- ".join("(" + ", ".join(p) + ")" if len(p) > 1 else p[0] for p in LAYERS)
    assert diagram in README.read_text(encoding="utf-8")
    # the package docstring and the site's architecture page show the same line
    assert diagram in (SRC / "__init__.py").read_text(encoding="utf-8")
    assert diagram in (README.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
