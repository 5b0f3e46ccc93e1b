"""Chinese administrative divisions: which province, prefecture or county a text names (GB/T 2260 codes).

The ingestion reads a document's region with it; answers check that a passage concerns the place a question
names.

>>> Gazetteer.load().region_in("呼和浩特市人民政府")[0]
'内蒙古自治区呼和浩特市'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_MUNICIPALITIES = frozenset({"11", "12", "31", "50", "71", "81", "82"})
_HK_MACAO = frozenset({"81", "82"})


@dataclass(frozen=True)
class Place:
    code: str
    province: str  # two-digit province code
    prefecture: str | None  # six-digit prefecture code, None for a province itself


class Gazetteer:
    """Names of provinces, prefectures and some counties with GB/T 2260 codes (``policy/data/gazetteer.json``).

    ``region_in(text)`` turns the places a short string (a title, an issuer) names into a region string such as
    ``内蒙古自治区呼和浩特市`` or ``北京市``; several provinces give None.
    """

    def __init__(
        self, divisions: dict[str, str], aliases: dict[str, list[str]], ambiguous: list[str], stoplist: list[str]
    ) -> None:
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

    def _place(self, code: str) -> Place:
        province = code[:2]
        if code.endswith("0000"):
            return Place(code, province, None)
        if province in _MUNICIPALITIES:
            return Place(code, province, None)
        prefecture = code[:4] + "00"
        if prefecture not in self._names:
            prefecture = code
        return Place(code, province, prefecture)

    def places_in(self, text: str) -> list[tuple[str, int, int, Place]]:
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
    raw = json.loads(resources.files("policy.data").joinpath("gazetteer.json").read_text(encoding="utf-8"))
    return Gazetteer(raw["divisions"], raw["aliases"], raw["ambiguous_names"], raw["bare_name_stoplist"])
