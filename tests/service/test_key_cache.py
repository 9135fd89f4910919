"""The per-worker API-key cache: a revoke works at once in its own worker, within KEY_CACHE_SECONDS in the others."""

from __future__ import annotations

import pytest

from pedagogy.service import store as store_mod
from pedagogy.service.store import Store


def test_a_revoke_reaches_every_worker(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = Store(db_url), Store(db_url)  # two workers on one database
    try:
        b.ensure_tenant("acme")
        made = b.create_key("acme", "")
        token = made["key"]
        admin = store_mod.Principal(0, None, True)
        pa = a.authenticate_cached(token)
        assert pa is not None and pa.tenant_id is not None
        assert b.authenticate_cached(token) is not None
        b.revoke_key(made["id"], admin)
        assert b.authenticate_cached(token) is None  # the revoking worker: at once
        assert a.authenticate_cached(token) is not None  # the other: still cached ...
        now = store_mod.time.monotonic()
        monkeypatch.setattr(store_mod.time, "monotonic", lambda: now + store_mod.KEY_CACHE_SECONDS + 0.01)
        assert a.authenticate_cached(token) is None  # ... until its entry expires
    finally:
        a.dispose()
        b.dispose()
