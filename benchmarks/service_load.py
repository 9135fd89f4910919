"""Load benchmark of the tutoring service (not a test): throughput and tail against a hello-world ceiling.

Each configuration runs ``pedagogy serve`` on loopback (a separate process) on a
fresh database and drives it from this process with a light client: raw
asyncio HTTP/1.1 on keep-alive connections, one connection per request in
flight, so the client costs little CPU next to the server on the same cores.

* ceiling: a FastAPI hello-world served by the same uvicorn with the same
  settings, in the same run, driven by the same client (requests/s);
* cycles: ``--learners`` learners on the demo's 20-skill fractions course; a
  cycle is POST one answer + GET next; cycles/s, the ratio cycles per
  hello-world request, p50/p99 per cycle and per request kind, and server CPU
  seconds per cycle (from ``/proc`` of the server's processes);
* tenant isolation: a small tenant's cycles alone, then while a large tenant
  ingests big batches; the small tenant's p99 in both.

Backends: SQLite (default settings: ``synchronous=full``; one worker), and with
``--postgres URL`` (or env ``PEDAGOGY_BENCH_POSTGRES_URL``, a server URL: a
fresh database is created per configuration and dropped after) PostgreSQL with
each of ``--postgres-workers`` (default 1,2,4).  Run the PostgreSQL server
with ``fsync=on`` for figures that mean durable commits.

    python benchmarks/service_load.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

ADMIN = "pdg_bench_admin"
HOST = "127.0.0.1"


# ------------------------------------------------------------------ client
class Conn:
    """One keep-alive HTTP/1.1 connection (no pipelining): send a request, read its response."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        data = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {len(data)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        if key:
            head += f"Authorization: Bearer {key}\r\n"
        self.writer.write(head.encode() + b"\r\n" + data)
        assert self.reader is not None
        status_line = await self.reader.readline()
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            self.close()
        return int(status_line.split()[1]), payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


# ------------------------------------------------------------------ servers
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes], path: str) -> None:
    async def probe() -> int:
        c = Conn(port)
        try:
            return (await c.request("GET", path))[0]
        finally:
            c.close()

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            if asyncio.run(probe()) == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def start_service(db: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    cmd = [sys.executable, "-m", "pedagogy.cli", "serve", "--db", db, "--port", str(port), "--admin-key", ADMIN]
    cmd += ["--workers", str(workers), "--log-level", "error"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _wait(port, proc, "/healthz")
    return proc, port


def start_hello() -> tuple[subprocess.Popen[bytes], int]:
    """A FastAPI hello-world on the uvicorn settings ``pedagogy serve`` uses (one worker, keep-alive 30 s)."""
    port = _free_port()
    code = (
        "import uvicorn; from fastapi import FastAPI; app = FastAPI()\n"
        "@app.get('/hello')\nasync def hello() -> dict: return {'hello': 'world'}\n"
        f"uvicorn.run(app, host='{HOST}', port={port}, log_level='error', timeout_keep_alive=30)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _wait(port, proc, "/hello")
    return proc, port


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its children (uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        children = open(f"/proc/{pid}/task/{pid}/children").read().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


# ------------------------------------------------------------------ phases
async def hello_rate(port: int, n: int, concurrency: int) -> float:
    left = n

    async def worker() -> None:
        nonlocal left
        c = Conn(port)
        while left > 0:
            left -= 1
            await c.request("GET", "/hello")
        c.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - t0)


async def cycles(
    port: int, key: str, course: str, items: list[str], prefix: str, n_learners: int, n_cycles: int, concurrency: int, seed: int = 0
) -> dict[str, Any]:
    """``n_cycles`` answer+next cycles, one learner at a time per connection; latencies in ms."""
    rng = random.Random(seed)
    todo = list(range(n_cycles))
    lat_answer: list[float] = []
    lat_next: list[float] = []
    lat_cycle: list[float] = []
    errors = 0
    last: dict[int, str] = {}
    free = list(range(n_learners))
    rng.shuffle(free)

    async def worker() -> None:
        nonlocal errors
        c = Conn(port)
        while todo:
            todo.pop()
            learner = free.pop(0)  # no two requests of one learner at once
            item = last.get(learner) or rng.choice(items)
            base = f"/v1/courses/{course}/learners/{prefix}{learner}"
            t0 = time.perf_counter()
            s1, _ = await c.request("POST", base + "/answers", {"item": item, "correct": rng.random() < 0.7}, key)
            t1 = time.perf_counter()
            s2, body = await c.request("GET", base + "/next", None, key)
            t2 = time.perf_counter()
            free.append(learner)
            if s1 != 200 or s2 != 200:
                errors += 1
            else:
                last[learner] = json.loads(body)["items"][0]["item"]
            lat_answer.append(t1 - t0)
            lat_next.append(t2 - t1)
            lat_cycle.append(t2 - t0)
        c.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    return {
        "cycles": n_cycles,
        "errors": errors,
        "seconds": wall,
        "cycles_per_s": n_cycles / wall,
        "cycle_p50_ms": _pct(lat_cycle, 0.5),
        "cycle_p99_ms": _pct(lat_cycle, 0.99),
        "answer_p50_ms": _pct(lat_answer, 0.5),
        "answer_p99_ms": _pct(lat_answer, 0.99),
        "next_p50_ms": _pct(lat_next, 0.5),
        "next_p99_ms": _pct(lat_next, 0.99),
    }


async def ingest(port: int, key: str, course: str, items: list[str], n_batches: int, batch: int, concurrency: int) -> dict[str, Any]:
    rng = random.Random(1)
    bodies = [[{"item": rng.choice(items), "correct": rng.random() < 0.7} for _ in range(batch)] for _ in range(n_batches)]
    todo = list(range(n_batches))
    lat: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        c = Conn(port)
        while todo:
            k = todo.pop()
            t0 = time.perf_counter()
            status, _ = await c.request("POST", f"/v1/courses/{course}/learners/ingest{k}/answers", bodies[k], key)
            lat.append(time.perf_counter() - t0)
            errors += status != 200
        c.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    return {
        "answers": n_batches * batch,
        "batch": batch,
        "errors": errors,
        "answers_per_s": n_batches * batch / wall,
        "batch_p50_ms": _pct(lat, 0.5),
    }


async def tenant(port: int, name: str, course: dict[str, Any]) -> str:
    c = Conn(port)
    s, _ = await c.request("POST", "/v1/tenants", {"name": name}, ADMIN)
    assert s == 201
    s, body = await c.request("POST", f"/v1/tenants/{name}/keys", {}, ADMIN)
    key = json.loads(body)["key"]
    s, body = await c.request("POST", "/v1/courses", course, key)
    assert s == 201, body
    c.close()
    return str(key)


def run_config(label: str, db: str, workers: int, args: argparse.Namespace, hello: float) -> dict[str, Any]:
    from pedagogy.service.demo import demo_course

    proc, port = start_service(db, workers)
    try:
        course = demo_course(args.teacher)
        items = list(course["items"])
        key = asyncio.run(tenant(port, "big", course))
        asyncio.run(cycles(port, key, "fractions", items, "w", args.learners, min(400, args.cycles), args.concurrency, seed=9))
        cpu0 = cpu_seconds(proc.pid)
        res = asyncio.run(cycles(port, key, "fractions", items, "b", args.learners, args.cycles, args.concurrency))
        res["cpu_ms_per_cycle"] = (cpu_seconds(proc.pid) - cpu0) / args.cycles * 1000
        res["per_hello_request"] = res["cycles_per_s"] / hello
        # tenant isolation: a small tenant's cycles alone, then during the big tenant's batches
        small = {"name": "small", "skills": {"a": [], "b": ["a"], "c": ["b"]}}
        skey = asyncio.run(tenant(port, "small", small))
        alone = asyncio.run(cycles(port, skey, "small", ["a", "b", "c"], "s", 16, args.isolation_cycles, 4))

        async def both() -> tuple[dict[str, Any], dict[str, Any]]:
            ing = asyncio.create_task(ingest(port, key, "fractions", items, args.batches, args.batch_size, 2))
            await asyncio.sleep(0.05)
            during = await cycles(port, skey, "small", ["a", "b", "c"], "t", 16, args.isolation_cycles, 4)
            return during, await ing

        during, ing = asyncio.run(both())
    finally:
        stop(proc)
    return {"backend": label, "workers": workers, **res, "small_alone": alone, "small_during_ingest": during, "ingest": ing}


def _pg_database(server_url: str) -> tuple[str, Callable[[], None]]:
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
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument(
        "--postgres", default=os.environ.get("PEDAGOGY_BENCH_POSTGRES_URL"), help="PostgreSQL server URL (env PEDAGOGY_BENCH_POSTGRES_URL)"
    )
    p.add_argument("--postgres-workers", default="1,2,4", help="server processes to try on PostgreSQL (default 1,2,4)")
    p.add_argument("--cycles", type=int, default=3000, help="answer+next cycles measured per configuration (default 3000)")
    p.add_argument("--learners", type=int, default=200, help="distinct learners (default 200)")
    p.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    p.add_argument("--hello-requests", type=int, default=10_000, help="hello-world requests for the ceiling (default 10000)")
    p.add_argument("--isolation-cycles", type=int, default=400, help="the small tenant's cycles, alone and during ingest (default 400)")
    p.add_argument("--batches", type=int, default=20, help="the big tenant's batches during the isolation phase (default 20)")
    p.add_argument("--batch-size", type=int, default=1000, help="answers per batch (default 1000, the service's limit)")
    p.add_argument("--teacher", default="mastery", help="the course's teacher (default mastery)")
    p.add_argument("--skip-sqlite", action="store_true")
    p.add_argument("--json", help="also write the results to this JSON file")
    args = p.parse_args(argv)

    hproc, hport = start_hello()
    try:
        asyncio.run(hello_rate(hport, 1000, args.concurrency))
        hello = asyncio.run(hello_rate(hport, args.hello_requests, args.concurrency))
    finally:
        stop(hproc)
    results = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run_config("SQLite", os.path.join(tmp, "bench.db"), 1, args, hello))
    if args.postgres:
        for w in (int(x) for x in args.postgres_workers.split(",")):
            db, drop = _pg_database(args.postgres)
            try:
                results.append(run_config("PostgreSQL", db, w, args, hello))
            finally:
                drop()
    load = os.getloadavg()
    print(
        f"pedagogy service load: {args.cycles} answer+next cycles, {args.learners} learners, {args.concurrency} in flight, "
        f"teacher {args.teacher}; {os.cpu_count()} CPUs; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"hello-world ceiling {hello:.0f} requests/s"
    )
    print(
        "| backend | workers | cycles/s | cycles per hello request | cycle p50 ms | cycle p99 ms | answer p50/p99 ms | "
        "next p50/p99 ms | server CPU ms/cycle | small tenant p99 alone / during ingest ms | ingest answers/s | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        errs = r["errors"] + r["ingest"]["errors"] + r["small_alone"]["errors"] + r["small_during_ingest"]["errors"]
        print(
            f"| {r['backend']} | {r['workers']} | {r['cycles_per_s']:.0f} | {r['per_hello_request']:.3f} | {r['cycle_p50_ms']:.1f} | "
            f"{r['cycle_p99_ms']:.1f} | {r['answer_p50_ms']:.1f} / {r['answer_p99_ms']:.1f} | {r['next_p50_ms']:.1f} / {r['next_p99_ms']:.1f} | "
            f"{r['cpu_ms_per_cycle']:.1f} | {r['small_alone']['cycle_p99_ms']:.1f} / {r['small_during_ingest']['cycle_p99_ms']:.1f} | "
            f"{r['ingest']['answers_per_s']:.0f} | {errs} |"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"hello_requests_per_s": hello, "load_average": load, "args": vars(args), "results": results}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
