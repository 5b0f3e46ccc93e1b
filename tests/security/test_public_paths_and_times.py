"""What visitors see of where a document lives, and times in Beijing time (issue 23, item 7).

A law is ingested with ``policykb ingest`` from a folder whose name tells how the server is laid out; anonymous
callers of ``/api/documents``, ``/api/search``, ``/api/ask`` and ``/api/ask/stream`` (and the pages) see its folder
and file name only, staff the stored path. The audit log, the user list and an enterprise's inbox show their
times (stored in UTC) in Asia/Shanghai. All on the package's real server; users made here start ``t10_``.
"""

from __future__ import annotations

import json
import shutil
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import MODEL_DIR, REPO
from tests.helpers import cli_env, create_account, login, run_cli
from tests.push.conftest import enterprise_payload
from tests.security.conftest import PASSWORD

LAW = REPO / "policies_sample" / "laws" / "专利法(2020-10-17).md"
SECRET_FOLDER = "t10-server-disk-layout"
QUESTION = "发明专利权的期限是多少年？"
BEIJING = timedelta(hours=8)


@pytest.fixture(scope="module")
def cli_document(secure, tmp_path_factory) -> dict:
    """The law, ingested from the server's disk by the CLI into the running server's data directory."""
    folder = tmp_path_factory.mktemp(SECRET_FOLDER) / "laws"
    folder.mkdir()
    source = folder / LAW.name
    shutil.copy(LAW, source)
    ingested = run_cli(["ingest", str(source), "--json"], cli_env(secure.data_dir, MODEL_DIR))
    assert ingested.returncode == 0, ingested.stderr
    listed = httpx.get(secure.url + "/api/documents", params={"limit": 500}, headers=secure.headers("staff")).json()["documents"]
    [document] = [d for d in listed if d["path"] == str(source.resolve())]
    return document


def _ask(secure, method: str, path: str, **kwargs) -> httpx.Response:
    """A question, waited for when an earlier test used the server's low question rate limit up."""
    for _ in range(6):
        response = httpx.request(method, secure.url + path, timeout=300, **kwargs)
        if response.status_code != 429:
            return response
        time.sleep(int(response.headers.get("retry-after", "15")))
    return response


def test_visitors_see_the_folder_and_file_name_staff_the_stored_path(secure, cli_document) -> None:
    doc_id, public = cli_document["doc_id"], f"laws/{LAW.name}"
    assert SECRET_FOLDER in cli_document["path"]  # staff: the path as ingested

    listed = httpx.get(secure.url + "/api/documents", params={"limit": 500}).json()["documents"]
    assert [d["path"] for d in listed if d["doc_id"] == doc_id] == [public]
    assert httpx.get(f"{secure.url}/api/documents/{doc_id}").json()["path"] == public
    assert httpx.get(f"{secure.url}/api/documents/{doc_id}", headers=secure.headers("ent_a")).json()["path"] == public
    assert SECRET_FOLDER in httpx.get(f"{secure.url}/api/documents/{doc_id}", headers=secure.headers("admin")).json()["path"]

    hits = httpx.get(secure.url + "/api/search", params={"q": "发明专利权的期限"}, timeout=120).json()["hits"]
    assert doc_id in [h["doc_id"] for h in hits]
    assert all(SECRET_FOLDER not in h["path"] for h in hits) and public in [h["path"] for h in hits]
    staff_hits = httpx.get(secure.url + "/api/search", params={"q": "发明专利权的期限"}, headers=secure.headers("staff"), timeout=120).json()["hits"]
    assert any(SECRET_FOLDER in h["path"] for h in staff_hits)

    answer = _ask(secure, "POST", "/api/ask", json={"question": QUESTION})
    assert answer.status_code == 200, answer.text
    assert doc_id in [c["doc_id"] for c in answer.json()["citations"]]
    assert SECRET_FOLDER not in answer.text and public in [c["path"] for c in answer.json()["citations"]]
    stream = _ask(secure, "GET", "/api/ask/stream", params={"question": QUESTION})
    assert stream.status_code == 200 and SECRET_FOLDER not in stream.text
    events = [json.loads(line[6:]) for line in stream.text.splitlines() if line.startswith("data: ")]
    assert public in [c["path"] for c in events[-2]] and public in [c["path"] for c in events[-1]["citations"]]

    for page in ("/library?q=发明专利权的期限", f"/documents/{doc_id}", "/library"):
        shown = httpx.get(secure.url + page, timeout=120)
        assert shown.status_code == 200 and SECRET_FOLDER not in shown.text, page


def _beijing(iso: str, seconds: bool = True) -> str:
    moment = datetime.fromisoformat(iso)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (moment.astimezone(UTC) + BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def test_audit_log_and_user_list_show_beijing_time(secure) -> None:
    made = httpx.post(secure.url + "/api/users", json={"username": "t10_clock", "password": PASSWORD, "role": "enterprise"}, headers=secure.headers("admin"))
    assert made.status_code == 201
    entry = next(e for e in httpx.get(secure.url + "/api/audit", headers=secure.headers("admin")).json()["entries"] if e["target"] == "t10_clock")
    assert entry["at"].endswith("+00:00")  # stored, and given to the API, in UTC
    with closing(login(secure.url, "admin", PASSWORD)) as admin:
        audit = admin.get("/admin/audit").text
        users = admin.get("/admin/users").text
    assert "时间（北京时间）" in audit and f"<td>{_beijing(entry['at'])}</td>" in audit
    assert "创建时间（北京时间）" in users and f"<td>{_beijing(made.json()['created_at'], seconds=False)}</td>" in users


def test_the_inbox_shows_beijing_time(secure, cli_document) -> None:
    staff = secure.headers("staff")
    created = httpx.post(secure.url + "/api/enterprises", json=enterprise_payload(name="呼和浩特市癸公司", employees=7777), headers=staff)
    assert created.status_code == 201, created.text
    enterprise_id = created.json()["id"]
    create_account(secure.data_dir, "t10_inbox", "enterprise", PASSWORD, enterprise_id)
    rule = {"rules": {"op": "range", "field": "employees", "min": 7777, "max": 7777}}
    doc_id = cli_document["doc_id"]
    assert httpx.put(f"{secure.url}/api/policies/{doc_id}/rules", json=rule, headers=staff).status_code == 200
    published = httpx.post(f"{secure.url}/api/policies/{doc_id}/publish", headers=staff, timeout=120)
    assert published.status_code == 200 and published.json()["pushes_created"] == 1, published.text
    [message] = httpx.get(secure.url + "/api/inbox", params={"enterprise_id": enterprise_id}, headers=staff).json()["messages"]
    with closing(login(secure.url, "t10_inbox", PASSWORD)) as client:
        page = client.get("/portal").text
    assert f"{_beijing(message['created_at'])}（北京时间）" in page
