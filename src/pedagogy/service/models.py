"""The service's tables as SQLAlchemy 2 typed models.

The schema itself is created by the Alembic migrations in
``pedagogy/service/migrations``; ``tests/service/test_migrations.py`` checks
that these models and the migrations agree (autogenerate finds no diff).

Layout:

* ``tenants`` / ``api_keys`` — who may call; keys are stored as the sha256 of
  the token, an admin key has no tenant;
* ``courses`` — a skill graph with items (``space`` JSON), a teacher with its
  options, an optional fitted student model (``pedagogy kt fit`` JSON);
* ``learners`` — opaque external ids per tenant;
* ``learner_states`` — per (course, learner): the student-model state and the
  teacher's ``state_dict()``, with a ``version`` bumped on every change;
* ``answers`` — every stored answer, in order (``seq`` per course/learner);
* ``xapi_statements`` — statement id -> answer, for idempotent re-sends;
* ``idempotency_keys`` — the stored response of a request made with an
  ``Idempotency-Key`` header.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Tenant", "ApiKey", "Course", "Learner", "LearnerState", "Answer", "XapiStatement", "IdempotencyKey"]

#: a big-integer primary key that is still an auto-incrementing rowid on SQLite
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Course(Base):
    __tablename__ = "courses"
    # AUTOINCREMENT: SQLite must not reuse a deleted course's id (per-process caches are keyed by it)
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_courses_tenant_name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500), default="")
    space: Mapped[str] = mapped_column(Text)  # SkillGraph.to_dict() as JSON
    teacher: Mapped[str] = mapped_column(String(100))
    teacher_options: Mapped[str] = mapped_column(Text)  # JSON object
    seed: Mapped[int] = mapped_column(BigInteger, default=0)
    model: Mapped[str | None] = mapped_column(Text)  # saved pedagogy.kt model JSON, or NULL for the default BKT
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Learner(Base):
    __tablename__ = "learners"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id", name="uq_learners_tenant_external"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LearnerState(Base):
    __tablename__ = "learner_states"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True)
    teacher_seed: Mapped[int] = mapped_column(BigInteger)
    model_state: Mapped[str] = mapped_column(Text)  # JSON: the student model's state for this learner
    teacher_state: Mapped[str] = mapped_column(Text)  # JSON: Teacher.state_dict()
    n_answers: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("course_id", "learner_id", "seq", name="uq_answers_course_learner_seq"),
        Index("ix_answers_tenant", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per (course, learner)
    item: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    predicted: Mapped[float] = mapped_column(Float)  # P(correct) before the answer
    source: Mapped[str] = mapped_column(String(10), default="api")  # "api" or "xapi"
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class XapiStatement(Base):
    __tablename__ = "xapi_statements"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
