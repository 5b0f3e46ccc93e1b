"""The embedded SQLite backend passes the store contract, and survives what only it can be asked."""

from __future__ import annotations

import pytest

from index.sqlite_store import SqlitePolicyStore
from tests.contract.store_contract import PolicyStoreContract, make_document


class TestSqliteStoreContract(PolicyStoreContract):
    @pytest.fixture()
    def store(self, tmp_path):
        store = SqlitePolicyStore(tmp_path / "index.sqlite3")
        yield store
        store.close()


def test_a_second_process_view_sees_writes_of_the_first(tmp_path, library, tokenizer, embedder) -> None:
    from policy.types import PolicyMetadata

    writer = SqlitePolicyStore(tmp_path / "index.sqlite3")
    reader = SqlitePolicyStore(tmp_path / "index.sqlite3")
    text = (library / "pkulaw").glob("*.txt").__next__().read_text(encoding="utf-8")[:2000]
    document, chunks = make_document("pk", text, PolicyMetadata(title="测试"), tokenizer, embedder)
    assert reader.embedding_search(chunks[0].embedding, 1) == []
    writer.replace_document(document, chunks)
    assert reader.embedding_search(chunks[0].embedding, 1)[0].chunk.chunk_id == chunks[0].chunk_id
    writer.delete_document("pk")
    assert reader.embedding_search(chunks[0].embedding, 1) == []
    writer.close()
    reader.close()


def _real_documents(library, tokenizer, embedder, count: int) -> list:
    from policy.types import PolicyMetadata

    paths = sorted((library / "guangzhou").glob("*.txt"))[:count]
    return [
        make_document(f"gz{i}", path.read_text(encoding="utf-8")[:3000], PolicyMetadata(title=path.stem), tokenizer, embedder)
        for i, path in enumerate(paths)
    ]


def _fts5_bm25(store: SqlitePolicyStore, tokens: list[str], top_k: int) -> list[tuple[str, float]]:
    """SQLite FTS5's own ``bm25()`` over the same index, the reference the in-memory scoring must agree with."""
    match = " OR ".join(f'"{token}"' for token in dict.fromkeys(tokens))
    rows = store._read(
        "SELECT c.chunk_id, -bm25(chunk_fts, 2.0, 1.0) AS score FROM chunk_fts JOIN chunks c ON c.rowid = chunk_fts.rowid "
        "WHERE chunk_fts MATCH ? ORDER BY bm25(chunk_fts, 2.0, 1.0), chunk_fts.rowid LIMIT ?",
        (match, top_k),
    )
    return [(chunk_id, score) for chunk_id, score in rows]


def test_bm25_scores_as_sqlite_fts5_does(tmp_path, library, tokenizer, embedder) -> None:
    store = SqlitePolicyStore(tmp_path / "index.sqlite3")
    documents = _real_documents(library, tokenizer, embedder, 6)
    for document, chunks in documents:
        store.replace_document(document, chunks)
    queries = ["住房保障 申请 条件", "公共租赁住房 租金 补贴 标准", "区 人民政府 负责 组织 实施", "困难 家庭 认定 收入"]
    for query in queries:
        tokens = [t for t in tokenizer.tokenize(query) if t.isalnum()]  # words FTS5's tokenizer keeps whole
        ours = [(hit.chunk.chunk_id, hit.score) for hit in store.bm25_search(tokens, 20)]
        reference = dict(_fts5_bm25(store, tokens, 10_000))
        assert len(ours) == min(20, len(reference)) > 0, query
        # FTS5 cuts tokens such as 50% or 0.5 further, so its chunk lengths differ a little from the jieba ones:
        # scores agree within 1 %, and near-ties may swap places.
        assert [score for _, score in ours] == pytest.approx([reference[chunk_id] for chunk_id, _ in ours], rel=1e-2), query
        assert {chunk_id for chunk_id, _ in ours[:5]} <= set(sorted(reference, key=lambda c: -reference[c])[:8]), query
    assert store.bm25_search(["zzqqxxyy"], 5) == []
    store.close()


def test_bm25_after_many_writes_matches_a_freshly_opened_index(tmp_path, library, tokenizer, embedder) -> None:
    """Adds, replacements and deletions made while searching (segments, masks, merges) rank as a fresh load does."""
    from policy.types import PolicyMetadata

    path = tmp_path / "index.sqlite3"
    store = SqlitePolicyStore(path)
    documents = _real_documents(library, tokenizer, embedder, 12)
    query = tokenizer.tokenize("住房 保障 申请 审核 补贴 管理")
    for document, chunks in documents:  # one search after each write: one segment per document, then merges
        store.replace_document(document, chunks)
        assert store.bm25_search(query, 10)
    for document, _ in documents[:4]:
        store.delete_document(document.doc_id)
        store.bm25_search(query, 10)
    document, chunks = make_document("gz5", "第一条 住房保障申请由街道受理审核。", PolicyMetadata(title="替换"), tokenizer, embedder)
    store.replace_document(document, chunks)

    fresh = SqlitePolicyStore(path)
    for tokens in (query, tokenizer.tokenize("街道受理审核"), tokenizer.tokenize("廉租住房 实物配租")):
        after_writes = [(hit.chunk.chunk_id, hit.score) for hit in store.bm25_search(tokens, 30)]
        reloaded = [(hit.chunk.chunk_id, hit.score) for hit in fresh.bm25_search(tokens, 30)]
        assert after_writes and [c for c, _ in after_writes] == [c for c, _ in reloaded]
        assert [s for _, s in after_writes] == pytest.approx([s for _, s in reloaded], rel=1e-9)
        assert not {c.split(":")[0] for c, _ in after_writes} & {"gz0", "gz1", "gz2", "gz3"}
    assert store.bm25_search(tokenizer.tokenize("街道受理审核"), 1)[0].chunk.chunk_id == "gz5:0"
    store.close()
    fresh.close()
