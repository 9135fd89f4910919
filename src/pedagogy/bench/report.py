"""Benchmark output: ``results.json``, PNG figures, ``report.html`` and the terminal leaderboard.

matplotlib and rich are imported inside the functions that need them (they
are in the ``[bench]`` extra).
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["fmt", "plot_curves", "plot_tasks", "print_leaderboard", "write_html", "write_json", "write_report"]


# ------------------------------------------------------------------ helpers
def fmt(x: Any, digits: int = 3) -> str:
    """A number for tables; an en dash when missing."""
    if x is None:
        return "–"
    if isinstance(x, float) and abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _safe(name: str) -> str:
    """A file-name-safe version of a scenario or teacher name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def _teacher_colours(results: dict[str, Any]) -> dict[str, Any]:
    """One colour per teacher, the same in every figure."""
    import matplotlib

    names = sorted({t for info in results["scenarios"].values() for t in info["teachers"]} - {"random"})
    # tab10 without its grey (grey is random's), then Dark2 and tab20b for long lists
    palette = [matplotlib.colormaps["tab10"](i) for i in range(10) if i != 7]
    palette += [matplotlib.colormaps["Dark2"](i) for i in range(8)] + [matplotlib.colormaps["tab20b"](i) for i in range(20)]
    colours = {n: palette[i % len(palette)] for i, n in enumerate(names)}
    colours["random"] = (0.3, 0.3, 0.3, 1.0)  # the baseline: dark grey, dashed
    colours["oracle"] = (0.0, 0.0, 0.0, 1.0)  # the limit: black, dotted
    return colours


def scenario_rows(info: dict[str, Any]) -> list[dict[str, Any]]:
    """The leaderboard rows of one scenario: the oracle reference first (the limit), then the teachers best first (baselines, which are not ranked, and teachers without results last)."""
    rows = []
    for name, t in info["teachers"].items():
        n = len(t["runs"])
        rows.append(
            {
                "teacher": name,
                "baseline": "baseline" in t,
                "oracle": bool(t.get("oracle")),
                "rank": t.get("rank"),
                "final": t.get("final_mean"),
                "final_std": t.get("final_std"),
                "auc": t.get("auc_mean"),
                "ratio": t.get("ratio_to_random"),
                "to_random": t.get("budget_to_random_final"),
                "vs_oracle": t.get("ratio_to_oracle"),
                "budget_vs_oracle": t.get("budget_ratio_to_oracle"),
                "mastery": t.get("mastery_episode_mean"),
                "mastery_reached": f"{t.get('mastery_reached', 0)}/{n}",
                "failed": t.get("failed_runs", 0),
                "time": float(np.mean([r["wall_time_s"] for r in t["runs"]])),
            }
        )
    rows.sort(
        key=lambda r: (not r["oracle"], r["rank"] is None, r["rank"] if r["rank"] is not None else 0, not r["baseline"], r["teacher"])
    )
    return rows


def _baseline_notes(info: dict[str, Any]) -> list[str]:
    """One line per baseline of a scenario: which teacher with which options, and why it is the reference."""
    out = []
    for name, t in info["teachers"].items():
        b = t.get("baseline")
        if b:
            opts = ", ".join(f"{k}={v!r}" for k, v in b["options"].items())
            out.append(f"baseline {name}: {b['teacher']}({opts})" + (f" — {b['doc']}" if b.get("doc") else "") + " (not ranked)")
    return out


def _rank_cell(row: dict[str, Any]) -> str:
    """The ``#`` column: the rank, "base" for a scenario's baseline or "ref" for the oracle (both shown, not ranked)."""
    return "ref" if row["oracle"] else "base" if row["baseline"] else fmt(row["rank"], 1)


def _times(x: float | None) -> str:
    """A budget ratio such as ``2.3×``; an en dash when undefined."""
    return "–" if x is None else f"{x:.2f}×"


#: one line on the oracle reference, for every report
ORACLE_NOTE = (
    "oracle: the learner's own oracle_task() — the task an all-seeing teacher that reads the ground truth would pick — "
    "run through the same loop; the limit, not a teacher (never ranked). ÷orc: final / the oracle's final; "
    "→rnd÷orc: budget to reach random's final / the oracle's (1 = as fast as the oracle)."
)


def split_line(results: dict[str, Any]) -> str:
    """One sentence: which split of learners the results are on, and how many variants per family."""
    meta = results.get("meta", {})
    split = meta.get("split")
    if split is None:
        return "split: not recorded (results from before the dev/test split: the registered scenarios)"
    n = meta.get("variants", "?")
    what = "reported, never tuned on" if split == "test" else "for development: defaults may be chosen here"
    return f"split: {split} ({what}), {n} variant(s) per scenario family"


def left_out_lines(results: dict[str, Any]) -> list[str]:
    """The registered teachers this run left out, each with the reason."""
    left = results.get("meta", {}).get("left_out") or {}
    return [f"left out: {t} — {why}" for t, why in sorted(left.items())]


def variant_lines(info: dict[str, Any]) -> list[str]:
    """A scenario's variants, one line each (seed index i ran on variant i mod their number)."""
    return [f"variant {v['seed']} ({v['split']}): {v['description']}" for v in info.get("variants", []) if v.get("seed")]


# ------------------------------------------------------------------ figures
def plot_curves(results: dict[str, Any], scenario: str, path: Path) -> Path:
    """Mastery curves (mean ± std over seeds) of every teacher on one scenario."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    info = results["scenarios"][scenario]
    colours = _teacher_colours(results)
    keys = [info["metric"]]
    if info["metric"] != "mastered_fraction" and any("mastered_fraction" in t.get("curve_mean", {}) for t in info["teachers"].values()):
        keys.append("mastered_fraction")
    fig, axes = plt.subplots(1, len(keys), figsize=(6.4 * len(keys), 4.2), squeeze=False, layout="constrained")
    x = np.asarray(info["episodes"], dtype=float)
    order = [r["teacher"] for r in scenario_rows(info)]
    for ax, key in zip(axes[0], keys):
        for name in order:
            t = info["teachers"][name]
            m = t.get("curve_mean", {}).get(key)
            if not m:
                continue
            m = np.asarray(m, dtype=float)
            s = np.asarray(t["curve_std"][key], dtype=float)
            style = "--" if name == "random" else ":" if t.get("oracle") else "-"
            ax.plot(x, m, style, color=colours[name], label=name, lw=1.8)
            # mean ± std, kept inside what the seeds reached (a fraction never exceeds 1)
            runs = [r["curve"][key] for r in t.get("runs", []) if "error" not in r and key in r.get("curve", {})]
            lo, hi = (np.min(runs, axis=0), np.max(runs, axis=0)) if runs else (m - s, m + s)
            ax.fill_between(x, np.clip(m - s, lo, hi), np.clip(m + s, lo, hi), color=colours[name], alpha=0.15, lw=0)
        ax.set_xlabel("episodes (practice calls)")
        ax.set_ylabel(key + (" (lower is better)" if key == info["metric"] and info["lower_is_better"] else ""))
        ax.grid(alpha=0.3)
        ax.set_xlim(0, max(1.0, float(x[-1]) if x.size else 1.0))
    axes[0][0].set_title(f"{scenario}: mean ± std over {results['meta']['seeds']} seeds", fontsize=11)
    axes[0][-1].legend(fontsize=8, loc="best", frameon=False)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_tasks(results: dict[str, Any], scenario: str, path: Path) -> Path | None:
    """Where each teacher sent its tasks over time (first seed, first two Box dims), one panel per teacher."""
    info = results["scenarios"][scenario]
    teachers = [r["teacher"] for r in scenario_rows(info) if info["teachers"][r["teacher"]].get("tasks")]
    if not teachers:
        return None
    if info["space"].get("type") != "box":
        return _plot_task_counts(results, scenario, teachers, path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    space = info["space"]
    low, high = space["low"], space["high"]
    names = space.get("names") or [f"x{i}" for i in range(len(low))]
    two_d = len(low) >= 2
    ncol = min(4, len(teachers))
    nrow = -(-len(teachers) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol + 1.0, 3.3 * nrow + 0.4), squeeze=False, layout="constrained")
    sc = None
    for k, ax in enumerate(axes.flat):
        if k >= len(teachers):
            ax.axis("off")
            continue
        name = teachers[k]
        tasks = info["teachers"][name]["tasks"]
        ep = np.asarray(tasks["episode"], dtype=float)
        xy = np.asarray(tasks["x"], dtype=float).reshape(len(ep), -1)
        if two_d:
            sc = ax.scatter(xy[:, 0], xy[:, 1], c=ep, cmap="viridis", s=5, alpha=0.7, vmin=0, vmax=info["budget"], lw=0)
            ax.set_xlim(low[0], high[0])
            ax.set_ylim(low[1], high[1])
            ax.set_box_aspect(1)
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
        else:
            sc = ax.scatter(xy[:, 0], ep, c=ep, cmap="viridis", s=5, alpha=0.7, vmin=0, vmax=info["budget"], lw=0)
            ax.set_xlim(low[0], high[0])
            ax.set_xlabel(names[0])
            ax.set_ylabel("episode")
        ax.set_title(name, fontsize=10)
    if sc is not None:
        fig.colorbar(sc, ax=axes.ravel().tolist(), label="episode", shrink=0.85, aspect=30)
    fig.suptitle(f"{scenario}: proposed tasks coloured by episode (seed 0)", fontsize=11)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _plot_task_counts(results: dict[str, Any], scenario: str, teachers: list[str], path: Path) -> Path:
    """Discrete spaces: share of each time bin's proposals that went to each task, one panel per teacher."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    info = results["scenarios"][scenario]
    ncol = min(3, len(teachers))
    nrow = -(-len(teachers) // ncol)
    n_tasks = len(info["teachers"][teachers[0]]["tasks"]["names"])
    height = min(6.0, max(2.6, 0.16 * n_tasks + 1.0))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.3 * ncol + 1.0, height * nrow + 0.4), squeeze=False, layout="constrained")
    im = None
    for k, ax in enumerate(axes.flat):
        if k >= len(teachers):
            ax.axis("off")
            continue
        tasks = info["teachers"][teachers[k]]["tasks"]
        c = np.asarray(tasks["counts"], dtype=float)
        share = c / np.maximum(c.sum(axis=1, keepdims=True), 1.0)
        im = ax.imshow(
            share.T,
            aspect="auto",
            cmap="viridis",
            vmin=0,
            vmax=max(0.25, float(share.max())),
            interpolation="nearest",
            extent=(0, info["budget"], len(tasks["names"]) - 0.5, -0.5),
        )
        ax.set_title(teachers[k], fontsize=10)
        ax.set_xlabel("episode")
        if len(tasks["names"]) <= 30:
            ax.set_yticks(range(len(tasks["names"])), tasks["names"], fontsize=7)
        else:
            ax.set_ylabel("task index")
    if im is not None:
        fig.colorbar(im, ax=axes.ravel().tolist(), label="share of proposals", shrink=0.85, aspect=30)
    fig.suptitle(f"{scenario}: where each teacher sent its tasks over time (seed 0)", fontsize=11)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


# --------------------------------------------------------------------- JSON
def write_json(results: dict[str, Any], path: Path) -> Path:
    """``results.json``: strict JSON (no NaN), compact (curves make it large), stable key order."""
    path.write_text(json.dumps(results, allow_nan=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ terminal
def print_leaderboard(results: dict[str, Any], console: Any = None) -> None:
    """Print the per-scenario leaderboards, the overall ranking and the target checks (rich tables)."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=max(console.width, 140))  # files and pipes: do not wrap at 80 columns
    for s, info in results["scenarios"].items():
        arrow = "↓" if info["lower_is_better"] else "↑"
        table = Table(
            title=f"[bold]{s}[/] — {info['metric']} {arrow}, budget {info['budget']}, {results['meta']['seeds']} seeds",
            title_justify="left",
            header_style="bold",
        )
        for col in ("#", "teacher", "final", "± std", "AUC", "÷rnd", "→rnd", "÷orc", "→rnd÷orc", "mastery", "s/run"):
            table.add_column(col, justify="left" if col == "teacher" else "right")
        for r in scenario_rows(info):
            mastery = (fmt(r["mastery"], 0) if r["mastery"] is not None else "–") + f" ({r['mastery_reached']})"
            to_rnd = f"{r['to_random']:.0%}" if r["to_random"] is not None else "–"
            name = r["teacher"] + (f" [red]({r['failed']} failed)[/]" if r["failed"] else "")
            final = fmt(r["final"]) if r["final"] is not None else "[red]failed[/]"
            table.add_row(
                _rank_cell(r),
                name,
                final,
                fmt(r["final_std"]),
                fmt(r["auc"]),
                fmt(r["ratio"], 2),
                to_rnd,
                fmt(r["vs_oracle"], 2),
                _times(r["budget_vs_oracle"]),
                mastery,
                f"{r['time']:.2f}",
            )
        console.print(table)
        for line in _baseline_notes(info):
            console.print(f"  [dim]{line}[/]")
        if info["skipped"]:
            console.print(f"  [dim]not run (space): {', '.join(sorted(info['skipped']))}[/]")
        for line in variant_lines(info):
            console.print(f"  [dim]{line}[/]")
    console.print(
        "[dim]final: mean of the last evaluation over seeds · AUC: area under the curve / budget · ÷rnd: final / random's · "
        "→rnd: share of the budget the mean curve needs to reach random's final · mastery: mean episodes until "
        "mastered_fraction = 1 when every seed got there (seeds that got there)[/]"
    )
    if any(t.get("oracle") for info in results["scenarios"].values() for t in info["teachers"].values()):
        console.print(f"[dim]{ORACLE_NOTE}[/]")
    board = Table(title="[bold]overall[/] — mean rank over scenarios (by final metric)", title_justify="left", header_style="bold")
    for col in ("#", "teacher", "mean rank", "scenarios"):
        board.add_column(col, justify="left" if col == "teacher" else "right")
    for row in results["leaderboard"]:
        board.add_row(str(row["position"]), row["teacher"], f"{row['mean_rank']:.2f}", str(row["scenarios"]))
    console.print(board)
    if results["targets"]:
        tt = Table(title="[bold]target checks[/]", title_justify="left", header_style="bold")
        for col in ("scenario", "target", "measured", "", "detail"):
            tt.add_column(col)
        for c in results["targets"]:
            status = "[green]MET[/]" if c["met"] else "[red]MISSED[/]" if c["met"] is False else "[yellow]N/A[/]"
            tt.add_row(c["scenario"], c["target"], fmt(c["value"]), status, c["detail"])
        console.print(tt)
    if results.get("failures"):
        console.print(
            f"[red]{len(results['failures'])} run(s) failed[/]; first: {results['failures'][0]['teacher']} on "
            f"{results['failures'][0]['scenario']}: {results['failures'][0]['error']}"
        )
    console.print(f"[bold]{split_line(results)}[/]")
    for line in left_out_lines(results):
        console.print(f"[yellow]{line}[/]")
    console.print(f"[dim]wall time {results['meta']['wall_time_s']:.1f} s[/]")


# ---------------------------------------------------------------------- HTML
_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 0; background: #f5f6f8; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 64px; box-sizing: border-box; overflow-wrap: anywhere; background: #fff; box-shadow: 0 0 12px rgba(0,0,0,.06); }
h1 { font-size: 1.7em; margin: .2em 0 .1em; } h2 { margin-top: 2em; border-bottom: 2px solid #e3e6ec; padding-bottom: .2em; }
h3 { margin: 1.4em 0 .3em; } .meta { color: #5b6475; font-size: .9em; } code { background: #f0f2f5; padding: 1px 4px; border-radius: 3px; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .92em; max-width: 100%; }
th, td { padding: 5px 8px; border-bottom: 1px solid #e6e8ee; text-align: right; white-space: normal; overflow-wrap: anywhere; }
th { overflow-wrap: normal; } td.l { overflow-wrap: break-word; }
th { background: #f0f2f6; font-weight: 600; } td.l, th.l { text-align: left; } tr:hover td { background: #fafbfd; }
tr.best td { font-weight: 600; background: #eef8f0; }
.met { color: #fff; background: #2e8b57; padding: 2px 8px; border-radius: 10px; font-weight: 600; font-size: .85em; }
.missed { color: #fff; background: #c0392b; padding: 2px 8px; border-radius: 10px; font-weight: 600; font-size: .85em; }
.na { color: #fff; background: #9a8b3a; padding: 2px 8px; border-radius: 10px; font-weight: 600; font-size: .85em; }
td.detail { text-align: left; white-space: normal; color: #4a5263; min-width: 18em; }
.met, .missed, .na { white-space: nowrap; display: inline-block; } td.num { white-space: nowrap; }
img { max-width: 100%; border: 1px solid #e6e8ee; border-radius: 4px; margin: .4em 0; }
.desc { color: #4a5263; margin: .2em 0 .6em; } .skip { color: #7a8292; font-size: .88em; }
.err { color: #c0392b; font-family: monospace; font-size: .85em; white-space: pre-wrap; }
nav a { margin-right: 14px; display: inline-block; } code { overflow-wrap: anywhere; }
.variants { color: #4a5263; font-size: .88em; margin: .2em 0 .6em 1.2em; padding: 0; }
"""


#: colours of the palette PNGs embedded in report.html (the figures on disk keep full colour)
EMBED_COLOURS = 64


def embed_png(path: Path) -> bytes:
    """``path``'s PNG re-encoded with an adaptive palette of :data:`EMBED_COLOURS` colours (about 3-4x smaller), or as is without Pillow."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return path.read_bytes()
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=EMBED_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        buf = io.BytesIO()
        small.save(buf, format="PNG", optimize=True)
    data = buf.getvalue()
    return data if len(data) < path.stat().st_size else path.read_bytes()


def _img(path: Path | None) -> str:
    if path is None or not path.exists():
        return ""
    data = base64.b64encode(embed_png(path)).decode("ascii")
    return f'<img alt="{html.escape(path.name)}" loading="lazy" src="data:image/png;base64,{data}">'


def write_html(results: dict[str, Any], path: Path, figures: dict[str, list[Path]]) -> Path:
    """One self-contained page (PNGs embedded as base64): leaderboards, targets, figures."""
    e = html.escape
    meta = results["meta"]
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>pedagogy bench — {e(meta['suite'])}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<h1>pedagogy bench</h1>",
    ]
    parts.append(
        f"<p class='meta'>suite <b>{e(meta['suite'])}</b> · {meta['seeds']} seeds · base seed {meta['base_seed']} · "
        f"{len(meta['scenarios'])} scenarios · {len(meta['teachers'])} teachers · {meta['jobs']} jobs · "
        f"wall time {meta['wall_time_s']:.1f} s<br>pedagogy {e(meta['pedagogy'])} · numpy {e(meta['numpy'])} · "
        f"Python {e(meta['python'])} · {e(meta['platform'])}"
        + (f"<br><code>{e(meta['command'])}</code>" if meta.get("command") else "")
        + "</p>"
    )
    parts.append(f"<p class='desc'><b>{e(split_line(results))}</b></p>")
    left = left_out_lines(results)
    if left:
        parts.append("<p class='desc'>Registered teachers not run: " + "; ".join(e(x.removeprefix("left out: ")) for x in left) + ".</p>")
    parts.append("<nav>" + "".join(f"<a href='#s-{e(_safe(s))}'>{e(s)}</a>" for s in results["scenarios"]) + "</nav>")

    parts.append("<h2>Overall</h2><p class='desc'>Mean rank by final metric over the scenarios each teacher ran on (1 = best).</p>")
    parts.append("<table><tr><th>#</th><th class='l'>teacher</th><th>mean rank</th><th>scenarios</th></tr>")
    for row in results["leaderboard"]:
        parts.append(
            f"<tr><td>{row['position']}</td><td class='l'>{e(row['teacher'])}</td><td>{row['mean_rank']:.2f}</td><td>{row['scenarios']}</td></tr>"
        )
    parts.append("</table>")

    if results["targets"]:
        parts.append(
            "<h2>Target checks</h2><table><tr><th class='l'>scenario</th><th class='l'>target</th><th>measured</th><th></th><th class='l'>detail</th></tr>"
        )
        for c in results["targets"]:
            badge = (
                "<span class='met'>MET</span>"
                if c["met"]
                else "<span class='missed'>MISSED</span>"
                if c["met"] is False
                else "<span class='na'>N/A</span>"
            )
            parts.append(
                f"<tr><td class='l'>{e(c['scenario'])}</td><td class='l'>{e(c['target'])}</td><td>{fmt(c['value'])}</td>"
                f"<td class='num'>{badge}</td><td class='detail'>{e(c['detail'])}</td></tr>"
            )
        parts.append("</table>")

    for s, info in results["scenarios"].items():
        arrow = "lower is better" if info["lower_is_better"] else "higher is better"
        space = info["space"]
        sdesc = f"Box, {len(space['low'])} dims" if space.get("type") == "box" else f"{space.get('type')}, {space.get('n', '?')} tasks"
        parts.append(
            f"<h2 id='s-{e(_safe(s))}'>{e(s)}</h2><p class='desc'>{e(info['description'])}<br>"
            f"metric <code>{e(info['metric'])}</code> ({arrow}) · budget {info['budget']} · batch {info['batch']} · "
            f"{len(info['episodes'])} evaluations · space: {e(sdesc)}</p>"
        )
        parts.append(
            "<table><tr><th>#</th><th class='l'>teacher</th><th>final ± std</th><th>AUC</th><th>÷ random</th>"
            "<th>budget to random's final</th><th>÷ oracle</th><th>budget to random's final ÷ oracle's</th>"
            "<th>episodes to full mastery</th><th>s / run</th></tr>"
        )
        for r in scenario_rows(info):
            cls = " class='best'" if r["rank"] == 1 else ""
            final = f"{fmt(r['final'])} ± {fmt(r['final_std'])}" if r["final"] is not None else "failed"
            mastery = (fmt(r["mastery"], 0) if r["mastery"] is not None else "–") + f" <span class='skip'>({r['mastery_reached']})</span>"
            to_rnd = f"{r['to_random']:.0%}" if r["to_random"] is not None else "–"
            failed = f" <span class='err'>({r['failed']} failed)</span>" if r["failed"] else ""
            parts.append(
                f"<tr{cls}><td>{_rank_cell(r)}</td><td class='l'>{e(r['teacher'])}{failed}</td><td>{final}</td><td>{fmt(r['auc'])}</td>"
                f"<td>{fmt(r['ratio'], 2)}</td><td>{to_rnd}</td><td>{fmt(r['vs_oracle'], 2)}</td><td>{_times(r['budget_vs_oracle'])}</td>"
                f"<td>{mastery}</td><td>{r['time']:.2f}</td></tr>"
            )
        parts.append("</table>")
        for line in _baseline_notes(info):
            parts.append(f"<p class='skip'>{e(line)}</p>")
        if info["skipped"]:
            parts.append(
                "<p class='skip'>Not run (space not accepted): "
                + e(", ".join(f"{t} ({why})" for t, why in sorted(info["skipped"].items())))
                + "</p>"
            )
        vlines = variant_lines(info)
        if vlines:
            parts.append("<ul class='variants'>" + "".join(f"<li>{e(x)}</li>" for x in vlines) + "</ul>")
        for t, tres in info["teachers"].items():
            for err in tres.get("errors", []):
                parts.append(f"<p class='err'>{e(t)}: {e(err)}</p>")
        for fig in figures.get(s, []):
            parts.append(_img(fig))
    parts.append(
        "<p class='meta'>AUC: area under the metric curve divided by the budget (the run's average). "
        "÷ random: final mean over random's. Budget to random's final: share of the budget the mean curve needs to reach random's final mean "
        "(linear interpolation between evaluations). Episodes to full mastery: first evaluation at which <code>mastered_fraction</code> = 1, "
        "mean over seeds, shown only when every seed got there (reached/seeds in brackets). "
        f"{e(ORACLE_NOTE)}</p>"
    )
    parts.append("</main></body></html>\n")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


# ---------------------------------------------------------------------- all
def write_markdown(results: dict[str, Any], path: Path) -> Path:
    """``summary.md``: the leaderboard as one teacher x scenario table and the target checks, for documentation pages and PRs."""
    meta = results.get("meta", {})
    scen = list(results["scenarios"])
    lines = [
        (
            f"`{meta.get('command', 'pedagogy bench')}` — suite {meta.get('suite', '?')}, {meta.get('seeds', '?')} seeds, "
            f"pedagogy {meta.get('pedagogy', '?')}, wall time {fmt(meta.get('wall_time_s'), 1)} s"
        ),
        "",
        split_line(results) + ".",
        *([""] + [f"- {x}" for x in left_out_lines(results)] if left_out_lines(results) else []),
        "",
        "Final metric, mean over seeds (best per scenario in bold; — where the teacher does not accept the space):",
        "",
        "| teacher | mean rank (scenarios) | " + " | ".join(scen) + " |",
        "|---|---:|" + "---:|" * len(scen),
    ]
    for row in results.get("leaderboard", []):
        name = row["teacher"]
        cells = []
        for s in scen:
            info = results["scenarios"][s]
            t = info["teachers"].get(name)
            v = None if t is None else t.get("final_mean")
            cell = "—" if v is None else fmt(v)
            if v is not None and info.get("best_teacher") == name:
                cell = f"**{cell}**"
            cells.append(cell)
        lines.append(f"| `{name}` | {row['mean_rank']:.2f} ({row['scenarios']}) | " + " | ".join(cells) + " |")
    baselines = [(s, n, t) for s in scen for n, t in results["scenarios"][s]["teachers"].items() if "baseline" in t]
    for s, name, t in baselines:
        cells = [fmt(t.get("final_mean")) if other == s and t.get("final_mean") is not None else "—" for other in scen]
        lines.append(f"| `{name}` (baseline) | – | " + " | ".join(cells) + " |")
    oracles = {s: t for s in scen for t in results["scenarios"][s]["teachers"].values() if t.get("oracle")}
    if oracles:
        cells = [fmt(oracles[s].get("final_mean")) if s in oracles else "—" for s in scen]
        lines.append("| `oracle` (reference, reads the ground truth) | – | " + " | ".join(cells) + " |")
    lines += ["", "Metrics: " + ", ".join(f"{s}: {results['scenarios'][s]['metric']}" for s in scen) + ".", ""]
    if oracles:
        lines += [
            (
                "Against the oracle: final metric ÷ the oracle's final, and budget to reach random's final ÷ the oracle's "
                "(— where undefined: no oracle, random did not move, or the curve never got there):"
            ),
            "",
            "| teacher | " + " | ".join(scen) + " |",
            "|---|" + "---:|" * len(scen),
        ]
        for row in results.get("leaderboard", []):
            cells = []
            for s in scen:
                t = results["scenarios"][s]["teachers"].get(row["teacher"])
                if t is None or s not in oracles:
                    cells.append("—")
                else:
                    b = t.get("budget_ratio_to_oracle")
                    cells.append(f"{fmt(t.get('ratio_to_oracle'), 2)} / {'—' if b is None else f'{b:.2f}×'}")
            lines.append(f"| `{row['teacher']}` | " + " | ".join(cells) + " |")
        lines += ["", ORACLE_NOTE, ""]
    if results.get("targets"):
        lines += ["| scenario | target | measured | status | detail |", "|---|---|---:|---|---|"]
        for c in results["targets"]:
            status = "MET" if c["met"] else "MISSED" if c["met"] is False else "N/A"
            lines.append(f"| {c['scenario']} | {c['target']} | {fmt(c['value'])} | {status} | {c['detail']} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_report(results: dict[str, Any], out_dir: str | Path, plots: bool = True) -> dict[str, Any]:
    """Write ``results.json``, ``curves_<scenario>.png``, ``tasks_<scenario>.png``, ``report.html`` and ``summary.md``.

    Parameters
    ----------
    results:
        What :func:`pedagogy.bench.run` returned.
    out_dir:
        Output folder (created if needed).
    plots:
        Draw the PNG figures (needs matplotlib); without them the HTML page
        has the tables only.

    Returns the written paths: ``{"json": Path, "html": Path, "markdown": Path, "figures": [Path, ...]}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Any] = {"json": write_json(results, out / "results.json"), "figures": []}
    figures: dict[str, list[Path]] = {}
    if plots:
        for s in results["scenarios"]:
            figs = [plot_curves(results, s, out / f"curves_{_safe(s)}.png")]
            t = plot_tasks(results, s, out / f"tasks_{_safe(s)}.png")
            if t is not None:
                figs.append(t)
            figures[s] = figs
            written["figures"].extend(figs)
    written["html"] = write_html(results, out / "report.html", figures)
    written["markdown"] = write_markdown(results, out / "summary.md")
    return written
