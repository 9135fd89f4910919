"""The shipped Alembic migrations: up, down, up again on both backends, and they match the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect

from pedagogy.service.db import alembic_config, make_engine
from pedagogy.service.models import Base

TABLES = {t.name for t in Base.metadata.sorted_tables}


def _tables(url: str) -> set[str]:
    engine = make_engine(url, pool_size=None)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _diff(url: str, metadata: MetaData = Base.metadata) -> list:
    engine = make_engine(url, pool_size=None)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_no_model_diff(empty_db_url: str) -> None:
    cfg = alembic_config(empty_db_url)
    assert _tables(empty_db_url) == set()
    command.upgrade(cfg, "head")
    assert _tables(empty_db_url) == TABLES
    assert _diff(empty_db_url) == []
    command.downgrade(cfg, "base")
    assert _tables(empty_db_url) == set()
    command.upgrade(cfg, "head")
    assert _tables(empty_db_url) == TABLES
    assert _diff(empty_db_url) == []
    command.upgrade(cfg, "head")  # idempotent: what every start does


def test_the_diff_check_sees_a_model_change(empty_db_url: str) -> None:
    """The comparison above can fail: a column the migrations do not create shows up."""
    command.upgrade(alembic_config(empty_db_url), "head")
    changed = MetaData()
    for t in Base.metadata.tables.values():
        t.to_metadata(changed)
    changed.tables["courses"].append_column(Column("not_migrated", Integer))
    diff = _diff(empty_db_url, changed)
    assert any(d[0] == "add_column" and d[3].name == "not_migrated" for d in diff)
