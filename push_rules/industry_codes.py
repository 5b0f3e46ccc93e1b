"""GB/T 4754-2017 national economic industry codes: validation, names and prefix matching.

Codes are kept in one canonical form, the 门类 letter followed by the digits: ``C`` (门类), ``C39`` (大类),
``C391`` (中类), ``C3911`` (小类). Input may omit the letter (``3911``) or use it (``C3911``). A rule's industry
prefix ``C39`` matches every code under it, so matching walks 门类 → 大类 → 中类 → 小类 by string prefix.

The bundled table (``data/industry_gb4754_2017.tsv``) is complete down to 大类; 中类 are listed for some 大类.
Where a 大类 lists its 中类, a deeper code must name one of them; elsewhere a 中类/小类 is accepted by format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_CODE = re.compile(r"^([A-T])?(\d{2}(?:\d{1,2})?)?$")


@dataclass(frozen=True)
class IndustryCode:
    code: str  # canonical, e.g. "C3911"
    name: str | None  # name of the deepest level the table knows
    path: tuple[str, ...]  # names from 门类 down, e.g. ("制造业", "计算机、通信和其他电子设备制造业")


class IndustryTable:
    """The bundled GB/T 4754-2017 table.

    >>> IndustryTable.default().normalize("3911").code
    'C3911'
    """

    def __init__(self, names: dict[str, str]) -> None:
        self._names = names  # canonical code -> name
        self._section_of_division: dict[str, str] = {}
        self._groups_listed: set[str] = set()
        section = ""
        for code in names:
            if len(code) == 1:
                section = code
            elif len(code) == 3:
                self._section_of_division[code[1:]] = section
            elif len(code) == 4:
                self._groups_listed.add(code[:3])

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> IndustryTable:
        text = resources.files("push_rules.data").joinpath("industry_gb4754_2017.tsv").read_text(encoding="utf-8")
        names: dict[str, str] = {}
        section = ""
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            code, name = line.split("\t")
            if code.isalpha():
                section = code
                names[code] = name
            else:
                names[section + code] = name
        return cls(names)

    def name(self, code: str) -> str | None:
        return self._names.get(code)

    def normalize(self, raw: str) -> IndustryCode:
        """Canonical form of ``raw``; raises ValueError with a Chinese message when it is not a known code."""
        text = raw.strip().upper().replace(" ", "")
        match = _CODE.match(text)
        if not text or not match:
            raise ValueError(f"行业代码“{raw}”格式无效：应为门类字母（A–T）和/或2至4位数字，如 C、C39、3911")
        letter, digits = match.group(1), match.group(2) or ""
        if not digits:
            if letter not in self._names:
                raise ValueError(f"行业门类“{letter}”不存在（GB/T 4754-2017 门类为 A–T）")
            return IndustryCode(letter, self._names[letter], (self._names[letter],))
        division = digits[:2]
        section = self._section_of_division.get(division)
        if section is None:
            raise ValueError(f"行业大类“{division}”不在 GB/T 4754-2017 中（大类为 01–97）")
        if letter and letter != section:
            raise ValueError(f"行业代码“{raw}”的门类与大类不符：大类{division}属于门类{section}")
        code = section + digits
        if len(digits) >= 3 and section + digits[:3] not in self._names and (section + division) in self._groups_listed:
            raise ValueError(f"行业中类“{digits[:3]}”不在 GB/T 4754-2017 大类{division}（{self._names[section + division]}）中")
        path = tuple(self._names[code[:n]] for n in (1, 3, 4, 5) if n <= len(code) and code[:n] in self._names)
        return IndustryCode(code, path[-1], path)

    def describe(self, code: str) -> str:
        """``C39 计算机、通信和其他电子设备制造业`` style label for messages."""
        known = [code[:n] for n in (5, 4, 3, 1) if n <= len(code) and code[:n] in self._names]
        return f"{code}（{self._names[known[0]]}）" if known else code

    def divisions(self) -> list[str]:
        return [c for c in self._names if len(c) == 3]


def industry_matches(code: str | None, prefix: str) -> bool:
    """True when ``code`` lies under ``prefix`` (both canonical)."""
    return code is not None and code.startswith(prefix)
