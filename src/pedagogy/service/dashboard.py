"""The dashboard: server-rendered HTML with inline SVG, no scripts or files from elsewhere.

``/`` asks for a tenant API key (kept in an HttpOnly cookie), then lists the
tenant's courses; a course page lists its learners; a learner page draws the
course's skill graph coloured by the learner's mastery, their recent answers
and what the teacher recommends next, and why.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pedagogy.service.core import mastery_summary
from pedagogy.service.errors import ApiError

__all__ = ["router", "skill_graph_svg"]

router = APIRouter(include_in_schema=False)

#: skill graph layout: box width (px), boxes per row, characters of a skill name shown in its box
GRAPH_BOX_WIDTH, GRAPH_PER_ROW, GRAPH_LABEL = 170, 6, 18
COOKIE = "pedagogy_key"

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#243b55;color:#fff;padding:12px 24px}header a{color:#fff;text-decoration:none}
main{padding:16px 24px;max-width:1200px}section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px 16px;margin:12px 0}
table{border-collapse:collapse;max-width:100%}td,th{padding:4px 10px;border-bottom:1px solid #eceff3;text-align:left;font-size:14px;overflow-wrap:anywhere}
h2,h3,p{overflow-wrap:anywhere}
.ok{color:#1a7f37}.bad{color:#b42318}.muted{color:#667085;font-size:13px}.next{font-size:18px}
input{padding:6px;font-size:14px;width:360px;max-width:100%}button{padding:6px 14px}
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)} — pedagogy</title>"
        f"<style>{_CSS}</style></head><body><header><a href='/'><b>pedagogy</b> tutoring service</a>"
        f" &nbsp;·&nbsp; <a href='/logout'>log out</a></header><main>{body}</main></body></html>"
    )
    return HTMLResponse(doc, status_code=status)


def _tenant(request: Request) -> int | None:
    key = request.cookies.get(COOKIE)
    if not key:
        return None
    p = request.app.state.store.authenticate(key)
    return p.tenant_id if p is not None and p.tenant_id is not None else None


def _login_form(message: str = "") -> HTMLResponse:
    msg = f"<p class='bad'>{html.escape(message)}</p>" if message else ""
    return _page(
        "log in",
        f"""<section><h2>Dashboard</h2>{msg}
<form method='post' action='/login'><label>Tenant API key<br><input name='key' type='password' autocomplete='off'></label>
<button type='submit'>Open</button></form></section>""",
        401 if message else 200,
    )


def _set_key(key: str, request: Request, then: str = "/") -> Response:
    p = request.app.state.store.authenticate(key)
    if p is None or p.tenant_id is None:
        return _login_form("That is not a valid tenant API key.")
    # only a page of this site: a path, never another host ("//host" or a scheme)
    safe = then.startswith("/") and not then.startswith("//") and "\\" not in then
    resp = RedirectResponse(then if safe else "/", status_code=303)
    resp.set_cookie(COOKIE, key, httponly=True, samesite="strict")
    return resp


@router.get("/login")
def login_get(request: Request, key: str | None = None, then: str = "/") -> Response:
    """The form; ``?key=`` logs in directly and ``&then=`` opens that page (``pedagogy demo`` prints such a URL)."""
    return _set_key(key, request, then) if key else _login_form()


@router.post("/login")
async def login_post(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    return _set_key((form.get("key") or [""])[0].strip(), request)


@router.get("/logout")
def logout() -> Response:
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(COOKIE)
    return resp


@router.get("/")
def home(request: Request) -> Response:
    tid = _tenant(request)
    if tid is None:
        return _login_form()
    rows = request.app.state.store.list_courses(tid)
    body = "".join(
        f"<tr><td><a href='/courses/{quote(c['name'])}'>{html.escape(c['name'])}</a></td>"
        f"<td>{html.escape(c['title'])}</td><td>{html.escape(c['teacher'])}</td></tr>"
        for c in rows
    )
    return _page(
        "courses",
        f"<section><h2>Courses</h2><table><tr><th>course</th><th>title</th><th>teacher</th></tr>"
        f"{body or '<tr><td colspan=3>no courses yet</td></tr>'}</table></section>",
    )


@router.get("/courses/{course}")
def course_page(request: Request, course: str) -> Response:
    tid = _tenant(request)
    if tid is None:
        return _login_form()
    store = request.app.state.store
    try:
        info = store.get_course(tid, course)
        people = store.list_learners(tid, course)
    except ApiError as exc:
        return _page("not found", f"<section><p class='bad'>{html.escape(exc.detail)}</p></section>", exc.status)
    rows = "".join(
        f"<tr><td><a href='/courses/{quote(course)}/learners/{quote(p['learner'])}'>{html.escape(p['learner'])}</a>"
        f"</td><td>{p['n_answers']}</td></tr>"
        for p in people
    )
    svg = skill_graph_svg(info["skills"], {})
    return _page(
        course,
        f"""<section><h2>{html.escape(info["title"] or course)}</h2>
<p class='muted'>teacher <b>{html.escape(info["teacher"])}</b> · student model: {html.escape(info["model"])} ·
{len(info["skills"])} skills · {len(info["items"] or info["skills"])} items</p>{svg}</section>
<section><h3>Learners</h3><table><tr><th>learner</th><th>answers</th></tr>{rows or "<tr><td colspan=2>none yet</td></tr>"}</table></section>""",
    )


@router.get("/courses/{course}/learners/{learner}")
def learner_page(request: Request, course: str, learner: str) -> Response:
    tid = _tenant(request)
    if tid is None:
        return _login_form()
    store = request.app.state.store
    try:
        m = store.mastery(tid, course, learner)
        hist = store.history(tid, course, learner, 20, 0, newest_first=True)
        nxt = store.preview_next(tid, course, learner)
    except ApiError as exc:
        return _page("not found", f"<section><p class='bad'>{html.escape(exc.detail)}</p></section>", exc.status)
    skills = {r["skill"]: r["prerequisites"] for r in m["skills"]}
    known = {r["skill"]: r["p_known"] for r in m["skills"]}
    svg = skill_graph_svg(skills, known, threshold=m["mastery_threshold"], target=nxt["target_skill"])
    answers = "".join(
        f"<tr><td>{a['seq']}</td><td>{html.escape(a['item'])}</td>"
        f"<td class='{'ok' if a['score'] >= 0.5 else 'bad'}'>{a['score']:g}</td>"
        f"<td>{a['predicted_success']:.2f}</td><td class='muted'>{html.escape(a['timestamp'])}</td></tr>"
        for a in hist["answers"]
    )
    return _page(
        f"{learner} in {course}",
        f"""
<section id='next'><h2>{html.escape(learner)} <span class='muted'>in {html.escape(course)}</span></h2>
<p class='next'>Next: <b id='next-item'>{html.escape(nxt["item"])}</b> (skill <b>{html.escape(nxt["target_skill"])}</b>)</p>
<p id='reason'>{html.escape(nxt["reason"])}</p>
<p class='muted' id='mastery'>{m["n_answers"]} answers · {html.escape(mastery_summary(m["skills"], m["mastery_threshold"]))}</p></section>
<section><h3>Skill graph</h3>{svg}
<p class='muted'>colour: P(known) from red (0) to green (1); thick border: mastered; dashed: the skill practised next</p></section>
<section><h3>Recent answers</h3><table id='answers'><tr><th>#</th><th>item</th><th>score</th><th>predicted</th><th>time</th></tr>
{answers or "<tr><td colspan=5>no answers yet</td></tr>"}</table></section>""",
    )


def _colour(p: float) -> str:
    """Red (0) -> amber (0.5) -> green (1)."""
    p = min(max(p, 0.0), 1.0)
    stops = [(0.0, (215, 48, 39)), (0.5, (254, 224, 139)), (1.0, (26, 152, 80))]
    for (a, ca), (b, cb) in zip(stops, stops[1:]):
        if p <= b:
            t = (p - a) / (b - a)
            return "#" + "".join(f"{round(x + t * (y - x)):02x}" for x, y in zip(ca, cb))
    return "#1a9850"


def _depths(prereq: dict[str, list[str]]) -> dict[str, int]:
    """Each skill's depth (longest prerequisite chain below it), without recursion: chains may be long."""
    depth: dict[str, int] = {}
    for root in prereq:
        stack = [root]
        while stack:
            s = stack[-1]
            if s in depth:
                stack.pop()
                continue
            todo = [p for p in prereq[s] if p not in depth]
            if todo:
                stack.extend(todo)
            else:
                depth[s] = 1 + max((depth[p] for p in prereq[s]), default=-1)
                stack.pop()
    return depth


def skill_graph_svg(prereq: dict[str, list[str]], known: dict[str, float], threshold: float = 0.95, target: str | None = None) -> str:
    """An inline SVG of a prerequisite graph: one band per depth, prerequisites above, at most 1,100 px wide."""
    depth = _depths(prereq)
    levels: dict[int, list[str]] = {}
    for s in prereq:
        levels.setdefault(depth[s], []).append(s)
    # Prerequisites above, one band of rows per depth; a band wraps after PER_ROW skills, so the
    # graph is never wider than the page (long courses grow downwards, where pages scroll).
    w, h, gx, gy, gband, pad = GRAPH_BOX_WIDTH, 34, 16, 12, 44, 10
    pos: dict[str, tuple[int, int]] = {}
    y = pad
    for lv in sorted(levels):
        names = levels[lv]
        for i, s in enumerate(names):
            r, c = divmod(i, GRAPH_PER_ROW)
            pos[s] = (pad + c * (w + gx), y + r * (h + gy))
        rows = -(-len(names) // GRAPH_PER_ROW)
        y += rows * (h + gy) - gy + gband
    width = pad * 2 + min(GRAPH_PER_ROW, max(len(v) for v in levels.values())) * (w + gx) - gx
    height = int(y - gband + pad)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' id='skill-graph' width='{width}' height='{height}' "
        "style='max-width:100%;height:auto' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='skill graph'>",
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='6' markerHeight='6' "
        "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#98a2b3'/></marker></defs>",
    ]
    for s, pre in prereq.items():
        x2, y2 = pos[s]
        for q in pre:
            x1, y1 = pos[q]
            parts.append(
                f"<line x1='{x1 + w / 2}' y1='{y1 + h}' x2='{x2 + w / 2}' y2='{y2}' stroke='#98a2b3' "
                "stroke-width='1.2' marker-end='url(#arrow)'/>"
            )
    for s in prereq:
        x, y = pos[s]
        p = known.get(s)
        fill = _colour(p) if p is not None else "#e4e7ec"
        mastered = p is not None and p >= threshold
        stroke = "stroke='#101828' stroke-width='3'" if mastered else "stroke='#475467' stroke-width='1'"
        if s == target:
            stroke = "stroke='#1d4ed8' stroke-width='3' stroke-dasharray='6 3'"
        label = html.escape(s if len(s) <= GRAPH_LABEL else s[: GRAPH_LABEL - 1] + "…") + (f" · {p:.0%}" if p is not None else "")
        title = html.escape(s) + (f": P(known) {p:.2f}" if p is not None else "")
        parts.append(
            f"<g class='skill' data-skill='{html.escape(s)}' data-p-known='{'' if p is None else f'{p:.4f}'}'>"
            f"<title>{title}</title><rect x='{x}' y='{y}' width='{w}' height='{h}' rx='6' fill='{fill}' {stroke}/>"
            f"<text x='{x + w / 2}' y='{y + h / 2 + 4}' text-anchor='middle' font-size='12'>{label}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
