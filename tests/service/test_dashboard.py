"""The dashboard in a real headless Chromium: log in, open a learner, read the graph and the recommendation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from .conftest import ThreadServer, tenant_key

CHROMIUM = os.environ.get("PEDAGOGY_TEST_CHROMIUM", "/usr/bin/chromium")
GRAPH = {"add": [], "sub": ["add"], "mul": ["add"], "div": ["mul", "sub"], "frac": ["div"]}
ITEMS = {f"{s}{k}": s for s in GRAPH for k in (1, 2)}


def test_dashboard_in_chromium(db_url: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}: install the system package chromium (.ci/run does)")
    with ThreadServer(db_url) as srv:
        key = tenant_key(srv.url, "acme")
        h = {"Authorization": f"Bearer {key}"}
        assert (
            httpx.post(
                srv.url + "/v1/courses", json={"name": "arith", "title": "Arithmetic", "skills": GRAPH, "items": ITEMS}, headers=h
            ).status_code
            == 201
        )
        answers = [{"item": "add1", "correct": 1}] * 6 + [{"item": "sub1", "correct": 0}, {"item": "mul2", "correct": 1}]
        assert httpx.post(srv.url + "/v1/courses/arith/learners/ann/answers", json=answers, headers=h).status_code == 200
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                external = []
                page.on("request", lambda req: external.append(req.url) if not req.url.startswith(srv.url) else None)
                page.goto(srv.url + "/")
                page.fill("input[name=key]", "pdg_wrong")
                page.click("button[type=submit]")
                assert "not a valid" in page.content()
                page.fill("input[name=key]", key)
                page.click("button[type=submit]")
                page.click("text=arith")
                page.click("text=ann")
                page.wait_for_selector("#skill-graph")
                nodes = page.query_selector_all("#skill-graph g.skill")
                assert sorted(n.get_attribute("data-skill") for n in nodes) == sorted(GRAPH)
                fills = {n.get_attribute("data-skill"): n.query_selector("rect").get_attribute("fill") for n in nodes}
                known = {n.get_attribute("data-skill"): float(n.get_attribute("data-p-known")) for n in nodes}
                assert known["add"] > 0.95 > known["sub"]  # six right answers on add, a wrong one on sub
                r, g, _ = (int(fills["add"][i : i + 2], 16) for i in (1, 3, 5))
                assert g > r  # mastered: green
                r, g, _ = (int(fills["sub"][i : i + 2], 16) for i in (1, 3, 5))
                assert r > g  # weak: red
                rows = page.query_selector_all("#answers tr")
                assert len(rows) == 1 + len(answers)
                assert "mul2" in rows[1].inner_text()  # newest first
                shown = page.inner_text("#next-item")
                reason = page.inner_text("#reason")
                shot = tmp_path / "dashboard.png"
                page.screenshot(path=str(shot), full_page=True)
            finally:
                browser.close()
        assert external == []  # nothing loaded from elsewhere (no CDN)
        assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # the page showed what the teacher recommends: the next GET /next proposes exactly that item
        nxt = httpx.get(srv.url + "/v1/courses/arith/learners/ann/next", headers=h).json()["items"][0]
        assert nxt["item"] == shown and re.search(re.escape(nxt["target_skill"]), reason)
        assert nxt["reason"] == reason


def _overflow(page: object) -> list[str]:
    """What sticks out: the page wider than the window, or an element wider than its card."""
    return page.evaluate(  # type: ignore[attr-defined]
        """() => {
        const out = [];
        const doc = document.documentElement;
        if (doc.scrollWidth > window.innerWidth) out.push(`page ${doc.scrollWidth} > ${window.innerWidth}`);
        for (const sec of document.querySelectorAll('section')) {
            const box = sec.getBoundingClientRect();
            if (sec.scrollWidth > sec.clientWidth) out.push(`section scrolls ${sec.scrollWidth} > ${sec.clientWidth}`);
            for (const el of sec.querySelectorAll('svg, table, p, h2, h3')) {
                const r = el.getBoundingClientRect();
                if (r.right > box.right + 0.5) out.push(`${el.tagName} ends at ${r.right} past its card at ${box.right}`);
            }
        }
        return out;
    }"""
    )


def test_no_horizontal_overflow_at_1280_px(db_url: str) -> None:
    """The demo's fractions course, a wide flat course and a long chain with long names fit a 1,280 px window."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from pedagogy.service.demo import demo_course

    long = "a-rather-long-skill-name-that-would-not-fit-" * 2
    courses = {
        "fractions": demo_course(),
        "flat": {"name": "flat", "skills": {f"skill-{i}": [] for i in range(40)}},
        "chain": {
            "name": "chain",
            "title": "T" * 300,
            "skills": {f"{long}{i}": [f"{long}{i + 1}"] if i < 29 else [] for i in range(30)},
        },
    }
    with ThreadServer(db_url) as srv:
        key = tenant_key(srv.url, "acme")
        h = {"Authorization": f"Bearer {key}"}
        for doc in courses.values():
            assert httpx.post(srv.url + "/v1/courses", json=doc, headers=h).status_code == 201
            first = next(iter(doc.get("items") or doc["skills"]))
            answer = {"item": first, "correct": 1, "timestamp": "2024-05-01T12:00:00Z"}
            learner = "learner-with-a-long-identifier-" * 6
            r = httpx.post(srv.url + f"/v1/courses/{doc['name']}/learners/{learner}/answers", json=answer, headers=h)
            assert r.status_code == 200, r.text
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(srv.url + f"/login?key={key}")
                problems = {}
                for name in courses:
                    for path in (f"/courses/{name}", f"/courses/{name}/learners/{learner}"):
                        page.goto(srv.url + path)
                        page.wait_for_selector("#skill-graph")
                        problems[path] = _overflow(page)
            finally:
                browser.close()
        assert all(not v for v in problems.values()), problems
