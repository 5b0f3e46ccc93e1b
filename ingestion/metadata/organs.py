"""Names of issuing organs (…人民政府, …办公厅, …委员会), and title pieces joined around them."""

from __future__ import annotations

import re
from itertools import pairwise

from ingestion.metadata.patterns import CJK, CN_SMALL, SENTENCE_PUNCT_RE, STRIP, WS

ORGAN_END = (
    r"(?:人民政府|政府|办公厅|办公室|委员会|领导小组|指挥部|工作组|管委会|联防联控机制|委|局|部|厅|署|院|会|中心|办|行|公司|集团|"
    r"协会|联合会|党组|总队|支队|所|处|站|社|小组|机构|研究院|法院|检察院|分局)"
)
_ORGAN_RE = re.compile(
    rf"(?!各|本|由|经|请|对|在|按|为|据|现|我|你|该|其|以)[{CJK}（）()“”\"·、 \u3000]{{1,80}}?{ORGAN_END}"
    rf"(?:[\s、]+[{CJK}（）()·]{{1,40}}?{ORGAN_END})*(?:等[\d{CN_SMALL}]*个?部门)?"
)


def is_organ(s: str) -> bool:
    s = s.strip(STRIP)
    if not 2 <= len(s) <= 90 or SENTENCE_PUNCT_RE.search(s) or "《" in s:
        return False
    return _ORGAN_RE.fullmatch(s) is not None


def join_pieces(raw: str) -> str:
    """A title split over lines or spaces, joined: no gap, except a space between two organ names
    (``财政部 税务总局关于…``)."""
    pieces = [p for p in re.split(rf"[{WS}]+", raw.strip(STRIP)) if p]
    if not pieces:
        return ""
    out = pieces[0]
    for prev, piece in pairwise(pieces):
        organs = is_organ(prev) and re.match(rf"[{CJK}]{{2,}}?{ORGAN_END}", piece) and not piece.startswith(("关于", "印发", "转发"))
        out += (" " if organs else "") + piece
    return out
