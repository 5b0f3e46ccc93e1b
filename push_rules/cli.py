"""``policykb push …`` commands.

The main CLI mounts :data:`push_app` with ``app.add_typer(push_app, name="push")`` after setting
:data:`service_factory` to a function that builds the :class:`PushService` from the one settings object.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import typer

from push_rules.errors import PushError
from push_rules.service import PushService
from push_rules.worker import run_worker

push_app = typer.Typer(help="政策精准推送：匹配与投递。", no_args_is_help=True)

# set by the application assembly (policykb.cli); a callable so the CLI builds the service only when needed
service_factory: Callable[[], PushService] | None = None


def _service() -> PushService:
    if service_factory is None:
        raise typer.BadParameter("推送服务未配置（push_rules.cli.service_factory 未设置）")
    return service_factory()


@push_app.command("match")
def match_command(policy: str = typer.Option(..., "--policy", help="政策文件 ID（doc_id）")) -> None:
    """重新计算一条政策与全部企业的匹配结果；已发布的政策会为新符合的企业生成推送。"""
    service = _service()
    try:
        summary = service.match_policy(policy)
    except PushError as error:
        typer.echo(f"错误：{error.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        service.close()
    typer.echo(
        f"政策 {summary.policy_id}：评估 {summary.evaluated} 家企业，符合 {summary.eligible} 家，"
        f"信息待完善 {summary.incomplete} 家，新增推送 {summary.pushes_created} 条，用时 {summary.seconds:.3f} 秒"
    )


@push_app.command("publish")
def publish_command(policy: str = typer.Option(..., "--policy", help="政策文件 ID（doc_id）")) -> None:
    """发布政策当前版本：匹配并生成推送（站内信、Webhook、邮件进入发件箱）。"""
    service = _service()
    try:
        summary = service.publish(policy)
    except PushError as error:
        typer.echo(f"错误：{error.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        service.close()
    typer.echo(f"已发布 {summary.policy_id}：符合 {summary.eligible} 家，待完善 {summary.incomplete} 家，订阅命中 {summary.subscribed} 家，新增推送 {summary.pushes_created} 条")


@push_app.command("deliver")
def deliver_command(
    loop: bool = typer.Option(False, "--loop", help="持续运行（同 policykb worker），否则投递一轮后退出"),
) -> None:
    """投递发件箱中到期的 Webhook 与邮件。"""
    service = _service()
    try:
        if loop:
            run_worker(service, threading.Event())
            return
        total = 0
        while True:
            stats = service.deliver_due()
            total += stats.delivered
            for error in stats.errors:
                typer.echo(f"投递失败：{error}", err=True)
            if stats.delivered + stats.failed == 0:
                break
        typer.echo(f"本轮投递成功 {total} 条；发件箱状态：{service.outbox_summary()}")
    finally:
        service.close()
