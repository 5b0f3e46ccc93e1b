"""Schemathesis against the real server's own /openapi.json: no 5xx, and every response as documented.

Every operation of the spec is fuzzed four times, as a visitor, as an enterprise user (API token), as a staff
member (session cookie) and as an administrator (session cookie), so the authenticated code paths are exercised and
not only their 401s. Generated path ids are replaced, some of the time, by the ids of the resources the fixture
seeded (the policy, the enterprise, its subscription and inbox message), so the 2xx paths are fuzzed too. Each
response must be a non-5xx status the operation documents, with a documented content type and a body and headers
matching the documented schema.

State changes are part of the run, ordered so that they do not hide later operations: every DELETE operation is
fuzzed after all the others, and the enterprise user's run skips ``DELETE /api/tokens/{token_id}``, which would
revoke the very token that run authenticates with (the two session runs fuzz it).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import FuzzServer

# Per operation and identity in the fuzzing phase (valid and invalid inputs), on top of the coverage phase's
# boundary and missing-parameter cases. The seed is fixed, so every run sends the same requests; change it to explore.
MAX_EXAMPLES = 20
SEED = 20260425
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, response_headers_conformance]
IDENTITIES = ("anonymous", "enterprise-token", "staff-session", "admin-session")


def _identity_headers(server: FuzzServer, identity: str) -> dict[str, str]:
    if identity == "anonymous":
        return {}
    username, how = identity.split("-")
    if how == "token":
        return {"Authorization": f"Bearer {server.tokens[username]}"}
    return {"Cookie": f"policykb_session={server.sessions[username]}"}


@pytest.fixture(params=IDENTITIES)
def api_schema(request: pytest.FixtureRequest, fuzz_server: FuzzServer) -> schemathesis.BaseSchema:
    identity = request.param
    operations: list[dict[str, Any]] = []
    if identity.endswith("-token"):
        operations.append({"include-name": "DELETE /api/tokens/{token_id}", "enabled": False})
    config = schemathesis.Config.from_dict(
        {
            "base-url": fuzz_server.url,
            "headers": _identity_headers(fuzz_server, identity),
            "seed": SEED,
            "request-timeout": 60,  # seconds; no hypothesis deadline, the machine may be busy
            "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "operations": operations,
        }
    )
    schema = schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json", config=config)
    known = fuzz_server.known_ids

    @schema.hook
    def before_generate_path_parameters(context: Any, strategy: st.SearchStrategy) -> st.SearchStrategy:
        def with_known_ids(parameters: Any) -> Any:
            if not isinstance(parameters, dict):
                return parameters
            return {name: known.get(name, value) for name, value in parameters.items()}

        return st.one_of(strategy, strategy.map(with_known_ids))

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.exclude(method="DELETE").parametrize()
def test_every_operation_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


@schema.include(method="DELETE").parametrize()
def test_every_deletion_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
