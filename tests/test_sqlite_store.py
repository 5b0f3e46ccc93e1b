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
    from ingestion.types import PolicyMetadata

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


def test_bm25_leaves_out_tokens_most_chunks_hold_but_keeps_the_rarest_few(tmp_path, library, tokenizer, embedder) -> None:
    from ingestion.types import PolicyMetadata

    store = SqlitePolicyStore(tmp_path / "index.sqlite3")
    text = (library / "hohhot" / "呼和浩特市数字政府建设实施方案.txt").read_text(encoding="utf-8")[:6000]
    document, chunks = make_document("hohhot", text, PolicyMetadata(title="呼和浩特市数字政府建设实施方案"), tokenizer, embedder)
    store.replace_document(document, chunks)

    def holding(token: str) -> int:
        return sum(token in chunk.tokens or token in chunk.heading_tokens for chunk in chunks)

    common = "数字"  # in the title, so in every chunk's heading
    rare = [t for t in dict.fromkeys(chunks[5].tokens) if len(t) > 1 and holding(t) == 1][:3]
    assert holding(common) == len(chunks) > 10 and len(rare) == 3

    assert store._discriminative_tokens([common, *rare]) == rare
    assert store._discriminative_tokens([common, *rare[:2]]) == [common, *rare[:2]]  # too few left: all stay
    top = store.bm25_search([common, *rare], top_k=3)
    assert top[0].chunk.chunk_id == chunks[5].chunk_id
    assert store.bm25_search([common], top_k=3)  # a query of common words still finds something
    store.close()
