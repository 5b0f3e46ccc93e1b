"""One real `policykb serve` for the API fuzzing, seeded so that authenticated calls reach real resources.

The server gets an admin, a staff member and an enterprise user whose enterprise (呼和浩特市新城区) has a profile,
a keyword subscription and one inbox message: the sample document is uploaded, given an eligibility rule and
published, so the policy, the enterprise, the subscription and the message all exist under known ids. The ask
rate limit is off: the fuzzer should reach the Q&A pipeline, not the 429 in front of it (tests/security covers that).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import MODEL_DIR, REPO
from tests.helpers import RunningServer, cli_env, create_account, login
from tests.push.conftest import enterprise_payload

PASSWORD = "fuzz horse battery staple"
SAMPLE_DOCUMENT = REPO / "policies_sample" / "laws" / "促进个体工商户发展条例(2022-10-01).md"

if not hasattr(pytest.Function, "_nodeid"):
    # schemathesis 4.32's lazy schemas (``schemathesis.pytest.from_fixture``) rename the running test through
    # ``node._nodeid``, which pytest 9.2 replaced by a structured ``node._id``. Map the old name onto the new one;
    # drop this once a schemathesis release speaks pytest 9.2.
    from _pytest.nodeid import coerce_node_id

    def _set_node_id(node: pytest.Function, value: str) -> None:
        node._id = coerce_node_id(value)

    pytest.Function._nodeid = property(lambda node: node.nodeid, _set_node_id)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FuzzServer:
    server: RunningServer
    data_dir: Path
    tokens: dict[str, str]  # username -> API token
    sessions: dict[str, str]  # username -> session cookie value
    known_ids: dict[str, object]  # path parameter name -> id of a resource that exists

    @property
    def url(self) -> str:
        return self.server.url


def _session_cookie(url: str, username: str) -> str:
    client = login(url, username, PASSWORD)
    try:
        return client.cookies["policykb_session"]
    finally:
        client.close()


@pytest.fixture(scope="package")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzServer]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    tokens = {name: create_account(data_dir, name, role, PASSWORD) for name, role in (("admin", "admin"), ("staff", "staff"))}
    env = {**cli_env(data_dir, MODEL_DIR), "POLICYKB_RATE_LIMIT_ASK_PER_MINUTE": "0", "POLICYKB_RATE_LIMIT_LOGIN_PER_MINUTE": "0"}
    running = RunningServer(env)
    try:
        with httpx.Client(base_url=running.url, headers={"Authorization": f"Bearer {tokens['staff']}"}, timeout=300) as staff:
            enterprise = staff.post("/api/enterprises", json=enterprise_payload(name="呼和浩特市模糊测试有限公司"))
            assert enterprise.status_code == 201, enterprise.text
            enterprise_id = enterprise.json()["id"]
            tokens["enterprise"] = create_account(data_dir, "enterprise", "enterprise", PASSWORD, enterprise_id)
            upload = staff.post("/api/documents", files=[("files", (SAMPLE_DOCUMENT.name, SAMPLE_DOCUMENT.read_bytes(), "text/markdown"))])
            assert upload.status_code == 200, upload.text
            doc_id = upload.json()["results"][0]["doc_id"]
            rules = staff.put(f"/api/policies/{doc_id}/rules", json={"rules": {"op": "region_within", "value": "150100"}})
            assert rules.status_code == 200, rules.text
            subscription = staff.post("/api/subscriptions", json={"enterprise_id": enterprise_id, "kind": "keyword", "value": "个体工商户"})
            assert subscription.status_code == 201, subscription.text
            published = staff.post(f"/api/policies/{doc_id}/publish")
            assert published.status_code == 200 and published.json()["pushes_created"] == 1, published.text
            inbox = staff.get("/api/inbox", params={"enterprise_id": enterprise_id}).json()["messages"]
        sessions = {name: _session_cookie(running.url, name) for name in ("admin", "staff")}
        known_ids = {
            "doc_id": doc_id,
            "policy_id": doc_id,
            "enterprise_id": enterprise_id,
            "subscription_id": subscription.json()["id"],
            "message_id": inbox[0]["id"],
        }
        yield FuzzServer(running, data_dir, tokens, sessions, known_ids)
    finally:
        running.stop()
