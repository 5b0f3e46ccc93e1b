"""Parsers have resource limits (issue 23, item 3): caps on a DOCX's XML and a PDF's pages, and uploads parsed in a
child process with a memory and a time limit, so a hostile file is refused and the server stays small.

The files are built here the way an attacker would (a DOCX whose archive passes the zip-bomb checks but holds
two million XML elements; a PDF of blank pages) and go through the real readers, the real sandbox process and
the real server.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx
import pypdf
import pytest

from bench.load import hostile_docx
from ingestion.readers import read_document
from ingestion.readers.limits import MB, ParserLimits
from ingestion.readers.sandbox import SandboxedReader
from ingestion.types import DocumentRejected
from tests.conftest import LIBRARY

MAX_BYTES = 50 * MB
REAL_PDF = LIBRARY / "formats" / "19_上海市优化营商环境条例.pdf"


def _blank_pdf(pages: int) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def element_bomb() -> bytes:
    return hostile_docx(2_000_001)


def test_docx_xml_size_and_elements_are_capped() -> None:
    small = hostile_docx(60_000)  # about 2 MB of XML with the template's styles
    with pytest.raises(DocumentRejected, match=r"DOCX 内的 XML 共约 \d MB，超过上限 1 MB"):
        read_document(Path("大.docx"), max_bytes=MAX_BYTES, data=small, limits=ParserLimits(docx_max_xml_bytes=1 * MB))
    with pytest.raises(DocumentRejected, match=r"DOCX 内的 XML 元素超过 50,000 个"):
        read_document(Path("多.docx"), max_bytes=MAX_BYTES, data=small, limits=ParserLimits(docx_max_xml_elements=50_000))
    assert "中小企业" in read_document(Path("正常.docx"), max_bytes=MAX_BYTES, data=small).text


def test_pdf_pages_are_capped() -> None:
    with pytest.raises(DocumentRejected, match=r"PDF 共 60 页，超过上限 50 页"):
        read_document(Path("长.pdf"), max_bytes=MAX_BYTES, data=_blank_pdf(60), limits=ParserLimits(pdf_max_pages=50))


def test_the_sandbox_stops_a_parse_over_its_time_or_memory(element_bomb: bytes) -> None:
    slow = SandboxedReader(ParserLimits(), memory_mb=1024, timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(DocumentRejected, match=r"解析超过 0.2 秒仍未完成"):
        slow(REAL_PDF, max_bytes=MAX_BYTES, data=REAL_PDF.read_bytes())
    assert time.monotonic() - started < 5
    uncapped = ParserLimits(docx_max_xml_bytes=1024 * MB, docx_max_xml_elements=10**9)
    with pytest.raises(DocumentRejected, match=r"所需内存超过上限 200 MB"):
        SandboxedReader(uncapped, memory_mb=200, timeout_s=120)(Path("炸弹.docx"), max_bytes=MAX_BYTES, data=element_bomb)
    fine = SandboxedReader(ParserLimits(), memory_mb=1024, timeout_s=60)(REAL_PDF, max_bytes=MAX_BYTES, data=REAL_PDF.read_bytes())
    assert "营商环境" in fine.text


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_hostile_uploads_are_refused_and_the_server_stays_small(secure, element_bomb: bytes) -> None:
    pid = secure.server.process.pid
    before = _rss_mb(pid)
    for name, data, reason in (
        ("炸弹.docx", element_bomb, "DOCX 内的 XML 元素超过 2,000,000 个"),
        ("两千页.pdf", _blank_pdf(2_001), "PDF 共 2001 页，超过上限 2000 页"),
    ):
        started = time.monotonic()
        response = httpx.post(secure.url + "/api/documents", files=[("files", (name, data))], headers=secure.headers("staff"), timeout=300)
        assert response.status_code == 422, response.text
        [result] = response.json()["results"]
        assert result["status"] == "rejected" and reason in result["reason"], result
        assert time.monotonic() - started < 60
        # the server answers other requests meanwhile and afterwards
        assert httpx.get(secure.url + "/api/search", params={"q": "个体工商户"}).status_code == 200
    assert _rss_mb(pid) - before < 150, "the server's memory grew while parsing a hostile upload"
