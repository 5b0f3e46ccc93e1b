"""Retrieval evaluation on JSONL question sets: Recall@1/5/10 and MRR@10 at document level, per retrieval mode.

A line is ``{"question": ..., "doc_path": "ncp/x.txt"}`` or ``{"question": ..., "doc_paths": [...]}``; a hit counts
when an indexed document's source path ends with a gold path. Documents rank by their best chunk.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.retrieval import HybridSearcher, RetrievalMode


class EvalFileError(ValueError):
    """The evaluation file cannot be used; the message names the line."""


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    gold_paths: tuple[str, ...]


@dataclass
class ModeReport:
    mode: str
    questions: int = 0
    recall: dict[int, float] = field(default_factory=dict)
    mrr_at_10: float = 0.0
    latency_ms_p50: float = 0.0
    latency_ms_p95: float = 0.0


def read_jsonl_rows(path: Path, error: type[ValueError] = EvalFileError) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-empty line; a line that is not JSON raises ``error`` naming it."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as failure:
            raise error(f"{path} 第 {number} 行不是合法的 JSON：{failure.msg}") from None


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, row in read_jsonl_rows(path):
        gold = row.get("doc_paths") or ([row["doc_path"]] if row.get("doc_path") else [])
        if not row.get("question") or not gold:
            raise EvalFileError(f"{path} 第 {number} 行缺少 question 或 doc_path/doc_paths 字段")
        questions.append(EvalQuestion(row["question"], tuple(gold)))
    if not questions:
        raise EvalFileError(f"{path} 中没有问题")
    return questions


def path_matches(indexed_path: str, gold_path: str) -> bool:
    normalized = indexed_path.replace("\\", "/")
    return normalized == gold_path or normalized.endswith("/" + gold_path.lstrip("/"))


def ranked_paths(searcher: HybridSearcher, question: str, mode: RetrievalMode, depth: int = 10) -> list[str]:
    """Distinct document paths in rank order (a document ranks by its best chunk)."""
    hits = searcher.search(question, top_k=searcher.candidates, mode=mode)
    paths: list[str] = []
    for hit in hits:
        if hit.path not in paths:
            paths.append(hit.path)
            if len(paths) == depth:
                break
    return paths


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else 0.0


def evaluate_retrieval(
    searcher: HybridSearcher,
    questions: list[EvalQuestion],
    modes: list[RetrievalMode] | None = None,
    same_document: Callable[[str, str], bool] = path_matches,
) -> list[ModeReport]:
    """Recall@1/5/10 and MRR@10 per mode; ``same_document(hit_path, gold_path)`` decides a hit (default: same path)."""
    reports = []
    for mode in modes or list(RetrievalMode):
        report = ModeReport(mode=mode.value, questions=len(questions))
        hits_at = {1: 0, 5: 0, 10: 0}
        reciprocal = 0.0
        latencies = []
        for item in questions:
            started = time.perf_counter()
            paths = ranked_paths(searcher, item.question, mode)
            latencies.append((time.perf_counter() - started) * 1000)
            rank = next((i for i, p in enumerate(paths, 1) if any(same_document(p, g) for g in item.gold_paths)), None)
            if rank is not None:
                reciprocal += 1.0 / rank
                for k in hits_at:
                    hits_at[k] += rank <= k
        report.recall = {k: v / len(questions) for k, v in hits_at.items()}
        report.mrr_at_10 = reciprocal / len(questions)
        report.latency_ms_p50 = _percentile(latencies, 0.5)
        report.latency_ms_p95 = _percentile(latencies, 0.95)
        reports.append(report)
    return reports
