"""Small helpers for tests that run the real CLI and the real server."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import httpx

POLICYKB = str(Path(sys.executable).parent / "policykb")


def cli_env(data_dir: Path, model_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "POLICYKB_DATA_DIR": str(data_dir),
        "POLICYKB_EMBEDDING_MODEL": str(model_dir),
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    }


def manifest_rows(library: Path, paths: set[str] | None = None) -> list[dict]:
    """The shared corpus's ``manifest.jsonl`` rows (title, issuer, 文号, date … per file), or those for ``paths``."""
    rows = [json.loads(line) for line in (library / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    return rows if paths is None else [row for row in rows if row["path"] in paths]


def run_cli(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLICYKB, *args], env=env, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningServer:
    """`policykb serve` in a subprocess on a free loopback port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [POLICYKB, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        # Keep reading the log: once 64 KiB of it sit unread in the pipe, the server blocks on its next log line.
        self.log: deque[str] = deque(maxlen=200)
        self._reader = threading.Thread(target=self._read_log, name=f"server-log-{self.port}", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._reader.join(5)
                raise RuntimeError(f"server exited: {''.join(self.log)}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("server did not come up in 120 s")

    def _read_log(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line)

    def output(self) -> str:
        """The server's last log lines (all of them once it has stopped)."""
        if self.process.poll() is not None:
            self._reader.join(5)
        return "".join(self.log)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def create_account(data_dir: Path, username: str, role: str, password: str, enterprise_id: int | None = None) -> str:
    """Create a user in ``data_dir`` (before or while the server runs) and return an API token for it."""
    from accounts.tokens import TokenStore
    from accounts.users import AccountStore, Role

    store = AccountStore.for_data_dir(data_dir)
    try:
        user = store.create_user(username, password, Role(role), enterprise_id)
        return TokenStore(store).create(user.id, "tests")[1]
    finally:
        store.close()


def login(url: str, username: str, password: str) -> httpx.Client:
    """An httpx client signed in through the real /login form (it keeps the session cookie)."""
    client = httpx.Client(base_url=url, timeout=300)
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 303, response.text
    return client


def count_documents(index_path: Path) -> int:
    """Documents in the embedded index file, read while another process may be writing it (0 until it exists)."""
    if not index_path.exists():
        return 0  # connecting would create the file under the writer
    try:
        with sqlite3.connect(index_path, timeout=1) as db:
            return db.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def assert_index_consistent(index_path: Path) -> tuple[int, int]:
    """Every document has exactly its chunks, no chunk is orphaned, the FTS index matches; returns (documents, chunks)."""
    db = sqlite3.connect(index_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        documents = db.execute("SELECT doc_id, chunk_count FROM documents").fetchall()
        for doc_id, chunk_count in documents:
            assert db.execute("SELECT count(*) FROM chunks WHERE doc_id = ?", (doc_id,)).fetchone()[0] == chunk_count
            assert db.execute("SELECT count(*) FROM chunks WHERE doc_id = ? AND embedding IS NULL", (doc_id,)).fetchone()[0] == 0
        orphans = db.execute("SELECT count(*) FROM chunks WHERE doc_id NOT IN (SELECT doc_id FROM documents)").fetchone()[0]
        fts_rows = db.execute("SELECT count(*) FROM chunk_fts").fetchone()[0]
        chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        assert orphans == 0 and fts_rows == chunks
        return len(documents), chunks
    finally:
        db.close()


def sse_events(text: str) -> list[tuple[str, object]]:
    """(event name, decoded JSON data) of each block of a Server-Sent Events body."""
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events
