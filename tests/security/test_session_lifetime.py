"""Sessions end on the server, sign-ins are throttled per account, passwords follow a policy (issue 23, item 5).

On the package's real server: a copied session cookie stops working after signing out, a password reset, a role
change and a disable; a reset also revokes the user's API tokens; failed sign-ins are limited per user name
whatever address a client claims in X-Forwarded-For (which is not believed unless a proxy is configured); staff
and admin passwords need 12 characters, not a common password, not the user name. Users made here start ``t10_``.
"""

from __future__ import annotations

import subprocess
from contextlib import closing

import httpx

from tests.conftest import MODEL_DIR
from tests.helpers import POLICYKB, cli_env, login
from tests.security.conftest import PASSWORD

NEW_PASSWORD = "t10-another-long-password"


def _admin(secure, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, secure.url + path, headers=secure.headers("admin"), timeout=120, **kwargs)


def _create(secure, username: str, role: str = "staff", password: str = PASSWORD) -> httpx.Response:
    return _admin(secure, "POST", "/api/users", json={"username": username, "password": password, "role": role})


def _copied_session(secure, username: str) -> tuple[httpx.Client, dict[str, str]]:
    """A signed-in client, and a copy of its session cookie as another machine would replay it."""
    client = login(secure.url, username, PASSWORD)
    return client, {"policykb_session": client.cookies["policykb_session"]}


def _token(client: httpx.Client, secure) -> dict[str, str]:
    created = client.post("/api/tokens", json={"name": "t10"}, headers={"Origin": secure.url})
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


def test_a_copied_session_cookie_stops_working_after_logout(secure) -> None:
    assert _create(secure, "t10_logout").status_code == 201
    client, copied = _copied_session(secure, "t10_logout")
    with closing(client):
        assert httpx.get(secure.url + "/staff", cookies=copied).status_code == 200
        client.post("/logout", headers={"Origin": secure.url})
    assert httpx.get(secure.url + "/staff", cookies=copied).status_code == 401


def test_a_password_reset_ends_sessions_and_revokes_api_tokens(secure) -> None:
    assert _create(secure, "t10_reset").status_code == 201
    client, copied = _copied_session(secure, "t10_reset")
    with closing(client):
        token = _token(client, secure)
    assert httpx.get(secure.url + "/api/enterprises", headers=token).status_code == 200
    assert _admin(secure, "POST", "/api/users/t10_reset/password", json={"password": NEW_PASSWORD}).status_code == 200
    assert httpx.get(secure.url + "/staff", cookies=copied).status_code == 401
    refused = httpx.get(secure.url + "/api/enterprises", headers=token)
    assert refused.status_code == 401 and "吊销" in refused.json()["detail"]
    assert [u["live_tokens"] for u in _admin(secure, "GET", "/api/users").json()["users"] if u["username"] == "t10_reset"] == [0]
    with closing(login(secure.url, "t10_reset", NEW_PASSWORD)) as again:  # the new password opens a new session
        assert again.get("/staff").status_code == 200


def test_a_role_change_and_a_disable_end_sessions(secure) -> None:
    for username in ("t10_role", "t10_off"):
        assert _create(secure, username).status_code == 201
    role_client, role_copy = _copied_session(secure, "t10_role")
    off_client, off_copy = _copied_session(secure, "t10_off")
    role_client.close()
    off_client.close()
    assert _admin(secure, "POST", "/api/users/t10_role/role", json={"role": "admin"}).status_code == 200
    assert httpx.get(secure.url + "/api/tokens", cookies=role_copy).status_code == 401  # promoted, but signed out
    assert _admin(secure, "POST", "/api/users/t10_off/disable").status_code == 200
    assert _admin(secure, "POST", "/api/users/t10_off/enable").status_code == 200
    assert httpx.get(secure.url + "/api/tokens", cookies=off_copy).status_code == 401  # enabling opens no old session


def test_failed_sign_ins_are_limited_per_account_whatever_address_is_claimed(secure) -> None:
    assert _create(secure, "t10_guessed").status_code == 201
    statuses = [
        httpx.post(secure.url + "/login", data={"username": "t10_guessed", "password": f"guess-{n}"}, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(1, 21)
    ]
    # 5 failures a minute per name (the default): a token comes back every 12 s, so a slow run may see one more 401
    assert statuses[:5] == [401] * 5 and statuses[5] == 429 and statuses.count(429) >= 14, statuses
    limited = httpx.post(secure.url + "/login", data={"username": "t10_guessed", "password": PASSWORD})
    assert limited.status_code == 429 and "登录尝试过于频繁" in limited.text
    # another account is not held up by this one's failures
    assert _create(secure, "t10_other").status_code == 201
    assert httpx.post(secure.url + "/login", data={"username": "t10_other", "password": PASSWORD}).status_code == 303


def test_x_forwarded_for_is_not_believed_without_a_configured_proxy(secure) -> None:
    assert _create(secure, "t10_xff").status_code == 201
    signed_in = httpx.post(secure.url + "/login", data={"username": "t10_xff", "password": PASSWORD}, headers={"X-Forwarded-For": "198.51.100.23"})
    assert signed_in.status_code == 303
    entries = _admin(secure, "GET", "/api/audit", params={"limit": 1000}).json()["entries"]
    [entry] = [e for e in entries if e["target"] == "t10_xff" and e["action"] == "登录"]
    assert entry["detail"] == "客户端 127.0.0.1"


def test_staff_and_admin_passwords_follow_the_policy(secure) -> None:
    for username, role, password, reason in (
        ("t10_weak", "staff", "12345678", "工作人员和管理员的密码至少 12 个字符"),
        ("t10_weak", "admin", "123456789012", "该密码过于常见或简单"),
        ("t10_weak", "staff", "Password2024!", "该密码过于常见或简单"),
        ("t10_weak", "staff", "aaaabbbbaaaabbbb", "该密码过于常见或简单"),
        ("t10_policy_clerk", "staff", "T10_Policy_Clerk", "密码不能与用户名相同"),
    ):
        refused = _create(secure, username, role, password)
        assert refused.status_code == 422 and reason in refused.json()["detail"], (password, refused.text)
    assert _create(secure, "t10_firm", "enterprise", "12345678").status_code == 201  # enterprise accounts: 8 characters
    assert _create(secure, "t10_strong", "staff", "黄河远上白云间-2024").status_code == 201
    reset = _admin(secure, "POST", "/api/users/t10_strong/password", json={"password": "qwertyuiop123"})
    assert reset.status_code == 422 and "该密码过于常见或简单" in reset.json()["detail"]


def test_the_cli_refuses_a_common_admin_password(tmp_path) -> None:
    env = cli_env(tmp_path / "data", MODEL_DIR)
    made = subprocess.run([POLICYKB, "users", "create", "--username", "root", "--role", "admin", "--password-stdin"], input="administrator1\n", env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 2 and "该密码过于常见或简单" in made.stderr
