"""What citing one copy per policy (``qa/copy_preference.py``) changes, and what it costs.

    .venv/bin/python bench/copy_preference.py --data-dir bench/data/library

1. What the copy detector decides: for each ``guangzhou/`` text, whether its best-matching ``guangzhou_html/`` or
   ``formats/`` document (the saved page, DOCX, PDF) is a copy, and for each law held in several versions in
   ``laws/`` (same name, other date), the containment of each pair and whether it is taken for a copy.
2. ncp_dev answered with the step and without it, in one process: answers that cite another document, and how
   answer and citation accuracy (exact gold path) moved question by question.
3. The step's own time per question (cold print cache) on ``bench/ask.py``'s questions, and the same fold's time in
   a top-10 search (``HybridSearcher.search``).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import index.retrieval  # noqa: E402
from bench.ask import _questions  # noqa: E402
from bench.machine import describe_machine, percentile  # noqa: E402
from index.document_copies import COPY_THRESHOLD, CopyDetector, fingerprint, fingerprint_containment  # noqa: E402
from index.evaluation import path_matches  # noqa: E402
from policykb.assembly import PolicyKB  # noqa: E402
from policykb.settings import load_settings  # noqa: E402
from qa.evaluation import key_part_found, load_qa_items, squash  # noqa: E402

EVAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "eval"
_LAW_VERSION = re.compile(r"^(laws/.+)\((\d{4}-\d{2}-\d{2})\)\.md$")


def _library_paths(kb: PolicyKB) -> dict[str, str]:
    """doc_id by path relative to the library folder."""
    paths, offset = {}, 0
    while batch := kb.store.list_documents(limit=500, offset=offset):
        paths.update((d.path.split("library/", 1)[-1], d.doc_id) for d in batch)
        offset += len(batch)
    return paths


def report_copies(kb: PolicyKB) -> None:
    paths = _library_paths(kb)
    detector = CopyDetector(kb.store)
    prints = {path: fingerprint(kb.store.get_document(doc_id).text) for path, doc_id in paths.items()
              if path.startswith(("guangzhou/", "guangzhou_html/", "formats/")) or _LAW_VERSION.match(path)}
    others = [p for p in prints if p.startswith(("guangzhou_html/", "formats/"))]
    texts = [p for p in prints if p.startswith("guangzhou/")]
    best = {text: max(others, key=lambda o: fingerprint_containment(prints[text], prints[o])) for text in texts}
    copied = [text for text in texts if detector.are_copies(paths[text], paths[best[text]])]
    lowest = min(fingerprint_containment(prints[text], prints[best[text]]) for text in copied)
    print(f"guangzhou/ texts the detector finds a copy of (page, DOCX, PDF): {len(copied)} of {len(texts)}; "
          f"lowest containment among them {lowest:.3f} (threshold {COPY_THRESHOLD})")
    versions: dict[str, list[str]] = {}
    for path in prints:
        if match := _LAW_VERSION.match(path):
            versions.setdefault(match.group(1), []).append(path)
    pairs = [(a, b) for group in versions.values() for i, a in enumerate(group) for b in group[i + 1 :]]
    values = sorted(fingerprint_containment(prints[a], prints[b]) for a, b in pairs)
    print(f"laws held in two or more versions: {len(pairs)} pairs, containment {values[0]:.3f}–{values[-1]:.3f}, "
          f"{sum(v >= COPY_THRESHOLD for v in values)} at or above the threshold; "
          f"taken for copies: {sum(detector.are_copies(paths[a], paths[b]) for a, b in pairs)}")


def _answers(kb: PolicyKB, items: list) -> list[tuple[bool, bool, str | None]]:
    rows = []
    for item in items:
        reply = kb.answerer.ask(item.question, record=False)
        top = reply.citations[0] if reply.citations and not reply.refused else None
        shown = "" if top is None else f"{reply.answer}\n{top.quote}"
        right = top is not None and (squash(item.answer) in squash(shown) or key_part_found(item.answer, shown))
        cited = top is not None and any(path_matches(top.path, gold) for gold in item.gold_paths)
        rows.append((right, cited, top.path if top else None))
    return rows


def report_ab(kb: PolicyKB) -> None:
    items = load_qa_items(EVAL / "ncp_dev.jsonl")
    step = kb.answerer.pipeline.get_component("copies")
    with_step = _answers(kb, items)
    step.run = types.MethodType(lambda self, passages: {"passages": passages}, step)
    try:
        without = _answers(kb, items)
    finally:
        del step.run
    moved = [(old, new) for old, new in zip(without, with_step, strict=True) if old[2] != new[2]]
    print(f"ncp_dev ({len(items)} questions): {len(moved)} answers cite another document with the step; "
          f"answer right→wrong {sum(o[0] and not n[0] for o, n in moved)}, wrong→right {sum(n[0] and not o[0] for o, n in moved)}; "
          f"citation lost {sum(o[1] and not n[1] for o, n in moved)}, gained {sum(n[1] and not o[1] for o, n in moved)}")


def report_cost(kb: PolicyKB) -> None:
    step = kb.answerer.pipeline.get_component("copies")
    timings: list[float] = []
    run = step.run

    def timed(passages):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return run(passages)
        finally:
            timings.append((time.perf_counter() - started) * 1000)

    step.run = timed
    try:
        for question in _questions(200):
            kb.answerer.ask(question, record=False)
    finally:
        del step.run
    print(f"the step on bench/ask.py's {len(timings)} questions, cold cache: p50 {percentile(timings, 0.5):.1f} ms, "
          f"p95 {percentile(timings, 0.95):.1f} ms")


def report_search_cost(kb: PolicyKB) -> None:
    fold = index.retrieval.collapse_copies
    timings: list[float] = []

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return fold(*args, **kwargs)
        finally:
            timings.append((time.perf_counter() - started) * 1000)

    index.retrieval.collapse_copies = timed
    try:
        for question in _questions(200):
            kb.searcher.search(question, top_k=10)
    finally:
        index.retrieval.collapse_copies = fold
    print(f"the fold in a top-10 search, same questions: p50 {percentile(timings, 0.5):.1f} ms, "
          f"p95 {percentile(timings, 0.95):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/library"))
    args = parser.parse_args()
    kb = PolicyKB(load_settings(data_dir=args.data_dir))
    print(f"machine: {describe_machine()}")
    kb.answerer.warm_up()
    report_copies(kb)
    report_cost(kb)
    report_search_cost(kb)
    report_ab(kb)


if __name__ == "__main__":
    main()
