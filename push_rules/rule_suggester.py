"""Suggest eligibility conditions from a policy's own words, for staff to confirm.

Only the passages that state who may apply are read: sections introduced by 申报条件、支持对象、适用范围 and
similar headings (else sentences that speak of 企业 with a condition cue). From them, pattern rules pick out
the region (注册地/辖区, 本市 → the document's region), enterprise size (中小微企业…), years since
establishment, revenue and employee thresholds, qualifications and industries. Every suggested condition
carries the sentence it was read from. Nothing is saved: the staff member confirms or edits the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from push_rules.regions import Region, RegionTable
from push_rules.rule_ops import HAS_QUALIFICATION, IN, INDUSTRY_PREFIX, RANGE, REGION_WITHIN, RULE_OPS, YEARS_SINCE

SECTION_HEADS = (
    "申报条件", "申请条件", "申报对象", "申请对象", "支持对象", "扶持对象", "资助对象", "奖励对象", "补贴对象", "补助对象",
    "适用范围", "适用对象", "享受对象", "申报主体", "申报范围", "支持范围", "扶持范围", "实施范围", "认定条件", "基本条件",
)
_HEAD_RE = re.compile("(?:" + "|".join(SECTION_HEADS) + ")")
# the start of the next numbered heading ends a section
_NEXT_HEAD = re.compile(r"\n\s*(?:第[一二三四五六七八九十百]+[章条节]|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.、．])")
_SENTENCE_END = re.compile(r"[。；;！!\n]")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "半": 0.5}
_NUM = r"(\d+(?:\.\d+)?|[一二两三四五六七八九十半]+)"

_SIZE_PATTERNS: list[tuple[re.Pattern[str], list[str]]] = [
    (re.compile(r"中小微企业|中小微型企业"), ["medium", "small", "micro"]),
    (re.compile(r"(?<![中])小微企业|小型微型企业|小微型企业"), ["small", "micro"]),
    (re.compile(r"(?<!科技型)(?<!创新型)(?<!专精特新)中小企业(?!促进|发展专项|服务|公共服务|款项|局|工作)"), ["medium", "small", "micro"]),
    (re.compile(r"(?<![小中])微型企业"), ["micro"]),
]
_QUALIFICATION_PATTERNS: dict[str, re.Pattern[str]] = {
    "high_tech": re.compile(r"(?<!非)高新技术企业(?!培育)"),
    "tech_sme": re.compile(r"科技型中小企业"),
    "innovative_sme": re.compile(r"创新型中小企业"),
    "srdi_sme": re.compile(r"专精特新[”\"」]?(?:中小)?企业"),
    "little_giant": re.compile(r"小巨人"),
    "gazelle": re.compile(r"瞪羚"),
    "unicorn": re.compile(r"独角兽"),
    "advanced_tech_service": re.compile(r"技术先进型服务企业"),
    "enterprise_tech_center": re.compile(r"企业技术中心"),
    "agri_leading": re.compile(r"农业产业化(?:国家|省级|市级)?(?:重点)?龙头企业"),
}
_INDUSTRY_PATTERNS: list[tuple[re.Pattern[str], list[str]]] = [
    (re.compile(r"工业企业|规模以上工业|规上工业"), ["B", "C", "D"]),
    (re.compile(r"制造业|制造企业|生产型企业|生产企业"), ["C"]),
    (re.compile(r"软件(?:和信息技术服务|企业|开发)"), ["I65"]),
    (re.compile(r"集成电路"), ["C397", "I652"]),
    (re.compile(r"互联网企业|平台企业"), ["I64"]),
    (re.compile(r"电信企业"), ["I631"]),
    (re.compile(r"批发(?:和|、)?零售|批零|商贸流通|商贸企业"), ["F"]),
    (re.compile(r"(?<!批发和)(?<!批发、)(?<!批发)零售(?:企业|业|、|行业)"), ["F52"]),
    (re.compile(r"外贸企业|进出口企业|外贸出口企业"), ["F51"]),
    (re.compile(r"住宿|餐饮|酒店"), ["H"]),
    (re.compile(r"交通运输|物流|运输企业|民航|货运"), ["G"]),
    (re.compile(r"旅游|旅行社"), ["L7291"]),
    (re.compile(r"教育培训|培训机构"), ["P"]),
    (re.compile(r"文艺演出|影视|演出|文化企业|剧院|影院"), ["R"]),
    (re.compile(r"建筑(?:业|企业)"), ["E"]),
    (re.compile(r"房地产开发企业|房地产企业"), ["K701"]),
    (re.compile(r"物业(?:服务|管理)企业"), ["K702"]),
    (re.compile(r"家政"), ["O80"]),
    (re.compile(r"农业企业|农业经营主体|养殖|种植|三农|农民专业合作社"), ["A"]),
    (re.compile(r"科技服务|研发机构"), ["M"]),
]
_BENEFICIARY = re.compile(r"企业|单位|市场主体|经营主体|个体工商户|合作社")
_BENEFIT = re.compile(r"给予|补贴|补助|奖励|奖补|扶持|支持|减免|免征|减征|减按|返还|贴息|享受|可申请|申报|认定|优惠|降低|免收|减半|延期|缓缴")
_REGION_PATTERNS = [
    re.compile(r"(?:在|于|对)(?P<place>[\u4e00-\u9fa5]{2,14}?)(?:行政区域|辖区|区域|范围|境)内"),
    re.compile(r"(?:在|于)(?P<place>[\u4e00-\u9fa5]{2,14}?)(?:创办|完成|依法|进行)?(?:工商)?(?:登记)?(?:注册|登记|设立|落户)"),
    re.compile(r"(?:注册地|注册登记地|登记地)(?:在|为|位于)(?P<place>[\u4e00-\u9fa5]{2,14})"),
]
# names of the facts :meth:`Suggestion.atoms` lists, by field
_ATOM_NAMES = {"region": "region", "size": "size", "qualifications": "qual", "industry": "industry", "established_on": "years", "annual_revenue": "revenue"}
_LOCAL_REGISTERED = re.compile(r"(?:本|我)(?:省|自治区|市|区|县|旗)(?:行政区域内|辖区内|范围内)?(?:依法)?(?:登记|注册|设立)")


def parse_number(text: str) -> float:
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if text == "十":
        return 10.0
    if "十" in text:
        tens, _, ones = text.partition("十")
        return float((_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0))
    total = 0.0
    for ch in text:
        total = total * 10 + _CN_DIGITS.get(ch, 0) if ch != "半" else total + 0.5
    return total


@dataclass
class Suggestion:
    conditions: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def rule(self) -> dict[str, Any]:
        return {"all": self.conditions}

    def add(self, condition: dict[str, Any], evidence: str) -> None:
        if condition not in self.conditions:
            self.conditions.append(condition)
            self.evidence.append(evidence.strip()[:200])

    def atoms(self) -> set[str]:
        """Flat facts for precision/recall: ``region:150100``, ``size:small``, ``revenue_min:2000`` …"""
        out: set[str] = set()
        for leaf in self.conditions:
            op = RULE_OPS[leaf["op"]]
            fieldname = leaf.get("field") or op.implied_field or ""
            name = _ATOM_NAMES.get(fieldname, fieldname)
            if op.bounds:
                out |= {f"{name}_{bound}:{leaf[bound]:g}" for bound in ("min", "max") if bound in leaf}
            else:
                values = leaf["value"] if isinstance(leaf["value"], list) else [leaf["value"]]
                out |= {f"{name}:{v}" for v in values}
        return out


class RuleSuggester:
    """Read 申报条件-style passages and propose conditions.

    >>> RuleSuggester().suggest("一、申报条件\\n（一）在呼和浩特市注册，成立满2年的中小企业。", region_hint=None).atoms()
    {'region:150100', 'size:medium', 'size:small', 'size:micro', 'years_min:2'}
    """

    def __init__(self) -> None:
        self.regions = RegionTable.default()

    def condition_passages(self, text: str) -> list[str]:
        passages = []
        for match in _HEAD_RE.finditer(text):
            start = match.start()
            rest = text[match.end() : match.end() + 1500]
            following = _NEXT_HEAD.search(rest[5:]) if "\n" in rest[:40] else None
            # a heading line: take the section body until the next heading of the same kind; inline: the sentence
            if following is not None and re.search(r"[:：]?\s*\n", rest[:40]):
                end = match.end() + 5 + following.start()
                body = text[start:end]
                # a section whose body is a numbered list: keep the whole list
                if len(body) < 60:
                    body = text[start : match.end() + 800]
            else:
                end_match = re.search(r"[。\n]", rest)
                body = text[start : match.end() + (end_match.end() if end_match else len(rest))]
                if len(body) < 40:
                    body = text[start : match.end() + 600]
            passages.append(body)
        # and every clause that names who benefits: 对…企业…给予/补贴/奖励…, …企业可申请/享受…
        passages.extend(s for s in _sentences(text) if _BENEFICIARY.search(s) and _BENEFIT.search(s))
        return passages

    def suggest(self, text: str, region_hint: str | None = None) -> Suggestion:
        suggestion = Suggestion()
        passages = self.condition_passages(text.replace("\r\n", "\n"))
        for passage in passages:
            for sentence in _sentences(passage):
                self._region(sentence, region_hint, suggestion)
                self._size(sentence, suggestion)
                self._years(sentence, suggestion)
                self._threshold(sentence, suggestion, "annual_revenue", r"(?:营业收入|主营业务收入|销售收入|营收|销售额)", money=True)
                self._threshold(sentence, suggestion, "employees", r"(?:从业人员|职工|员工|用工|就业人员|在岗人数|参保人数)(?:人数|总数)?", money=False)
                self._headcount(sentence, suggestion)
                for slug, pattern in _QUALIFICATION_PATTERNS.items():
                    if pattern.search(sentence):
                        suggestion.add({"op": HAS_QUALIFICATION.name, "value": slug, "label": None}, sentence)
                for pattern, prefixes in _INDUSTRY_PATTERNS:
                    if pattern.search(sentence):
                        suggestion.add({"op": INDUSTRY_PREFIX.name, "value": prefixes, "label": None}, sentence)
        return self._tidy(suggestion)

    def _tidy(self, suggestion: Suggestion) -> Suggestion:
        """Merge the values of any-of conditions of one op and field into one condition (regions, sizes, qualifications, industries)."""
        tidy = Suggestion()
        merged: dict[tuple[str, str], tuple[list[str], str]] = {}
        for leaf, evidence in zip(suggestion.conditions, suggestion.evidence):
            leaf = {k: v for k, v in leaf.items() if v is not None}
            op = leaf["op"]
            if RULE_OPS[op].any_of:
                key = (op, leaf.get("field", ""))
                values = leaf["value"] if isinstance(leaf["value"], list) else [leaf["value"]]
                current, ev = merged.get(key, ([], evidence))
                merged[key] = (current + [v for v in values if v not in current], ev)
            else:
                tidy.add(leaf, evidence)
        for (op, fieldname), (values, evidence) in merged.items():
            leaf: dict[str, Any] = {"op": op, "value": values}
            if fieldname:
                leaf["field"] = fieldname
            if op == REGION_WITHIN.name:
                # keep the most specific regions only (a city named with its province: the city)
                values = [v for v in values if not any(o != v and o.startswith(v.rstrip("0")) for o in values)]
                leaf["value"] = values
            tidy.add(leaf, evidence)
        pairs = sorted(zip(tidy.conditions, tidy.evidence), key=lambda p: RULE_OPS[p[0]["op"]].suggest_rank)
        return Suggestion([p[0] for p in pairs], [p[1] for p in pairs])

    def _region(self, sentence: str, region_hint: str | None, suggestion: Suggestion) -> None:
        hinted = self.regions.resolve_name(region_hint) if region_hint else None
        for pattern in _REGION_PATTERNS:
            for match in pattern.finditer(sentence):
                region = self._place(match.group("place"), hinted)
                if region is not None:
                    suggestion.add({"op": REGION_WITHIN.name, "value": [region.code]}, sentence)
                    return
        if hinted is not None and _LOCAL_REGISTERED.search(sentence):
            suggestion.add({"op": REGION_WITHIN.name, "value": [hinted.code]}, sentence)

    def _place(self, place: str, hinted: Region | None) -> Region | None:
        """The division a place phrase names; a bare county name is looked up under the document's own region."""
        found = self.regions.find_in_text(place)
        if found:
            return found[0]
        if hinted is not None:
            for region in self.regions.children_named(hinted.code, place):
                return region
        return None

    def _size(self, sentence: str, suggestion: Suggestion) -> None:
        for pattern, sizes in _SIZE_PATTERNS:
            if pattern.search(sentence):
                suggestion.add({"op": IN.name, "field": "size", "value": sizes}, sentence)
                return

    def _years(self, sentence: str, suggestion: Suggestion) -> None:
        for match in re.finditer(rf"(?:成立|注册|设立|经营|运营)(?:时间)?(?:已|须|应)?(满|超过|不少于|不足|未满|不超过|在)?{_NUM}(个月|个?周?年)(以上|及以上|以内|以下|内|\(含\)|（含）)?", sentence):
            lead, number, unit, tail = match.group(1) or "", parse_number(match.group(2)), match.group(3), match.group(4) or ""
            if unit == "个月":
                if number % 12:
                    continue
                number /= 12
            if number <= 0 or number > 50:
                continue
            if lead in ("不足", "未满", "不超过") or tail in ("以内", "以下", "内"):
                suggestion.add({"op": YEARS_SINCE.name, "max": number}, sentence)
            elif lead or tail:
                suggestion.add({"op": YEARS_SINCE.name, "min": number}, sentence)

    def _headcount(self, sentence: str, suggestion: Suggestion) -> None:
        """Head counts written before the noun: 30人（含）以下小微企业, 不少于1名员工."""
        for match in re.finditer(rf"{_NUM}人(?:（含）|\(含\))?(以下|以上)的?(?:小微企业|小型企业|参保企业|企业)", sentence):
            bound = "max" if match.group(2) == "以下" else "min"
            suggestion.add({"op": RANGE.name, "field": "employees", bound: parse_number(match.group(1))}, sentence)
        for match in re.finditer(rf"(不少于|至少)({_NUM[1:-1]})[名个]?(?:员工|职工|从业人员)", sentence):
            suggestion.add({"op": RANGE.name, "field": "employees", "min": parse_number(match.group(2))}, sentence)

    def _threshold(self, sentence: str, suggestion: Suggestion, field_name: str, subject: str, *, money: bool) -> None:
        unit = r"(亿元|万元|千万元|元)" if money else r"(人|名)"
        pattern = re.compile(rf"{subject}[^，。；\d一二三四五六七八九十]{{0,12}}?(达到|超过|不低于|不少于|不超过|低于|少于|在)?{_NUM}{unit}(以上|及以上|以下|以内|（含）|\(含\))?")
        for match in pattern.finditer(sentence):
            lead, number, unit_text, tail = match.group(1) or "", parse_number(match.group(2)), match.group(3), match.group(4) or ""
            if money:
                number *= {"亿元": 10000, "千万元": 1000, "万元": 1, "元": 0.0001}[unit_text]
            upper = lead in ("不超过", "低于", "少于") or tail in ("以下", "以内")
            lower = lead in ("达到", "超过", "不低于", "不少于") or tail in ("以上", "及以上")
            if upper == lower:
                continue
            bound = "max" if upper else "min"
            suggestion.add({"op": RANGE.name, "field": field_name, bound: number}, sentence)


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


__all__ = ["RuleSuggester", "Suggestion", "parse_number"]
