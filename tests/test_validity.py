"""The validity model on real library documents, one per form the corpus states validity in (issue 22), the traps,
the document kind, issuers in full, and versions of a law linked; and the status recomputed as dates pass."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingestion.metadata import PolicyMetadataExtractor
from ingestion.metadata.versions import VersionedDocument, link_versions
from ingestion.readers import read_document
from policy.types import DocumentKind, PolicyMetadata, ValidityStatus, current_status

AS_OF = date(2026, 12, 1)


@pytest.fixture(scope="module")
def extractor() -> PolicyMetadataExtractor:
    return PolicyMetadataExtractor()


def extract(extractor: PolicyMetadataExtractor, library: Path, rel: str, today: date = AS_OF) -> tuple[str, PolicyMetadata]:
    path = library / rel
    extracted = read_document(path, max_bytes=50 * 1024 * 1024)
    meta = extractor.extract(extracted.text, title_hint=extracted.title_hint, file_name=path.name, today=today)
    for name, ev in meta.evidence.items():
        assert ev.text == extracted.text[ev.start : ev.end], f"evidence for {name} is not the span it claims"
    return extracted.text, meta


@pytest.mark.parametrize(
    ("rel", "said"),
    [
        ("ncp/0143034a905131c2b70495fc176a5a22.txt", "有效期至新型冠状病毒感染肺炎疫情解除"),
        ("ncp/ee07053e6feb32c5a2cd6bb261e5954f.txt", "Ⅰ级响应解除"),
        ("ncp/106e7e512cf23c099d8ba4a340f2c9e8.txt", "另行公告"),
        ("ncp/963637d369123e629b2c1b6ae0f2db25.txt", "疫情防控期间"),
        ("ncp/82381e22eb593655883b2d0c4c4d7c2b.txt", "预防控制工作结束之日起停止执行"),
        ("ncp/8f6810ddcac83fa589adbbe0cf71208b.txt", "自行废止"),
    ],
)
def test_an_end_tied_to_an_event_is_uncertain_never_in_force(extractor, library, rel, said) -> None:
    _, meta = extract(extractor, library, rel)
    assert meta.status is ValidityStatus.UNCERTAIN
    assert meta.expiry_date is None
    assert said in meta.evidence["status"].text
    assert current_status(meta, date(2030, 1, 1)) is ValidityStatus.UNCERTAIN


def test_an_epidemic_measure_that_states_no_end_is_uncertain(extractor, library) -> None:
    _, meta = extract(extractor, library, "ncp/3804adf79e733676aeac36e6dd432fa6.txt")
    assert meta.expiry_date is None and meta.status is ValidityStatus.UNCERTAIN


@pytest.mark.parametrize(
    ("rel", "effective", "expiry", "said"),
    [
        # fixed ends
        ("ncp/83f1b5b7c84b3dd6a60cd11c2fa468df.txt", date(2020, 2, 9), date(2020, 6, 30), "2020年6月30日"),
        ("ncp/4519298476cf3b7991cc069232a80c03.txt", date(2020, 2, 5), date(2020, 12, 31), "有效期至2020年底"),
        ("ncp/598e8dc554cf3840b48a1335ee079860.txt", date(2020, 2, 14), date(2020, 6, 30), "2020年6月30日"),
        ("realestate/POL_0FA11F23AE63417F07A6.txt", date(2024, 8, 15), date(2027, 8, 14), "2027年8月14日"),
        # relative terms, from the stated start or the 印发/发布 date, minus one day
        ("ncp/9d4f63c5cbb03f5eaf604fe0566ceec6.txt", date(2020, 2, 4), date(2020, 8, 3), "施行期暂定为6个月"),
        ("ncp/ad65ee76b89a394baf260e9dbc0ee06e.txt", date(2020, 2, 6), date(2020, 5, 5), "三个月"),
        ("guangzhou/doc_14.txt", date(2024, 3, 4), date(2029, 3, 3), "2029年03月03日"),
        ("pkulaw/阿坝州人民政府办公室关于印发《阿坝州政务数...(FBM-CLI.12.4792728).txt", date(2021, 10, 11), date(2023, 10, 10), "有效期2年"),
        ("guangzhou/doc_18.txt", date(2023, 9, 8), date(2026, 9, 7), "有效期3年"),
    ],
)
def test_stated_ends_are_read(extractor, library, rel, effective, expiry, said) -> None:
    _, meta = extract(extractor, library, rel)
    assert (meta.effective_date, meta.expiry_date) == (effective, expiry)
    assert said in meta.evidence["expiry_date"].text
    assert meta.status is ValidityStatus.EXPIRED if expiry < AS_OF else ValidityStatus.IN_FORCE
    # Ingested while in force, it expires the day after its last day without a re-ingest.
    _, ingested_early = extract(extractor, library, rel, today=effective)
    # (有效期至2020年底 that may end sooner, with the 应急响应, is 时效不确定 until then)
    assert current_status(ingested_early, expiry) in (ValidityStatus.IN_FORCE, ValidityStatus.UNCERTAIN)
    assert current_status(ingested_early, date.fromordinal(expiry.toordinal() + 1)) is ValidityStatus.EXPIRED


def test_the_register_row_wins_over_the_body(extractor, library) -> None:
    # The body says 有效期5年; Guangzhou's register repealed one early and extended the other.
    _, repealed = extract(extractor, library, "guangzhou/doc_29.txt")
    assert repealed.expiry_date == date(2023, 6, 1) and repealed.status is ValidityStatus.EXPIRED
    _, extended = extract(extractor, library, "guangzhou/doc_30.txt")
    assert extended.expiry_date == date(2029, 12, 6) and extended.status is ValidityStatus.IN_FORCE


def test_a_reissued_notice_with_its_term_adjusted(extractor, library) -> None:
    _, meta = extract(extractor, library, "guangzhou_html/36b_积分制入户管理办法_穗府办规2025-8号.html")
    assert meta.expiry_date == date(2026, 12, 31)
    assert meta.status is ValidityStatus.IN_FORCE


def test_a_start_date_only_is_in_force(extractor, library) -> None:
    _, meta = extract(extractor, library, "realestate/POL_E3D7C9E812DAD8D1EC3C.txt")
    assert meta.effective_date == date(2023, 4, 17) and meta.expiry_date is None
    assert meta.status is ValidityStatus.IN_FORCE
    assert meta.doc_number is None  # 鹤公管委〔2023〕4号 is cited in the preamble, not this notice's number


def test_trap_blank_signature_date(extractor, library) -> None:
    # Signed "2020年月日" with 有效期一年: no publication date is invented; the term ended by the end of 2021.
    _, meta = extract(extractor, library, "ncp/b4317535961a33609a668b5ba7883784.txt")
    assert meta.publish_date is None and meta.written_date is None
    assert meta.expiry_date is not None and meta.expiry_date <= date(2021, 12, 31)
    assert meta.status is ValidityStatus.EXPIRED


def test_trap_numbered_notice_is_no_doc_number(extractor, library) -> None:
    _, meta = extract(extractor, library, "ncp/0143034a905131c2b70495fc176a5a22.txt")
    assert meta.doc_number is None  # 通告（第8号）


def test_trap_end_dates_of_single_clauses(extractor, library) -> None:
    _, meta = extract(extractor, library, "ncp/6a93bab757d53aaa94b7717b4e509060.txt")
    assert meta.expiry_date is None and meta.status is ValidityStatus.IN_FORCE


def test_trap_repeal_inside_an_html_comment_or_script(extractor) -> None:
    text = (
        "关于开展稳岗返还工作的通知\n<!-- 时效性：已废止 -->\n<script>var s='时效性：已废止';</script>\n"
        "各区人力资源和社会保障局：\n现将有关事项通知如下。\n本通知自2024年3月1日起施行。\n"
    )
    meta = extractor.extract(text, today=AS_OF)
    assert meta.status is ValidityStatus.IN_FORCE
    assert extractor.extract(text.replace("<!-- 时效性：已废止 -->", "时效性：已废止"), today=AS_OF).status is ValidityStatus.EXPIRED


def test_trap_a_news_report_quoting_a_measure_is_not_the_measure(extractor, library) -> None:
    _, meta = extract(extractor, library, "ncp/aaa5f02f17393aada2ce86771039d643.txt")
    assert meta.kind is DocumentKind.NEWS and not meta.is_policy
    assert meta.expiry_date is None


@pytest.mark.parametrize(
    ("rel", "kind"),
    [
        ("ncp/53e868fde8453c6ebb6048762ddddd89.txt", DocumentKind.INTERPRETATION),
        ("guangzhou/doc_4.txt", DocumentKind.INTERPRETATION),
        ("ncp/0d91ba904a9034de84dff5767c577774.txt", DocumentKind.NEWS),
        ("realestate/POL_14173DC9A6706CEC255B.txt", DocumentKind.NEWS),
        ("ncp/5efb2c358f6d3b97a5e1969a108fe71d.txt", DocumentKind.POLICY),  # the full text under a press headline
        ("hohhot/呼和浩特市数字政府建设实施方案.txt", DocumentKind.POLICY),
    ],
)
def test_document_kind(extractor, library, rel, kind) -> None:
    _, meta = extract(extractor, library, rel)
    assert meta.kind is kind


@pytest.mark.parametrize(
    ("rel", "issuer"),
    [
        ("ncp/83f1b5b7c84b3dd6a60cd11c2fa468df.txt", "贵州省发展和改革委员会"),  # 省发展改革委 in the title
        ("guangzhou_html/08_家庭医生实施方案_穗卫函2023-1930号.html", "广州市卫生健康委员会 广州市财政局 广州市人力资源和社会保障局 广州市医疗保障局"),
        ("laws/行政法规/保障中小企业款项支付条例(2020-07-05).md", "国务院"),
        ("laws/经济法/会计法(2024-06-28).md", "全国人民代表大会常务委员会"),
        ("ncp/5efb2c358f6d3b97a5e1969a108fe71d.txt", "中共浙江省委 浙江省人民政府"),
    ],
)
def test_issuer_in_full(extractor, library, rel, issuer) -> None:
    _, meta = extract(extractor, library, rel)
    assert meta.issuer == issuer


def test_versions_of_a_law_are_linked(extractor, library) -> None:
    _, older = extract(extractor, library, "laws/民法商法/公司法(2018-10-26).md")
    _, newer = extract(extractor, library, "laws/民法商法/公司法(2023-12-29).md")
    changed = link_versions([VersionedDocument("old", older), VersionedDocument("new", newer)])
    assert [d.key for d in changed] == ["old"]
    assert (older.status, older.superseded_by) == (ValidityStatus.SUPERSEDED, "new")
    assert current_status(older, AS_OF) is ValidityStatus.SUPERSEDED
    assert current_status(newer, AS_OF) is ValidityStatus.IN_FORCE
    # The newer one removed: the older is the newest again.
    assert link_versions([VersionedDocument("old", older)]) and older.status is ValidityStatus.IN_FORCE


def test_a_status_staff_set_is_not_relinked(extractor, library) -> None:
    _, older = extract(extractor, library, "laws/经济法/会计法(2017-11-04).md")
    _, newer = extract(extractor, library, "laws/经济法/会计法(2024-06-28).md")
    older.corrected = ["status"]
    assert link_versions([VersionedDocument("old", older), VersionedDocument("new", newer)]) == []
    assert older.status is ValidityStatus.IN_FORCE
