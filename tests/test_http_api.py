"""The HTTP API on a real server: health, upload (multipart, several files), search, document, delete, errors.

Upload and delete are staff only: the tests use a staff API token (per-role checks live in tests/security/)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import MODEL_DIR
from tests.helpers import RunningServer, cli_env, create_account


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("api") / "data"
    token = create_account(data_dir, "staff", "staff", "staff-password")
    running = RunningServer(cli_env(data_dir, MODEL_DIR))
    running.staff_headers = {"Authorization": f"Bearer {token}"}
    yield running
    running.stop()


@pytest.fixture(scope="module")
def uploaded(server, library):
    docx = next((library / "formats").glob("15_*.docx"))
    txt = library / "hohhot" / "呼和浩特市数字政府建设实施方案.txt"
    files = [
        ("files", (docx.name, docx.read_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")),
        ("files", (txt.name, txt.read_bytes(), "text/plain")),
        ("files", ("空文件.txt", b"", "text/plain")),
    ]
    response = httpx.post(server.url + "/api/documents", files=files, headers=server.staff_headers, timeout=300)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_healthz(server) -> None:
    body = httpx.get(server.url + "/healthz").json()
    assert body["status"] == "ok" and body["backend"] == "embedded"


def test_upload_reports_per_file(uploaded) -> None:
    assert [r["status"] for r in uploaded] == ["ingested", "ingested", "rejected"]
    assert "空" in uploaded[2]["reason"]


def test_search_finds_uploaded_docx(server, uploaded) -> None:
    response = httpx.get(server.url + "/api/search", params={"q": "优化营商环境 市场主体", "top_k": 3})
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert hits[0]["title"] and "营商环境" in hits[0]["title"]
    assert hits[0]["path"].endswith(".docx")


def test_document_page_has_text_metadata_and_chunks(server, uploaded) -> None:
    doc_id = uploaded[1]["doc_id"]
    body = httpx.get(f"{server.url}/api/documents/{doc_id}").json()
    assert body["title"] == "呼和浩特市数字政府建设实施方案"
    for chunk in body["chunks"]:
        assert body["text"][chunk["char_start"] : chunk["char_end"]].strip()
    original = httpx.get(f"{server.url}/api/documents/{doc_id}/original")
    assert original.status_code == 200 and "数字政府" in original.content.decode("utf-8")


@pytest.mark.parametrize(
    ("params", "message"),
    [({"q": "   "}, "不能为空"), ({"q": "补贴", "top_k": 0}, "返回条数"), ({"q": "x" * 501}, "过长"), ({}, "缺少检索内容")],
)
def test_search_errors_are_422_in_chinese(server, params, message) -> None:
    response = httpx.get(server.url + "/api/search", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_upload_of_only_bad_files_is_422(server) -> None:
    response = httpx.post(
        server.url + "/api/documents", files=[("files", ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png"))], headers=server.staff_headers
    )
    assert response.status_code == 422
    assert response.json()["results"][0]["status"] == "rejected"


def test_unknown_document_is_404(server) -> None:
    response = httpx.get(server.url + "/api/documents/doesnotexist")
    assert response.status_code == 404 and "没有" in response.json()["detail"]


def test_openapi_and_home_page(server) -> None:
    spec = httpx.get(server.url + "/openapi.json").json()
    assert "/api/search" in spec["paths"] and "/api/documents" in spec["paths"]
    page = httpx.get(server.url + "/", params={"q": "数字政府"})
    assert page.status_code == 200 and "呼和浩特市数字政府建设实施方案" in page.text


def test_delete_document(server, uploaded) -> None:
    doc_id = uploaded[0]["doc_id"]
    assert httpx.delete(f"{server.url}/api/documents/{doc_id}").status_code == 401
    assert httpx.delete(f"{server.url}/api/documents/{doc_id}", headers=server.staff_headers).status_code == 200
    assert httpx.get(f"{server.url}/api/documents/{doc_id}").status_code == 404
