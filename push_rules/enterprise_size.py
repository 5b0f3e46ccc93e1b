"""Enterprise size (大/中/小/微) from employees, revenue and assets, per 《统计上大中小微型企业划分办法（2017）》.

Large, medium and small must reach *every* listed lower bound of their sector, else they fall one class;
micro needs only one indicator below the small bound. Revenue and assets are in 万元. The threshold table is
``data/enterprise_size_2017.json``; an industry is mapped to its sector by the longest matching code prefix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from policy.labels import LabelledEnum
from push_rules.industry_codes import IndustryTable


class EnterpriseSize(LabelledEnum, unknown="企业规模“{value}”无效"):
    LARGE = "large", "大型", "大"
    MEDIUM = "medium", "中型", "中"
    SMALL = "small", "小型", "小"
    MICRO = "micro", "微型", "微"


INDICATOR_LABELS = {"employees": "从业人员", "revenue": "营业收入", "assets": "资产总额"}
_TIERS = (EnterpriseSize.LARGE, EnterpriseSize.MEDIUM, EnterpriseSize.SMALL)


@dataclass(frozen=True)
class SizeSector:
    key: str
    name: str
    prefixes: tuple[str, ...]  # canonical industry prefixes ("C", "I65", "K701")
    excluded: tuple[str, ...]
    thresholds: dict[EnterpriseSize, dict[str, float]]

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(self.thresholds[EnterpriseSize.SMALL])


@dataclass(frozen=True)
class SizeResult:
    size: EnterpriseSize | None  # None: unknown (待完善): the industry or an indicator its sector needs is missing
    sector: SizeSector | None  # None: no industry, so no sector and no thresholds
    missing: tuple[str, ...]  # what is missing: "industry" or indicator keys

    @property
    def missing_labels(self) -> str:
        return "、".join(INDICATOR_LABELS.get(m, "所属行业") for m in self.missing)


class EnterpriseSizeClassifier:
    """Classify by the bundled 2017 table.

    >>> EnterpriseSizeClassifier.default().classify("C3911", employees=20, revenue=300, assets=None).size.label
    '小型'
    """

    def __init__(self, sectors: list[SizeSector]) -> None:
        self.sectors = sectors
        self._other = next(s for s in sectors if not s.prefixes)

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> EnterpriseSizeClassifier:
        table = IndustryTable.default()
        raw = json.loads(resources.files("push_rules.data").joinpath("enterprise_size_2017.json").read_text(encoding="utf-8"))
        sectors = []
        for item in raw["sectors"]:
            sectors.append(
                SizeSector(
                    key=item["key"],
                    name=item["name"],
                    prefixes=tuple(table.normalize(p).code for p in item["industries"]),
                    excluded=tuple(table.normalize(p).code for p in item.get("excluded", [])),
                    thresholds={EnterpriseSize(k): v for k, v in item["thresholds"].items()},
                )
            )
        return cls(sectors)

    def sector_for(self, industry_code: str | None) -> SizeSector:
        """The sector whose longest prefix matches ``industry_code`` (canonical); 其他未列明行业 otherwise."""
        best: tuple[int, SizeSector] | None = None
        if industry_code:
            for sector in self.sectors:
                if any(industry_code.startswith(x) for x in sector.excluded):
                    continue
                for prefix in sector.prefixes:
                    if industry_code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                        best = (len(prefix), sector)
        return best[1] if best else self._other

    def classify(
        self, industry_code: str | None, *, employees: float | None, revenue: float | None, assets: float | None
    ) -> SizeResult:
        """The size by the sector of ``industry_code``; unknown without an industry (the method has no default sector
        to fall back on: 其他未列明行业 is a sector of its own, not 'industry unknown')."""
        if not industry_code:
            return SizeResult(None, None, ("industry",))
        sector = self.sector_for(industry_code)
        values = {"employees": employees, "revenue": revenue, "assets": assets}
        missing = tuple(k for k in sector.indicators if values[k] is None)
        if missing:
            # one known indicator below the small bound already makes it micro
            small = sector.thresholds[EnterpriseSize.SMALL]
            if any((value := values[k]) is not None and value < small[k] for k in small):
                return SizeResult(EnterpriseSize.MICRO, sector, ())
            return SizeResult(None, sector, missing)
        for tier in _TIERS:
            bounds = sector.thresholds[tier]
            if all((value := values[k]) is not None and value >= bounds[k] for k in bounds):
                return SizeResult(tier, sector, ())
        return SizeResult(EnterpriseSize.MICRO, sector, ())
