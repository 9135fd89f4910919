"""Pages of the site written from the code at build time, into ``docs/_generated/`` (ignored by git).

* ``catalogue/``: one page per registered teacher, from its class attributes and
  its ``params`` declarations (:mod:`pedagogy.params`), plus an index table and
  the table of the options whose default departs from the paper;
* ``scenarios.inc.md``: the benchmark's scenarios, from the scenario registry;
* ``kt_models.inc.md``: the knowledge-tracing models and their declared parameters;
* ``openapi.md``: the tutoring service's OpenAPI document, from the FastAPI app
  of :mod:`pedagogy.service` (the JSON file beside it is the schema itself);
* ``benchmarks/``: one page per ``benchmarks/results/**/*.json``, stamped with
  the command, commit, machine and load where the file records them;
* ``changelog_fragments.inc.md``: every ``docs/changelog.d/*.md`` fragment.

Run ``python docs/_ext/pedagogy_pages.py`` to write them without Sphinx.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
OUT = DOCS / "_generated"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:  # unchanged files keep Sphinx's cache
        path.write_text(text, encoding="utf-8")


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _plain(rst: str) -> str:
    """reStructuredText roles and double backquotes of a docstring line as Markdown code."""
    return re.sub(r":[\w:]+:`~?([^`]+)`", r"`\1`", rst).replace("``", "`")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- catalogue
def teacher_page(name: str) -> str:
    """The catalogue page of one registered teacher."""
    from pedagogy import teachers
    from pedagogy.params import PAPER_UNSET

    cls = teachers.get(name)
    low, high = cls.score_range
    rng = f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"
    out = [f"(teacher-{name})=\n", f"# `{name}`\n", f"{cls.description}\n"]
    facts = [
        ["paper", cls.paper],
        ["spaces", ", ".join(cls.accepted_spaces())],
        ["score it expects", f"{cls.score_doc} (accepted range {rng})"],
        ["class", f"`{cls.__module__}.{cls.__qualname__}`"],
        ["for huge Discrete spaces (cost independent of the number of tasks)", "yes" if cls.large_discrete else "no"],
    ]
    if cls.requires:
        facts.append(["needs", ", ".join(f"`{m}` (`pip install 'pedagogy[{e}]'`)" for m, e in cls.requires.items())])
    out.append(_table(["", ""], facts))
    rows = []
    for opt, p in cls.params.items():
        paper = "same" if p.paper is PAPER_UNSET else f"`{p.paper!r}`"
        rows.append(
            [f"`{opt}`", f"`{p.default!r}`", paper, p.rule.describe(), p.doc + (f" (why not the paper's: {p.why})" if p.why else "")]
        )
    out.append("## Options\n")
    if rows:
        out.append(
            "Every option is declared once, with its rule; a value that breaks it is a `ValueError` naming the option. "
            '`teachers.make(name, space, preset="paper")` applies every paper value at once.\n'
        )
        out.append(_table(["option", "default", "paper", "rule", "what it does"], rows))
    else:
        out.append("None.\n")
    out.append(
        '\n## Algorithm\n\nThe class docstring (`help(teachers.get("'
        + name
        + '"))`): the algorithm as implemented, with its sources.\n\n'
        + "````text\n"
        + (inspect.getdoc(cls) or "").split("\nOptions\n")[0].rstrip()
        + "\n````\n"
    )
    out.append(
        "\n## Use\n\n```python\nfrom pedagogy import spaces, teachers\n\n"
        + f'teacher = teachers.make("{name}", space, seed=0)  # space: a {" or ".join(cls.accepted_spaces())}\n'
        + "task = teacher.propose()\nteacher.observe(task, score)\n```\n"
    )
    return "\n".join(out)


def catalogue() -> None:
    from pedagogy import teachers

    names = teachers.available()
    rows = []
    for name in names:
        cls = teachers.get(name)
        _write(OUT / "catalogue" / f"{name}.md", teacher_page(name))
        rows.append([f"{{ref}}`{name} <teacher-{name}>`", ", ".join(cls.accepted_spaces()), cls.score_doc, cls.description])
    index = [
        "(catalogue)=\n",
        "# Teacher catalogue\n",
        "Every registered teacher, written from its declarations when the site is built (`pedagogy teachers -v` prints the same). ",
        "Each page gives the paper, the spaces the teacher accepts, the score it expects, and every option with its default, "
        "its rule and the paper's value where the default departs from it.\n",
        _table(["teacher", "spaces", "score it expects", "what it does"], rows),
        "\n(paper-settings)=\n## Defaults that are not the paper's\n",
        "```{include} paper_settings.inc.md\n```\n",
        "\n```{toctree}\n:hidden:\n\n" + "\n".join(names) + "\n```\n",
    ]
    _write(OUT / "catalogue" / "index.md", "\n".join(index))
    paper = [
        "Every default is the paper's (or its reference code's) unless listed here; `preset=\"paper\"` applies the paper's "
        "value of each at once, and options you pass still override it.\n",
        _table(
            ["teacher", "option", "default", "paper", "why the default differs"],
            [
                [f"{{ref}}`{n} <teacher-{n}>`", f"`{o}`", f"`{p.default!r}`", f"`{p.paper!r}`", p.why]
                for n in names
                for o, p in teachers.get(n).paper_departures().items()
            ],
        ),
    ]
    _write(OUT / "catalogue" / "paper_settings.inc.md", "\n".join(paper))


# ---------------------------------------------------------------- scenarios
def scenarios() -> None:
    """The benchmark's scenarios, from the scenario registry (``pedagogy bench --list`` prints the same)."""
    from pedagogy import sim

    rows = []
    for name in sim.scenarios():
        sc = sim.get_scenario(name)
        targets = "; ".join(t.description for t in sc.targets) or "none"
        rows.append(
            [
                f"`{name}`",
                sc.description,
                f"{sc.budget_quick:,} / {sc.budget_full:,}",
                f"`{sc.metric}`" + (" (lower is better)" if sc.lower_is_better else ""),
                targets,
            ]
        )
    _write(OUT / "scenarios.inc.md", _table(["scenario", "learner", "quick / full budget", "metric", "targets"], rows))

    from pedagogy.sim.base import Learner

    classes, todo = [], list(Learner.__subclasses__())
    while todo:
        cls = todo.pop()
        classes.append(cls)
        todo += cls.__subclasses__()
    out = []
    for cls in sorted(classes, key=lambda c: c.__name__):
        out += _class_section(f"`{cls.__module__}.{cls.__qualname__}`", cls, cls.parameters, "see the class")
    _write(OUT / "learners.inc.md", "\n".join(out))


def _class_section(title: str, cls: type, rules: Any, no_default: str) -> list[str]:
    """A class's heading, docstring summary and table of declared parameters (default from ``__init__``)."""
    sig = inspect.signature(cls.__init__).parameters
    summary = _plain((inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " "))
    rows = [[f"`{k}`", f"`{sig[k].default!r}`" if k in sig else no_default, rule.describe()] for k, rule in rules.items()]
    return [f"#### {title}\n\n{summary}\n", _table(["parameter", "default", "rule"], rows) if rows else "No parameters.\n"]


# ---------------------------------------------------------------- KT models
def kt_models() -> None:
    """Every registered knowledge-tracing model with its declared parameters (``_parameter_constraints``)."""
    from pedagogy import kt

    out = []
    for name in kt.models():
        cls = kt.get_model(name)
        out += _class_section(f"`{name}`: `{cls.__module__}.{cls.__qualname__}`", cls, cls._parameter_constraints, "")
    _write(OUT / "kt_models.inc.md", "\n".join(out))


# ---------------------------------------------------------------- OpenAPI
def openapi() -> None:
    try:
        from pedagogy.service.app import create_app
        from pedagogy.service.config import Settings
    except ImportError as exc:  # the [service] extra is in the docs extra; say so rather than fail obscurely
        raise RuntimeError(f"the OpenAPI page needs the service extra: pip install -e '.[docs]' ({exc})") from exc
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(db=f"sqlite:///{tmp}/docs.db"), migrate=False)
        spec = app.openapi()
        app.state.store.engine.dispose()
    _write(OUT / "openapi.json", json.dumps(spec, indent=2, sort_keys=True) + "\n")
    out = [
        "(openapi)=\n",
        f"# HTTP API reference: {spec['info']['title']}\n",
        f"{spec['info'].get('description', '')}\n",
        "Written from the service's own OpenAPI document when the site is built "
        "(a running server serves the same at `/openapi.json`; this build's copy: {download}`openapi.json`). "
        "Every request carries an API key (`Authorization: Bearer <key>` or `X-API-Key`); errors are "
        "`application/problem+json` with a `detail` naming what was wrong.\n",
    ]
    schemas = spec.get("components", {}).get("schemas", {})
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            out.append(f"## `{method.upper()} {path}`\n")
            if op.get("summary"):
                out.append(f"**{op['summary']}**\n")
            if op.get("description"):
                out.append(op["description"].strip() + "\n")
            params = op.get("parameters", [])
            if params:
                out.append(
                    _table(
                        ["parameter", "in", "required", "type", "description"],
                        [
                            [
                                f"`{p['name']}`",
                                p["in"],
                                "yes" if p.get("required") else "no",
                                _type_of(p.get("schema", {})),
                                p.get("description", ""),
                            ]
                            for p in params
                        ],
                    )
                )
            body = op.get("requestBody", {}).get("content", {})
            for ctype, content in body.items():
                out.append(f"Request body ({ctype}): {_type_of(content.get('schema', {}))}\n")
            responses = op.get("responses", {})
            out.append(_table(["status", "meaning"], [[code, r.get("description", "")] for code, r in responses.items()]))
    if schemas:
        out.append("## Schemas\n")
        for name, schema in sorted(schemas.items()):
            out.append(f"### `{name}`\n")
            if schema.get("description"):
                out.append(schema["description"].strip() + "\n")
            props = schema.get("properties", {})
            req = set(schema.get("required", []))
            if props:
                rows = [[f"`{k}`", _type_of(v), "yes" if k in req else "no", v.get("description", "")] for k, v in props.items()]
                out.append(_table(["field", "type", "required", "description"], rows))
    _write(OUT / "openapi.md", "\n".join(out))


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return "`" + schema["$ref"].rsplit("/", 1)[-1] + "`"
    if "anyOf" in schema:
        return " or ".join(_type_of(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    return str(schema.get("type", "any"))


# ---------------------------------------------------------------- benchmarks
_STAMPS = ("command", "commit", "git_commit", "machine", "cpu", "cpus", "load", "load_average", "platform", "python", "wall_time_s", "date")


def _records(obj: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """(path, {key: number}) for every dict holding numbers, depth first."""
    out = []
    if isinstance(obj, dict):
        nums = {k: v for k, v in obj.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if nums and path:
            out.append((path, nums))
        for k, v in obj.items():
            if isinstance(v, dict):
                out += _records(v, (*path, str(k)))
    return out


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def benchmark_page(path: Path) -> str:
    """A page for one benchmark results file: its stamp, its tables of numbers, the figure beside it."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    rel = path.relative_to(ROOT).as_posix()
    out = [f"# `{path.stem}`\n", f"Written from `{rel}` when the site is built.\n"]
    stamp = [[k, f"`{doc[k]}`" if k == "command" else _fmt(doc[k])] for k in _STAMPS if k in doc]
    for k in ("commit", "machine", "load"):
        if not any(s[0].startswith(k) or (k == "load" and s[0] == "load_average") for s in stamp):
            stamp.append([k, "not recorded in this file"])
    out.append(_table(["recorded", "value"], stamp))
    groups: dict[tuple[str, ...], list[tuple[tuple[str, ...], dict[str, Any]]]] = {}
    for rec_path, nums in _records({k: v for k, v in doc.items() if k not in _STAMPS}):
        groups.setdefault(tuple(sorted(nums)), []).append((rec_path, nums))
    for keys, recs in groups.items():
        out.append(_table(["", *keys], [[" / ".join(p), *(_fmt(n[k]) for k in keys)] for p, n in recs]))
    for png in sorted(path.parent.glob("*.png")):
        target = OUT / "benchmarks" / png.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target)
        out.append(f"![{png.stem}]({png.name})\n")
    return "\n".join(out)


def benchmarks() -> list[str]:
    names = []
    for path in sorted((ROOT / "benchmarks" / "results").glob("**/*.json")):
        _write(OUT / "benchmarks" / f"{path.stem}.md", benchmark_page(path))
        names.append(path.stem)
    index = ["# Stored results\n", "Every results file committed under `benchmarks/results/`, as recorded.\n"]
    if names:
        index.append("```{toctree}\n:maxdepth: 1\n\n" + "\n".join(names) + "\n```\n")
    else:
        index.append("None are committed yet.\n")
    _write(OUT / "benchmarks" / "index.md", "\n".join(index))
    return names


# ---------------------------------------------------------------- changelog
def changelog() -> None:
    parts = []
    for frag in sorted((DOCS / "changelog.d").glob("*.md")):
        lines = []
        for line in frag.read_text(encoding="utf-8").splitlines():
            # a fragment's own headings would break the page's outline: they become bold lines
            lines.append(f"**{line.lstrip('#').strip()}**" if line.startswith("#") else line)
        parts.append("\n".join(lines).strip() + "\n")
    _write(OUT / "changelog_fragments.inc.md", "\n".join(parts) if parts else "Nothing yet.\n")


def generate() -> None:
    catalogue()
    scenarios()
    kt_models()
    openapi()
    benchmarks()
    changelog()


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", lambda _app: generate())
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    generate()
