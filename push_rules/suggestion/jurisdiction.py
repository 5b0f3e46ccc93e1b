"""The jurisdiction a policy applies in: the division enterprises must be registered in when the text gives no other.

Read, in this order, from the issuing authority (metadata ``issuer``: 北京市顺义区人民政府办公室 → 顺义区,
国家税务总局河南省税务局 → 河南省; 国务院、部委、全国人大 → national, no region condition), the title
(海陵区关于… under the document's region, 中华人民共和国…法 → national), the document's region from its metadata,
the signature and self-references of the text (全省/本市 with the divisions it names most). Each answer says where it
came from and how sure it is.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from push_rules.regions import Region, RegionTable, region_prefix

_ORGAN_SPLIT = re.compile(r"[\s、，,;；]+")
# an organ named without a region that is still local (省工业和信息化厅, 市商务局, 区政府…)
_LOCAL_ORGAN = re.compile(r"^(?:中共)?(?:省|市|区|县|州|盟|旗|自治区|本|我)")
_NATIONAL_ORGAN = re.compile(
    r"(?:国务院|全国人民代表大会|全国人大|中共中央|中央军事委员会|最高人民|中国人民银行|银保监会|银监会|证监会|保监会|"
    r"金融监管总局|国家\S{0,12}(?:局|委|委员会|署|院|办)|\S{1,10}部(?:办公厅)?$|总局$|总署$|海关总署|税务总局|国家发展改革委|国家发展和改革委员会)"
)
_NATIONAL_TITLE = re.compile(r"^\s*#?\s*(?:中华人民共和国|国务院|全国人民代表大会)")
# short names of China's four municipalities and Guangzhou as written in 在京注册, 来沪投资 …
ABBREVIATIONS = {"京": "110000", "津": "120000", "沪": "310000", "渝": "500000", "穗": "440100"}
# the short names official document numbers start with: 粤府〔2020〕12号, 鲁政办字〔2020〕18号, 筑府办发电〔2020〕5号
DOC_NUMBER_PREFIXES = {
    "京": "110000", "津": "120000", "沪": "310000", "渝": "500000", "冀": "130000", "晋": "140000", "蒙": "150000",
    "辽": "210000", "黑": "230000", "浙": "330000", "皖": "340000", "闽": "350000", "赣": "360000", "鲁": "370000",
    "豫": "410000", "鄂": "420000", "湘": "430000", "粤": "440000", "琼": "460000", "川": "510000", "黔": "520000",
    "滇": "530000", "藏": "540000", "陕": "610000", "陇": "620000",
    "穗": "440100", "筑": "520100", "榕": "350100", "甬": "330200", "蓉": "510100", "邕": "450100",
}  # 青、宁、新、云、吉、甘、苏、桂 also start city numbers (青岛, 南京/宁波, 云浮, 吉安, 甘孜, 苏州, 桂林): left out
_DOC_NUMBER = re.compile(r"(?:^|[^\u4e00-\u9fa5])([\u4e00-\u9fa5])[\u4e00-\u9fa5]{0,7}[〔\[［(（]\d{4}[〕\]］)）]\s*\d{1,4}\s*号")
_OUTSIDE_MAINLAND = ("710000", "810000", "820000")
_NATIONAL_SCOPE = re.compile(r"(?:本条例|本法|本办法|本规定|本细则)[^。]{0,40}(?:在中华人民共和国境内|在中国境内|全国范围内)")
_PROVINCE_WORDS = re.compile(r"全省|本省|我省|省委|省政府|省人民政府")
_CITY_WORDS = re.compile(r"全市|本市|我市|市委|市政府|市人民政府")
_COUNTY_WORDS = re.compile(r"全县|本县|我县|县委|县政府|全区|本区|我区|区委|区政府")


@dataclass(frozen=True)
class Jurisdiction:
    """Where a policy applies: ``region`` (None: nationwide when ``national``, else unknown)."""

    region: Region | None
    national: bool
    source: str  # issuer | title | metadata | text | none
    confidence: float
    evidence: str

    @property
    def label(self) -> str:
        if self.region is not None:
            return self.region.full_name
        return "全国" if self.national else "（未识别地区）"


@lru_cache(maxsize=1)
def _names() -> list[tuple[str, str]]:
    """(name, code) for every province and prefecture, full and short names, longest first."""
    table = RegionTable.default()
    out: list[tuple[str, str]] = []
    for region in table.divisions():
        if not region.code.endswith("00"):
            continue
        out.append((region.name, region.code))
        short = _short(region.name)
        if short != region.name and len(short) >= 2:
            out.append((short, region.code))
    return sorted(out, key=lambda item: -len(item[0]))


def _short(name: str) -> str:
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "地区", "省", "市", "盟"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class JurisdictionReader:
    def __init__(self, regions: RegionTable | None = None) -> None:
        self.regions = regions or RegionTable.default()

    def place(self, text: str, within: Region | None = None) -> Region | None:
        """The most specific division ``text`` names: a full name, a county under ``within``, or a county name
        unique in China (修水县)."""
        found = self.regions.find_in_text(text)
        counties = re.findall(r"[\u4e00-\u9fa5]{1,8}?(?:自治县|自治旗|新区|县|区|旗|市)", text)
        best = found[0] if found else None
        for name in counties:
            for candidate in (name, name[-3:], name[-4:]):
                region = self._county(candidate, within or best)
                if region is not None and (best is None or len(region_prefix(region.code)) > len(region_prefix(best.code))):
                    if best is None or region.code.startswith(region_prefix(best.code)):
                        best = region
                        break
        return best

    def _county(self, name: str, within: Region | None) -> Region | None:
        if len(name) < 2:
            return None
        if within is not None:
            kids = self.regions.children_named(within.code, name)
            if kids:
                return kids[0]
        everywhere = self.regions.named(name)
        return everywhere[0] if len(everywhere) == 1 and not everywhere[0].code.endswith("00") else None

    def read(self, text: str, *, title: str | None = None, issuer: str | None = None, region_hint: str | None = None) -> Jurisdiction:
        hinted = self.regions.resolve_name(region_hint) if region_hint else None
        by_title = self._from_title(title, hinted) if title else None
        if issuer:
            found = self._from_issuer(issuer, hinted)
            if found is not None and found.national and len(_CITY_WORDS.findall(text)) + len(_PROVINCE_WORDS.findall(text)) >= 2:
                found = None  # a national issuer does not write 我市/本省: the issuer was misread
            if found is not None:
                # a city's regulation approved by its province, a national decision on one province: the title's
                # division, when it lies inside the issuer's, is where the document applies
                if by_title is not None and by_title.region is not None and (
                    found.national or (found.region is not None and by_title.region.code != found.region.code
                                       and by_title.region.code.startswith(region_prefix(found.region.code)))
                ):
                    return by_title
                return found
        heading = title or text[:120]
        if _NATIONAL_TITLE.search(heading) or _NATIONAL_TITLE.search(text[:60]):
            return Jurisdiction(None, True, "title", 0.85, heading.strip()[:80])
        if by_title is not None:
            return by_title
        if hinted is not None:
            return Jurisdiction(hinted, False, "metadata", 0.7, region_hint or "")
        numbered = self._from_doc_number(f"{title or ''} {text[:400]}")
        if numbered is not None:
            return numbered
        return self._from_text(text)

    def _from_doc_number(self, head: str) -> Jurisdiction | None:
        """The division a document number's short name stands for (黔发改服务〔2020〕 → 贵州省)."""
        for match in _DOC_NUMBER.finditer(head):
            if "》" in head[max(0, match.start() - 12) : match.start() + 1]:  # the number of a cited document
                continue
            code = DOC_NUMBER_PREFIXES.get(match.group(1))
            if code is not None:
                return Jurisdiction(self.regions.get(code), False, "text", 0.65, match.group(0).strip())
        return None

    def _from_title(self, title: str, hinted: Region | None) -> Jurisdiction | None:
        organ = re.split(r"关于|印发|转发|发出|部署|开展|公布|发布|出台|推出|召开", title.strip())[0]
        if organ and self.place(organ, hinted) is None and not _LOCAL_ORGAN.search(organ) and _NATIONAL_ORGAN.search(organ):
            return Jurisdiction(None, True, "title", 0.8, title.strip()[:80])
        # a web page's title ends with its site (…清单-广州市人民政府门户网站): the document's part comes first
        for piece in [p for p in re.split(r"\s*[-—_|｜]\s*", title) if p] + [title]:
            region = self.place(re.split(r"关于|印发|转发", piece)[0] or piece, hinted) or self.place(piece, hinted)
            if region is not None:
                return Jurisdiction(region, False, "title", 0.85, title.strip()[:80])
        return None

    def _from_issuer(self, issuer: str, hinted: Region | None) -> Jurisdiction | None:
        organs = [o for o in _ORGAN_SPLIT.split(issuer) if o]
        national = False
        for organ in organs:
            region = self.place(organ, hinted)
            if region is not None:
                return Jurisdiction(region, False, "issuer", 0.9, organ)
            if not _LOCAL_ORGAN.search(organ) and _NATIONAL_ORGAN.search(organ):
                national = True
        if national:
            return Jurisdiction(None, True, "issuer", 0.9, issuer)
        return None

    def _from_text(self, text: str) -> Jurisdiction:
        tail = text[-250:]
        signature = self.place(tail)
        if signature is not None and signature.code.endswith("00") and signature.code[:2] + "0000" not in _OUTSIDE_MAINLAND:
            return Jurisdiction(signature, False, "text", 0.55, tail.strip()[-60:])
        scope = _NATIONAL_SCOPE.search(text)
        if scope:
            return Jurisdiction(None, True, "text", 0.7, _sentence_at(text, scope.start()))
        for abbreviation, code in ABBREVIATIONS.items():
            match = re.search(rf"(?:在|来|驻|留|返)({abbreviation})(?:注册|登记|设立|投资|发展|工作|就业|创业|经营|企业)", text)
            if match:
                return Jurisdiction(self.regions.get(code), False, "text", 0.6, _sentence_at(text, match.start()))
        counts: Counter[str] = Counter()
        for name, code in _names():
            if code in _OUTSIDE_MAINLAND:  # named as investors' origin, never as where a mainland policy applies
                continue
            hits = text.count(name)
            if hits:
                counts[code] += hits
                text = text.replace(name, "　" * len(name))  # a full name is not counted again as its short name
        if not counts:
            return Jurisdiction(None, False, "none", 0.0, "")
        provinces: Counter[str] = Counter()
        for code, n in counts.items():
            provinces[code[:2] + "0000"] += n
        province = provinces.most_common(1)[0][0]
        cities = Counter({c: n for c, n in counts.items() if c.startswith(province[:2]) and not c.endswith("0000")})
        province_words, city_words, county_words = (len(w.findall(text)) for w in (_PROVINCE_WORDS, _CITY_WORDS, _COUNTY_WORDS))
        if county_words > max(province_words, city_words):
            counties: Counter[str] = Counter()
            for match in re.findall(r"[\u4e00-\u9fa5]{2,5}(?:县|区|旗)", text):
                for name in (match[-3:], match[-4:], match[-2:]):
                    region = self._county(name, self.regions.get(province))
                    if region is not None:
                        counties[region.code] += 1
                        break
            if counties and counties.most_common(1)[0][1] >= 2:
                return Jurisdiction(self.regions.get(counties.most_common(1)[0][0]), False, "text", 0.5, "正文中多次提及")
        level_province = province_words >= city_words
        if cities and not level_province:
            return Jurisdiction(self.regions.get(cities.most_common(1)[0][0]), False, "text", 0.5, "正文中多次提及")
        return Jurisdiction(self.regions.get(province), False, "text", 0.5, "正文中多次提及")


def _sentence_at(text: str, position: int) -> str:
    start = max(text.rfind("。", 0, position), text.rfind("\n", 0, position)) + 1
    end_match = re.compile(r"[。\n]").search(text, position)
    return text[start : end_match.end() if end_match else len(text)].strip()[:200]
