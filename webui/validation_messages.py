"""Chinese 422 messages that name the field at fault, for FastAPI's request validation errors (issue 23, item 7).

Pydantic's own messages are English (``Input should be a valid string``) and its location of a JSON syntax error
is a character offset (``("body", 17)``), which read as ``17不合法：JSON decode error``. Here every error kind a
request can produce gets a Chinese sentence, the field is named by its Chinese label (or its JSON name when it
has none), and a JSON syntax error says where it is.

>>> validation_message([{"type": "missing", "loc": ("body", "question"), "msg": "Field required"}])
'缺少问题'
>>> validation_message([{"type": "json_invalid", "loc": ("body", 17), "msg": "JSON decode error", "ctx": {"error": "Expecting value"}}])
'请求体不是有效的 JSON（第 18 个字符附近有误）'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FIELD_LABELS: dict[str, str] = {
    "q": "检索内容", "top_k": "返回条数", "mode": "检索方式", "files": "文件", "question": "问题", "body": "请求体",
    "limit": "返回条数", "offset": "跳过条数", "enterprise_id": "企业编号", "subscription_id": "订阅编号",
    "message_id": "消息编号", "token_id": "令牌编号", "user_id": "用户编号", "conversation_id": "对话 ID",
    "filters": "筛选条件", "region": "地区", "issuer": "发文机关", "status": "状态", "tag": "主题标签",
    "date_from": "起始日期", "date_to": "截止日期", "doc_id": "文档 ID", "doc_ids": "文档 ID", "rating": "评价",
    "answer": "答复", "refused": "是否拒答", "cited_doc_ids": "引用文档", "comment": "意见", "name": "名称",
    "username": "用户名", "password": "密码", "role": "角色", "field": "字段", "unread_only": "仅未读",
    "rules": "规则", "rules_yaml": "规则（YAML）", "kind": "订阅类型", "value": "订阅内容", "email": "电子邮箱",
    "webhook_url": "Webhook 地址", "read": "已读状态",
}
_LOCATION_ROOTS = {"body", "query", "path", "header", "cookie"}
_BOUND_WORDS = {"ge": "不小于", "gt": "大于", "le": "不大于", "lt": "小于"}
_KIND_MESSAGES = {
    "string_type": "应为文本",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "extra_forbidden": "不是允许的字段",
    "string_unicode": "应为有效的 Unicode 文本",
    "url_parsing": "应为有效的网址",
    "url_type": "应为有效的网址",
    "uuid_parsing": "应为有效的 UUID",
    "none_required": "应为空",
}


def field_label(name: str) -> str:
    """The Chinese label of a request field, or its JSON name when it has none."""
    return FIELD_LABELS.get(name, name)


def field_of(location: Sequence[Any]) -> str:
    """The innermost named field of a pydantic error location (list indexes and ``body``/``query`` skipped)."""
    names = [str(part) for part in location if isinstance(part, str)]
    inner = [name for name in names if name not in _LOCATION_ROOTS] or names[:1]
    return field_label(inner[-1]) if inner else "请求体"


def _one(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    location = tuple(error.get("loc") or ())
    if kind == "json_invalid":
        offset = next((part for part in reversed(location) if isinstance(part, int)), None)
        where = f"（第 {offset + 1} 个字符附近有误）" if offset is not None else ""  # pydantic counts from 0
        return f"请求体不是有效的 JSON{where}"
    name = field_of(location)
    if kind == "missing":
        return f"缺少{name}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bounds = "、".join(f"{_BOUND_WORDS[key]}{value}" for key, value in context.items() if key in _BOUND_WORDS)
        return f"{name}超出允许范围（应{bounds}）"
    if kind.startswith(("int_", "float_", "decimal_")):
        return f"{name}应为数字"
    if kind.startswith(("date", "datetime", "time")):
        return f"{name}应为日期（YYYY-MM-DD）"
    if kind in ("string_too_short", "too_short"):
        least = context.get("min_length", 1)
        return f"{name}不能为空" if least == 1 else f"{name}过短（至少 {least} 个{'字' if kind.startswith('string') else '项'}）"
    if kind in ("string_too_long", "too_long"):
        return f"{name}过长（最多 {context.get('max_length')} 个{'字' if kind.startswith('string') else '项'}）"
    if kind in ("enum", "literal_error"):
        expected = re.sub(r",\s*|\s+or\s+", "、", str(context.get("expected", ""))).replace("'", "")
        return f"{name}应为以下之一：{expected}".rstrip("：")
    if kind == "string_pattern_mismatch":
        return f"{name}格式不正确"
    if kind in _KIND_MESSAGES:
        return f"{name}{_KIND_MESSAGES[kind]}"
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if any("\u4e00" <= char <= "\u9fff" for char in message):  # the project's own validators speak Chinese
        return f"{name}不合法：{message}"
    return f"{name}不合法"


def validation_message(errors: Iterable[Mapping[str, Any]]) -> str:
    """One Chinese sentence for all of a request's validation errors, each naming its field."""
    return "；".join(dict.fromkeys(_one(error) for error in errors)) or "请求不合法"
