"""Issuers named in full: 「省发展改革委」 in a 贵州 document is 贵州省发展和改革委员会, 「市政府」 in a 南京 one
南京市人民政府; a law's organ when no line names it (…法 → 全国人民代表大会常务委员会, a national 条例 → 国务院)."""

from __future__ import annotations

import re

from ingestion.metadata.patterns import CJK
from policy.gazetteer import Gazetteer

# Official short forms and their full names; the lookaheads keep a full name from being expanded twice.
_SHORT_FORMS = (
    (re.compile(r"发展改革委(?!员会)"), "发展和改革委员会"),
    (re.compile(r"人力资源社会保障"), "人力资源和社会保障"),
    (re.compile(r"住房城乡建设"), "住房和城乡建设"),
    (re.compile(r"卫生健康委(?!员会)"), "卫生健康委员会"),
    (re.compile(r"市场监管局"), "市场监督管理局"),
    (re.compile(r"(?<!人民)政府(?=$|办公厅|办公室)"), "人民政府"),
)
_LEVELS = ("自治区", "自治州", "省", "市", "区", "县", "州", "盟", "旗")


def full_name(organ: str) -> str:
    for pattern, full in _SHORT_FORMS:
        organ = pattern.sub(full, organ)
    return organ


def expand_issuer(issuer: str, text: str, region: str | None, gazetteer: Gazetteer) -> str:
    """Each organ of ``issuer`` (joined by spaces) with its short form spelled out and, when it starts with a bare
    level word (省…, 市…), the jurisdiction's name in front: as the text prints it in full, else from ``region``."""
    return " ".join(_expand_one(organ, text, region, gazetteer) for organ in issuer.split(" ") if organ)


def _expand_one(organ: str, text: str, region: str | None, gazetteer: Gazetteer) -> str:
    level = next((lv for lv in _LEVELS if organ.startswith(lv)), None)
    if level is None or organ.startswith("市场"):
        return full_name(organ)
    tail = full_name(organ)[len(level) :]
    for m in re.finditer(rf"([{CJK}]{{1,8}}?){level}(?:{re.escape(tail)}|{re.escape(organ[len(level):])})", text):
        candidate = m.group(1) + level
        hits = gazetteer.places_in(candidate)
        if hits and hits[-1][2] == len(candidate):
            return candidate[hits[-1][1] :] + tail
    if region:
        for name, _, _, _ in gazetteer.places_in(region):
            if name.endswith(level):
                return name + tail
    return level + tail


def law_issuer(title: str | None, has_place: bool) -> str | None:
    """The organ that makes a national law or regulation whose text names none (a law file without header lines)."""
    if not title or has_place:
        return None
    if re.fullmatch(rf"中华人民共和国[{CJK}]{{1,30}}法", title):
        return "全国人民代表大会常务委员会"
    if re.fullmatch(rf"[{CJK}（）《》]{{2,40}}(?:条例|实施细则)", title) and not title.startswith("关于"):
        return "国务院"
    return None
