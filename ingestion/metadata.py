"""Metadata of one Chinese official document, each value with the span of text it was read from.

``PolicyMetadataExtractor().extract(text)`` reads the title, the issuing organ (发文机关), the document's own
number (发文字号), its dates (成文/发布/施行/失效), its validity, the region it governs and policy-type tags
from the plain text a reader produced (notices, laws as Markdown-ish text, single-line NCP texts, web pages).
Everything is pattern-based and fast (about a millisecond per document); nothing is guessed from outside the
text except what the caller passes as ``title_hint``/``file_name``.

Example::

    meta = PolicyMetadataExtractor().extract(text, file_name="呼和浩特市数字政府建设实施方案.txt")
    meta.issuer                     # "呼和浩特市人民政府"
    meta.written_date               # date(2024, 12, 30)
    meta.evidence["written_date"]   # Evidence(text="2024年12月30日", start=..., end=...)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from ingestion.types import Evidence, PolicyMetadata, ValidityStatus, current_status

# slug -> (Chinese label, keywords). A keyword in the title counts TITLE_WEIGHT times one in the body.
POLICY_TAGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "subsidy": ("资金补贴", ("补贴", "补助", "奖补", "奖励资金", "专项资金", "资金支持", "资助", "贴息", "消费券", "津贴", "奖励")),
    "tax": ("税费优惠", ("减税", "免税", "税收优惠", "税费", "增值税", "所得税", "退税", "免征", "减征", "缓缴", "减免", "契税", "税收")),
    "finance": ("金融信贷", ("贷款", "信贷", "融资", "担保", "金融机构", "银行", "利率", "续贷", "金融服务", "上市公司", "债券")),
    "talent": ("人才", ("人才", "高层次人才", "引进人才", "人才引进", "博士", "专家", "人才公寓", "入户")),
    "employment": ("就业创业", ("就业", "创业", "失业", "招聘", "职业培训", "见习", "稳岗", "劳动合同", "劳动者", "用工")),
    "innovation": ("科技创新", ("科技创新", "科技", "研发", "高新技术", "科研", "知识产权", "成果转化", "专利", "创新")),
    "sme": ("中小企业", ("中小企业", "小微企业", "中小微企业", "个体工商户", "民营企业", "民营经济", "市场主体")),
    "business_environment": ("营商环境", ("营商环境", "放管服", "审批", "一网通办", "政务服务", "证照", "办事", "便利化", "登记")),
    "digital_government": ("数字政府", ("数字政府", "政务数据", "数据共享", "电子政务", "政务信息", "大数据", "数字化", "政务云", "一网通办", "互联网+", "数据资源")),
    "social_assistance": ("社会救助", ("社会救助", "最低生活保障", "低保", "特困", "临时救助", "救助", "残疾人", "养老服务", "优待", "困难群众", "老年人")),
    "housing": ("住房保障", ("住房保障", "公共租赁住房", "公租房", "保障性住房", "住房公积金", "公积金", "租赁补贴", "住房", "房地产", "购房", "商品房")),
    "education": ("教育", ("教育", "学校", "招生", "入学", "学位", "学生", "教师", "幼儿园", "义务教育")),
    "healthcare": ("医疗卫生", ("医疗", "医保", "医院", "卫生健康", "家庭医生", "诊疗", "药品", "护理", "医疗保障", "卫生")),
    "epidemic": ("疫情防控", ("疫情", "新型冠状病毒", "新冠", "肺炎", "疫情防控", "传染病", "隔离", "口罩", "复工复产", "防疫")),
    "agriculture": ("农业农村", ("农业", "农村", "农民", "乡村振兴", "粮食", "种植", "畜牧", "农产品", "耕地", "渔业")),
    "industry": ("产业发展", ("产业", "制造业", "工业", "产业链", "产业集群", "园区", "工业互联网", "招商引资", "数字经济", "项目建设")),
}
TITLE_WEIGHT = 4
MAX_TEXT_FIELD_CHARS = 300  # title, issuer, doc_number, region as a person corrects them (form or catalog)


def corrected_value_problems(values: Mapping[str, Any]) -> list[str]:
    """What is wrong with metadata values a person gives (the staff form, a catalog row), in Chinese: text over
    MAX_TEXT_FIELD_CHARS, unknown tags, an expiry date before the effective date. Only the given fields are checked."""
    problems = []
    unknown = [tag for tag in values.get("tags") or () if tag not in POLICY_TAGS]
    if unknown:
        problems.append(f"未知的政策类型：{'、'.join(unknown)}")
    effective, expiry = values.get("effective_date"), values.get("expiry_date")
    if effective and expiry and expiry < effective:
        problems.append("失效日期不能早于施行日期")
    for name in ("title", "issuer", "doc_number", "region"):
        if len(values.get(name) or "") > MAX_TEXT_FIELD_CHARS:
            problems.append(f"{name} 过长（上限 {MAX_TEXT_FIELD_CHARS} 字）")
    return problems

# ---------------------------------------------------------------------------------------------------------
# Patterns (compiled once at import; no other work at import time).

_CJK = "\u3400-\u9fff"
_WS = "\\s\u200b-\u200d\ufeff"  # \s covers the ideographic space and no-break space
_STRIP = " \t\r\n\u3000\xa0\u2002\u2003\u200b\u200c\u200d\ufeff"
_CN_DIGIT = "〇○零Ｏ一二三四五六七八九"
_CN_SMALL = "一二三四五六七八九十"

# No lookbehinds (they make the scan 5x slower): ``_date_matches`` drops matches glued to a preceding digit.
_DATE_RE = re.compile(
    r"(?P<y>\d{4})[ \t\u3000]*年[ \t\u3000]*(?P<m>\d{1,2})[ \t\u3000]*月[ \t\u3000]*(?P<d>\d{1,2})(?:[ \t\u3000]*日|(?!\d))"
    r"|(?P<iy>\d{4})(?P<sep>[-./])(?P<im>\d{1,2})(?P=sep)(?P<id>\d{1,2})(?:(?![\d.])|(?=\d{1,2}:\d))"
    rf"|(?P<cy>[{_CN_DIGIT}]{{4}})[ \t\u3000]*年[ \t\u3000]*(?P<cm>[{_CN_SMALL}]{{1,3}})[ \t\u3000]*月"
    rf"[ \t\u3000]*(?P<cd>[{_CN_SMALL}]{{1,3}})[ \t\u3000]*日"
)

# 发文字号: X〔2020〕12号 with any bracket pair, 令第N号, …公告2020年第9号.
_BRACKET_NUMBER_RE = re.compile(
    rf"(?P<prefix>[{_CJK}]{{1,16}})[ \t\u3000]*[〔\[［（(【﹝](?P<year>\d{{4}})[〕\]］）)】﹞][ \t\u3000]*"
    r"(?P<no>第?[ \t\u3000]*\d{1,5})[ \t\u3000]*号"
)
_ORDER_NUMBER_RE = re.compile(
    rf"(?P<prefix>[{_CJK}]{{1,40}}?令)\s*(?P<no>第[ \t\u3000]*(?:\d{{1,4}}|[{_CN_SMALL}百零〇]{{1,6}})|\d{{1,4}})[ \t\u3000]*号"
)
_NOTICE_NUMBER_RE = re.compile(
    rf"(?P<prefix>[{_CJK}]{{2,30}}(?:[ 、\u3000][{_CJK}]{{2,30}}){{0,4}}公告)[ \t\u3000]*(?P<year>\d{{4}})[ \t\u3000]*年[ \t\u3000]*"
    r"第[ \t\u3000]*(?P<no>\d{1,4})[ \t\u3000]*号"
)
# The fixed ends of the three number shapes: found first, then the full pattern is matched just before them.
_NUMBER_TAIL_RE = re.compile(
    r"[〔\[［（(【﹝]\d{4}[〕\]］）)】﹞][ \t\u3000]*第?[ \t\u3000]*\d{1,5}[ \t\u3000]*号"
    r"|公告[ \t\u3000]*\d{4}[ \t\u3000]*年[ \t\u3000]*第[ \t\u3000]*\d{1,4}[ \t\u3000]*号"
    rf"|令\s*(?:第[ \t\u3000]*(?:\d{{1,4}}|[{_CN_SMALL}百零〇]{{1,6}})|\d{{1,4}})[ \t\u3000]*号"
)
# A number's prefix ends the title it is glued to: keep only what follows the last of these.
_ORDER_PREFIX_CUT_RE = re.compile(r".*(?:通知|意见|办法|决定|通告|公告|方案|规定|细则|批复|条例|报告|的|根据|按照|依据|转发|印发)")
# A 〔〕 number's prefix is an abbreviation (穗府办规): an organ's full name before it is a letterhead too.
_PREFIX_CUT_RE = re.compile(_ORDER_PREFIX_CUT_RE.pattern + r"|.*(?:文号|字号|文件|人民政府|办公厅|办公室|委员会|是指)")
_CITING_WORDS_RE = re.compile(r"根据|按照|依据|依照|落实|贯彻|参照|遵照|对照|执行|详见|参见|见|经|延续|对|《")
_CITED_AFTER_RE = re.compile(r"^[)）\]］〕》 \t\u3000]*(?:精神|要求|规定|文件|通知|印发|的|等|和|及|、|《|，|有关|第)")
_NUMBER_LABEL_RE = re.compile(r"(?:发文字号|文\s*号|发文号|文件编号)\s*[:：]?\s*$")

_ORGAN_END = (
    r"(?:人民政府|政府|办公厅|办公室|委员会|领导小组|指挥部|工作组|管委会|联防联控机制|委|局|部|厅|署|院|会|中心|办|行|公司|集团|"
    r"协会|联合会|党组|总队|支队|所|处|站|社|小组|机构|研究院|法院|检察院|分局)"
)
_ORGAN_RE = re.compile(
    rf"(?!各|本|由|经|请|对|在|按|为|据|现|我|你|该|其|以)[{_CJK}（）()“”\"·、 \u3000]{{1,80}}?{_ORGAN_END}"
    rf"(?:[\s、]+[{_CJK}（）()·]{{1,40}}?{_ORGAN_END})*(?:等[\d{_CN_SMALL}]*个?部门)?"
)
_SENTENCE_PUNCT_RE = re.compile(r"[，。；！？：:,;!?]")
_TITLE_VERB_RE = re.compile(r"联合印发|关于|印发|转发")
_DOC_TYPE = (
    r"(?:通知|通告|公告|意见|办法|决定|规定|细则|条例|方案|规划|计划|措施|指南|指引|纲要|标准|目录|清单|答疑|倡议书|"
    r"公开信|批复|函|报告|守则|规则|规程|要点|说明|须知|制度|章程|法|决议|命令|通报|告知书|提示|声明|问答|解读|若干政策|"
    r"公示|名单|简介|详解|常见问题|安排|复函|意见稿|导则|举措)"
)
_TITLE_END_RE = re.compile(rf"{_DOC_TYPE}(?:[（(][^（）()\n]{{1,24}}[）)])*$")
_CHROME_RE = re.compile(
    r"^(?:【法宝引证码】|原文链接|https?://|www\.|当前位置|您现在的位置|您所在的位置|您当前所在的位置|首页\s*[>＞]|【字体|字体[:：]|关注\s*·|"
    r"索\s*引\s*号|主题分类|分享|打印|关闭|来源[:：]|发布(?:日期|时间|机构)|Title:|URL Source:|Markdown Content:|"
    r"-\s*-\s*-|[（(]此件|附件|扫一扫|【(?:字体|打印|关闭|音频解读|图解|视频解读|法宝)|!\[|\*|<!--|时\s*效\s*性|备案登记号|废止日期|标\s*题|文\s*号|成文日期|发文机关|"
    r"信息来源|浏览次数|访问量|责任编辑|字号|无障碍|繁体|简体|登录|注册|搜索|网站|政务公开|政府信息公开)"
)
_BODY_OPENINGS = ("各", "为", "根据", "按照", "近日", "日前", "据", "经", "现将", "本报", "记者")
_LEADING_NUMBER_RE = re.compile(rf"^[{_CJK}]{{1,12}}[〔\[［（(]\d{{4}}[〕\]］）)]第?\d{{1,5}}号[ \t\u3000]*(?=[{_CJK}])")
_NUMBERED_RE = re.compile(r"^(?:第[一二三四五六七八九十百]+[条章节]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|[①-⑳])")
_EXPLAINED_TITLE_RE = re.compile(r"《(?P<t>[^《》\n]{6,120})》(?:的)?(?:政策)?解读")
_TITLE_LABEL_RE = re.compile(r"(?:^|\n)[ \t\u3000]*(?:标\s*题|文件名称|名\s*称|Title)\s*[:：]\s*(?P<v>[^\n]{4,200})")
_ISSUER_LABEL_RE = re.compile(r"(?:发文机关|发布机关|发文单位|制定机关)\s*[:：]\s*(?P<v>[^\n]{2,80})")
_FIELD_LABEL_RE = re.compile(
    r"成文日期|发布日期|发文日期|文\s*号|标\s*题|索\s*引\s*号|主题分类|发文字号|时\s*效\s*性|废止日期|生效日期|备案登记号|"
    r"发布时间|[ \t\u3000]{2,}|\t"
)
_DATE_LABEL_RE = re.compile(
    r"(?=[成发印公生施实废失有日时])(?P<label>成文日期|发文日期|印发日期|发布日期|发布时间|公布日期|公开日期|生效日期|施行日期|实施日期|废止日期|失效日期|"
    r"有效期至|(?<![成发布公开生效施行实废止失])日\s*期|(?<![发布])时\s*间)\s*[:：]\s*"
)
_OWN_DOC_RE = re.compile(
    rf"本(?:{_DOC_TYPE}|文件|政策|实施细则|实施办法|实施方案|若干措施|管理办法|规范性文件|法规|规章)"
)
_EFFECTIVE_FROM_RE = re.compile(
    r"自(?P<when>发布|印发|公布|颁布|发文|下发|签发|公告|通告|发出)之日起?(?:[ \t\u3000]*(?:施行|执行|实施|生效))"
)
_EFFECTIVE_DATE_SUFFIX_RE = re.compile(r"^[ \t\u3000]*(?:起|开始)[ \t\u3000]*(?:施行|执行|实施|生效|试行)")
_VALID_FOR_RE = re.compile(
    rf"(?:有效期|试行期|实施期|执行期)(?:限)?(?:为|是)?[ \t\u3000]*(?P<n>\d{{1,2}}|[{_CN_SMALL}两]{{1,2}})[ \t\u3000]*(?P<unit>年|个月)"
)
_VALID_UNTIL_RE = re.compile(r"(?:有效期|执行期|试行期|实施期)(?:限)?(?:至|到|截至|截止到|截止至|截止)[ \t\u3000]*$")
_EXPIRES_SUFFIX_RE = re.compile(r"^[ \t\u3000]*(?:起)?(?:废止|失效|停止执行|停止施行|自行废止|自动失效)")
_STATUS_FIELD_RE = re.compile(r"(?:时\s*效\s*性|效力状态|时效状态)\s*[:：]?\s*(?P<v>已?废止|已?失效|现行有效|有效|尚未生效|尚未施行)")
_LAW_EVENT_RE = re.compile(r"(?:通过|修正|修订|公布|发布|批准|施行|颁布|印发)")
_LAW_SESSION_RE = re.compile(rf"第?[{_CN_SMALL}百零〇\d]+届|第[{_CN_SMALL}百零〇\d]+次.*$|\d{{4}}年第?")
_SITE_SUFFIX_RE = re.compile(r"\s*(?:[-_|｜－—]{1,2}|——)\s*[^-_|｜－—]*(?:网|网站|门户|平台|政府|人民政府|首页|官网)[^-_|｜－—]*$")
_TITLE_NOISE_RE = re.compile(r"^(?:[（(]转载[)）]|【[^】]{1,12}】|\[[^\]]{1,12}\])\s*")
_GENERIC_TITLES = frozenset({"通知公告", "政策文件", "正文", "首页", "详情", "文章详情", "政策法规", "信息公开", "新闻动态", "通知", "公告"})
_FILE_DATE_RE = re.compile(r"[（(](?P<d>\d{4}-\d{2}-\d{2})[)）]")
_FILE_STEM_NOISE_RE = re.compile(r"^\d+[a-z]?_|[（(](?:\d{4}-\d{2}-\d{2}|FBM-[^)）]*)[)）]")
# The first piece of an organ name broken over two lines: ends in a place or in a (typical) qualifier.
_ORGAN_FRAGMENT_RE = re.compile(r"^(?!特此|此复|此令)(?:.*(?:[省市区县州旗盟]|的|病毒|感染|肺炎|疫情)$)")
_AFTER_SIGNATURE_RE = re.compile(r"(?:责任编辑|编辑|来源|附件|抄送|印发|【|（此件|\(此件|[（(]星期.[）)])")
_RECORD_ROW_RE = re.compile(r"^\s*(?P<d>\d{4}-\d{2}-\d{2})(?: \d{2}:\d{2}:\d{2})? \| (?P<t>[^|\n]{2,200}?) \| ")
_INFO_END = "<!-- INFO END -->"

_MUNICIPALITIES = frozenset({"11", "12", "31", "50", "71", "81", "82"})
_HK_MACAO = frozenset({"81", "82"})
_HEAD_CHARS = 3000
_NUMBER_ZONE = 400
_TAG_SCAN_CHARS = 20000


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


@dataclass(frozen=True)
class _Found:
    """A value and where it was read; ``span`` is None when the value is not a span of the text."""

    value: object
    span: _Span | None = None


# ---------------------------------------------------------------------------------------------------------
# Gazetteer


@dataclass(frozen=True)
class _Place:
    code: str
    province: str  # two-digit province code
    prefecture: str | None  # six-digit prefecture code, None for a province itself


class Gazetteer:
    """Names of provinces, prefectures and some counties with GB/T 2260 codes (``ingestion/data/gazetteer.json``).

    ``region_in(text)`` turns the places a short string (a title, an issuer) names into a region string such as
    ``内蒙古自治区呼和浩特市`` or ``北京市``; several provinces give None.
    """

    def __init__(self, divisions: dict[str, str], aliases: dict[str, list[str]], ambiguous: list[str], stoplist: list[str]):
        self._names = dict(divisions)
        lookup: dict[str, str] = {}
        blocked = set(ambiguous)

        def add(name: str, code: str, *, weak: bool = False) -> None:
            if not name or name in blocked:
                return
            if weak and name in lookup:  # a short name never overrides another place's name
                return
            lookup[name] = code

        for code, name in divisions.items():  # full names first
            add(name, code)
        for code, name in divisions.items():
            if code.endswith("0000"):  # province short names: 广东, 北京, 内蒙古 (aliases)
                add(re.sub(r"(?:省|市|自治区|特别行政区)$", "", name), code, weak=True)
        for code, names in aliases.items():
            for alias in names:
                add(alias, code, weak=True)
        for code, name in divisions.items():
            if code.endswith("00") and not code.endswith("0000") or self._is_county_level_city(code, divisions):
                short = re.sub(r"(?:市|地区|盟|林区)$", "", name)
                if len(short) >= 2 and short not in stoplist and not name.endswith("自治州"):
                    add(short, code, weak=True)
        self._lookup = lookup
        names = sorted(lookup, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, names)))

    @staticmethod
    def _is_county_level_city(code: str, divisions: dict[str, str]) -> bool:
        return code[4:] != "00" and code[:4] + "00" not in divisions and divisions[code].endswith("市")

    @classmethod
    def load(cls) -> Gazetteer:
        """The bundled gazetteer. Read once per process (cached)."""
        return _bundled_gazetteer()

    def _place(self, code: str) -> _Place:
        province = code[:2]
        if code.endswith("0000"):
            return _Place(code, province, None)
        if province in _MUNICIPALITIES:
            return _Place(code, province, None)
        prefecture = code[:4] + "00"
        if prefecture not in self._names:
            prefecture = code
        return _Place(code, province, prefecture)

    def places_in(self, text: str) -> list[tuple[str, int, int, _Place]]:
        """Every place name in ``text``, leftmost-longest: (name, start, end, place)."""
        return [(m.group(), m.start(), m.end(), self._place(self._lookup[m.group()])) for m in self._pattern.finditer(text)]

    def same_jurisdiction(self, asked: str, context: str) -> bool | None:
        """Whether ``context`` concerns a place that ``asked`` names; None when either names no place.

        Places agree when they are in the same province and neither names a different prefecture: a question
        about 深圳市 agrees with 广东省 and 深圳 texts, not with 广州市 ones.
        """
        wanted = [place for *_, place in self.places_in(asked) if place.province != "71"]
        found = [place for *_, place in self.places_in(context) if place.province != "71"]
        if not wanted or not found:
            return None
        return any(
            a.province == b.province and (a.prefecture is None or b.prefecture is None or a.prefecture == b.prefecture)
            for a in wanted
            for b in found
        )

    def region_in(self, text: str) -> tuple[str, int, int] | None:
        """The region ``text`` names and the span of its first name; None when it names none or several provinces."""
        found = self.places_in(text)
        # 台湾 (台湾同胞) never names the issuing jurisdiction; 港澳 (港澳居民) does only when no mainland place is named.
        found = [hit for hit in found if hit[3].province != "71"]
        mainland = [hit for hit in found if hit[3].province not in _HK_MACAO]
        if mainland:
            found = mainland
        if not found:
            return None
        provinces = {place.province for _, _, _, place in found}
        if len(provinces) > 1:
            return None
        province_name = self._names[found[0][3].province + "0000"]
        prefectures = list(dict.fromkeys(place.prefecture for _, _, _, place in found if place.prefecture))
        _, start, end, _ = found[0]
        if len(prefectures) == 1:
            return province_name + self._names[prefectures[0]], start, end
        if len(prefectures) > 1 and found[0][3].prefecture is not None:
            return province_name + self._names[found[0][3].prefecture], start, end
        return province_name, start, end


@lru_cache(maxsize=1)
def _bundled_gazetteer() -> Gazetteer:
    raw = json.loads(resources.files("ingestion.data").joinpath("gazetteer.json").read_text(encoding="utf-8"))
    return Gazetteer(raw["divisions"], raw["aliases"], raw["ambiguous_names"], raw["bare_name_stoplist"])


# ---------------------------------------------------------------------------------------------------------
# Small helpers


def _cn_small_number(s: str) -> int:
    """一..九十九 (also 两) to an int: 十→10, 十二→12, 二十→20, 三十一→31."""
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    digits["两"] = 2
    if "十" not in s:
        return digits.get(s, 0) if len(s) == 1 else 0
    tens, _, units = s.partition("十")
    return (digits.get(tens, 0) if tens else 1) * 10 + (digits.get(units, 0) if units else 0)


def _year_from_cn(s: str) -> int:
    table = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")}
    table.update({"○": "0", "零": "0", "Ｏ": "0"})
    return int("".join(table[c] for c in s))


def _parse_date(match: re.Match[str]) -> date | None:
    """The date a ``_DATE_RE`` match spells, or None when it is not a valid calendar date in 1949–2100."""
    try:
        if match.group("y"):
            y, m, d = int(match.group("y")), int(match.group("m")), int(match.group("d"))
        elif match.group("iy"):
            y, m, d = int(match.group("iy")), int(match.group("im")), int(match.group("id"))
        else:
            y = _year_from_cn(match.group("cy"))
            m, d = _cn_small_number(match.group("cm")), _cn_small_number(match.group("cd"))
        if not 1949 <= y <= 2100:
            return None
        return date(y, m, d)
    except ValueError:
        return None


def _date_matches(text: str, start: int = 0, end: int | None = None) -> list[tuple[re.Match[str], date]]:
    """Valid dates in ``text[start:end]`` with their matches; a match glued to a preceding digit is no date."""
    out = []
    for m in _DATE_RE.finditer(text, start, len(text) if end is None else end):
        s = m.start()
        if s > 0 and (text[s - 1].isdigit() or (m.group("iy") and text[s - 1] == ".")):
            continue
        day = _parse_date(m)
        if day is not None:
            out.append((m, day))
    return out


def normalize_doc_number(number: str) -> str:
    """Brackets around the year to 〔〕 and no whitespace around its parts: 内政办发[2023]5号 → 内政办发〔2023〕5号."""
    number = re.sub(r"[ \t\u3000]*[\[［（(【〔﹝][ \t\u3000]*(\d{4})[ \t\u3000]*[\]］）)】〕﹞][ \t\u3000]*", r"〔\1〕", number)
    number = re.sub(r"[ \t\u3000]*(第)?[ \t\u3000]*(\d+)[ \t\u3000]*号$", r"\1\2号", number)
    number = re.sub(r"公告[ \t\u3000]*(\d{4})[ \t\u3000]*年", r"公告\1年", number)
    return re.sub(r"(\d{4})[ \t\u3000]*年[ \t\u3000]*第", r"\1年第", number).strip()


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _is_organ(s: str) -> bool:
    s = s.strip(_STRIP)
    if not 2 <= len(s) <= 90 or _SENTENCE_PUNCT_RE.search(s) or "《" in s:
        return False
    return _ORGAN_RE.fullmatch(s) is not None


def _clean_title(s: str) -> str:
    s = _LEADING_NUMBER_RE.sub("", s.strip(_STRIP))
    while True:
        t = _TITLE_NOISE_RE.sub("", s)
        if t == s:
            break
        s = t
    if s.startswith("《") and s.endswith("》") and s.count("《") == 1:
        s = s[1:-1]
    elif s.startswith("《") and "》" in s:
        inner, _, rest = s[1:].partition("》")
        if not rest.strip() or _BRACKET_NUMBER_RE.fullmatch(rest.strip()):
            s = inner
    return s.strip(_STRIP)


def _join_pieces(raw: str) -> str:
    """A title split over lines or spaces, joined: no gap, except a space between two organ names
    (``财政部 税务总局关于…``)."""
    pieces = [p for p in re.split(rf"[{_WS}]+", raw.strip(_STRIP)) if p]
    if not pieces:
        return ""
    out = pieces[0]
    for prev, piece in zip(pieces, pieces[1:]):
        organs = _is_organ(prev) and re.match(rf"[{_CJK}]{{2,}}?{_ORGAN_END}", piece) and not piece.startswith(("关于", "印发", "转发"))
        out += (" " if organs else "") + piece
    return out


def _span_of(text: str, value: str, start: int, end: int) -> _Span | None:
    """Where ``value`` first occurs in ``text[start:end]``, or None."""
    at = text.find(value, start, end)
    return _Span(at, at + len(value)) if at >= 0 and value else None


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from after the previous 。；！？ or newline to the next one."""
    lo, hi = max(0, start - 400), min(len(text), end + 400)
    left = max(text.rfind(c, lo, start) for c in "。；！？\n")
    right_candidates = [i for i in (text.find(c, end, hi) for c in "。；！？\n") if i >= 0]
    right = min(right_candidates) if right_candidates else hi
    return (left + 1 if left >= 0 else lo), right


# ---------------------------------------------------------------------------------------------------------
# The document's lines


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str


def _split_lines(text: str, limit: int, *, flat: bool) -> list[_Line]:
    """Non-empty stripped lines of ``text[:limit]``; for single-line texts, the whitespace-separated segments."""
    pattern = rf"[^{_WS}]+" if flat else r"[^\n]+"
    lines = []
    for m in re.finditer(pattern, text[:limit]):
        raw = m.group()
        lead = len(raw) - len(raw.lstrip(_STRIP))
        body = raw.strip(_STRIP)
        if body:
            lines.append(_Line(m.start() + lead, m.start() + lead + len(body), body))
    return lines


# ---------------------------------------------------------------------------------------------------------
# The extractor


class PolicyMetadataExtractor:
    """Reads ``PolicyMetadata`` from a document's plain text.

    :param gazetteer: place names for the region; the bundled one by default.
    :param max_tags: at most this many policy tags are returned, best first.
    :param tag_threshold: a tag needs at least this score (a title keyword scores ``TITLE_WEIGHT``, a body hit 1).

    Usage::

        extractor = PolicyMetadataExtractor()
        meta = extractor.extract(text, title_hint="…的通知", today=date(2025, 1, 1))
    """

    def __init__(self, gazetteer: Gazetteer | None = None, *, max_tags: int = 3, tag_threshold: int = 6) -> None:
        if max_tags < 0:
            raise ValueError(f"max_tags must be 0 or more. Currently, max_tags is {max_tags}")
        if tag_threshold <= 0:
            raise ValueError(f"tag_threshold must be greater than 0. Currently, tag_threshold is {tag_threshold}")
        self._gazetteer = gazetteer
        self._max_tags = max_tags
        self._tag_threshold = tag_threshold

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.load()
        return self._gazetteer

    def extract(
        self,
        text: str,
        *,
        title_hint: str | None = None,
        file_name: str | None = None,
        today: date | None = None,
    ) -> PolicyMetadata:
        """Extract the metadata of one document.

        :param text: the document's plain text; evidence spans index into it.
        :param title_hint: a title the container declares (HTML ``<title>``, DOCX title style); used when plausible.
        :param file_name: the uploaded file's name; a ``(YYYY-MM-DD)`` in it is taken as the publication date
            when the text has none, and its stem as a title when the text carries it as a line.
        :param today: the day the validity status is judged on; ``date.today()`` by default.
        :returns: the metadata; ``evidence[field]`` is set for every value read from a span of ``text``.
        """
        doc = _Document(text, file_name)
        meta = PolicyMetadata()
        found: dict[str, _Found] = {}

        record = _RECORD_ROW_RE.match(text)
        title = self._title(doc, title_hint, record)
        if title:
            found["title"] = title
        number = self._doc_number(doc, title)
        if number:
            found["doc_number"] = number
        issuer = self._issuer(doc, title)
        if issuer:
            found["issuer"] = issuer
        found.update(self._dates(doc, record, found.get("title")))
        region = self._region(doc, found.get("title"), found.get("issuer"))
        if region:
            found["region"] = region

        for name, item in found.items():
            setattr(meta, name, item.value)
            if item.span is not None:
                meta.evidence[name] = Evidence(text[item.span.start : item.span.end], item.span.start, item.span.end)
        meta.status = self._status(doc, meta, today or date.today())
        meta.tags = self.tags(text, meta.title)
        return meta

    # -- title ---------------------------------------------------------------------------------------------

    def _title(self, doc: _Document, hint: str | None, record: re.Match[str] | None) -> _Found | None:
        text = doc.text
        if hint:
            cleaned = _clean_title(_SITE_SUFFIX_RE.sub("", hint.strip()))
            if self._plausible_title(cleaned):
                return _Found(cleaned, _span_of(text, cleaned, 0, 20000))
        if record:
            value = _clean_title(record.group("t"))
            return _Found(value, _span_of(text, value, *record.span("t")))
        if doc.markdown_title:
            return doc.markdown_title
        label = _TITLE_LABEL_RE.search(text, 0, _HEAD_CHARS)
        if label:
            raw = _FIELD_LABEL_RE.split(label.group("v"), maxsplit=1)[0]
            value = _clean_title(raw)
            if self._plausible_title(value):
                return _Found(value, _span_of(text, value, label.start("v"), label.end("v")))
        found = self._title_from_lines(doc)
        if found:
            return found
        stem = doc.file_stem
        if stem and self._plausible_title(stem) and _TITLE_END_RE.search(stem):
            return _Found(stem, _span_of(text, stem, 0, _HEAD_CHARS))
        return None

    @staticmethod
    def _plausible_title(s: str) -> bool:
        if not 4 <= len(s) <= 200 or s in _GENERIC_TITLES or "..." in s or "…" in s[-2:]:
            return False
        return len(re.findall(rf"[{_CJK}]", s)) >= 4

    def _title_from_lines(self, doc: _Document) -> _Found | None:
        lines = doc.head_lines
        stem = doc.file_stem
        candidates = [self._without_trailing_number(doc.text, ln) for ln in lines[:40] if not _CHROME_RE.match(ln.text)]
        if stem:  # the file's own name printed as a line is the title
            for ln in candidates[:20]:
                if _clean_title(ln.text) == stem:
                    return self._title_found(doc, ln.start, ln.end)
        if doc.flat:
            return self._title_from_segments(doc, candidates)
        if len(candidates) > 1 and candidates[0].text == candidates[1].text and 4 <= len(candidates[0].text) <= 80:
            return self._title_found(doc, candidates[0].start, candidates[0].end)  # a page heading printed twice
        for i, ln in enumerate(candidates[:12]):
            line = ln.text
            if self._is_number_or_date_line(line):
                continue
            if "。" in line and not re.search(r"印发|转发|发布|公布", line):
                break  # body text reached: later short lines are section headings, not the title
            # Organ lines (a joint letterhead may take several) followed by a 关于… line: one title.
            if _is_organ(line):
                j = i
                while j + 1 < len(candidates) and _is_organ(candidates[j + 1].text):
                    j += 1
                if j + 1 < len(candidates) and candidates[j + 1].text.startswith("关于"):
                    joined = self._join_title(candidates, j + 1)
                    if joined is not None:
                        return self._title_found(doc, ln.start, joined)
            if self._looks_like_title(line):
                return self._title_found(doc, ln.start, ln.end)
            if "关于" in line and not _SENTENCE_PUNCT_RE.search(line) and len(line) <= 80:
                joined = self._join_title(candidates, i)
                if joined is not None:
                    return self._title_found(doc, ln.start, joined)
            if self._title_fragment(line) and i + 1 < len(candidates):
                nxt = candidates[i + 1].text
                if len(nxt) <= 40 and not _SENTENCE_PUNCT_RE.search(nxt) and _TITLE_END_RE.search(nxt):
                    return self._title_found(doc, ln.start, candidates[i + 1].end)
        if candidates and self._headline(candidates[0].text):
            return self._title_found(doc, candidates[0].start, candidates[0].end)
        explained = _EXPLAINED_TITLE_RE.search(doc.text, 0, _HEAD_CHARS)
        if explained:
            value = _clean_title(explained.group("t"))
            return _Found(value, _Span(explained.start("t"), explained.end("t")))
        return None

    @staticmethod
    def _title_fragment(line: str) -> bool:
        """The first line of a title broken over two lines: short, no punctuation, not an organ or a number."""
        return (
            4 <= len(line) <= 40
            and not _SENTENCE_PUNCT_RE.search(line)
            and not _is_organ(line)
            and not _NUMBERED_RE.match(line)
            and not _DATE_RE.search(line)
            and not _BRACKET_NUMBER_RE.search(line)
        )

    @staticmethod
    def _headline(line: str) -> bool:
        """A news or explainer headline opening the text (``电子居住证如何申领？一文说清``)."""
        return (
            5 <= len(line) <= 60
            and not re.search(r"[。；]|[：:,，]$", line)
            and not _NUMBERED_RE.match(line)
            and not line.startswith(_BODY_OPENINGS)
            and not _is_organ(line)
            and not _DATE_RE.match(line)
        )

    def _title_from_segments(self, doc: _Document, segments: list[_Line]) -> _Found | None:
        """Single-line texts: the title is the opening segment, joined with the next ones when a 关于… title
        (or an organ name followed by one) is split by spaces."""
        while segments and self._is_number_or_date_line(segments[0].text):
            segments = segments[1:]
        if not segments:
            return None
        first = 0
        while first < len(segments) - 1 and _is_organ(segments[first].text) and not _TITLE_VERB_RE.search(segments[first].text):
            if not _TITLE_VERB_RE.search(segments[first + 1].text) and not _is_organ(segments[first + 1].text):
                break
            first += 1
        head = segments[first].text
        verb = _TITLE_VERB_RE.search(head)
        if verb and (first > 0 or not _TITLE_END_RE.search(head)):
            joined = self._join_title(segments, first)
            if joined is not None:
                own_organ = head[: verb.start()]
                if own_organ and any(own_organ in seg.text for seg in segments[:first]):
                    return self._title_found(doc, segments[first].start, joined)
                # A run of organ names printed twice (letterhead, then title): keep the second copy.
                organs = [seg.text for seg in segments[:first]]
                begin = max((k for k in range(len(organs)) if organs[k] == organs[0]), default=0)
                return self._title_found(doc, segments[begin].start, joined)
            if first == 0 and len(segments) > 1 and segments[1].text.startswith(head) and _TITLE_END_RE.search(segments[1].text):
                return self._title_found(doc, segments[1].start, segments[1].end)
        line = segments[0].text
        if 4 <= len(line) <= 100 and not re.search(r"[。；]|[：:]$", line) and not line.startswith(_BODY_OPENINGS):
            return self._title_found(doc, segments[0].start, segments[0].end)
        return None

    @staticmethod
    def _without_trailing_number(text: str, line: _Line) -> _Line:
        """A title line with its document number glued to its end (``…的通知人社部发〔2020〕11号``) cut before it."""
        if not line.text.endswith("号"):
            return line
        m = _BRACKET_NUMBER_RE.search(line.text[-30:])
        if not m or m.end() != len(line.text[-30:]):
            return line
        offset = line.start + len(line.text[-30:][: m.start()]) + (len(line.text) - min(len(line.text), 30))
        number = PolicyMetadataExtractor._number_from_match(text, _BRACKET_NUMBER_RE.match(text, offset) or m)
        if number is None or number[0] - line.start < 4:
            return line
        end = number[0]
        return _Line(line.start, end, text[line.start : end].rstrip(_STRIP))

    @staticmethod
    def _join_title(lines: list[_Line], first: int) -> int | None:
        """End offset of a title that starts on ``lines[first]`` and ends in a document type within 3 lines."""
        for j in range(first, min(first + 4, len(lines))):
            part = lines[j].text
            if j > first and (_SENTENCE_PUNCT_RE.search(part) or len(part) > 60 or part.startswith("关于")):
                return None
            if _TITLE_END_RE.search(part):
                return lines[j].end
        return None

    @staticmethod
    def _looks_like_title(line: str) -> bool:
        if len(line) < 5 or len(line) > 120:
            return False
        if re.search(r"[，。；！？]", line) or line.endswith(("：", ":")):
            return False
        if _BRACKET_NUMBER_RE.fullmatch(line) or _NUMBERED_RE.match(line):
            return False
        return bool(_TITLE_END_RE.search(_clean_title(line)))

    @staticmethod
    def _is_number_or_date_line(line: str) -> bool:
        core = line.strip("()（）[]【】 ")
        return bool(_BRACKET_NUMBER_RE.fullmatch(core) or _DATE_RE.fullmatch(core) or re.fullmatch(r"[A-Za-z0-9\-/]{6,}", core))

    @staticmethod
    def _title_found(doc: _Document, start: int, end: int) -> _Found | None:
        raw = doc.text[start:end]
        value = _clean_title(_join_pieces(raw))
        if len(re.findall(rf"[{_CJK}]", value)) < 2:
            return None
        if value in raw:
            at = raw.find(value)
            if at >= 0:
                return _Found(value, _Span(start + at, start + at + len(value)))
        return _Found(value, _Span(start, end))

    # -- document number -----------------------------------------------------------------------------------

    def _doc_number(self, doc: _Document, title: _Found | None) -> _Found | None:
        if doc.law_events:
            return self._law_order_number(doc)
        text = doc.text
        zones = [(0, min(len(text), _NUMBER_ZONE))]
        if title and title.span and title.span.end > _NUMBER_ZONE - 60:
            zones.append((title.span.end, min(len(text), title.span.end + 200)))
        candidates: list[tuple[int, int, int, str]] = []  # (rank, start, end, value)
        for zs, ze in zones:
            for m in self._number_matches(text, zs, ze):
                number = self._number_from_match(text, m)
                if number is None:
                    continue
                start, end, value = number
                if self._is_cited(text, start, end, doc.flat):
                    continue
                labelled = _NUMBER_LABEL_RE.search(text, max(0, start - 12), start) is not None
                alone = self._stands_alone(text, start, end)
                candidates.append((0 if labelled else 1 if alone else 2, start, end, value))
        if not candidates:
            return None
        _, start, end, value = min(candidates)
        return _Found(value, _Span(start, end))

    @staticmethod
    def _number_matches(text: str, start: int, end: int) -> list[re.Match[str]]:
        """Document-number matches whose prefix starts in [start, end)."""
        out = []
        for tail in _NUMBER_TAIL_RE.finditer(text, start, min(len(text), end + 60)):
            pattern = (
                _NOTICE_NUMBER_RE if tail.group().startswith("公告")
                else _ORDER_NUMBER_RE if tail.group().startswith("令")
                else _BRACKET_NUMBER_RE
            )
            window = max(0, tail.start() - 45)
            match = next((m for m in pattern.finditer(text, window, tail.end()) if m.end() == tail.end()), None)
            if match is not None and start <= match.end("prefix") and match.start("prefix") < end:
                out.append(match)
        return out

    @staticmethod
    def _number_from_match(text: str, m: re.Match[str]) -> tuple[int, int, str] | None:
        prefix = m.group("prefix")
        if prefix[0] in "年月日号" and m.start("prefix") > 0 and text[m.start("prefix") - 1].isdigit():
            prefix = prefix[1:]  # 2021年7月27日国务院令… : the 日 belongs to the date
        if m.re is _NOTICE_NUMBER_RE:
            body = prefix[: -len("公告")]
            head = re.match(r".*(?:的|》|）|\)|公告|通知)", body)
            if head:
                prefix = prefix[head.end() :].strip(_STRIP)
            if len(prefix) < 4:
                return None
        else:
            own_notice = prefix.endswith("公告")  # 中国人民银行公告〔2019〕第16号
            cut_re = _ORDER_PREFIX_CUT_RE if m.re is _ORDER_NUMBER_RE else _PREFIX_CUT_RE
            cut = cut_re.match(prefix[:-2] if own_notice else prefix)
            if cut and (cut.end() < len(prefix)):
                prefix = prefix[cut.end() :]
            elif cut:
                return None
            if not prefix:
                return None
        if m.re is _ORDER_NUMBER_RE and not re.search(r"(?:政府|院|部|委|局|署|会|主席|行|厅|办)令$", prefix):
            return None
        if m.re is _BRACKET_NUMBER_RE and (len(prefix) > 12 or re.search(r"年|月|日|第|号", prefix)):
            return None
        start = m.end("prefix") - len(prefix)
        value = normalize_doc_number(text[start : m.end()])
        return start, m.end(), value

    @staticmethod
    def _is_cited(text: str, start: int, end: int, flat: bool) -> bool:
        after = text[end : end + 8]
        if _CITED_AFTER_RE.match(after):
            return True
        before = text[max(0, start - 80) : start]
        clause_start = max(before.rfind(c) for c in "。；，,：:\n") + 1
        clause = before[clause_start:]
        if flat:
            parts = re.split(rf"[{_WS}]+", clause)
            clause = parts[-1] if parts else ""
        stripped = before.rstrip(" \t\u3000")
        if stripped.endswith(("（", "(", "[", "［")):
            # In brackets after other text on the same line: a citation (《…》（…号）), unless the text is the
            # document's own title (…的通知（东建〔2022〕4号）).
            prev = stripped[:-1].rstrip(" \t\u3000")
            if prev and prev[-1] != "\n" and not (flat and stripped[:-1] != prev):
                title_like = _TITLE_END_RE.search(prev) and not _CITING_WORDS_RE.search(clause.replace("《", "").replace("》", ""))
                return not title_like or prev.endswith("》")
            return False
        return _CITING_WORDS_RE.search(clause) is not None

    @staticmethod
    def _stands_alone(text: str, start: int, end: int) -> bool:
        before = text[max(0, start - 3) : start].rstrip(" \t\u3000（([【")
        after = text[end : end + 3].lstrip(" \t\u3000）)]】")
        return (not before or before[-1] in "\n") and (not after or after[0] in "\r\n")

    def _law_order_number(self, doc: _Document) -> _Found | None:
        latest = [ev for ev in doc.law_events if ev.kind != "施行"]
        if not latest:
            return None
        event = latest[-1]
        if doc.file_date and event.day != doc.file_date:
            return None
        m = _ORDER_NUMBER_RE.search(doc.text, event.start, event.end)
        if not m:
            return None
        number = self._number_from_match(doc.text, m)
        if number is None:
            return None
        start, end, value = number
        return _Found(value, _Span(start, end))

    # -- issuer --------------------------------------------------------------------------------------------

    def _issuer(self, doc: _Document, title: _Found | None) -> _Found | None:
        text = doc.text
        label = _ISSUER_LABEL_RE.search(text, 0, _HEAD_CHARS)
        if label:
            value = _FIELD_LABEL_RE.split(label.group("v"), maxsplit=1)[0].strip(_STRIP)
            if 2 <= len(value) <= 60 and not _SENTENCE_PUNCT_RE.search(value):
                return _Found(value, _span_of(text, value, label.start("v"), label.end("v")))
        if title:
            found = self._issuer_from_title(doc, title)
            if found:
                return found
        if doc.law_events:
            found = self._issuer_from_law(doc)
            if found:
                return found
        signature = doc.signature
        if signature is not None and signature.organ is not None:
            s, e = signature.organ
            return _Found(_join_pieces(text[s:e]), _Span(s, e))
        return None

    @staticmethod
    def _issuer_from_title(doc: _Document, title: _Found) -> _Found | None:
        value = str(title.value)
        verb = _TITLE_VERB_RE.search(value)
        if not verb or verb.start() < 2:
            return None
        prefix = value[: verb.start()].rstrip(_STRIP)
        prefix = re.sub(r"(?:联合|共同)$", "", prefix)
        if not _is_organ(prefix):
            return None
        span = _span_of(doc.text, prefix, title.span.start, title.span.end) if title.span else None
        return _Found(prefix, span or _span_of(doc.text, prefix, 0, _HEAD_CHARS))

    @staticmethod
    def _issuer_from_law(doc: _Document) -> _Found | None:
        events = [ev for ev in doc.law_events if ev.organ is not None]
        preferred = [ev for ev in events if ev.kind not in ("批准", "施行")] or events
        if not preferred:
            return None
        event = preferred[-1]
        assert event.organ is not None
        value, start, end = event.organ
        return _Found(value, _span_of(doc.text, value, start, end))

    # -- dates ---------------------------------------------------------------------------------------------

    def _dates(self, doc: _Document, record: re.Match[str] | None, title: _Found | None) -> dict[str, _Found]:
        text = doc.text
        out: dict[str, _Found] = {}
        labelled = self._labelled_dates(doc)
        if doc.law_events:
            made = [ev for ev in doc.law_events if ev.kind not in ("施行", "批准")] or [
                ev for ev in doc.law_events if ev.kind != "施行"
            ]
            if made:
                ev = made[-1]
                out["written_date"] = _Found(ev.day, ev.date_span)
                published = [e for e in made if e.kind in ("公布", "发布", "颁布")]
                if doc.file_date:
                    out["publish_date"] = _Found(doc.file_date)
                elif published and published[-1].day >= ev.day:
                    out["publish_date"] = _Found(published[-1].day, published[-1].date_span)
                else:
                    out["publish_date"] = out["written_date"]
            in_force = [ev for ev in doc.law_events if ev.kind == "施行"]
            if in_force:
                out["effective_date"] = _Found(in_force[-1].day, in_force[-1].date_span)
        else:
            if "written_date" in labelled:
                out["written_date"] = labelled["written_date"]
            elif doc.signature is not None:
                out["written_date"] = _Found(doc.signature.day, doc.signature.date_span)
            if "publish_date" in labelled:
                out["publish_date"] = labelled["publish_date"]
            elif record:
                d = date.fromisoformat(record.group("d"))
                out["publish_date"] = _Found(d, _Span(*record.span("d")))
            elif (under_title := self._date_under_title(doc, title)) is not None:
                out["publish_date"] = under_title
            elif "written_date" in out:
                out["publish_date"] = out["written_date"]
            elif doc.file_date:
                out["publish_date"] = _Found(doc.file_date)
        if "effective_date" in labelled:
            out["effective_date"] = labelled["effective_date"]
        elif "effective_date" not in out:
            effective = self._effective(doc, out)
            if effective:
                out["effective_date"] = effective
        if "expiry_date" in labelled:
            out["expiry_date"] = labelled["expiry_date"]
        else:
            expiry = self._expiry(doc, out)
            if expiry:
                out["expiry_date"] = expiry
        return out

    @staticmethod
    def _date_under_title(doc: _Document, title: _Found | None) -> _Found | None:
        """A web page's date printed alone (perhaps with a time) on one of the three lines under its title."""
        if doc.flat or title is None or title.span is None:
            return None
        text = doc.text
        pos = title.span.end
        for _ in range(3):
            nl = text.find("\n", pos)
            if nl < 0:
                return None
            line_end = text.find("\n", nl + 1)
            line_end = len(text) if line_end < 0 else line_end
            line = text[nl + 1 : line_end]
            core = line.strip(_STRIP)
            m = _DATE_RE.match(core)
            if m and re.fullmatch(r"(?:[ \t\u3000]*\d{1,2}:\d{2}(?::\d{2})?)?", core[m.end() :].strip(_STRIP) or ""):
                day = _parse_date(m)
                if day is not None:
                    start = text.find(m.group(), nl + 1, line_end)
                    return _Found(day, _Span(start, start + len(m.group())))
            pos = line_end
        return None

    @staticmethod
    def _labelled_dates(doc: _Document) -> dict[str, _Found]:
        text = doc.text
        out: dict[str, _Found] = {}
        for m in _DATE_LABEL_RE.finditer(text, 0, min(len(text), _HEAD_CHARS)):
            d = _DATE_RE.match(text, m.end())
            day = _parse_date(d) if d else None
            if d is None or day is None:
                continue
            label = re.sub(r"\s", "", m.group("label"))
            field = {
                "成文日期": "written_date",
                "发文日期": "written_date",
                "生效日期": "effective_date",
                "施行日期": "effective_date",
                "实施日期": "effective_date",
                "废止日期": "expiry_date",
                "失效日期": "expiry_date",
                "有效期至": "expiry_date",
            }.get(label, "publish_date")
            if field not in out:
                out[field] = _Found(day, _Span(d.start(), d.end()))
        return out

    @staticmethod
    def _own_sentence(text: str, start: int, end: int) -> bool:
        s, e = _sentence_bounds(text, start, end)
        sentence = text[s:e]
        if _OWN_DOC_RE.search(sentence):
            return True
        return bool(re.match(r"^[ \t\u3000]*(?:第[一二三四五六七八九十百]+条[ \t\u3000]*)?(?:自|有效期|本)", sentence))

    @staticmethod
    def _validity_of_document(text: str, start: int, end: int) -> bool:
        """``有效期N年`` is the document's own term when its sentence starts with it or says the document
        takes effect (本办法自…起施行，有效期5年); not a licence's term inside an article."""
        s, _ = _sentence_bounds(text, start, end)
        clause_start = max(s, max(text.rfind(c, 0, start) for c in "，,") + 1)
        if re.match(r"^[ \t\u3000]*(?:第[一二三四五六七八九十百]+条[ \t\u3000]*)?$", text[clause_start:start]):
            before = text[s:start]
            return clause_start == s or bool(re.search(r"施行|执行|实施|生效|试行|印发|发布|公布", before))
        return bool(re.search(rf"本{_DOC_TYPE}?$", text[clause_start:start].strip(_STRIP)))

    def _effective(self, doc: _Document, found: dict[str, _Found]) -> _Found | None:
        text = doc.text
        best: _Found | None = None
        for m, day in doc.dates:
            after = text[m.end() : m.end() + 8]
            if not _EFFECTIVE_DATE_SUFFIX_RE.match(after):
                continue
            if not (text[max(0, m.start() - 3) : m.start()].rstrip(" \t\u3000").endswith(("自", "于", "从"))):
                continue
            if self._own_sentence(text, m.start(), m.end()):
                best = _Found(day, _Span(m.start(), m.end()))
        for m in _EFFECTIVE_FROM_RE.finditer(text):
            if not self._own_sentence(text, m.start(), m.end()):
                continue
            base = found.get("publish_date") or found.get("written_date")
            if base is not None and (best is None or best.span is None or m.start() > best.span.start):
                best = _Found(base.value, _Span(m.start(), m.end()))
        return best

    def _expiry(self, doc: _Document, found: dict[str, _Found]) -> _Found | None:
        text = doc.text
        for m, day in doc.dates:
            before = text[max(0, m.start() - 8) : m.start()]
            after = text[m.end() : m.end() + 8]
            if not (_VALID_UNTIL_RE.search(before) or _EXPIRES_SUFFIX_RE.match(after)):
                continue
            s, _ = _sentence_bounds(text, m.start(), m.end())
            if "》" in text[s : m.start()] and not _VALID_UNTIL_RE.search(before):
                continue  # 《旧办法》于…废止: another document's end
            if self._own_sentence(text, m.start(), m.end()):
                return _Found(day, _Span(m.start(), m.end()))
        base = found.get("effective_date") or found.get("publish_date") or found.get("written_date")
        if base is None:
            return None
        for m in _VALID_FOR_RE.finditer(text):
            if not self._validity_of_document(text, m.start(), m.end()):
                continue
            n_raw = m.group("n")
            n = int(n_raw) if n_raw.isdigit() else _cn_small_number(n_raw)
            if n <= 0:
                continue
            start = base.value
            assert isinstance(start, date)
            end = _add_years(start, n) if m.group("unit") == "年" else _add_months(start, n)
            # 有效期5年 from 2024-03-04 runs to 2029-03-03 (as the Guangzhou rules register prints it).
            return _Found(end - timedelta(days=1), _Span(m.start(), m.end()))
        return None

    # -- status, region, tags ------------------------------------------------------------------------------

    @staticmethod
    def _status(doc: _Document, meta: PolicyMetadata, today: date) -> ValidityStatus:
        field = _STATUS_FIELD_RE.search(doc.text, 0, min(len(doc.text), _HEAD_CHARS))
        if field and ("废止" in field.group("v") or "失效" in field.group("v")):
            return ValidityStatus.EXPIRED
        return current_status(meta, today)

    def _region(self, doc: _Document, title: _Found | None, issuer: _Found | None) -> _Found | None:
        for source in (title, issuer):
            if source is None:
                continue
            value = str(source.value)
            hit = self.gazetteer.region_in(value)
            if hit is None:
                if self.gazetteer.places_in(value):
                    return None  # several provinces: no single region
                continue
            region, s, e = hit
            if source.span is not None and doc.text[source.span.start : source.span.end] == value:
                return _Found(region, _Span(source.span.start + s, source.span.start + e))
            return _Found(region, _span_of(doc.text, value[s:e], 0, 20000))
        return None

    def tags(self, text: str, title: str | None = None) -> list[str]:
        """Policy-type slugs (keys of ``POLICY_TAGS``) that ``text`` is about, best first.

        :param text: the document text; its first 20,000 characters are scanned.
        :param title: the title, whose keywords weigh ``TITLE_WEIGHT`` times more.
        :returns: up to ``max_tags`` slugs scoring at least ``tag_threshold``.
        """
        body: dict[str, int] = {}
        for keyword, count in _keyword_counts(text[:_TAG_SCAN_CHARS]).items():
            for slug in _KEYWORD_SLUGS[keyword]:
                body[slug] = body.get(slug, 0) + min(count, 5)
        in_title: dict[str, int] = {}
        for keyword in _keyword_counts(title or ""):
            for slug in _KEYWORD_SLUGS[keyword]:
                in_title[slug] = in_title.get(slug, 0) + 1
        scores = {
            slug: TITLE_WEIGHT * min(in_title.get(slug, 0), 2) + min(body.get(slug, 0), 12) for slug in POLICY_TAGS
        }
        best = max(scores.values())
        # A tag must pass the threshold and be at least a third as strong as the document's main topic.
        kept = [(-score, slug) for slug, score in scores.items() if score >= max(self._tag_threshold, best / 3)]
        return [slug for _, slug in sorted(kept)[: self._max_tags]]


def _trie_pattern(words: list[str]) -> str:
    """One regex alternation for ``words`` shared by common prefixes, longest alternative first (fast to scan)."""
    if "" in words and len(words) == 1:
        return ""
    by_first: dict[str, list[str]] = {}
    optional = "" in words
    for word in words:
        if word:
            by_first.setdefault(word[0], []).append(word[1:])
    parts = [re.escape(c) + _trie_pattern(rest) for c, rest in sorted(by_first.items())]
    body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
    return f"(?:{body})?" if optional else body


_ALL_KEYWORDS = sorted({k for _, ks in POLICY_TAGS.values() for k in ks})
_ALL_KEYWORDS_RE = re.compile(_trie_pattern(_ALL_KEYWORDS))
# The slugs a matched keyword counts for: its own and those of shorter keywords inside it (疫情防控 → 疫情).
_KEYWORD_SLUGS: dict[str, tuple[str, ...]] = {
    k: tuple(slug for slug, (_, ks) in POLICY_TAGS.items() if any(other in k for other in ks)) for k in _ALL_KEYWORDS
}


def _keyword_counts(s: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in _ALL_KEYWORDS_RE.finditer(s):
        counts[m.group()] = counts.get(m.group(), 0) + 1
    return counts


# ---------------------------------------------------------------------------------------------------------
# Per-document state computed lazily


@dataclass(frozen=True)
class _LawEvent:
    day: date
    date_span: _Span
    kind: str  # 通过/修正/修订/公布/发布/批准/施行/…
    organ: tuple[str, int, int] | None  # normalised organ, and the span it was read from
    start: int
    end: int


@dataclass(frozen=True)
class _Signature:
    day: date
    date_span: _Span
    organ: tuple[int, int] | None


class _Document:
    """The text with what several fields need: its lines, the law header events, the signature."""

    def __init__(self, text: str, file_name: str | None) -> None:
        self.text = text
        head = text[:600]
        self.flat = head.count("\n") <= 1
        self.head_lines = _split_lines(text, _HEAD_CHARS, flat=self.flat)
        self.file_date: date | None = None
        self.file_stem: str | None = None
        if file_name:
            name = re.split(r"[/\\]", file_name)[-1]
            m = _FILE_DATE_RE.search(name)
            if m:
                try:
                    self.file_date = date.fromisoformat(m.group("d"))
                except ValueError:
                    self.file_date = None
            stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)
            stem = _FILE_STEM_NOISE_RE.sub("", stem).strip(_STRIP)
            self.file_stem = stem or None
        self.markdown_title = self._markdown_title()
        self.law_events = self._law_events()

    @cached_property
    def dates(self) -> list[tuple[re.Match[str], date]]:
        """Every date in the text, scanned once."""
        return _date_matches(self.text)

    def _markdown_title(self) -> _Found | None:
        m = re.match(rf"[{_WS}]*#[ \t]+(?P<t>[^\n]+)", self.text)
        if not m:
            return None
        value = _clean_title(m.group("t"))
        return _Found(value, _span_of(self.text, value, m.start("t"), m.end("t")))

    def _law_events(self) -> list[_LawEvent]:
        """Dated adoption/amendment/promulgation lines under a law's title (``2018年12月29日 第十三届…修正``)."""
        text = self.text
        first_line_end = text.find("\n")
        end = text.find(_INFO_END, 0, 6000)
        if end < 0 and self.markdown_title is not None:
            body = re.search(r"\n[ \t\u3000]*(?:#|第[一二三四五六七八九十]+[条章]|目\s*录)", text[:4000])
            end = body.start() if body else min(len(text), 1500)
        elif end < 0:
            # A law read from DOCX/PDF: its title line, then lines that each start with a date.
            if first_line_end < 0 or not re.search(r"(?:法|条例|规定|办法|细则|决定)$", text[:first_line_end].strip(_STRIP)):
                return []
            end = first_line_end
            for line in re.finditer(r"[^\n]*\n?", text[first_line_end + 1 : first_line_end + 1500]):
                core = line.group().strip(_STRIP + "（()）")
                if core and not _DATE_RE.match(core):
                    break
                end = first_line_end + 1 + line.end()
        start = first_line_end + 1 if first_line_end >= 0 and first_line_end < end else 0
        region = text[start:end]
        dates = [m for m, _ in _date_matches(text, start, end)]
        events: list[_LawEvent] = []
        for i, m in enumerate(dates):
            day = _parse_date(m)
            assert day is not None
            seg_end = dates[i + 1].start() if i + 1 < len(dates) else end
            nl = text.find("\n", m.end(), seg_end)
            if nl >= 0:
                seg_end = nl
            phrase = text[m.end() : seg_end]
            kinds = _LAW_EVENT_RE.findall(re.sub(r"自[^，。；]{0,20}?施行", "", phrase))
            if not kinds:
                continue
            kind = kinds[-1]
            events.append(_LawEvent(day, _Span(m.start(), m.end()), kind, self._law_organ(text, m.end(), seg_end), m.start(), seg_end))
        if not region.strip() or not events:
            return []
        return events

    @staticmethod
    def _law_organ(text: str, start: int, end: int) -> tuple[str, int, int] | None:
        phrase = text[start:end]
        lead = len(phrase) - len(phrase.lstrip(" \t\u3000（(经根据"))
        body = phrase[lead:]
        quoted = re.match(r"《(?P<o>[^《》]{2,40}?)关于", body) or re.search(r"批准的《(?P<o>[^《》]{2,40}?)关于", body)
        if quoted:
            organ = quoted.group("o")
            s = start + lead + quoted.start("o")
            return organ.removeprefix("中华人民共和国") if organ.endswith("国务院") else organ, s, s + len(organ)
        m = re.match(rf"(?P<o>[{_CJK}、 ]{{2,60}}?)(?:第[{_CN_SMALL}百零〇\d]+次|令|\d{{4}}年|(?:常务|全体)?会议|批准|通过|修正|修订|公布|发布|颁布|施行|印发)", body)
        if not m:
            return None
        raw = m.group("o").rstrip(" 、")
        s = start + lead + m.start("o")
        organ = _LAW_SESSION_RE.sub("", raw).strip(" 、")
        if organ.startswith("中华人民共和国国务院"):
            organ = organ[len("中华人民共和国") :]
        if len(organ) < 2 or not re.search(_ORGAN_END + "$", organ):
            return None
        return organ, s, s + len(raw)

    @cached_property
    def signature(self) -> _Signature | None:
        """The date under the issuing organ: the first stand-alone date with an organ just above it, else the
        last stand-alone date."""
        standalone: list[tuple[re.Match[str], date]] = []
        for m, day in self.dates:
            if not self._date_alone(m.start(), m.end()):
                continue
            standalone.append((m, day))
            organ = self._organ_above(m.start())
            if organ is not None:
                return _Signature(day, _Span(m.start(), m.end()), organ)
        if standalone:
            m, day = standalone[-1]
            return _Signature(day, _Span(m.start(), m.end()), None)
        return None

    def _date_alone(self, start: int, end: int) -> bool:
        text = self.text
        i = start
        while i > 0 and text[i - 1] != "\n" and (text[i - 1].isspace() or text[i - 1] in "（(\ufeff\u200b"):
            i -= 1
        j = end
        while j < len(text) and text[j] != "\n" and (text[j].isspace() or text[j] in "）)\ufeff\u200b"):
            j += 1
        before_ok = i == 0 or text[i - 1] == "\n" or (i < start and text[i].isspace() and self.flat)
        after_ok = (
            j >= len(text)
            or text[j] == "\n"
            or (j > end and self.flat and text[end].isspace())
            or _AFTER_SIGNATURE_RE.match(text, j) is not None
        )
        if not before_ok and after_ok:
            # "广州市财政局 2024年1月3日" on one line: the organ shares the date's line.
            left = max(text.rfind(c, 0, start) for c in "\n。；") + 1
            before_ok = _is_organ(text[left:start].strip(_STRIP))
        return before_ok and after_ok

    def _organ_above(self, start: int) -> tuple[int, int] | None:
        """The organ name(s) printed just above (or before) a signature date: the span from the first to the
        last of consecutive organ lines/segments."""
        text = self.text
        line_start = max(text.rfind(c, 0, start) for c in "\n。；") + 1
        same_line = text[line_start:start].strip(_STRIP + "（(")
        if same_line and _is_organ(same_line) and (not self.flat or not text[start - 1].isspace()):
            s = text.find(same_line, line_start, start)
            return s, s + len(same_line)
        if same_line and not self.flat:
            return None
        first: tuple[int, int] | None = None
        last_end = None
        i = start
        for _ in range(8):
            while i > 0 and text[i - 1] in _STRIP + "（(":
                i -= 1
            if i == 0:
                break
            j = i
            while j > 0 and text[j - 1] != "\n" and not (self.flat and text[j - 1].isspace()):
                j -= 1
            candidate = text[j:i].strip(_STRIP)
            if first is not None and candidate and not _SENTENCE_PUNCT_RE.search(candidate) and len(candidate) <= 30:
                # An organ name broken by a space or line: 海陵区新型冠状病毒感染的 / 肺炎疫情工作领导小组
                joined = candidate + text[first[0] : first[1]]
                if (
                    not _is_organ(candidate)
                    and _ORGAN_FRAGMENT_RE.search(candidate)
                    and _is_organ(joined)
                    and not _DATE_RE.search(candidate)
                ):
                    s = text.find(candidate, j, i)
                    first = (s, first[1])
                    break
            if not candidate or not _is_organ(candidate) or (first is not None and len(candidate) > 40):
                break
            s = text.find(candidate, j, i)
            first = (s, s + len(candidate))
            last_end = last_end or first[1]
            i = j
        if first is None or last_end is None:
            return None
        return first[0], last_end
