"""Request bodies are bounded per route while they stream in, and uploads are authorised before their body is read
(issue 23, item 2).

Against the real server: a raw socket sends the headers and only the start of a body, then waits. A server that
reads (or spools) the whole body before answering would wait too; the fixed server answers at once. The server
process's own write counter (``/proc/<pid>/io`` ``wchar``) shows that a refused upload is never written anywhere.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

JSON_LIMIT = 64 * 1024
BOUNDARY = "policykb-test-boundary"


def _multipart(size: int) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'
    return head.encode() + b"a" * size + f"\r\n--{BOUNDARY}--\r\n".encode()


def _answer_to_partial_body(url: str, head: str, body_start: bytes, *, wait: float = 10.0) -> tuple[int, dict, float]:
    """Send the request head and only ``body_start``; the (status, JSON body, seconds) the server answers meanwhile."""
    address = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=wait) as sock:
        sock.sendall(head.encode("latin-1") + body_start)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            header_block, _, rest = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in header_block.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
            while len(rest) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                rest += chunk
        except TimeoutError:
            pytest.fail(f"no answer within {wait} s while the body was still being sent: the server waits for the whole body")
    elapsed = time.monotonic() - started
    status = int(header_block.split(b" ", 2)[1])
    return status, json.loads(rest[:length] or b"{}"), elapsed


def _head(path: str, headers: dict[str, str]) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{name}: {value}" for name, value in headers.items())]
    return "\r\n".join(lines) + "\r\n\r\n"


def _written_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/<pid>/io")


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("ent_a", 403)])
def test_an_upload_by_anyone_but_staff_is_refused_before_its_body_is_read(secure, who: str | None, status: int) -> None:
    body = _multipart(5 * 1024 * 1024)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(len(body))}
    if who:
        headers.update(secure.headers(who))
    answered, payload, elapsed = _answer_to_partial_body(secure.url, _head("/api/documents", headers), body[: 64 * 1024])
    assert answered == status and "工作人员" in payload["detail"]
    assert elapsed < 5

    pid = secure.server.process.pid
    before = _written_bytes(pid)
    started = time.monotonic()
    response = httpx.post(secure.url + "/api/documents", content=body, headers=headers, timeout=60)
    assert response.status_code == status and time.monotonic() - started < 10
    assert _written_bytes(pid) - before < 1024 * 1024, "the refused upload was written to a temporary file"


def test_oversized_json_gets_413_before_it_is_read(secure) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": str(JSON_LIMIT + 1)}
    status, payload, _ = _answer_to_partial_body(secure.url, _head("/api/ask", headers), b'{"question": "')
    assert status == 413 and payload["detail"] == "请求体过大：此接口的请求体最多 64 KB，请精简后再提交。"
    big = json.dumps({"question": "补贴" * JSON_LIMIT}).encode()
    for path in ("/api/ask", "/api/users", "/api/enterprises"):  # also before authentication
        response = httpx.post(secure.url + path, content=big, headers={"Content-Type": "application/json"})
        assert response.status_code == 413 and response.json()["detail"].startswith("请求体过大"), path
        assert response.headers["x-content-type-options"] == "nosniff"


def test_a_chunked_body_is_cut_off_at_the_limit(secure) -> None:
    chunk = b"a" * 16 * 1024
    framed = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(6))  # 96 KB and no final chunk
    head = _head("/api/ask", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    status, payload, _ = _answer_to_partial_body(secure.url, head, framed)
    assert status == 413 and payload["detail"].startswith("请求体过大")

    def stream() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(64):
            yield "补贴".encode() * 1024

    response = httpx.post(secure.url + "/api/ask", content=stream(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["detail"].startswith("请求体过大")


def test_an_upload_over_the_configured_size_gets_413_and_a_normal_one_passes(secure) -> None:
    headers = {**secure.headers("staff"), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(51 * 1024 * 1024)}
    status, payload, _ = _answer_to_partial_body(secure.url, _head("/api/documents", headers), b"")
    assert status == 413 and payload["detail"] == "上传内容过大：每次上传最多 50 MB，请分批上传或压缩文件后再试。"
    # JSON-sized limits do not apply to uploads: a 200 KB file is still read and judged by the ingestion step
    files = [("files", ("大文件.png", b"\x89PNG\r\n\x1a\n" + b"0" * 200 * 1024, "image/png"))]
    response = httpx.post(secure.url + "/api/documents", files=files, headers=secure.headers("staff"), timeout=60)
    assert response.status_code == 422 and "results" in response.json()
