"""A string enum whose members carry a label for people and are read back from what people type.

Usage::

    class AnswerMode(LabelledEnum, unknown="未知的答复方式“{value}”"):
        EXTRACTIVE = "extractive", "抽取式"
        GENERATIVE = "generative", "生成式"

    AnswerMode.from_str("Generative")   # AnswerMode.GENERATIVE
    AnswerMode.GENERATIVE.label         # "生成式"
    AnswerMode.from_str("fast")         # ValueError: 未知的答复方式“fast”，可选：extractive（抽取式）、generative（生成式）
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Self


class LabelledEnum(str, Enum):
    """Members are written ``NAME = "value", "标签", *aliases``; without a label, a member's label is its value.

    A member's value stays the plain string (``Role.ADMIN == "admin"``). :meth:`from_str` accepts the value in
    any case, the label or an alias. A subclass names its unknown-value message with the ``unknown`` class
    keyword (``{value}`` is what was given); the valid values are appended to it.
    """

    _label: str
    _aliases: tuple[str, ...]
    _unknown_message: str

    def __new__(cls, value: str, label: str | None = None, *aliases: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = value if label is None else label
        member._aliases = aliases
        return member

    def __init_subclass__(cls, *, unknown: str = "“{value}”无效", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._unknown_message = unknown

    @property
    def label(self) -> str:
        """The member's name for people (Chinese)."""
        return self._label

    @classmethod
    def offered(cls) -> list[Self]:
        """The members the unknown-value message lists as valid; all of them unless a subclass says otherwise."""
        return list(cls)

    @classmethod
    def from_str(cls, value: str) -> Self:
        """The member whose value (in any case), label or alias ``value`` is.

        :param value: what a person or a setting gave.
        :returns: the member.
        :raises ValueError: no member is spelled so; the message lists the valid values.
        """
        folded = value.lower()
        for member in cls:
            if folded == member.value.lower() or value == member._label or value in member._aliases:
                return member
        valid = "、".join(m.value if m._label == m.value else f"{m.value}（{m._label}）" for m in cls.offered())
        raise ValueError(f"{cls._unknown_message.format(value=value)}，可选：{valid}")
