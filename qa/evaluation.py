"""Answer evaluation on JSONL question sets: answer accuracy, citation accuracy, refusals.

A line is one of
``{"question", "answer", "doc_path"}`` (ncp_dev: a gold extractive answer),
``{"question", "answer", "doc_paths": [...]}`` (guangzhou_dev: a written answer and its source documents),
``{"question", "answerable": false}`` (questions the library does not cover).

Scores, over the answerable questions (a refusal counts as wrong):

* **answer accuracy** (rows whose gold answer is extractive, i.e. occurs verbatim in a gold document): the gold
  answer's *key part* appears in the answer or in the top cited quote. Both sides are compared after NFKC,
  Simplified Chinese and removal of whitespace and punctuation. ``strict``: the whole gold answer is contained.
  ``key part``: at least ``KEY_PART_RECALL`` (0.8) of the gold answer's character bigrams occur in the answer or
  quote — so a long multi-sentence gold answer counts when its bulk is quoted. Both are reported.
* **citation accuracy**: the top citation's document is one of the gold documents.
* **false refusals**: answerable questions refused; **refusal rate**: unanswerable questions refused.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from index.evaluation import path_matches, read_jsonl_rows
from qa.pipeline import PolicyAnswerer

KEY_PART_RECALL = 0.8
_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


class QaEvalFileError(ValueError):
    """The evaluation file cannot be used; the message names the line."""


@dataclass(frozen=True)
class QaItem:
    question: str
    answer: str | None  # gold answer text, when there is one
    gold_paths: tuple[str, ...]
    answerable: bool
    extractive_gold: bool = False  # a `doc_path` row: the gold answer is an extract of that document


@dataclass
class AnswerReport:
    questions: int = 0
    answerable: int = 0
    unanswerable: int = 0
    extractive_gold: int = 0  # answerable questions whose gold answer is scored for answer accuracy
    answer_accuracy_strict: float | None = None
    answer_accuracy: float | None = None  # key part
    citation_accuracy: float | None = None
    false_refusal_rate: float | None = None
    refusal_rate: float | None = None  # on unanswerable questions
    # Of the false refusals with an extractive gold answer, the share whose related policies' excerpts state it:
    # the reader of such a refusal still finds the answer, shown for reference.
    excerpt_answer_rate: float | None = None
    latency_ms_p50: float = 0.0
    latency_ms_p95: float = 0.0
    relevance: list[float] = field(default_factory=list, repr=False)  # per question, for threshold calibration


def load_qa_items(path: Path) -> list[QaItem]:
    items = []
    for number, row in read_jsonl_rows(path, QaEvalFileError):
        if not row.get("question"):
            raise QaEvalFileError(f"{path} 第 {number} 行缺少 question 字段")
        gold = tuple(row.get("doc_paths") or ([row["doc_path"]] if row.get("doc_path") else []))
        answerable = bool(row.get("answerable", True))
        if answerable and not gold:
            raise QaEvalFileError(f"{path} 第 {number} 行缺少 doc_path/doc_paths（无法回答的问题请写 \"answerable\": false）")
        extractive = bool(row.get("doc_path")) and not row.get("doc_paths") and bool(row.get("answer"))
        items.append(QaItem(row["question"], row.get("answer"), gold, answerable, extractive))
    if not items:
        raise QaEvalFileError(f"{path} 中没有问题")
    return items


def squash(text: str) -> str:
    """NFKC, Simplified, no whitespace or punctuation: how answers are compared."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text)).lower()


def _bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)] or ([text] if text else [])


def key_part_found(gold: str, shown: str) -> bool:
    """True when at least KEY_PART_RECALL of the gold answer's character bigrams occur in ``shown``."""
    gold_bigrams = _bigrams(squash(gold))
    if not gold_bigrams:
        return False
    present = set(_bigrams(squash(shown)))
    return sum(b in present for b in gold_bigrams) / len(gold_bigrams) >= KEY_PART_RECALL


def states_answer(gold: str, shown: str) -> bool:
    """Whether ``shown`` states the gold answer: contains it, or KEY_PART_RECALL of its character bigrams."""
    return squash(gold) in squash(shown) or key_part_found(gold, shown)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else 0.0


def evaluate_answers(
    answerer: PolicyAnswerer, items: list[QaItem], same_document: Callable[[str, str], bool] = path_matches
) -> AnswerReport:
    """Run every question through the answerer (no conversation is kept) and score the answers.

    Answer accuracy is scored on rows with an extractive gold answer (``doc_path`` rows, as in ncp_dev); written
    answers of ``doc_paths`` rows (guangzhou_dev, third-party prose) are scored by citation only.
    ``same_document(cited_path, gold_path)`` decides a citation (default: the same path; see
    :class:`index.evaluation.CopyMatcher` for counting copies of the gold document too).
    """
    report = AnswerReport(questions=len(items))
    answered_ok = strict_ok = cited_ok = false_refusals = refusals = 0
    scored_answers = scored_refusals = excerpt_answers = 0
    latencies = []
    for item in items:
        started = time.perf_counter()
        answer = answerer.ask(item.question, record=False)
        latencies.append((time.perf_counter() - started) * 1000)
        report.relevance.append(answer.relevance)
        if not item.answerable:
            report.unanswerable += 1
            refusals += answer.refused
            continue
        report.answerable += 1
        false_refusals += answer.refused
        if answer.refused and item.extractive_gold and item.answer:
            scored_refusals += 1
            excerpt_answers += any(states_answer(item.answer, policy.excerpt) for policy in answer.related)
        top = answer.citations[0] if answer.citations and not answer.refused else None
        cited_ok += top is not None and any(same_document(top.path, gold) for gold in item.gold_paths)
        if item.extractive_gold and item.answer:
            scored_answers += 1
            shown = "" if top is None else f"{answer.answer}\n{top.quote}"
            strict_ok += top is not None and squash(item.answer) in squash(shown)
            answered_ok += top is not None and states_answer(item.answer, shown)
    report.extractive_gold = scored_answers
    if scored_answers:
        report.answer_accuracy = answered_ok / scored_answers
        report.answer_accuracy_strict = strict_ok / scored_answers
    if report.answerable:
        report.citation_accuracy = cited_ok / report.answerable
        report.false_refusal_rate = false_refusals / report.answerable
    if report.unanswerable:
        report.refusal_rate = refusals / report.unanswerable
    if scored_refusals:
        report.excerpt_answer_rate = excerpt_answers / scored_refusals
    report.latency_ms_p50 = _percentile(latencies, 0.5)
    report.latency_ms_p95 = _percentile(latencies, 0.95)
    return report


def threshold_table(answerable: list[float], unanswerable: list[float], thresholds: list[float]) -> list[tuple[float, float, float]]:
    """(threshold, refusal rate on unanswerable, false-refusal rate on answerable) for each threshold."""
    rows = []
    for threshold in thresholds:
        refused = sum(r < threshold for r in unanswerable) / len(unanswerable) if unanswerable else 0.0
        false = sum(r < threshold for r in answerable) / len(answerable) if answerable else 0.0
        rows.append((threshold, refused, false))
    return rows
