"""Conditions on enterprises read from one eligibility sentence: size, thresholds, years, qualifications,
industries, ownership, and a place the sentence restricts registration to.

:class:`ConditionReader` reads one sentence (citations of other documents, 《…》, removed first) and returns
the condition leaves it states, in the rule format of :mod:`push_rules.rules_schema`. Which sentences are
eligibility sentences is decided by :mod:`push_rules.suggestion.audience`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from push_rules.ownership import Ownership
from push_rules.qualifications import QualificationCatalog
from push_rules.regions import Region
from push_rules.rule_ops import (
    ALL_ENTERPRISES,
    HAS_QUALIFICATION,
    IN,
    INDUSTRY_PREFIX,
    RANGE,
    REGION_WITHIN,
    YEARS_SINCE,
)
from push_rules.suggestion.jurisdiction import ABBREVIATIONS, JurisdictionReader
from push_rules.suggestion.numbers import (
    AFTER_WORDS,
    BEFORE_WORDS,
    INCLUDED,
    MONEY_UNITS,
    NUMBER,
    bound_of,
    parse_number,
)

Leaf = dict[str, Any]
SME = ["medium", "small", "micro"]
SERVICE_SECTIONS = ["F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R"]
_CITATION = re.compile(r"《[^《》]{0,80}》")

_SIZE_PATTERNS: list[tuple[re.Pattern[str], list[str]]] = [
    (re.compile(r"中小企业划型标准|中型企业、小型企业和微型企业|中型、小型、微型企业|中小微企业|中小微型企业|中小型企业"), SME),
    (re.compile(r"(?<![中])小微企业|小型微型企业|小微型企业|小型企业和微型企业|小型、微型企业"), ["small", "micro"]),
    (re.compile(r"(?<!科技型)(?<!创新型)(?<!专精特新)(?<!专精特新”)(?<!专精特新\")(?<![\u4e00-\u9fa5]型)中小企业"), SME),
    (re.compile(r"(?<![小中])微型企业"), ["micro"]),
]
_QUALIFICATION_PATTERNS: dict[str, re.Pattern[str]] = {
    "high_tech": re.compile(r"(?<!非)(?:国家级?)?高新技术企业(?!培育)"),
    "tech_sme": re.compile(r"科技型中小企业"),
    "innovative_sme": re.compile(r"创新型中小企业"),
    "srdi_sme": re.compile(r"专精特新[”\"」]?(?:中小)?企业"),
    "little_giant": re.compile(r"小巨人"),
    "gazelle": re.compile(r"瞪羚"),
    "unicorn": re.compile(r"独角兽"),
    "advanced_tech_service": re.compile(r"技术先进型服务企业"),
    "enterprise_tech_center": re.compile(r"企业技术中心"),
    "agri_leading": re.compile(r"农业产业化(?:国家|省级|市级)?(?:重点)?龙头企业"),
    "manufacturing_champion": re.compile(r"单项冠军"),
    "listed": re.compile(r"上市(?:公司|企业)"),
}
_INDUSTRY_PATTERNS: list[tuple[re.Pattern[str], list[str]]] = [
    (re.compile(r"工业企业|规模以上工业|规上工业"), ["B", "C", "D"]),
    (re.compile(r"制造业企业|制造企业|生产型企业|(?<!房地产)(?<!安全)生产企业|物资生产|物资扩产|扩产|转产"), ["C"]),
    (re.compile(r"工业互联网"), ["B", "C", "D", "I"]),
    (re.compile(r"软件(?:和信息技术服务|企业|开发)"), ["I65"]),
    (re.compile(r"集成电路"), ["C397", "I652"]),
    (re.compile(r"互联网企业|平台企业"), ["I64"]),
    (re.compile(r"电信企业"), ["I63"]),
    (re.compile(r"批发(?:和|、)?零售|批零|商贸流通|商贸企业"), ["F"]),
    (re.compile(r"(?<!批发和)(?<!批发、)(?<!批发)零售(?:企业|业|、|行业)"), ["F52"]),
    (re.compile(r"住宿|餐饮|酒店"), ["H"]),
    (re.compile(r"交通运输|物流企业|运输企业|民航|货运"), ["G"]),
    (re.compile(r"商贸物流"), ["F", "G"]),
    (re.compile(r"旅游企业|旅行社|旅游业"), ["L7291"]),
    (re.compile(r"教育培训|培训机构"), ["P"]),
    (re.compile(r"文艺演出|影视|演出|文化企业|剧院|影院"), ["R"]),
    (re.compile(r"建筑(?:业|企业|施工)"), ["E"]),
    (re.compile(r"工程监理|监理|造价咨询"), ["M748"]),
    (re.compile(r"房地产开发企业|房地产企业|房地产开发"), ["K701"]),
    (re.compile(r"物业(?:服务|管理)企业"), ["K702"]),
    (re.compile(r"家政"), ["O80"]),
    (re.compile(r"农业企业|农业经营主体|养殖企业|种植企业|农民专业合作社"), ["A"]),
    (re.compile(r"科技服务|研发机构"), ["M"]),
    (re.compile(r"人力资源服务(?:机构|企业)"), ["L726"]),
    (re.compile(r"软件和信息(?:技术)?服务业|信息(?:技术)?服务业"), ["I"]),
    (re.compile(r"(?<![商农])工业(?=及|和|、)(?!和信息化)"), ["B", "C", "D"]),
    # 服务业 on its own (支持服务业市场主体); 信息服务业, 生产性服务业 … are narrower sectors
    (re.compile(r"(?:^|[^\u4e00-\u9fa5]|支持|促进|加快|推动|扶持|帮助|全力|有序|的|对|、)服务业(?:企业|市场主体)?(?!和)"), SERVICE_SECTIONS),
]
# ownership nouns: (pattern, values, negated); 民营 is every enterprise that is not state-owned or foreign-invested
_OWNERSHIP_PATTERNS: list[tuple[re.Pattern[str], list[str], bool]] = [
    (re.compile(r"民营企业|民营经济"), [Ownership.STATE.value, Ownership.FOREIGN.value, Ownership.HMT.value], True),
    (re.compile(r"(?<!非)(?<!共和)国有(?:企业|独资|控股|资本控股)|(?<!共和)国企|全民所有制"), [Ownership.STATE.value], False),
    (re.compile(r"外商投资企业|外资企业|外商投资(?!者)|外国投资者"), [Ownership.FOREIGN.value], False),
    (re.compile(r"港澳台|台资|台湾同胞投资|台湾地区投资者|港资|澳资|香港特别行政区、澳门特别行政区、台湾地区"), [Ownership.HMT.value], False),
    (re.compile(r"私营企业"), [Ownership.PRIVATE.value], False),
    (re.compile(r"集体企业|集体所有制企业"), [Ownership.COLLECTIVE.value], False),
]
_SUBJECTS = {
    "employees": r"(?:从业人员|职工|员工|用工|就业人员|在岗人数|在职人数|参保人数|参保职工|人员规模)(?:人数|总数|数量)?",
    "annual_revenue": r"(?:营业收入|主营业务收入|销售收入|营收|销售额|年收入|年销售)",
    "total_assets": r"(?:资产总额|总资产)",
    "registered_capital": r"(?:注册资本|实缴资本|注册资金)",
}
_PLACE_PATTERNS = [
    re.compile(r"(?:在|于)(?P<place>[\u4e00-\u9fa5]{2,14}?)(?:行政区域|辖区|区域|范围|境)内"),
    re.compile(r"(?:在|于)(?P<place>[\u4e00-\u9fa5]{2,14}?)(?:完成|依法|进行)?(?:工商)?(?:注册|登记|设立|落户|纳税)"),
    re.compile(r"(?:注册地|注册登记地|登记地)(?:在|为|位于)(?P<place>[\u4e00-\u9fa5]{2,14})"),
]
_LOCAL = re.compile(r"(?:本|我)(省|自治区|市|区|县|旗)(?:行政区域内|辖区内|范围内)?(?:依法)?(?:注册|登记|设立|纳税)|(?:本|我)(省|自治区|市|区|县|旗)(?:行政区域|辖区)内")
_NATIONWIDE = re.compile(r"中华人民共和国境内|中国境内")


@dataclass(frozen=True)
class Found:
    """One condition read from a sentence."""

    leaf: Leaf
    evidence: str
    negated: bool = False  # the leaf is to be wrapped in ``not``

    @property
    def key(self) -> str:
        """What the condition tests (one condition per key in a rule): the field, or ``not:<field>``."""
        return ("not:" if self.negated else "") + str(self.leaf.get("field") or self.leaf["op"])


def strip_citations(sentence: str) -> str:
    """The sentence without the titles of documents it cites (《中小企业促进法》 names no beneficiary)."""
    return _CITATION.sub("《》", sentence)


class ConditionReader:
    def __init__(self, qualifications: QualificationCatalog | None = None, places: JurisdictionReader | None = None) -> None:
        self.qualifications = qualifications or QualificationCatalog()
        self.places = places or JurisdictionReader()

    def read(self, sentence: str, jurisdiction: Region | None = None, *, region: bool = True) -> list[Found]:
        """Every condition ``sentence`` states; ``jurisdiction`` resolves 本市 and bare county names."""
        text = strip_citations(sentence)
        evidence = sentence.strip()[:200]
        found: list[Found] = []
        if region:
            found += self.region(text, evidence, jurisdiction)
        found += self.size(text, evidence)
        found += self.years(text, evidence)
        found += self.thresholds(text, evidence)
        found += self.qualifications_in(text, evidence)
        found += self.industries(text, evidence)
        found += self.ownership(text, evidence)
        return found

    def region(self, text: str, evidence: str, jurisdiction: Region | None) -> list[Found]:
        if _NATIONWIDE.search(text) and not any(p.search(text) for p in _PLACE_PATTERNS[2:]):
            return [Found({"op": ALL_ENTERPRISES.name}, evidence)]
        for pattern in _PLACE_PATTERNS:
            for match in pattern.finditer(text):
                place = match.group("place")
                if place[-1] in ABBREVIATIONS and len(place) <= 2:
                    code = ABBREVIATIONS[place[-1]]
                    return [Found({"op": REGION_WITHIN.name, "field": "region", "value": [code]}, evidence)]
                local = re.match(r"(?:本|我)(省|自治区|市|区|县|旗)", place)
                if local:
                    own = _local(local.group(1), jurisdiction)
                    if own is not None:
                        return [Found({"op": REGION_WITHIN.name, "field": "region", "value": [own.code]}, evidence)]
                    continue
                region = self.places.place(place, jurisdiction)
                if region is not None:
                    return [Found({"op": REGION_WITHIN.name, "field": "region", "value": [region.code]}, evidence)]
        local = _LOCAL.search(text)
        own = _local(local.group(1) or local.group(2), jurisdiction) if local else None
        if own is not None:
            return [Found({"op": REGION_WITHIN.name, "field": "region", "value": [own.code]}, evidence)]
        return []

    def size(self, text: str, evidence: str) -> list[Found]:
        for pattern, sizes in _SIZE_PATTERNS:
            if pattern.search(text):
                return [Found({"op": IN.name, "field": "size", "value": list(sizes)}, evidence)]
        return []

    def years(self, text: str, evidence: str) -> list[Found]:
        found = []
        pattern = re.compile(
            rf"(?:成立|注册|设立|登记注册|注册登记|经营|运营|创办)(?:时间|年限)?(?:已|须|应|均)?(?P<before>{BEFORE_WORDS}|在)?"
            rf"(?P<n>{NUMBER})(?P<unit>个月|个?周?年)(?P<after>{AFTER_WORDS})?"
        )
        for match in pattern.finditer(text):
            number = parse_number(match.group("n"))
            if match.group("unit") == "个月":
                number /= 12
            if number <= 0 or number > 50:
                continue
            bound = bound_of(match.group("before") or "", match.group("after") or "")
            if bound is None:
                continue
            found.append(Found({"op": YEARS_SINCE.name, "field": "established_on", bound[0]: round(number, 2)}, evidence))
        return found

    def thresholds(self, text: str, evidence: str) -> list[Found]:
        found: list[Found] = []
        for field_name, subject in _SUBJECTS.items():
            money = field_name != "employees"
            unit = r"(?P<unit>亿元|千万元|百万元|万元|千元|元)" if money else r"(?P<unit>人|名)"
            pattern = re.compile(
                rf"{subject}[^，。；：:\d一二三四五六七八九十两]{{0,10}}?(?P<before>{BEFORE_WORDS}|在)?\s*(?P<n>{NUMBER})\s*{unit}"
                rf"{INCLUDED}(?P<after>{AFTER_WORDS})?"
            )
            for match in pattern.finditer(text):
                leaf = _bound_leaf(field_name, match, money)
                if leaf is not None:
                    found.append(Found(leaf, evidence))
        # head counts written before the noun: 300人以下的企业, 30人（含）以下小微企业
        for match in re.finditer(rf"(?P<n>{NUMBER})(?P<unit>人|名){INCLUDED}(?P<after>以下|以上|以内)的?(?:[\u4e00-\u9fa5]{{0,6}})?(?:企业|单位)", text):
            leaf = _bound_leaf("employees", match, False)
            if leaf is not None:
                found.append(Found(leaf, evidence))
        return found

    def qualifications_in(self, text: str, evidence: str) -> list[Found]:
        slugs: list[str] = []
        builtin = {q.slug for q in self.qualifications.entries() if q.builtin}
        for slug, pattern in _QUALIFICATION_PATTERNS.items():
            if slug in builtin and pattern.search(text):
                slugs.append(slug)
        for qualification in self.qualifications.added():
            names = [qualification.label, *qualification.aliases]
            if any(name and name in text for name in names):
                slugs.append(qualification.slug)
        if "little_giant" in slugs and "srdi_sme" in slugs and not re.search(r"专精特新[”\"」]?中小企业", text):
            slugs.remove("srdi_sme")  # 专精特新“小巨人”企业 is one title
        return [Found({"op": HAS_QUALIFICATION.name, "field": "qualifications", "value": slugs}, evidence)] if slugs else []

    def industries(self, text: str, evidence: str) -> list[Found]:
        prefixes: list[str] = []
        for pattern, values in _INDUSTRY_PATTERNS:
            if pattern.search(text):
                prefixes += [v for v in values if v not in prefixes]
        return [Found({"op": INDUSTRY_PREFIX.name, "field": "industry", "value": prefixes}, evidence)] if prefixes else []

    def ownership(self, text: str, evidence: str) -> list[Found]:
        found = []
        for pattern, values, negated in _OWNERSHIP_PATTERNS:
            if pattern.search(text):
                found.append(Found({"op": IN.name, "field": "ownership", "value": list(values)}, evidence, negated))
        if any(f.negated for f in found):  # 民营企业 is defined by what it is not; the nouns it excludes are not extra conditions
            found = [f for f in found if f.negated]
        return found


def _local(level: str, jurisdiction: Region | None) -> Region | None:
    """The division 本省/本市/本区 names in a document of ``jurisdiction``: its province for 省, else itself."""
    if jurisdiction is None:
        return None
    if level in ("省", "自治区") and not jurisdiction.code.endswith("0000"):
        from push_rules.regions import RegionTable

        return RegionTable.default().get(jurisdiction.code[:2] + "0000")
    return jurisdiction


def _bound_leaf(field_name: str, match: re.Match[str], money: bool) -> Leaf | None:
    bound = bound_of(match.group("before") or "" if "before" in match.groupdict() else "", match.group("after") or "")
    if bound is None:
        return None
    number = parse_number(match.group("n"))
    if money:
        number *= MONEY_UNITS[match.group("unit")]
    side, inclusive = bound
    if not money and not inclusive:
        number += 1 if side == "min" else -1  # head counts are whole: 不足300人 is at most 299
    if number < 0:
        return None
    value: float | int = int(number) if float(number).is_integer() else round(number, 4)
    return {"op": RANGE.name, "field": field_name, side: value}
