"""An Elasticsearch for the backend's tests: a real cluster when ELASTICSEARCH_URL is set, else the noida-db stand-in.

The stand-in (PyPI ``noida-db``, imitating the Elasticsearch 8.15 REST API) is started here on a free loopback
port with its own data directory and stopped afterwards. It is *not* Elasticsearch: tests that need what only a
real cluster has (authentication) are skipped on it. Credentials and CA for a real cluster come from the usual
settings (POLICYKB_ELASTICSEARCH_API_KEY / _USERNAME / _PASSWORD / _CA_CERTS).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.elasticsearch.config import ElasticsearchConnection
from index.elasticsearch.mapping import IndexLayout
from index.elasticsearch.store import ElasticsearchPolicyStore

REAL_CLUSTER_URL = os.environ.get("ELASTICSEARCH_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def noida_command() -> list[str]:
    """The noida-db launcher (a Python script that runs the bundled binary as its child)."""
    candidate = Path(sys.executable).parent / "noida-db"
    found = str(candidate) if candidate.exists() else shutil.which("noida-db")
    if not found:
        pytest.fail("noida-db is not installed: run `make install` (it is in the `test` extra)")
    return [found]


@dataclass
class NoidaServer:
    """One noida-db process serving only its Elasticsearch API on 127.0.0.1."""

    data_dir: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        log_path = self.data_dir.parent / f"noida-{self.port}.log"
        with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [*noida_command(), "start", "--only", "elasticsearch", "--elasticsearch-port", str(self.port), "--data-dir", str(self.data_dir)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() reaches the launcher's child too
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"noida-db exited with {self.process.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(self.url, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"noida-db did not answer on {self.url} within {timeout:.0f} s")

    def stop(self) -> None:
        """A clean stop (SIGTERM): the stand-in saves its data, as a real node does on shutdown."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass  # already gone
        self._wait_until_closed()
        self.process = None

    def _wait_until_closed(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)


def start_noida(directory: Path) -> NoidaServer:
    directory.mkdir(parents=True, exist_ok=True)
    server = NoidaServer(directory / "data", free_port())
    server.start()
    return server


@pytest.fixture(scope="session")
def es_connection(tmp_path_factory) -> ElasticsearchConnection:
    """The cluster every test of this folder shares (each test uses its own index prefix)."""
    if REAL_CLUSTER_URL:
        from policykb.assembly import elasticsearch_config
        from policykb.settings import load_settings

        yield elasticsearch_config(load_settings(elasticsearch_url=REAL_CLUSTER_URL)).connection
        return
    server = start_noida(tmp_path_factory.mktemp("noida"))
    yield ElasticsearchConnection(url=server.url)
    server.stop()


@pytest.fixture(scope="session")
def on_stand_in() -> bool:
    return REAL_CLUSTER_URL is None


def unique_prefix() -> str:
    return f"policykb-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture()
def make_store(es_connection):
    """Builds empty stores on the shared cluster, each with its own prefix; drops their indices afterwards."""
    made: list[ElasticsearchPolicyStore] = []

    def make(prefix: str | None = None, **options) -> ElasticsearchPolicyStore:
        store = ElasticsearchPolicyStore(
            es_connection.client(), IndexLayout(prefix=prefix or unique_prefix(), embedding_dims=384, replicas=0),
            url=es_connection.url, retry_backoff_s=0.05, **options,
        )
        store.ensure_indices()
        made.append(store)
        return store

    yield make
    for store in made:
        store.drop_indices()
        store.close()
