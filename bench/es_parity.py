"""Results parity and speed of the Elasticsearch backend against the embedded one, on the same chunks and vectors.

    .venv/bin/python bench/es_parity.py [--questions 300] [--index bench/data/ncp/index.sqlite3]

Copies every document, chunk, token list and embedding of an existing embedded index (built by
bench/retrieval_eval.py) into Elasticsearch with bulk writes — no re-embedding — then runs the same ncp_dev
questions through HybridSearcher on both stores. Prints Recall@1/5/10 and MRR@10 per mode and backend, bulk
indexing documents/s, and search latency p50/p95 (query embedding included). Uses ELASTICSEARCH_URL when set,
else the noida-db stand-in, and says which.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.es_stand_in import elasticsearch_url  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from index.evaluation import evaluate_retrieval, load_questions  # noqa: E402
from index.retrieval import RetrievalMode  # noqa: E402
from index.sqlite_store import SqlitePolicyStore  # noqa: E402
from index.types import IndexedChunk, PolicyDocument  # noqa: E402
from policykb.assembly import PolicyKB  # noqa: E402
from policykb.settings import load_settings  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def read_embedded_index(path: Path) -> list[tuple[PolicyDocument, list[IndexedChunk]]]:
    """Every document with its chunks (embeddings and heading tokens included) from a copy of an embedded index."""
    store = SqlitePolicyStore(path)
    connection = sqlite3.connect(path)
    headings = dict(connection.execute(
        "SELECT c.chunk_id, f.heading_tokens FROM chunks c JOIN chunk_fts f ON f.rowid = c.rowid"
    ).fetchall())
    items = []
    for offset in range(0, store.count_documents(), 200):
        for document in store.list_documents(limit=200, offset=offset):
            chunks = [
                IndexedChunk(**{**chunk.__dict__, "heading_tokens": (headings.get(chunk.chunk_id) or "").split()})
                for chunk in store.get_chunks(document.doc_id)
            ]
            items.append((document, chunks))
    connection.close()
    store.close()
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, default=Path("bench/data/ncp/index.sqlite3"))
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--batch-documents", type=int, default=50, help="documents per replace_documents call")
    parser.add_argument("--modes", default="hybrid,bm25,dense", help="retrieval modes to compare, comma-separated")
    args = parser.parse_args()
    if not args.index.is_file():
        sys.exit(f"{args.index} is missing: build it with bench/retrieval_eval.py --skip-library")
    print(f"machine: {describe_machine()}")
    with tempfile.TemporaryDirectory(prefix="policykb-parity-") as scratch:
        copy = Path(scratch) / "index.sqlite3"
        source = sqlite3.connect(args.index)
        source.backup(sqlite3.connect(copy))  # a consistent snapshot, even while someone writes the original
        source.close()
        items = read_embedded_index(copy)
        chunk_total = sum(len(chunks) for _, chunks in items)
        embedded = PolicyKB(load_settings(data_dir=Path(scratch)))
        with elasticsearch_url() as (url, label):
            print(f"elasticsearch: {label}")
            es_kb = PolicyKB(load_settings(
                data_dir=Path(scratch) / "es", index_backend="elasticsearch", elasticsearch_url=url,
                elasticsearch_index_prefix="policykb-parity", elasticsearch_replicas=0,
            ))
            store = es_kb.store
            store.drop_indices()
            store.ensure_indices()
            started = time.perf_counter()
            for start in range(0, len(items), args.batch_documents):
                report = store.replace_documents(items[start : start + args.batch_documents])
                if not report.ok:
                    sys.exit(f"bulk failed: {report.failed}")
            elapsed = time.perf_counter() - started
            print(f"bulk indexing: {len(items)} documents, {chunk_total} chunks (with 384-d vectors) in {elapsed:.1f} s — "
                  f"{len(items) / elapsed:.1f} documents/s, {chunk_total / elapsed:.0f} chunks/s "
                  f"(batch {args.batch_documents} documents, {store.bulk_batch_size} records per request)")
            assert store.count_documents() == len(items) and store.count_chunks() == chunk_total

            questions = load_questions(CORPUS / "eval" / "ncp_dev.jsonl")[: args.questions]
            es_kb.embedder.warm_up()
            es_kb.searcher.search("预热查询", top_k=10)
            embedded.searcher.search("预热查询", top_k=10)
            print(f"\n{len(questions)} ncp_dev questions; {len(items)} documents, {chunk_total} chunks on each backend")
            print(f"{'backend':<15}{'mode':<8}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'MRR@10':>8}{'p50 ms':>8}{'p95 ms':>8}")
            results = {}
            for name, kb in (("embedded", embedded), ("elasticsearch", es_kb)):
                for r in evaluate_retrieval(kb.searcher, questions, [RetrievalMode.from_str(m) for m in args.modes.split(",")]):
                    results[(name, r.mode)] = r
                    print(f"{name:<15}{r.mode:<8}{r.recall[1]:>7.3f}{r.recall[5]:>7.3f}{r.recall[10]:>7.3f}"
                          f"{r.mrr_at_10:>8.3f}{r.latency_ms_p50:>8.1f}{r.latency_ms_p95:>8.1f}", flush=True)
            gap = abs(results[("elasticsearch", "hybrid")].recall[5] - results[("embedded", "hybrid")].recall[5])
            print(f"\nhybrid Recall@5 difference: {gap:.3f} ({'within' if gap <= 0.02 else 'OUTSIDE'} 0.02)")
            store.drop_indices()
            es_kb.close()
        embedded.close()
        shutil.rmtree(Path(scratch) / "es", ignore_errors=True)


if __name__ == "__main__":
    main()
