"""Ingestion end to end on real files: new, unchanged, changed, duplicate, bad input, and kill -9 mid-ingest."""

from __future__ import annotations

import dataclasses
import json
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from ingestion.catalog import read_catalog
from ingestion.metadata_edit import MetadataEditor, metadata_from_document
from ingestion.service import IngestStatus
from policykb.assembly import PolicyKB
from tests.conftest import MODEL_DIR
from tests.helpers import POLICYKB, assert_index_consistent, cli_env, count_documents, manifest_rows


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


@pytest.fixture()
def sample_files(tmp_path, library) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(library / "hohhot" / "呼和浩特市数字政府建设实施方案.txt", folder)
    shutil.copy(next((library / "formats").glob("15_*.docx")), folder)
    shutil.copy(next((library / "formats").glob("16_*.pdf")), folder)
    shutil.copy(next((library / "guangzhou_html").glob("*.html")), folder)
    return folder


def test_ingest_then_reingest_is_a_no_op(kb, sample_files) -> None:
    first = kb.ingestion.ingest_paths([sample_files], recursive=True)
    assert [o.status for o in first] == [IngestStatus.INGESTED] * 4, [o.reason for o in first]
    assert all(o.chunks > 0 and o.title for o in first)
    chunks = kb.store.count_chunks()
    second = kb.ingestion.ingest_paths([sample_files], recursive=True)
    assert [o.status for o in second] == [IngestStatus.UNCHANGED] * 4
    assert kb.store.count_documents() == 4 and kb.store.count_chunks() == chunks


def test_a_changed_file_replaces_its_old_version(kb, tmp_path, library) -> None:
    path = tmp_path / "notice.txt"
    text = (library / "hohhot" / "呼和浩特市数字政府建设实施方案.txt").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    [first] = kb.ingestion.ingest_paths([path])
    path.write_text(text.replace("呼和浩特", "乌兰察布"), encoding="utf-8")
    [second] = kb.ingestion.ingest_paths([path])
    assert second.status == IngestStatus.REPLACED and second.doc_id == first.doc_id
    assert kb.store.count_documents() == 1
    hits = kb.searcher.search("乌兰察布 数字政府", top_k=3)
    assert hits and all("呼和浩特" not in hit.text for hit in hits)
    assert "乌兰察布" in kb.store.get_document(first.doc_id).text


def test_same_bytes_under_another_name_is_reported_as_duplicate(kb, tmp_path, library) -> None:
    source = library / "hohhot" / "呼和浩特市数字政府建设实施方案.txt"
    shutil.copy(source, tmp_path / "a.txt")
    shutil.copy(source, tmp_path / "b.txt")
    outcomes = kb.ingestion.ingest_paths([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert [o.status for o in outcomes] == [IngestStatus.INGESTED, IngestStatus.DUPLICATE]
    assert "a.txt" in outcomes[1].reason


def test_reingest_of_an_edited_document_only_embeds_new_chunks(kb, tmp_path, library) -> None:
    path = tmp_path / "law.md"
    text = next((library / "laws").rglob("中小企业促进法*.md")).read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    kb.ingestion.ingest_paths([path])
    cache = sqlite3.connect(kb.settings.data_dir / "embedding_cache.sqlite3")
    before = cache.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    path.write_text(text + "\n\n第六十二条 新增条款：本市设立中小企业发展专项资金。\n", encoding="utf-8")
    [outcome] = kb.ingestion.ingest_paths([path])
    after = cache.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    assert outcome.status == IngestStatus.REPLACED
    assert 1 <= after - before <= 2


def test_bad_files_are_rejected_with_reasons_and_the_rest_ingested(kb, tmp_path, library) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "junk.txt").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 this is not really a zip")
    shutil.copy(next((library / "formats").glob("21_*.pdf")), tmp_path / "scan.pdf")
    shutil.copy(library / "hohhot" / "呼和浩特市数字政府建设实施方案.txt", tmp_path / "good.txt")
    outcomes = {Path(o.path).name: o for o in kb.ingestion.ingest_paths([tmp_path], recursive=False)}
    assert outcomes["good.txt"].status == IngestStatus.INGESTED
    for name in ("empty.txt", "junk.txt", "broken.docx", "scan.pdf"):
        assert outcomes[name].status == IngestStatus.REJECTED, name
        assert outcomes[name].reason
    assert "文字层" in outcomes["scan.pdf"].reason
    assert kb.store.count_documents() == 1


def test_kill_9_mid_ingest_leaves_a_consistent_index_and_a_rerun_completes(tmp_path, library) -> None:
    folder = tmp_path / "ncp"
    folder.mkdir()
    files = sorted((library / "ncp").glob("*.txt"))[:36]
    for file in files:
        shutil.copy(file, folder)
    data_dir = tmp_path / "data"
    env = cli_env(data_dir, MODEL_DIR)
    process = subprocess.Popen([POLICYKB, "ingest", str(folder)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    index_path = data_dir / "index.sqlite3"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None and count_documents(index_path) < 5:
        time.sleep(0.2)
    assert process.poll() is None, "ingest finished before it could be killed; use more files"
    process.send_signal(signal.SIGKILL)
    process.wait()
    documents, _ = assert_index_consistent(index_path)
    assert 5 <= documents < len(files)
    rerun = subprocess.run([POLICYKB, "ingest", str(folder)], env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert assert_index_consistent(index_path)[0] == len(files)


def _catalog_rows(library: Path, names: list[str]) -> list[dict]:
    """The shared corpus manifest's rows for ``names`` (realestate files: their texts do not state their titles)."""
    return manifest_rows(library, {f"realestate/{name}" for name in names})


def test_a_catalog_titles_documents_and_updates_them_keeping_staff_corrections(kb, tmp_path, library) -> None:
    names = ["POL_0037D2F2273AA29443D7.txt", "POL_007DB4B31F590ED55ABF.txt"]
    folder = tmp_path / "in"
    (folder / "realestate").mkdir(parents=True)
    for name in names:
        shutil.copy(library / "realestate" / name, folder / "realestate")
    rows = _catalog_rows(library, names)
    assert len(rows) == 2 and all(row["title"] and row["title"] not in (library / row["path"]).read_text(encoding="utf-8") for row in rows)
    [first, second] = kb.ingestion.ingest_paths([folder], recursive=True)
    assert first.title == Path(names[0]).stem  # nothing in the text says what it is called
    MetadataEditor(kb.store, kb.tokenizer, kb.embedder).apply(
        second.doc_id, dataclasses.replace(metadata_from_document(kb.store.get_document(second.doc_id).metadata), tags=["housing"])
    )

    catalog_file = folder / "manifest.jsonl"
    catalog_file.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    catalog = read_catalog(catalog_file)
    assert set(catalog.ignored_fields) == {"derived_from", "kind", "source"}
    outcomes = kb.ingestion.ingest_paths([folder], recursive=True, catalog=catalog)
    assert [o.status for o in outcomes] == [IngestStatus.UPDATED] * 2
    by_path = {f"realestate/{Path(o.path).name}": kb.store.get_document(o.doc_id) for o in outcomes}
    for row in rows:
        metadata = by_path[row["path"]].metadata
        assert metadata.title == row["title"] and "title" not in metadata.evidence
        assert metadata.issuer == row["issuer"] and metadata.written_date.isoformat() == row["date"]
    assert by_path[f"realestate/{names[1]}"].metadata.tags == ["housing"]  # the staff correction stays
    # Search and answers know the policy by its title now.
    hits = kb.searcher.search(rows[0]["title"], top_k=1)
    assert hits and hits[0].title == rows[0]["title"]
    assert [o.status for o in kb.ingestion.ingest_paths([folder], recursive=True, catalog=catalog)] == [IngestStatus.UNCHANGED] * 2

    shutil.copy(library / "realestate" / "POL_0088BE16B7CF763006A7.txt", folder / "realestate")
    [row] = _catalog_rows(library, ["POL_0088BE16B7CF763006A7.txt"])
    catalog_file.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    [new] = kb.ingestion.ingest_paths([folder / "realestate" / "POL_0088BE16B7CF763006A7.txt"], catalog=read_catalog(catalog_file))
    assert new.status == IngestStatus.INGESTED and new.title == row["title"]
