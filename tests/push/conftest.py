"""Fixtures of the push tests: real corpus documents, a real SQLite (or PostgreSQL) database, a real SMTP
server and a real HTTP webhook receiver, all on loopback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from index.types import PolicyDocument
from policy.types import PolicyMetadata
from push_rules.credit_code import make_credit_code
from push_rules.delivery.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from push_rules.service import PushService
from push_rules.settings import PushSettings
from tests.conftest import LIBRARY

WEBHOOK_SECRET = "test-secret-0123456789abcdef"


def corpus_text(relative: str) -> str:
    path = LIBRARY / relative
    if not path.exists():
        pytest.skip(f"corpus file {relative} not available")
    return path.read_text(encoding="utf-8")


def corpus_document(relative: str, doc_id: str, *, title: str, issuer: str | None = None, region: str | None = None, tags: list[str] | None = None) -> PolicyDocument:
    text = corpus_text(relative)
    import hashlib

    return PolicyDocument(
        doc_id=doc_id,
        path=relative,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source_format="txt",
        text=text,
        metadata=PolicyMetadata(title=title, issuer=issuer, region=region, tags=tags or []),
    )


class DocumentLibrary:
    """A dict-backed document lookup, standing in for any PolicyStore.get_document."""

    def __init__(self) -> None:
        self.docs: dict[str, PolicyDocument] = {}

    def add(self, document: PolicyDocument) -> PolicyDocument:
        self.docs[document.doc_id] = document
        return document

    def __call__(self, doc_id: str) -> PolicyDocument | None:
        return self.docs.get(doc_id)


_TOKENIZE: Any = None


def shared_tokenize(text: str) -> list[str]:
    global _TOKENIZE
    if _TOKENIZE is None:
        from push_rules.tokenizer import default_tokenize

        _TOKENIZE = default_tokenize()
    return _TOKENIZE(text)


_SEQ = [0]


def credit_code(region: str = "150102") -> str:
    _SEQ[0] += 1
    return make_credit_code(region, f"MA{_SEQ[0]:06d}")


def enterprise_payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "credit_code": credit_code(overrides.get("region_code", "150102")),
        "name": "呼和浩特市青城软件有限公司",
        "region_code": "150102",
        "industry_code": "I6513",
        "established_on": date(2019, 5, 6).isoformat(),
        "registered_capital": 500,
        "employees": 45,
        "annual_revenue": 800,
        "total_assets": 1200,
        "qualifications": ["high_tech"],
        "interest_topics": [],
        "interest_keywords": [],
    }
    data.update(overrides)
    return data


@pytest.fixture()
def library() -> DocumentLibrary:
    return DocumentLibrary()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None (SQLite file in the data dir) or a fresh database in the throwaway PostgreSQL cluster."""
    if request.param == "sqlite":
        yield None
        return
    server = request.getfixturevalue("postgres_url")
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture()
def make_service(tmp_path: Path, library: DocumentLibrary, database_url: str | None) -> Iterator[Any]:
    services: list[PushService] = []

    def build(**settings: Any) -> PushService:
        settings.setdefault("data_dir", tmp_path)
        settings.setdefault("database_url", database_url)
        settings.setdefault("webhook_allowlist", ["127.0.0.1"])
        service = PushService(PushSettings(**settings), library, tokenize=shared_tokenize)
        services.append(service)
        return service

    yield build
    for service in services:
        service.close()


@pytest.fixture()
def service(make_service: Any) -> PushService:
    return make_service()


# ---------------------------------------------------------------- webhook receiver


@dataclass
class WebhookReceiver:
    url: str
    secret: str
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    fail_next: int = 0  # answer 500 to this many requests
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivery_ids(self) -> list[str]:
        with self.lock:
            return [d["headers"][DELIVERY_HEADER] for d in self.deliveries]


@pytest.fixture()
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(url="", secret=WEBHOOK_SECRET)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if receiver.delay:
                time.sleep(receiver.delay)
            ok = verify(receiver.secret, self.headers.get(TIMESTAMP_HEADER, ""), body, self.headers.get(SIGNATURE_HEADER, ""))
            with receiver.lock:
                if not ok:
                    receiver.bad_signatures += 1
                    status = 401
                elif receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    status = 500
                else:
                    receiver.deliveries.append({"headers": dict(self.headers), "json": json.loads(body)})
                    status = 200
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- SMTP server


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Any]


@pytest.fixture()
def smtp_server() -> Iterator[SmtpServer]:
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer("127.0.0.1", port, received)
    controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- PostgreSQL


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway PostgreSQL cluster in a temp dir (run as the `postgres` user when we are root)."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed: apt-get install -y postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg not installed")
    import tempfile

    # not under pytest's tmp dir: that one is private to root and the server runs as `postgres`
    base = Path(tempfile.mkdtemp(prefix="policykb-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no `postgres` user to run the server as")
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        os.chmod(base, 0o755)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(prefix + [initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    subprocess.run(
        prefix + [pg_ctl, "-D", str(data), "-l", str(base / "log"), "-w", "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(prefix + [pg_ctl, "-D", str(data), "-m", "immediate", "-W", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
