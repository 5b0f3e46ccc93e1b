"""`policykb ask` runs the same pipeline as the API."""

from __future__ import annotations

import json

from tests.conftest import MODEL_DIR
from tests.helpers import cli_env, run_cli


def test_cli_ask_json_and_text(qa_data_dir) -> None:
    env = cli_env(qa_data_dir, MODEL_DIR)
    result = run_cli(["ask", "创业担保贷款最高可以申请多少额度？", "--json"], env)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["refused"] is False and "30万元" in body["answer"]
    text = run_cli(["ask", "[red]深圳市南山区领航人才计划的申报条件是什么？"], env)
    assert text.returncode == 0 and "12345" in text.stdout
    empty = run_cli(["ask", "  "], env)
    assert empty.returncode == 2 and "不能为空" in empty.stderr
