"""Turn pydantic validation errors into Chinese messages that name the field, for every request model."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from push_rules.errors import Problem, ValidationFailed

FIELD_LABELS: dict[str, str] = {
    "credit_code": "统一社会信用代码",
    "name": "企业名称",
    "region_code": "行政区划代码",
    "industry_code": "行业代码",
    "established_on": "成立日期",
    "registered_capital": "注册资本",
    "employees": "从业人员",
    "annual_revenue": "营业收入",
    "total_assets": "资产总额",
    "qualifications": "企业资质",
    "ownership": "企业性质",
    "interest_topics": "关注主题",
    "interest_keywords": "关注关键词",
    "email": "电子邮箱",
    "webhook_url": "Webhook 地址",
    "webhook_secret": "Webhook 密钥",
    "kind": "订阅类型",
    "value": "订阅内容",
    "enterprise_id": "企业编号",
    "rules": "规则",
    "rules_yaml": "规则（YAML）",
    "slug": "资质标识",
    "label": "资质名称",
    "aliases": "别名",
}

_MESSAGES = {
    "missing": "为必填项",
    "extra_forbidden": "不是允许的字段",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "bool_parsing": "应为 true 或 false",
    "date_parsing": "应为日期（格式 YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（格式 YYYY-MM-DD）",
    "date_type": "应为日期（格式 YYYY-MM-DD）",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "finite_number": "应为有限数字",
}

M = TypeVar("M", bound=BaseModel)


def describe_errors(error: ValidationError) -> list[Problem]:
    """Each pydantic error as a :class:`Problem`: the request field's key and a Chinese message naming it."""
    messages = []
    for item in error.errors():
        loc = [str(x) for x in item["loc"]]
        field = loc[0] if loc else ""
        label = FIELD_LABELS.get(field, field)
        where = label + ("".join(f"[{x}]" for x in loc[1:]) if len(loc) > 1 else "")
        if item["type"] == "value_error":
            text = str(item.get("ctx", {}).get("error", item["msg"]))
            messages.append(Problem(field or None, f"{where}：{text}" if where else text))
        else:
            messages.append(Problem(field or None, f"{where}{_MESSAGES.get(item['type'], '取值无效')}"))
    return messages


def json_object(data: Any) -> dict[str, Any]:
    """``data`` when it is a JSON object; :raises ValidationFailed: when it is an array, a string, a number…"""
    if not isinstance(data, dict):
        raise ValidationFailed("请求体应为 JSON 对象")
    return data


def parse_model(model: type[M], data: Any, context: dict[str, Any] | None = None) -> M:
    """``model.model_validate(data, context=context)``; raises :class:`ValidationFailed` with Chinese messages."""
    data = json_object(data)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        raise ValidationFailed(describe_errors(error)) from None
