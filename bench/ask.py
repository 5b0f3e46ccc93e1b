"""/api/ask latency over HTTP (p50/p95, one client) and throughput with concurrent clients.

    .venv/bin/python bench/ask.py --data-dir bench/data/library [--queries 200] [--clients 8]

Starts `policykb serve` on a free port with the given index (extractive mode), asks real questions (ncp_dev and
the unanswerable dev set, so refusals are timed too), and prints the machine it ran on.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine, percentile  # noqa: E402
from bench.server import served  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "corpus" / "eval"


def _questions(count: int) -> list[str]:
    answerable = [json.loads(line)["question"] for line in (EVAL / "ncp_dev.jsonl").read_text(encoding="utf-8").splitlines()]
    unanswerable = [json.loads(line)["question"] for line in (REPO / "eval" / "unanswerable_dev.jsonl").read_text(encoding="utf-8").splitlines()]
    mixed = answerable[-(count - count // 5) :] + unanswerable[: count // 5]
    return mixed[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/library"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    if not (args.data_dir / "index.sqlite3").is_file():
        sys.exit(f"{args.data_dir} has no index")
    with served(args.data_dir, POLICYKB_ANSWER_MODE="extractive", POLICYKB_RATE_LIMIT_ASK_PER_MINUTE="0") as server:
        url, health = server.url, server.health
        questions = _questions(args.queries)
        with httpx.Client(base_url=url, timeout=60) as client:
            for question in questions[:10]:  # warm-up
                client.post("/api/ask", json={"question": question})
            timings = []
            refused = 0
            for question in questions:
                started = time.perf_counter()
                response = client.post("/api/ask", json={"question": question})
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                refused += response.json()["refused"]
        print(f"machine: {describe_machine()}")
        print(f"index: {health['documents']} documents, {health['chunks']} chunks; {len(questions)} questions ({refused} refused)")
        print(f"/api/ask, 1 client: p50 {percentile(timings, 0.5):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms, mean {sum(timings) / len(timings):.1f} ms")

        done = 0
        lock = threading.Lock()

        def worker(share: list[str]) -> None:
            nonlocal done
            with httpx.Client(base_url=url, timeout=120) as client:
                for question in share:
                    client.post("/api/ask", json={"question": question}).raise_for_status()
                    with lock:
                        done += 1

        shares = [questions[i :: args.clients] for i in range(args.clients)]
        threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        print(f"/api/ask, {args.clients} concurrent clients: {done} requests in {elapsed:.1f} s = {done / elapsed:.1f} requests/s")


if __name__ == "__main__":
    main()
