"""kill -9 of the real server mid-upload and mid-delivery, then a restart: consistent, nothing lost, no duplicate push."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.helpers import assert_index_consistent, count_documents
from tests.push.conftest import WEBHOOK_SECRET, WebhookReceiver, enterprise_payload, webhook_receiver  # noqa: F401 (fixture)
from tests.reliability.conftest import StaffServer

NCP_FILES = 30


def kill(staff: StaffServer) -> None:
    staff.server.process.send_signal(signal.SIGKILL)
    staff.server.process.wait(10)


def upload(staff: StaffServer, files: list[Path]) -> httpx.Response:
    return httpx.post(
        f"{staff.url}/api/documents", files=[("files", (f.name, f.read_bytes())) for f in files], headers=staff.headers, timeout=600
    )


def test_server_killed_mid_upload_keeps_whole_documents_and_a_repeat_upload_completes(start_server, library: Path, tmp_path: Path) -> None:
    files = sorted((library / "ncp").glob("*.txt"))[:NCP_FILES]
    data_dir = tmp_path / "data"
    staff = start_server(data_dir)
    interrupted: list[BaseException] = []

    def send() -> None:
        try:
            upload(staff, files)
        except httpx.HTTPError as error:  # the server dies under it
            interrupted.append(error)

    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 300
    while count_documents(data_dir / "index.sqlite3") < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    kill(staff)
    sender.join(60)
    assert interrupted, "the upload finished before the kill; use more files"

    documents, _ = assert_index_consistent(data_dir / "index.sqlite3")
    assert 3 <= documents < NCP_FILES
    restarted = start_server(data_dir, token=staff.token)
    for document in httpx.get(f"{restarted.url}/api/documents", params={"limit": 100}, timeout=60).json()["documents"]:
        assert httpx.get(f"{restarted.url}/api/documents/{document['doc_id']}/original", timeout=60).status_code == 200

    repeated = upload(restarted, files)
    assert repeated.status_code == 200, repeated.text
    statuses = Counter(r["status"] for r in repeated.json()["results"])
    assert statuses == {"unchanged": documents, "ingested": NCP_FILES - documents}
    restarted.server.stop()
    assert assert_index_consistent(data_dir / "index.sqlite3")[0] == NCP_FILES


def test_server_killed_mid_delivery_delivers_every_push_once_after_restart(
    start_server, webhook_receiver: WebhookReceiver, tmp_path: Path  # noqa: F811
) -> None:
    companies = 12
    settings = {
        "POLICYKB_PUSH__WEBHOOK_ALLOWLIST": json.dumps(["127.0.0.1"]),
        "POLICYKB_PUSH__WORKER_POLL_SECONDS": "0.2",
        "POLICYKB_PUSH__WORKER_LEASE_SECONDS": "3",
    }
    data_dir = tmp_path / "data"
    staff = start_server(data_dir, **settings)
    policy = Path(__file__).resolve().parents[2] / "policies_sample" / "ncp" / "e3e7fb938ea43b0d9b580d7988535c80.txt"
    doc_id = upload(staff, [policy]).json()["results"][0]["doc_id"]
    enterprise_ids = []
    for i in range(companies):
        created = httpx.post(
            f"{staff.url}/api/enterprises",
            json=enterprise_payload(name=f"呼和浩特市测试企业{i}", webhook_url=webhook_receiver.url, webhook_secret=WEBHOOK_SECRET),
            headers=staff.headers,
            timeout=60,
        )
        assert created.status_code == 201, created.text
        enterprise_ids.append(created.json()["id"])
    rules = {"rules": {"all": [{"op": "region_within", "value": "150100"}]}}
    assert httpx.put(f"{staff.url}/api/policies/{doc_id}/rules", json=rules, headers=staff.headers, timeout=60).status_code == 200
    webhook_receiver.delay = 0.4
    published = httpx.post(f"{staff.url}/api/policies/{doc_id}/publish", headers=staff.headers, timeout=60).json()
    assert published["pushes_created"] == companies

    deadline = time.monotonic() + 60
    while len(webhook_receiver.deliveries) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    kill(staff)
    delivered_before = len(set(webhook_receiver.delivery_ids()))
    assert 0 < delivered_before < companies

    restarted = start_server(data_dir, token=staff.token, **settings)
    deadline = time.monotonic() + 90
    while len(set(webhook_receiver.delivery_ids())) < companies and time.monotonic() < deadline:
        time.sleep(0.2)
    tally = Counter(webhook_receiver.delivery_ids())
    assert len(tally) == companies  # nothing lost
    assert sum(n - 1 for n in tally.values()) <= 1  # at most the request in flight at the kill, under its delivery id
    for enterprise_id in enterprise_ids:
        inbox = httpx.get(f"{restarted.url}/api/inbox", params={"enterprise_id": enterprise_id}, headers=staff.headers, timeout=60).json()
        assert len(inbox["messages"]) == 1  # one push per enterprise, not one per delivery attempt
