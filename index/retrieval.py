"""Hybrid retrieval as a Haystack pipeline: jieba BM25 and dense retrieval, fused by weighted reciprocal rank.

The components only see a :class:`index.types.PolicyStore`, so the same pipeline runs on every backend.
Haystack ``Document`` objects carry one chunk each: ``id`` is the chunk id, ``meta`` its position and the
document's metadata (title, path, 文号, 发文机关, status …).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from haystack import Document, Pipeline, component

from index.copy_collapse import collapse_copies
from index.document_copies import CopyDetector
from index.embedder import PolicyEmbedder
from index.tokenizer import PolicyTokenizer
from index.types import ChunkHit, PolicyStore, SearchFilters
from policy.labels import LabelledEnum
from policy.types import current_status


class RetrievalMode(LabelledEnum, unknown="未知的检索方式“{value}”"):
    HYBRID = "hybrid"
    BM25 = "bm25"
    DENSE = "dense"


def hit_to_document(hit: ChunkHit) -> Document:
    chunk = hit.chunk
    return Document(
        id=chunk.chunk_id,
        content=chunk.text,
        score=hit.score,
        meta={
            "doc_id": chunk.doc_id,
            "ordinal": chunk.ordinal,
            "section": chunk.section,
            "char_start": chunk.char_start,
            "char_end": chunk.char_end,
            "scores": dict(hit.scores),
        },
    )


@dataclass(frozen=True)
class Ranking:
    """Ranked chunks on their way from a retriever through fusion to the metadata step.

    Haystack deep-copies every value it hands a component, so that no component can change another's input. A
    ranking is never changed once made, so its copy is the ranking itself: deep-copying the hits of both retrievers
    as Documents was a large share of a hybrid search's time.
    """

    hits: tuple[ChunkHit, ...]

    def __deepcopy__(self, memo: dict[int, Any]) -> Ranking:
        return self


@component
class QueryTokenizer:
    def __init__(self, tokenizer: PolicyTokenizer) -> None:
        self.tokenizer = tokenizer

    @component.output_types(tokens=list[str])
    def run(self, query: str) -> dict[str, Any]:
        return {"tokens": self.tokenizer.tokenize(query)}


@component
class QueryEmbedder:
    """The query's embedding as one float32 array: the pipeline deep-copies every value it passes on, and a list of
    Python floats is far slower to copy than an array."""

    def __init__(self, embedder: PolicyEmbedder) -> None:
        self.embedder = embedder

    @component.output_types(embedding=np.ndarray)
    def run(self, query: str) -> dict[str, Any]:
        return {"embedding": self.embedder.embed_query(query)}


@component
class PolicyBM25Retriever:
    """Chunks ranked by BM25 over jieba tokens, from any :class:`PolicyStore`."""

    def __init__(self, store: PolicyStore, top_k: int = 100) -> None:
        if top_k <= 0:
            raise ValueError(f"top_k must be greater than 0. Currently, the top_k is {top_k}")
        self.store = store
        self.top_k = top_k

    @component.output_types(ranking=Ranking)
    def run(self, tokens: list[str], filters: SearchFilters | None = None, top_k: int | None = None) -> dict[str, Any]:
        return {"ranking": Ranking(tuple(self.store.bm25_search(tokens, top_k or self.top_k, filters)))}


@component
class PolicyEmbeddingRetriever:
    """Chunks ranked by cosine similarity, from any :class:`PolicyStore`."""

    def __init__(self, store: PolicyStore, top_k: int = 100) -> None:
        if top_k <= 0:
            raise ValueError(f"top_k must be greater than 0. Currently, the top_k is {top_k}")
        self.store = store
        self.top_k = top_k

    @component.output_types(ranking=Ranking)
    def run(self, embedding: np.ndarray, filters: SearchFilters | None = None, top_k: int | None = None) -> dict[str, Any]:
        hits = self.store.embedding_search(np.asarray(embedding, dtype=np.float32), top_k or self.top_k, filters)
        return {"ranking": Ranking(tuple(hits))}


@component
class WeightedRankFusion:
    """Weighted reciprocal rank fusion: score = Σ weight / (k + rank) over the rankings a chunk appears in."""

    def __init__(self, k: int = 10, bm25_weight: float = 1.0, dense_weight: float = 0.5) -> None:
        if k <= 0:
            raise ValueError(f"k must be greater than 0, got {k}")
        self.k = k
        self.weights = {"bm25": bm25_weight, "dense": dense_weight}

    @component.output_types(ranking=Ranking)
    def run(self, bm25_ranking: Ranking, dense_ranking: Ranking, top_k: int = 10) -> dict[str, Any]:
        fused: dict[str, float] = {}
        by_id: dict[str, ChunkHit] = {}
        scores: dict[str, dict[str, float]] = {}
        for name, ranking in (("bm25", bm25_ranking), ("dense", dense_ranking)):
            for rank, hit in enumerate(ranking.hits, start=1):
                chunk_id = hit.chunk.chunk_id
                fused[chunk_id] = fused.get(chunk_id, 0.0) + self.weights[name] / (self.k + rank)
                by_id.setdefault(chunk_id, hit)
                scores.setdefault(chunk_id, {})[name] = float(hit.score)
        ranked = sorted(fused, key=lambda chunk_id: -fused[chunk_id])[:top_k]
        return {
            "ranking": Ranking(
                tuple(ChunkHit(by_id[i].chunk, fused[i], rank, scores[i]) for rank, i in enumerate(ranked, start=1))
            )
        }


@component
class TopK:
    """Cuts a single ranking to ``top_k`` (used when only one retriever runs)."""

    @component.output_types(ranking=Ranking)
    def run(self, ranking: Ranking, top_k: int = 10) -> dict[str, Any]:
        return {"ranking": Ranking(ranking.hits[:top_k])}


@component
class DocumentMetadataJoiner:
    """The ranking as Haystack ``Document``s, each with its document's metadata (title, path, 文号, 发文机关,
    status …) in ``meta``."""

    def __init__(self, store: PolicyStore) -> None:
        self.store = store

    @component.output_types(documents=list[Document])
    def run(self, ranking: Ranking) -> dict[str, Any]:
        described = self.store.describe_documents([hit.chunk.doc_id for hit in ranking.hits])
        enriched = []
        for hit in ranking.hits:
            policy = described.get(hit.chunk.doc_id)
            if policy is None:  # deleted between retrieval and here
                continue
            metadata = policy.metadata
            document = hit_to_document(hit)
            document.meta.update(
                title=metadata.title,
                path=policy.path,
                doc_number=metadata.doc_number,
                issuer=metadata.issuer,
                region=metadata.region,
                status=current_status(metadata).value,
                kind=metadata.kind.value,  # 政策解读/新闻报道 explain a policy but are never cited as it
                expiry_date=metadata.expiry_date.isoformat() if metadata.expiry_date else None,
                tags=list(metadata.tags),
                date=day.isoformat() if (day := metadata.publish_date or metadata.written_date) else None,
            )
            enriched.append(document)
        return {"documents": enriched}


@dataclass(frozen=True)
class CopyOfHit:
    """Another stored copy of a hit's document (the hit shows the preferred copy)."""

    doc_id: str
    path: str
    title: str | None


@dataclass(frozen=True)
class SearchHit:
    """One result as the CLI and the API show it."""

    rank: int
    score: float
    chunk_id: str
    doc_id: str
    title: str | None
    path: str
    section: str
    text: str
    char_start: int
    char_end: int
    doc_number: str | None
    issuer: str | None
    region: str | None
    status: str
    date: str | None
    scores: dict[str, float]
    copies: tuple[CopyOfHit, ...] = ()  # the same policy saved elsewhere (web page, DOCX, PDF), folded into this hit

    @classmethod
    def from_document(cls, rank: int, document: Document) -> SearchHit:
        meta = document.meta
        return cls(
            rank=rank, score=float(document.score or 0.0), chunk_id=document.id, doc_id=meta["doc_id"],
            title=meta.get("title"), path=meta.get("path", ""), section=meta.get("section", ""),
            text=document.content or "", char_start=meta["char_start"], char_end=meta["char_end"],
            doc_number=meta.get("doc_number"), issuer=meta.get("issuer"), region=meta.get("region"),
            status=meta.get("status", ""), date=meta.get("date"), scores=meta.get("scores", {}),
        )


class HybridSearcher:
    """Builds the three retrieval pipelines (hybrid, BM25-only, dense-only) once and runs them.

    >>> searcher.search("创业担保贷款额度是多少", top_k=5)
    """

    def __init__(
        self,
        store: PolicyStore,
        tokenizer: PolicyTokenizer,
        embedder: PolicyEmbedder,
        *,
        candidates: int = 100,
        rrf_k: int = 10,
        bm25_weight: float = 1.0,
        dense_weight: float = 0.5,
    ) -> None:
        self.store = store
        self.candidates = candidates
        self.copies = CopyDetector(store)  # shared with the answer pipeline: one cache of document prints
        self._pipelines = {
            RetrievalMode.HYBRID: self._build(store, tokenizer, embedder, candidates, (rrf_k, bm25_weight, dense_weight), True, True),
            RetrievalMode.BM25: self._build(store, tokenizer, embedder, candidates, None, True, False),
            RetrievalMode.DENSE: self._build(store, tokenizer, embedder, candidates, None, False, True),
        }

    @staticmethod
    def _build(
        store: PolicyStore,
        tokenizer: PolicyTokenizer,
        embedder: PolicyEmbedder,
        candidates: int,
        fusion: tuple[int, float, float] | None,
        use_bm25: bool,
        use_dense: bool,
    ) -> Pipeline:
        pipeline = Pipeline()
        if use_bm25:
            pipeline.add_component("tokenizer", QueryTokenizer(tokenizer))
            pipeline.add_component("bm25", PolicyBM25Retriever(store, candidates))
            pipeline.connect("tokenizer.tokens", "bm25.tokens")
        if use_dense:
            pipeline.add_component("embedder", QueryEmbedder(embedder))
            pipeline.add_component("dense", PolicyEmbeddingRetriever(store, candidates))
            pipeline.connect("embedder.embedding", "dense.embedding")
        if fusion is not None:
            k, bm25_weight, dense_weight = fusion
            pipeline.add_component("rank", WeightedRankFusion(k, bm25_weight, dense_weight))
            pipeline.connect("bm25.ranking", "rank.bm25_ranking")
            pipeline.connect("dense.ranking", "rank.dense_ranking")
        else:
            pipeline.add_component("rank", TopK())
            pipeline.connect(("bm25" if use_bm25 else "dense") + ".ranking", "rank.ranking")
        pipeline.add_component("metadata", DocumentMetadataJoiner(store))
        pipeline.connect("rank.ranking", "metadata.ranking")
        return pipeline

    def search_documents(
        self,
        query: str,
        *,
        top_k: int = 10,
        filters: SearchFilters | None = None,
        mode: RetrievalMode = RetrievalMode.HYBRID,
    ) -> list[Document]:
        pipeline = self._pipelines[mode]
        inputs: dict[str, dict[str, Any]] = {"rank": {"top_k": top_k}}
        for name, key in (("tokenizer", "query"), ("embedder", "query")):
            if name in pipeline.graph.nodes:
                inputs[name] = {key: query}
        for name in ("bm25", "dense"):
            if name in pipeline.graph.nodes:
                inputs[name] = {"filters": filters}
        # One branch after the other: both are short (BM25 in memory, the query embedded by ONNX), and running them
        # on two threads (Haystack ``run_async``) cost more in thread hand-offs and GIL waits than it saved.
        return pipeline.run(inputs)["metadata"]["documents"]

    def search(
        self,
        query: str,
        *,
        top_k: int = 10,
        filters: SearchFilters | None = None,
        mode: RetrievalMode = RetrievalMode.HYBRID,
    ) -> list[SearchHit]:
        """The ``top_k`` best passages, each policy held in several copies shown once, from its preferred copy
        (:mod:`index.copy_collapse`); the other copies are listed in the hit's ``copies``. Twice ``top_k``
        candidates are read so that folded copies leave room for other results."""
        wanted = max(top_k, min(2 * top_k, self.candidates))
        documents = self.search_documents(query, top_k=wanted, filters=filters, mode=mode)
        hits = [SearchHit.from_document(rank, document) for rank, document in enumerate(documents, start=1)]
        collapsed = collapse_copies(hits, self.copies, lambda hit: {"score": hit.score, "scores": hit.scores})
        described = {hit.doc_id: CopyOfHit(hit.doc_id, hit.path, hit.title) for hit in hits}
        return [
            replace(hit, rank=rank, copies=tuple(described[doc_id] for doc_id in collapsed.copies.get(hit.doc_id, ())))
            for rank, hit in enumerate(collapsed.items[:top_k], start=1)
        ]
