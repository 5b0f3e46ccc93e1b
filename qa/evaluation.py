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

Natural-question sets (``eval/natural_*.jsonl``) also carry ``intent`` and ``section`` on answerable rows and ``kind``
on unanswerable ones; :func:`evaluate_natural` scores them: the answer states the gold span (as above), the right
document is among the first 3 citations, one of those citations sits in the gold article or heading
(**right article**), refusals by kind, and the answer rate per intent. :func:`evaluate_followups` asks multi-turn
conversations (``eval/natural_followups.jsonl``) turn by turn in one conversation.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.evaluation import path_matches, read_jsonl_rows
from qa.pipeline import PolicyAnswerer
from qa.types import Answer

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
    intent: str = ""  # natural sets: what the question asks for (amount, duration, procedure, ...)
    section: str = ""  # natural sets: the article or heading label holding the gold answer, "" when none
    kind: str = ""  # natural sets, unanswerable rows: missing_fact (on-topic document lacks the fact) or off_topic


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
        items.append(
            QaItem(
                row["question"], row.get("answer"), gold, answerable, extractive,
                intent=row.get("intent") or "", section=row.get("section") or "", kind=row.get("kind") or "",
            )
        )
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


CITATIONS_SHOWN = 3  # natural sets: the right document must be among the first this many citations


@dataclass
class IntentScore:
    questions: int = 0
    answered: int = 0  # the answer states the gold span
    with_section: int = 0  # questions whose gold answer sits under an article or heading
    right_article: int = 0

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None

    @property
    def right_article_rate(self) -> float | None:
        return self.right_article / self.with_section if self.with_section else None


@dataclass
class NaturalReport:
    """Scores of a natural-question set; rates are ``None`` when the set has no question they apply to."""

    questions: int = 0
    answerable: int = 0
    unanswerable: int = 0
    answer_rate: float | None = None  # answerable questions whose answer states the gold span
    citation_rate: float | None = None  # the gold document is among the first CITATIONS_SHOWN citations
    right_article_rate: float | None = None  # of those with a gold section: a citation sits in it
    false_refusal_rate: float | None = None
    refusal_rate: float | None = None  # on unanswerable questions
    refusal_by_kind: dict[str, tuple[int, float]] = field(default_factory=dict)  # kind -> (questions, refusal rate)
    by_intent: dict[str, IntentScore] = field(default_factory=dict)
    latency_ms_p50: float = 0.0
    latency_ms_p95: float = 0.0


def in_section(citation_section: str, quote: str, gold_section: str) -> bool:
    """Whether a citation sits in the gold article or heading.

    The citation's heading path (``第三章 扶持措施 > 第十二条``) has a part equal to the gold label, or one that
    begins the other (the chunker shortens long headings to their first phrase); a chunk that merged several
    short articles is cited under their common heading, so a gold label opening a line of the quote also counts.
    """
    gold = squash(gold_section)
    if not gold:
        return False
    for part in citation_section.split(" > "):
        key = squash(part)
        if len(key) >= 2 and (key.startswith(gold) or gold.startswith(key)):
            return True
    return any(squash(line).startswith(gold) for line in re.split(r"[\n\s]+", quote) if line)


def _shown_answer(answer: Answer) -> str:
    top = answer.citations[0].quote if answer.citations else ""
    return f"{answer.answer}\n{top}"


def _score_turn(answer: Answer, item: QaItem, same_document: Callable[[str, str], bool]) -> tuple[bool, bool, bool]:
    """(answer states the gold span, gold document among the first citations, a citation in the gold section)."""
    if answer.refused:
        return False, False, False
    shown = answer.citations[:CITATIONS_SHOWN]
    right = [c for c in shown if any(same_document(c.path, gold) for gold in item.gold_paths)]
    stated = bool(item.answer and answer.citations and states_answer(item.answer, _shown_answer(answer)))
    article = bool(item.section) and any(in_section(c.section, c.quote, item.section) for c in right)
    return stated, bool(right), article


def evaluate_natural(
    answerer: PolicyAnswerer, items: list[QaItem], same_document: Callable[[str, str], bool] = path_matches
) -> NaturalReport:
    """Ask every question on its own (no conversation) and score answers, citations, articles and refusals.

    An answer counts when it is not a refusal and the gold span is stated (:func:`states_answer`) in the answer
    text or the top citation's quote, as ncp_dev's answer accuracy.
    """
    report = NaturalReport(questions=len(items))
    answered = cited = with_section = right_article = false_refusals = refusals = 0
    kinds: dict[str, list[int]] = {}
    latencies = []
    for item in items:
        started = time.perf_counter()
        answer = answerer.ask(item.question, record=False)
        latencies.append((time.perf_counter() - started) * 1000)
        if not item.answerable:
            report.unanswerable += 1
            refusals += answer.refused
            counts = kinds.setdefault(item.kind or "unknown", [0, 0])
            counts[0] += 1
            counts[1] += answer.refused
            continue
        report.answerable += 1
        false_refusals += answer.refused
        stated, right_document, article = _score_turn(answer, item, same_document)
        answered += stated
        cited += right_document
        score = report.by_intent.setdefault(item.intent or "unknown", IntentScore())
        score.questions += 1
        score.answered += stated
        if item.section:
            with_section += 1
            right_article += article
            score.with_section += 1
            score.right_article += article
    if report.answerable:
        report.answer_rate = answered / report.answerable
        report.citation_rate = cited / report.answerable
        report.false_refusal_rate = false_refusals / report.answerable
    if with_section:
        report.right_article_rate = right_article / with_section
    if report.unanswerable:
        report.refusal_rate = refusals / report.unanswerable
    report.refusal_by_kind = {kind: (n, refused / n) for kind, (n, refused) in sorted(kinds.items())}
    report.by_intent = dict(sorted(report.by_intent.items()))
    report.latency_ms_p50 = _percentile(latencies, 0.5)
    report.latency_ms_p95 = _percentile(latencies, 0.95)
    return report


def load_followups(path: Path) -> list[list[QaItem]]:
    """Conversations of ``{"id", "turns": [{"question", "answer", "doc_path"}, ...]}``, each a list of turns."""
    conversations = []
    for number, row in read_jsonl_rows(path, QaEvalFileError):
        turns = row.get("turns") or []
        if len(turns) < 2 or not all(t.get("question") and t.get("answer") and t.get("doc_path") for t in turns):
            raise QaEvalFileError(f"{path} 第 {number} 行需要至少两轮，每轮都有 question、answer 和 doc_path")
        conversations.append([QaItem(t["question"], t["answer"], (t["doc_path"],), True, True) for t in turns])
    if not conversations:
        raise QaEvalFileError(f"{path} 中没有对话")
    return conversations


@dataclass
class FollowupReport:
    conversations: int = 0
    first_turns: int = 0
    later_turns: int = 0
    first_answer_rate: float | None = None
    first_citation_rate: float | None = None
    later_answer_rate: float | None = None  # follow-ups (那申请条件呢？): the answer states the gold span
    later_citation_rate: float | None = None  # follow-ups: the conversation's document among the first citations
    later_refusal_rate: float | None = None


def evaluate_followups(
    answerer: PolicyAnswerer, conversations: list[list[QaItem]], same_document: Callable[[str, str], bool] = path_matches
) -> FollowupReport:
    """Ask each conversation's turns in order in one conversation; score first turns and follow-ups apart."""
    report = FollowupReport(conversations=len(conversations))
    first = [0, 0]  # answered, cited
    later = [0, 0, 0]  # answered, cited, refused
    for turns in conversations:
        conversation_id = None
        for number, item in enumerate(turns):
            answer = answerer.ask(item.question, conversation_id)
            conversation_id = answer.conversation_id
            stated, right_document, _ = _score_turn(answer, item, same_document)
            if number == 0:
                report.first_turns += 1
                first[0] += stated
                first[1] += right_document
            else:
                report.later_turns += 1
                later[0] += stated
                later[1] += right_document
                later[2] += answer.refused
    if report.first_turns:
        report.first_answer_rate, report.first_citation_rate = (n / report.first_turns for n in first)
    if report.later_turns:
        report.later_answer_rate, report.later_citation_rate, report.later_refusal_rate = (
            n / report.later_turns for n in later
        )
    return report
