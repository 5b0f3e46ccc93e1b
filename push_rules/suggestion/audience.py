"""Where a policy says who it is for: the eligibility clauses conditions may be taken from, and nothing else.

In order of authority:

* **scope clauses** that speak for the whole document: 以上政策措施适用于…的中小微企业, 本政策措施的支持对象为…,
  本条例所称中小企业，是指…, 本市行政区域内的…适用本条例, a definition of the beneficiary the text keeps naming
  (港澳青年企业是指…);
* the **title**'s beneficiary (…支持中小微企业…若干措施, …民营企业发展促进条例, …工业企业复工复产…), unless the
  title announces an award or a recognition (认定, 评选 …: what is applied for is not a condition);
* **sections** headed 申报条件、申请条件、支持对象、适用范围、申请对象 … of a document with one such section;
* **measures**: the numbered items of an omnibus document and the beneficiary of each (对…企业给予…, …企业可申请…).

Sentences about other things (责任单位 lines, 物流设施, the measures of other beneficiaries) are never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SECTION_HEADS = (
    "申报条件", "申请条件", "申报对象", "申请对象", "支持对象", "扶持对象", "资助对象", "奖励对象", "补贴对象", "补助对象",
    "适用范围", "适用对象", "享受对象", "申报主体", "申报范围", "支持范围", "扶持范围", "认定条件", "基本条件", "服务对象",
)
_HEAD_LINE = re.compile(
    r"(?:^|\n|\s{2,}|[。；])\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|\d+[.、．]|第[一二三四五六七八九十]+[章条节])?\s*"
    r"(?P<head>" + "|".join(SECTION_HEADS) + r")\s*(?:[:：]|\n|\s)"
)
_NEXT_ITEM = re.compile(r"(?:\n|\s{2,}|[。；])\s*(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十]+[章条节])")
_SCOPE = re.compile(
    r"(?:以上|上述|本)(?:各项)?(?:政策措施|政策|措施|意见|办法|细则|条例|规定|通知|方案|指南|实施办法)[^。；]{0,12}?"
    r"(?:适用于|适用对象为|适用对象是|适用范围为|支持对象为|支持对象是|扶持对象为|服务对象为"
    # 本条例所称中小企业，是指…: a definition speaks for the document only when it defines who benefits
    r"|(?:中)?所(?:称|指)的?[“\"「]?[\u4e00-\u9fa5]{0,10}(?:企业|投资|市场主体|经营主体|纳税人|个体工商户))"
)
_SCOPE_HEAD = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)?\s*(?:支持|扶持|适用|服务|补贴|资助|奖励)(?:对象|范围)\s*(?:为|是|：|:)?")
_APPLIES = re.compile(r"适用本(?:条例|办法|规定|意见|细则|法)|参照本(?:条例|办法|规定|意见|细则|法)(?:执行|适用)|参照适用本(?:条例|办法|规定|法)")
_DEFINITION = re.compile(r"[“\"「]?(?P<noun>[\u4e00-\u9fa5]{2,10}企业)[”\"」]?(?:，|,)?(?:是指|指的是)")
_TITLE_WRAPPER = re.compile(r"^.*?(?:关于印发|关于转发|印发|转发|关于)|的通知$|的通告$|的公告$|的函$|的解读$|》$|《")
_TITLE_AWARD = re.compile(r"认定|评选|评定|遴选|推荐|申报|名单|入库|备案|评价")
_TITLE_BROAD = re.compile(r"企业等|等领域|等市场主体|和个体工商户")
# a sentence that grants something to a kind of enterprise: 对符合…的企业给予…, …企业可申请/享受…
_ADDRESSED = re.compile(
    r"对[^。；]{0,80}?(?:企业|单位|市场主体|经营主体|个体工商户|合作社|机构|纳税人|缴费人)[^。；]{0,60}?"
    r"(?:给予|予以|实行|实施|免征|减征|减按|减免|免收|补贴|补助|奖励|奖补|返还|贴息|支持|优先)"
    r"|(?:企业|单位|个体工商户|合作社|机构|纳税人|缴费人)[^，。；]{0,12}?(?:可|可以|均可|按规定)(?:申请|享受|向|按)"
)
_GENERIC = re.compile(
    r"(?:对|支持|鼓励|帮助)?(?:各类|全市|全省|全区|辖区|区内|市内|省内|相关|受疫情影响的?|受影响的?|符合条件的|困难)?"
    r"(?:企业|参保企业|用人单位|市场主体|经营主体|纳税人|缴费人|缴费单位|参保单位|单位)"
)
_NUMBERED = re.compile(r"(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,2}[.、．](?!\d))")
_MEASURE_SPLIT = re.compile(r"(?:^|\n|\s{2,}|[。；])\s*(?=(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,2}[.、．](?!\d)))")
_RESPONSIBLE = re.compile(r"[（(]?(?:责任单位|牵头单位|配合单位|责任部门|牵头部门)")
_RESPONSIBLE_NOTE = re.compile(r"[（(\[【](?:责任单位|牵头单位|配合单位|责任部门|牵头部门)[^）)\]】]{0,200}[）)\]】]")
# the addressees of a notice: 各区人力资源和社会保障局…，各经营性人力资源服务机构：
_SALUTATION = re.compile(r"(?:^|\s)(各[^：:。]{2,120}?)[：:]")
_SENTENCE_END = re.compile(r"[。；;！!\n]")


@dataclass
class Clause:
    """Sentences that state who a policy (or one of its measures) is for."""

    kind: str  # scope | title | section | measure
    sentences: list[str]
    heading: str = ""


@dataclass
class Audience:
    scope: list[Clause] = field(default_factory=list)
    title: Clause | None = None
    salutation: Clause | None = None
    sections: list[Clause] = field(default_factory=list)
    measures: list[Clause] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)  # 参照本条例执行: who else the document extends to
    defined: list[str] = field(default_factory=list)  # beneficiaries the text defines (港澳青年企业是指…)


def sentences(text: str) -> list[str]:
    """The text's sentences, without the 责任单位 notes that close measures."""
    text = _RESPONSIBLE_NOTE.sub("", text)
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip() and not _RESPONSIBLE.match(s.strip())]


class AudienceFinder:
    def find(self, text: str, title: str | None) -> Audience:
        text = text.replace("\r\n", "\n")
        audience = Audience()
        all_sentences = sentences(text)
        for sentence in all_sentences:
            clean = _RESPONSIBLE.split(sentence)[0]
            if _SCOPE.search(clean) or _SCOPE_HEAD.search(clean):
                audience.scope.append(Clause("scope", [clean]))
            elif _APPLIES.search(clean):
                if re.search(r"参照", clean):
                    audience.extensions.append(clean)
                else:
                    audience.scope.append(Clause("scope", [clean]))
        for match in _DEFINITION.finditer(text):
            noun = match.group("noun")
            if text.count(noun) >= 3 and not any(noun in s for c in audience.scope for s in c.sentences):
                audience.defined.append(noun)
                start = max(text.rfind("。", 0, match.start()), text.rfind("\n", 0, match.start())) + 1
                end = _SENTENCE_END.search(text, match.end())
                audience.scope.append(Clause("scope", [text[start : end.start() if end else len(text)].strip()]))
        salutation = _SALUTATION.search(text[:600])
        if salutation:
            audience.salutation = Clause("salutation", [salutation.group(1)])
        if title:
            core = _TITLE_WRAPPER.sub("", title.strip())
            if core and not _TITLE_AWARD.search(core) and not _TITLE_BROAD.search(core):
                audience.title = Clause("title", [core], heading=title)
        audience.sections = self._sections(text)
        audience.measures = self._measures(text)
        return audience

    @staticmethod
    def _sections(text: str) -> list[Clause]:
        found = []
        for match in _HEAD_LINE.finditer(text):
            body_start = match.end()
            following = _NEXT_ITEM.search(text, body_start + 5)
            end = following.start() if following else min(len(text), body_start + 800)
            body = text[body_start : min(end, body_start + 1200)]
            parts = [s for s in sentences(body) if not _RESPONSIBLE.match(s)]
            if parts:
                found.append(Clause("section", parts, heading=match.group("head")))
        return found

    @staticmethod
    def _measures(text: str) -> list[Clause]:
        measures = []
        for item in _MEASURE_SPLIT.split(text):
            item = item.strip()
            if len(item) < 12 or not _NUMBERED.match(item):  # the preamble, a bare heading
                continue
            heading = re.split(r"[。；\n]", item, maxsplit=1)[0][:40]
            # a measure that grants nothing to a named kind of enterprise is for enterprises at large
            measures.append(Clause("measure", [s for s in sentences(item) if _ADDRESSED.search(s)], heading=heading))
        if not measures:  # an unnumbered notice is one measure
            addressed = [s for s in sentences(text) if _ADDRESSED.search(s)]
            if addressed:
                measures.append(Clause("measure", addressed, heading=addressed[0][:40]))
        return measures


def generic_beneficiary(sentence: str) -> bool:
    """Whether a measure sentence is addressed to enterprises at large (企业, 参保企业, 纳税人 …) rather than a kind of them."""
    return bool(_GENERIC.search(sentence))
