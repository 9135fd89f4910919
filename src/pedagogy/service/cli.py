"""``pedagogy serve``, ``pedagogy tenant`` and ``pedagogy demo``: the tutoring service (needs the ``[service]`` extra).

Only argparse is imported here; FastAPI, SQLAlchemy and uvicorn are imported
when a command runs.
"""

from __future__ import annotations

import argparse
import os
import sys

from pedagogy.service.config import ENV, Settings

__all__ = ["add_parser"]

_MISSING = "the service needs the [service] extra: pip install 'pedagogy[service]'"


def _env_help(name: str, default: object) -> str:
    var, text = ENV[name]
    return f"{text} (env {var}; default {default})"


def add_parser(sub: argparse._SubParsersAction) -> None:
    d = Settings()
    p = sub.add_parser(
        "serve",
        help="run the tutoring service (HTTP API + dashboard)",
        description="Run the tutoring service: REST API under /v1 (OpenAPI at /openapi.json) and the dashboard at /. "
        "Applies the database migrations first. With no configuration it uses ./pedagogy.db (SQLite) and, "
        "on the first start, prints an admin API key once. Every option can also be set by the "
        "environment variable named in its help.",
    )
    p.add_argument("--db", help=_env_help("db", d.db))
    p.add_argument("--host", help=_env_help("host", d.host))
    p.add_argument("--port", type=int, help=_env_help("port", d.port))
    p.add_argument("--workers", type=int, help=_env_help("workers", d.workers) + "; use PostgreSQL for more than one")
    p.add_argument("--max-body-bytes", type=int, help=_env_help("max_body_bytes", d.max_body_bytes))
    p.add_argument("--admin-key", help=_env_help("admin_key", "none"))
    p.add_argument("--pool-size", type=int, help=_env_help("pool_size", d.pool_size))
    p.add_argument("--sqlite-synchronous", choices=["full", "normal"], help=_env_help("sqlite_synchronous", d.sqlite_synchronous))
    p.add_argument("--threads", type=int, help=_env_help("threads", d.threads))
    p.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"], help=_env_help("log_level", d.log_level))
    p.set_defaults(func=_cmd_serve)

    t = sub.add_parser(
        "tenant",
        help="create a tenant (if new) and an API key for it; prints the key",
        description="Create tenant NAME in the service's database (if it does not exist yet) and a new API key for it, "
        "and print the key on standard output (it is shown only once; only its hash is stored). The key opens the "
        "tenant's courses and learners over HTTP and the dashboard. Works on the database directly, with or without "
        "a running server; applies the migrations first. Example: KEY=$(pedagogy tenant acme)",
    )
    t.add_argument("name", help="the tenant's name (1-200 characters, no '/')")
    t.add_argument("--db", help=_env_help("db", d.db))
    t.add_argument("--label", default="", help="a label for the key, shown when keys are listed (default none)")
    t.set_defaults(func=_cmd_tenant)

    q = sub.add_parser(
        "demo",
        help="the service with a demo course and simulated students",
        description="Start the service on a SQLite file, load a fractions course (20 skills with prerequisites, 3 items "
        "each) and let simulated students (pedagogy.sim StudentsLearner) answer through the HTTP API; "
        "prints the dashboard URL.",
    )
    q.add_argument("--duration", type=float, default=60.0, help="seconds the students answer (default 60)")
    q.add_argument("--students", type=int, default=4, help="simulated students (default 4)")
    q.add_argument("--pace", type=float, default=0.1, help="seconds between rounds of answers (default 0.1)")
    q.add_argument("--db", default="pedagogy-demo.db", help="SQLite file (default pedagogy-demo.db)")
    q.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    q.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    q.add_argument("--exit", action="store_true", help="stop when the students are done (default: keep serving until Ctrl-C)")
    q.set_defaults(func=_cmd_demo)


def _have_extra(command: str) -> bool:
    import importlib.util

    missing = [m for m in ("fastapi", "sqlalchemy", "alembic", "uvicorn", "httpx") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"pedagogy {command}: error: {_MISSING} (missing: {', '.join(missing)})", file=sys.stderr)
    return not missing


def _cmd_serve(args: argparse.Namespace) -> int:
    if not _have_extra("serve"):
        return 2
    import uvicorn

    from pedagogy.service.app import create_app
    from pedagogy.service.db import migrate, normalise_url
    from pedagogy.service.store import Store

    try:
        settings = Settings.from_env(
            db=args.db,
            host=args.host,
            port=args.port,
            workers=args.workers,
            max_body_bytes=args.max_body_bytes,
            admin_key=args.admin_key,
            pool_size=args.pool_size,
            log_level=args.log_level,
            sqlite_synchronous=args.sqlite_synchronous,
            threads=args.threads,
        )
        settings.db = normalise_url(settings.db)
        migrate(settings.db)
        store = Store(settings.db, pool_size=settings.pool_size, sqlite_synchronous=settings.sqlite_synchronous)
        created = store.ensure_admin_key(settings.admin_key)
    except Exception as exc:  # a bad URL, an unreachable database, ...
        print(f"pedagogy serve: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"pedagogy service on http://{settings.host}:{settings.port}  (database {_safe(settings.db)}, "
        f"{settings.workers} worker{'s' if settings.workers > 1 else ''})",
        flush=True,
    )
    if created and not settings.admin_key:
        print(f"first admin API key (shown once, store it): {created}", flush=True)
    if settings.workers == 1:
        app = create_app(settings, migrate=False, store=store)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, timeout_keep_alive=30)
    else:
        store.dispose()
        os.environ.update(settings.to_env())
        uvicorn.run(
            "pedagogy.service.app:app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            timeout_keep_alive=30,
        )
    return 0


def _cmd_tenant(args: argparse.Namespace) -> int:
    if not _have_extra("tenant"):
        return 2
    from pedagogy.service import inputs
    from pedagogy.service.db import migrate, normalise_url
    from pedagogy.service.errors import ApiError
    from pedagogy.service.store import Store

    try:
        inputs.path_name(args.name, "tenant name")
        inputs.text(args.label, "--label", empty=True)
        settings = Settings.from_env(db=args.db)
        db = normalise_url(settings.db)
        migrate(db)
        store = Store(db)
    except ApiError as exc:
        print(f"pedagogy tenant: error: {exc.detail}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bad URL, an unreachable database, ...
        print(f"pedagogy tenant: error: {exc}", file=sys.stderr)
        return 2
    try:
        created = store.ensure_tenant(args.name)
        key = store.create_key(args.name, args.label)
    finally:
        store.dispose()
    what = "created tenant" if created else "tenant"
    print(f"{what} {args.name!r} (database {_safe(db)}); its new API key (shown once, store it):", file=sys.stderr)
    print(key["key"], flush=True)
    return 0


def _safe(url: str) -> str:
    """The URL without a password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _cmd_demo(args: argparse.Namespace) -> int:
    if not _have_extra("demo"):
        return 2
    from pedagogy.service.demo import run_demo

    return run_demo(args.port, args.host, args.db, args.duration, args.students, args.pace, keep_serving=not args.exit)
