"""What every command group of ``policykb`` shares: the consoles, the common options, settings and failing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from policykb.settings import Settings, load_settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help="数据目录（默认取 POLICYKB_DATA_DIR 或 ./data）")]
JsonOption = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]


def settings_for(data_dir: Path | None) -> Settings:
    """The settings, with ``--data-dir`` (when given) in place of ``POLICYKB_DATA_DIR``."""
    return load_settings(**({"data_dir": data_dir} if data_dir else {}))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``错误：message`` on standard error and exit with ``code``."""
    err.print(f"[red]错误：[/red]{message}")
    raise typer.Exit(code)
