"""Load benchmark of the tutoring service (not a test).

Starts ``pedagogy serve`` on loopback (a separate process), then drives it from
this process with httpx (async, a bounded number of requests):

* cycles: many learners, each cycle = POST one answer + GET next; throughput
  (cycles/s) and p50/p99 latency of each request and of the whole cycle;
* batched ingest: POST batches of answers (answers/s).

For SQLite (a fresh temp file) and, with ``--postgres URL`` (or env
``PEDAGOGY_BENCH_POSTGRES_URL``; a server URL: a fresh database is created
on it and dropped afterwards), PostgreSQL.

    python benchmarks/service_load.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import httpx

ADMIN = "pdg_bench_admin"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: str, workers: int, extra: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "pedagogy.cli",
        "serve",
        "--db",
        db,
        "--port",
        str(port),
        "--admin-key",
        ADMIN,
        "--workers",
        str(workers),
        "--log-level",
        "error",
        *extra,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    import signal

    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def setup(url: str, teacher: str) -> tuple[str, list[str]]:
    from pedagogy.service.demo import demo_course

    h = {"Authorization": f"Bearer {ADMIN}"}
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    httpx.post(url + "/v1/tenants", json={"name": tenant}, headers=h, timeout=30).raise_for_status()
    key = httpx.post(url + f"/v1/tenants/{tenant}/keys", json={}, headers=h, timeout=30).json()["key"]
    course = demo_course(teacher)
    r = httpx.post(url + "/v1/courses", json=course, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    r.raise_for_status()
    return key, list(course["items"])


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


async def cycles(url: str, key: str, items: list[str], n_learners: int, n_cycles: int, concurrency: int, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(seed)
    h = {"Authorization": f"Bearer {key}"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n_cycles):
        queue.put_nowait(i)
    last_item = {}
    lat_answer: list[float] = []
    lat_next: list[float] = []
    lat_cycle: list[float] = []
    errors = 0
    busy: set[int] = set()

    async def worker(client: httpx.AsyncClient, w: int) -> None:
        nonlocal errors
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            # one request at a time per learner (a learner answers, then asks for the next item)
            learner = (i * 7919 + w) % n_learners
            while learner in busy:
                learner = (learner + 1) % n_learners
            busy.add(learner)
            item = last_item.get(learner) or rng.choice(items)
            t0 = time.perf_counter()
            r1 = await client.post(
                f"/v1/courses/fractions/learners/b{learner}/answers", json={"item": item, "correct": rng.random() < 0.7}, headers=h
            )
            t1 = time.perf_counter()
            r2 = await client.get(f"/v1/courses/fractions/learners/b{learner}/next", headers=h)
            t2 = time.perf_counter()
            busy.discard(learner)
            if r1.status_code != 200 or r2.status_code != 200:
                errors += 1
            else:
                last_item[learner] = r2.json()["items"][0]["item"]
            lat_answer.append(t1 - t0)
            lat_next.append(t2 - t1)
            lat_cycle.append(t2 - t0)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        t_start = time.perf_counter()
        await asyncio.gather(*(worker(client, w) for w in range(concurrency)))
        wall = time.perf_counter() - t_start
    return {
        "cycles": n_cycles,
        "errors": errors,
        "seconds": wall,
        "cycles_per_s": n_cycles / wall,
        "cycle_p50_ms": _pct(lat_cycle, 0.5),
        "cycle_p99_ms": _pct(lat_cycle, 0.99),
        "request_p50_ms": _pct(lat_answer + lat_next, 0.5),
        "request_p99_ms": _pct(lat_answer + lat_next, 0.99),
        "answer_p50_ms": _pct(lat_answer, 0.5),
        "next_p50_ms": _pct(lat_next, 0.5),
    }


async def ingest(url: str, key: str, items: list[str], n_batches: int, batch: int, concurrency: int) -> dict[str, Any]:
    rng = random.Random(1)
    h = {"Authorization": f"Bearer {key}"}
    bodies = [[{"item": rng.choice(items), "correct": int(rng.random() < 0.7)} for _ in range(batch)] for _ in range(n_batches)]
    sem = asyncio.Semaphore(concurrency)
    lat: list[float] = []

    async def one(client: httpx.AsyncClient, k: int) -> int:
        async with sem:
            t0 = time.perf_counter()
            r = await client.post(f"/v1/courses/fractions/learners/ingest{k}/answers", json=bodies[k], headers=h)
            lat.append(time.perf_counter() - t0)
            return r.status_code

    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        t0 = time.perf_counter()
        codes = await asyncio.gather(*(one(client, k) for k in range(n_batches)))
        wall = time.perf_counter() - t0
    return {
        "answers": n_batches * batch,
        "batch": batch,
        "errors": sum(c != 200 for c in codes),
        "seconds": wall,
        "answers_per_s": n_batches * batch / wall,
        "batch_p50_ms": _pct(lat, 0.5),
    }


def run_backend(name: str, db: str, args: argparse.Namespace, workers: int, extra: list[str]) -> dict[str, Any]:
    proc, url = start_server(db, workers, extra)
    try:
        key, items = setup(url, args.teacher)
        asyncio.run(cycles(url, key, items, args.learners, min(300, args.cycles), args.concurrency, seed=99))  # warm-up
        res = asyncio.run(cycles(url, key, items, args.learners, args.cycles, args.concurrency))
        ing = asyncio.run(ingest(url, key, items, args.batches, args.batch_size, min(4, args.concurrency)))
    finally:
        stop_server(proc)
    return {"backend": name, "workers": workers, **res, "ingest": ing}


def _pg_database(server_url: str) -> tuple[str, Any]:
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(server_url)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"pedagogy_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--postgres",
        default=os.environ.get("PEDAGOGY_BENCH_POSTGRES_URL"),
        help="PostgreSQL server URL (a database is created on it); default env PEDAGOGY_BENCH_POSTGRES_URL",
    )
    p.add_argument("--cycles", type=int, default=3000, help="answer+next cycles measured per backend (default 3000)")
    p.add_argument("--learners", type=int, default=500, help="distinct learners (default 500)")
    p.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    p.add_argument("--batches", type=int, default=40, help="ingest: batches (default 40)")
    p.add_argument("--batch-size", type=int, default=500, help="ingest: answers per batch (default 500)")
    p.add_argument("--teacher", default="mastery", help="the course's teacher (default mastery)")
    p.add_argument("--sqlite-workers", type=int, default=1)
    p.add_argument("--postgres-workers", type=int, default=2)
    p.add_argument("--sqlite-synchronous", choices=["full", "normal"], default="full")
    p.add_argument("--skip-sqlite", action="store_true")
    args = p.parse_args(argv)
    results = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(
                run_backend(
                    f"SQLite (synchronous={args.sqlite_synchronous})",
                    os.path.join(tmp, "bench.db"),
                    args,
                    args.sqlite_workers,
                    ["--sqlite-synchronous", args.sqlite_synchronous],
                )
            )
    if args.postgres:
        db, drop = _pg_database(args.postgres)
        try:
            results.append(run_backend("PostgreSQL", db, args, args.postgres_workers, []))
        finally:
            drop()
    print(
        f"pedagogy service load: {args.cycles} answer+next cycles, {args.learners} learners, {args.concurrency} in "
        f"flight; ingest {args.batches} x {args.batch_size} answers; {os.cpu_count()} CPUs; teacher {args.teacher}"
    )
    print("| backend | workers | cycles/s | cycle p50 ms | cycle p99 ms | request p50 ms | request p99 ms | errors | ingest answers/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['backend']} | {r['workers']} | {r['cycles_per_s']:.0f} | {r['cycle_p50_ms']:.1f} | {r['cycle_p99_ms']:.1f} | "
            f"{r['request_p50_ms']:.1f} | {r['request_p99_ms']:.1f} | {r['errors'] + r['ingest']['errors']} | "
            f"{r['ingest']['answers_per_s']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
