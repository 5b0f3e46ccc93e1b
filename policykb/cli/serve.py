"""``policykb serve``: the web app (问答、政策库、API) on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from index.storage_errors import ensure_writable
from policykb.cli.common import DataDirOption, settings_for


def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """启动 Web 服务（问答、政策库、API）。"""
    import uvicorn

    from webui.app import create_app

    settings = settings_for(data_dir)
    ensure_writable(settings.data_dir)
    application = create_app(settings)
    # X-Forwarded-For is believed only from the proxies the settings name (uvicorn would otherwise trust loopback).
    trusted = settings.forwarded_allow_ips.strip()
    uvicorn.run(
        application, host=host or settings.host, port=port or settings.port, log_level="info",
        proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None,
    )
