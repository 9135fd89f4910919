"""The service's storage operations: one transaction per request.

Every change to a learner — answers (plain or xAPI) and proposals (``next``
advances the teacher's random generator) — is a read-modify-write of the
learner's ``learner_states`` row inside one transaction that also stores the
answers and, when given, the idempotency record.  The row is locked first:
``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every write transaction is
``BEGIN IMMEDIATE`` (see :mod:`pedagogy.service.db`), so writers are
serialised.  Unique keys are the last guard against concurrent duplicates: a
losing transaction rolls back and the request is retried, and then finds the
winner's row (an idempotent replay, or a stored xAPI statement).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, cast, overload

from sqlalchemy import Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from pedagogy.service import core
from pedagogy.service.db import make_engine
from pedagogy.service.errors import ApiError, not_found
from pedagogy.service.models import Answer, ApiKey, Course, IdempotencyKey, Learner, LearnerState, Tenant, XapiStatement
from pedagogy.service.xapi import ANSWERED_VERB

__all__ = ["Store", "ApiError", "Principal", "hash_token", "AnswerIn", "ANSWERED_VERB", "replay"]

T = TypeVar("T")

# SQLAlchemy types ``__table__`` as a FromClause; a declarative model's is a Table.
tenants = cast(Table, Tenant.__table__)
api_keys = cast(Table, ApiKey.__table__)
courses = cast(Table, Course.__table__)
learners = cast(Table, Learner.__table__)
states = cast(Table, LearnerState.__table__)
answers_t = cast(Table, Answer.__table__)
xapi_t = cast(Table, XapiStatement.__table__)
idem_t = cast(Table, IdempotencyKey.__table__)

# Statements of the hot paths, built once (SQLAlchemy then reuses their compiled form).
_Q_KEY = select(api_keys.c.id, api_keys.c.tenant_id, api_keys.c.is_admin).where(
    api_keys.c.key_hash == bindparam("h"), api_keys.c.revoked_at.is_(None)
)
_Q_COURSE_ID = select(courses.c.id).where(courses.c.tenant_id == bindparam("t"), courses.c.name == bindparam("n"))
_Q_COURSE_BY_ID = select(courses).where(courses.c.id == bindparam("c"))
_Q_LEARNER = select(learners.c.id).where(learners.c.tenant_id == bindparam("t"), learners.c.external_id == bindparam("e"))
_Q_STATE = select(states).where(states.c.course_id == bindparam("c"), states.c.learner_id == bindparam("l"))
_Q_STATE_LOCK = _Q_STATE.with_for_update()
_U_STATE = (
    update(states)
    .where(
        states.c.course_id == bindparam("c"),
        states.c.learner_id == bindparam("l"),
        states.c.version == bindparam("v"),
    )
    .values(
        n_answers=bindparam("b_n"),
        version=bindparam("b_v"),
        updated_at=bindparam("b_at"),
        teacher_state=bindparam("b_ts"),
        model_state=bindparam("b_ms"),
    )
)

#: learner sessions kept in memory per process (keyed by course and learner, valid for one state version)
SESSION_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class Principal:
    key_id: int
    tenant_id: int | None
    is_admin: bool


@dataclass(frozen=True)
class AnswerIn:
    item: str
    score: float
    timestamp: datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _iso(ts: datetime) -> str:
    return _utc(ts).isoformat().replace("+00:00", "Z")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


#: how long a worker trusts its cached answer for an API key: a key revoked through another worker
#: stops working within this many seconds (through this worker: at once)
KEY_CACHE_SECONDS = 1.0
KEY_CACHE_SIZE = 10_000

#: most requests stored by one SQLite commit
GROUP_COMMIT_MAX = 64


class _Job:
    """A write request waiting for a group commit."""

    __slots__ = ("fn", "result", "error", "pending", "done")

    def __init__(self, fn: Callable[[Connection], Any]) -> None:
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None
        self.pending: list[tuple[tuple[int, int], int, core.LearnerSession]] = []
        self.done = False


class Store:
    """Storage and the per-course runtimes of one process."""

    def __init__(self, url: str, pool_size: int = 10, sqlite_synchronous: str = "full") -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, synchronous=sqlite_synchronous)
        self.backend = self.engine.dialect.name
        # SQLite: reads need no write lock (WAL readers run beside the writer).
        self.read_engine = (
            make_engine(url, pool_size=pool_size, immediate=False, synchronous=sqlite_synchronous)
            if self.backend == "sqlite"
            else self.engine
        )
        self._runtimes: dict[int, core.CourseRuntime] = {}
        self._rt_lock = threading.Lock()
        # (course id, learner id) -> (state version, session): skips re-loading the teacher from JSON
        # when this process made the last change.  Taken out while a request uses it; put back on commit.
        self._sessions: OrderedDict[tuple[int, int], tuple[int, core.LearnerSession]] = OrderedDict()
        self._sessions_lock = threading.Lock()
        self._local = threading.local()
        # SQLite has one writer at a time; queueing writers of this process on a lock is fair and
        # immediate, where SQLite's busy handler polls with sleeps (other processes still use it).
        self._write_lock: Any = threading.Lock() if self.backend == "sqlite" else contextlib.nullcontext()
        self._keys: dict[str, tuple[Principal | None, float]] = {}  # token -> (principal, expiry)
        self._queue: list[_Job] = []  # SQLite: writes waiting for the next group commit
        self._queue_lock = threading.Lock()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

    # ------------------------------------------------------------ helpers
    def _write(self, fn: Callable[[Connection], T], attempts: int = 4) -> T:
        """Run ``fn`` in a write transaction; retried when a unique key or a deadlock made it lose a race.

        SQLite: group commit.  Writers queue their work; whoever holds the write lock runs every
        queued piece of work in one transaction, each in a savepoint of its own (an error undoes
        that request's changes only), and commits once: one fsync for all of them.  A request is
        answered only after the commit that stored it.
        """
        if self.backend == "sqlite":
            return self._group_write(fn, attempts)
        for attempt in range(attempts):
            pending: list[tuple[tuple[int, int], int, core.LearnerSession]] = []
            self._local.pending = pending
            try:
                with self._write_lock, self.engine.begin() as conn:
                    result = fn(conn)
                with self._sessions_lock:  # committed: these sessions are the stored state now
                    for key, version, session in pending:
                        self._sessions[key] = (version, session)
                        self._sessions.move_to_end(key)
                    while len(self._sessions) > SESSION_CACHE_SIZE:
                        self._sessions.popitem(last=False)
                return result
            except (IntegrityError, OperationalError) as exc:
                if attempt == attempts - 1 or not _retryable(exc):
                    raise
        raise AssertionError("unreachable")

    def _group_write(self, fn: Callable[[Connection], T], attempts: int) -> T:
        job = _Job(fn)
        with self._queue_lock:
            self._queue.append(job)
        with self._write_lock:
            if not job.done:  # not already run by the writer before us: run the queue
                with self._queue_lock:
                    batch = self._queue[:GROUP_COMMIT_MAX]
                    del self._queue[: len(batch)]
                self._run_group(batch, attempts)
        if job.error is not None:
            raise job.error
        return cast(T, job.result)

    def _run_group(self, batch: list[_Job], attempts: int) -> None:
        try:
            with self.engine.begin() as conn:
                for job in batch:
                    for attempt in range(attempts):
                        job.pending = []
                        self._local.pending = job.pending
                        savepoint = conn.begin_nested()
                        try:
                            job.result = job.fn(conn)
                            savepoint.commit()
                            job.error = None
                            break
                        except (IntegrityError, OperationalError) as exc:
                            savepoint.rollback()
                            job.error = exc
                            if attempt == attempts - 1 or not _retryable(exc):
                                break
                        except Exception as exc:
                            savepoint.rollback()
                            job.error = exc
                            break
        except Exception as exc:  # the commit failed: nothing of the group is stored
            for job in batch:
                job.error = job.error or exc
                job.pending = []
        with self._sessions_lock:  # committed: these sessions are the stored state now
            for job in batch:
                if job.error is None:
                    for key, version, session in job.pending:
                        self._sessions[key] = (version, session)
                        self._sessions.move_to_end(key)
            while len(self._sessions) > SESSION_CACHE_SIZE:
                self._sessions.popitem(last=False)
        for job in batch:
            job.done = True

    def _insert_ignore(self, conn: Connection, table: Any, values: Mapping[str, Any], keys: Sequence[str]) -> None:
        if self.backend == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=list(keys)))
        else:
            from sqlalchemy.dialects.sqlite import insert as sl_insert

            conn.execute(sl_insert(table).values(**values).on_conflict_do_nothing(index_elements=list(keys)))

    # --------------------------------------------------------------- keys
    def ensure_admin_key(self, token: str | None = None) -> str | None:
        """Register ``token`` as an admin key (if new); without one, create a key if no admin key exists.

        Returns the new token (to show once), or ``None`` if nothing was created.
        """

        def run(conn: Connection) -> str | None:
            if token is not None:
                h = hash_token(token)
                if conn.execute(select(api_keys.c.id).where(api_keys.c.key_hash == h)).first():
                    return None
                self._add_key(conn, None, True, "admin (configured)", token)
                return token
            active = conn.execute(select(api_keys.c.id).where(api_keys.c.is_admin.is_(True), api_keys.c.revoked_at.is_(None))).first()
            if active:
                return None
            return self._add_key(conn, None, True, "first admin key")[1]

        return self._write(run)

    def _add_key(self, conn: Connection, tenant_id: int | None, is_admin: bool, label: str, token: str | None = None) -> tuple[int, str]:
        token = token or ("pdg_" + secrets.token_urlsafe(32))
        res = conn.execute(
            insert(api_keys).values(
                tenant_id=tenant_id,
                key_hash=hash_token(token),
                prefix=token[:12],
                is_admin=is_admin,
                label=label,
                created_at=_now(),
                revoked_at=None,
            )
        )
        pk = res.inserted_primary_key
        assert pk is not None  # a one-row insert() has one
        return int(pk[0]), token

    def authenticate(self, token: str) -> Principal | None:
        with self.read_engine.connect() as conn:
            row = conn.execute(_Q_KEY, {"h": hash_token(token)}).first()
        return None if row is None else Principal(int(row.id), row.tenant_id, bool(row.is_admin))

    def cached_principal(self, token: str) -> tuple[bool, Principal | None]:
        """``(hit, principal)`` from this process's key cache (entries live :data:`KEY_CACHE_SECONDS`)."""
        entry = self._keys.get(token)
        if entry is None or entry[1] < time.monotonic():
            return False, None
        return True, entry[0]

    def authenticate_cached(self, token: str) -> Principal | None:
        """:meth:`authenticate`, remembered for :data:`KEY_CACHE_SECONDS` (a revoke here clears the cache)."""
        hit, p = self.cached_principal(token)
        if hit:
            return p
        p = self.authenticate(token)
        if len(self._keys) >= KEY_CACHE_SIZE:
            self._keys.clear()
        self._keys[token] = (p, time.monotonic() + KEY_CACHE_SECONDS)
        return p

    # ------------------------------------------------------------ tenants
    def create_tenant(self, name: str) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            if conn.execute(select(tenants.c.id).where(tenants.c.name == name)).first():
                raise ApiError(409, "Conflict", f"tenant {name!r} already exists")
            now = _now()
            res = conn.execute(insert(tenants).values(name=name, created_at=now))
            pk = res.inserted_primary_key
            assert pk is not None  # a one-row insert() has one
            return {"id": int(pk[0]), "name": name, "created_at": _iso(now)}

        return self._write(run)

    def ensure_tenant(self, name: str) -> bool:
        """Create tenant ``name`` unless it exists; whether it was created."""

        def run(conn: Connection) -> bool:
            if conn.execute(select(tenants.c.id).where(tenants.c.name == name)).first():
                return False
            conn.execute(insert(tenants).values(name=name, created_at=_now()))
            return True

        return self._write(run)

    def list_tenants(self) -> list[dict[str, Any]]:
        with self.read_engine.connect() as conn:
            rows = conn.execute(select(tenants).order_by(tenants.c.id)).all()
        return [{"id": r.id, "name": r.name, "created_at": _iso(r.created_at)} for r in rows]

    def _tenant_id(self, conn: Connection, name: str) -> int:
        row = conn.execute(select(tenants.c.id).where(tenants.c.name == name)).first()
        if row is None:
            raise not_found(f"tenant {name!r}")
        return int(row.id)

    def create_key(self, tenant: str, label: str) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            tid = self._tenant_id(conn, tenant)
            kid, token = self._add_key(conn, tid, False, label)
            return {"id": kid, "tenant": tenant, "label": label, "key": token, "prefix": token[:12]}

        return self._write(run)

    def list_keys(self, tenant: str) -> list[dict[str, Any]]:
        with self.read_engine.connect() as conn:
            tid = self._tenant_id(conn, tenant)
            rows = conn.execute(select(api_keys).where(api_keys.c.tenant_id == tid).order_by(api_keys.c.id)).all()
        return [
            {"id": r.id, "label": r.label, "prefix": r.prefix, "created_at": _iso(r.created_at), "revoked": r.revoked_at is not None}
            for r in rows
        ]

    def revoke_key(self, key_id: int, principal: Principal) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            cond = api_keys.c.id == key_id
            if not principal.is_admin:  # a tenant may revoke its own keys only
                cond = and_(cond, api_keys.c.tenant_id == principal.tenant_id)
            row = conn.execute(select(api_keys.c.id, api_keys.c.revoked_at).where(cond)).first()
            if row is None:
                raise not_found(f"API key {key_id}")
            if row.revoked_at is None:
                conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=_now()))
            return {"id": key_id, "revoked": True}

        out = self._write(run)
        self._keys.clear()  # this process: at once; other workers: when their entry expires
        return out

    # ------------------------------------------------------------ courses
    def create_course(self, tenant_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            if conn.execute(select(courses.c.id).where(courses.c.tenant_id == tenant_id, courses.c.name == fields["name"])).first():
                raise ApiError(409, "Conflict", f"course {fields['name']!r} already exists")
            options = {"options": fields["teacher_options"], "mastery_threshold": fields["mastery_threshold"]}
            conn.execute(
                insert(courses).values(
                    tenant_id=tenant_id,
                    name=fields["name"],
                    title=fields["title"],
                    space=_dumps(fields["space"]),
                    teacher=fields["teacher"],
                    teacher_options=_dumps(options),
                    seed=fields["seed"],
                    model=None if fields["model"] is None else _dumps(fields["model"]),
                    created_at=_now(),
                )
            )
            return self._course_row(conn, tenant_id, fields["name"])

        return self._describe(self._write(run))

    def _course_row(self, conn: Connection, tenant_id: int, name: str) -> Any:
        row = conn.execute(select(courses).where(courses.c.tenant_id == tenant_id, courses.c.name == name)).first()
        if row is None:
            raise not_found(f"course {name!r}")
        return row

    def _describe(self, row: Any) -> dict[str, Any]:
        opts = json.loads(row.teacher_options)
        space = json.loads(row.space)
        return {
            "name": row.name,
            "title": row.title,
            "teacher": row.teacher,
            "teacher_options": opts["options"],
            "mastery_threshold": opts["mastery_threshold"],
            "seed": row.seed,
            "skills": {s: p for s, p in space["prerequisites"]},
            "items": {str(it): sks for it, sks in space["items"]} if "items" in space else None,
            "model": "fitted bkt" if row.model is not None else "default bkt",
            "created_at": _iso(row.created_at),
        }

    def get_course(self, tenant_id: int, name: str) -> dict[str, Any]:
        with self.read_engine.connect() as conn:
            return self._describe(self._course_row(conn, tenant_id, name))

    def list_courses(self, tenant_id: int) -> list[dict[str, Any]]:
        with self.read_engine.connect() as conn:
            rows = conn.execute(
                select(courses.c.name, courses.c.title, courses.c.teacher).where(courses.c.tenant_id == tenant_id).order_by(courses.c.name)
            ).all()
        return [{"name": r.name, "title": r.title, "teacher": r.teacher} for r in rows]

    def delete_course(self, tenant_id: int, name: str) -> None:
        def run(conn: Connection) -> int:
            row = self._course_row(conn, tenant_id, name)
            cid = row.id
            ans = select(answers_t.c.id).where(answers_t.c.course_id == cid)
            conn.execute(delete(xapi_t).where(xapi_t.c.answer_id.in_(ans)))
            conn.execute(delete(answers_t).where(answers_t.c.course_id == cid))
            conn.execute(delete(states).where(states.c.course_id == cid))
            conn.execute(delete(courses).where(courses.c.id == cid))
            return cid

        cid = self._write(run)
        self._runtimes.pop(cid, None)  # ids are never reused, so other processes' entries are only unused

    def runtime(self, row: Any) -> core.CourseRuntime:
        rt = self._runtimes.get(row.id)
        if rt is None:
            with self._rt_lock:
                rt = self._runtimes.get(row.id)
                if rt is None:
                    opts = json.loads(row.teacher_options)
                    rt = core.CourseRuntime(
                        row.id,
                        row.name,
                        json.loads(row.space),
                        row.teacher,
                        opts["options"],
                        row.seed,
                        json.loads(row.model) if row.model is not None else None,
                        opts["mastery_threshold"],
                    )
                    self._runtimes[row.id] = rt
        return rt

    # ------------------------------------------------------------ learners
    @overload
    def _learner_id(self, conn: Connection, tenant_id: int, external: str, create: Literal[True]) -> int: ...
    @overload
    def _learner_id(self, conn: Connection, tenant_id: int, external: str, create: bool) -> int | None: ...
    def _learner_id(self, conn: Connection, tenant_id: int, external: str, create: bool) -> int | None:
        """The learner's id; with ``create`` the row is made if missing, so there is one."""
        args = {"t": tenant_id, "e": external}
        row = conn.execute(_Q_LEARNER, args).first()
        if row is None and create:
            self._insert_ignore(
                conn, learners, {"tenant_id": tenant_id, "external_id": external, "created_at": _now()}, ("tenant_id", "external_id")
            )
            row = conn.execute(_Q_LEARNER, args).first()
        return None if row is None else int(row.id)

    def _lock_state(
        self, conn: Connection, rt: core.CourseRuntime, learner_id: int, external: str, create: bool, seed: int | None = None
    ) -> Any:
        args = {"c": rt.course_id, "l": learner_id}
        row = conn.execute(_Q_STATE_LOCK, args).first()
        if row is None and create:
            tseed = core.learner_seed(rt.seed, external) if seed is None else seed
            self._insert_ignore(
                conn,
                states,
                {
                    "course_id": rt.course_id,
                    "learner_id": learner_id,
                    "teacher_seed": tseed,
                    "model_state": _dumps({}),
                    "teacher_state": _dumps(rt.new_teacher_state(tseed)),
                    "n_answers": 0,
                    "version": 0,
                    "updated_at": _now(),
                },
                ("course_id", "learner_id"),
            )
            row = conn.execute(_Q_STATE_LOCK, args).first()
        return row

    def _save_state(self, conn: Connection, row: Any, session: core.LearnerSession, n_answers: int, model: bool) -> None:
        res = conn.execute(
            _U_STATE,
            {
                "c": row.course_id,
                "l": row.learner_id,
                "v": row.version,
                "b_n": n_answers,
                "b_v": row.version + 1,
                "b_at": _now(),
                "b_ts": _dumps(session.teacher_state()),
                "b_ms": _dumps(session.model_state()) if model else row.model_state,
            },
        )
        if res.rowcount != 1:  # cannot happen under the row lock; refuse rather than lose an update
            raise ApiError(409, "Conflict", "the learner's state changed during the request; retry")
        self._local.pending.append(((row.course_id, row.learner_id), row.version + 1, session))

    def _open(self, conn: Connection, tenant_id: int, course: str) -> tuple[int, core.CourseRuntime]:
        """The course's id and runtime (404 if the tenant has no such course)."""
        cid = conn.execute(_Q_COURSE_ID, {"t": tenant_id, "n": course}).scalar()
        if cid is None:
            raise not_found(f"course {course!r}")
        rt = self._runtimes.get(cid)
        if rt is None:
            rt = self.runtime(conn.execute(_Q_COURSE_BY_ID, {"c": cid}).first())
        return cid, rt

    def _lock_learner(self, conn: Connection, tenant_id: int, rt: core.CourseRuntime, learner: str) -> Any:
        """Lock (creating if needed) the learner's state row in the course; one query when it exists."""
        # two index look-ups (the learner by its unique key, its state by primary key): a join here
        # got a nested-loop plan over the course's states on PostgreSQL when statistics were stale
        lid = self._learner_id(conn, tenant_id, learner, create=True)
        return self._lock_state(conn, rt, lid, learner, create=True)

    def _session(self, rt: core.CourseRuntime, st: Any) -> core.LearnerSession:
        """The learner's session at the stored version: from this process's cache, else from the JSON state."""
        key = (st.course_id, st.learner_id)
        with self._sessions_lock:
            cached = self._sessions.pop(key, None)
        if cached is not None and cached[0] == st.version:
            return cached[1]
        return rt.session(json.loads(st.model_state), json.loads(st.teacher_state), st.teacher_seed)

    def enrol(self, tenant_id: int, course: str, learner: str, seed: int | None) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            _, rt = self._open(conn, tenant_id, course)
            lid = self._learner_id(conn, tenant_id, learner, create=True)
            st = self._lock_state(conn, rt, lid, learner, create=False)
            if st is not None:
                if seed is not None and seed != st.teacher_seed:
                    raise ApiError(409, "Conflict", f"learner {learner!r} is already enrolled with another teacher seed")
            else:
                st = self._lock_state(conn, rt, lid, learner, create=True, seed=seed)
            return {"course": course, "learner": learner, "teacher_seed": st.teacher_seed, "n_answers": st.n_answers}

        return self._write(run)

    # ------------------------------------------------------------- answers
    def post_answers(
        self, tenant_id: int, course: str, learner: str, batch: Sequence[AnswerIn], idem_key: str | None = None, request_hash: str = ""
    ) -> tuple[int, dict[str, Any]]:
        def run(conn: Connection) -> tuple[int, dict[str, Any]]:
            if idem_key is not None:
                stored = self._idempotent(conn, tenant_id, idem_key, request_hash)
                if stored is not None:
                    return stored
            _, rt = self._open(conn, tenant_id, course)
            for i, a in enumerate(batch):
                if a.item not in rt.items:
                    where = f"answer {i}: " if len(batch) > 1 else ""
                    raise ApiError(422, "Unprocessable Content", f"{where}unknown item {a.item!r} in course {course!r}")
            st = self._lock_learner(conn, tenant_id, rt, learner)
            out = self._apply(conn, tenant_id, rt, st, batch, "api")
            body = {"course": course, "learner": learner, "n_answers": st.n_answers + len(batch), "answers": out}
            if idem_key is not None:
                conn.execute(
                    insert(idem_t).values(
                        tenant_id=tenant_id,
                        key=idem_key,
                        request_hash=request_hash,
                        status_code=200,
                        response=_dumps(body),
                        created_at=_now(),
                    )
                )
            return 200, body

        return self._write(run)

    def _apply(
        self,
        conn: Connection,
        tenant_id: int,
        rt: core.CourseRuntime,
        st: Any,
        batch: Sequence[AnswerIn],
        source: str,
        returning: bool = False,
    ) -> list[dict[str, Any]]:
        learner_id = st.learner_id
        session = self._session(rt, st)
        now = _now()
        rows, out = [], []
        seq = st.n_answers
        for a in batch:
            p = session.answer(a.item, a.score)
            seq += 1
            ts = _utc(a.timestamp) if a.timestamp is not None else now
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "course_id": rt.course_id,
                    "learner_id": learner_id,
                    "seq": seq,
                    "item": a.item,
                    "score": a.score,
                    "timestamp": ts,
                    "predicted": p,
                    "source": source,
                    "stored_at": now,
                }
            )
            out.append({"seq": seq, "item": a.item, "score": a.score, "timestamp": _iso(ts), "predicted_success": p})
        if returning:
            ids = conn.execute(insert(answers_t).returning(answers_t.c.id, sort_by_parameter_order=True), rows).scalars().all()
            for o, i in zip(out, ids):
                o["id"] = int(i)
        else:
            conn.execute(insert(answers_t), rows)
        self._save_state(conn, st, session, seq, model=True)
        return out

    def _idempotent(self, conn: Connection, tenant_id: int, key: str, request_hash: str) -> tuple[int, dict[str, Any]] | None:
        row = conn.execute(select(idem_t).where(idem_t.c.tenant_id == tenant_id, idem_t.c.key == key)).first()
        if row is None:
            return None
        if row.request_hash != request_hash:
            raise ApiError(422, "Unprocessable Content", f"Idempotency-Key {key!r} was already used with a different request")
        return int(row.status_code), json.loads(row.response)

    # ---------------------------------------------------------------- next
    def next_items(self, tenant_id: int, course: str, learner: str, n: int) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            _, rt = self._open(conn, tenant_id, course)
            st = self._lock_learner(conn, tenant_id, rt, learner)
            session = self._session(rt, st)
            preds = session.propose(n)
            self._save_state(conn, st, session, st.n_answers, model=False)
            return {"course": course, "learner": learner, "items": [_pred_json(p, session) for p in preds]}

        return self._write(run)

    def _read_state(self, tenant_id: int, course: str, learner: str) -> tuple[core.CourseRuntime, Any]:
        with self.read_engine.connect() as conn:
            _, rt = self._open(conn, tenant_id, course)
            lid = self._learner_id(conn, tenant_id, learner, create=False)
            st = (
                None
                if lid is None
                else conn.execute(select(states).where(states.c.course_id == rt.course_id, states.c.learner_id == lid)).first()
            )
        if st is None:
            raise not_found(f"learner {learner!r} in course {course!r}")
        return rt, st

    def preview_next(self, tenant_id: int, course: str, learner: str) -> dict[str, Any]:
        """What ``next`` would propose now, without advancing the teacher (for the dashboard)."""
        rt, st = self._read_state(tenant_id, course, learner)
        session = rt.session(json.loads(st.model_state), json.loads(st.teacher_state), st.teacher_seed)
        return _pred_json(session.propose(1)[0], session)

    def mastery(self, tenant_id: int, course: str, learner: str) -> dict[str, Any]:
        rt, st = self._read_state(tenant_id, course, learner)
        session = rt.session(json.loads(st.model_state), None, st.teacher_seed)
        return {
            "course": course,
            "learner": learner,
            "n_answers": st.n_answers,
            "mastery_threshold": rt.threshold,
            "skills": session.mastery(),
        }

    def learner_state(self, tenant_id: int, course: str, learner: str) -> dict[str, Any]:
        """The stored state (student model and teacher), as JSON data."""
        _, st = self._read_state(tenant_id, course, learner)
        return {
            "course": course,
            "learner": learner,
            "n_answers": st.n_answers,
            "version": st.version,
            "teacher_seed": st.teacher_seed,
            "model_state": json.loads(st.model_state),
            "teacher_state": json.loads(st.teacher_state),
        }

    def history(self, tenant_id: int, course: str, learner: str, limit: int, after: int, newest_first: bool = False) -> dict[str, Any]:
        with self.read_engine.connect() as conn:
            _, rt = self._open(conn, tenant_id, course)
            lid = self._learner_id(conn, tenant_id, learner, create=False)
            if (
                lid is None
                or conn.execute(select(states.c.n_answers).where(states.c.course_id == rt.course_id, states.c.learner_id == lid)).first()
                is None
            ):
                raise not_found(f"learner {learner!r} in course {course!r}")
            q = select(answers_t).where(answers_t.c.course_id == rt.course_id, answers_t.c.learner_id == lid)
            if newest_first:
                q = q.order_by(answers_t.c.seq.desc()).limit(limit)
            else:
                q = q.where(answers_t.c.seq > after).order_by(answers_t.c.seq).limit(limit + 1)
            rows = conn.execute(q).all()
        more = len(rows) > limit
        rows = rows[:limit]
        items = [
            {
                "seq": r.seq,
                "item": r.item,
                "score": r.score,
                "timestamp": _iso(r.timestamp),
                "predicted_success": r.predicted,
                "source": r.source,
            }
            for r in rows
        ]
        return {"course": course, "learner": learner, "answers": items, "next_after": rows[-1].seq if more and not newest_first else None}

    def list_learners(self, tenant_id: int, course: str) -> list[dict[str, Any]]:
        with self.read_engine.connect() as conn:
            row = self._course_row(conn, tenant_id, course)
            rows = conn.execute(
                select(learners.c.external_id, states.c.n_answers)
                .join(states, states.c.learner_id == learners.c.id)
                .where(states.c.course_id == row.id)
                .order_by(learners.c.external_id)
            ).all()
        return [{"learner": r.external_id, "n_answers": r.n_answers} for r in rows]

    # ---------------------------------------------------------------- xAPI
    def post_statements(self, tenant_id: int, parsed: Sequence[dict[str, Any]]) -> list[str]:
        """Store parsed statements (see ``xapi.parse_statement``); return their ids in order."""
        ids = [p["id"] for p in parsed]

        def run(conn: Connection) -> list[str]:
            found = {
                r.statement_id: r.content_hash
                for r in conn.execute(
                    select(xapi_t.c.statement_id, xapi_t.c.content_hash).where(
                        xapi_t.c.tenant_id == tenant_id, xapi_t.c.statement_id.in_(ids)
                    )
                )
            }
            for p in parsed:
                if p["id"] in found and found[p["id"]] != p["hash"]:
                    raise ApiError(409, "Conflict", f"statement {p['id']} already exists with different content")
            new = [p for p in parsed if p["id"] not in found]
            groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for p in new:
                groups.setdefault((p["course"], p["learner"]), []).append(p)
            opened = {}
            for (course, _learner), ps in groups.items():
                if course not in opened:
                    opened[course] = self._open(conn, tenant_id, course)[1]
                rt = opened[course]
                for p in ps:
                    if p["item"] not in rt.items:
                        raise ApiError(400, "Bad Request", f"statement {p['id']}: unknown item {p['item']!r} in course {course!r}")
            # lock learners in one global order, so two batches cannot deadlock
            keyed = []
            for (course, learner), ps in groups.items():
                lid = self._learner_id(conn, tenant_id, learner, create=True)
                keyed.append((opened[course].course_id, lid, course, learner, ps))
            for _cid, lid, course, learner, ps in sorted(keyed, key=lambda k: (k[0], k[1])):
                rt = opened[course]
                st = self._lock_state(conn, rt, lid, learner, create=True)
                out = self._apply(
                    conn, tenant_id, rt, st, [AnswerIn(p["item"], p["score"], p["timestamp"]) for p in ps], "xapi", returning=True
                )
                conn.execute(
                    insert(xapi_t),
                    [
                        {"tenant_id": tenant_id, "statement_id": p["id"], "content_hash": p["hash"], "answer_id": o["id"]}
                        for p, o in zip(ps, out)
                    ],
                )
            return ids

        return self._write(run)

    # ------------------------------------------------------------- checks
    def count_answers(self) -> int:
        with self.read_engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(answers_t)).scalar_one())


def replay(rt: core.CourseRuntime, seed: int, batch: Sequence[AnswerIn]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The state a learner reaches from a fresh start by ``batch`` alone: (model state, teacher state)."""
    session = rt.session(None, rt.new_teacher_state(seed), seed)
    for a in batch:
        session.answer(a.item, a.score)
    return session.model_state(), session.teacher_state() or {}


def _pred_json(p: core.Prediction, session: core.LearnerSession) -> dict[str, Any]:
    return {
        "item": p.item,
        "skills": p.skills,
        "target_skill": p.target_skill,
        "predicted_success": p.predicted_success,
        "p_known": p.p_known,
        "mastered": p.mastered,
        "reason": core.reason(p, session),
    }


def _retryable(exc: Exception) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    if isinstance(exc, IntegrityError):
        return "unique" in text or "duplicate" in text
    return "deadlock" in text or "could not serialize" in text or "database is locked" in text
