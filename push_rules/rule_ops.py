"""Every condition type (op) of an eligibility rule, defined once in :data:`RULE_OPS`.

An op declares the fields it tests, whether it takes values or inclusive ``min``/``max`` bounds, its Chinese
label, the sentence it reads as, its test against one profile (:mod:`push_rules.rule_engine`) and against all
profiles at once (:mod:`push_rules.matcher`), and where the rule suggester lists it. The JSON schema and the
validator (:mod:`push_rules.rules_schema`), the engine, the matcher, the suggester and the staff page's help all
read this registry::

    RULE_OPS["region_within"].holds({"value": ["150100"]}, "150102", date.today())  # True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from push_rules.industry_codes import IndustryTable, industry_matches
from push_rules.profile_columns import ProfileColumns
from push_rules.qualifications import qualification_label
from push_rules.regions import RegionTable, within
from push_rules.rule_fields import FIELDS, value_label

Leaf = dict[str, Any]


@dataclass(frozen=True)
class RuleOp:
    """One condition type.

    :param fields: the fields (keys of :data:`push_rules.rule_fields.FIELDS`) the op may test.
    :param implied_field: the field a condition tests when it names none; None: the condition must name one.
    :param bounds: the op takes ``min``/``max`` (inclusive) instead of ``value``.
    :param any_of: the values are alternatives (any one suffices); False: exactly one value.
    :param suggest_rank: where suggested conditions of this op are listed (lower first).
    :param takes_value: False for an op that needs neither ``value`` nor bounds (:data:`ALL_ENTERPRISES`).
    """

    name: str
    label: str
    fields: tuple[str, ...]
    implied_field: str | None
    bounds: bool
    any_of: bool
    suggest_rank: int
    describe: Callable[[Leaf], str]
    holds: Callable[[Leaf, Any, date], bool]
    """Whether a known (not None) profile value meets the condition on ``today``."""
    met_columns: Callable[[Leaf, ProfileColumns, date], np.ndarray]
    """The same test over all profiles; the caller masks out profiles without a value."""
    takes_value: bool = True


def years_cutoff(today: date, years: float) -> date:
    """The latest establishment date that is ``years`` full years before ``today``."""
    whole = int(years)
    try:
        cutoff = today.replace(year=today.year - whole)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - whole, day=28)
    if years != whole:
        cutoff = date.fromordinal(cutoff.toordinal() - round((years - whole) * 365.25))
    return cutoff


def format_number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bounds_text(label: str, leaf: Leaf, unit: str, prefix_min: str = "", suffix_max: str = "以下") -> str:
    low, high = leaf.get("min"), leaf.get("max")
    if low is not None and high is not None:
        return f"{label}{format_number(low)}{unit}至{format_number(high)}{unit}"
    if low is not None:
        return f"{label}{prefix_min}{format_number(low)}{unit}" + ("" if prefix_min else "以上")
    assert high is not None, "the rule schema requires min or max"
    return f"{label}{format_number(high)}{unit}{suffix_max}"


def _within_bounds(leaf: Leaf, value: float) -> bool:
    return ("min" not in leaf or value >= leaf["min"]) and ("max" not in leaf or value <= leaf["max"])


def _any_of(test: Callable[[str], np.ndarray], values: list[str], n: int) -> np.ndarray:
    met = np.zeros(n, dtype=bool)
    for value in values:
        met |= test(value)
    return met


def _established_within(leaf: Leaf, established: date, today: date) -> bool:
    ok = True
    if "min" in leaf:
        ok = ok and established <= years_cutoff(today, leaf["min"])
    if "max" in leaf:
        ok = ok and established > years_cutoff(today, leaf["max"])
    return ok


def _established_columns(leaf: Leaf, cols: ProfileColumns, today: date) -> np.ndarray:
    met = np.ones(len(cols), dtype=bool)
    if "min" in leaf:
        met &= cols.established <= years_cutoff(today, leaf["min"]).toordinal()
    if "max" in leaf:
        met &= cols.established > years_cutoff(today, leaf["max"]).toordinal()
    return met


def _numeric_columns(leaf: Leaf, cols: ProfileColumns, _today: date) -> np.ndarray:
    values = cols.numeric[leaf["field"]]
    met = np.ones(len(cols), dtype=bool)
    with np.errstate(invalid="ignore"):
        if "min" in leaf:
            met &= values >= leaf["min"]
        if "max" in leaf:
            met &= values <= leaf["max"]
    return met


def _shown_values(leaf: Leaf) -> list[str]:
    return [value_label(leaf["field"], v) for v in leaf.get("value", [])]


def _region_names(codes: list[str]) -> str:
    """``codes`` by their full names (a code the table no longer holds as itself), joined by 或."""
    table = RegionTable.default()
    return "或".join(region.full_name if (region := table.get(code)) else code for code in codes)


_CODED_FIELDS = ("region", "industry", "size", "ownership")

EQUALS = RuleOp(
    "equals", "等于", _CODED_FIELDS, None, bounds=False, any_of=False, suggest_rank=9,
    describe=lambda leaf: f"{FIELDS[leaf['field']].label}为{_shown_values(leaf)[0]}",
    holds=lambda leaf, value, _today: value in leaf["value"],
    met_columns=lambda leaf, cols, _today: _any_of(lambda v: cols.equals(leaf["field"], v), leaf["value"], len(cols)),
)
IN = RuleOp(
    "in", "属于其一", _CODED_FIELDS, None, bounds=False, any_of=True, suggest_rank=1,
    describe=lambda leaf: f"{FIELDS[leaf['field']].label}为{'、'.join(_shown_values(leaf))}之一",
    holds=EQUALS.holds,
    met_columns=EQUALS.met_columns,
)
INDUSTRY_PREFIX = RuleOp(
    "industry_prefix", "行业属于", ("industry",), "industry", bounds=False, any_of=True, suggest_rank=5,
    describe=lambda leaf: f"所属行业为{'或'.join(IndustryTable.default().describe(v) for v in leaf['value'])}",
    holds=lambda leaf, code, _today: any(industry_matches(code, v) for v in leaf["value"]),
    met_columns=lambda leaf, cols, _today: _any_of(cols.industry_under, leaf["value"], len(cols)),
)
RANGE = RuleOp(
    "range", "数值范围", ("registered_capital", "employees", "annual_revenue", "total_assets"), None,
    bounds=True, any_of=False, suggest_rank=3,
    describe=lambda leaf: _bounds_text(FIELDS[leaf["field"]].label, leaf, FIELDS[leaf["field"]].unit),
    holds=lambda leaf, value, _today: _within_bounds(leaf, value),
    met_columns=_numeric_columns,
)
YEARS_SINCE = RuleOp(
    "years_since", "成立年限", ("established_on",), "established_on", bounds=True, any_of=False, suggest_rank=2,
    describe=lambda leaf: _bounds_text("成立", leaf, "年", prefix_min="满", suffix_max="以内"),
    holds=_established_within,
    met_columns=_established_columns,
)
HAS_QUALIFICATION = RuleOp(
    "has_qualification", "具有资质", ("qualifications",), "qualifications", bounds=False, any_of=True, suggest_rank=4,
    describe=lambda leaf: f"具有{'或'.join(qualification_label(v) for v in leaf['value'])}资质",
    holds=lambda leaf, held, _today: any(v in held for v in leaf["value"]),
    met_columns=lambda leaf, cols, _today: cols.has_any_qualification(leaf["value"]),
)
REGION_WITHIN = RuleOp(
    "region_within", "注册地位于", ("region",), "region", bounds=False, any_of=True, suggest_rank=0,
    describe=lambda leaf: f"注册地位于{_region_names(leaf['value'])}",
    holds=lambda leaf, code, _today: any(within(code, v) for v in leaf["value"]),
    met_columns=lambda leaf, cols, _today: _any_of(cols.region_within, leaf["value"], len(cols)),
)

ALL_ENTERPRISES = RuleOp(
    "all_enterprises", "所有企业", ("enterprise",), "enterprise", bounds=False, any_of=False, suggest_rank=8,
    describe=lambda leaf: "适用于所有企业",
    holds=lambda leaf, _value, _today: True,
    met_columns=lambda leaf, cols, _today: np.ones(len(cols), dtype=bool),
    takes_value=False,
)

RULE_OPS: dict[str, RuleOp] = {
    op.name: op for op in (EQUALS, IN, INDUSTRY_PREFIX, RANGE, YEARS_SINCE, HAS_QUALIFICATION, REGION_WITHIN, ALL_ENTERPRISES)
}


def ops_for_field(field: str) -> list[str]:
    """The names of the ops that may test ``field``, in registry order."""
    return [op.name for op in RULE_OPS.values() if field in op.fields]
