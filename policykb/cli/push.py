"""``policykb push match | publish | deliver`` and ``policykb worker``: policy push, matching and delivery."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from policykb.assembly import PolicyKB
from policykb.cli.common import DataDirOption, out, settings_for
from push_rules.errors import PushError
from push_rules.service import PushService
from push_rules.worker import run_worker

push_app = typer.Typer(help="政策精准推送：匹配与投递。", no_args_is_help=True)


def _service(data_dir: Path | None) -> PushService:
    # A PushService owns its engine and is closed by the push commands; the store it reads stays open with it.
    return PolicyKB(settings_for(data_dir)).push


@push_app.command("match")
def match_command(policy: str = typer.Option(..., "--policy", help="政策文件 ID（doc_id）"), data_dir: DataDirOption = None) -> None:
    """重新计算一条政策与全部企业的匹配结果；已发布的政策会为新符合的企业生成推送。"""
    service = _service(data_dir)
    try:
        summary = service.match_policy(policy)
    except PushError as error:
        typer.echo(f"错误：{error.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        service.close()
    typer.echo(
        f"政策 {summary.policy_id}：评估 {summary.evaluated} 家企业，符合 {summary.eligible} 家，"
        f"信息待完善 {summary.incomplete} 家，新增推送 {summary.pushes_created} 条，用时 {summary.seconds:.3f} 秒"
    )


@push_app.command("publish")
def publish_command(policy: str = typer.Option(..., "--policy", help="政策文件 ID（doc_id）"), data_dir: DataDirOption = None) -> None:
    """发布政策当前版本：匹配并生成推送（站内信、Webhook、邮件进入发件箱）。"""
    service = _service(data_dir)
    try:
        summary = service.publish(policy)
    except PushError as error:
        typer.echo(f"错误：{error.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        service.close()
    typer.echo(f"已发布 {summary.policy_id}：符合 {summary.eligible} 家，待完善 {summary.incomplete} 家，订阅命中 {summary.subscribed} 家，新增推送 {summary.pushes_created} 条")


@push_app.command("deliver")
def deliver_command(
    loop: bool = typer.Option(False, "--loop", help="持续运行（同 policykb worker），否则投递一轮后退出"),
    data_dir: DataDirOption = None,
) -> None:
    """投递发件箱中到期的 Webhook 与邮件。"""
    service = _service(data_dir)
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


def worker(data_dir: DataDirOption = None) -> None:
    """运行推送投递进程（Webhook、邮件），Ctrl+C 退出；`policykb serve` 已自带一个。"""
    kb = PolicyKB(settings_for(data_dir))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    out.print("推送投递进程已启动（Ctrl+C 退出）")
    try:
        run_worker(kb.push, stop)
    except KeyboardInterrupt:
        stop.set()
    kb.close()
