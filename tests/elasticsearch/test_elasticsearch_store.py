"""The Elasticsearch backend passes the store contract, and keeps its own promises (revisions, mapping, highlight)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

import index.elasticsearch.store as elasticsearch_store
from index.elasticsearch.codecs import chunk_source
from index.elasticsearch.mapping import chunks_mappings, documents_mappings, mapping_differences
from index.types import IndexedChunk, PolicyDocument, SearchFilters
from policy.types import PolicyMetadata, ValidityStatus
from tests.contract.store_contract import PolicyStoreContract


class TestElasticsearchStoreContract(PolicyStoreContract):
    @pytest.fixture()
    def store(self, make_store):
        return make_store()


def synthetic_document(doc_id: str, words: list[str], metadata: PolicyMetadata | None = None, seed: int = 0):
    """A small document with made-up vectors: for tests about storage, not about ranking quality."""
    rng = np.random.default_rng(seed)
    text = "".join(f"{word}。" for word in words)
    chunks, offset = [], 0
    for ordinal, word in enumerate(words):
        vector = rng.normal(size=384).astype(np.float32)
        chunks.append(IndexedChunk(
            chunk_id=f"{doc_id}:{ordinal}", doc_id=doc_id, ordinal=ordinal, text=f"{word}。", char_start=offset,
            char_end=offset + len(word) + 1, section="", tokens=[word], embedding=vector / np.linalg.norm(vector),
        ))
        offset += len(word) + 1
    document = PolicyDocument(
        doc_id=doc_id, path=f"/corpus/{doc_id}.txt", content_hash=f"hash-{doc_id}-{len(words)}", source_format="txt",
        text=text, metadata=metadata or PolicyMetadata(title=doc_id), chunk_count=len(chunks),
    )
    return document, chunks


def test_created_indices_have_the_expected_mappings(make_store) -> None:
    store = make_store()
    client, layout = store.client, store.layout
    for alias, expected in ((layout.documents_alias, documents_mappings(layout)), (layout.chunks_alias, chunks_mappings(layout))):
        (name,) = client.indices.get_alias(name=alias).body
        actual = client.indices.get_mapping(index=name).body[name]["mappings"]
        assert mapping_differences(expected, actual) == []
    chunk_fields = chunks_mappings(layout)["properties"]
    assert chunk_fields["body_tokens"]["analyzer"] == "policykb_tokens"
    assert chunk_fields["text"] == {"type": "text", "index": False}
    assert chunk_fields["embedding"]["dims"] == 384 and chunk_fields["embedding"]["similarity"] == "cosine"


def test_chunks_of_an_unfinished_write_are_never_returned(make_store) -> None:
    """A write that died after its chunks but before its document record: readers keep the old version."""
    store = make_store()
    document, chunks = synthetic_document("doc", ["创业担保贷款", "高新技术企业"])
    store.replace_document(document, chunks)
    _, orphan_chunks = synthetic_document("doc", ["瞪羚企业"], seed=1)
    orphan = chunk_source(document, orphan_chunks[0], revision="unfinished")
    store.client.index(index=store.layout.chunks_alias, id="doc:0@unfinished", document=orphan, refresh=True)

    assert store.bm25_search(["瞪羚企业"], 5) == []
    assert all(hit.chunk.text != "瞪羚企业。" for hit in store.embedding_search(orphan_chunks[0].embedding, 10))
    assert [c.text for c in store.get_chunks("doc")] == ["创业担保贷款。", "高新技术企业。"]
    # The next write of the document removes the leftover.
    store.replace_document(document, chunks)
    assert store.count_chunks() == 2


def test_filters_compute_the_status_for_today(make_store) -> None:
    store = make_store()
    today = date.today()
    for doc_id, metadata in {
        "future": PolicyMetadata(title="future", effective_date=today + timedelta(days=30)),
        "today": PolicyMetadata(title="today", effective_date=today),
        "marked": PolicyMetadata(title="marked", status=ValidityStatus.EXPIRED),
        "lapsed": PolicyMetadata(title="lapsed", expiry_date=today - timedelta(days=1)),
        "lasts": PolicyMetadata(title="lasts", expiry_date=today),
        "event": PolicyMetadata(title="event", status=ValidityStatus.UNCERTAIN),
        "older": PolicyMetadata(title="older", status=ValidityStatus.SUPERSEDED),
    }.items():
        store.replace_document(*synthetic_document(doc_id, ["补贴"], metadata))
    found = {
        status: {hit.chunk.doc_id for hit in store.bm25_search(["补贴"], 10, SearchFilters(status=status.value))}
        for status in ValidityStatus
    }
    assert found == {
        ValidityStatus.NOT_YET_IN_FORCE: {"future"},
        ValidityStatus.IN_FORCE: {"today", "lasts"},
        ValidityStatus.EXPIRED: {"marked", "lapsed"},
        ValidityStatus.UNCERTAIN: {"event"},
        ValidityStatus.SUPERSEDED: {"older"},
    }


def test_list_documents_pages_past_the_result_window(make_store, monkeypatch) -> None:
    store = make_store()
    store.replace_documents([synthetic_document(f"d{i:02d}", ["政策"]) for i in range(12)])
    expected = [d.doc_id for d in store.list_documents(limit=12)]
    monkeypatch.setattr(elasticsearch_store, "_MAX_WINDOW", 4)  # force the search_after path
    store._list_cursors.clear()
    paged = [d.doc_id for offset in range(0, 12, 3) for d in store.list_documents(limit=3, offset=offset)]
    assert paged == expected
    store._list_cursors.clear()
    assert [d.doc_id for d in store.list_documents(limit=2, offset=9)] == expected[9:11]


def test_highlight_points_at_the_matching_sentence(make_store, tokenizer) -> None:
    store = make_store()
    text = "第一条 为了规范管理，制定本办法。第二条 创业担保贷款最高额度为30万元。第三条 本办法自发布之日起施行。"
    chunk = IndexedChunk(
        chunk_id="loan:0", doc_id="loan", ordinal=0, text=text, char_start=0, char_end=len(text), section="",
        tokens=tokenizer.tokenize(text), embedding=np.ones(384, dtype=np.float32) / np.sqrt(384),
    )
    document = PolicyDocument(doc_id="loan", path="/loan.txt", content_hash="h", source_format="txt", text=text,
                              metadata=PolicyMetadata(title="创业担保贷款办法"))
    store.replace_document(document, [chunk])
    highlight = store.highlight(tokenizer.tokenize("创业担保贷款额度"), ["loan:0"])["loan:0"]
    assert highlight.text == "第二条 创业担保贷款最高额度为30万元。"
    assert text[highlight.char_start : highlight.char_end] == highlight.text
    assert "额度" in highlight.matched_terms


def test_settings_select_the_backend_in_one_place(es_connection, settings, monkeypatch) -> None:
    if es_connection.api_key or es_connection.username:
        pytest.skip("uses the stand-in's open access")
    from policykb.assembly import build_store

    prefix = f"policykb-test-assembly-{date.today():%Y%m%d}"
    configured = settings.model_copy(update={
        "index_backend": "elasticsearch", "elasticsearch_url": es_connection.url,
        "elasticsearch_index_prefix": prefix, "elasticsearch_replicas": 0,
    })
    store = build_store(configured)
    try:
        assert isinstance(store, elasticsearch_store.ElasticsearchPolicyStore)
        assert store.layout.embedding_dims == 384  # read from the model folder, without loading the model
        assert store.count_documents() == 0
    finally:
        store.drop_indices()
        store.close()
