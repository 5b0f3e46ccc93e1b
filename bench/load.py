"""Load: many clients ask questions over HTTP while staff upload documents to the same server.

    .venv/bin/python bench/load.py [--clients 32] [--seconds 120] [--base-index bench/data/sample_bf16]

The server starts on a copy of ``--base-index`` (default: a fresh index of policies_sample/ laws), and a staff
client uploads library/ncp files one at a time during the whole run. Every answer is checked afterwards:
each citation's quote must lie inside the cited span of a document that is whole in the final index (an
answer built from a half-ingested document would fail that). Prints requests/s, p50/p95/max latency,
errors, uploads, and the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.machine import describe_machine, percentile  # noqa: E402
from bench.server import served  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"


@dataclass
class LoadReport:
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    answers: list[dict[str, Any]] = field(default_factory=list)
    uploads_ok: int = 0
    uploads_failed: int = 0
    citations_checked: int = 0
    citations_broken: list[str] = field(default_factory=list)
    cited_uploaded: int = 0  # citations of documents uploaded during the run

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    def summary(self) -> str:
        return (
            f"{self.clients} clients × {self.seconds:.0f} s: {self.requests} answers, {self.requests / self.seconds:.1f} requests/s, "
            f"p50 {percentile(self.latencies_ms, 0.5):.0f} ms, p95 {percentile(self.latencies_ms, 0.95):.0f} ms, "
            f"max {max(self.latencies_ms, default=0):.0f} ms; errors {sum(self.errors.values())} {dict(self.errors)}; "
            f"uploads during the run {self.uploads_ok} ok / {self.uploads_failed} failed; "
            f"citations checked {self.citations_checked} ({self.cited_uploaded} of documents uploaded mid-run), broken {len(self.citations_broken)}"
        )


def staff_token(data_dir: Path) -> str:
    from accounts.tokens import TokenStore
    from accounts.users import AccountStore, Role

    store = AccountStore.for_data_dir(data_dir)
    try:
        user = store.create_user("load-staff", "load-test-password", Role("staff"))
        return TokenStore(store).create(user.id, "load")[1]
    finally:
        store.close()


def load_questions(limit: int = 400) -> list[str]:
    questions = []
    for name in ("ncp_dev.jsonl", "guangzhou_dev.jsonl"):
        lines = (CORPUS / "eval" / name).read_text(encoding="utf-8").splitlines()
        questions += [json.loads(line)["question"] for line in lines[:limit]]
    random.Random(7).shuffle(questions)
    return questions


def run_load(data_dir: Path, uploads: list[Path], questions: list[str], *, clients: int, seconds: float) -> LoadReport:
    """Ask from ``clients`` threads for ``seconds`` while uploading ``uploads`` one by one; check every citation after."""
    token = staff_token(data_dir)
    report = LoadReport(clients, seconds)
    lock = threading.Lock()
    uploaded_ids: set[str] = set()
    with served(data_dir, POLICYKB_RATE_LIMIT_ASK_PER_MINUTE="0", POLICYKB_ANSWER_MODE="extractive") as server:
        stop_at = time.monotonic() + seconds

        def ask(worker: int) -> None:
            with httpx.Client(base_url=server.url, timeout=120) as client:
                position = worker
                while time.monotonic() < stop_at:
                    question = questions[position % len(questions)]
                    position += clients
                    started = time.perf_counter()
                    try:
                        response = client.post("/api/ask", json={"question": question})
                    except httpx.HTTPError as error:
                        with lock:
                            report.errors[type(error).__name__] += 1
                        continue
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        report.latencies_ms.append(elapsed)
                        if response.status_code != 200:
                            report.errors[f"HTTP {response.status_code}"] += 1
                        else:
                            report.answers.append(response.json())

        def upload() -> None:
            with httpx.Client(base_url=server.url, timeout=300, headers={"Authorization": f"Bearer {token}"}) as client:
                for path in uploads:
                    if time.monotonic() >= stop_at:
                        return
                    response = client.post("/api/documents", files=[("files", (path.name, path.read_bytes()))])
                    results = response.json().get("results", []) if response.status_code == 200 else []
                    if results and results[0]["ok"]:
                        report.uploads_ok += 1
                        uploaded_ids.add(results[0]["doc_id"])
                    else:
                        report.uploads_failed += 1

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(clients)] + [threading.Thread(target=upload)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report.seconds = time.monotonic() - started
        check_citations(server.url, report, uploaded_ids)
    return report


def check_citations(url: str, report: LoadReport, uploaded_ids: set[str]) -> None:
    """Each cited quote must lie in its cited span of a whole document (chunk count equal to what is stored)."""
    documents: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=url, timeout=120) as client:
        for answer in report.answers:
            for citation in answer["citations"]:
                doc_id = citation["doc_id"]
                if doc_id not in documents:
                    documents[doc_id] = client.get(f"/api/documents/{doc_id}").json()
                document = documents[doc_id]
                report.citations_checked += 1
                report.cited_uploaded += doc_id in uploaded_ids
                span = document.get("text", "")[citation["char_start"] : citation["char_end"]]
                whole = len(document.get("chunks", [])) == document.get("chunk_count", -1)
                quote = citation["quote"].replace("…", "").strip()
                if not whole or not quote or quote[:20] not in span:
                    report.citations_broken.append(f"{doc_id} {citation['char_start']}-{citation['char_end']}: {quote[:30]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--base-index", type=Path, default=None, help="a data dir to copy as the starting index")
    parser.add_argument("--uploads", type=int, default=400, help="library/ncp files offered for upload during the run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="policykb-load-") as scratch:
        data_dir = Path(scratch) / "data"
        if args.base_index:
            shutil.copytree(args.base_index, data_dir)
        else:
            from policykb.assembly import PolicyKB
            from policykb.settings import load_settings

            kb = PolicyKB(load_settings(data_dir=data_dir))
            kb.ingestion.ingest_paths([REPO / "policies_sample" / "laws"], recursive=True)
            kb.close()
        uploads = sorted((CORPUS / "library" / "ncp").glob("*.txt"))[-args.uploads :]
        report = run_load(data_dir, uploads, load_questions(), clients=args.clients, seconds=args.seconds)
    print(f"machine: {describe_machine()}")
    print(report.summary())
    for broken in report.citations_broken[:10]:
        print("  broken citation:", broken)


if __name__ == "__main__":
    main()
