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
