"""A full disk and a read-only data directory: a clear message, nothing half-written, a re-run completes.

The data directory lives on a small tmpfs; a ballast file fills it to a few kilobytes of free space, and a
remount makes it read-only, as a real volume would behave.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from tests.conftest import MODEL_DIR, REPO
from tests.helpers import POLICYKB, assert_index_consistent, cli_env, run_cli
from tests.reliability.conftest import SmallDisk

SAMPLE_NCP = sorted((REPO / "policies_sample" / "ncp").glob("*.txt"))
DISK_FULL = "磁盘空间已满"
READ_ONLY = "不可写"


def fill_leaving(disk: SmallDisk, free_bytes: int) -> Path:
    stats = os.statvfs(disk.path)
    ballast = disk.path / "ballast"
    with open(ballast, "wb") as handle:
        handle.write(b"\0" * max(0, stats.f_bavail * stats.f_frsize - free_bytes))
    return ballast


def copy_files(files: list[Path], folder: Path) -> Path:
    folder.mkdir()
    for file in files:
        (folder / file.name).write_bytes(file.read_bytes())
    return folder


def test_a_full_disk_rejects_the_rest_clearly_keeps_what_was_stored_and_a_rerun_completes(small_disk: SmallDisk, tmp_path: Path) -> None:
    small_disk.remount("size=16m")
    data_dir = small_disk.path / "data"
    env = cli_env(data_dir, MODEL_DIR)
    first, rest = copy_files(SAMPLE_NCP[:3], tmp_path / "first"), copy_files(SAMPLE_NCP[3:], tmp_path / "rest")
    assert run_cli(["ingest", str(first)], env).returncode == 0
    ballast = fill_leaving(small_disk, 600 * 1024)  # room to open the index and store a little, not all

    full = run_cli(["ingest", str(rest)], env)
    assert full.returncode == 1
    assert DISK_FULL in full.stderr and "Traceback" not in full.stderr
    documents, _ = assert_index_consistent(data_dir / "index.sqlite3")
    assert 3 <= documents < len(SAMPLE_NCP)
    assert not list(data_dir.rglob("*.partial"))
    found = run_cli(["search", "疫情防控", "--top-k", "3", "--json"], env)
    assert found.returncode == 0 and found.stdout.strip().startswith("[")

    ballast.unlink()
    rerun = run_cli(["ingest", str(first), str(rest)], env)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert assert_index_consistent(data_dir / "index.sqlite3")[0] == len(SAMPLE_NCP)


def test_a_read_only_data_directory_is_a_clear_error_and_leaves_the_index_intact(small_disk: SmallDisk, tmp_path: Path) -> None:
    data_dir = small_disk.path / "data"
    env = cli_env(data_dir, MODEL_DIR)
    assert run_cli(["ingest", str(SAMPLE_NCP[0])], env).returncode == 0
    before = assert_index_consistent(data_dir / "index.sqlite3")

    small_disk.remount("ro")
    refused = run_cli(["ingest", str(SAMPLE_NCP[1])], env)
    assert refused.returncode == 2 and READ_ONLY in refused.stderr and "Traceback" not in refused.stderr
    serve = subprocess.run([POLICYKB, "serve", "--port", "9"], env=env, capture_output=True, text=True, timeout=120)
    assert serve.returncode == 2 and READ_ONLY in serve.stderr and "Traceback" not in serve.stderr

    small_disk.remount("rw")
    assert assert_index_consistent(data_dir / "index.sqlite3") == before


def test_uploads_to_a_full_disk_answer_507_in_chinese_and_the_server_keeps_answering(small_disk: SmallDisk, start_server) -> None:
    small_disk.remount("size=16m")
    staff = start_server(small_disk.path / "data")
    first = SAMPLE_NCP[0]
    stored = httpx.post(f"{staff.url}/api/documents", files=[("files", (first.name, first.read_bytes()))], headers=staff.headers, timeout=300)
    assert stored.status_code == 200, stored.text
    ballast = fill_leaving(small_disk, 600 * 1024)

    refused = httpx.post(
        f"{staff.url}/api/documents", files=[("files", (f.name, f.read_bytes())) for f in SAMPLE_NCP[1:]], headers=staff.headers, timeout=300
    )
    assert refused.status_code == 507, refused.text
    body = refused.json()
    assert DISK_FULL in body["detail"]
    assert len(body["results"]) == len(SAMPLE_NCP) - 1  # every file is accounted for
    assert all(r["ok"] or DISK_FULL in r["reason"] for r in body["results"])
    asked = httpx.post(f"{staff.url}/api/ask", json={"question": "疫情期间企业复工有什么支持政策？"}, timeout=120)
    assert asked.status_code < 500 or DISK_FULL in asked.text
    assert httpx.get(f"{staff.url}/api/documents", timeout=60).json()["total"] >= 1

    ballast.unlink()
    retried = httpx.post(
        f"{staff.url}/api/documents", files=[("files", (f.name, f.read_bytes())) for f in SAMPLE_NCP[1:]], headers=staff.headers, timeout=300
    )
    assert retried.status_code == 200 and all(r["ok"] for r in retried.json()["results"])
    staff.server.stop()
    assert assert_index_consistent(small_disk.path / "data" / "index.sqlite3")[0] == len(SAMPLE_NCP)
