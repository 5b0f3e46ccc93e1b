"""Retrieval quality on the dev sets: hybrid vs BM25-only vs dense-only, on two index sizes.

    .venv/bin/python bench/retrieval_eval.py [--limit N]

Builds (once) bench/data/ncp from library/ncp/ and expects bench/data/library (the whole library, built by
bench/ingest_throughput.py) for the distractor run. Prints Recall@1/5/10 and MRR@10 per mode.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine  # noqa: E402
from index.evaluation import CopyMatcher, evaluate_retrieval, load_questions, path_matches  # noqa: E402
from policykb.assembly import PolicyKB  # noqa: E402
from policykb.settings import load_settings  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def report(kb: PolicyKB, label: str, questions_file: Path, limit: int | None, count_copies: bool = False) -> None:
    questions = load_questions(questions_file)[:limit]
    print(f"\n{label}: {questions_file.name}, {len(questions)} questions; index {kb.store.count_documents()} documents, {kb.store.count_chunks()} chunks"
          + (" — a copy of the gold document (web page, DOCX, PDF) counts as a hit" if count_copies else ""))
    print(f"{'mode':<8}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'MRR@10':>8}{'p50 ms':>8}{'p95 ms':>8}")
    same_document = CopyMatcher(kb.store).matches if count_copies else path_matches
    for r in evaluate_retrieval(kb.searcher, questions, same_document=same_document):
        print(f"{r.mode:<8}{r.recall[1]:>7.3f}{r.recall[5]:>7.3f}{r.recall[10]:>7.3f}{r.mrr_at_10:>8.3f}{r.latency_ms_p50:>8.1f}{r.latency_ms_p95:>8.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="first N questions only")
    parser.add_argument("--skip-library", action="store_true", help="only the ncp-only index")
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    ncp = PolicyKB(load_settings(data_dir=Path("bench/data/ncp")))
    if ncp.store.count_documents() == 0:
        print("building bench/data/ncp from library/ncp …", flush=True)
        ncp.ingestion.ingest_paths([CORPUS / "library" / "ncp"], recursive=True)
    report(ncp, "library/ncp only", CORPUS / "eval" / "ncp_dev.jsonl", args.limit)
    ncp.close()
    if args.skip_library:
        return
    whole = PolicyKB(load_settings(data_dir=Path("bench/data/library")))
    if whole.store.count_documents() == 0:
        sys.exit("bench/data/library is empty: run bench/ingest_throughput.py ../shared/corpus/library --data-dir bench/data/library")
    report(whole, "whole library", CORPUS / "eval" / "ncp_dev.jsonl", args.limit)
    report(whole, "whole library", CORPUS / "eval" / "guangzhou_dev.jsonl", None)
    report(whole, "whole library", CORPUS / "eval" / "guangzhou_dev.jsonl", None, count_copies=True)


if __name__ == "__main__":
    main()
