"""``pedagogy demo``: the service on SQLite with a fractions course and simulated students answering."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any
from urllib.parse import quote

__all__ = ["FRACTIONS", "demo_course", "run_demo"]

#: 20 skills of a fractions unit, each with the skills it needs first
FRACTIONS: dict[str, list[str]] = {
    "counting": [],
    "addition": ["counting"],
    "subtraction": ["addition"],
    "multiplication": ["addition"],
    "division": ["multiplication", "subtraction"],
    "factors": ["multiplication"],
    "common-multiples": ["factors"],
    "fraction-concept": ["division"],
    "fractions-on-number-line": ["fraction-concept"],
    "equivalent-fractions": ["fraction-concept", "multiplication"],
    "simplifying-fractions": ["equivalent-fractions", "factors"],
    "comparing-fractions": ["equivalent-fractions", "fractions-on-number-line"],
    "mixed-numbers": ["fraction-concept", "division"],
    "adding-like-fractions": ["fraction-concept", "addition"],
    "adding-unlike-fractions": ["adding-like-fractions", "equivalent-fractions", "common-multiples"],
    "subtracting-fractions": ["adding-unlike-fractions", "subtraction"],
    "multiplying-fractions": ["fraction-concept", "multiplication"],
    "dividing-fractions": ["multiplying-fractions", "division"],
    "fractions-to-decimals": ["fraction-concept", "division"],
    "fraction-word-problems": ["subtracting-fractions", "dividing-fractions", "comparing-fractions"],
}


def demo_course(teacher: str = "mastery", items_per_skill: int = 3) -> dict[str, Any]:
    """The demo course document: the graph above, ``items_per_skill`` items per skill."""
    items = {f"{s}-{k + 1}": s for s in FRACTIONS for k in range(items_per_skill)}
    return {"name": "fractions", "title": "Fractions (demo)", "skills": FRACTIONS, "items": items, "teacher": teacher}


def run_demo(port: int, host: str, db: str, duration: float, students: int, pace: float, keep_serving: bool) -> int:
    import httpx
    import uvicorn

    from pedagogy.service.app import create_app
    from pedagogy.service.config import Settings
    from pedagogy.service.core import mastery_summary
    from pedagogy.service.store import Store
    from pedagogy.sim.students import StudentsLearner

    settings = Settings(db=db, host=host, port=port)
    from pedagogy.service.db import migrate

    migrate(db)
    store = Store(db)
    admin = "pdg_" + secrets.token_urlsafe(32)  # this run's own admin key
    store.ensure_admin_key(admin)
    app = create_app(settings, migrate=False, store=store)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            print("pedagogy demo: error: the server did not start (is the port in use?)")
            return 2
        time.sleep(0.05)
    with httpx.Client(base_url=base, timeout=30) as http:
        a = {"Authorization": f"Bearer {admin}"}
        http.post("/v1/tenants", json={"name": "demo"}, headers=a)  # 409 when it exists: fine
        key = http.post("/v1/tenants/demo/keys", json={"label": "demo"}, headers=a).json()["key"]
        h = {"Authorization": f"Bearer {key}"}
        course = demo_course()
        http.post("/v1/courses", json=course, headers=h)
        learners = {f"student-{i + 1}": StudentsLearner(FRACTIONS, seed=i) for i in range(students)}
        first = next(iter(learners))
        print(f"pedagogy demo: serving on {base} (SQLite file {db})")
        print(f"dashboard of {first}: {base}/login?key={key}&then=" + quote(f"/courses/fractions/learners/{first}", safe=""))
        print(f"API key of tenant 'demo': {key}")
        skill_of = course["items"]
        end = time.monotonic() + duration
        n = 0
        while time.monotonic() < end:
            for name, student in learners.items():
                nxt = http.get(f"/v1/courses/fractions/learners/{name}/next", headers=h).json()["items"][0]
                score = student.practice(skill_of[nxt["item"]])
                http.post(f"/v1/courses/fractions/learners/{name}/answers", json={"item": nxt["item"], "correct": score}, headers=h)
                n += 1
            time.sleep(pace)
        print(f"pedagogy demo: {students} simulated students gave {n} answers in {duration:g} s")
        # the dashboard's measure: skills whose P(known) under the course's student model reaches the threshold
        for name in learners:
            m = http.get(f"/v1/courses/fractions/learners/{name}/mastery", headers=h).json()
            summary = mastery_summary(m["skills"], m["mastery_threshold"])
            print(f"  {name}: {summary}  {base}/courses/fractions/learners/{name}")
    if keep_serving:
        print("serving until Ctrl-C")
        try:
            while thread.is_alive():
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    server.should_exit = True
    thread.join(timeout=10)
    store.dispose()
    return 0
