"""Rule format (schema, validation messages), three-valued evaluation and its vectorised twin."""

from __future__ import annotations

import random
from datetime import date, timedelta
from types import SimpleNamespace

import jsonschema
import pytest

from push_rules.errors import ValidationFailed
from push_rules.matcher import match_columns
from push_rules.profile_columns import ProfileColumns
from push_rules.qualifications import QUALIFICATIONS
from push_rules.rule_engine import ConditionState, Outcome, evaluate_profile
from push_rules.rules_schema import RULE_JSON_SCHEMA, RuleValidator, parse_rule_text

VALID_RULES = [
    {"op": "region_within", "value": "150100"},
    {"all": [{"op": "in", "field": "size", "value": ["小型", "micro"]}, {"op": "years_since", "min": 2}]},
    {"any": [{"op": "has_qualification", "value": "高新技术企业"}, {"op": "industry_prefix", "value": ["C39", "6513"]}]},
    {"not": {"op": "range", "field": "annual_revenue", "min": 40000}},
    {"all": [{"op": "equals", "field": "size", "value": "small"}, {"op": "range", "field": "employees", "min": 10, "max": 300, "label": "从业人员10至300人"}]},
]

INVALID_RULES = [
    ({"op": "range", "field": "profit", "min": 1}, "规则引用了未知字段“profit”"),
    ({"op": "contains", "field": "employees"}, "未知的条件类型 op“contains”"),
    ({"all": []}, "规则.all：应为非空列表"),
    ({"op": "range", "field": "employees", "min": 50, "max": 10}, "min（50）大于 max（10）"),
    ({"op": "range", "field": "employees", "min": -1}, "界限不能为负数"),
    ({"op": "range", "field": "employees"}, "至少需要 min 或 max"),
    ({"op": "region_within", "value": "159999"}, "行政区划代码“159999”不存在"),
    ({"op": "industry_prefix", "value": "99"}, "行业大类“99”不在"),
    ({"op": "has_qualification", "value": "世界五百强"}, "未知的企业资质“世界五百强”"),
    ({"op": "years_since", "field": "employees", "min": 1}, "不支持条件“years_since”"),
    ({"all": [{"op": "region_within", "value": "150100"}], "any": []}, "只能有 all、any、not 之一"),
    ({"op": "equals", "field": "size", "value": ["small", "micro"]}, "多个值请用 in"),
    ({"op": "in", "field": "size", "value": ["small"], "extra": 1}, "不允许的字段：extra"),
    ("not a rule", "应为对象"),
]


@pytest.mark.parametrize("rule", VALID_RULES)
def test_valid_rules_pass_validator_and_json_schema(rule: dict) -> None:
    jsonschema.validate(rule, RULE_JSON_SCHEMA)
    normalized = RuleValidator().validate(rule)
    jsonschema.validate(normalized, RULE_JSON_SCHEMA)


@pytest.mark.parametrize(("rule", "message"), INVALID_RULES)
def test_invalid_rules_are_rejected_with_a_specific_message(rule: object, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        RuleValidator().validate(rule)
    assert message in caught.value.detail


def test_structurally_invalid_rules_fail_the_json_schema_too() -> None:
    for rule, _ in INVALID_RULES:
        if isinstance(rule, dict) and ("extra" in rule or "profit" in str(rule) or rule.get("all") == [] or "contains" in str(rule)):
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate(rule, RULE_JSON_SCHEMA)


def test_yaml_rules_are_accepted_and_bad_yaml_is_explained() -> None:
    rule = parse_rule_text("all:\n  - op: region_within\n    value: '150100'\n  - op: years_since\n    min: 2\n")
    assert RuleValidator().validate(rule)["all"][1] == {"op": "years_since", "field": "established_on", "min": 2}
    with pytest.raises(ValidationFailed, match="YAML"):
        parse_rule_text("all: [ {op: region_within")


def _profile(**values: object) -> SimpleNamespace:
    base = dict(id=1, region_code=None, industry_code=None, size=None, established_on=None, registered_capital=None, employees=None, annual_revenue=None, total_assets=None, qualifications=None)
    base.update(values)
    return SimpleNamespace(**base)


def test_missing_information_is_unknown_not_excluded() -> None:
    rule = RuleValidator().validate({"all": [{"op": "region_within", "value": "150100"}, {"op": "range", "field": "annual_revenue", "min": 500}]})
    evaluation = evaluate_profile(rule, _profile(region_code="150105"))
    assert evaluation.outcome is Outcome.INCOMPLETE
    assert [c.state for c in evaluation.conditions] == [ConditionState.MET, ConditionState.UNKNOWN]
    assert evaluation.conditions[1].detail == "未填写营业收入，请完善企业信息"
    assert evaluation.conditions[0].as_dict()["state"] == "满足"
    assert evaluation.conditions[1].as_dict()["state"] == "信息不全（待完善）"
    # a failed condition decides an `all` whatever is unknown
    assert evaluate_profile(rule, _profile(region_code="440106")).outcome is Outcome.INELIGIBLE


def test_years_since_establishment_boundary() -> None:
    rule = RuleValidator().validate({"op": "years_since", "min": 2})
    today = date(2026, 6, 1)
    assert evaluate_profile(rule, _profile(established_on=date(2024, 6, 1)), today).outcome is Outcome.ELIGIBLE
    assert evaluate_profile(rule, _profile(established_on=date(2024, 6, 2)), today).outcome is Outcome.INELIGIBLE


def test_negated_condition_is_shown_as_a_requirement() -> None:
    rule = RuleValidator().validate({"not": {"op": "range", "field": "annual_revenue", "min": 40000}})
    evaluation = evaluate_profile(rule, _profile(annual_revenue=100))
    assert evaluation.outcome is Outcome.ELIGIBLE
    assert evaluation.conditions[0].condition.startswith("不满足：营业收入40000万元以上")
    assert evaluation.conditions[0].state is ConditionState.MET


def test_vectorised_matcher_agrees_with_per_profile_evaluation() -> None:
    rng = random.Random(7)
    regions = ["150102", "150105", "150121", "150202", "440106", "110105", None]
    industries = ["C3911", "C39", "I6513", "I65", "F5211", "A0111", "C", None]
    quals = list(QUALIFICATIONS)
    profiles = []
    for i in range(400):
        profiles.append(
            _profile(
                id=i + 1,
                region_code=rng.choice(regions),
                industry_code=rng.choice(industries),
                size=rng.choice(["large", "medium", "small", "micro", None]),
                established_on=rng.choice([None, date(2026, 1, 1) - timedelta(days=rng.randint(0, 4000))]),
                employees=rng.choice([None, rng.randint(0, 800)]),
                annual_revenue=rng.choice([None, rng.uniform(0, 50000)]),
                total_assets=rng.choice([None, rng.uniform(0, 50000)]),
                registered_capital=rng.choice([None, rng.uniform(0, 5000)]),
                qualifications=rng.choice([None, [], rng.sample(quals, rng.randint(1, 3))]),
            )
        )
    rules = VALID_RULES + [
        {"any": [{"op": "region_within", "value": ["150100", "440100"]}, {"not": {"op": "has_qualification", "value": ["gazelle", "high_tech"]}}]},
        {"all": [{"op": "industry_prefix", "value": ["C39", "I", "A01"]}, {"op": "range", "field": "total_assets", "max": 20000}, {"op": "years_since", "min": 1, "max": 8}]},
        {"op": "in", "field": "industry", "value": ["C39", "I6513"]},
        {"op": "in", "field": "region", "value": ["150102"]},
    ]
    columns = ProfileColumns.from_rows(profiles)
    today = date(2026, 1, 1)
    for raw in rules:
        rule = RuleValidator().validate(raw)
        matches = match_columns(rule, columns, today)
        kept = {int(i): (bool(ok), s) for i, ok, s in zip(matches.enterprise_ids, matches.eligible, matches.condition_states, strict=True)}
        for profile in profiles:
            evaluation = evaluate_profile(rule, profile, today)
            if evaluation.outcome is Outcome.INELIGIBLE:
                assert profile.id not in kept, (raw, profile)
            else:
                assert kept[profile.id] == (evaluation.outcome is Outcome.ELIGIBLE, evaluation.states), (raw, profile)
