"""Ingestion throughput: cold (empty index, empty embedding cache) then an unchanged re-ingest.

    .venv/bin/python bench/ingest_throughput.py ../shared/corpus/library --data-dir bench/data/library
    .venv/bin/python bench/ingest_throughput.py ../shared/corpus/library/ncp --backend elasticsearch

With ``--backend elasticsearch`` the index is on ELASTICSEARCH_URL, else on a noida-db stand-in started for the run
(its figures are the stand-in's, not a real cluster's); embedding still dominates the time.

Prints documents/s, chunks/s, peak RSS and the re-ingest speed-up, with the machine.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine, peak_rss_mb  # noqa: E402
from ingestion.service import IngestStatus  # noqa: E402
from policykb.assembly import PolicyKB  # noqa: E402
from policykb.settings import load_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/ingest"))
    parser.add_argument("--keep", action="store_true", help="keep an existing data dir (warm cache)")
    parser.add_argument("--backend", choices=["embedded", "elasticsearch"], default="embedded")
    args = parser.parse_args()
    if args.data_dir.exists() and not args.keep:
        shutil.rmtree(args.data_dir)
    with ExitStack() as stack:
        run(args, stack)


def run(args: argparse.Namespace, stack: ExitStack) -> None:
    overrides: dict[str, object] = {}
    if args.backend == "elasticsearch":
        from bench.es_stand_in import elasticsearch_url

        url, label = stack.enter_context(elasticsearch_url())
        print(f"elasticsearch: {label}")
        overrides = {"index_backend": "elasticsearch", "elasticsearch_url": url, "elasticsearch_index_prefix": "policykb-bench",
                     "elasticsearch_replicas": 0}
    kb = PolicyKB(load_settings(data_dir=args.data_dir, **overrides))
    if args.backend == "elasticsearch" and not args.keep:
        kb.store.drop_indices()
        kb.store.ensure_indices()
    kb.embedder.warm_up(queries=False, passages=True)
    print(f"machine: {describe_machine()}")

    started = time.perf_counter()
    last_report = [started]

    def progress(outcome) -> None:  # type: ignore[no-untyped-def]
        now = time.perf_counter()
        if now - last_report[0] > 30:
            last_report[0] = now
            print(f"  … {kb.store.count_documents()} documents, {kb.store.count_chunks()} chunks, {now - started:.0f} s, "
                  f"peak RSS {peak_rss_mb():.0f} MB", flush=True)

    outcomes = kb.ingestion.ingest_paths([args.source], recursive=True, on_outcome=progress)
    cold = time.perf_counter() - started
    ingested = [o for o in outcomes if o.status in (IngestStatus.INGESTED, IngestStatus.REPLACED)]
    chunks = sum(o.chunks for o in ingested)
    rejected = [o for o in outcomes if o.status == IngestStatus.REJECTED]
    print(f"cold ingest: {len(outcomes)} files, {len(ingested)} ingested, {len(rejected)} rejected, "
          f"{sum(o.status == IngestStatus.DUPLICATE for o in outcomes)} duplicates; {chunks} chunks in {cold:.1f} s")
    print(f"  {len(ingested) / cold:.1f} documents/s, {chunks / cold:.1f} chunks/s")
    for outcome in rejected:
        print(f"  rejected {outcome.path}: {outcome.reason}")

    started = time.perf_counter()
    again = kb.ingestion.ingest_paths([args.source], recursive=True)
    warm = time.perf_counter() - started
    unchanged = sum(o.status == IngestStatus.UNCHANGED for o in again)
    print(f"unchanged re-ingest: {unchanged}/{len(again)} unchanged in {warm:.1f} s — {cold / warm:.1f}× faster than cold")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
