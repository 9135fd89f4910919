"""The benchmark: run teachers on simulated-learner scenarios and compare them.

>>> from pedagogy import bench
>>> results = bench.run(scenarios=["grid-2d"], teachers=["random", "alp-gmm"], seeds=2, budget=500)  # doctest: +SKIP
>>> bench.write_report(results, "bench-out")  # doctest: +SKIP

:func:`run` returns plain JSON data (curves, summaries, ranks, target
checks); :func:`write_report` writes ``results.json``, the PNG figures and
``report.html``.  The command line is ``pedagogy bench``.
"""

from __future__ import annotations

from pedagogy.bench.report import write_report
from pedagogy.bench.runner import RESULTS_FORMAT, SUITES, BenchError, run

__all__ = ["RESULTS_FORMAT", "SUITES", "BenchError", "run", "write_report"]
