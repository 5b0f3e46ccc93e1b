"""The password policy: what a new password must be before it is hashed and stored.

Every account needs ``MIN_PASSWORD_CHARS`` characters. Staff and admin accounts, which can change the library and
other accounts, need ``MIN_PRIVILEGED_PASSWORD_CHARS`` and may be neither the user name nor a common password (the
list shipped in ``accounts/data/common_passwords.txt``, also with digits or symbols added at the end, such as
``password2024!``), nor a run of fewer than ``MIN_DISTINCT_CHARS`` different characters.

Usage::

    problem = password_problem("123456789012", "zhangsan", privileged=True)  # a Chinese reason, or None
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MIN_PASSWORD_CHARS = 8
MIN_PRIVILEGED_PASSWORD_CHARS = 12
MIN_DISTINCT_CHARS = 5
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"
PASSWORD_RULES = (
    f"企业用户至少 {MIN_PASSWORD_CHARS} 个字符；工作人员和管理员至少 {MIN_PRIVILEGED_PASSWORD_CHARS} 个字符，"
    "且不能是常见密码或与用户名相同"
)

_TRAILING_DIGITS_AND_SYMBOLS = re.compile(r"[\d\W_]+$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """Whether ``password`` is on the common list, alone or followed by digits or symbols."""
    folded = password.strip().casefold()
    common = common_passwords()
    return folded in common or _TRAILING_DIGITS_AND_SYMBOLS.sub("", folded) in common


def password_problem(password: str, username: str, *, privileged: bool) -> str | None:
    """Why ``password`` may not be used by ``username`` (Chinese, to show as is), or None when it may.

    :param privileged: the account is staff or admin: the stricter rules apply.
    """
    minimum = MIN_PRIVILEGED_PASSWORD_CHARS if privileged else MIN_PASSWORD_CHARS
    if len(password) < minimum:
        return f"工作人员和管理员的密码至少 {minimum} 个字符" if privileged else f"密码至少 {minimum} 个字符"
    if not privileged:
        return None
    if username.strip() and password.strip().casefold() == username.strip().casefold():
        return "密码不能与用户名相同"
    if is_common(password) or len(set(password)) < MIN_DISTINCT_CHARS:
        return "该密码过于常见或简单，容易被猜中，请换一个"
    return None
