"""The behaviour every PolicyStore backend must show. A backend's test module subclasses
:class:`PolicyStoreContract` and provides a ``store`` fixture returning an empty store."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from index.types import IndexedChunk, PolicyDocument, PolicyStore, SearchFilters
from policy.types import PolicyMetadata, ValidityStatus

_SENTENCE_END = re.compile(r"(?<=[。！？；\n])")


def split_sentences(text: str, size: int = 300) -> list[tuple[int, int]]:
    """Plain ~size-character pieces at sentence ends (the contract must not depend on the real chunker)."""
    spans, start, end = [], 0, 0
    for piece in _SENTENCE_END.split(text):
        end += len(piece)
        if end - start >= size:
            spans.append((start, end))
            start = end
    if end > start:
        spans.append((start, end))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def make_document(doc_id: str, text: str, metadata: PolicyMetadata, tokenizer, embedder) -> tuple[PolicyDocument, list[IndexedChunk]]:
    spans = split_sentences(text)
    vectors = embedder.embed_passages([text[s:e] for s, e in spans])
    title_tokens = tokenizer.tokenize(metadata.title or "")
    chunks = [
        IndexedChunk(
            chunk_id=f"{doc_id}:{i}", doc_id=doc_id, ordinal=i, text=text[s:e], char_start=s, char_end=e,
            section="", tokens=tokenizer.tokenize(text[s:e]), embedding=vectors[i], heading_tokens=title_tokens,
        )
        for i, (s, e) in enumerate(spans)
    ]
    document = PolicyDocument(
        doc_id=doc_id, path=f"/corpus/{doc_id}.txt", content_hash=hashlib.sha256(text.encode()).hexdigest(),
        source_format="txt", text=text, metadata=metadata, chunk_count=len(chunks),
    )
    return document, chunks


class PolicyStoreContract:
    """Subclass me and define a ``store`` fixture."""

    @pytest.fixture(scope="class")
    @classmethod
    def corpus_documents(cls, library, tokenizer, embedder):
        """Real documents, embedded once per backend (the model is the slow part)."""
        hohhot = (library / "hohhot" / "呼和浩特市数字政府建设实施方案.txt").read_text(encoding="utf-8")[:6000]
        sme_law = next((library / "laws").rglob("中小企业促进法*.md")).read_text(encoding="utf-8")[:6000]
        guangzhou = (library / "guangzhou" / "doc_25.txt").read_text(encoding="utf-8")[:6000]
        return {
            "hohhot": make_document("hohhot", hohhot, PolicyMetadata(
                title="呼和浩特市数字政府建设实施方案", issuer="呼和浩特市人民政府", region="内蒙古自治区呼和浩特市",
                written_date=date(2024, 12, 30), tags=["digital_government"]), tokenizer, embedder),
            "sme_law": make_document("sme_law", sme_law, PolicyMetadata(
                title="中华人民共和国中小企业促进法", issuer="全国人民代表大会常务委员会", tags=["sme", "finance"],
                written_date=date(2017, 9, 1)), tokenizer, embedder),
            "guangzhou": make_document("guangzhou", guangzhou, PolicyMetadata(
                title="广州市住房保障通知", issuer="广州市住房和城乡建设局", region="广东省广州市", tags=["housing"],
                written_date=date(2020, 1, 1), expiry_date=date(2021, 1, 1)), tokenizer, embedder),
        }

    @pytest.fixture()
    def filled(self, store: PolicyStore, corpus_documents):
        for document, chunks in corpus_documents.values():
            store.replace_document(document, chunks)
        return store

    def test_round_trip_keeps_text_metadata_and_offsets(self, filled: PolicyStore, corpus_documents) -> None:
        document, chunks = corpus_documents["hohhot"]
        stored = filled.get_document("hohhot")
        assert stored is not None
        assert stored.text == document.text
        assert stored.metadata.title == "呼和浩特市数字政府建设实施方案"
        assert stored.metadata.written_date == date(2024, 12, 30)
        assert stored.metadata.region == "内蒙古自治区呼和浩特市"
        stored_chunks = filled.get_chunks("hohhot")
        assert [c.chunk_id for c in stored_chunks] == [c.chunk_id for c in chunks]
        for chunk in stored_chunks:
            assert stored.text[chunk.char_start : chunk.char_end] == chunk.text
        assert filled.count_documents() == 3
        assert filled.count_chunks() == sum(len(c) for _, c in corpus_documents.values())

    def test_describe_documents_omits_text(self, filled: PolicyStore) -> None:
        described = filled.describe_documents(["hohhot", "sme_law", "absent"])
        assert set(described) == {"hohhot", "sme_law"}
        assert described["hohhot"].text == ""
        assert described["sme_law"].metadata.issuer == "全国人民代表大会常务委员会"

    def test_find_by_hash_and_list(self, filled: PolicyStore, corpus_documents) -> None:
        document, _ = corpus_documents["sme_law"]
        assert filled.find_by_hash(document.content_hash).doc_id == "sme_law"
        assert filled.find_by_hash("0" * 64) is None
        assert {d.doc_id for d in filled.list_documents(limit=10)} == {"hohhot", "sme_law", "guangzhou"}
        assert len(filled.list_documents(limit=2)) == 2

    def test_replace_leaves_no_stale_chunks(self, filled: PolicyStore, corpus_documents, tokenizer, embedder) -> None:
        original, _ = corpus_documents["hohhot"]
        shorter_text = original.text[:700]
        document, chunks = make_document("hohhot", shorter_text, original.metadata, tokenizer, embedder)
        filled.replace_document(document, chunks)
        assert filled.get_document("hohhot").text == shorter_text
        assert len(filled.get_chunks("hohhot")) == len(chunks)
        # Text only in the old version's tail is gone from both retrievers.
        tail_tokens = tokenizer.tokenize(original.text[-300:])
        assert all(hit.chunk.doc_id != "hohhot" or hit.chunk.char_end <= 700 for hit in filled.bm25_search(tail_tokens, 50))

    def test_delete_removes_document_and_chunks(self, filled: PolicyStore, embedder) -> None:
        assert filled.delete_document("sme_law") is True
        assert filled.get_document("sme_law") is None
        assert filled.get_chunks("sme_law") == []
        assert filled.delete_document("sme_law") is False
        query = embedder.embed_query("中小企业促进法 融资支持")
        assert all(hit.chunk.doc_id != "sme_law" for hit in filled.embedding_search(query, 50))
        assert all(hit.chunk.doc_id != "sme_law" for hit in filled.bm25_search(["中小企业"], 50))

    def test_bm25_ranks_the_chunk_with_the_rare_terms_first(self, filled: PolicyStore, corpus_documents, tokenizer) -> None:
        _, chunks = corpus_documents["hohhot"]
        target = chunks[len(chunks) // 2]
        hits = filled.bm25_search(tokenizer.tokenize(target.text[:80]), 5)
        assert hits[0].chunk.chunk_id == target.chunk_id
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
        assert hits[0].score >= hits[-1].score

    def test_bm25_title_terms_find_the_document(self, filled: PolicyStore) -> None:
        hits = filled.bm25_search(["数字政府", "呼和浩特"], 5)
        assert hits and hits[0].chunk.doc_id == "hohhot"

    def test_bm25_with_no_known_terms_finds_nothing(self, filled: PolicyStore) -> None:
        assert filled.bm25_search([], 5) == []
        assert filled.bm25_search(["zzqqxxyy"], 5) == []

    def test_embedding_search_ranks_by_cosine(self, filled: PolicyStore, corpus_documents) -> None:
        _, chunks = corpus_documents["guangzhou"]
        target = chunks[1]
        hits = filled.embedding_search(np.asarray(target.embedding), 3)
        assert hits[0].chunk.chunk_id == target.chunk_id
        assert hits[0].score == pytest.approx(1.0, abs=1e-3)
        assert hits[0].score >= hits[1].score >= hits[2].score

    @pytest.mark.parametrize(
        ("filters", "allowed"),
        [
            (SearchFilters(region="内蒙古自治区"), {"hohhot"}),
            (SearchFilters(region="广东省广州市"), {"guangzhou"}),
            (SearchFilters(issuer="全国人民代表大会"), {"sme_law"}),
            (SearchFilters(status=ValidityStatus.EXPIRED.value), {"guangzhou"}),
            (SearchFilters(status=ValidityStatus.IN_FORCE.value), {"hohhot", "sme_law"}),
            (SearchFilters(tag="sme"), {"sme_law"}),
            (SearchFilters(date_from=date(2020, 1, 1), date_to=date(2023, 12, 31)), {"guangzhou"}),
            (SearchFilters(doc_ids=("hohhot", "sme_law")), {"hohhot", "sme_law"}),
        ],
    )
    def test_filters_apply_to_both_retrievers(self, filled: PolicyStore, embedder, tokenizer, filters, allowed) -> None:
        query = "企业 政策 支持 服务 住房 数据"
        bm25 = filled.bm25_search(tokenizer.tokenize(query), 100, filters)
        dense = filled.embedding_search(embedder.embed_query(query), 100, filters)
        assert bm25 and dense
        assert {h.chunk.doc_id for h in bm25} <= allowed
        assert {h.chunk.doc_id for h in dense} <= allowed

    def test_status_filter_follows_the_day_and_keeps_the_lifecycle_statuses(self, store: PolicyStore, tokenizer, embedder) -> None:
        today = date.today()
        for doc_id, metadata in {
            "future": PolicyMetadata(title="future", effective_date=today + timedelta(days=30)),
            "lasts": PolicyMetadata(title="lasts", expiry_date=today),
            "lapsed": PolicyMetadata(title="lapsed", expiry_date=today - timedelta(days=1)),
            "marked": PolicyMetadata(title="marked", status=ValidityStatus.EXPIRED),
            "event": PolicyMetadata(title="event", status=ValidityStatus.UNCERTAIN),
            "event_lapsed": PolicyMetadata(title="event_lapsed", status=ValidityStatus.UNCERTAIN, expiry_date=today - timedelta(days=1)),
            "older": PolicyMetadata(title="older", status=ValidityStatus.SUPERSEDED, superseded_by="newer"),
        }.items():
            store.replace_document(*make_document(doc_id, f"{doc_id}：创业担保贷款补贴。", metadata, tokenizer, embedder))
        found = {
            status: {hit.chunk.doc_id for hit in store.bm25_search(["补贴"], 20, SearchFilters(status=status.value))}
            for status in ValidityStatus
        }
        assert found == {
            ValidityStatus.NOT_YET_IN_FORCE: {"future"},
            ValidityStatus.IN_FORCE: {"lasts"},
            ValidityStatus.EXPIRED: {"lapsed", "marked", "event_lapsed"},
            ValidityStatus.UNCERTAIN: {"event"},
            ValidityStatus.SUPERSEDED: {"older"},
        }
        stored = store.get_document("older")
        assert stored is not None and stored.metadata.superseded_by == "newer"

    @pytest.mark.parametrize(
        "filters", [SearchFilters(region="%"), SearchFilters(region="_"), SearchFilters(issuer="%"), SearchFilters(issuer="_"), SearchFilters(tag="%")]
    )
    def test_filter_values_are_literal_not_wildcards(self, filled: PolicyStore, embedder, tokenizer, filters) -> None:
        query = "企业 政策 支持 服务 住房 数据"
        assert filled.bm25_search(tokenizer.tokenize(query), 100, filters) == []
        assert filled.embedding_search(embedder.embed_query(query), 100, filters) == []

    def test_new_version_is_searchable_at_once(self, filled: PolicyStore, corpus_documents, tokenizer, embedder) -> None:
        original, _ = corpus_documents["sme_law"]
        text = original.text + "\n第九十九条 本法新增条款：瞪羚企业认定补贴标准另行规定。"
        document, chunks = make_document("sme_law", text, replace(original.metadata), tokenizer, embedder)
        filled.replace_document(document, chunks)
        hits = filled.bm25_search(tokenizer.tokenize("瞪羚企业认定补贴"), 3)
        assert hits[0].chunk.doc_id == "sme_law" and "瞪羚企业" in hits[0].chunk.text
        dense = filled.embedding_search(np.asarray(chunks[-1].embedding), 1)
        assert dense[0].chunk.chunk_id == chunks[-1].chunk_id
