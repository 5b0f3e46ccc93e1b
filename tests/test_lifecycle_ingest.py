"""The policy lifecycle through ingestion (issue 22): versions of a law linked in the library, a status a person
set kept when the file is ingested again, and the stored status recomputed as the days pass."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from ingestion.metadata_edit import MetadataEditor, metadata_from_document
from ingestion.service import IngestStatus
from policy.types import ValidityStatus, current_status
from policykb.assembly import PolicyKB


@pytest.fixture()
def kb(settings, embedder):
    kb = PolicyKB(settings)
    kb.__dict__["embedder"] = embedder  # share the session's loaded model; the cache stays this kb's own
    from index.embedder import EmbeddingCache

    shared_cache = embedder.cache
    embedder.cache = EmbeddingCache(settings.data_dir / "embedding_cache.sqlite3", embedder.model_key)
    yield kb
    embedder.cache = shared_cache
    kb.close()


def _cut(library, rel: str, tmp_path, name: str):
    """A shorter copy of a library file (the header and the first articles), to keep the test quick."""
    path = tmp_path / name
    path.write_text((library / rel).read_text(encoding="utf-8")[:3000], encoding="utf-8")
    return path


def test_an_older_version_is_linked_to_the_newer_in_the_library(kb, tmp_path, library) -> None:
    older = _cut(library, "laws/经济法/会计法(2017-11-04).md", tmp_path, "会计法(2017-11-04).md")
    [first] = kb.ingestion.ingest_paths([older])
    assert kb.store.get_document(first.doc_id).metadata.status is ValidityStatus.IN_FORCE
    newer = _cut(library, "laws/经济法/会计法(2024-06-28).md", tmp_path, "会计法(2024-06-28).md")
    [second] = kb.ingestion.ingest_paths([newer])
    old_meta = kb.store.get_document(first.doc_id).metadata
    assert (old_meta.status, old_meta.superseded_by) == (ValidityStatus.SUPERSEDED, second.doc_id)
    assert current_status(old_meta) is ValidityStatus.SUPERSEDED
    assert kb.store.get_document(second.doc_id).summary()["status"] == "现行有效"
    assert kb.store.get_document(first.doc_id).summary()["superseded_by"] == second.doc_id
    # The newer version deleted and the older ingested again: it is the newest again.
    kb.store.delete_document(second.doc_id)
    older.write_text(older.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert kb.ingestion.ingest_paths([older])[0].status == IngestStatus.REPLACED
    assert kb.store.get_document(first.doc_id).metadata.status is ValidityStatus.IN_FORCE


def test_a_status_staff_set_survives_a_reingest_of_the_changed_file(kb, tmp_path, library) -> None:
    path = tmp_path / "measure.txt"
    text = (library / "ncp" / "0143034a905131c2b70495fc176a5a22.txt").read_text(encoding="utf-8")  # 有效期至…疫情解除
    path.write_text(text, encoding="utf-8")
    [outcome] = kb.ingestion.ingest_paths([path])
    document = kb.store.get_document(outcome.doc_id)
    assert document.metadata.status is ValidityStatus.UNCERTAIN and "疫情解除" in document.metadata.evidence["status"].text
    changes = dataclasses.replace(metadata_from_document(document.metadata), status=ValidityStatus.EXPIRED, expiry_date=date(2020, 4, 30))
    MetadataEditor(kb.store, kb.tokenizer, kb.embedder).apply(outcome.doc_id, changes)
    path.write_text(text + " （此件公开发布）", encoding="utf-8")
    assert kb.ingestion.ingest_paths([path])[0].status == IngestStatus.REPLACED
    kept = kb.store.get_document(outcome.doc_id).metadata
    assert (kept.status, kept.expiry_date) == (ValidityStatus.EXPIRED, date(2020, 4, 30))
    assert {"status", "expiry_date"} <= set(kept.corrected)


def test_a_policy_expires_on_its_day_without_a_reingest(kb, tmp_path, library) -> None:
    path = tmp_path / "rules.txt"
    path.write_text((library / "realestate" / "POL_0FA11F23AE63417F07A6.txt").read_text(encoding="utf-8"), encoding="utf-8")
    [outcome] = kb.ingestion.ingest_paths([path])  # 自2024年8月15日起施行,有效期至2027年8月14日
    stored = kb.store.get_document(outcome.doc_id)
    assert stored.summary(today=date(2027, 8, 14))["status"] == "现行有效"
    assert stored.summary(today=date(2027, 8, 15))["status"] == "已失效"
