"""``pedagogy kt``: fit, evaluate and benchmark knowledge-tracing models.

Only argparse is imported here; models, readers and rich are imported when a
subcommand runs.  Bad input (unknown model or parameter, missing file,
malformed data) prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

__all__ = ["add_parser", "model_parameters_help"]


def _param(text: str) -> tuple[str, Any]:
    """``key=value``; the value is read as JSON when it parses (numbers, true/false, lists), else kept as text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    low = value.strip()
    if low in ("True", "False"):
        low = low.lower()
    try:
        parsed = json.loads(low)
    except ValueError:
        parsed = value
    return key.strip(), parsed


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _fail(message: str) -> int:
    print(f"pedagogy kt: error: {message}", file=sys.stderr)
    return 2


def _message(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{exc.filename}: no such file"
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


#: errors that are the user's input, reported in one line (exit 2)
_USER_ERRORS = (ValueError, KeyError, OSError, ImportError, TypeError)


def _skill_note(data: Any) -> str:
    from pedagogy.kt.irt import item_keys

    return " (skill-level: the data has no item ids)" if item_keys(data)[1] else ""


def _cmd_fit(args: argparse.Namespace) -> int:
    from pedagogy import kt
    from pedagogy.kt.bench import make_model

    try:
        params = dict(args.param or [])
        model = make_model(args.model, params)
        data = kt.read(args.data)
        t0 = time.perf_counter()
        model.fit(data)
        secs = time.perf_counter() - t0
        model.save(args.output)
    except _USER_ERRORS as exc:
        return _fail(_message(exc))
    print(
        f"fitted {args.model} on {data.n_answers} answers of {data.n_users} students, {data.n_skills} skills"
        f"{_skill_note(data)} in {secs:.1f} s; saved to {args.output}"
    )
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from pedagogy import kt

    try:
        model = kt.load(args.model)
        data = kt.read(args.data)
        scores = model.evaluate(data)
    except _USER_ERRORS as exc:
        return _fail(_message(exc))
    if args.json:
        print(json.dumps({"model": model.name, "data": args.data, **scores}))
        return 0
    print(f"{model.name} on {args.data}{_skill_note(data)}, one step ahead:")
    print(f"  AUC       {scores['auc']:.4f}")
    print(f"  RMSE      {scores['rmse']:.4f}")
    print(f"  accuracy  {scores['accuracy']:.4f}")
    print(f"  log-loss  {scores['log_loss']:.4f}")
    print(f"  n         {scores['n']}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from pedagogy.kt.bench import default_models, find_data_dir, find_datasets

    params: dict[str, dict[str, Any]] = {}
    for key, value in args.param or []:
        model, dot, name = key.partition(".")
        if not dot or not name:
            return _fail(f"bench parameters are MODEL.KEY=VALUE (e.g. dkt.epochs=2), got {key!r}")
        params.setdefault(model, {})[name] = value
    try:
        data_dir = find_data_dir(args.data_dir)
        found = find_datasets(data_dir)
        datasets = args.datasets or list(found)
        models = args.models or default_models()
        from pedagogy import kt

        for m in models:
            kt.get_model(m)
        unknown = [m for m in params if m not in models]
        if unknown:
            return _fail(f"parameters given for model(s) {unknown} that are not run")
    except _USER_ERRORS as exc:
        return _fail(_message(exc))
    t_start = time.perf_counter()
    rows = _run_with_progress(data_dir, datasets, models, params, quiet=args.quiet)
    if isinstance(rows, int):
        return rows
    total = time.perf_counter() - t_start
    _print_table(rows, total)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"data_dir": str(data_dir), "total_s": total, "rows": rows}, fh, indent=1)
    return 0


def _run_with_progress(data_dir: Any, datasets: list[str], models: list[str], params: dict[str, Any], quiet: bool) -> Any:
    from pedagogy.kt.bench import run_bench
    from pedagogy.progress import ProgressBar

    try:
        with ProgressBar(len(datasets) * len(models), title="kt bench", transient=True, enabled=not quiet) as bar:

            def step(ds: str, model: str, phase: str) -> None:
                if phase == "done":
                    bar.advance(f"{ds}: {model}")
                else:
                    bar.describe(f"{ds}: {phase} {model}".rstrip())

            return run_bench(data_dir, datasets, models, params, on_step=step)
    except _USER_ERRORS as exc:
        return _fail(_message(exc))


def _print_table(rows: list[dict[str, Any]], total: float) -> None:
    from rich.table import Table

    table = Table(title="Knowledge tracing, one step ahead on the test split")
    table.add_column("dataset", no_wrap=True)
    table.add_column("model", no_wrap=True)
    for col in ("AUC", "RMSE", "acc", "logloss", "n", "fit s", "pred s"):
        table.add_column(col, justify="right", no_wrap=True)
    last = None
    for r in rows:
        ds = r["dataset"] + ("*" if r["skill_level"] else "")
        table.add_row(
            ds if ds != last else "",
            r["model"],
            f"{r['auc']:.4f}",
            f"{r['rmse']:.4f}",
            f"{r['accuracy']:.4f}",
            f"{r['log_loss']:.4f}",
            str(r["n"]),
            f"{r['fit_s']:.1f}",
            f"{r['predict_s']:.1f}",
        )
        last = ds
    if any(r["skill_level"] for r in rows):
        table.caption = "* skill-level: the data has no item ids, skills stand in for items"
    from rich.console import Console

    # never squeeze numbers into ellipses: at least 110 columns (pipes, narrow terminals)
    console = Console(width=max(Console().width, 110))
    console.print(table)
    console.print(f"total wall time {total:.1f} s")


def model_parameters_help() -> str:
    """Every model's parameters with their defaults and rules, read from the models' declarations."""
    from pedagogy import kt

    lines = ["model parameters (fit: --param KEY=VALUE, bench: --param MODEL.KEY=VALUE):"]
    for name in kt.models():
        try:
            cls = kt.get_model(name)
        except ImportError as exc:
            lines.append(f"  {name}: not available ({exc})")
            continue
        defaults = cls().get_params()
        lines.append(f"  {name}:")
        for key, rule in cls._parameter_constraints.items():
            value = defaults.get(key)
            lines.append(f"    {key}={value if isinstance(value, str) else json.dumps(value)}  ({rule.describe()})")
    return "\n".join(lines) + "\n"


class _ParamHelpParser(argparse.ArgumentParser):
    """A parser whose ``--help`` ends with :func:`model_parameters_help` when ``list_params`` is set.

    Built only when help is shown, so ``pedagogy kt`` imports no model to parse arguments.
    """

    list_params = False

    def format_help(self) -> str:
        text = super().format_help()
        return text + "\n" + model_parameters_help() if self.list_params else text


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``kt`` command (``fit``, ``eval``, ``bench``) on ``subparsers``."""
    p = subparsers.add_parser(
        "kt",
        help="knowledge tracing: fit, evaluate and benchmark student models on answer logs",
        description="Knowledge tracing on answer logs (three-line DKT/DKVMN sequences or CSV/Parquet logs): "
        "fit a model, evaluate it one step ahead, or benchmark every model on the shared datasets.",
    )
    sub = p.add_subparsers(dest="kt_command", metavar="SUBCOMMAND", parser_class=_ParamHelpParser)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])

    f = sub.add_parser(
        "fit",
        help="fit a model on answer data and save it",
        description="Fit a knowledge-tracing model on DATA (the training split) and save it (JSON, or .npz when "
        "OUTPUT ends in .npz). The models and their parameters are listed below.",
    )
    f.list_params = True
    f.add_argument("--model", required=True, metavar="NAME", help="model name (listed below)")
    f.add_argument("data", metavar="DATA", help="training data: three-line sequences, or a CSV/Parquet log")
    f.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="where to save the fitted model (.json or .npz)")
    f.add_argument(
        "--param",
        action="append",
        type=_param,
        metavar="KEY=VALUE",
        help="model parameter (repeatable), e.g. --param epochs=5; values are read as JSON when possible",
    )
    f.set_defaults(func=_cmd_fit)

    e = sub.add_parser(
        "eval",
        help="evaluate a saved model one step ahead",
        description="Score a saved model on DATA one step ahead (each answer predicted from the student's earlier "
        "answers only): AUC, RMSE, accuracy, log-loss, n.",
    )
    e.add_argument("--model", required=True, metavar="MODEL_FILE", help="a file written by `pedagogy kt fit`")
    e.add_argument("data", metavar="DATA", help="test data (three-line sequences, or a CSV/Parquet log)")
    e.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    e.set_defaults(func=_cmd_eval)

    b = sub.add_parser(
        "bench",
        help="every model on every shared dataset (fit on train, score on test)",
        description="Fit every model on each dataset's training file, score it one step ahead on the test file and "
        "print a table (AUC, RMSE, accuracy, log-loss, fit seconds). The data folder is --data-dir, else "
        "$PEDAGOGY_DATA, else the first shared/data/kt found in the current directory or its parents.",
    )
    b.add_argument("--datasets", type=_names, default=None, metavar="A,B", help="comma-separated dataset folders (default: all)")
    b.add_argument("--models", type=_names, default=None, metavar="A,B", help="comma-separated models (default: all available)")
    b.add_argument("--data-dir", default=None, metavar="DIR", help="folder of dataset sub-folders (default: see above)")
    b.add_argument(
        "--param", action="append", type=_param, metavar="MODEL.KEY=VALUE", help="model parameter (repeatable), e.g. --param dkt.epochs=2"
    )
    b.add_argument("--json", default=None, metavar="PATH", help="also write the results as JSON")
    b.list_params = True
    b.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=_cmd_bench)
    return p
