"""Sweep the fusion weights of hybrid retrieval on one half of a dev set, report both halves.

    .venv/bin/python bench/fusion_sweep.py --data-dir bench/data/ncp --questions ../shared/corpus/eval/ncp_dev.jsonl

Each question's BM25 and dense rankings are computed once; weighted RRF is then replayed for every (k, BM25 weight,
dense weight) in the grid. The tuning half is the even-numbered questions, the check half the odd-numbered ones, so
the chosen weights are judged on questions they were not picked on.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine  # noqa: E402
from index.evaluation import load_questions, path_matches  # noqa: E402
from index.retrieval import RetrievalMode  # noqa: E402
from policykb.assembly import PolicyKB  # noqa: E402
from policykb.settings import load_settings  # noqa: E402


def fuse(bm25: list[tuple[str, str]], dense: list[tuple[str, str]], k: int, wb: float, wd: float) -> list[str]:
    """Distinct document paths after weighted RRF over (chunk_id, path) rankings."""
    scores: dict[str, float] = {}
    paths: dict[str, str] = {}
    for weight, ranking in ((wb, bm25), (wd, dense)):
        for rank, (chunk_id, path) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
            paths[chunk_id] = path
    ordered: list[str] = []
    for chunk_id in sorted(scores, key=lambda c: -scores[c]):
        if paths[chunk_id] not in ordered:
            ordered.append(paths[chunk_id])
    return ordered[:10]


def metrics(rankings: list[list[str]], golds: list[tuple[str, ...]]) -> tuple[float, float]:
    recall5 = mrr = 0.0
    for paths, gold in zip(rankings, golds, strict=True):
        rank = next((i for i, p in enumerate(paths, 1) if any(path_matches(p, g) for g in gold)), None)
        if rank:
            mrr += 1 / rank
            recall5 += rank <= 5
    return recall5 / len(golds), mrr / len(golds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    kb = PolicyKB(load_settings(data_dir=args.data_dir))
    questions = load_questions(args.questions)[: args.limit]
    print(f"machine: {describe_machine()}")
    runs = []
    for item in questions:
        per_mode = []
        for mode in (RetrievalMode.BM25, RetrievalMode.DENSE):
            hits = kb.searcher.search(item.question, top_k=kb.settings.retrieval_candidates, mode=mode)
            per_mode.append([(hit.chunk_id, hit.path) for hit in hits])
        runs.append((per_mode[0], per_mode[1], item.gold_paths))
    halves = {"tune": runs[0::2], "check": runs[1::2]}
    print(f"{len(questions)} questions from {args.questions.name}; index {kb.store.count_documents()} documents")
    print(f"{'k':>4}{'w_bm25':>8}{'w_dense':>8}   tune R@5  MRR@10   check R@5  MRR@10")
    results = []
    for k, wb, wd in itertools.product((10, 30, 60), (1.0,), (0.0, 0.3, 0.5, 0.7, 1.0)):
        row = [k, wb, wd]
        for half in ("tune", "check"):
            data = halves[half]
            row.extend(metrics([fuse(b, d, k, wb, wd) for b, d, _ in data], [g for _, _, g in data]))
        results.append(row)
        print(f"{k:>4}{wb:>8.1f}{wd:>8.1f}   {row[3]:>8.3f}{row[4]:>8.3f}   {row[5]:>9.3f}{row[6]:>8.3f}", flush=True)
    dense_only = [
        metrics([list(dict.fromkeys(p for _, p in d))[:10] for _, d, _ in halves[h]], [g for *_, g in halves[h]])
        for h in ("tune", "check")
    ]
    print(f"dense only                 {dense_only[0][0]:>8.3f}{dense_only[0][1]:>8.3f}   {dense_only[1][0]:>9.3f}{dense_only[1][1]:>8.3f}")
    best = max(results, key=lambda r: (r[4], r[3]))
    print(f"best on the tuning half by MRR@10: k={best[0]}, w_bm25={best[1]}, w_dense={best[2]} → check half R@5 {best[5]:.3f}, MRR@10 {best[6]:.3f}")


if __name__ == "__main__":
    main()
