"""The ``policykb`` command. Every command and command group is registered here, in the order ``--help`` lists them.

Commands: ``serve``, ``ingest``, ``search``, ``ask``, ``eval``, ``reindex``, ``worker``. Groups: ``docs``
(list, show, delete), ``model`` (provision, export-query-encoder), ``push`` (match, publish, deliver), ``es``
(check), ``users`` (create, list, disable, token, revoke-token), ``llm`` (provision, serve). Each lives in the
module of its group: :mod:`~policykb.cli.serve`, :mod:`~policykb.cli.ingest`, :mod:`~policykb.cli.search`
(search, ask, eval), :mod:`~policykb.cli.docs`, :mod:`~policykb.cli.models` (model, llm), :mod:`~policykb.cli.es`
(es, reindex), :mod:`~policykb.cli.push` (push, worker) and :mod:`~policykb.cli.users`.
"""

from __future__ import annotations

import sys

import typer

from index.types import StoreError
from policykb.cli import docs, es, ingest, models, push, search, serve, users
from policykb.cli.common import err

app = typer.Typer(help="PolicyKB 政策通：政策知识库、智能问答与精准推送", no_args_is_help=True, add_completion=False)
app.command()(serve.serve)
app.command(help=ingest.INGEST_HELP)(ingest.ingest)
app.command()(search.search)
app.command()(search.ask)
app.command("eval")(search.evaluate)
app.command()(es.reindex)
app.command()(push.worker)
app.add_typer(docs.docs_app, name="docs")
app.add_typer(models.model_app, name="model")
app.add_typer(push.push_app, name="push")
app.add_typer(es.es_app, name="es")
app.add_typer(users.users_app, name="users")
app.add_typer(models.llm_app, name="llm")


def main() -> None:
    try:
        app(prog_name="policykb")
    except StoreError as error:  # e.g. Elasticsearch down or refusing credentials: a message, not a traceback
        err.print(f"[red]错误：[/red]{error}")
        sys.exit(2)
