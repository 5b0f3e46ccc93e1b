"""One document's text with what several fields need: its first lines, its file name, the law header's events, the signature."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from ingestion.metadata.chinese_dates import DATE_RE, date_matches, parse_date
from ingestion.metadata.layout import Span, split_lines
from ingestion.metadata.organs import ORGAN_END, is_organ
from ingestion.metadata.patterns import CJK, CN_SMALL, HEAD_CHARS, SENTENCE_PUNCT_RE, STRIP, WS

_LAW_EVENT_RE = re.compile(r"(?:通过|修正|修订|公布|发布|批准|施行|颁布|印发)")
_LAW_SESSION_RE = re.compile(rf"第?[{CN_SMALL}百零〇\d]+届|第[{CN_SMALL}百零〇\d]+次.*$|\d{{4}}年第?")
_FILE_DATE_RE = re.compile(r"[（(](?P<d>\d{4}-\d{2}-\d{2})[)）]")
_FILE_STEM_NOISE_RE = re.compile(r"^\d+[a-z]?_|[（(](?:\d{4}-\d{2}-\d{2}|FBM-[^)）]*)[)）]")
# The first piece of an organ name broken over two lines: ends in a place or in a (typical) qualifier.
_ORGAN_FRAGMENT_RE = re.compile(r"^(?!特此|此复|此令)(?:.*(?:[省市区县州旗盟]|的|病毒|感染|肺炎|疫情)$)")
_AFTER_SIGNATURE_RE = re.compile(r"(?:责任编辑|编辑|来源|附件|抄送|印发|【|（此件|\(此件|[（(]星期.[）)])")
_INFO_END = "<!-- INFO END -->"


@dataclass(frozen=True)
class LawEvent:
    day: date
    date_span: Span
    kind: str  # 通过/修正/修订/公布/发布/批准/施行/…
    organ: tuple[str, int, int] | None  # normalised organ, and the span it was read from
    start: int
    end: int


@dataclass(frozen=True)
class Signature:
    day: date
    date_span: Span
    organ: tuple[int, int] | None


class Document:
    """The text with what several fields need: its lines, the law header events, the signature."""

    def __init__(self, text: str, file_name: str | None) -> None:
        self.text = text
        head = text[:600]
        self.flat = head.count("\n") <= 1
        self.head_lines = split_lines(text, HEAD_CHARS, flat=self.flat)
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
            stem = _FILE_STEM_NOISE_RE.sub("", stem).strip(STRIP)
            self.file_stem = stem or None
        self.markdown_heading = re.match(rf"[{WS}]*#[ \t]+(?P<t>[^\n]+)", text)  # a Markdown title line
        self.law_events = self._law_events()

    @cached_property
    def dates(self) -> list[tuple[re.Match[str], date]]:
        """Every date in the text, scanned once."""
        return date_matches(self.text)

    def _law_events(self) -> list[LawEvent]:
        """Dated adoption/amendment/promulgation lines under a law's title (``2018年12月29日 第十三届…修正``)."""
        text = self.text
        first_line_end = text.find("\n")
        end = text.find(_INFO_END, 0, 6000)
        if end < 0 and self.markdown_heading is not None:
            body = re.search(r"\n[ \t\u3000]*(?:#|第[一二三四五六七八九十]+[条章]|目\s*录)", text[:4000])
            end = body.start() if body else min(len(text), 1500)
        elif end < 0:
            # A law read from DOCX/PDF: its title line, then lines that each start with a date.
            if first_line_end < 0 or not re.search(r"(?:法|条例|规定|办法|细则|决定)$", text[:first_line_end].strip(STRIP)):
                return []
            end = first_line_end
            for line in re.finditer(r"[^\n]*\n?", text[first_line_end + 1 : first_line_end + 1500]):
                core = line.group().strip(STRIP + "（()）")
                if core and not DATE_RE.match(core):
                    break
                end = first_line_end + 1 + line.end()
        start = first_line_end + 1 if first_line_end >= 0 and first_line_end < end else 0
        region = text[start:end]
        dates = [m for m, _ in date_matches(text, start, end)]
        events: list[LawEvent] = []
        for i, m in enumerate(dates):
            day = parse_date(m)
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
            events.append(LawEvent(day, Span(m.start(), m.end()), kind, self._law_organ(text, m.end(), seg_end), m.start(), seg_end))
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
        m = re.match(rf"(?P<o>[{CJK}、 ]{{2,60}}?)(?:第[{CN_SMALL}百零〇\d]+次|令|\d{{4}}年|(?:常务|全体)?会议|批准|通过|修正|修订|公布|发布|颁布|施行|印发)", body)
        if not m:
            return None
        raw = m.group("o").rstrip(" 、")
        s = start + lead + m.start("o")
        organ = _LAW_SESSION_RE.sub("", raw).strip(" 、")
        if organ.startswith("中华人民共和国国务院"):
            organ = organ[len("中华人民共和国") :]
        if len(organ) < 2 or not re.search(ORGAN_END + "$", organ):
            return None
        return organ, s, s + len(raw)

    @cached_property
    def signature(self) -> Signature | None:
        """The date under the issuing organ: the first stand-alone date with an organ just above it, else the
        last stand-alone date."""
        standalone: list[tuple[re.Match[str], date]] = []
        for m, day in self.dates:
            if not self._date_alone(m.start(), m.end()):
                continue
            standalone.append((m, day))
            organ = self._organ_above(m.start())
            if organ is not None:
                return Signature(day, Span(m.start(), m.end()), organ)
        if standalone:
            m, day = standalone[-1]
            return Signature(day, Span(m.start(), m.end()), None)
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
            before_ok = is_organ(text[left:start].strip(STRIP))
        return before_ok and after_ok

    def _organ_above(self, start: int) -> tuple[int, int] | None:
        """The organ name(s) printed just above (or before) a signature date: the span from the first to the
        last of consecutive organ lines/segments."""
        text = self.text
        line_start = max(text.rfind(c, 0, start) for c in "\n。；") + 1
        same_line = text[line_start:start].strip(STRIP + "（(")
        if same_line and is_organ(same_line) and (not self.flat or not text[start - 1].isspace()):
            s = text.find(same_line, line_start, start)
            return s, s + len(same_line)
        if same_line and not self.flat:
            return None
        first: tuple[int, int] | None = None
        last_end = None
        i = start
        for _ in range(8):
            while i > 0 and text[i - 1] in STRIP + "（(":
                i -= 1
            if i == 0:
                break
            j = i
            while j > 0 and text[j - 1] != "\n" and not (self.flat and text[j - 1].isspace()):
                j -= 1
            candidate = text[j:i].strip(STRIP)
            if first is not None and candidate and not SENTENCE_PUNCT_RE.search(candidate) and len(candidate) <= 30:
                # An organ name broken by a space or line: 海陵区新型冠状病毒感染的 / 肺炎疫情工作领导小组
                joined = candidate + text[first[0] : first[1]]
                if (
                    not is_organ(candidate)
                    and _ORGAN_FRAGMENT_RE.search(candidate)
                    and is_organ(joined)
                    and not DATE_RE.search(candidate)
                ):
                    s = text.find(candidate, j, i)
                    first = (s, first[1])
                    break
            if not candidate or not is_organ(candidate) or (first is not None and len(candidate) > 40):
                break
            s = text.find(candidate, j, i)
            first = (s, s + len(candidate))
            last_end = last_end or first[1]
            i = j
        if first is None or last_end is None:
            return None
        return first[0], last_end
