"""Evaluate eligibility rules with three-valued logic: 满足 / 不满足 / 信息不全.

A missing data point never silently excludes an enterprise: the condition is 信息不全 (unknown) and the
rule's outcome is unknown unless other conditions already decide it (Kleene logic: ``all`` fails when any
child fails, ``any`` holds when any child holds). :func:`evaluate_profile` evaluates one profile and explains
every condition; :mod:`push_rules.matcher` evaluates the same rule over all profiles at once with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from policy.labels import LabelledEnum
from push_rules.enterprise_size import EnterpriseSize, EnterpriseSizeClassifier
from push_rules.industry_codes import IndustryTable
from push_rules.ownership import Ownership
from push_rules.qualifications import qualification_label
from push_rules.regions import RegionTable
from push_rules.rule_fields import FIELDS
from push_rules.rule_ops import RULE_OPS, format_number
from push_rules.rules_schema import iter_leaves, leaf_negations


class ConditionState(LabelledEnum):
    MET = "Y", "满足"
    NOT_MET = "N", "不满足"
    UNKNOWN = "?", "信息不全（待完善）"


class Outcome(LabelledEnum):
    ELIGIBLE = "eligible", "符合条件"
    INELIGIBLE = "ineligible", "不符合条件"
    INCOMPLETE = "incomplete", "可能符合，需完善信息"


class ProfileLike(Protocol):
    region_code: str | None
    industry_code: str | None
    size: str | None
    established_on: date | None
    registered_capital: float | None
    employees: int | None
    annual_revenue: float | None
    total_assets: float | None
    qualifications: list[str] | None


@dataclass(frozen=True)
class ConditionExplanation:
    condition: str  # what the rule asks, e.g. 注册地位于内蒙古自治区呼和浩特市
    state: ConditionState
    detail: str  # what the profile says, or what to add

    def as_dict(self) -> dict[str, str]:
        return {"condition": self.condition, "state": self.state.label, "state_code": self.state.value, "detail": self.detail}


def describe_condition(leaf: dict[str, Any]) -> str:
    """A Chinese sentence for what a normalised condition asks."""
    if leaf.get("label"):
        return str(leaf["label"])
    return RULE_OPS[leaf["op"]].describe(leaf)


def evaluate_leaf(leaf: dict[str, Any], profile: ProfileLike, today: date) -> ConditionExplanation:
    field = leaf["field"]
    condition = describe_condition(leaf)
    value = getattr(profile, FIELDS[field].attribute)
    if value is None:
        return ConditionExplanation(condition, ConditionState.UNKNOWN, _missing(field, profile))
    ok = RULE_OPS[leaf["op"]].holds(leaf, value, today)
    return ConditionExplanation(condition, _state(ok), _profile_detail(field, value, today))


def _missing(field: str, profile: ProfileLike) -> str:
    """What to add to the profile so that a condition on ``field`` can be decided."""
    if field == "region":
        return "未填写注册地行政区划代码，请完善企业信息"
    if field == "industry":
        return "未填写所属行业（GB/T 4754-2017 代码），请完善企业信息"
    if field == "size":
        result = EnterpriseSizeClassifier.default().classify(
            profile.industry_code, employees=profile.employees, revenue=profile.annual_revenue, assets=profile.total_assets
        )
        if result.sector is None:
            return "企业规模待完善：未填写所属行业，无法测算企业规模（划分标准按行业而定），请补充所属行业"
        return f"企业规模待完善：无法测算企业规模（{result.sector.name}需要{result.missing_labels or '行业'}），请补充"
    if field == "established_on":
        return "未填写成立日期，请完善企业信息"
    if field == "qualifications":
        return "未填写企业资质情况，请完善企业信息"
    if field == "ownership":
        return "未填写企业性质（国有、集体、私营、外资、港澳台资等），请完善企业信息"
    return f"未填写{FIELDS[field].label}，请完善企业信息"


def _profile_detail(field: str, value: Any, today: date) -> str:
    """What the profile says about ``field`` (its value is known)."""
    if field == "region":
        region = RegionTable.default().get(value)
        return f"企业注册地：{region.full_name if region else value}"
    if field == "industry":
        return f"企业所属行业：{IndustryTable.default().describe(value)}"
    if field == "size":
        return f"企业规模：{EnterpriseSize(value).label}（按统计上大中小微型企业划分办法测算）"
    if field == "established_on":
        age = (today - value).days / 365.25
        return f"企业成立于{value.isoformat()}，已成立约{age:.1f}年"
    if field == "qualifications":
        shown = "、".join(qualification_label(q) for q in value) or "无"
        return f"企业已登记资质：{shown}"
    if field == "ownership":
        return f"企业性质：{Ownership(value).label}"
    if field == "enterprise":
        return "已登记的企业"
    spec = FIELDS[field]
    return f"企业{spec.label}：{format_number(value)}{spec.unit}"


def _state(ok: bool) -> ConditionState:
    return ConditionState.MET if ok else ConditionState.NOT_MET


def combine(rule: dict[str, Any], states: list[ConditionState]) -> ConditionState:
    """The state of ``rule`` given its leaves' states (in :func:`iter_leaves` order)."""
    iterator = iter(states)
    return _combine(rule, iterator)


def _combine(node: dict[str, Any], states: Any) -> ConditionState:
    if "all" in node or "any" in node:
        children = [_combine(child, states) for child in node.get("all", node.get("any", []))]
        if "all" in node:
            if ConditionState.NOT_MET in children:
                return ConditionState.NOT_MET
            return ConditionState.UNKNOWN if ConditionState.UNKNOWN in children else ConditionState.MET
        if ConditionState.MET in children:
            return ConditionState.MET
        return ConditionState.UNKNOWN if ConditionState.UNKNOWN in children else ConditionState.NOT_MET
    if "not" in node:
        inner = _combine(node["not"], states)
        return {ConditionState.MET: ConditionState.NOT_MET, ConditionState.NOT_MET: ConditionState.MET}.get(inner, inner)
    return next(states)


def outcome_of(state: ConditionState) -> Outcome:
    return {ConditionState.MET: Outcome.ELIGIBLE, ConditionState.NOT_MET: Outcome.INELIGIBLE, ConditionState.UNKNOWN: Outcome.INCOMPLETE}[state]


@dataclass(frozen=True)
class Evaluation:
    outcome: Outcome
    conditions: list[ConditionExplanation]  # as shown (conditions under ``not`` rephrased)
    states: str  # raw leaf states, as stored in ``Match.condition_states``

    def missing_information(self) -> list[str]:
        return [c.detail for c in self.conditions if c.state is ConditionState.UNKNOWN]


def evaluate_profile(rule: dict[str, Any], profile: ProfileLike, today: date | None = None) -> Evaluation:
    """Evaluate a normalised rule for one profile, explaining every condition."""
    today = today or date.today()
    raw = [evaluate_leaf(leaf, profile, today) for leaf in iter_leaves(rule)]
    outcome = outcome_of(combine(rule, [e.state for e in raw]))
    return Evaluation(outcome, [_as_shown(e, neg) for e, neg in zip(raw, leaf_negations(rule), strict=True)], "".join(e.state.value for e in raw))


def _as_shown(explanation: ConditionExplanation, negated: bool) -> ConditionExplanation:
    """A condition under ``not`` is shown as the requirement it expresses (不属于…), with its state flipped."""
    if not negated:
        return explanation
    flipped = {ConditionState.MET: ConditionState.NOT_MET, ConditionState.NOT_MET: ConditionState.MET}
    state = flipped.get(explanation.state, explanation.state)
    return ConditionExplanation(f"不满足：{explanation.condition}", state, explanation.detail)


def explain_states(rule: dict[str, Any], profile: ProfileLike, states: str, today: date | None = None) -> list[ConditionExplanation]:
    """Explanations for stored ``condition_states`` (re-reading the profile for the details shown)."""
    today = today or date.today()
    result = []
    for leaf, negated, code in zip(iter_leaves(rule), leaf_negations(rule), states, strict=True):
        fresh = evaluate_leaf(leaf, profile, today)
        result.append(_as_shown(ConditionExplanation(fresh.condition, ConditionState(code), fresh.detail), negated))
    return result
