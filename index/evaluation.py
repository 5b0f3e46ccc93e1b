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
from typing import Any

from index.document_copies import containment, shingles
from index.retrieval import HybridSearcher, RetrievalMode
from index.types import PolicyStore


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


def read_jsonl_rows(path: Path, error: type[ValueError] = EvalFileError) -> Iterator[tuple[int, dict[str, Any]]]:
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
    """Distinct document paths in rank order (a document ranks by its best chunk). A hit shows one copy of a policy
    and lists the others it folded (``SearchHit.copies``); they rank with it, after the copy shown."""
    hits = searcher.search(question, top_k=searcher.candidates, mode=mode)
    paths: list[str] = []
    for hit in hits:
        for path in (hit.path, *(copy.path for copy in hit.copies)):
            if path not in paths:
                paths.append(path)
    return paths[:depth]


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


class CopyMatcher:
    """``matches(indexed_path, gold_path)``: the indexed document is the gold one or a copy of it (in ``store``).

    >>> CopyMatcher(store).matches("/corpus/library/guangzhou_html/13_….html", "guangzhou/doc_14.txt")
    True
    """

    def __init__(self, store: PolicyStore, threshold: float = 0.7) -> None:
        self.store = store
        self.threshold = threshold
        self._doc_ids_by_path: dict[str, str] | None = None
        self._shingles: dict[str, set[str]] = {}
        self._verdicts: dict[tuple[str, str], bool] = {}

    def matches(self, indexed_path: str, gold_path: str) -> bool:
        if path_matches(indexed_path, gold_path):
            return True
        key = (indexed_path, gold_path)
        if key not in self._verdicts:
            gold = self._stored_path(gold_path)
            self._verdicts[key] = gold is not None and containment(self._text_shingles(indexed_path), self._text_shingles(gold)) >= self.threshold
        return self._verdicts[key]

    def _stored_path(self, gold_path: str) -> str | None:
        return next((path for path in self._doc_ids() if path_matches(path, gold_path)), None)

    def _doc_ids(self) -> dict[str, str]:
        """Document id by stored path, read from the store once."""
        if self._doc_ids_by_path is None:
            self._doc_ids_by_path = {}
            offset = 0
            while batch := self.store.list_documents(limit=500, offset=offset):
                self._doc_ids_by_path.update((document.path, document.doc_id) for document in batch)
                offset += len(batch)
        return self._doc_ids_by_path

    def _text_shingles(self, path: str) -> set[str]:
        if path not in self._shingles:
            doc_id = self._doc_ids().get(path)
            document = self.store.get_document(doc_id) if doc_id else None
            self._shingles[path] = shingles(document.text) if document else set()
        return self._shingles[path]
