"""Answers say when and where: each cited policy names its issuer (or region) and date, and a time-limited,
expired, event-bound or superseded policy is labelled in the answer itself (issue 22)."""

from __future__ import annotations

from dataclasses import replace

from qa.answer_composer import attribution, chinese_date, validity_note
from qa.citation_check import CitationChecker
from qa.types import AnswerDraft, Passage, Quote
from tests.conftest import LIBRARY

# 泰州市人民政府's 2020 measures: 本政策自发布之日起施行，施行期暂定为6个月.
MEASURE = "ncp/9d4f63c5cbb03f5eaf604fe0566ceec6.txt"


def _passage(**changes: object) -> Passage:
    text = (LIBRARY / MEASURE).read_text(encoding="utf-8")
    start = text.index("一、金融支持")
    passage = Passage(
        "c", "d", "泰州市人民政府关于支持中小企业抗疫情渡难关促发展的政策措施", MEASURE, "一、金融支持",
        text[start : start + 120], start, start + 120, None, "泰州市人民政府", "已失效", 0.9, 0.1, 0.9, 0.9,
        region="江苏省泰州市", date="2020-02-04", expiry_date="2020-08-03",
    )
    return replace(passage, **changes)


def test_an_expired_epidemic_measure_is_labelled_in_the_answer() -> None:
    passage = _passage()
    said = attribution(Quote(passage, passage.text, passage.char_start, passage.char_end, 0.9))
    assert said.startswith("根据《泰州市人民政府关于支持中小企业抗疫情渡难关促发展的政策措施》（泰州市人民政府，2020年2月4日）")
    assert said.endswith("（2020年疫情期间措施，已于2020年8月3日到期）：")


def test_where_and_when_without_an_issuer_name_the_region() -> None:
    passage = _passage(issuer=None, doc_number=None, status="现行有效", expiry_date=None, title="某市稳岗返还办法")
    said = attribution(Quote(passage, passage.text, passage.char_start, passage.char_end, 0.9))
    assert said.startswith("根据《某市稳岗返还办法》（江苏省泰州市，2020年2月4日）")


def test_each_status_is_said() -> None:
    assert validity_note(_passage(status="时效不确定", expiry_date=None)) == "（阶段性措施，截止时间未定，请向发文机关确认是否仍在执行）"
    assert validity_note(_passage(status="已被修订", expiry_date=None)) == "（该版本已被修订，请以现行版本为准）"
    assert validity_note(_passage(status="现行有效", expiry_date="2029-03-03")) == "（有效期至2029年3月3日）"
    assert validity_note(_passage(status="已失效", title="某办法")) == "（该政策已于2020年8月3日到期，仅供参考）"
    assert validity_note(_passage(status="现行有效", expiry_date=None)) == ""
    assert chinese_date("2020-06-30") == "2020年6月30日" and chinese_date(None) == ""


def test_the_dates_of_the_attribution_are_not_taken_for_unsupported_figures() -> None:
    passage = _passage()
    quote = Quote(passage, passage.text, passage.char_start, passage.char_end, 0.9)
    draft = AnswerDraft(attribution(quote) + passage.text, [quote])
    assert CitationChecker().check(draft).ok
