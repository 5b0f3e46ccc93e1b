"""Numbers as Chinese policy texts write them: ``300``, ``1,500``, ``1.5``, ``三百``, ``两千``, ``一千二百``, ``1.5万``.

Bounds words are read exactly: 以上/以下/不超过/不低于/不少于/达到 include the number; 超过/高于/大于 and
不足/未满/低于/少于 exclude it (:func:`bound_of`). Money is converted to 万元 (:data:`MONEY_UNITS`).
"""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5,
           "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

NUMBER = r"(?:\d+(?:,\d{3})*(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]+)(?:[万亿](?![元]))?"
"""A number as the texts write it (digits, Chinese numerals, or digits followed by 万/亿 that are not a money unit)."""

MONEY_UNITS: dict[str, float] = {"亿元": 10_000, "千万元": 1_000, "百万元": 100, "万元": 1, "千元": 0.1, "元": 0.0001}
"""The factor that turns an amount in the unit into 万元."""

INCLUSIVE_MIN = ("以上", "及以上", "或以上", "不低于", "不少于", "达到", "达", "至少", "满")
EXCLUSIVE_MIN = ("超过", "高于", "大于", "多于")
INCLUSIVE_MAX = ("以下", "及以下", "以内", "之内", "内", "不超过", "不高于", "不多于", "最多", "至多")
EXCLUSIVE_MAX = ("不足", "未满", "低于", "少于", "小于", "未达到", "不到")


def _chinese_integer(text: str) -> float:
    total = 0.0
    section = 0.0
    digit = 0.0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (digit or 1) * _SMALL_UNITS[ch]
            digit = 0
        elif ch in _BIG_UNITS:
            total += (section + digit) * _BIG_UNITS[ch]
            section = digit = 0
    return total + section + digit


def parse_number(text: str) -> float:
    """The value of a number written in digits or Chinese numerals (``三百`` 300, ``1.5万`` 15000, ``十二`` 12).

    >>> [parse_number(x) for x in ["300", "1,500", "三百", "两千", "一千二百", "十二", "1.5万", "半"]]
    [300.0, 1500.0, 300.0, 2000.0, 1200.0, 12.0, 15000.0, 0.5]
    """
    text = text.strip().replace(",", "")
    if text == "半":
        return 0.5
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([万亿]?)", text)
    if match:
        return float(match.group(1)) * (_BIG_UNITS[match.group(2)] if match.group(2) else 1)
    # plain digit runs written with Chinese digits, e.g. 二〇二〇 or 一五
    if all(ch in _DIGITS for ch in text) and len(text) > 1:
        return float("".join(str(_DIGITS[ch]) for ch in text))
    return _chinese_integer(text)


def bound_of(before: str, after: str) -> tuple[str, bool] | None:
    """Which bound (``"min"``/``"max"``) the words around a number make, and whether it includes the number.

    ``before`` is the word just before the number (不超过, 超过, 达到 …), ``after`` the one just after its unit
    (以上, 以下, 以内 …). None when the words say no bound or contradict each other.
    """
    found: set[tuple[str, bool]] = set()
    for word in (before, after):
        if not word:
            continue
        if word in EXCLUSIVE_MAX:
            found.add(("max", False))
        elif word in INCLUSIVE_MAX:
            found.add(("max", True))
        elif word in EXCLUSIVE_MIN:
            found.add(("min", False))
        elif word in INCLUSIVE_MIN:
            found.add(("min", True))
    if len({bound for bound, _ in found}) != 1:
        return None
    bound = next(iter(found))[0]
    return bound, all(inclusive for _, inclusive in found)


BEFORE_WORDS = "|".join(sorted(INCLUSIVE_MIN + EXCLUSIVE_MIN + INCLUSIVE_MAX + EXCLUSIVE_MAX, key=len, reverse=True))
AFTER_WORDS = "|".join(sorted(("以上", "及以上", "或以上", "以下", "及以下", "以内", "之内", "内"), key=len, reverse=True))
INCLUDED = r"(?:（含(?:本数)?）|\(含(?:本数)?\)|（含\S{0,6}?）|\(含\S{0,6}?\))?"
"""An optional 含 note between a number's unit and 以上/以下 (30人（含）以下)."""
