"""The HTTP API (FastAPI): resources under ``/v1``, errors as RFC 9457 problem details.

Authentication: ``Authorization: Bearer <key>`` (or ``X-API-Key: <key>``).
An admin key manages tenants and their keys; a tenant key manages that
tenant's courses and learners and never sees another tenant's (their names
answer 404, as if they did not exist).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from pedagogy.service import core, inputs, xapi
from pedagogy.service.config import Settings
from pedagogy.service.errors import ApiError
from pedagogy.service.store import AnswerIn, Principal, Store

__all__ = ["create_app", "app_from_env"]

log = logging.getLogger("pedagogy.service")

PROBLEM = "application/problem+json"
Name = Annotated[str, Path(min_length=1, max_length=inputs.MAX_NAME)]
#: the path parameters that are names, and what each names (checked by :func:`check_path` on every route)
PATH_NAMES = {"tenant_name": "tenant", "course": "course", "learner": "learner"}
JSON_DOC = "pedagogy.json"  # the scope key of a request's parsed JSON body (parsed once, at the edge)


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class Problem(BaseModel):
    """An error (RFC 9457 problem details); ``field`` names the input that was wrong, when one was."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None


_PROBLEM_STATUSES = {
    "400": "malformed request (bad JSON, nested too deeply)",
    "401": "missing, invalid or revoked API key",
    "403": "the key may not do this",
    "404": "no such resource for this tenant",
    "409": "conflict with what is stored",
    "413": "body or batch over the limit",
    "422": "a value breaks the input rules; the problem names the field",
}


def _problem_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error answer declared as ``application/problem+json``."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            for code, text in _PROBLEM_STATUSES.items():
                responses[code] = {"description": text, "content": {PROBLEM: {"schema": ref}}}
    app.openapi_schema = doc
    return doc


# ----------------------------------------------------------------- bodies
class TenantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=inputs.MAX_NAME, pattern=r"^[^/\x00-\x1f\x7f]+$")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return inputs.path_name(v, "name")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field("", max_length=inputs.MAX_NAME)

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        return inputs.text(v, "label", empty=True)


class EnrolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int | None = Field(None, ge=0, lt=2**63, description="teacher seed; default derived from the course seed and the learner id")


Score = StrictBool | Annotated[float, Field(strict=True, ge=0.0, le=1.0)]


class AnswerBody(BaseModel):
    """One answer: the item, its correctness (0/1, or a score in [0, 1]) and when it was given."""

    model_config = ConfigDict(extra="forbid")
    item: StrictStr | StrictInt = Field(description="an item of the course")
    correct: Score | None = Field(None, description="true/false, or a JSON number in [0, 1] (strings are refused)")
    score: Score | None = Field(None, description="alias of correct")
    timestamp: str | None = Field(
        None,
        description="an ISO 8601 / RFC 3339 date-time string; without an offset it is UTC; numbers are refused. Default: when it is stored",
        json_schema_extra={"format": "date-time"},
    )

    @model_validator(mode="after")
    def _one_score(self) -> AnswerBody:
        if (self.correct is None) == (self.score is None):
            raise ValueError("give exactly one of 'correct' or 'score'")
        return self

    def to_answer(self) -> AnswerIn:
        value = self.correct if self.correct is not None else self.score
        field = "correct" if self.correct is not None else "score"
        ts = None if self.timestamp is None else inputs.timestamp(self.timestamp, "timestamp")
        return AnswerIn(inputs.name(str(self.item), "item"), inputs.score(value, field), ts)


# ------------------------------------------------------------- middleware
class CatchAll:
    """A last resort: an unexpected error is a 500 problem, and the connection is kept open.

    Starlette's own handler re-raises after answering, which makes the server close the
    connection without ``Connection: close``; this answers and returns instead.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            log.exception("unhandled error")
            if started:
                raise
            resp = problem(500, "Internal Server Error", f"internal error ({type(exc).__name__}); nothing was stored")
            await resp(scope, receive, send)


async def check_path(request: Request) -> None:
    """The name parameters of the route's path, by the input rules (every route depends on this)."""
    for param, what in PATH_NAMES.items():
        value = request.path_params.get(param)
        if value is not None:
            inputs.path_name(value, what)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 (checked while reading, not only Content-Length)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for k, v in scope["headers"]:
            if k == b"content-length" and v.isdigit() and int(v) > self.limit:
                await self._reject(scope, receive, send)
                return
        chunks, size = [], 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body = msg.get("body", b"")
            size += len(body)
            if size > self.limit:
                await self._reject(scope, receive, send)
                return
            chunks.append(body)
            if not msg.get("more_body"):
                break
        data = b"".join(chunks)
        if data.strip() and scope["path"].startswith("/v1/"):
            try:  # every JSON body passes the input rules here, whatever route it is for
                scope[JSON_DOC] = inputs.loads(data)
            except ApiError as exc:
                await problem(exc.status, exc.title, exc.detail, **exc.extra)(scope, receive, send)
                return
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Any, receive: Any, send: Any) -> None:
        resp = problem(413, "Content Too Large", f"request body is larger than the limit of {self.limit} bytes")
        await resp(scope, receive, send)


# ------------------------------------------------------------------- auth
async def principal(
    request: Request, authorization: Annotated[str | None, Header()] = None, x_api_key: Annotated[str | None, Header()] = None
) -> Principal:
    """The caller, from ``Authorization: Bearer <key>`` or ``X-API-Key``; 401 otherwise."""
    token = x_api_key
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(401, "Unauthorized", "the Authorization header must be 'Bearer <API key>'")
        token = value.strip()
    if not token:
        raise ApiError(401, "Unauthorized", "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
    store = request.app.state.store
    hit, p = store.cached_principal(token)  # no thread hand-off when this worker knows the key
    if not hit:
        p = await run_in_threadpool(store.authenticate_cached, token)
    if p is None:
        raise ApiError(401, "Unauthorized", "invalid or revoked API key")
    return p


# async: pure checks, so FastAPI does not send them to a thread of their own
async def admin(p: Annotated[Principal, Depends(principal)]) -> Principal:
    if not p.is_admin:
        raise ApiError(403, "Forbidden", "this needs an admin API key")
    return p


async def tenant(p: Annotated[Principal, Depends(principal)]) -> int:
    if p.tenant_id is None:
        raise ApiError(403, "Forbidden", "admin keys manage tenants; use a tenant's API key for courses and learners")
    return p.tenant_id


Admin = Annotated[Principal, Depends(admin)]
TenantId = Annotated[int, Depends(tenant)]
Caller = Annotated[Principal, Depends(principal)]


# -------------------------------------------------------------------- app
def create_app(settings: Settings | None = None, *, migrate: bool = True, store: Store | None = None) -> FastAPI:
    """The ASGI application for ``settings`` (migrations applied first unless ``migrate=False``)."""
    settings = settings or Settings.from_env()
    if migrate:
        from pedagogy.service.db import migrate as run_migrations

        run_migrations(settings.db)
    store = store or Store(settings.db, pool_size=settings.pool_size, sqlite_synchronous=settings.sqlite_synchronous)
    if settings.admin_key:
        store.ensure_admin_key(settings.admin_key)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        # Few threads: the work is short and holds the GIL; dozens of threads only contend.
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        dependencies=[Depends(check_path)],
        docs_url=None,  # the interactive docs load scripts from a CDN; the schema is at /openapi.json
        redoc_url=None,
        title="pedagogy tutoring service",
        version="1",
        description="What should this learner practise next: courses (skill graphs with items), answers (also as xAPI "
        "statements), a teacher's next item with its reason, and per-skill mastery.",
    )
    app.state.store = store
    app.state.settings = settings
    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(CatchAll)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not Found", 405: "Method Not Allowed"}
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        for e in errors:
            if e.get("type") == "json_invalid":
                ctx = e.get("ctx", {}).get("error", "")
                return problem(400, "Bad Request", f"malformed JSON body: {ctx}".rstrip(": "))
        parts = []
        for e in errors[:5]:
            loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
        return problem(
            422,
            "Unprocessable Content",
            "; ".join(parts),
            errors=[{"loc": [str(x) for x in e.get("loc", ())], "msg": e.get("msg")} for e in errors[:20]],
        )

    # --------------------------------------------------- tenants, keys
    @app.post("/v1/tenants", status_code=201, tags=["admin"], summary="Create a tenant (admin)")
    def create_tenant(body: TenantIn, _: Admin) -> dict[str, Any]:
        return store.create_tenant(body.name)

    @app.get("/v1/tenants", tags=["admin"], summary="List tenants (admin)")
    def list_tenants(_: Admin) -> list[dict[str, Any]]:
        return store.list_tenants()

    @app.post(
        "/v1/tenants/{tenant_name}/keys",
        status_code=201,
        tags=["admin"],
        summary="Create an API key for a tenant (admin); the key is shown only in this response",
    )
    def create_key(tenant_name: Name, _: Admin, body: KeyIn | None = None) -> dict[str, Any]:
        return store.create_key(tenant_name, body.label if body else "")

    @app.get("/v1/tenants/{tenant_name}/keys", tags=["admin"], summary="List a tenant's keys (admin; hashes are never shown)")
    def list_keys(tenant_name: Name, _: Admin) -> list[dict[str, Any]]:
        return store.list_keys(tenant_name)

    @app.delete("/v1/keys/{key_id}", tags=["admin"], summary="Revoke a key (admin: any key; tenant: its own keys)")
    def revoke_key(key_id: Annotated[int, Path(ge=1, le=inputs.INT32_MAX)], p: Caller) -> dict[str, Any]:
        return store.revoke_key(key_id, p)

    # ---------------------------------------------------------- courses
    @app.post(
        "/v1/courses",
        status_code=201,
        tags=["courses"],
        summary="Create a course",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["name", "skills"],
                            "properties": {
                                "name": {"type": "string"},
                                "title": {"type": "string"},
                                "skills": {
                                    "type": "object",
                                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                                    "description": "skill -> prerequisite skills (a DAG)",
                                },
                                "items": {"type": "object", "description": "item -> skill or list of skills (default: the skills)"},
                                "teacher": {"type": "string", "default": "mastery", "description": "mastery, zpdes, ability-matched, ..."},
                                "teacher_options": {"type": "object"},
                                "seed": {"type": "integer", "default": 0},
                                "mastery_threshold": {"type": "number", "default": 0.95},
                                "model": {"type": "object", "description": "a BKT model saved by `pedagogy kt fit` (its JSON)"},
                            },
                        }
                    }
                },
            }
        },
    )
    async def create_course(request: Request, tid: TenantId) -> dict[str, Any]:
        doc = await _json(request)

        def run() -> dict[str, Any]:
            try:
                fields = core.parse_course(doc)
            except core.CourseError as exc:
                raise ApiError(422, "Unprocessable Content", str(exc)) from None
            return store.create_course(tid, fields)

        return await run_in_threadpool(run)

    @app.get("/v1/courses", tags=["courses"], summary="List the tenant's courses")
    def list_courses(tid: TenantId) -> list[dict[str, Any]]:
        return store.list_courses(tid)

    @app.get("/v1/courses/{course}", tags=["courses"], summary="A course: skills, items, teacher")
    def get_course(course: Name, tid: TenantId) -> dict[str, Any]:
        return store.get_course(tid, course)

    @app.delete("/v1/courses/{course}", status_code=204, tags=["courses"], summary="Delete a course and its answers")
    def delete_course(course: Name, tid: TenantId) -> Response:
        store.delete_course(tid, course)
        return Response(status_code=204)

    @app.get("/v1/courses/{course}/learners", tags=["learners"], summary="Learners of a course")
    def list_learners(course: Name, tid: TenantId) -> list[dict[str, Any]]:
        return store.list_learners(tid, course)

    # --------------------------------------------------------- learners
    base = "/v1/courses/{course}/learners/{learner}"

    @app.put(base, tags=["learners"], summary="Enrol a learner (optional: a teacher seed)")
    def enrol(course: Name, learner: Name, tid: TenantId, body: EnrolIn | None = None) -> dict[str, Any]:
        return store.enrol(tid, course, learner, body.seed if body else None)

    @app.get(base, tags=["learners"], summary="A learner's stored state (student model and teacher)")
    def learner_state(course: Name, learner: Name, tid: TenantId) -> dict[str, Any]:
        return store.learner_state(tid, course, learner)

    one = AnswerBody.model_json_schema()
    answers_schema = {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            one,
                            {"type": "array", "items": one},
                            {"type": "object", "required": ["answers"], "properties": {"answers": {"type": "array", "items": one}}},
                        ]
                    }
                }
            },
        }
    }

    @app.post(
        base + "/answers",
        tags=["learners"],
        summary="Store one answer or a batch",
        openapi_extra=answers_schema,
        description='One answer object, an array of them, or {"answers": [...]}. Each answer updates the '
        "learner's student model and teacher in the same transaction as it is stored. With an "
        "`Idempotency-Key` header a retry is stored once and answered with the first response.",
    )
    async def post_answers(
        request: Request, course: Name, learner: Name, tid: TenantId, idempotency_key: Annotated[str | None, Header(max_length=200)] = None
    ) -> JSONResponse:
        batch = parse_answers(await _json(request))
        digest = ""
        if idempotency_key is not None:
            canon = json.dumps([course, learner, [(a.item, a.score, a.timestamp.isoformat() if a.timestamp else None) for a in batch]])
            digest = hashlib.sha256(canon.encode()).hexdigest()
        status, out = await run_in_threadpool(store.post_answers, tid, course, learner, batch, idempotency_key, digest)
        return JSONResponse(out, status_code=status)

    @app.get(base + "/next", tags=["learners"], summary="The next item(s) from the course's teacher, with the reason")
    def next_items(course: Name, learner: Name, tid: TenantId, n: Annotated[int, Query(ge=1, le=100)] = 1) -> dict[str, Any]:
        return store.next_items(tid, course, learner, n)

    @app.get(base + "/mastery", tags=["learners"], summary="Per-skill mastery and predicted success")
    def mastery(course: Name, learner: Name, tid: TenantId) -> dict[str, Any]:
        return store.mastery(tid, course, learner)

    @app.get(base + "/history", tags=["learners"], summary="Stored answers, oldest first, paginated by seq")
    def history(
        course: Name,
        learner: Name,
        tid: TenantId,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        after: Annotated[int, Query(ge=0, le=inputs.INT32_MAX, description="return answers with seq > after")] = 0,
    ) -> dict[str, Any]:
        return store.history(tid, course, learner, limit, after)

    # -------------------------------------------------------------- xAPI
    @app.post(
        "/v1/xapi/statements",
        tags=["xapi"],
        summary="Store xAPI 'answered' statements; returns their ids in order",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}}
                },
            }
        },
    )
    async def statements(
        request: Request,
        tid: TenantId,
        course: Annotated[str | None, Query(description="course of statements without a context parent")] = None,
    ) -> list[str]:
        body = await _json(request)
        if course is not None:
            inputs.path_name(course, "course")
        parsed = xapi.parse_statements(body, course)
        return await run_in_threadpool(store.post_statements, tid, parsed)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    from pedagogy.service.dashboard import router

    app.include_router(router)
    return app


_ONE = TypeAdapter(AnswerBody)


def parse_answers(doc: Any) -> list[AnswerIn]:
    """One answer, a list, or ``{"answers": [...]}`` -> validated answers; 422 naming the first problems."""
    if isinstance(doc, dict) and "answers" in doc:
        if set(doc) != {"answers"}:
            raise ApiError(422, "Unprocessable Content", "a batch object has only the key 'answers'")
        doc = doc["answers"]
    single = isinstance(doc, dict)
    docs = [doc] if single else doc
    if not isinstance(docs, list):
        raise ApiError(422, "Unprocessable Content", 'the body must be an answer object, an array of them, or {"answers": [...]}')
    if not docs:
        raise ApiError(422, "Unprocessable Content", "an empty batch of answers")
    if len(docs) > inputs.MAX_BATCH:
        raise ApiError(413, "Content Too Large", f"{len(docs)} answers in one request; the limit is {inputs.MAX_BATCH}", field="answers")
    out = []
    for i, d in enumerate(docs):
        where = "" if single else f"answer {i}: "
        try:
            out.append(_ONE.validate_python(d).to_answer())
        except ValidationError as exc:
            parts = []
            for e in exc.errors()[:3]:
                loc = ".".join(str(x) for x in e.get("loc", ()))
                msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
                parts.append(f"{loc}: {msg}" if loc else msg)
            raise ApiError(422, "Unprocessable Content", where + "; ".join(parts)) from None
        except ValueError as exc:
            raise ApiError(422, "Unprocessable Content", where + str(exc)) from None
    return out


async def _json(request: Request) -> Any:
    """The request's JSON body, as parsed and checked at the edge (:class:`BodyLimit`)."""
    if JSON_DOC in request.scope:
        return request.scope[JSON_DOC]
    return inputs.loads(await request.body())


def app_from_env() -> FastAPI:
    """The app of a worker process: settings from the environment; the parent already migrated."""
    return create_app(Settings.from_env(), migrate=False)
