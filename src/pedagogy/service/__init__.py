"""The tutoring service: ``pedagogy serve`` (needs the ``[service]`` extra).

A FastAPI application over SQLAlchemy 2 (SQLite by default, PostgreSQL for
several worker processes) that stores learners' answers and asks a course's
teacher what each learner should practise next:

* :mod:`pedagogy.service.app` — the HTTP API (``create_app``);
* :mod:`pedagogy.service.store` — the transactions (one per request);
* :mod:`pedagogy.service.core` — courses, student models, teachers (no database);
* :mod:`pedagogy.service.models` / ``migrations/`` — the schema (Alembic);
* :mod:`pedagogy.service.dashboard` — the HTML dashboard at ``/``;
* :mod:`pedagogy.service.cli` — ``pedagogy serve`` and ``pedagogy demo``.

Importing this package imports nothing heavy; FastAPI and SQLAlchemy are
loaded by the submodules that need them.
"""
