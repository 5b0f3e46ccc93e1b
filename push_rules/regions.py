"""GB/T 2260 administrative divisions: code validation, names, containment and name lookup.

Codes are 6 digits: ``150000`` 内蒙古自治区, ``150100`` 呼和浩特市, ``150102`` 新城区. ``within(a, b)`` is true when
division ``a`` lies inside ``b`` (or is ``b``). The table (``data/regions_gb2260.tsv``) covers every province,
prefecture and county; it comes from the adcode list of the ``cpca`` package.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Region:
    code: str
    name: str  # own name, e.g. 新城区
    full_name: str  # e.g. 内蒙古自治区呼和浩特市新城区
    parent: str | None


def region_prefix(code: str) -> str:
    """The significant prefix of a code: ``15`` for a province, ``1501`` for a city, the full code for a county."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def within(code: str | None, container: str) -> bool:
    return code is not None and code.startswith(region_prefix(container))


class RegionTable:
    """The bundled GB/T 2260 table.

    >>> RegionTable.default().get("150102").full_name
    '内蒙古自治区呼和浩特市新城区'
    """

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self._rows = {code: (name, parent or None) for code, name, parent in rows}
        self._full: dict[str, str] = {}
        for code in self._rows:
            self._full[code] = self._full_name(code)
        # longest names first so 呼和浩特市 wins over 呼和浩特
        self._by_full_name = {v: k for k, v in self._full.items()}

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> RegionTable:
        text = resources.files("push_rules.data").joinpath("regions_gb2260.tsv").read_text(encoding="utf-8")
        rows = [tuple(line.split("\t")) for line in text.splitlines() if line and not line.startswith("#")]
        return cls([(r[0], r[1], r[2] if len(r) > 2 else "") for r in rows])

    def _full_name(self, code: str) -> str:
        name, parent = self._rows[code]
        return (self._full_name(parent) if parent and parent in self._rows else "") + name

    def get(self, code: str) -> Region | None:
        return self._region(code) if code in self._rows else None

    def _region(self, code: str) -> Region:
        """The division of a code the table holds."""
        name, parent = self._rows[code]
        return Region(code, name, self._full[code], parent)

    def validate(self, code: str) -> Region:
        """The region of ``code``; ValueError with a Chinese message when it is not a GB/T 2260 code."""
        code = code.strip()
        if len(code) != 6 or not code.isdigit():
            raise ValueError(f"行政区划代码“{code}”格式无效：应为6位数字（GB/T 2260），如 150102")
        region = self.get(code)
        if region is None:
            raise ValueError(f"行政区划代码“{code}”不存在（GB/T 2260）")
        return region

    def find_in_text(self, text: str) -> list[Region]:
        """Divisions named in ``text``, most specific first, e.g. 内蒙古自治区呼和浩特市 → [呼和浩特市, 内蒙古自治区]."""
        found: dict[str, Region] = {}
        for code, (name, _parent) in self._rows.items():
            short = _short_name(name)
            if name in text or (len(short) >= 2 and short != name and short in text and code.endswith("00")):
                found[code] = self._region(code)
        # keep a county only if its parent city/province was also named (county names repeat across China)
        result = []
        for code, region in found.items():
            if not code.endswith("00") and not (region.parent in found or region.name in text and len(region.name) > 3):
                continue
            result.append(region)
        result.sort(key=lambda r: (-len(region_prefix(r.code)), r.code))
        return result

    def divisions(self) -> list[Region]:
        """Every division of the table, in code order."""
        return [self._region(code) for code in sorted(self._rows)]

    def named(self, name: str) -> list[Region]:
        """Divisions whose own name is ``name``, anywhere in China."""
        if not hasattr(self, "_by_name"):
            index: dict[str, list[str]] = {}
            for code, (own, _parent) in self._rows.items():
                index.setdefault(own, []).append(code)
            self._by_name = index
        return [self._region(code) for code in self._by_name.get(name, [])]

    def children_named(self, container: str, name: str) -> list[Region]:
        """Divisions inside ``container`` whose own name is ``name`` (county names repeat across China)."""
        prefix = region_prefix(container)
        return [self._region(code) for code, (own, _p) in self._rows.items() if own == name and code.startswith(prefix)]

    def resolve_name(self, name: str) -> Region | None:
        """The region a full or short name refers to (most specific match), or None."""
        if name in self._by_full_name:
            return self.get(self._by_full_name[name])
        found = self.find_in_text(name)
        return found[0] if found else None


_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市", "盟", "地区")


def _short_name(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name
