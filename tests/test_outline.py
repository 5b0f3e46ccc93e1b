"""The outline comes from the document's structure: every article of a law, the 一、/（一） headings of a notice,
on the document page and in `policykb docs show --json` (issue 22)."""

from __future__ import annotations

import json
import re
import shutil

from index.types import PolicyDocument
from ingestion.outline import cn_number, document_outline
from policy.types import PolicyMetadata
from tests.conftest import MODEL_DIR
from tests.helpers import cli_env, run_cli
from webui.page_library import _outline

LAW = "laws/行政法规/促进个体工商户发展条例(2022-10-01).md"
ARTICLE_COUNT = 39


def test_cn_number() -> None:
    assert [cn_number(n) for n in ("一", "十", "十二", "三十九", "一百", "二百一十八", "一千零一")] == [1, 10, 12, 39, 100, 218, 1001]


def test_a_39_article_law_has_all_39_articles_at_their_offsets(library) -> None:
    text = (library / LAW).read_text(encoding="utf-8")
    outline = document_outline(text)
    assert [e.label for e in outline] == [f"第{n}条" for n in _numerals(ARTICLE_COUNT)]
    for entry in outline:
        assert text.startswith(entry.label, entry.offset)
        assert entry.level == 0 and entry.title and text.find(entry.title.rstrip("…"), entry.offset) > entry.offset
    assert outline[2].title == "促进个体工商户发展工作坚持中国共产党的领导"


def test_chapters_sections_and_articles_nest(library) -> None:
    text = next((library / "laws").rglob("公司法(2023-12-29).md")).read_text(encoding="utf-8")
    outline = document_outline(text)
    chapters = [e for e in outline if re.fullmatch(r"第.+章", e.label)]
    articles = [e for e in outline if e.label.endswith("条")]
    assert len(articles) == 266 and articles[-1].label == "第二百六十六条"
    assert chapters[0].label == "第一章" and chapters[0].level == 0
    assert {e.level for e in articles} == {2}  # 章 > 节 > 条
    assert [e.offset for e in outline] == sorted(e.offset for e in outline)
    # 依照本法第十条… inside an article is a reference, not a heading
    assert len({e.label for e in articles}) == len(articles)


def test_a_notice_outline_has_its_numbered_headings(library) -> None:
    text = (library / "hohhot" / "呼和浩特市数字政府建设实施方案.txt").read_text(encoding="utf-8")
    outline = document_outline(text)
    assert [(e.label, e.title, e.level) for e in outline[:3]] == [("一、", "总体要求", 0), ("二、", "主要任务", 0), ("(一)", "提高政府数字化履职能力", 1)]
    flat = (library / "ncp" / "2224dc162e2831f693b41749dd361b17.txt").read_text(encoding="utf-8")  # one line
    assert [e.title for e in document_outline(flat)[:3]] == ["有序推动复工复产", "减轻税费负担", "减免企业房租"]


def test_the_document_page_outline_lists_every_article(library) -> None:
    text = (library / LAW).read_text(encoding="utf-8")
    document = PolicyDocument(doc_id="law", path=LAW, content_hash="x", source_format="md", text=text, metadata=PolicyMetadata())
    entries = _outline(document)
    assert len(entries) == ARTICLE_COUNT
    assert all(entry["anchor"] == f"at-{entry['start']}" for entry in entries)


def test_docs_show_json_carries_the_outline(tmp_path, library) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(library / LAW, folder)
    env = cli_env(tmp_path / "data", MODEL_DIR)
    assert run_cli(["ingest", str(folder)], env).returncode == 0
    doc = json.loads(run_cli(["docs", "list", "--json"], env).stdout)[0]
    shown = json.loads(run_cli(["docs", "show", doc["doc_id"], "--json"], env).stdout)
    assert len(shown["outline"]) == ARTICLE_COUNT
    assert set(shown["outline"][0]) == {"label", "title", "level", "offset"}
    assert shown["issuer"] == "国务院" and shown["kind"] == "政策文件"


def _numerals(count: int) -> list[str]:
    digits = "一二三四五六七八九"
    out = []
    for n in range(1, count + 1):
        tens, units = divmod(n, 10)
        out.append(("" if tens in (0, 1) else digits[tens - 1]) + ("十" if tens else "") + (digits[units - 1] if units else ""))
    return out
