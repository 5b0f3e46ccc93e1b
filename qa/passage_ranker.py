"""Retrieval for answering and the rerank that decides which passages are good enough to answer from.

Retrieval is the product's :class:`index.retrieval.HybridSearcher` (BM25 + dense, fused); a follow-up question
also searches the previously cited document. The rerank scores each passage by how much of the question's
weighted key terms it covers (title and section included) and by its dense similarity, keeping the fused rank
as a prior; a passage whose document is about another place than the one the question names (another city's
policy) is discounted. That relevance is what the refusal gate compares with its threshold.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component

from index.retrieval import HybridSearcher, RetrievalMode
from index.types import SearchFilters
from policy.gazetteer import Gazetteer
from qa.question_intent import heading_fits, question_intent
from qa.term_weights import TermWeights
from qa.types import Passage

# e5 cosine similarities of related Chinese text fall roughly in 0.78–0.95; this maps 0.82–0.94 onto 0–1 (chosen with
# the gate on natural, ncp_dev and unanswerable dev questions: bench/qa_eval.py).
_DENSE_FLOOR = 0.82
_DENSE_SPAN = 0.12


@component
class PassageRetriever:
    """Candidate chunks for a question, from the hybrid searcher (all validity statuses; the ranker splits them)."""

    def __init__(self, searcher: HybridSearcher, top_k: int = 20) -> None:
        if top_k <= 0:
            raise ValueError(f"top_k must be greater than 0. Currently, the top_k is {top_k}")
        self.searcher = searcher
        self.top_k = top_k

    @component.output_types(documents=list[Document])
    def run(
        self, query: str, filters: SearchFilters | None = None, preferred_doc_ids: list[str] | None = None, top_k: int | None = None
    ) -> dict[str, Any]:
        documents = self.searcher.search_documents(query, top_k=top_k or self.top_k, filters=filters)
        if preferred_doc_ids:
            restricted = replace(filters or SearchFilters(), doc_ids=tuple(preferred_doc_ids))
            seen = {document.id for document in documents}
            extra = self.searcher.search_documents(query, top_k=5, filters=restricted, mode=RetrievalMode.BM25)
            documents = documents + [document for document in extra if document.id not in seen]
        return {"documents": documents}


@component
class PassageRanker:
    """Scores and orders candidate passages by relevance in [0, 1].

    relevance = coverage_weight · coverage + (1 − coverage_weight) · dense, plus ``preferred_bonus`` for the
    document a follow-up refers to and ``intent_bonus`` for a passage under the heading that answers the question's
    intent (申请材料 for 「要带啥」, :mod:`qa.question_intent`), times ``other_place_factor`` when the question names a place and the passage
    (its document's region, title, issuer, section and text) names only places elsewhere; the fused retrieval rank
    breaks ties.
    """

    def __init__(
        self,
        term_weights: TermWeights,
        *,
        coverage_weight: float = 0.5,
        preferred_bonus: float = 0.15,
        other_place_factor: float = 0.5,
        intent_bonus: float = 0.05,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        if not 0.0 <= coverage_weight <= 1.0:
            raise ValueError(f"coverage_weight must be within [0, 1], got {coverage_weight}")
        self.term_weights = term_weights
        self.coverage_weight = coverage_weight
        self.preferred_bonus = preferred_bonus
        self.other_place_factor = other_place_factor
        self.intent_bonus = intent_bonus
        self.gazetteer = gazetteer or Gazetteer.load()

    @component.output_types(passages=list[Passage])
    def run(
        self, query: str, documents: list[Document], preferred_doc_ids: list[str] | None = None, question: str | None = None
    ) -> dict[str, Any]:
        """:param question: the question as asked, when ``query`` is a follow-up rewritten with the previous topic:
            its intent is the one the article must fit (「要交什么材料？」 after a question on deadlines)."""
        terms = self.term_weights.key_terms(query)
        preferred = set(preferred_doc_ids or ())
        names_a_place = bool(self.gazetteer.places_in(query))  # most questions do not: skip the per-passage check
        intent = question_intent(question or query)
        passages = []
        for rank, document in enumerate(documents):
            meta = document.meta
            heading = f"{meta.get('title') or ''} {meta.get('section') or ''}"
            coverage = terms.coverage(self.term_weights.normalize(f"{heading} {document.content or ''}"))
            cosine = float(meta.get("scores", {}).get("dense", 0.0))
            dense = min(1.0, max(0.0, (cosine - _DENSE_FLOOR) / _DENSE_SPAN))
            relevance = self.coverage_weight * coverage + (1 - self.coverage_weight) * dense
            relevance += self.preferred_bonus if meta["doc_id"] in preferred else 0.0
            # The article a question of this kind is answered by: its heading, or the passage's opening line.
            opening = (document.content or "").lstrip()[:100]
            if heading_fits(intent, meta.get("section") or "") or heading_fits(intent, opening):
                relevance += self.intent_bonus
            if names_a_place:
                place_context = " ".join(filter(None, (meta.get("region"), meta.get("issuer"), heading, document.content)))
                if self.gazetteer.same_jurisdiction(query, place_context) is False:
                    relevance *= self.other_place_factor
            relevance -= 0.002 * rank  # the fused rank as a tie-breaker
            passages.append(
                Passage(
                    chunk_id=document.id, doc_id=meta["doc_id"], title=meta.get("title"), path=meta.get("path", ""),
                    section=meta.get("section", ""), text=document.content or "", char_start=meta["char_start"],
                    char_end=meta["char_end"], doc_number=meta.get("doc_number"), issuer=meta.get("issuer"),
                    status=meta.get("status", ""), score=max(0.0, min(1.0, relevance)),
                    region=meta.get("region"), date=meta.get("date"), expiry_date=meta.get("expiry_date"),
                    kind=meta.get("kind") or "政策文件",
                    retrieval_score=float(document.score or 0.0), coverage=coverage, dense=cosine,
                )
            )
        passages.sort(key=lambda p: -p.score)
        return {"passages": passages}
