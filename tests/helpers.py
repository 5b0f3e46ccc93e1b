"""Small helpers for tests that run the real CLI and the real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stdout.read()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("server did not come up in 120 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def create_account(data_dir: Path, username: str, role: str, password: str, enterprise_id: int | None = None) -> str:
    """Create a user in ``data_dir`` (before or while the server runs) and return an API token for it."""
    from webui.accounts import AccountStore, Role
    from webui.api_tokens import TokenStore

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
