"""For benchmarks: the Elasticsearch to measure against — ELASTICSEARCH_URL when set, else a noida-db stand-in.

The stand-in (PyPI ``noida-db``) imitates the Elasticsearch 8.15 REST API; it is *not* Elasticsearch, and its
figures say nothing about a real cluster's speed. Every benchmark prints which one it used.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def elasticsearch_url() -> Iterator[tuple[str, str]]:
    """Yields (url, label): the real cluster of ELASTICSEARCH_URL, or a stand-in started on a free loopback port."""
    real = os.environ.get("ELASTICSEARCH_URL")
    if real:
        yield real, f"real Elasticsearch at {real}"
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    launcher = Path(sys.executable).parent / "noida-db"
    with tempfile.TemporaryDirectory(prefix="policykb-bench-es-") as directory:
        process = subprocess.Popen(
            [str(launcher), "start", "--only", "elasticsearch", "--elasticsearch-port", str(port), "--data-dir", directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(url, timeout=1).close()
                    break
                except OSError as error:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise SystemExit(f"noida-db did not start on {url}") from error
                    time.sleep(0.1)
            yield url, "noida-db 0.2.3 stand-in (imitates the Elasticsearch 8.15 API; NOT Elasticsearch)"
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
