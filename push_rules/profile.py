"""Enterprise profile input: validation of every field (Chinese messages) and the derived size."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from push_rules.credit_code import normalize_credit_code, validate_credit_code
from push_rules.enterprise_size import EnterpriseSizeClassifier
from push_rules.industry_codes import IndustryTable
from push_rules.ownership import Ownership
from push_rules.qualifications import QualificationCatalog, normalize_qualification
from push_rules.regions import RegionTable

MAX_EMPLOYEES = 5_000_000
MAX_AMOUNT = 1_000_000_000.0  # 万元 (10 万亿元), above the largest enterprise's revenue or assets
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _amount(value: float | None, label: str) -> float | None:
    if value is None:
        return None
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{label}应为有限数字")
    if value < 0:
        raise ValueError(f"{label}不能为负数")
    if value > MAX_AMOUNT:
        raise ValueError(f"{label}{value:g}万元超出合理范围（上限{MAX_AMOUNT:g}万元），请确认单位为万元")
    return value


class EnterpriseInput(BaseModel):
    """What a client sends to create or replace an enterprise profile. Amounts are in 万元.

    Qualifications are checked against the catalogue passed as validation context ``{"qualifications": catalog}``
    (the built-in catalogue without one).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    credit_code: str
    name: str = Field(min_length=1, max_length=200)
    region_code: str | None = None
    industry_code: str | None = None
    established_on: date | None = None
    registered_capital: float | None = None
    employees: int | None = None
    annual_revenue: float | None = None
    total_assets: float | None = None
    qualifications: list[str] | None = None  # None: not declared; [] declared none
    ownership: str | None = None  # Ownership value or label (国有、集体、私营、外资、港澳台资 …)
    interest_topics: list[str] = Field(default_factory=list)
    interest_keywords: list[str] = Field(default_factory=list)
    email: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = Field(None, min_length=16, max_length=128)

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str) -> str:
        problem = validate_credit_code(value)
        if problem:
            raise ValueError(problem)
        return normalize_credit_code(value)

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return None if not value else RegionTable.default().validate(value).code

    @field_validator("industry_code")
    @classmethod
    def _industry(cls, value: str | None) -> str | None:
        return None if not value else IndustryTable.default().normalize(value).code

    @field_validator("established_on")
    @classmethod
    def _established(cls, value: date | None) -> date | None:
        if value is None:
            return None
        if value > date.today():
            raise ValueError("成立日期不能晚于今天")
        if value.year < 1800:
            raise ValueError("成立日期早于1800年，请检查")
        return value

    @field_validator("employees")
    @classmethod
    def _employees(cls, value: int | None) -> int | None:
        if value is None:
            return None
        if value < 0:
            raise ValueError("从业人员不能为负数")
        if value > MAX_EMPLOYEES:
            raise ValueError(f"从业人员{value}人超出合理范围（上限{MAX_EMPLOYEES}人）")
        return value

    @field_validator("registered_capital")
    @classmethod
    def _capital(cls, value: float | None) -> float | None:
        return _amount(value, "注册资本")

    @field_validator("annual_revenue")
    @classmethod
    def _revenue(cls, value: float | None) -> float | None:
        return _amount(value, "营业收入")

    @field_validator("total_assets")
    @classmethod
    def _assets(cls, value: float | None) -> float | None:
        return _amount(value, "资产总额")

    @field_validator("qualifications")
    @classmethod
    def _qualifications(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return None
        catalog = (info.context or {}).get("qualifications")
        normalize = catalog.normalize if isinstance(catalog, QualificationCatalog) else normalize_qualification
        return sorted({normalize(v) for v in value})

    @field_validator("ownership")
    @classmethod
    def _ownership(cls, value: str | None) -> str | None:
        return None if not value else Ownership.from_str(value).value

    @field_validator("interest_topics", "interest_keywords")
    @classmethod
    def _interests(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value if v.strip()]
        if any(len(v) > 50 for v in cleaned):
            raise ValueError("每项不能超过50个字")
        if len(cleaned) > 50:
            raise ValueError("最多50项")
        return list(dict.fromkeys(cleaned))

    @field_validator("interest_topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        from push_rules.subscriptions import known_topics

        topics = known_topics()
        unknown = [v for v in value if topics is not None and v not in topics]
        if unknown:
            raise ValueError(f"未知的政策主题“{'、'.join(unknown)}”，可选：{'、'.join(sorted(topics or []))}")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not _EMAIL.match(value):
            raise ValueError(f"“{value}”不是有效的电子邮箱地址")
        return value or None

    def derived_size(self) -> str | None:
        result = EnterpriseSizeClassifier.default().classify(
            self.industry_code, employees=self.employees, revenue=self.annual_revenue, assets=self.total_assets
        )
        return result.size.value if result.size else None

    def to_columns(self) -> dict[str, Any]:
        data = self.model_dump()
        data["size"] = self.derived_size()
        return data
