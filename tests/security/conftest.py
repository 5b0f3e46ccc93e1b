"""One real `policykb serve` for the security tests, with an admin, a staff member, two enterprises and their users.

Accounts are made with the account store in the server's data directory (what `policykb users create` does);
the enterprises through the API as staff. Rate limits are low so that the 429 tests stay quick.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from tests.conftest import MODEL_DIR, REPO
from tests.helpers import RunningServer, cli_env, create_account, login
from tests.push.conftest import enterprise_payload

PASSWORD = "correct horse battery"
ASK_PER_MINUTE = 4
SAMPLE_TXT = REPO / "policies_sample" / "laws" / "促进个体工商户发展条例(2022-10-01).md"


@dataclass
class SecurityServer:
    server: RunningServer
    data_dir: object
    tokens: dict[str, str] = field(default_factory=dict)  # username -> API token
    enterprises: dict[str, int] = field(default_factory=dict)  # "a"/"b" -> enterprise id
    doc_id: str = ""

    @property
    def url(self) -> str:
        return self.server.url

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    @contextmanager
    def client(self, username: str) -> Iterator[httpx.Client]:
        """A client signed in as ``username`` through the login form; closed on leaving the block."""
        signed_in = login(self.url, username, PASSWORD)
        try:
            yield signed_in
        finally:
            signed_in.close()


@pytest.fixture(scope="package")
def secure(tmp_path_factory) -> Iterator[SecurityServer]:
    data_dir = tmp_path_factory.mktemp("security") / "data"
    tokens = {name: create_account(data_dir, name, role, PASSWORD) for name, role in (("admin", "admin"), ("staff", "staff"), ("newcomer", "enterprise"))}
    env = {**cli_env(data_dir, MODEL_DIR), "POLICYKB_RATE_LIMIT_ASK_PER_MINUTE": str(ASK_PER_MINUTE), "POLICYKB_RATE_LIMIT_LOGIN_PER_MINUTE": "1000"}
    running = RunningServer(env)
    state = SecurityServer(running, data_dir, tokens)
    try:
        for key, name in (("a", "甲公司"), ("b", "乙公司")):
            response = httpx.post(f"{running.url}/api/enterprises", json=enterprise_payload(name=f"呼和浩特市{name}"), headers=state.headers("staff"))
            assert response.status_code == 201, response.text
            state.enterprises[key] = response.json()["id"]
            state.tokens[f"ent_{key}"] = create_account(data_dir, f"ent_{key}", "enterprise", PASSWORD, state.enterprises[key])
        upload = httpx.post(
            f"{running.url}/api/documents", files=[("files", (SAMPLE_TXT.name, SAMPLE_TXT.read_bytes(), "text/markdown"))], headers=state.headers("staff"), timeout=300
        )
        assert upload.status_code == 200, upload.text
        state.doc_id = upload.json()["results"][0]["doc_id"]
        yield state
    finally:
        running.stop()
