"""Property-based API testing over the whole OpenAPI (schemathesis), on SQLite and PostgreSQL.

Every operation receives generated requests (valid and invalid by the schema)
with a tenant's or the admin's key; no answer may be a 5xx, and every answer
must match the response schema the OpenAPI declares.  The number of examples
per operation is ``PEDAGOGY_SCHEMATHESIS_EXAMPLES`` (default 15, so CI stays
quick; raise it for a deeper search).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

from .conftest import ADMIN, Api  # noqa: E402
from .test_api import COURSE  # noqa: E402

EXAMPLES = int(os.environ.get("PEDAGOGY_SCHEMATHESIS_EXAMPLES", "15"))


def _property(op: Any, token: str) -> Any:
    """The hypothesis test of one operation, called with ``token``."""
    from hypothesis import given

    @given(case=op.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error, response_schema_conformance])

    return run


def test_no_5xx_and_responses_match_the_schema(api: Api) -> None:
    """Every operation of the OpenAPI, with a tenant ``acme``, its course ``arith`` and a learner ``ann``."""
    key = api.tenant("acme")
    api.course(key, COURSE)
    r = api.call(key, "POST", "/v1/courses/arith/learners/ann/answers", json={"item": "a1", "correct": 1})
    assert r.status_code == 200, r.text
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    failures = []
    n_ops = 0
    ops = [result.ok() for result in schema.get_all_operations()]
    # deletions last: a revoked key or a deleted course would leave the other operations only 401s and 404s
    for op in sorted(ops, key=lambda o: (o.method.lower() == "delete", o.path, o.method)):
        n_ops += 1
        token = ADMIN if op.path.startswith(("/v1/tenants", "/v1/keys")) else key

        try:
            _property(op, token)()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
            failures.append(f"{op.method.upper()} {op.path}: {exc}")
    assert n_ops >= 15
    assert not failures, "\n\n".join(failures)
