"""``policykb users``: create accounts (the first admin too), list them, disable them, issue and revoke API tokens.

Works on the data directory directly (no server needed); every change is written to the audit log as done by
``命令行``. Passwords are read from a hidden prompt or, for scripts, from standard input (``--password-stdin``),
never from the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from accounts.audit import AuditLog
from accounts.tokens import TokenStore
from accounts.users import AccountError, AccountStore, Role
from policykb.cli.common import DataDirOption, err, fail, out
from policykb.settings import load_settings

users_app = typer.Typer(help="账号与 API 令牌：创建用户（含首个管理员）、列出、停用、签发与吊销令牌", no_args_is_help=True)

CLI_ACTOR = "命令行"


def _data_dir(data_dir: Path | None) -> Path:
    return data_dir or load_settings().data_dir


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")


@users_app.command("create")
def create(
    username: Annotated[str, typer.Option("--username", help="用户名")],
    role: Annotated[str, typer.Option("--role", help="admin（管理员）、staff（工作人员）或 enterprise（企业用户）")],
    enterprise_id: Annotated[int | None, typer.Option("--enterprise-id", help="企业用户所属企业的 ID（可留空，登录后填写企业信息）")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码（一行）")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """创建用户；首次部署用 `policykb users create --username admin --role admin` 创建管理员。"""
    directory = _data_dir(data_dir)
    store = AccountStore.for_data_dir(directory)
    try:
        user = store.create_user(username, _read_password(password_stdin), Role.from_str(role), enterprise_id)
    except AccountError as error:
        fail(str(error))
    finally:
        store.close()
    AuditLog.for_data_dir(directory).record(CLI_ACTOR, "cli", "创建用户", user.username, f"角色 {user.role.label}")
    out.print(f"已创建{user.role.label}“{user.username}”（ID {user.id}）")


@users_app.command("list")
def list_users(data_dir: DataDirOption = None) -> None:
    """列出全部用户。"""
    store = AccountStore.for_data_dir(_data_dir(data_dir))
    for user in store.list_users():
        enterprise = f"  企业 {user.enterprise_id}" if user.enterprise_id is not None else ""
        out.print(f"{user.id}\t{user.username}\t{user.role.label}{enterprise}{'  （已停用）' if user.disabled else ''}")
    store.close()


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="用户名")], enable: Annotated[bool, typer.Option("--enable", help="重新启用")] = False, data_dir: DataDirOption = None) -> None:
    """停用（或用 --enable 重新启用）用户；停用后其会话与令牌立即失效。"""
    directory = _data_dir(data_dir)
    store = AccountStore.for_data_dir(directory)
    changed = store.set_disabled(username, not enable)
    store.close()
    if not changed:
        fail(f"没有用户“{username}”")
    AuditLog.for_data_dir(directory).record(CLI_ACTOR, "cli", "启用用户" if enable else "停用用户", username)
    out.print(f"已{'启用' if enable else '停用'}用户“{username}”")


@users_app.command("token")
def create_token(
    username: Annotated[str, typer.Option("--username", help="令牌代表的用户")],
    name: Annotated[str, typer.Option("--name", help="令牌用途，如“OA 系统对接”")] = "integration",
    data_dir: DataDirOption = None,
) -> None:
    """为用户签发 API 令牌（只显示这一次，服务器只保存其哈希）。"""
    directory = _data_dir(data_dir)
    store = AccountStore.for_data_dir(directory)
    user = store.get_by_username(username)
    if user is None:
        store.close()
        fail(f"没有用户“{username}”")
    record, token = TokenStore(store).create(user.id, name)
    store.close()
    AuditLog.for_data_dir(directory).record(CLI_ACTOR, "cli", "创建 API 令牌", username, f"令牌 {record.id}（{name}）")
    err.print(f"已为“{username}”签发令牌 {record.id}，请妥善保存（不会再次显示）：")
    out.print(token)


@users_app.command("revoke-token")
def revoke_token(token_id: Annotated[int, typer.Argument(help="令牌编号")], data_dir: DataDirOption = None) -> None:
    """吊销 API 令牌，立即生效。"""
    directory = _data_dir(data_dir)
    store = AccountStore.for_data_dir(directory)
    revoked = TokenStore(store).revoke(token_id)
    store.close()
    if not revoked:
        fail(f"没有编号为 {token_id} 的有效令牌")
    AuditLog.for_data_dir(directory).record(CLI_ACTOR, "cli", "吊销 API 令牌", str(token_id))
    out.print(f"已吊销令牌 {token_id}")
