"""Search latency (query embedding included) over ≥200 real questions, per retrieval mode.

    .venv/bin/python bench/search_latency.py --data-dir bench/data/library [--queries 300]

Needs an index built first (e.g. by bench/ingest_throughput.py). Prints p50/p95/mean in ms and the machine.
With ``--backend elasticsearch`` it first copies the embedded index of --data-dir (chunks and vectors, no
re-embedding) into ELASTICSEARCH_URL, else into a noida-db stand-in started for the run, and times that.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine, percentile  # noqa: E402
from index.retrieval import RetrievalMode  # noqa: E402
from policykb.assembly import PolicyKB  # noqa: E402
from policykb.settings import load_settings  # noqa: E402

QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "eval" / "ncp_dev.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/library"))
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--backend", choices=["embedded", "elasticsearch"], default="embedded")
    args = parser.parse_args()
    if args.backend == "elasticsearch":
        from bench.es_stand_in import elasticsearch_url

        with elasticsearch_url() as (url, label):
            print(f"elasticsearch: {label}")
            measure(args, copy_into_elasticsearch(args.data_dir, url))
        return
    measure(args, PolicyKB(load_settings(data_dir=args.data_dir)))


def copy_into_elasticsearch(data_dir: Path, url: str) -> PolicyKB:
    from bench.es_parity import read_embedded_index

    kb = PolicyKB(load_settings(data_dir=data_dir, index_backend="elasticsearch", elasticsearch_url=url,
                                elasticsearch_index_prefix="policykb-bench", elasticsearch_replicas=0))
    kb.store.drop_indices()
    kb.store.ensure_indices()
    items = read_embedded_index(data_dir / "index.sqlite3")
    for start in range(0, len(items), 50):
        kb.store.replace_documents(items[start : start + 50])
    return kb


def measure(args: argparse.Namespace, kb: PolicyKB) -> None:
    if kb.store.count_documents() == 0:
        sys.exit(f"{args.data_dir} has no index: build one with bench/ingest_throughput.py")
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()][-args.queries :]
    kb.searcher.search("预热查询", top_k=args.top_k)
    print(f"machine: {describe_machine()}")
    print(f"index: {kb.store.count_documents()} documents, {kb.store.count_chunks()} chunks; {len(questions)} queries, top_k={args.top_k}")
    for mode in RetrievalMode:
        timings = []
        for question in questions:
            started = time.perf_counter()
            kb.searcher.search(question, top_k=args.top_k, mode=mode)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{mode.value:>7}: p50 {percentile(timings, 0.5):6.1f} ms   p95 {percentile(timings, 0.95):6.1f} ms   mean {sum(timings) / len(timings):6.1f} ms")


if __name__ == "__main__":
    main()
