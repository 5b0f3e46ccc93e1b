"""Smaller holes of issue 23, item 7, against the real server: lone surrogates, LIKE wildcards in filters, anonymous
feedback floods, English or garbled 422 messages, and sign-ins missing from the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LIBRARY
from tests.security.conftest import PASSWORD

JSON = {"Content-Type": "application/json"}


def _surrogate_cases(secure) -> list[tuple[str, str, str, str | None, str]]:
    """(method, path, raw JSON body with a \\ud800 escape, user, field label the message must name)."""
    a = secure.enterprises["a"]
    return [
        ("POST", "/api/ask", '{"question": "\\ud800补贴"}', None, "问题"),
        ("POST", "/api/ask", '{"question": "补贴", "filters": {"region": "\\ud800"}}', None, "地区"),
        ("POST", "/api/tokens", '{"name": "\\ud800补贴"}', "staff", "名称"),
        ("POST", "/api/subscriptions", f'{{"enterprise_id": {a}, "kind": "keyword", "value": "\\ud800补贴"}}', "ent_a", "订阅内容"),
        ("PUT", f"/api/policies/{secure.doc_id}/rules", '{"rules_yaml": "all:\\n  - {op: region, value: \\"\\ud800\\"}"}', "staff", "规则（YAML）"),
        ("POST", "/api/feedback", '{"rating": "up", "question": "补贴", "comment": "\\udfff"}', None, "意见"),
    ]


def test_a_lone_surrogate_gets_422_naming_the_field(secure) -> None:
    for method, path, body, user, label in _surrogate_cases(secure):
        headers = {**JSON, **(secure.headers(user) if user else {})}
        response = httpx.request(method, secure.url + path, content=body.encode(), headers=headers, timeout=60)
        assert response.status_code == 422, (path, response.status_code, response.text)
        assert response.json()["detail"] == f"{label}含有无效字符（不成对的 Unicode 代理项），请删除后重试", path
    # a surrogate pair is a real character (𝄞) and passes
    fine = httpx.post(secure.url + "/api/tokens", content='{"name": "\\ud834\\udd1e令牌"}'.encode(), headers={**JSON, **secure.headers("staff")})
    assert fine.status_code == 201, fine.text


@pytest.fixture(scope="module")
def regional_document(secure) -> Iterator[str]:
    """A policy with a region and an issuer (the package's own sample has neither), removed afterwards."""
    path = LIBRARY / "hohhot" / "呼和浩特市数字政府建设实施方案.txt"
    files = [("files", (path.name, path.read_bytes(), "text/plain"))]
    upload = httpx.post(secure.url + "/api/documents", files=files, headers=secure.headers("staff"), timeout=300)
    assert upload.status_code == 200, upload.text
    doc_id = upload.json()["results"][0]["doc_id"]
    shown = httpx.get(f"{secure.url}/api/documents/{doc_id}").json()
    assert shown["region"] and shown["issuer"], shown
    yield doc_id
    httpx.delete(f"{secure.url}/api/documents/{doc_id}", headers=secure.headers("staff"))


@pytest.mark.parametrize("filters", [{"region": "%"}, {"region": "_"}, {"region": "内蒙古%"}, {"issuer": "%"}, {"issuer": "_"}, {"tag": "%"}])
def test_filter_values_are_not_like_wildcards(secure, regional_document: str, filters: dict[str, str]) -> None:
    query = {"q": "数字政府 建设"}
    assert regional_document in {hit["doc_id"] for hit in httpx.get(secure.url + "/api/search", params=query).json()["hits"]}
    response = httpx.get(secure.url + "/api/search", params={**query, **filters})
    assert response.status_code == 200 and response.json()["hits"] == []


# Not /api/ask: its rate limit is spent by other tests of this package. Feedback requests count towards the
# feedback limit, which test_anonymous_feedback_is_rate_limited (below, so after these) exhausts.
BAD_REQUESTS = [
    ("POST", "/api/tokens", '{"name":', "staff", "请求体不是有效的 JSON（第 9 个字符附近有误）"),
    ("POST", "/api/tokens", "17", "staff", "请求体应为 JSON 对象"),
    ("GET", "/api/search?q=补贴&date_from=明天", None, None, "起始日期应为日期"),
    ("GET", "/api/search?q=补贴&mode=everything", None, None, "检索方式应为以下之一：hybrid、bm25、dense"),
    ("GET", "/api/search?q=补贴&top_k=many", None, None, "返回条数应为数字"),
    ("POST", "/api/feedback", '{"rating": "up", "question": 17}', None, "问题应为文本"),
    ("POST", "/api/feedback", '{"rating": "meh", "question": "补贴"}', None, "评价应为以下之一"),
    ("POST", "/api/feedback", '{"rating": "up", "question": ""}', None, "问题不能为空"),
]


@pytest.mark.parametrize(("method", "path", "body", "user", "expected"), BAD_REQUESTS)
def test_validation_messages_are_chinese_and_name_the_field(secure, method: str, path: str, body: str | None, user: str | None, expected: str) -> None:
    content = body.encode() if body is not None else None
    headers = {**JSON, **(secure.headers(user) if user else {})}
    response = httpx.request(method, secure.url + path, content=content, headers=headers)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert expected in detail
    assert not re.search(r"Input should|Field required|JSON decode|Value error|Expecting", detail), detail


def test_anonymous_feedback_is_rate_limited(secure) -> None:
    statuses = []
    for _ in range(12):  # the default limit is 10 a minute
        response = httpx.post(secure.url + "/api/feedback", json={"rating": "up", "question": "个体工商户有哪些扶持？"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.json()["detail"] == "请求过于频繁，请稍后再试。" and int(response.headers["retry-after"]) >= 1
            break
    assert statuses[0] == 201 and statuses[-1] == 429, statuses


def test_sign_ins_and_failed_sign_ins_are_audited(secure) -> None:
    failed = httpx.post(secure.url + "/login", data={"username": "staff", "password": "wrong-guess"})
    assert failed.status_code == 401
    signed_in = httpx.post(secure.url + "/login", data={"username": "staff", "password": PASSWORD})
    assert signed_in.status_code == 303
    unknown = httpx.post(secure.url + "/login", data={"username": "nobody-" + "x" * 200, "password": "guess"})
    assert unknown.status_code == 401
    entries = httpx.get(secure.url + "/api/audit", headers=secure.headers("admin")).json()["entries"]
    seen = [(e["username"], e["role"], e["action"], e["status"]) for e in entries]
    assert ("staff", "visitor", "登录失败", 401) in seen
    assert ("staff", "staff", "登录", 303) in seen
    long_name = next(e for e in entries if e["username"].startswith("nobody-"))
    assert long_name["action"] == "登录失败" and len(long_name["username"]) == 64 and "127.0.0.1" in long_name["detail"]
