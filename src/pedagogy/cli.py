"""The ``pedagogy`` command.

Subcommands live next to what they drive: each feature module that has a
command exposes ``add_parser(subparsers)`` which registers its parser and sets
``func``.  Heavy imports happen inside ``func``, so ``pedagogy --help`` stays
fast and works without optional extras.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import pedagogy

#: modules that contribute subcommands (``add_parser(subparsers)``)
_COMMAND_MODULES = ("pedagogy.bench.cli", "pedagogy.kt.cli", "pedagogy.service.cli")


def _cmd_teachers(args: argparse.Namespace) -> int:
    from pedagogy import teachers
    from pedagogy.params import table

    rows = []
    for name in teachers.available():
        cls = teachers.get(name)
        accepts = ", ".join(cls.accepted_spaces())
        rows.append((name, cls.description, accepts, cls.paper))
    if args.verbose:
        for name, desc, accepts, paper in rows:
            cls = teachers.get(name)
            print(f"{name}\n  {desc}\n  spaces: {accepts}\n  score:  {cls.score_doc}\n  paper:  {paper}")
            rows_ = table(cls.params)
            if rows_:
                print("  options:")
                w = max(len(r[0]) for r in rows_)
                for opt, default, rule, doc in rows_:
                    print(f"    {opt:<{w}}  = {default}  ({rule})  {doc}")
            departures = cls.paper_departures()
            if departures:
                print("  not the paper's (preset='paper' restores): " + ", ".join(f"{k}={p.paper!r}" for k, p in departures.items()))
            print()
        return 0
    width = max(len(r[0]) for r in rows)
    for name, desc, accepts, paper in rows:
        missing = teachers.get(name).missing_requirements()
        print(f"{name:<{width}}  {desc}")
        print(f"{'':<{width}}  spaces: {accepts} | paper: {paper}" + (f" | needs {', '.join(missing)}" if missing else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pedagogy",
        description="Decide what a learner should practise next: teachers, simulated learners, knowledge tracing.",
    )
    parser.add_argument("--version", action="version", version=f"pedagogy {pedagogy.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser(
        "teachers",
        help="list the registered teachers",
        description="List every registered teacher with a one-line description, the spaces it accepts and its paper.",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also show each teacher's score scale, options (default, rule, meaning) and where a default is not the paper's",
    )
    p.set_defaults(func=_cmd_teachers)
    for mod_name in _COMMAND_MODULES:
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (mod_name == exc.name or mod_name.startswith(exc.name + ".")):
                continue  # feature not built into this install
            raise
        mod.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
