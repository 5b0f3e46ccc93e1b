"""Admin user administration and settings (issue 7) on a real server: who may use them, what they do, what is audited.

Uses the package's one server (``secure``: admin, staff and enterprise accounts); the users made here have names
starting with ``t7_`` so that the other security tests' accounts are never touched. The settings page gets its own
server, started with secrets configured, to prove none of them reaches the HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from accounts.administration import UserAdminError, UserAdministration, UserConflict
from accounts.users import AccountStore, Role
from tests.conftest import MODEL_DIR
from tests.helpers import RunningServer, cli_env, create_account, login
from tests.security.conftest import PASSWORD
from webui.settings_view import SECRET_SET, SECRET_UNSET, settings_rows

ROLES = (None, "ent_a", "staff", "admin")  # None: anonymous
NEW_PASSWORD = "t7-brand-new-password"


def _call(secure, username: str | None, method: str, path: str, **kwargs) -> httpx.Response:
    headers = secure.headers(username) if username else {}
    return httpx.request(method, secure.url + path, headers=headers, timeout=120, **kwargs)


def _form(client: httpx.Client, secure, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    """A form post from the admin page, as a browser sends it (with this site's Origin)."""
    return client.post(path, data=data or {}, headers={"Origin": secure.url}, follow_redirects=False)


def _create(secure, username: str, role: str = "staff", enterprise_id: int | None = None) -> dict:
    response = _call(secure, "admin", "POST", "/api/users", json={"username": username, "password": PASSWORD, "role": role, "enterprise_id": enterprise_id})
    assert response.status_code == 201, response.text
    return response.json()


def _token_for(secure, username: str, password: str = PASSWORD) -> str:
    client = login(secure.url, username, password)
    try:
        created = client.post("/api/tokens", json={"name": "t7"}, headers={"Origin": secure.url})
        assert created.status_code == 201, created.text
        return created.json()["token"]
    finally:
        client.close()


def _login_status(secure, username: str, password: str = PASSWORD) -> int:
    return httpx.post(secure.url + "/login", data={"username": username, "password": password}).status_code


def _audit(secure) -> list[dict]:
    return httpx.get(secure.url + "/api/audit", params={"limit": 1000}, headers=secure.headers("admin")).json()["entries"]


# ------------------------------------------------------------------------------------------------ authorisation


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/admin/users", {}),
        ("GET", "/admin/settings", {}),
        ("POST", "/admin/users", {"data": {}}),
        ("POST", "/admin/users/t7-nobody/disable", {}),
        ("POST", "/admin/users/t7-nobody/enable", {}),
        ("POST", "/admin/users/t7-nobody/password", {"data": {"password": NEW_PASSWORD}}),
        ("POST", "/admin/users/t7-nobody/role", {"data": {"role": "staff"}}),
        ("POST", "/admin/users/t7-nobody/revoke-tokens", {}),
        ("GET", "/api/users", {}),
        ("POST", "/api/users", {"json": {}}),
        ("POST", "/api/users/t7-nobody/disable", {}),
        ("POST", "/api/users/t7-nobody/enable", {}),
        ("POST", "/api/users/t7-nobody/password", {"json": {"password": NEW_PASSWORD}}),
        ("POST", "/api/users/t7-nobody/role", {"json": {"role": "staff"}}),
        ("POST", "/api/users/t7-nobody/revoke-tokens", {}),
    ],
)
def test_only_admins_reach_the_admin_routes(secure, method, path, kwargs) -> None:
    for role in ROLES:
        response = _call(secure, role, method, path, **kwargs)
        if role == "admin":
            assert response.status_code not in (401, 403), f"admin {method} {path}: {response.status_code} {response.text[:200]}"
        elif role is None:
            assert response.status_code == 401, f"anonymous {method} {path}: {response.status_code}"
            assert "管理员" in response.text
        else:
            assert response.status_code == 403, f"{role} {method} {path}: {response.status_code}"
            assert "仅供管理员" in response.text


def test_pages_refuse_other_roles_with_the_chinese_pages(secure) -> None:
    anonymous = httpx.get(secure.url + "/admin/users")
    assert anonymous.status_code == 401 and "请先以管理员账号登录" in anonymous.text and 'href="/login"' in anonymous.text
    for who in ("staff", "ent_a"):
        with secure.client(who) as client:
            for path in ("/admin/users", "/admin/settings"):
                page = client.get(path)
                assert page.status_code == 403 and "无权访问" in page.text and "仅供管理员" in page.text
            assert "系统管理" not in client.get("/library").text  # no admin link in their navigation


def test_the_admin_navigation_links_users_settings_and_audit(secure) -> None:
    with secure.client("admin") as client:
        home = client.get("/library").text
        assert 'href="/admin/users"' in home and "系统管理" in home
        for path in ("/admin/users", "/admin/settings", "/admin/audit"):
            page = client.get(path).text
            nav = page[page.index('aria-label="系统管理"'):]
            assert all(f'href="{link}"' in nav for link in ("/admin/users", "/admin/settings", "/admin/audit")), path
            assert re.search(rf'href="{path}" aria-current="page"', page), path


# ------------------------------------------------------------------------------------------------ the users page


def test_an_admin_lists_the_users_with_role_enterprise_state_and_live_tokens(secure) -> None:
    users = {u["username"]: u for u in _call(secure, "admin", "GET", "/api/users").json()["users"]}
    assert users["admin"]["role"] == "admin" and users["admin"]["role_label"] == "管理员" and users["admin"]["live_tokens"] >= 1
    assert users["ent_a"]["enterprise_id"] == secure.enterprises["a"] and users["ent_a"]["role_label"] == "企业用户"
    assert all(u["created_at"] and u["disabled"] is False for u in users.values() if u["username"] in ("admin", "staff", "ent_a"))
    assert all("password" not in key and "hash" not in key for u in users.values() for key in u)
    with secure.client("admin") as client:
        page = client.get("/admin/users").text
    row = page[page.index(">ent_a<"):]
    row = row[: row.index("</tr>")]
    assert "企业用户" in row and "甲公司" in row and f"ID {secure.enterprises['a']}" in row and "正常" in row
    assert "（当前账号）" in page
    assert "argon2" not in page


def test_an_admin_creates_a_user_through_the_form_who_can_then_sign_in(secure) -> None:
    with secure.client("admin") as client:
        made = _form(client, secure, "/admin/users", {"username": "t7_form", "password": PASSWORD, "role": "staff", "enterprise_id": ""})
        assert made.status_code == 303, made.text
        listed = client.get(made.headers["location"])
    assert "已创建用户“t7_form”" in listed.text
    row = listed.text[listed.text.index(">t7_form<"):]
    assert "工作人员" in row[: row.index("</tr>")]
    signed_in = httpx.post(secure.url + "/login", data={"username": "t7_form", "password": PASSWORD})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/staff"


def test_an_enterprise_user_is_created_for_an_existing_enterprise_only(secure) -> None:
    own = secure.enterprises["a"]
    user = _create(secure, "t7_ent", "enterprise", own)
    assert user["enterprise_id"] == own and user["role"] == "enterprise"
    signed_in = httpx.post(secure.url + "/login", data={"username": "t7_ent", "password": PASSWORD})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portal"
    missing = _call(secure, "admin", "POST", "/api/users", json={"username": "t7_ghost", "password": PASSWORD, "role": "enterprise", "enterprise_id": 999999})
    assert missing.status_code == 422 and "企业 999999 不存在" in missing.json()["detail"]
    staff_with_enterprise = _call(secure, "admin", "POST", "/api/users", json={"username": "t7_ghost", "password": PASSWORD, "role": "staff", "enterprise_id": own})
    assert staff_with_enterprise.status_code == 422 and "只有企业用户" in staff_with_enterprise.json()["detail"]
    assert _login_status(secure, "t7_ghost") == 401


def test_form_errors_are_in_chinese_and_keep_what_was_typed(secure) -> None:
    with secure.client("admin") as client:
        duplicate = _form(client, secure, "/admin/users", {"username": "staff", "password": NEW_PASSWORD, "role": "admin", "enterprise_id": ""})
        assert duplicate.status_code == 409
        assert "用户名“staff”已存在" in duplicate.text and 'role="alert"' in duplicate.text
        assert 'id="new-username" name="username" value="staff"' in duplicate.text
        assert '<option value="admin" selected>' in duplicate.text
        assert NEW_PASSWORD not in duplicate.text  # a password is never sent back
        short = _form(client, secure, "/admin/users", {"username": "t7_short", "password": "short", "role": "staff", "enterprise_id": ""})
        assert short.status_code == 422 and "密码至少 12 个字符" in short.text and 'aria-invalid="true" aria-describedby="h-new-password err-password"' in short.text
        missing = _form(client, secure, "/admin/users", {"username": "t7_nofirm", "password": PASSWORD, "role": "enterprise", "enterprise_id": "424242"})
        assert missing.status_code == 422 and "企业 424242 不存在" in missing.text
        assert 'value="t7_nofirm"' in missing.text and 'value="424242"' in missing.text and '<option value="enterprise" selected>' in missing.text
        not_a_number = _form(client, secure, "/admin/users", {"username": "t7_nofirm", "password": PASSWORD, "role": "enterprise", "enterprise_id": "甲"})
        assert not_a_number.status_code == 422 and "企业 ID 应为正整数" in not_a_number.text
        blank = _form(client, secure, "/admin/users", {"username": "  ", "password": PASSWORD, "role": "staff"})
        assert blank.status_code == 422 and "用户名不能为空" in blank.text
    duplicate_api = _call(secure, "admin", "POST", "/api/users", json={"username": "staff", "password": PASSWORD, "role": "staff"})
    assert duplicate_api.status_code == 409 and duplicate_api.json()["detail"] == "用户名“staff”已存在"
    bad_role = _call(secure, "admin", "POST", "/api/users", json={"username": "t7_role", "password": PASSWORD, "role": "visitor"})
    assert bad_role.status_code == 422 and "访客无需账号" in bad_role.json()["detail"]
    for name in ("t7_short", "t7_nofirm", "t7_role"):
        assert _login_status(secure, name) == 401


def test_unencodable_text_is_refused_not_a_server_error(secure) -> None:
    headers = {**secure.headers("admin"), "Content-Type": "application/json"}
    for body in (
        rb'{"username": "t7_\ud800", "password": "correct horse battery", "role": "staff"}',
        rb'{"username": "t7_sur", "password": "correct horse battery", "role": "\ud800"}',
        rb'{"username": "t7_sur", "password": "\ud800\ud800\ud800\ud800\ud800\ud800\ud800\ud800", "role": "staff"}',
    ):
        response = httpx.post(secure.url + "/api/users", content=body, headers=headers)
        assert response.status_code == 422, response.text
    assert _login_status(secure, "t7_sur") == 401


def test_disabling_stops_login_session_and_token_and_enabling_restores_login_and_token(secure) -> None:
    _create(secure, "t7_off")
    token = {"Authorization": f"Bearer {_token_for(secure, 't7_off')}"}
    session = login(secure.url, "t7_off", PASSWORD)
    try:
        assert session.get("/staff").status_code == 200
        with secure.client("admin") as admin:
            disabled = _form(admin, secure, "/admin/users/t7_off/disable")
            assert disabled.status_code == 303
            page = admin.get(disabled.headers["location"]).text
        assert "已停用用户“t7_off”" in page
        assert _login_status(secure, "t7_off") == 401
        assert httpx.get(secure.url + "/api/enterprises", headers=token).status_code == 401
        assert session.get("/staff").status_code == 401  # the open session is out at once
        assert [u["disabled"] for u in _call(secure, "admin", "GET", "/api/users").json()["users"] if u["username"] == "t7_off"] == [True]

        enabled = _call(secure, "admin", "POST", "/api/users/t7_off/enable")
        assert enabled.status_code == 200 and enabled.json()["disabled"] is False
        assert _login_status(secure, "t7_off") == 303
        assert httpx.get(secure.url + "/api/enterprises", headers=token).status_code == 200
        assert session.get("/staff").status_code == 401  # the session ended with the disable: sign in again
        again = _call(secure, "admin", "POST", "/api/users/t7_off/disable")
        assert again.status_code == 200 and again.json()["disabled"] is True
    finally:
        session.close()


def test_a_password_reset_replaces_the_old_password(secure) -> None:
    _create(secure, "t7_pw")
    with secure.client("admin") as admin:
        short = _form(admin, secure, "/admin/users/t7_pw/password", {"password": "short"})
        assert short.status_code == 422 and "密码至少 12 个字符" in short.text
        reset = _form(admin, secure, "/admin/users/t7_pw/password", {"password": NEW_PASSWORD})
        assert reset.status_code == 303
        assert "已重置用户“t7_pw”的密码" in admin.get(reset.headers["location"]).text
    assert _login_status(secure, "t7_pw", PASSWORD) == 401
    assert _login_status(secure, "t7_pw", NEW_PASSWORD) == 303
    again = _call(secure, "admin", "POST", "/api/users/t7_pw/password", json={"password": PASSWORD})
    assert again.status_code == 200 and again.json()["username"] == "t7_pw"
    assert _login_status(secure, "t7_pw", NEW_PASSWORD) == 401 and _login_status(secure, "t7_pw", PASSWORD) == 303
    assert _call(secure, "admin", "POST", "/api/users/t7-nobody/password", json={"password": PASSWORD}).status_code == 404


def test_revoking_all_tokens_of_a_user(secure) -> None:
    _create(secure, "t7_tokens")
    tokens = [{"Authorization": f"Bearer {_token_for(secure, 't7_tokens')}"} for _ in range(2)]
    listed = {u["username"]: u for u in _call(secure, "admin", "GET", "/api/users").json()["users"]}
    assert listed["t7_tokens"]["live_tokens"] == 2
    with secure.client("admin") as admin:
        page = admin.get("/admin/users").text
        assert 'action="/admin/users/t7_tokens/revoke-tokens"' in page
        revoked = _form(admin, secure, "/admin/users/t7_tokens/revoke-tokens")
        assert revoked.status_code == 303
        assert "已吊销用户“t7_tokens”的全部 API 令牌" in admin.get(revoked.headers["location"]).text
    for headers in tokens:
        refused = httpx.get(secure.url + "/api/enterprises", headers=headers)
        assert refused.status_code == 401 and "吊销" in refused.json()["detail"]
    assert _login_status(secure, "t7_tokens") == 303  # the account itself still works
    again = _call(secure, "admin", "POST", "/api/users/t7_tokens/revoke-tokens")
    assert again.status_code == 200 and again.json() == {"username": "t7_tokens", "revoked": 0}


def test_an_admin_cannot_disable_or_demote_themselves(secure) -> None:
    with secure.client("admin") as admin:
        page = admin.get("/admin/users").text
        assert 'action="/admin/users/admin/disable"' not in page  # no button for it…
        refused = _form(admin, secure, "/admin/users/admin/disable")  # …and the server refuses it anyway
        assert refused.status_code == 409 and "不能停用自己的账号" in refused.text
        demoted = _form(admin, secure, "/admin/users/admin/role", {"role": "staff", "enterprise_id": ""})
        assert demoted.status_code == 409 and "不能降低自己的角色" in demoted.text
        assert admin.get("/admin/users").status_code == 200  # still an admin
    by_api = _call(secure, "admin", "POST", "/api/users/admin/disable")
    assert by_api.status_code == 409 and "不能停用自己的账号" in by_api.json()["detail"]
    by_api = _call(secure, "admin", "POST", "/api/users/admin/role", json={"role": "enterprise"})
    assert by_api.status_code == 409 and "不能降低自己的角色" in by_api.json()["detail"]
    me = next(u for u in _call(secure, "admin", "GET", "/api/users").json()["users"] if u["username"] == "admin")
    assert me["role"] == "admin" and me["disabled"] is False


def test_an_admin_changes_a_role_and_the_new_role_applies_at_once(secure) -> None:
    _create(secure, "t7_role_change")
    token = {"Authorization": f"Bearer {_token_for(secure, 't7_role_change')}"}
    assert httpx.get(secure.url + "/api/users", headers=token).status_code == 403
    with secure.client("admin") as admin:
        promoted = _form(admin, secure, "/admin/users/t7_role_change/role", {"role": "admin", "enterprise_id": ""})
        assert promoted.status_code == 303
    assert httpx.get(secure.url + "/api/users", headers=token).status_code == 200
    demoted = _call(secure, "admin", "POST", "/api/users/t7_role_change/role", json={"role": "enterprise", "enterprise_id": secure.enterprises["b"]})
    assert demoted.status_code == 200 and demoted.json()["role"] == "enterprise" and demoted.json()["enterprise_id"] == secure.enterprises["b"]
    assert httpx.get(secure.url + "/api/users", headers=token).status_code == 403


def test_admin_forms_without_proof_of_origin_are_refused(secure) -> None:
    with secure.client("admin") as admin:
        no_origin = admin.post("/admin/users", data={"username": "t7_csrf", "password": PASSWORD, "role": "admin"}, follow_redirects=False)
        assert no_origin.status_code == 403 and "跨站请求伪造防护" in no_origin.text
        forged = admin.post("/admin/users", data={"username": "t7_csrf", "password": PASSWORD, "role": "admin"}, headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403 and "跨站" in forged.text
        null_origin = admin.post("/admin/users/staff/disable", headers={"Origin": "null"})
        assert null_origin.status_code == 403
        api = admin.post("/api/users/staff/disable", follow_redirects=False)
        assert api.status_code == 403 and "跨站请求伪造防护" in api.json()["detail"]
        same_site_referer = admin.post("/admin/users/t7-nobody/enable", headers={"Referer": secure.url + "/admin/users"})
        assert same_site_referer.status_code == 404  # a same-site Referer is proof enough; the user does not exist
    assert _login_status(secure, "t7_csrf") == 401
    assert _login_status(secure, "staff") == 303  # not disabled by the refused requests


def test_every_admin_action_is_audited_without_passwords(secure) -> None:
    with secure.client("admin") as admin:
        assert _form(admin, secure, "/admin/users", {"username": "t7_audit", "password": PASSWORD, "role": "enterprise", "enterprise_id": str(secure.enterprises["a"])}).status_code == 303
        assert _form(admin, secure, "/admin/users/t7_audit/password", {"password": NEW_PASSWORD}).status_code == 303
        assert _form(admin, secure, "/admin/users/t7_audit/disable").status_code == 303
        assert _form(admin, secure, "/admin/users/t7_audit/enable").status_code == 303
        assert _form(admin, secure, "/admin/users/t7_audit/revoke-tokens").status_code == 303
        assert _form(admin, secure, "/admin/users/t7_audit/role", {"role": "staff", "enterprise_id": ""}).status_code == 303
        assert _form(admin, secure, "/admin/users/admin/disable").status_code == 409
    assert _call(secure, "admin", "POST", "/api/users", json={"username": "t7_audit_api", "password": NEW_PASSWORD, "role": "staff"}).status_code == 201
    entries = _audit(secure)
    mine = [(e["username"], e["action"], e["target"], e["status"]) for e in entries if e["target"] in ("t7_audit", "t7_audit_api", "admin")]
    for expected in (
        ("admin", "创建用户", "t7_audit", 303),
        ("admin", "重置密码", "t7_audit", 303),
        ("admin", "停用用户", "t7_audit", 303),
        ("admin", "启用用户", "t7_audit", 303),
        ("admin", "吊销用户全部 API 令牌", "t7_audit", 303),
        ("admin", "修改角色", "t7_audit", 303),
        ("admin", "停用用户", "admin", 409),
        ("admin", "创建用户", "t7_audit_api", 201),
    ):
        assert expected in mine, expected
    details = {(e["action"], e["target"]): e["detail"] for e in reversed(entries)}  # the newest wins
    assert details[("创建用户", "t7_audit")] == f"角色 企业用户，企业 {secure.enterprises['a']}"
    assert details[("修改角色", "t7_audit")] == "企业用户 → 工作人员"
    assert details[("停用用户", "admin")].startswith("未执行：不能停用自己的账号")
    assert details[("吊销用户全部 API 令牌", "t7_audit")] == "吊销 0 个令牌"
    for secret in (PASSWORD, NEW_PASSWORD):
        assert all(secret not in str(e) for e in entries)
        assert secret.encode() not in (secure.data_dir / "audit.sqlite3").read_bytes()
    with secure.client("admin") as admin:
        log = admin.get("/admin/audit").text
    assert "创建用户" in log and "t7_audit" in log and "失败（409）" in log


# ------------------------------------------------------------------------------- the rules, without a server


@pytest.fixture()
def administration(tmp_path: Path) -> Iterator[UserAdministration]:
    store = AccountStore(tmp_path / "accounts.sqlite3")
    store.create_user("root", PASSWORD, Role.ADMIN)
    yield UserAdministration(store, enterprise_exists=lambda enterprise_id: enterprise_id == 7)
    store.close()


def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(administration: UserAdministration) -> None:
    with pytest.raises(UserConflict, match="最后一个有效的管理员"):
        administration.set_disabled("someone-else", "root", True)
    with pytest.raises(UserConflict, match="最后一个有效的管理员"):
        administration.set_role("someone-else", "root", "staff")
    administration.create("second", PASSWORD, "admin")
    assert administration.set_disabled("root", "second", True).disabled
    # second is disabled now, so root is the last one again: the guard counts only *active* admins
    with pytest.raises(UserConflict):
        administration.set_disabled("second", "root", True)
    assert not administration.set_disabled("root", "second", False).disabled
    assert administration.set_role("second", "root", "staff").role is Role.STAFF  # two admins: one may go
    with pytest.raises(UserConflict):
        administration.set_role("root", "second", "enterprise")


def test_role_changes_keep_the_enterprise_link_only_for_enterprise_users(administration: UserAdministration) -> None:
    administration.create("firm", PASSWORD, "enterprise", 7)
    assert administration.set_role("root", "firm", "staff").enterprise_id is None
    assert administration.set_role("root", "firm", "enterprise", 7).enterprise_id == 7
    with pytest.raises(UserAdminError, match="企业 8 不存在"):
        administration.set_role("root", "firm", "enterprise", 8)
    with pytest.raises(UserAdminError, match="不能包含空格"):
        administration.create("two words", PASSWORD, "staff")
    with pytest.raises(UserAdminError, match="未知角色"):
        administration.create("x1", PASSWORD, "superuser")


# ---------------------------------------------------------------------------------------------- the settings


def test_secret_settings_are_masked_whatever_their_kind() -> None:
    from policykb.settings import load_settings

    settings = load_settings(
        llm_api_key="sk-live-t7aa",
        elasticsearch_url="https://elastic:es-pass-t7bb@es.example:9200",
        elasticsearch_password="es-password-t7cc",
        llm_base_url="https://llm.example/v1?api_key=qs-key-t7dd",
        push={"smtp_password": "smtp-pass-t7ee", "database_url": "postgresql+psycopg://pkb:db-pass-t7ff@db.example/policykb", "smtp_user": "mailer"},
    )
    rows = {row.variable: row for row in settings_rows(settings)}
    for variable in (
        "POLICYKB_LLM_API_KEY", "POLICYKB_ELASTICSEARCH_URL", "POLICYKB_ELASTICSEARCH_PASSWORD", "POLICYKB_LLM_BASE_URL",
        "POLICYKB_PUSH__SMTP_PASSWORD", "POLICYKB_PUSH__DATABASE_URL",
    ):
        assert rows[variable].secret and rows[variable].value == SECRET_SET, variable
    assert rows["POLICYKB_ELASTICSEARCH_API_KEY"].value == SECRET_UNSET and rows["POLICYKB_ELASTICSEARCH_API_KEY"].default
    assert rows["POLICYKB_PUSH__SMTP_USER"].value == "mailer" and not rows["POLICYKB_PUSH__SMTP_USER"].secret
    assert rows["POLICYKB_LLM_MAX_TOKENS"].value == "300" and not rows["POLICYKB_LLM_MAX_TOKENS"].secret  # "tokens" is a count
    assert "POLICYKB_PUSH__DATA_DIR" not in rows  # always the main data directory
    shown = " ".join(row.value for row in rows.values())
    for secret in ("t7aa", "t7bb", "t7cc", "t7dd", "t7ee", "t7ff", "es-pass", "db-pass"):
        assert secret not in shown


SECRETS = {
    "POLICYKB_LLM_API_KEY": "sk-t7-llm-api-key-value",
    "POLICYKB_PUSH__SMTP_PASSWORD": "t7-smtp-password-value",
    "POLICYKB_ELASTICSEARCH_PASSWORD": "t7-es-password-value",
    "POLICYKB_ELASTICSEARCH_URL": "https://elastic:t7-url-password@es.example:9200",
}


@pytest.fixture(scope="module")
def configured(tmp_path_factory) -> Iterator[tuple[RunningServer, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("admin-settings") / "data"
    tokens = {name: create_account(data_dir, name, role, PASSWORD) for name, role in (("admin", "admin"), ("staff", "staff"))}
    running = RunningServer({**cli_env(data_dir, MODEL_DIR), **SECRETS, "POLICYKB_PUSH__SMTP_USER": "t7-mailer"})
    try:
        yield running, tokens
    finally:
        running.stop()


def test_the_settings_page_shows_the_settings_and_never_a_secret(configured) -> None:
    server, tokens = configured
    client = login(server.url, "admin", PASSWORD)
    try:
        page = client.get("/admin/settings")
    finally:
        client.close()
    assert page.status_code == 200 and "系统设置" in page.text
    assert "POLICYKB_DATA_DIR" in page.text and "POLICYKB_PUSH__SMTP_USER" in page.text and "t7-mailer" in page.text
    for variable in SECRETS:
        row = page.text[page.text.index(f"<code>{variable}</code>"):]
        row = row[: row.index("</tr>")]
        assert SECRET_SET in row and "已配置" in row, variable
    api_key_row = page.text[page.text.index("<code>POLICYKB_ELASTICSEARCH_API_KEY</code>"):]
    assert SECRET_UNSET in api_key_row[: api_key_row.index("</tr>")]
    for value in SECRETS.values():
        assert value not in page.text
    assert "t7-url-password" not in page.text and "sk-t7" not in page.text
    assert httpx.get(server.url + "/admin/settings", headers={"Authorization": f"Bearer {tokens['staff']}"}).status_code == 403
    assert httpx.get(server.url + "/admin/settings").status_code == 401
