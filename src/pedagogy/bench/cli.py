"""``pedagogy bench``: run teachers on the simulated-learner scenarios.

Only argparse is imported here; the runner, rich and matplotlib are imported
when the command runs, so ``pedagogy --help`` works without the ``[bench]``
extra.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any, NoReturn

__all__ = ["add_parser", "main"]


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _declared_int(argument: str, flag: str) -> Any:
    """An argparse type: an integer checked by the rule :func:`pedagogy.bench.run` declares for ``argument``.

    One rule serves the library and the command line; it is looked up when
    the command runs, so building the parser imports nothing.
    """

    def parse(text: str) -> int:
        from pedagogy.bench.plan import RUN_ARGUMENTS
        from pedagogy.params import Nullable

        rule = RUN_ARGUMENTS[argument]
        rule = rule.rule if isinstance(rule, Nullable) else rule  # an absent flag is the None
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be {rule.describe()}, got {text!r}") from None
        if not rule.accepts(value):
            raise argparse.ArgumentTypeError(f"{flag} must be {rule.describe()}, got {value}")
        return value

    parse.__name__ = flag  # argparse names the type in some messages
    return parse


def _one_line_error(prog: str) -> Any:
    def error(message: str) -> NoReturn:
        # One clear line instead of argparse's usage block.
        print(f"{prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)

    return error


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``bench`` subcommand on ``subparsers``; sets ``func``."""
    p = subparsers.add_parser(
        "bench",
        help="benchmark teachers on simulated learners (leaderboard, JSON, plots, HTML report)",
        description=(
            "Run every teacher that accepts a scenario's task space on that scenario over several seeds, "
            "print a leaderboard and write results.json, curves_<scenario>.png, tasks_<scenario>.png (Box spaces) "
            "and report.html to --out. Same arguments give the same numbers."
        ),
    )
    p.add_argument(
        "--suite",
        choices=("quick", "full"),
        default="quick",
        help="quick (default): 3 seeds and each scenario's quick budget; full: 10 seeds and its full budget",
    )
    p.add_argument(
        "--teachers",
        type=_names,
        default=None,
        metavar="A,B,...",
        help="comma-separated teachers to run (default: every registered teacher; see `pedagogy teachers`)",
    )
    p.add_argument(
        "--scenarios",
        type=_names,
        default=None,
        metavar="A,B,...",
        help="comma-separated scenarios to run (default: every registered scenario; see --list)",
    )
    p.add_argument(
        "--seeds",
        type=_declared_int("seeds", "--seeds"),
        default=None,
        metavar="N",
        help="seeds per (scenario, teacher), overriding the suite's 3 or 10",
    )
    p.add_argument(
        "--budget",
        type=_declared_int("budget", "--budget"),
        default=None,
        metavar="N",
        help="practice calls per run for every scenario, overriding the suite's per-scenario budget",
    )
    p.add_argument(
        "--jobs",
        type=_declared_int("jobs", "--jobs"),
        default=None,
        metavar="N",
        help="worker processes (default: number of CPUs; 1 runs in this process)",
    )
    p.add_argument(
        "--seed",
        type=_declared_int("base_seed", "--seed"),
        default=0,
        metavar="BASE",
        help="base seed every learner and teacher seed is derived from (default: 0)",
    )
    p.add_argument(
        "--split",
        choices=("test", "dev"),
        default="test",
        help="which learners: test (default; variants reported, never tuned on) or dev (variant 0 = the registered "
        "scenarios, and the even variants; the only ones to choose defaults on)",
    )
    p.add_argument(
        "--variants",
        type=_declared_int("variants", "--variants"),
        default=None,
        metavar="N",
        help="variants per scenario family (default: one per seed); seed i runs on variant i mod N of the split",
    )
    p.add_argument("--out", default="bench-out", metavar="DIR", help="output folder (default: bench-out)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG figures (report.html then has the tables only)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--list", action="store_true", help="list the registered scenarios and exit")
    p.add_argument(
        "--students-from",
        default=None,
        metavar="MODEL",
        help="a BKT model saved by `pedagogy kt fit`: add the scenario students-twin, simulated twins of its "
        "population on --graph (and run only it unless --scenarios says otherwise)",
    )
    p.add_argument("--graph", default=None, metavar="JSON", help='the twins\' skill graph: {"skill": ["prerequisite", ...]}')
    p.add_argument(
        "--trait-sigma",
        type=float,
        default=0.5,
        metavar="S",
        help="spread of the twins' learning speed (log-normal sigma; BKT does not fit it; default 0.5)",
    )
    p.error = _one_line_error(p.prog)  # argparse has no hook for a one-line error
    p.set_defaults(func=main)
    return p


def _fail(message: str) -> int:
    print(f"pedagogy bench: error: {message}", file=sys.stderr)
    return 2


def main(args: argparse.Namespace) -> int:
    """Run ``pedagogy bench`` with parsed arguments; returns the exit code.

    0: all runs finished; 1: some runs raised (they are in the report);
    2: bad arguments or a missing optional dependency.
    """
    from pedagogy.bench.runner import BenchError

    if args.list:
        from pedagogy import sim

        for name in sim.scenarios():
            sc = sim.get_scenario(name)
            print(f"{name:<22} {sc.description}  [quick {sc.budget_quick}, full {sc.budget_full}, metric {sc.metric}]")
        return 0
    try:
        import rich  # noqa: F401

        if not args.no_plots:
            import matplotlib  # noqa: F401
    except ImportError as exc:
        return _fail(f"needs {exc.name} (install the benchmark extra: pip install 'pedagogy[bench]')")

    from pedagogy import bench

    students_from, graph = getattr(args, "students_from", None), getattr(args, "graph", None)
    if students_from is not None or graph is not None:
        if students_from is None or graph is None:
            return _fail("--students-from and --graph go together")
        from pedagogy import sim
        from pedagogy.sim.twin import read_graph, twin_scenario

        try:
            twin = twin_scenario(students_from, read_graph(graph), trait_sigma=getattr(args, "trait_sigma", 0.5))
        except (OSError, ValueError) as exc:
            return _fail(f"cannot build the twin scenario: {exc}")
        sim.base._SCENARIOS.unregister(twin.name)  # a second run in the same process replaces it
        sim.register_scenario(twin)
        if args.scenarios is None:
            args.scenarios = [twin.name]

    command = "pedagogy " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv and sys.argv[0].endswith("pedagogy") else None
    try:
        results = bench.run(
            scenarios=args.scenarios,
            teachers=args.teachers,
            seeds=args.seeds,
            budget=args.budget,
            jobs=args.jobs,
            suite=args.suite,
            base_seed=args.seed,
            progress=not args.no_progress,
            command=command or _rebuild_command(args),
            split=getattr(args, "split", "test"),
            variants=getattr(args, "variants", None),
        )
    except BenchError as exc:
        return _fail(str(exc))
    from pedagogy.bench.report import print_leaderboard

    print_leaderboard(results)
    try:
        written = bench.write_report(results, args.out, plots=not args.no_plots)
    except OSError as exc:
        return _fail(f"cannot write to {args.out!r}: {exc}")
    print(f"wrote {written['json']}, {written['markdown']}, {written['html']} and {len(written['figures'])} figure(s)", file=sys.stderr)
    return 1 if results["failures"] else 0


def _rebuild_command(args: argparse.Namespace) -> str:
    """The command line equivalent to ``args`` (when not run from the ``pedagogy`` script)."""
    parts = ["pedagogy", "bench", "--suite", args.suite, "--split", getattr(args, "split", "test")]
    if args.teachers is not None:
        parts += ["--teachers", ",".join(args.teachers)]
    if args.scenarios is not None:
        parts += ["--scenarios", ",".join(args.scenarios)]
    for opt in ("variants", "seeds", "budget", "jobs", "seed"):
        v = getattr(args, opt, None)
        if v is not None:
            parts += [f"--{opt}", str(v)]
    if getattr(args, "students_from", None) is not None:
        parts += ["--students-from", args.students_from, "--graph", args.graph, "--trait-sigma", str(args.trait_sigma)]
    parts += ["--out", args.out]
    if args.no_plots:
        parts.append("--no-plots")
    return " ".join(shlex.quote(p) for p in parts)
