"""The web UI's pieces without a browser: the session cookie, feedback storage, highlighting, metadata corrections."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from accounts.sessions import SessionSigner
from accounts.users import Role
from index.sqlite_store import SqlitePolicyStore
from index.types import IndexedChunk, PolicyDocument
from ingestion.metadata_edit import InvalidMetadata, MetadataChanges, MetadataEditor
from policy.types import Evidence, PolicyMetadata, ValidityStatus
from webui.feedback import FeedbackStore, Rating
from webui.page_library import _outline, _pieces, highlight
from webui.page_staff import evidence_pieces
from webui.roles import Identity

TEXT = "第一章 总则\n第一条 为了支持个体工商户发展，制定本条例。\n第二条 个体工商户可以申请创业担保贷款。"


def test_session_cookie_round_trips_expires_and_rejects_tampering(tmp_path: Path) -> None:
    signer = SessionSigner.for_data_dir(tmp_path)
    value = signer.dumps(7)
    assert signer.loads(value, max_age_seconds=3600) == 7
    assert signer.loads(signer.dumps(7, issued_at=time.time() - 7200), max_age_seconds=3600) is None  # expired
    assert signer.loads(SessionSigner(b"another secret").dumps(1), max_age_seconds=3600) is None
    assert signer.loads("garbage", max_age_seconds=3600) is None
    assert SessionSigner.for_data_dir(tmp_path).loads(value, max_age_seconds=3600) == 7  # the secret survives a restart
    assert (tmp_path / "session_secret").stat().st_mode & 0o077 == 0


def test_roles_admin_is_also_staff() -> None:
    assert Identity(Role.ADMIN, user_id=1).is_staff and Identity(Role.ADMIN).is_admin
    assert not Identity(Role.ENTERPRISE, 7, user_id=2).is_staff and not Identity().signed_in


def test_feedback_is_stored_and_listed_newest_first(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.add(Rating.UP, "问一", "答一", refused=False, conversation_id="c1", cited_doc_ids=["d1"], comment=None, role="visitor")
    store.add(Rating.DOWN, "问二", "答二", refused=True, conversation_id=None, cited_doc_ids=[], comment="不对", role="enterprise")
    entries = store.list()
    assert [e.question for e in entries] == ["问二", "问一"]
    assert entries[0].refused and entries[0].comment == "不对" and entries[1].cited_doc_ids == ["d1"]
    assert store.counts() == {"up": 1, "down": 1}


def test_highlight_marks_every_query_term_occurrence() -> None:
    pieces = highlight("个体工商户可以申请贷款，个体工商户", ["个体工商户", "贷款", "的"])
    assert [(p.text, p.mark) for p in pieces] == [
        ("个体工商户", True), ("可以申请", False), ("贷款", True), ("，", False), ("个体工商户", True),
    ]


def test_document_pieces_anchor_sections_and_mark_the_cited_span() -> None:
    start = TEXT.index("第二条")
    pieces = _pieces(TEXT, [0, start], (start, len(TEXT)))
    assert "".join(p.text for p in pieces) == TEXT
    assert [p.anchor for p in pieces if p.anchor] == ["at-0", f"at-{start}"]
    marked = [p for p in pieces if p.mark]
    assert marked[0].first_mark and "".join(p.text for p in marked) == TEXT[start:]


def test_evidence_pieces_anchor_each_found_evidence() -> None:
    pieces = evidence_pieces(TEXT, ["个体工商户可以申请创业担保贷款", "", "不在原文中"])
    assert "".join(p.text for p in pieces) == TEXT
    assert [p.anchor for p in pieces if p.anchor] == ["ev-1"]


@pytest.fixture()
def store(tmp_path: Path):
    store = SqlitePolicyStore(tmp_path / "index.sqlite3")
    metadata = PolicyMetadata(
        title="促进个体工商户发展条例", issuer=None, status=ValidityStatus.IN_FORCE,
        evidence={"title": Evidence("促进个体工商户发展条例", 0, 11)},
    )
    document = PolicyDocument("doc1", "a.md", "hash", "md", TEXT, metadata)
    second = TEXT.index("第二条")
    chunks = [
        IndexedChunk("doc1:0", "doc1", 0, TEXT[:second], 0, second, "第一章 总则 > 第一条", ["个体", "工商户"], np.ones(4, dtype=np.float32) / 2),
        IndexedChunk("doc1:1", "doc1", 1, TEXT[second:], second, len(TEXT), "第一章 总则 > 第二条", ["贷款"], np.ones(4, dtype=np.float32) / 2),
    ]
    store.replace_document(document, chunks)
    yield store
    store.close()


def test_outline_lists_chapters_once_then_articles(store) -> None:
    entries = _outline(store.get_document("doc1"))
    assert [(e["label"], e["depth"]) for e in entries] == [("第一章 总则", 0), ("第一条", 1), ("第二条", 1)]


def test_metadata_correction_keeps_chunks_and_drops_evidence_of_corrected_fields(store, tokenizer) -> None:
    editor = MetadataEditor(store, tokenizer)
    changes = MetadataChanges(title="促进个体工商户发展条例", issuer="国务院", publish_date=date(2022, 10, 1), tags=["sme"])
    saved = editor.apply("doc1", changes)
    assert saved.metadata.issuer == "国务院" and "title" in saved.metadata.evidence
    reloaded = store.get_document("doc1")
    assert reloaded.metadata.issuer == "国务院" and reloaded.metadata.tags == ["sme"] and reloaded.chunk_count == 2
    chunks = store.get_chunks("doc1")
    assert len(chunks) == 2 and chunks[0].embedding is not None
    assert store.bm25_search(tokenizer.tokenize("个体工商户 条例"), 5)  # title tokens are indexed again
    with pytest.raises(InvalidMetadata, match="标题不能为空"):
        editor.apply("doc1", MetadataChanges(title=" "))


def test_retire_marks_the_policy_expired_from_today(store, tokenizer) -> None:
    retired = MetadataEditor(store, tokenizer).retire("doc1", on=date(2025, 1, 2))
    assert retired.metadata.status is ValidityStatus.EXPIRED and retired.metadata.expiry_date == date(2025, 1, 2)
    assert store.get_document("doc1").summary()["status"] == "已失效"
