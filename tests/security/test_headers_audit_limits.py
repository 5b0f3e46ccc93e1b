"""Security headers on every kind of response, the audit log, and rate limiting (429 in Chinese)."""

from __future__ import annotations

import httpx
import pytest

from tests.security.conftest import ASK_PER_MINUTE, PASSWORD
from webui.rate_limit import TokenBucketLimiter


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),  # HTML page
        ("GET", "/healthz", 200),  # JSON
        ("GET", "/static/site.css", 200),  # static file
        ("GET", "/api/documents/missing", 404),  # JSON error
        ("GET", "/no-such-page", 404),  # HTML error
        ("GET", "/staff", 401),  # denied page
        ("GET", "/api/search", 422),  # validation error
        ("POST", "/api/documents", 401),  # refused API call
    ],
)
def test_every_response_carries_the_security_headers(secure, method, path, status) -> None:
    response = httpx.request(method, secure.url + path)
    assert response.status_code == status
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_staff_actions_are_audited_and_only_admins_see_the_log(secure) -> None:
    with secure.client("staff") as client:
        retired = client.post(f"/staff/documents/{secure.doc_id}/retire", headers={"Origin": secure.url})
        assert retired.status_code == 303
    entries = httpx.get(secure.url + "/api/audit", headers=secure.headers("admin")).json()["entries"]
    actions = [(e["username"], e["action"], e["target"]) for e in entries]
    assert ("staff", "标记为已失效", secure.doc_id) in actions
    upload = next(e for e in entries if e["action"] == "上传文档")
    assert upload["username"] == "staff" and secure.doc_id in upload["detail"]
    assert all(e["at"] for e in entries)
    for who in ("staff", "ent_a"):
        assert httpx.get(secure.url + "/api/audit", headers=secure.headers(who)).status_code == 403
    assert httpx.get(secure.url + "/api/audit").status_code == 401
    with secure.client("admin") as admin:
        page = admin.get("/admin/audit")
    assert page.status_code == 200 and "标记为已失效" in page.text and "审计日志" in page.text


def test_the_audit_log_cannot_be_changed(secure) -> None:
    import sqlite3

    db = sqlite3.connect(secure.data_dir / "audit.sqlite3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit_log")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit_log SET username = 'someone'")
    db.close()


def test_asking_too_fast_gets_429_in_chinese(secure) -> None:
    statuses = [httpx.post(secure.url + "/api/ask", json={"question": "个体工商户有哪些扶持？"}, timeout=120) for _ in range(ASK_PER_MINUTE + 2)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert limited[0].json()["detail"] == "请求过于频繁，请稍后再试。" and limited[0].headers["retry-after"]
    assert limited[0].headers["x-content-type-options"] == "nosniff"
    assert httpx.get(secure.url + "/api/search", params={"q": "补贴"}).status_code == 200  # search is not limited


def test_token_bucket_refills_at_the_steady_rate() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(per_minute=2, clock=lambda: now[0])
    assert [limiter.allow("ip") for _ in range(3)] == [True, True, False]
    assert limiter.allow("other")
    now[0] = 30.0
    assert limiter.allow("ip") and not limiter.allow("ip")
    assert TokenBucketLimiter(per_minute=0).allow("ip")


def test_login_attempts_are_rate_limited(tmp_path) -> None:
    from tests.conftest import MODEL_DIR
    from tests.helpers import RunningServer, cli_env, create_account

    data_dir = tmp_path / "data"
    create_account(data_dir, "staff", "staff", PASSWORD)
    server = RunningServer({**cli_env(data_dir, MODEL_DIR), "POLICYKB_RATE_LIMIT_LOGIN_PER_MINUTE": "3"})
    try:
        statuses = [httpx.post(server.url + "/login", data={"username": "staff", "password": "wrong-guess"}).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        limited = httpx.post(server.url + "/login", data={"username": "staff", "password": PASSWORD})
        assert limited.status_code == 429 and "登录尝试过于频繁" in limited.text
    finally:
        server.stop()
