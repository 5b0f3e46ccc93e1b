"""`policykb serve` on a free loopback port for the HTTP benchmarks, stopped on leaving the block."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

POLICYKB = str(Path(sys.executable).parent / "policykb")


@dataclass(frozen=True)
class ServedIndex:
    url: str
    health: dict[str, Any]
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(data_dir: Path, **settings: str) -> Iterator[ServedIndex]:
    """Serve ``data_dir`` (extra ``POLICYKB_*`` settings as keyword arguments) until the block ends."""
    port = free_port()
    env = {
        **os.environ, "POLICYKB_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "OPENBLAS_NUM_THREADS": "1",
        "HAYSTACK_TELEMETRY_ENABLED": "False", **settings,
    }
    process = subprocess.Popen(
        [POLICYKB, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                health = httpx.get(url + "/healthz", timeout=2).json()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"`policykb serve` on {data_dir} did not start") from None
                time.sleep(0.5)
        yield ServedIndex(url, health, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
