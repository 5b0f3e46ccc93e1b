"""统一社会信用代码 (unified social credit code) validation per GB 32100-2015.

18 characters from the 31-character set ``0-9 A-H J-N P-R T U W-Y`` (no I, O, Z, S, V). The 18th character is a
check character: ``31 - (Σ value_i × 3^i mod 31) mod 31`` over the first 17. Positions 9–17 are the
organisation code (GB 11714), whose 9th character has its own mod-11 check.

>>> validate_credit_code("914403001922038216") is None
True
"""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ORG_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_REGISTRATION_AUTHORITIES = set("156789ANY")  # 机构编制, 民政, 工商, 宗教, 中央军委改革, 农业, 其他 ...


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character of the first 17 characters."""
    total = sum(_VALUES[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def organisation_check_character(first8: str) -> str:
    """The GB 11714 check character of an organisation code's first 8 characters."""
    total = sum(_ORG_CHARSET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def normalize_credit_code(code: str) -> str:
    return code.strip().upper()


def validate_credit_code(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码, in Chinese; None when it is valid."""
    code = normalize_credit_code(code)
    if len(code) != 18:
        return f"统一社会信用代码应为18位，当前为{len(code)}位"
    bad = sorted({c for c in code if c not in _VALUES})
    if bad:
        return f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）"
    if code[0] not in _REGISTRATION_AUTHORITIES:
        return f"统一社会信用代码第1位（登记管理部门代码）“{code[0]}”无效"
    if not code[2:8].isdigit():
        return "统一社会信用代码第3至8位应为登记管理机关行政区划码（6位数字）"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：第18位应为“{expected}”，实为“{code[17]}”"
    org = code[8:17]
    if all(c in _ORG_CHARSET for c in org[:8]) and org[8] != organisation_check_character(org[:8]):
        return "统一社会信用代码第9至17位（组织机构代码）本身的校验位错误"
    return None


def make_credit_code(region_code: str, organisation_body: str, authority: str = "9", kind: str = "1") -> str:
    """Build a valid code from a 6-digit region code and an 8-character organisation body (tests, benchmark)."""
    org = organisation_body + organisation_check_character(organisation_body)
    first17 = f"{authority}{kind}{region_code}{org}"
    return first17 + check_character(first17)
