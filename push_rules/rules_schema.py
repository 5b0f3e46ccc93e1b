"""The declarative eligibility rule format: JSON schema, validation with Chinese messages, normalisation.

A rule is a tree. Inner nodes are ``{"all": [...]}``, ``{"any": [...]}`` or ``{"not": {...}}``; leaves are
conditions ``{"op": ..., "field": ..., "value"/"min"/"max": ..., "label": optional note}``::

    {"all": [
        {"op": "region_within", "value": "150100"},
        {"op": "in", "field": "size", "value": ["small", "micro"]},
        {"op": "years_since", "field": "established_on", "min": 1},
        {"any": [{"op": "has_qualification", "value": "high_tech"},
                 {"op": "industry_prefix", "value": ["C39", "I65"]}]}
    ]}

The ops and the fields they test are declared in :mod:`push_rules.rule_ops` and :mod:`push_rules.rule_fields`;
the schema's op list and requirements are read from there. ``range`` and ``years_since`` bounds are inclusive
(以上/以下 include the number, as in Chinese legal usage). YAML with the same structure is accepted as well.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from push_rules.errors import Problem, ValidationFailed
from push_rules.qualifications import QualificationCatalog
from push_rules.rule_fields import FIELDS, normalize_value
from push_rules.rule_ops import RULE_OPS, ops_for_field

MAX_DEPTH = 8
MAX_LEAVES = 60
OPS = tuple(RULE_OPS)

_STRINGS = {"oneOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}]}

RULE_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://policykb.local/schemas/eligibility-rule.json",
    "title": "PolicyKB eligibility rule",
    "$ref": "#/$defs/node",
    "$defs": {
        "node": {"oneOf": [{"$ref": "#/$defs/all"}, {"$ref": "#/$defs/any"}, {"$ref": "#/$defs/not"}, {"$ref": "#/$defs/condition"}]},
        "all": {"type": "object", "properties": {"all": {"type": "array", "items": {"$ref": "#/$defs/node"}, "minItems": 1}, "label": {"type": "string"}}, "required": ["all"], "additionalProperties": False},
        "any": {"type": "object", "properties": {"any": {"type": "array", "items": {"$ref": "#/$defs/node"}, "minItems": 1}, "label": {"type": "string"}}, "required": ["any"], "additionalProperties": False},
        "not": {"type": "object", "properties": {"not": {"$ref": "#/$defs/node"}, "label": {"type": "string"}}, "required": ["not"], "additionalProperties": False},
        "condition": {
            "type": "object",
            "properties": {
                "op": {"enum": list(OPS)},
                "field": {"enum": list(FIELDS)},
                "value": {"oneOf": [_STRINGS["oneOf"][0], _STRINGS["oneOf"][1]]},
                "min": {"type": "number"},
                "max": {"type": "number"},
                "label": {"type": "string"},
            },
            "required": ["op"],
            "additionalProperties": False,
            "allOf": [
                {"if": {"properties": {"op": {"enum": [op.name for op in RULE_OPS.values() if op.implied_field is None]}}}, "then": {"required": ["field"]}},
                *(
                    {"if": {"properties": {"op": {"const": op.name}}}, "then": {"anyOf": [{"required": ["min"]}, {"required": ["max"]}]}}
                    for op in RULE_OPS.values()
                    if op.bounds
                ),
                {"if": {"properties": {"op": {"enum": [op.name for op in RULE_OPS.values() if not op.bounds and op.takes_value]}}}, "then": {"required": ["value"]}},
            ],
        },
    },
}


def parse_rule_text(text: str) -> Any:
    """A rule written as JSON or YAML text, parsed; ValidationFailed when it is neither."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"（第{mark.line + 1}行第{mark.column + 1}列）" if mark else ""
        raise ValidationFailed(f"规则既不是有效的 JSON 也不是有效的 YAML{where}", field="rules_yaml") from None


class RuleValidator:
    """Validate a rule tree and return its normalised form (canonical codes, slugs, lists).

    :param qualifications: the catalogue qualification names are checked against; the built-in one by default.

    >>> RuleValidator().validate({"op": "region_within", "value": "150100"})
    {'op': 'region_within', 'field': 'region', 'value': ['150100']}
    """

    def __init__(self, qualifications: QualificationCatalog | None = None) -> None:
        self.qualifications = qualifications

    def validate(self, rule: Any) -> dict[str, Any]:
        errors: list[str] = []
        leaves = [0]
        normalized = self._node(rule, "规则", 0, errors, leaves)
        if leaves[0] > MAX_LEAVES:
            errors.append(f"规则条件过多（{leaves[0]}个，上限{MAX_LEAVES}个）")
        if errors:
            raise ValidationFailed([Problem(_problem_field(message), message) for message in errors])
        assert normalized is not None, "a node is None only when it recorded an error"
        return normalized

    def _node(self, node: Any, path: str, depth: int, errors: list[str], leaves: list[int]) -> dict[str, Any] | None:
        if depth > MAX_DEPTH:
            errors.append(f"{path}：嵌套层数超过{MAX_DEPTH}层")
            return None
        if not isinstance(node, dict):
            errors.append(f"{path}：应为对象（all/any/not 组合或条件），实为{_type_name(node)}")
            return None
        combinators = [k for k in ("all", "any", "not") if k in node]
        if len(combinators) > 1:
            errors.append(f"{path}：一个节点只能有 all、any、not 之一，实有{'、'.join(combinators)}")
            return None
        if combinators:
            key = combinators[0]
            extra = set(node) - {key, "label"}
            if extra:
                errors.append(f"{path}：{key} 节点中不允许的字段：{'、'.join(sorted(extra))}")
            result: dict[str, Any] = {}
            if key == "not":
                child = self._node(node["not"], f"{path}.not", depth + 1, errors, leaves)
                result = {"not": child}
            else:
                children = node[key]
                if not isinstance(children, list) or not children:
                    errors.append(f"{path}.{key}：应为非空列表")
                    return None
                result = {key: [self._node(c, f"{path}.{key}[{i}]", depth + 1, errors, leaves) for i, c in enumerate(children)]}
            if "label" in node:
                result["label"] = str(node["label"])
            return result
        leaves[0] += 1
        return self._condition(node, path, errors)

    def _condition(self, node: dict[str, Any], path: str, errors: list[str]) -> dict[str, Any] | None:
        before = len(errors)
        extra = set(node) - {"op", "field", "value", "min", "max", "label"}
        if extra:
            errors.append(f"{path}：条件中不允许的字段：{'、'.join(sorted(extra))}（允许 op、field、value、min、max、label）")
        op = node.get("op")
        if op is None:
            errors.append(f"{path}：条件缺少 op（可选：{'、'.join(OPS)}），或应为 all/any/not 组合")
            return None
        if op not in OPS:
            errors.append(f"{path}：未知的条件类型 op“{op}”，可选：{'、'.join(OPS)}")
            return None
        rule_op = RULE_OPS[op]
        field = node.get("field", rule_op.implied_field)
        if field is None:
            errors.append(f"{path}：条件“{op}”需要指定 field")
            return None
        if field not in FIELDS:
            errors.append(f"{path}：规则引用了未知字段“{field}”，可用字段：{'、'.join(f'{k}（{v.label}）' for k, v in FIELDS.items())}")
            return None
        spec = FIELDS[field]
        if field not in rule_op.fields:
            errors.append(f"{path}：字段“{field}”（{spec.label}）不支持条件“{op}”，可用：{'、'.join(sorted(ops_for_field(field)))}")
            return None
        result: dict[str, Any] = {"op": op, "field": field}
        if not rule_op.takes_value:
            given = sorted({"value", "min", "max"} & set(node))
            if given:
                errors.append(f"{path}：条件“{op}”不需要 {'、'.join(given)}")
        elif rule_op.bounds:
            if "value" in node:
                errors.append(f"{path}：条件“{op}”使用 min/max，不使用 value")
            bounds: dict[str, float] = {}
            for key in ("min", "max"):
                if key in node:
                    value = node[key]
                    if isinstance(value, bool) or not isinstance(value, (int, float)):
                        errors.append(f"{path}.{key}：应为数字，实为{_type_name(value)}")
                    elif value < 0:
                        errors.append(f"{path}.{key}：{spec.label}的界限不能为负数")
                    else:
                        bounds[key] = value
            if "min" not in node and "max" not in node:
                errors.append(f"{path}：条件“{op}”至少需要 min 或 max 之一")
            if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
                errors.append(f"{path}：min（{bounds['min']}）大于 max（{bounds['max']}）")
            result.update(bounds)
        else:
            if "min" in node or "max" in node:
                errors.append(f"{path}：条件“{op}”使用 value，不使用 min/max")
            if "value" not in node:
                errors.append(f"{path}：条件“{op}”缺少 value")
            else:
                values = node["value"] if isinstance(node["value"], list) else [node["value"]]
                if not values or not all(isinstance(v, str) and v.strip() for v in values):
                    errors.append(f"{path}.value：应为非空文本或文本列表")
                elif not rule_op.any_of and isinstance(node["value"], list) and len(values) > 1:
                    errors.append(f"{path}.value：{op} 只接受一个值，多个值请用 in")
                else:
                    result["value"] = [self._value(field, v.strip(), f"{path}.value", errors) for v in values]
        if "label" in node:
            result["label"] = str(node["label"])
        return result if len(errors) == before else None

    def _value(self, field: str, value: str, path: str, errors: list[str]) -> str:
        try:
            return normalize_value(field, value, self.qualifications)
        except ValueError as error:
            errors.append(f"{path}：{error}")
        return value


def iter_leaves(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """The conditions of a normalised rule in document order (the order of ``Match.condition_states``)."""
    if "all" in rule or "any" in rule:
        return [leaf for child in rule.get("all", rule.get("any", [])) for leaf in iter_leaves(child)]
    if "not" in rule:
        return iter_leaves(rule["not"])
    return [rule]


def leaf_negations(rule: dict[str, Any], negated: bool = False) -> list[bool]:
    """For each leaf (in :func:`iter_leaves` order): whether an odd number of ``not`` nodes is above it."""
    if "all" in rule or "any" in rule:
        return [n for child in rule.get("all", rule.get("any", [])) for n in leaf_negations(child, negated)]
    if "not" in rule:
        return leaf_negations(rule["not"], not negated)
    return [negated]


def _problem_field(message: str) -> str:
    """The machine-readable key of a rule problem: ``规则.all[1].value：…`` → ``rules.all[1].value``."""
    path = message.split("：", 1)[0]
    return "rules" + path[2:] if path.startswith("规则") and "：" in message else "rules"


def _type_name(value: Any) -> str:
    return {dict: "对象", list: "列表", str: "文本", bool: "布尔值", int: "整数", float: "数字", type(None): "空值"}.get(type(value), type(value).__name__)


__all__ = ["OPS", "RULE_JSON_SCHEMA", "RuleValidator", "iter_leaves", "leaf_negations", "parse_rule_text"]
