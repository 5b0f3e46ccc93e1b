"""All enterprise profiles as numpy columns, and the cache that reloads them only after a profile changed.

The snapshot takes 64 bytes per enterprise (the dtypes below; ``bench/push_match.py`` prints its size). It is
reloaded only when the ``profiles`` counter in the database moved, i.e. after some profile write, by any process.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from push_rules.enterprise_size import EnterpriseSize
from push_rules.models import Counter, Enterprise
from push_rules.ownership import OWNERSHIP_ORDER
from push_rules.qualifications import qualification_bit
from push_rules.regions import region_prefix

_SIZES = [s.value for s in EnterpriseSize]
_NUMERIC = ("registered_capital", "employees", "annual_revenue", "total_assets")


@dataclass
class ProfileColumns:
    """All profiles as arrays, row i describing enterprise ``ids[i]``."""

    ids: np.ndarray  # int64
    region: np.ndarray  # int32, 0 = missing
    industry_section: np.ndarray  # int8 letter ordinal, 0 = missing
    industry_digits: np.ndarray  # int32 digits after the letter, -1 = none
    industry_level: np.ndarray  # int8: 1 门类, 2 大类, 3 中类, 4 小类, 0 missing
    size: np.ndarray  # int8 index into EnterpriseSize, -1 unknown
    established: np.ndarray  # int32 date ordinal, 0 missing
    numeric: dict[str, np.ndarray]  # float64, NaN missing
    qual_bits: np.ndarray  # uint64
    qual_known: np.ndarray  # bool
    ownership: np.ndarray  # int8 index into Ownership, -1 unknown
    revision: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_rows(cls, rows: list[Any], revision: int = 0) -> ProfileColumns:
        n = len(rows)
        ids = np.fromiter((r.id for r in rows), dtype=np.int64, count=n)
        region = np.fromiter((int(r.region_code) if r.region_code else 0 for r in rows), dtype=np.int32, count=n)
        section = np.zeros(n, dtype=np.int8)
        digits = np.full(n, -1, dtype=np.int32)
        level = np.zeros(n, dtype=np.int8)
        for i, r in enumerate(rows):
            code = r.industry_code
            if code:
                section[i] = ord(code[0]) - 64
                level[i] = {1: 1, 3: 2, 4: 3, 5: 4}[len(code)]
                if len(code) > 1:
                    digits[i] = int(code[1:])
        size = np.fromiter((_SIZES.index(r.size) if r.size else -1 for r in rows), dtype=np.int8, count=n)
        established = np.fromiter((r.established_on.toordinal() if r.established_on else 0 for r in rows), dtype=np.int32, count=n)
        numeric = {
            name: np.fromiter((np.nan if getattr(r, name) is None else getattr(r, name) for r in rows), dtype=np.float64, count=n)
            for name in _NUMERIC
        }
        bits = np.zeros(n, dtype=np.uint64)
        known = np.zeros(n, dtype=bool)
        for i, r in enumerate(rows):
            if r.qualifications is not None:
                known[i] = True
                mask = 0
                for q in r.qualifications:
                    bit = qualification_bit(q)
                    if bit is not None:
                        mask |= 1 << bit
                bits[i] = mask
        ownership = np.fromiter((OWNERSHIP_ORDER.index(o) if (o := getattr(r, "ownership", None)) else -1 for r in rows), dtype=np.int8, count=n)
        return cls(ids, region, section, digits, level, size, established, numeric, bits, known, ownership, revision)

    def known(self, field: str) -> np.ndarray:
        """Which profiles have a value for ``field`` (a key of :data:`push_rules.rule_fields.FIELDS`)."""
        if field == "region":
            return self.region != 0
        if field == "industry":
            return self.industry_level != 0
        if field == "size":
            return self.size >= 0
        if field == "established_on":
            return self.established != 0
        if field == "qualifications":
            return self.qual_known
        if field == "ownership":
            return self.ownership >= 0
        if field == "enterprise":
            return np.ones(len(self.ids), dtype=bool)
        return ~np.isnan(self.numeric[field])

    def equals(self, field: str, value: str) -> np.ndarray:
        """Which profiles have exactly the canonical code ``value`` in ``field`` (region, industry, size or ownership)."""
        if field == "region":
            return self.region == int(value)
        if field == "industry":
            return self.industry_under(value, exact=True)
        if field == "size":
            return self.size == _SIZES.index(value)
        if field == "ownership":
            return self.ownership == OWNERSHIP_ORDER.index(value)
        raise ValueError(f"field {field!r} has no code to compare")

    def region_within(self, container: str) -> np.ndarray:
        prefix = region_prefix(container)
        divisor = 10 ** (6 - len(prefix))
        return (self.region // divisor) == int(prefix)

    def industry_under(self, prefix: str, *, exact: bool = False) -> np.ndarray:
        """Profiles whose industry lies under ``prefix`` (``exact``: is that very code)."""
        section_ok = self.industry_section == (ord(prefix[0]) - 64)
        digits = prefix[1:]
        lvl = {0: 1, 2: 2, 3: 3, 4: 4}[len(digits)]
        if not digits:
            return section_ok & (self.industry_level == 1) if exact else section_ok
        depth = self.industry_level
        # digits of a profile truncated to this prefix's length
        scale = np.where(depth >= lvl, 10 ** np.maximum(0, (depth.astype(np.int32) - lvl)), 0)
        with np.errstate(divide="ignore"):
            truncated = np.where(scale > 0, self.industry_digits // np.maximum(scale, 1), -1)
        ok = section_ok & (truncated == int(digits))
        return ok & (depth == lvl) if exact else ok

    def has_any_qualification(self, slugs: list[str]) -> np.ndarray:
        mask = 0
        for slug in slugs:
            bit = qualification_bit(slug)
            if bit is not None:
                mask |= 1 << bit
        return (self.qual_bits & np.uint64(mask)) != 0


_PROFILE_COLUMNS = (
    Enterprise.id,
    Enterprise.region_code,
    Enterprise.industry_code,
    Enterprise.size,
    Enterprise.established_on,
    Enterprise.registered_capital,
    Enterprise.employees,
    Enterprise.annual_revenue,
    Enterprise.total_assets,
    Enterprise.qualifications,
    Enterprise.ownership,
)


class _RawProfile:
    """A driver row in the shape ``ProfileColumns.from_rows`` reads (dates and JSON may come as text on SQLite)."""

    __slots__ = ("id", "region_code", "industry_code", "size", "established_on", "registered_capital", "employees", "annual_revenue", "total_assets", "qualifications", "ownership")

    def __init__(self, row: Any) -> None:
        (self.id, self.region_code, self.industry_code, self.size, established, self.registered_capital,
         self.employees, self.annual_revenue, self.total_assets, qualifications, self.ownership) = row
        self.established_on = date.fromisoformat(established[:10]) if isinstance(established, str) else established
        self.qualifications = json.loads(qualifications) if isinstance(qualifications, str) else qualifications


class ProfileSnapshotCache:
    """The columnar snapshot, reloaded when the database's ``profiles`` counter differs from the cached one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cols: ProfileColumns | None = None
        self._lock = threading.Lock()

    def current(self) -> ProfileColumns:
        with self._lock:
            with self.engine.connect() as conn:
                revision = conn.execute(select(Counter.value).where(Counter.name == "profiles")).scalar() or 0
                if self._cols is not None and self._cols.revision == revision:
                    return self._cols
                # plain driver rows: no per-value ORM/Core result processing on a load of every profile
                names = ", ".join(c.key for c in _PROFILE_COLUMNS)
                raw = conn.exec_driver_sql(f"SELECT {names} FROM {Enterprise.__tablename__} ORDER BY id").fetchall()
            self._cols = ProfileColumns.from_rows([_RawProfile(r) for r in raw], revision)
            return self._cols

    def invalidate(self) -> None:
        with self._lock:
            self._cols = None
