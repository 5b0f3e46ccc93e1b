"""The enterprise fields an eligibility condition can test: label, unit, profile attribute, value codes.

Which ops apply to which field is declared by the ops themselves (:mod:`push_rules.rule_ops`).
"""

from __future__ import annotations

from dataclasses import dataclass

from push_rules.enterprise_size import EnterpriseSize
from push_rules.industry_codes import IndustryTable
from push_rules.ownership import Ownership
from push_rules.qualifications import QualificationCatalog, normalize_qualification
from push_rules.regions import RegionTable


@dataclass(frozen=True)
class FieldSpec:
    label: str
    attribute: str  # the profile attribute holding the field's value
    unit: str = ""


FIELDS: dict[str, FieldSpec] = {
    "region": FieldSpec("注册地", "region_code"),
    "industry": FieldSpec("所属行业", "industry_code"),
    "size": FieldSpec("企业规模", "size"),
    "established_on": FieldSpec("成立日期", "established_on", "年"),
    "registered_capital": FieldSpec("注册资本", "registered_capital", "万元"),
    "employees": FieldSpec("从业人员", "employees", "人"),
    "annual_revenue": FieldSpec("营业收入", "annual_revenue", "万元"),
    "total_assets": FieldSpec("资产总额", "total_assets", "万元"),
    "qualifications": FieldSpec("企业资质", "qualifications"),
    "ownership": FieldSpec("企业性质", "ownership"),
    # every registered enterprise has a credit code: the field of a condition that holds for all of them
    "enterprise": FieldSpec("企业", "credit_code"),
}


def normalize_value(field: str, value: str, qualifications: QualificationCatalog | None = None) -> str:
    """The canonical code of a condition value (region code, industry code, size, ownership, qualification slug).

    :param qualifications: the catalogue qualification names are looked up in; the built-in one by default.
    :raises ValueError: with a Chinese message when ``value`` names nothing the field knows.
    """
    if field == "region":
        return RegionTable.default().validate(value).code
    if field == "industry":
        return IndustryTable.default().normalize(value).code
    if field == "size":
        return EnterpriseSize.from_str(value).value
    if field == "ownership":
        return Ownership.from_str(value).value
    if field == "qualifications":
        return qualifications.normalize(value) if qualifications is not None else normalize_qualification(value)
    return value


def value_label(field: str, value: str) -> str:
    """How a canonical value is shown to people (企业规模 ``small`` → 小型企业)."""
    if field == "size":
        return EnterpriseSize(value).label + "企业"
    if field == "ownership":
        return Ownership(value).label
    if field == "region":
        region = RegionTable.default().get(value)
        return region.full_name if region else value
    if field == "industry":
        return IndustryTable.default().describe(value)
    return value
