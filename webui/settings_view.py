"""The effective settings as the admin page shows them, with every secret masked.

A value is secret when its field is a ``SecretStr``, when its name has a secret-sounding part (``password``,
``secret``, ``token``, ``key``…), or when it looks like a URL with credentials in it (``user:pass@host``, or a
query parameter such as ``?password=``). A secret is shown only as “已设置（隐藏）” or “未设置”: its value never
reaches the page, not even in part.

Usage::

    rows = settings_rows(settings)  # [SettingRow(variable="POLICYKB_DATA_DIR", value="data", secret=False, ...), ...]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from policykb.settings import Settings

SECRET_SET = "已设置（隐藏）"
SECRET_UNSET = "未设置"
EMPTY = "（空）"

_SECRET_NAME_PARTS = {"password", "passwd", "pwd", "secret", "token", "key", "apikey", "credential", "credentials", "auth"}
_URL_WITH_USERINFO = re.compile(r"[a-z][a-z0-9+.\-]*://[^/?#\s]*@", re.IGNORECASE)
_DERIVED = {("push", "data_dir")}  # always the main data directory, set by Settings itself


@dataclass(frozen=True)
class SettingRow:
    variable: str  # the environment variable that sets it, e.g. POLICYKB_PUSH__SMTP_PASSWORD
    value: str  # what the page shows: the value, or the masked form of a secret
    secret: bool
    default: bool  # the value is the built-in default


def _is_secret_name(name: str) -> bool:
    return any(part in _SECRET_NAME_PARTS for part in name.lower().split("_"))


def _carries_credentials(text: str) -> bool:
    """A URL with ``user:pass@`` (or ``token@``) in it, or with a secret-named query parameter."""
    if _URL_WITH_USERINFO.search(text):
        return True
    if "://" not in text:
        return False
    try:
        query = urlsplit(text.strip()).query
    except ValueError:
        return True  # unparsable: better hidden than leaked
    return any(_is_secret_name(name) for name, _ in parse_qsl(query, keep_blank_values=True))


def _is_unset(value: Any) -> bool:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return value is None or value == "" or value == []


def _display(value: Any) -> str:
    if value is None:
        return SECRET_UNSET
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(item) for item in value) or EMPTY
    text = str(value)
    return text if text else EMPTY


def _fields(model: BaseModel, prefix: str, section: str | None = None) -> Iterator[tuple[str, str, FieldInfo, Any]]:
    """(variable, field name, field, value) of every setting, nested sections as ``<PREFIX><SECTION>__<NAME>``."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _fields(value, f"{prefix}{name.upper()}__", name)
        elif (section, name) not in _DERIVED:
            yield f"{prefix}{name.upper()}", name, field, value


def setting_row(variable: str, name: str, field: FieldInfo, value: Any) -> SettingRow:
    default = field.get_default(call_default_factory=True)
    is_default = value == default
    secret = isinstance(value, SecretStr) or "SecretStr" in str(field.annotation) or _is_secret_name(name)
    if not secret and value is not None:
        texts = value if isinstance(value, (list, tuple, set)) else [value]
        secret = any(isinstance(text, str) and _carries_credentials(text) for text in texts)
    if secret:
        return SettingRow(variable, SECRET_UNSET if _is_unset(value) else SECRET_SET, True, is_default)
    return SettingRow(variable, _display(value), False, is_default)


def settings_rows(settings: Settings) -> list[SettingRow]:
    """Every setting of ``settings`` in declaration order, secrets masked."""
    return [setting_row(variable, name, field, value) for variable, name, field, value in _fields(settings, "POLICYKB_")]
