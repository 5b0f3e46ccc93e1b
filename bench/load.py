"""Load: many clients ask, search and upload over HTTP on loopback while a hostile DOCX is refused again and again.

    .venv/bin/python bench/load.py [--clients 32] [--duration 120] [--mix ask=5,search=4,upload=1] [--base-index DIR]

The server starts on a copy of ``--base-index`` (default: a fresh index of policies_sample/ laws). Each client
thread draws its next request from the mix: a question (``POST /api/ask``, anonymous), a search (``GET
/api/search``, anonymous) or, as staff, an upload of the next library/ncp file (``POST /api/documents``). Beside
them one staff client uploads, over and over, a DOCX that passes the zip-bomb checks but holds 2,000,001 XML
elements: every one must be refused (422, the element cap) while the others are served. The server's resident
memory is sampled throughout (and its peak read from the kernel), as is that of the parser processes it starts.
Afterwards every citation of every answer is checked: its quote must lie inside the cited span of a document that
is whole in the final index (an answer built from a half-ingested document would fail that).

Prints, per kind of request, the count and p50/p95/max latency; errors (any failed request, upload refused or
hostile file accepted: must be 0); the server's peak RSS; and the machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.machine import describe_machine, percentile  # noqa: E402
from bench.server import served  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
KINDS = ("ask", "search", "upload", "oversized")
DEFAULT_MIX = "ask=5,search=4,upload=1"
HOSTILE_ELEMENTS = 2_000_001  # one over the default parser_docx_max_xml_elements
HOSTILE_REASON = "DOCX 内的 XML 元素超过"
HOSTILE_PAUSE_S = 2.0


@dataclass
class LoadReport:
    clients: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})  # ms
    errors: Counter[str] = field(default_factory=Counter)
    answers: list[dict[str, Any]] = field(default_factory=list)
    uploads_ok: int = 0
    uploads_failed: int = 0
    oversized_refused: int = 0
    citations_checked: int = 0
    citations_broken: list[str] = field(default_factory=list)
    cited_uploaded: int = 0  # citations of documents uploaded during the run
    server_start_rss_mb: float = 0.0  # when the load starts (model and index loaded)
    server_peak_rss_mb: float = 0.0  # the largest sample during the load
    server_end_rss_mb: float = 0.0
    server_high_water_mb: float = 0.0  # the kernel's peak of the process's life, start-up included (VmHWM)
    parser_peak_rss_mb: float = 0.0  # the largest parser child process seen

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def kind_line(self, kind: str) -> str:
        values = self.latencies[kind]
        if not values:
            return f"{kind}: none"
        return (
            f"{kind}: {len(values)} requests, p50 {percentile(values, 0.5):.0f} ms, p95 {percentile(values, 0.95):.0f} ms, "
            f"max {max(values):.0f} ms"
        )

    def summary(self) -> str:
        lines = [
            f"{self.clients} clients × {self.seconds:.0f} s: {self.requests} requests, {self.requests / self.seconds:.1f} requests/s",
            *(f"  {self.kind_line(kind)}" for kind in KINDS),
            f"errors {sum(self.errors.values())} {dict(self.errors)}",
            f"uploads during the run {self.uploads_ok} ok / {self.uploads_failed} failed; oversized DOCX refused {self.oversized_refused} times",
            f"citations checked {self.citations_checked} ({self.cited_uploaded} of documents uploaded mid-run), broken {len(self.citations_broken)}",
            f"server RSS {self.server_start_rss_mb:.0f} MB at the start, peak {self.server_peak_rss_mb:.0f} MB during the load, "
            f"{self.server_end_rss_mb:.0f} MB at the end (high-water mark of its life, start-up included: {self.server_high_water_mb:.0f} MB); "
            f"largest parser process seen {self.parser_peak_rss_mb:.0f} MB",
        ]
        return "\n".join(lines)


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


def parse_mix(text: str) -> dict[str, float]:
    """``ask=5,search=4,upload=1`` as weights; :raises ValueError: for an unknown kind or a negative weight."""
    mix: dict[str, float] = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in ("ask", "search", "upload") or float(weight) < 0:
            raise ValueError(f"mix parts are ask=W, search=W, upload=W with W >= 0. Currently, the part is {part!r}")
        mix[kind.strip()] = float(weight)
    if not any(mix.values()):
        raise ValueError(f"the mix needs a positive weight. Currently, the mix is {text!r}")
    return mix


def hostile_docx(elements: int = HOSTILE_ELEMENTS) -> bytes:
    """A valid DOCX of ``elements`` empty paragraphs with random revision ids: it compresses like a real document
    (under the zip-bomb ratio) while its XML holds more elements than the parser cap allows."""
    import docx

    template = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("关于支持中小企业发展的若干措施")
    document.save(template)
    ids = os.urandom(4 * elements).hex()
    paragraphs = "".join(f'<w:p w:rsidR="{ids[8 * i : 8 * i + 8]}"/>' for i in range(elements))
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "word/document.xml":
                data = data.decode("utf-8").replace("<w:body>", "<w:body>" + paragraphs, 1).encode("utf-8")
            target.writestr(entry, data)
    return out.getvalue()


def _rss_mb(pid: int, key: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _parser_children(pid: int) -> list[int]:
    """The server's parser processes (``python -m ingestion.readers.sandbox``); a child caught between fork and
    exec is still a copy of the server and is left out."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        for child in children:
            try:
                if b"ingestion.readers.sandbox" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(child)
            except OSError:
                continue
    return found


def run_load(
    data_dir: Path,
    uploads: list[Path],
    questions: list[str],
    *,
    clients: int,
    seconds: float,
    mix: dict[str, float] | None = None,
    hostile: bytes | None = None,
) -> LoadReport:
    """Ask, search and upload from ``clients`` threads for ``seconds`` (``uploads`` each sent once, then no more
    uploads), while ``hostile`` (a DOCX over the parser caps; none: skipped) is uploaded again and again and must be
    refused each time; check every citation after."""
    token = staff_token(data_dir)
    weights = mix or parse_mix(DEFAULT_MIX)
    report = LoadReport(clients, seconds)
    lock = threading.Lock()
    uploaded_ids: set[str] = set()
    queue: Iterator[Path] = iter(uploads)
    staff = {"Authorization": f"Bearer {token}"}
    with served(data_dir, POLICYKB_RATE_LIMIT_ASK_PER_MINUTE="0", POLICYKB_ANSWER_MODE="extractive") as server:
        stop_at = time.monotonic() + seconds
        pid = server.process.pid
        report.server_start_rss_mb = _rss_mb(pid)

        def record(kind: str, started: float, error: str | None = None) -> None:
            with lock:
                report.latencies[kind].append((time.perf_counter() - started) * 1000)
                if error:
                    report.errors[f"{kind}: {error}"] += 1

        def upload(client: httpx.Client, path: Path) -> None:
            started = time.perf_counter()
            response = client.post("/api/documents", files=[("files", (path.name, path.read_bytes()))], headers=staff, timeout=300)
            results = response.json().get("results", []) if response.status_code == 200 else []
            ok = bool(results) and results[0]["ok"]
            record("upload", started, None if ok else f"HTTP {response.status_code} {response.text[:80]}")
            with lock:
                if ok:
                    report.uploads_ok += 1
                    uploaded_ids.add(results[0]["doc_id"])
                else:
                    report.uploads_failed += 1

        def work(worker: int) -> None:
            draw = random.Random(worker)
            kinds, kind_weights = list(weights), list(weights.values())
            position = worker
            with httpx.Client(base_url=server.url, timeout=120) as client:
                while time.monotonic() < stop_at:
                    kind = draw.choices(kinds, kind_weights)[0]
                    question = questions[position % len(questions)]
                    position += clients
                    started = time.perf_counter()
                    try:
                        if kind == "upload":
                            with lock:
                                path = next(queue, None)
                            if path is not None:
                                upload(client, path)
                                continue
                            kind = "search"  # every file is uploaded: search instead
                        if kind == "ask":
                            response = client.post("/api/ask", json={"question": question})
                        else:
                            response = client.get("/api/search", params={"q": question[:100], "top_k": 10})
                    except httpx.HTTPError as error:
                        record(kind, started, type(error).__name__)
                        continue
                    record(kind, started, None if response.status_code == 200 else f"HTTP {response.status_code}")
                    if kind == "ask" and response.status_code == 200:
                        with lock:
                            report.answers.append(response.json())

        def refuse_hostile() -> None:
            assert hostile is not None
            with httpx.Client(base_url=server.url, timeout=300, headers=staff) as client:
                while time.monotonic() < stop_at:
                    started = time.perf_counter()
                    try:
                        response = client.post("/api/documents", files=[("files", ("超大.docx", hostile))])
                    except httpx.HTTPError as error:
                        record("oversized", started, type(error).__name__)
                        continue
                    results = response.json().get("results", [{}]) if response.status_code == 422 else [{}]
                    refused = results[0].get("status") == "rejected" and HOSTILE_REASON in results[0].get("reason", "")
                    record("oversized", started, None if refused else f"not refused: HTTP {response.status_code} {response.text[:80]}")
                    with lock:
                        report.oversized_refused += refused
                    time.sleep(HOSTILE_PAUSE_S)

        def watch_memory() -> None:
            while time.monotonic() < stop_at + 1:
                children = max((_rss_mb(child) for child in _parser_children(pid)), default=0.0)
                with lock:
                    report.server_peak_rss_mb = max(report.server_peak_rss_mb, _rss_mb(pid))
                    report.parser_peak_rss_mb = max(report.parser_peak_rss_mb, children)
                time.sleep(0.2)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)] + [threading.Thread(target=watch_memory)]
        if hostile is not None:
            threads.append(threading.Thread(target=refuse_hostile))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report.seconds = time.monotonic() - started
        report.server_end_rss_mb = _rss_mb(pid)
        report.server_high_water_mb = _rss_mb(pid, "VmHWM")
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", "--seconds", dest="seconds", type=float, default=120, help="seconds of load")
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"weights of the request kinds (default {DEFAULT_MIX})")
    parser.add_argument("--no-oversized", action="store_true", help="do not upload the hostile DOCX during the run")
    parser.add_argument("--base-index", type=Path, default=None, help="a data dir to copy as the starting index")
    parser.add_argument("--uploads", type=int, default=400, help="library/ncp files offered for upload during the run")
    args = parser.parse_args()
    mix = parse_mix(args.mix)
    hostile = None if args.no_oversized else hostile_docx()
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
        report = run_load(data_dir, uploads, load_questions(), clients=args.clients, seconds=args.seconds, mix=mix, hostile=hostile)
    print(f"machine: {describe_machine()}")
    print(f"command: bench/load.py --clients {args.clients} --duration {args.seconds:g} --mix {args.mix}" + (" --no-oversized" if args.no_oversized else ""))
    if hostile is not None:
        print(f"oversized DOCX: {len(hostile) / 2**20:.1f} MB, {HOSTILE_ELEMENTS:,} XML elements")
    print(report.summary())
    for broken in report.citations_broken[:10]:
        print("  broken citation:", broken)
    sys.exit(1 if report.errors or report.citations_broken else 0)


if __name__ == "__main__":
    main()
