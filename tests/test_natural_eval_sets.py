"""The natural-question sets in eval/ are well formed: every gold answer is an exact span of its document."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from qa.evaluation import in_section, load_followups, load_qa_items

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO / "eval"
SETS = ("natural_dev.jsonl", "natural_heldout.jsonl")
INTENTS = {
    "fact", "amount", "count", "duration", "date", "yesno", "procedure", "materials", "conditions", "contact",
    "overview", "list",
}


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (EVAL / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _text(library: Path, doc_path: str) -> str:
    return (library / doc_path).read_bytes().decode("utf-8")


@pytest.mark.parametrize("name", SETS)
def test_answerable_rows_quote_their_document(name: str, library: Path) -> None:
    for row in _rows(name):
        if row.get("answerable", True):
            assert set(row) == {"id", "question", "answer", "doc_path", "intent", "section"}, row["id"]
            assert row["intent"] in INTENTS, row["id"]
            assert 6 <= len(row["answer"]) <= 60, row["id"]
            assert row["answer"] in _text(library, row["doc_path"]), row["id"]


@pytest.mark.parametrize("name", SETS)
def test_a_quarter_of_each_set_is_unanswerable(name: str, library: Path) -> None:
    rows = _rows(name)
    unanswerable = [row for row in rows if row.get("answerable", True) is False]
    assert len(unanswerable) >= 0.25 * len(rows)
    for row in unanswerable:
        assert set(row) == {"id", "question", "answerable", "kind", "doc_path"}, row["id"]
        assert row["kind"] in ("missing_fact", "off_topic"), row["id"]
        assert (library / row["doc_path"]).is_file() if row["kind"] == "missing_fact" else row["doc_path"] == ""


def test_the_halves_share_no_document_and_cover_every_intent_twenty_times() -> None:
    dev, heldout = (_rows(name) for name in SETS)
    documents = [{row["doc_path"] for row in rows if row["doc_path"]} for rows in (dev, heldout)]
    assert not documents[0] & documents[1]
    ids = [row["id"] for row in dev + heldout]
    assert len(ids) == len(set(ids))
    intents = Counter(row["intent"] for row in dev + heldout if "intent" in row)
    assert set(intents) == INTENTS and min(intents.values()) >= 20
    assert len(dev) + len(heldout) >= 320


def test_the_loader_reads_intent_section_and_kind() -> None:
    items = load_qa_items(EVAL / "natural_dev.jsonl")
    assert {item.intent for item in items if item.answerable} == INTENTS
    assert {item.kind for item in items if not item.answerable} == {"missing_fact", "off_topic"}
    assert any(item.section.startswith("第") for item in items)


def test_followups_are_conversations_over_dev_documents(library: Path) -> None:
    conversations = load_followups(EVAL / "natural_followups.jsonl")
    assert len(conversations) >= 20
    dev_documents = {row["doc_path"] for row in _rows("natural_dev.jsonl")}
    for turns in conversations:
        assert 2 <= len(turns) <= 3
        for turn in turns:
            assert turn.gold_paths[0] in dev_documents
            assert turn.answer in _text(library, turn.gold_paths[0])


def test_a_citation_is_in_the_gold_article_by_its_heading_path_or_a_heading_in_its_quote() -> None:
    assert in_section("第三章 扶持措施 > 第十二条", "", "第十二条")
    assert not in_section("第三章 扶持措施 > 第十二条", "", "第十条")
    assert in_section("一、总体要求 > （二）总体定位", "", "（二）总体定位")
    assert in_section("二、本月内您在使用税控设备过程中若出现由于网络等原因导致…", "", "二、本月内您在使用税控设备过程中若出现由于网络等原因导致发票数据上传和远程清卡不成功的情形")
    assert in_section("第二章 规划建设", "第八条 州数据资源主管部门……\n第九条 州数据资源主管部门……", "第九条")
    assert not in_section("第二章 规划建设", "依照本办法第九条规定处理", "第九条")
    assert not in_section("第一章 总则 > 第一条", "", "")
