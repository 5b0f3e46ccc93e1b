"""Fixtures of the fault tests: a small tmpfs to play a full or read-only disk, and a staff-run server factory."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import MODEL_DIR
from tests.helpers import RunningServer, cli_env, create_account

STAFF_PASSWORD = "correct horse battery"


@dataclass
class SmallDisk:
    """A tmpfs mounted for one test: it can be filled, grown and made read-only like a real volume."""

    path: Path

    def remount(self, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(self.path)], check=True, capture_output=True)


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    mount_point = tmp_path / "volume"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs (disk-full and read-only faults)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


@dataclass
class StaffServer:
    server: RunningServer
    data_dir: Path
    token: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture()
def start_server() -> Iterator[Callable[..., StaffServer]]:
    """Starts `policykb serve` on a data directory; the first start there creates a staff account and token.

    Pass ``token`` (a previous start's) to restart on the same data directory. Every server started is stopped.
    """
    started: list[RunningServer] = []

    def start(data_dir: Path, token: str | None = None, **settings: str) -> StaffServer:
        token = token or create_account(data_dir, "staff", "staff", STAFF_PASSWORD)
        server = RunningServer({**cli_env(data_dir, MODEL_DIR), **settings})
        started.append(server)
        return StaffServer(server, data_dir, token)

    yield start
    for server in started:
        if server.process.poll() is None:
            server.stop()
