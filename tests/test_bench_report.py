"""``report.html`` in headless Chromium: no horizontal overflow at 1,280 px, tables wrap, badges whole; embedded figures are compressed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pedagogy import bench, teachers
from pedagogy.bench import report

CHROMIUM = os.environ.get("PEDAGOGY_TEST_CHROMIUM", "/usr/bin/chromium")
WIDTH = 1280

# Every number below is read in the page; the run itself is small.
LAYOUT_JS = """
() => {
  const main = document.querySelector('main').getBoundingClientRect();
  const out = {page: document.documentElement.scrollWidth, view: window.innerWidth, mainRight: main.right, tables: [], badges: [], details: [], imgs: []};
  for (const t of document.querySelectorAll('table')) { const r = t.getBoundingClientRect(); out.tables.push([r.left, r.right, t.rows[0].cells.length]); }
  for (const b of document.querySelectorAll('.met, .missed, .na')) {
    const r = b.getBoundingClientRect(), c = b.closest('td').getBoundingClientRect();
    out.badges.push({cut: b.scrollWidth > b.clientWidth + 1, inside: r.left >= c.left - 1 && r.right <= c.right + 1, h: r.height});
  }
  for (const d of document.querySelectorAll('td.detail')) { const r = d.getBoundingClientRect(); out.details.push([r.width, r.height]); }
  for (const i of document.querySelectorAll('img')) { out.imgs.push(i.getBoundingClientRect().right); }
  return out;
}
"""


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    pytest.importorskip("matplotlib")
    cls = teachers.get("goal-gan")
    old = cls.requires
    cls.requires = {"no_such_module_xyz": "torch"}  # a teacher left out, so the report says so
    try:
        res = bench.run(
            scenarios=["students", "students-forgetting", "grid-2d", "llm-mix-noisy"],
            seeds=2,
            budget=120,
            split="test",
            command="pedagogy bench --scenarios students,students-forgetting,grid-2d,llm-mix-noisy --seeds 2 --budget 120 "
            "--a-very-long-option-value-" + "x" * 200,
        )
    finally:
        cls.requires = old
    out = tmp_path_factory.mktemp("report")
    bench.write_report(res, out, plots=True)
    return out


def test_report_says_split_and_left_out_teachers(report_dir):
    page = (report_dir / "report.html").read_text()
    summary = (report_dir / "summary.md").read_text()
    for text in (page, summary):
        assert "split: test" in text
        assert "goal-gan" in text and "no_such_module_xyz" in text
    assert "variant 1 (test)" in page


def test_embedded_figures_are_compressed(report_dir):
    pngs = sorted(report_dir.glob("*.png"))
    assert pngs
    on_disk = sum(p.stat().st_size for p in pngs)
    embedded = sum(len(report.embed_png(p)) for p in pngs)
    assert embedded < 0.6 * on_disk, (embedded, on_disk)
    assert (report_dir / "report.html").stat().st_size < 3_000_000


def test_report_fits_1280_px_in_chromium(report_dir):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.goto((report_dir / "report.html").as_uri())
            lay = page.evaluate(LAYOUT_JS)
        finally:
            browser.close()
    assert lay["page"] <= lay["view"] == WIDTH, f"the page is {lay['page']} px wide at {WIDTH}"
    assert lay["tables"] and all(right <= lay["mainRight"] + 1 for _, right, _ in lay["tables"]), lay["tables"]
    assert lay["badges"] and not any(b["cut"] or not b["inside"] for b in lay["badges"]), lay["badges"]
    assert all(b["h"] < 40 for b in lay["badges"])  # one line each
    # the target table's detail column is readable: wide, and no row a word per line
    assert lay["details"] and all(w >= 200 and h < 200 for w, h in lay["details"]), lay["details"]
    assert all(right <= lay["mainRight"] + 1 for right in lay["imgs"])
