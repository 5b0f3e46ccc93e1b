"""The question-answering pipeline (Haystack) and :class:`PolicyAnswerer`, its entry point.

normalise → rewrite follow-ups → hybrid retrieval → rerank → one copy per policy → relevance gate → compose
(extractive or generative) → citation check. ``PolicyAnswerer`` validates the question, keeps the conversation and turns the
pipeline's output into an :class:`qa.types.Answer`; ``ask_stream`` yields the same answer as events (with a
generative generator, the model's text as it arrives, then the checked answer).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from haystack import Pipeline, component

from index.retrieval import HybridSearcher
from index.types import SearchFilters
from qa.answer_composer import expiry_notice, quote_for_display, section_label, split_for_stream
from qa.citation_check import CitationChecker, CitationReport
from qa.conversation import ConversationStore, Turn
from qa.copy_preference import CanonicalCopies
from qa.fact_check import FactTypeCheck, answer_states_fact
from qa.outline_answer import OutlineAnswers
from qa.passage_ranker import PassageRanker, PassageRetriever
from qa.query_normalizer import QueryNormalizer, QueryNormalizerComponent
from qa.query_rewriter import FollowUpRewriter, QueryRewriterComponent
from qa.question_intent import question_intent
from qa.refusal import GateDecision, RelevanceGate, distinct_documents, refusal_message, related_policy
from qa.sentence_selector import SentenceSelector
from qa.term_weights import TermWeights
from qa.types import (
    Answer,
    AnswerDraft,
    AnswerGenerator,
    Citation,
    Passage,
    RefusalReason,
    RelatedPolicy,
    StreamingAnswerGenerator,
)

UNSUPPORTED_ANSWER = "（自动生成的答复含有引用原文中没有的内容，已改为直接摘录原文）"


class QuestionRejected(ValueError):
    """A question the pipeline does not take (empty, too long); the message is Chinese and says why."""


@component
class AnswerComposer:
    """Runs the configured :class:`AnswerGenerator` on the gate's passages (nothing when the gate refused).

    ``on_piece`` receives the text as it is generated, when the generator streams; ``compose=False`` skips the
    generator (warm-up).
    """

    def __init__(self, generator: AnswerGenerator, outlines: OutlineAnswers | None = None) -> None:
        """:param outlines: answers overview questions from the document's structure, in either answer mode."""
        self.generator = generator
        self.outlines = outlines

    @component.output_types(draft=AnswerDraft)
    def run(
        self, question: str, decision: GateDecision, on_piece: Callable[[str], None] | None = None, compose: bool = True
    ) -> dict[str, Any]:
        if not compose or decision.refusal_reason is not None or not decision.passages:
            return {"draft": AnswerDraft("", [])}
        overview = self.outlines.compose(question, decision.passages) if self.outlines else None
        if overview is not None:
            return {"draft": overview}
        if on_piece is not None and isinstance(self.generator, StreamingAnswerGenerator):
            return {"draft": self.generator.compose_streaming(question, decision.passages, on_piece)}
        return {"draft": self.generator.compose(question, decision.passages)}


@component
class CitationGuard:
    """Checks the draft; a draft stating figures its quotes do not contain is replaced by the plain quotes."""

    def __init__(self, checker: CitationChecker) -> None:
        self.checker = checker

    @component.output_types(draft=AnswerDraft, report=CitationReport)
    def run(self, draft: AnswerDraft) -> dict[str, Any]:
        report = self.checker.check(draft)
        if report.ok or not draft.quotes:
            return {"draft": draft, "report": report}
        good = [q for q in draft.quotes if q.text not in report.bad_quotes]
        text = UNSUPPORTED_ANSWER + "".join(quote_for_display(q.text) for q in good) if good else ""
        return {"draft": AnswerDraft(text, good, draft.notice), "report": report}


@dataclass(frozen=True)
class AnswererLimits:
    max_question_chars: int = 300
    related_count: int = 3


class PolicyAnswerer:
    """Answers questions about the library with cited sources, refusing honestly.

    >>> answerer = kb.answerer
    >>> reply = answerer.ask("创业担保贷款额度是多少？")
    >>> reply.refused, reply.citations[0].section
    (False, '第十条')
    >>> answerer.ask("那申请条件呢？", conversation_id=reply.conversation_id)
    """

    def __init__(
        self,
        searcher: HybridSearcher,
        term_weights: TermWeights,
        generator: AnswerGenerator,
        conversations: ConversationStore,
        *,
        normalizer: QueryNormalizer | None = None,
        refusal_threshold: float = 0.62,
        include_expired: bool = False,
        candidates: int = 20,
        limits: AnswererLimits = AnswererLimits(),
        excerpts: SentenceSelector | None = None,
    ) -> None:
        """:param excerpts: picks each related policy's sentences nearest to the question (none shown without it)."""
        self.generator = generator
        self.excerpts = excerpts
        self.conversations = conversations
        self.limits = limits
        self._normalizer = QueryNormalizerComponent(normalizer or QueryNormalizer())
        self._ranker = PassageRanker(term_weights)
        self._gate = RelevanceGate(refusal_threshold, include_expired=include_expired, related_count=limits.related_count)
        self.pipeline = Pipeline()
        self.pipeline.add_component("normalizer", self._normalizer)
        self.pipeline.add_component("rewriter", QueryRewriterComponent(FollowUpRewriter(term_weights)))
        self.pipeline.add_component("retriever", PassageRetriever(searcher, candidates))
        self.pipeline.add_component("ranker", self._ranker)
        self.pipeline.add_component("copies", CanonicalCopies(searcher.copies))
        self.pipeline.add_component("gate", self._gate)
        self.pipeline.add_component("fact_check", FactTypeCheck())
        self.pipeline.add_component("composer", AnswerComposer(generator, OutlineAnswers(searcher.store)))
        self.pipeline.add_component("citation_check", CitationGuard(CitationChecker()))
        self.pipeline.connect("normalizer.query", "rewriter.query")
        self.pipeline.connect("normalizer.query", "composer.question")
        self.pipeline.connect("normalizer.query", "ranker.question")
        self.pipeline.connect("rewriter.query", "retriever.query")
        self.pipeline.connect("rewriter.query", "ranker.query")
        self.pipeline.connect("rewriter.preferred_doc_ids", "retriever.preferred_doc_ids")
        self.pipeline.connect("rewriter.preferred_doc_ids", "ranker.preferred_doc_ids")
        self.pipeline.connect("retriever.documents", "ranker.documents")
        self.pipeline.connect("ranker.passages", "copies.passages")
        self.pipeline.connect("copies.passages", "gate.passages")
        self.pipeline.connect("normalizer.query", "fact_check.question")
        self.pipeline.connect("normalizer.query", "gate.question")
        self.pipeline.connect("gate.decision", "fact_check.decision")
        self.pipeline.connect("fact_check.decision", "composer.decision")
        self.pipeline.connect("composer.draft", "citation_check.draft")

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for (dictionaries, library term statistics)."""
        self.pipeline.warm_up()
        self._normalizer.normalizer.normalize("高企")
        self._ranker.term_weights.key_terms("预热")
        # The query embedder and the stores' caches too; not the generator (a model endpoint may be slow or down).
        self._ask("高企认定条件是什么？", None, None, record=False, compose=False)

    @property
    def gate(self) -> RelevanceGate:
        return self._gate

    def validate(self, question: str) -> str:
        """The stripped question.

        :raises QuestionRejected: when it is empty or longer than the limit (never silently truncated).
        """
        stripped = (question or "").strip()
        if not stripped:
            raise QuestionRejected("问题不能为空，请输入您想咨询的政策问题")
        if len(stripped) > self.limits.max_question_chars:
            raise QuestionRejected(
                f"问题过长（{len(stripped)} 字），请精简到 {self.limits.max_question_chars} 字以内后再提问"
            )
        return stripped

    def ask(
        self, question: str, conversation_id: str | None = None, filters: SearchFilters | None = None, *, record: bool = True
    ) -> Answer:
        """Answer one question (a follow-up when ``conversation_id`` names a known conversation).

        :param record: keep the turn in the conversation (evaluation runs pass False).

        :raises QuestionRejected: for an empty or too long question.
        """
        return self._ask(question, conversation_id, filters, record=record)

    def _ask(
        self,
        question: str,
        conversation_id: str | None,
        filters: SearchFilters | None,
        *,
        record: bool,
        on_piece: Callable[[str], None] | None = None,
        compose: bool = True,
    ) -> Answer:
        stripped = self.validate(question)
        conversation = self.conversations.open(conversation_id)
        result = self.pipeline.run(
            {
                "normalizer": {"question": stripped},
                "rewriter": {"history": conversation.turns},
                "retriever": {"filters": filters},
                "composer": {"on_piece": on_piece, "compose": compose},
            },
            include_outputs_from={"rewriter", "ranker", "fact_check"},
        )
        answer = self._answer(stripped, conversation.conversation_id, result)
        if not record:
            return answer
        self.conversations.append(
            conversation.conversation_id,
            Turn(
                question=stripped,
                search_query=answer.search_query,
                answer=answer.answer,
                refused=answer.refused,
                doc_ids=tuple(c.doc_id for c in answer.citations),
                titles=tuple(c.title or "" for c in answer.citations),
            ),
        )
        return answer

    def ask_stream(
        self, question: str, conversation_id: str | None = None, filters: SearchFilters | None = None
    ) -> Iterator[tuple[str, Any]]:
        """Events ``("answer", text piece)``…, then ``("citations", [...])``, then ``("done", answer JSON)``.

        Extractive: the answer is checked against its citations before its first piece is sent. Generative: the
        pieces are the model's text as it arrives; ``done`` carries the checked answer, which replaces them (it may
        differ: markers renumbered, or the extractive answer with a notice). When nothing was streamed (a refusal,
        the model unavailable) the final answer is sent in pieces.
        :raises QuestionRejected: on the first ``next()``, before any event, for an empty or too long question.
        """
        if not isinstance(self.generator, StreamingAnswerGenerator):
            answer = self.ask(question, conversation_id, filters)
            for piece in split_for_stream(answer.answer):
                yield "answer", piece
        else:
            self.validate(question)
            answer, streamed = yield from self._ask_streaming(question, conversation_id, filters)
            if not streamed:
                for piece in split_for_stream(answer.answer):
                    yield "answer", piece
        yield "citations", [c.__dict__ for c in answer.citations]
        yield "done", answer.to_json()

    def _ask_streaming(
        self, question: str, conversation_id: str | None, filters: SearchFilters | None
    ) -> Generator[tuple[str, Any], None, tuple[Answer, bool]]:
        """Run the pipeline in a worker thread, yielding ``("answer", piece)`` as the generator produces pieces.

        Returns (through ``yield from``) the finished answer and whether any piece was yielded.
        """
        pieces: queue.Queue[str | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["answer"] = self._ask(question, conversation_id, filters, record=True, on_piece=pieces.put)
            except BaseException as error:  # re-raised in the caller's thread below
                outcome["error"] = error
            finally:
                pieces.put(None)

        worker = threading.Thread(target=work, name="answer-stream", daemon=True)
        worker.start()
        streamed = False
        while (piece := pieces.get()) is not None:
            streamed = True
            yield "answer", piece
        worker.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["answer"], streamed

    def _answer(self, question: str, conversation_id: str, result: dict[str, Any]) -> Answer:
        decision: GateDecision = result["fact_check"]["decision"]
        draft: AnswerDraft = result["citation_check"]["draft"]
        search_query: str = result["rewriter"]["query"]
        mode = self.generator.mode.value
        notice = draft.notice
        usable = [p.score for p in result["ranker"]["passages"] if self.gate.include_expired or not p.expired]
        relevance = round(max(usable, default=0.0), 4)
        if decision.refusal_reason is None and draft.text and not answer_states_fact(question, draft):
            related_passages = distinct_documents([draft.quotes[0].passage, *decision.related], self.limits.related_count + 1)
            decision = GateDecision([], RefusalReason.FACT_NOT_STATED, related_passages)
        if decision.refusal_reason is not None or not draft.text:
            reason = decision.refusal_reason or RefusalReason.NOT_IN_LIBRARY
            related = self._related(search_query, decision.related)
            # A policy found that does not state the value asked for is cited, with its nearest text, as such.
            unstated = related[:1] if reason == RefusalReason.FACT_NOT_STATED else []
            return Answer(
                question=question, answer=refusal_message(reason, decision.related, question_intent(question).label),
                citations=[_citation_of(policy, decision.related[0]) for policy in unstated], refused=True,
                conversation_id=conversation_id, related=related[len(unstated):],
                refusal_reason=reason.value, search_query=search_query, mode=mode, relevance=relevance,
            )
        citations = [
            Citation(
                doc_id=q.passage.doc_id, title=q.passage.title, doc_number=q.passage.doc_number, issuer=q.passage.issuer,
                section=q.passage.section or section_label(q.passage, q.text), quote=q.text, char_start=q.char_start,
                char_end=q.char_end, score=round(q.passage.score, 4), status=q.passage.status, path=q.passage.path,
            )
            for q in draft.quotes
        ]
        main = draft.quotes[0].passage if draft.quotes else None
        if main is not None and main.expired and not self.gate.include_expired:
            notice = expiry_notice(main)  # the question named an expired policy: that comes first
        cited = {c.doc_id for c in citations}
        related_passages = distinct_documents(decision.related, self.limits.related_count, exclude=cited)
        return Answer(
            question=question, answer=f"（{notice}）{draft.text}" if notice else draft.text, citations=citations,
            refused=False, conversation_id=conversation_id, related=self._related(search_query, related_passages),
            search_query=search_query, mode=mode, relevance=relevance, notice=notice,
        )

    def _related(self, question: str, passages: list[Passage]) -> list[RelatedPolicy]:
        """Each related policy with its sentences nearest to the question: a refused question, colloquially
        worded, often has its article among them (bench/qa_eval.py counts how often)."""
        if self.excerpts is None or not passages:
            return [related_policy(p) for p in passages]
        terms = self.excerpts.term_weights.key_terms(question)
        return [related_policy(p, next(iter(self.excerpts.select(question, [p], terms)), None)) for p in passages]


def _citation_of(policy: RelatedPolicy, passage: Passage) -> Citation:
    """A related policy's excerpt as a citation (the policy found, quoted where it comes nearest to the question)."""
    return Citation(
        doc_id=policy.doc_id, title=policy.title, doc_number=policy.doc_number, issuer=policy.issuer,
        section=policy.excerpt_section or policy.section, quote=policy.excerpt or passage.text,
        char_start=passage.char_start if policy.char_start is None else policy.char_start,
        char_end=passage.char_end if policy.char_end is None else policy.char_end,
        score=policy.score, status=policy.status, path=passage.path,
    )
