"""The `policykb` command as a user runs it: ingest, search --json, docs, eval, and its error messages."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import MODEL_DIR
from tests.helpers import cli_env, manifest_rows, run_cli


@pytest.fixture(scope="module")
def cli_library(tmp_path_factory, library):
    root = tmp_path_factory.mktemp("cli")
    folder = root / "policies"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(library / "hohhot" / "呼和浩特市数字政府建设实施方案.txt", folder)
    shutil.copy(next((library / "formats").glob("14_*.docx")), folder / "sub")
    shutil.copy(next((library / "formats").glob("16_*.pdf")), folder / "sub")
    env = cli_env(root / "data", MODEL_DIR)
    result = run_cli(["ingest", str(folder), "--recursive"], env)
    assert result.returncode == 0, result.stderr
    return folder, env


def test_ingest_reports_each_file(cli_library) -> None:
    folder, env = cli_library
    result = run_cli(["ingest", str(folder), "--recursive", "--json"], env)
    assert result.returncode == 0
    outcomes = json.loads(result.stdout)
    assert len(outcomes) == 3 and {o["status"] for o in outcomes} == {"unchanged"}


def test_ingest_without_recursive_skips_subfolders(cli_library) -> None:
    folder, env = cli_library
    outcomes = json.loads(run_cli(["ingest", str(folder), "--json"], env).stdout)
    assert len(outcomes) == 1


def test_search_json_carries_title_and_path(cli_library) -> None:
    _, env = cli_library
    result = run_cli(["search", "中小企业 融资 担保", "--top-k", "3", "--json"], env)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert 1 <= len(hits) <= 3
    assert "中小企业促进法" in hits[0]["title"]
    assert hits[0]["path"].endswith(".docx")
    assert all({"title", "path", "section", "text", "score"} <= set(hit) for hit in hits)


def test_search_filter_by_region(cli_library) -> None:
    _, env = cli_library
    hits = json.loads(run_cli(["search", "政务服务", "--filter", "region=内蒙古自治区", "--json"], env).stdout)
    assert hits and all(hit["region"].startswith("内蒙古自治区") for hit in hits)


def test_search_rejects_a_bad_filter_with_a_message(cli_library) -> None:
    _, env = cli_library
    result = run_cli(["search", "补贴", "--filter", "colour=red"], env)
    assert result.returncode == 2
    assert "未知的过滤字段" in result.stderr


def test_docs_list_show_delete(cli_library, tmp_path) -> None:
    folder, env = cli_library
    listed = json.loads(run_cli(["docs", "list", "--json"], env).stdout)
    assert len(listed) == 3
    doc = next(d for d in listed if d["path"].endswith(".txt"))
    shown = json.loads(run_cli(["docs", "show", doc["doc_id"], "--json"], env).stdout)
    assert shown["title"] == doc["title"] and shown["chunks"]
    assert run_cli(["docs", "show", "nope", "--json"], env).returncode == 1
    assert run_cli(["docs", "delete", doc["doc_id"]], env).returncode == 0
    assert len(json.loads(run_cli(["docs", "list", "--json"], env).stdout)) == 2
    assert run_cli(["ingest", str(folder / doc["path"].rsplit("/", 1)[-1])], env).returncode == 0


def test_ingest_exits_1_when_a_file_fails_but_keeps_the_others(cli_library, tmp_path, library) -> None:
    _, env = cli_library
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    shutil.copy(library / "pkulaw" / sorted(p.name for p in (library / "pkulaw").iterdir())[0], tmp_path / "ok.txt")
    result = run_cli(["ingest", str(tmp_path / "empty.md"), str(tmp_path / "ok.txt")], env)
    assert result.returncode == 1
    assert "empty.md" in result.stderr and "失败" in result.stderr


def test_eval_reports_three_modes(cli_library, tmp_path) -> None:
    _, env = cli_library
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"question": "中小企业融资担保有哪些支持？", "doc_path": "sub/14_中华人民共和国中小企业促进法.docx"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"question": "呼和浩特市数字政府建设的目标是什么", "doc_path": "呼和浩特市数字政府建设实施方案.txt"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    result = run_cli(["eval", str(questions), "--json"], env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [r["mode"] for r in report["retrieval"]] == ["hybrid", "bm25", "dense"]
    assert report["retrieval"][0]["recall"]["5"] == 1.0


def test_eval_rejects_a_malformed_file(cli_library, tmp_path) -> None:
    _, env = cli_library
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x"}\nnot json\n', encoding="utf-8")
    result = run_cli(["eval", str(bad)], env)
    assert result.returncode == 2 and "第 1 行" in result.stderr


def test_export_query_encoder_reuses_a_matching_export_and_explains_what_it_cannot_serve(tmp_path) -> None:
    env = cli_env(tmp_path / "data", MODEL_DIR)
    reused = run_cli(["model", "export-query-encoder", str(MODEL_DIR)], env)
    assert reused.returncode == 0, reused.stderr
    assert "已存在" in reused.stdout and "最小余弦相似度" in reused.stdout

    missing = run_cli(["model", "export-query-encoder", str(tmp_path / "no-such-model")], env)
    assert missing.returncode == 2 and "模型目录不存在" in missing.stderr + missing.stdout

    cls_pooled = tmp_path / "cls-model"
    (cls_pooled / "1_Pooling").mkdir(parents=True)
    for item in MODEL_DIR.iterdir():
        if item.name != "1_Pooling":
            (cls_pooled / item.name).symlink_to(item)
    pooling = json.loads((MODEL_DIR / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (cls_pooled / "1_Pooling" / "config.json").write_text(json.dumps(pooling), encoding="utf-8")
    refused = run_cli(["model", "export-query-encoder", str(cls_pooled)], env)
    assert refused.returncode == 2 and "均值池化" in refused.stderr + refused.stdout
    assert not (tmp_path / "cls-model.query-int8").exists()


def test_ingest_with_a_catalog_takes_its_titles_and_a_bad_catalog_ingests_nothing(tmp_path, library) -> None:
    env = cli_env(tmp_path / "data", MODEL_DIR)
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(library / "realestate" / "POL_0037D2F2273AA29443D7.txt", folder)
    [row] = manifest_rows(library, {"realestate/POL_0037D2F2273AA29443D7.txt"})
    catalog = folder / "目录.csv"
    catalog.write_text(f"path,title,date\nPOL_0037D2F2273AA29443D7.txt,{row['title']},2021年12月7日\n", encoding="utf-8")
    refused = run_cli(["ingest", str(folder), "--catalog", str(catalog)], env)
    assert refused.returncode == 2 and "第 2 行" in refused.stderr and "YYYY-MM-DD" in refused.stderr and "未入库任何文件" in refused.stderr
    assert not (tmp_path / "data" / "index.sqlite3").exists()

    catalog.write_text(f"path,title,date\nPOL_0037D2F2273AA29443D7.txt,{row['title']},{row['date']}\n", encoding="utf-8")
    result = run_cli(["ingest", str(folder), "--catalog", str(catalog), "--json"], env)
    assert result.returncode == 0, result.stderr
    [outcome] = json.loads(result.stdout)
    assert outcome["status"] == "ingested" and outcome["title"] == row["title"]


def test_a_catalog_whose_paths_name_none_of_the_files_is_refused_and_unused_rows_are_named(tmp_path, library) -> None:
    env = cli_env(tmp_path / "data", MODEL_DIR)
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(library / "realestate" / "POL_0037D2F2273AA29443D7.txt", folder)
    catalog = tmp_path / "catalog.jsonl"  # beside the folder, but its paths are written as if inside it
    rows = [{"path": "POL_0037D2F2273AA29443D7.txt", "title": "关于加快发展保障性租赁住房的实施意见"}, {"path": "POL_404.txt", "title": "不存在"}]
    catalog.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    refused = run_cli(["ingest", str(folder), "--catalog", str(catalog)], env)
    assert refused.returncode == 2 and "一个也对不上" in refused.stderr and str(tmp_path) in refused.stderr
    assert not (tmp_path / "data" / "index.sqlite3").exists()

    moved = folder / "catalog.jsonl"
    catalog.rename(moved)
    result = run_cli(["ingest", str(folder), "--catalog", str(moved)], env)
    assert result.returncode == 0, result.stderr
    assert "1 行对应的文件不在本次入库范围内" in result.stderr and "第 2 行" in result.stderr
    assert "关于加快发展保障性租赁住房的实施意见" in result.stderr


def test_push_commands_take_data_dir_like_every_other_command(tmp_path) -> None:
    env = cli_env(tmp_path / "default", MODEL_DIR)
    chosen = tmp_path / "chosen"
    delivered = run_cli(["push", "deliver", "--data-dir", str(chosen)], env)
    assert delivered.returncode == 0, delivered.stderr
    assert "本轮投递成功 0 条" in delivered.stdout
    assert (chosen / "push.sqlite3").is_file() and not (tmp_path / "default").exists()
    missing = run_cli(["push", "match", "--policy", "no-such-policy", "--data-dir", str(chosen)], env)
    assert missing.returncode == 1 and "错误" in missing.stderr
