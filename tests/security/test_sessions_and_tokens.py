"""Passwords, session cookies, API tokens and CSRF on a real server."""

from __future__ import annotations

import sqlite3

import httpx

from tests.conftest import MODEL_DIR
from tests.helpers import POLICYKB, cli_env
from tests.security.conftest import PASSWORD


def test_passwords_are_stored_as_argon2_hashes_never_in_plain_text(secure) -> None:
    with sqlite3.connect(secure.data_dir / "accounts.sqlite3") as db:
        hashes = [row[0] for row in db.execute("SELECT password_hash FROM users")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert PASSWORD.encode() not in (secure.data_dir / "accounts.sqlite3").read_bytes()


def test_session_cookie_is_httponly_samesite_and_not_secure_over_http(secure) -> None:
    response = httpx.post(secure.url + "/login", data={"username": "staff", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("policykb_session=") and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP here; `auto` sets it over HTTPS


def test_a_forged_or_tampered_cookie_is_a_visitor(secure) -> None:
    response = httpx.post(secure.url + "/login", data={"username": "ent_a", "password": PASSWORD})
    value = response.cookies["policykb_session"]
    payload, mac = value.split(".")
    forged = httpx.get(secure.url + "/staff", cookies={"policykb_session": payload + "." + "0" * len(mac)})
    assert forged.status_code == 401


def test_a_token_works_until_it_is_revoked(secure) -> None:
    with secure.client("staff") as client:
        created = client.post("/api/tokens", json={"name": "OA 对接"}, headers={"Origin": secure.url})
        assert created.status_code == 201, created.text
        token, token_id = created.json()["token"], created.json()["id"]
        listed = client.get("/api/tokens").json()["tokens"]
    assert token_id in [t["id"] for t in listed] and all("token" not in t for t in listed)
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(secure.url + "/api/enterprises", headers=headers).status_code == 200
    with sqlite3.connect(secure.data_dir / "accounts.sqlite3") as db:
        assert token not in [row[0] for row in db.execute("SELECT token_hash FROM api_tokens")]
    # Another user cannot revoke it; its owner can.
    assert httpx.delete(f"{secure.url}/api/tokens/{token_id}", headers=secure.headers("ent_a")).status_code == 404
    assert httpx.delete(f"{secure.url}/api/tokens/{token_id}", headers=headers).status_code == 200
    refused = httpx.get(secure.url + "/api/enterprises", headers=headers)
    assert refused.status_code == 401 and "吊销" in refused.json()["detail"]


def test_cross_site_form_posts_with_a_session_are_refused(secure) -> None:
    with secure.client("staff") as client:
        before = len(client.get("/api/tokens").json()["tokens"])
        forged = client.post(f"/staff/documents/{secure.doc_id}/retire", headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403 and "跨站" in forged.text
        also = client.post("/api/tokens", json={}, headers={"Sec-Fetch-Site": "cross-site"})
        assert also.status_code == 403 and "跨站" in also.json()["detail"]
        assert len(client.get("/api/tokens").json()["tokens"]) == before  # the forged call made no token
        same_site = client.post("/api/tokens", json={}, headers={"Origin": secure.url})
        assert same_site.status_code == 201


def test_cli_creates_the_first_admin_from_stdin(tmp_path) -> None:
    import subprocess

    env = cli_env(tmp_path / "data", MODEL_DIR)
    made = subprocess.run([POLICYKB, "users", "create", "--username", "root", "--role", "admin", "--password-stdin"], input="a-long-password\n", env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert "已创建管理员“root”" in made.stdout
    again = subprocess.run([POLICYKB, "users", "create", "--username", "root", "--role", "admin", "--password-stdin"], input="a-long-password\n", env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "已存在" in again.stderr
    short = subprocess.run([POLICYKB, "users", "create", "--username", "x", "--role", "staff", "--password-stdin"], input="short\n", env=env, capture_output=True, text=True, timeout=120)
    assert short.returncode == 2 and "密码至少" in short.stderr
