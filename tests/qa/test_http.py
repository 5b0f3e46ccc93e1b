"""/api/ask, /api/ask/stream and the /ask page on a real server over the small QA library."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import MODEL_DIR
from tests.helpers import RunningServer, cli_env, sse_events


@pytest.fixture(scope="module")
def server(qa_data_dir):
    running = RunningServer(cli_env(qa_data_dir, MODEL_DIR))
    yield running
    running.stop()


def test_ask_returns_a_cited_answer(server) -> None:
    response = httpx.post(server.url + "/api/ask", json={"question": "大型企业从中小企业采购货物，应当在多少日内支付款项？"}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refused"] is False and "60日内" in body["answer"]
    citation = body["citations"][0]
    assert set(citation) >= {"doc_id", "title", "doc_number", "issuer", "section", "quote", "char_start", "char_end", "score"}
    document = httpx.get(f"{server.url}/api/documents/{citation['doc_id']}").json()
    assert document["text"][citation["char_start"] : citation["char_end"]] == citation["quote"]


def test_search_api_and_library_page_name_a_policy_held_twice_once(server) -> None:
    query = "创业担保贷款最高可以申请多少额度"
    hits = httpx.get(server.url + "/api/search", params={"q": query, "top_k": 10}, timeout=60).json()["hits"]
    assert hits[0]["path"].endswith("guangzhou/doc_16.txt")
    assert [copy["path"].rsplit("/", 1)[-1] for copy in hits[0]["copies"]] == ["15_创业担保贷款常见问题_2025.html"]
    assert not any(hit["path"].endswith(".html") for hit in hits)
    page = httpx.get(server.url + "/library", params={"q": query}, timeout=60).text
    assert f'同一政策的其他文本：<a href="/documents/{hits[0]["copies"][0]["doc_id"]}">15_创业担保贷款常见问题_2025.html</a>' in page


def test_stream_sends_the_answer_then_the_citations(server) -> None:
    with httpx.stream("GET", server.url + "/api/ask/stream", params={"question": "创业担保贷款最高可以申请多少额度？"}, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.read().decode("utf-8"))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "answer" and kinds[-2:] == ["citations", "done"] and set(kinds[:-2]) == {"answer"}
    streamed = "".join(data["delta"] for kind, data in events if kind == "answer")
    done = events[-1][1]
    assert streamed == done["answer"] and "30万元" in streamed
    assert events[-2][1] == done["citations"]


def test_follow_up_over_http_keeps_the_conversation(server) -> None:
    first = httpx.post(server.url + "/api/ask", json={"question": "创业担保贷款的贴息比例是多少？"}, timeout=60).json()
    second = httpx.post(
        server.url + "/api/ask", json={"question": "那申请条件呢？", "conversation_id": first["conversation_id"]}, timeout=60
    ).json()
    assert second["conversation_id"] == first["conversation_id"]
    assert second["citations"][0]["doc_id"] == first["citations"][0]["doc_id"]
    unknown = httpx.post(server.url + "/api/ask", json={"question": "创业担保贷款的贴息比例是多少？", "conversation_id": "x" * 20}, timeout=60).json()
    assert unknown["conversation_id"] != "x" * 20 and not unknown["refused"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [({"question": "  \n "}, "不能为空"), ({"question": "补" * 301}, "过长"), ({}, "缺少问题"), ({"question": "补贴", "filters": {"status": "作废"}}, "状态")],
)
def test_bad_input_is_422_in_chinese(server, payload, message) -> None:
    response = httpx.post(server.url + "/api/ask", json=payload, timeout=60)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_stream_rejects_an_empty_question(server) -> None:
    response = httpx.get(server.url + "/api/ask/stream", params={"question": " "}, timeout=60)
    assert response.status_code == 422 and "不能为空" in response.json()["detail"]


def test_ask_page_escapes_the_question(server) -> None:
    response = httpx.get(server.url + "/ask", params={"question": "<script>alert(1)</script>创业担保贷款额度"}, timeout=60)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "30万元" in response.text


def test_a_refusal_shows_each_related_policy_with_its_nearest_text(server) -> None:
    question = "我开了个小厂，大公司欠我钱一直拖着不还怎么办？"
    body = httpx.post(server.url + "/api/ask", json={"question": question}, timeout=60).json()
    assert body["refused"] is True
    law = next(p for p in body["related"] if p["title"] == "中华人民共和国中小企业促进法")
    assert law["excerpt_section"] == "第五十三条" and "不得违约拖欠中小企业" in law["excerpt"]
    page = httpx.get(server.url + "/ask", params={"question": question}, timeout=60).text
    assert "仅供参考，不构成答复" in page
    assert f'href="/documents/{law["doc_id"]}?hl={law["char_start"]}-{law["char_end"]}#cited"' in page
    assert '<blockquote class="excerpt">第五十三条' in page


def test_openapi_lists_the_ask_routes(server) -> None:
    paths = httpx.get(server.url + "/openapi.json").json()["paths"]
    assert "/api/ask" in paths and "/api/ask/stream" in paths
    assert httpx.get(server.url + "/docs").status_code == 200
