"""Per-role authorisation on a real server: every role against every kind of endpoint, and guessed ids."""

from __future__ import annotations

import httpx
import pytest

from tests.security.conftest import PASSWORD

ROLES = (None, "ent_a", "staff", "admin")  # None: anonymous


def _status(secure, username: str | None, method: str, path: str, **kwargs) -> int:
    headers = secure.headers(username) if username else {}
    return httpx.request(method, secure.url + path, headers=headers, timeout=120, **kwargs).status_code


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/healthz", set(ROLES)),
        ("GET", "/openapi.json", set(ROLES)),
        ("GET", "/api/search?q=个体工商户", set(ROLES)),
        ("GET", "/api/rules/schema", set(ROLES)),
        ("GET", "/library", set(ROLES)),
        ("GET", "/staff", {"staff", "admin"}),
        ("GET", "/staff/feedback", {"staff", "admin"}),
        ("GET", "/api/feedback", {"staff", "admin"}),
        ("GET", "/api/enterprises", {"staff", "admin"}),
        ("GET", "/portal/profile", {"ent_a"}),
        ("GET", "/admin/audit", {"admin"}),
        ("GET", "/api/audit", {"admin"}),
        ("GET", "/api/policies/{doc}/rules", {"staff", "admin"}),
        ("POST", "/api/policies/{doc}/match", {"staff", "admin"}),
    ],
)
def test_role_matrix(secure, method, path, allowed) -> None:
    path = path.replace("{doc}", secure.doc_id)
    for role in ROLES:
        status = _status(secure, role, method, path)
        if role in allowed:
            assert status not in (401, 403), f"{role} {method} {path}: {status}"  # 404/422: reached the endpoint
        else:
            assert status in (401, 403), f"{role} {method} {path}: {status}"


def test_upload_and_delete_refuse_non_staff_with_a_chinese_message(secure) -> None:
    files = [("files", ("a.txt", "第一条 测试。".encode(), "text/plain"))]
    anonymous = httpx.post(secure.url + "/api/documents", files=files)
    assert anonymous.status_code == 401 and "登录" in anonymous.json()["detail"]
    enterprise = httpx.post(secure.url + "/api/documents", files=files, headers=secure.headers("ent_a"))
    assert enterprise.status_code == 403 and "工作人员" in enterprise.json()["detail"]
    assert httpx.delete(f"{secure.url}/api/documents/{secure.doc_id}", headers=secure.headers("ent_a")).status_code == 403
    assert httpx.get(f"{secure.url}/api/documents/{secure.doc_id}").status_code == 200  # still there, and public


def test_an_enterprise_reads_and_changes_only_its_own_profile(secure) -> None:
    own, other = secure.enterprises["a"], secure.enterprises["b"]
    headers = secure.headers("ent_a")
    assert httpx.get(f"{secure.url}/api/enterprises/{own}", headers=headers).status_code == 200
    assert httpx.get(f"{secure.url}/api/enterprises/{own}/matches", headers=headers).status_code == 200
    assert httpx.patch(f"{secure.url}/api/enterprises/{own}", json={"employees": 46}, headers=headers).status_code == 200
    for method, path, kwargs in (
        ("GET", f"/api/enterprises/{other}", {}),
        ("GET", f"/api/enterprises/{other}/matches", {}),
        ("PATCH", f"/api/enterprises/{other}", {"json": {"employees": 1}}),
        ("PUT", f"/api/enterprises/{other}", {"json": {}}),
        ("DELETE", f"/api/enterprises/{other}", {}),
        ("GET", f"/api/inbox?enterprise_id={other}", {}),
        ("GET", f"/api/subscriptions?enterprise_id={other}", {}),
        ("POST", "/api/subscriptions", {"json": {"enterprise_id": other, "kind": "keyword", "value": "补贴"}}),
        ("GET", "/api/enterprises/999999", {}),
    ):
        response = httpx.request(method, secure.url + path, headers=headers, **kwargs)
        assert response.status_code == 403, f"{method} {path}: {response.status_code}"
        assert response.json()["detail"] == "无权访问其他企业的数据。"
    assert httpx.get(f"{secure.url}/api/enterprises/{other}", headers=secure.headers("staff")).status_code == 200


def test_an_enterprise_cannot_touch_another_enterprises_subscription_or_message(secure) -> None:
    other = secure.enterprises["b"]
    made = httpx.post(secure.url + "/api/subscriptions", json={"enterprise_id": other, "kind": "keyword", "value": "补贴"}, headers=secure.headers("ent_b"))
    assert made.status_code == 201, made.text
    guessed = made.json()["id"]
    assert httpx.delete(f"{secure.url}/api/subscriptions/{guessed}", headers=secure.headers("ent_a")).status_code == 403
    assert httpx.post(f"{secure.url}/api/inbox/1/read", json={}, headers=secure.headers("ent_a")).status_code == 403
    own = httpx.get(secure.url + "/api/subscriptions", params={"enterprise_id": other}, headers=secure.headers("ent_b")).json()
    assert [s["id"] for s in own] == [guessed]
    assert httpx.delete(f"{secure.url}/api/subscriptions/{guessed}", headers=secure.headers("ent_b")).status_code == 204


def test_the_portal_shows_only_the_signed_in_enterprise(secure) -> None:
    with secure.client("ent_a") as client:
        page = client.get("/portal/profile")
    assert page.status_code == 200 and "甲公司" in page.text and "乙公司" not in page.text


def test_a_new_enterprise_user_is_linked_to_the_profile_it_creates(secure) -> None:
    from tests.push.conftest import enterprise_payload

    form = {k: v for k, v in enterprise_payload(name="呼和浩特市丙公司").items() if not isinstance(v, list)}
    with secure.client("newcomer") as client:
        assert client.get("/portal", follow_redirects=False).headers["location"] == "/portal/profile"
        saved = client.post("/portal/profile", data=form, follow_redirects=False)
        assert saved.status_code == 303, saved.text
        assert "丙公司" in client.get("/portal/profile").text
    from accounts.users import AccountStore

    store = AccountStore.for_data_dir(secure.data_dir)
    enterprise_id = store.get_by_username("newcomer").enterprise_id
    store.close()
    assert enterprise_id is not None and enterprise_id not in secure.enterprises.values()
    # Signing in again keeps the link; the other enterprises stay out of reach.
    assert httpx.get(f"{secure.url}/api/enterprises/{enterprise_id}", headers=secure.headers("newcomer")).status_code == 200
    assert httpx.get(f"{secure.url}/api/enterprises/{secure.enterprises['a']}", headers=secure.headers("newcomer")).status_code == 403


def test_staff_pages_send_enterprise_users_a_403_page_in_chinese(secure) -> None:
    with secure.client("ent_a") as client:
        page = client.get("/staff")
    assert page.status_code == 403 and "仅供工作人员" in page.text


def test_wrong_password_is_refused_and_sets_no_session(secure) -> None:
    response = httpx.post(secure.url + "/login", data={"username": "staff", "password": PASSWORD + "x"})
    assert response.status_code == 401 and "用户名或密码错误" in response.text
    assert "policykb_session" not in response.headers.get("set-cookie", "")
    unknown = httpx.post(secure.url + "/login", data={"username": "nobody", "password": PASSWORD})
    assert unknown.status_code == 401 and "用户名或密码错误" in unknown.text


def test_logout_ends_the_session(secure) -> None:
    with secure.client("staff") as client:
        assert client.get("/staff").status_code == 200
        client.post("/logout", headers={"Origin": secure.url})
        assert client.get("/staff").status_code == 401
