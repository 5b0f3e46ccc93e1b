"""User administration for admins: list, create, disable/enable, reset passwords, change roles, revoke tokens.

The web page (:mod:`webui.page_admin`) and the JSON API (:mod:`webui.api_users`) both go through
:class:`UserAdministration`, so the rules hold whichever way an admin comes in:

- the enterprise an enterprise user is linked to must exist;
- passwords follow :mod:`accounts.passwords` (staff and admins: at least 12 characters, not common, not the name);
- a password reset, a role change and disabling end the user's sessions; a password reset also revokes its API
  tokens, so whoever held the old password keeps nothing;
- an admin cannot disable or demote themselves, and nobody can disable or demote the last active admin. The check
  and the change are one SQL statement, so two admins disabling each other at the same moment cannot both succeed.

Usage::

    admin = UserAdministration(accounts, enterprise_exists=lambda enterprise_id: True)
    admin.create("zhangsan", "a-long-password", "staff")
    admin.set_disabled("admin", "zhangsan", True)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.passwords import password_problem
from accounts.tokens import TokenStore
from accounts.users import AccountError, AccountStore, Role, User
from policy.errors import PolicyKBError

MAX_USERNAME_CHARS = 64
MAX_PASSWORD_CHARS = 1024
ASSIGNABLE_ROLES = (Role.ADMIN, Role.STAFF, Role.ENTERPRISE)


class UserAdminError(PolicyKBError):
    """A change an admin asked for that was not made: a Chinese message, the HTTP status, and the form field at fault."""

    status_code = 422


class UserNotFound(UserAdminError):
    status_code = 404


class UserConflict(UserAdminError):
    """Refused because of the current state: a taken user name, or an admin locking the administrators out."""

    status_code = 409


@dataclass(frozen=True)
class UserSummary:
    """A user as the admin list shows it: the account and how many of its API tokens still work."""

    user: User
    live_tokens: int

    def as_dict(self) -> dict[str, Any]:
        user = self.user
        return {
            "id": user.id,
            "username": user.username,
            "role": user.role.value,
            "role_label": user.role.label,
            "enterprise_id": user.enterprise_id,
            "disabled": user.disabled,
            "created_at": user.created_at,
            "live_tokens": self.live_tokens,
        }


def _check_username(username: str) -> str:
    name = username.strip()
    if not name:
        raise UserAdminError("用户名不能为空", "username")
    if len(name) > MAX_USERNAME_CHARS:
        raise UserAdminError(f"用户名不能超过 {MAX_USERNAME_CHARS} 个字符", "username")
    if any(ch.isspace() or ch in "/\\" or unicodedata.category(ch).startswith("C") for ch in name):
        raise UserAdminError("用户名不能包含空格、斜杠或控制字符", "username")
    return name


def _check_password(password: str, username: str, role: Role) -> str:
    if len(password) > MAX_PASSWORD_CHARS:
        raise UserAdminError(f"密码不能超过 {MAX_PASSWORD_CHARS} 个字符", "password")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise UserAdminError("密码包含无法识别的字符", "password") from None
    if problem := password_problem(password, username, privileged=role.privileged):
        raise UserAdminError(problem, "password")
    return password


def printable(text: str) -> str:
    """``text`` safe to show, store and log: characters UTF-8 cannot encode (lone surrogates from JSON) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _check_role(role: str) -> Role:
    try:
        parsed = Role.from_str(printable(role.strip()))
    except AccountError as error:
        raise UserAdminError(str(error), "role") from None
    if parsed not in ASSIGNABLE_ROLES:
        raise UserAdminError("访客无需账号，请选择管理员、工作人员或企业用户", "role")
    return parsed


class UserAdministration:
    """What an admin may do to accounts. ``enterprise_exists`` answers whether an enterprise profile id exists."""

    def __init__(self, accounts: AccountStore, enterprise_exists: Callable[[int], bool]) -> None:
        self._accounts = accounts
        self._tokens = TokenStore(accounts)
        self._enterprise_exists = enterprise_exists

    # ----------------------------------------------------------------------------------------------- reading

    def list(self) -> list[UserSummary]:
        live = self._tokens.live_counts()
        return [UserSummary(user, live.get(user.id, 0)) for user in self._accounts.list_users()]

    def summary(self, username: str) -> UserSummary:
        user = self._user(username)
        return UserSummary(user, self._tokens.live_counts().get(user.id, 0))

    def _user(self, username: str) -> User:
        user = self._accounts.get_by_username(username)
        if user is None:
            raise UserNotFound(f"没有用户“{username.strip()}”")
        return user

    # ---------------------------------------------------------------------------------------------- changing

    def _check_enterprise(self, role: Role, enterprise_id: int | None) -> None:
        if enterprise_id is None:
            return
        if role is not Role.ENTERPRISE:
            raise UserAdminError("只有企业用户可以关联企业，请清空企业 ID 或将角色选为企业用户", "enterprise_id")
        if enterprise_id < 1 or not self._enterprise_exists(enterprise_id):
            raise UserAdminError(f"企业 {enterprise_id} 不存在：请先在“企业信息”中创建，或留空由该用户登录后自行填写", "enterprise_id")

    def create(self, username: str, password: str, role: str, enterprise_id: int | None = None) -> User:
        """Create an account; :raises UserAdminError: (422) for invalid input, :raises UserConflict: for a taken name."""
        name = _check_username(username)
        parsed = _check_role(role)
        _check_password(password, name, parsed)
        self._check_enterprise(parsed, enterprise_id)
        try:
            return self._accounts.create_user(name, password, parsed, enterprise_id)
        except AccountError as error:
            raise UserConflict(str(error), "username") from None

    def set_disabled(self, actor: str, username: str, disabled: bool) -> User:
        """Disable or enable ``username``; ``actor`` (the admin doing it) cannot disable themselves or the last admin."""
        user = self._user(username)
        if not disabled:
            self._accounts.execute("UPDATE users SET disabled = 0 WHERE id = ?", (user.id,))
            return self._user(username)
        if user.username == actor:
            raise UserConflict("不能停用自己的账号，请由其他管理员操作")
        changed = self._accounts.execute(
            "UPDATE users SET disabled = 1 WHERE id = ? AND (role != ? OR disabled = 1 OR "
            "(SELECT count(*) FROM users WHERE role = ? AND disabled = 0 AND id != ?) >= 1)",
            (user.id, Role.ADMIN.value, Role.ADMIN.value, user.id),
        ).rowcount
        if not changed:
            raise UserConflict("不能停用最后一个有效的管理员账号，请先创建或启用另一个管理员")
        self._accounts.end_sessions(user.id)
        return self._user(username)

    def set_role(self, actor: str, username: str, role: str, enterprise_id: int | None = None) -> User:
        """Change the role (and the linked enterprise, kept only for enterprise users); no self- or last-admin demotion."""
        user = self._user(username)
        parsed = _check_role(role)
        self._check_enterprise(parsed, enterprise_id)
        if user.username == actor and parsed is not Role.ADMIN:
            raise UserConflict("不能降低自己的角色，请由其他管理员操作", "role")
        if parsed is Role.ENTERPRISE and enterprise_id is None:
            enterprise_id = user.enterprise_id if user.role is Role.ENTERPRISE else None
        changed = self._accounts.execute(
            "UPDATE users SET role = ?, enterprise_id = ? WHERE id = ? AND (? = ? OR role != ? OR disabled = 1 OR "
            "(SELECT count(*) FROM users WHERE role = ? AND disabled = 0 AND id != ?) >= 1)",
            (parsed.value, enterprise_id, user.id, parsed.value, Role.ADMIN.value, Role.ADMIN.value, Role.ADMIN.value, user.id),
        ).rowcount
        if not changed:
            raise UserConflict("不能降低最后一个有效的管理员的角色，请先创建或启用另一个管理员", "role")
        after = self._user(username)
        if (after.role, after.enterprise_id) != (user.role, user.enterprise_id):
            self._accounts.end_sessions(user.id)
        return after

    def set_password(self, username: str, password: str) -> User:
        """Give ``username`` a new password; the old one, every session and every API token stop working at once."""
        user = self._user(username)
        _check_password(password, user.username, user.role)
        self._accounts.set_password(user.username, password)
        self._tokens.revoke_all(user.id)
        return user

    def revoke_tokens(self, username: str) -> int:
        """Revoke every live API token of ``username``; returns how many were revoked."""
        return self._tokens.revoke_all(self._user(username).id)
