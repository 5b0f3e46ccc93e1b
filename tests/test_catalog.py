"""Reading a catalog of files to ingest (ingestion.catalog): JSON lines and CSV, and every mistake named by its line."""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest

from ingestion.catalog import CatalogError, read_catalog
from policy.types import PolicyMetadata, ValidityStatus
from tests.helpers import manifest_rows


def _manifest_rows(library: Path, count: int) -> list[dict]:
    return [row for row in manifest_rows(library) if row["source"] == "realestate" and row["issuer"]][:count]


def test_a_csv_catalog_reads_like_the_json_lines_one(tmp_path, library) -> None:
    rows = _manifest_rows(library, 3)
    as_json = tmp_path / "catalog.jsonl"
    as_json.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    as_csv = tmp_path / "catalog.csv"
    with as_csv.open("w", encoding="utf-8-sig", newline="") as handle:  # as a spreadsheet saves it: BOM, "" for null
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({key: "" if value is None else value for key, value in row.items()} for row in rows)
    from_json, from_csv = read_catalog(as_json), read_catalog(as_csv)
    assert len(from_json.entries) == 3
    for row in rows:
        file = str((tmp_path / row["path"]).resolve())
        entry = from_json.entries[file]
        assert entry.values["title"] == row["title"] and entry.values["issuer"] == row["issuer"]
        assert entry.values["written_date"] == date.fromisoformat(row["date"])
        assert dataclasses.replace(from_csv.entries[file], line=entry.line) == entry  # CSV lines count the header
    assert from_json.entry_for(tmp_path / rows[0]["path"]) is from_json.entries[str((tmp_path / rows[0]["path"]).resolve())]


def test_catalog_values_replace_extracted_ones_and_empty_ones_keep_them(tmp_path) -> None:
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(
        json.dumps({"path": "a.txt", "title": "  关于做好稳岗工作的通知 ", "doc_number": "", "status": "已失效", "tags": "employment、tax"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    [entry] = read_catalog(catalog).entries.values()
    extracted = PolicyMetadata(title="a", doc_number="人社发〔2020〕1号", tags=["sme"])
    applied = entry.applied_to(extracted)
    assert applied.title == "关于做好稳岗工作的通知" and applied.doc_number == "人社发〔2020〕1号"
    assert applied.status == ValidityStatus.EXPIRED and applied.tags == ["employment", "tax"]
    assert entry.applied_to(applied) == applied


def test_every_mistake_is_named_by_its_line_and_nothing_is_taken(tmp_path) -> None:
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(
        "\n".join(
            [
                json.dumps({"path": "a.txt", "title": "甲"}, ensure_ascii=False),
                "{not json",
                json.dumps({"title": "没有路径"}, ensure_ascii=False),
                json.dumps({"path": "b.txt", "date": "2020年3月1日"}, ensure_ascii=False),
                json.dumps({"path": "c.txt", "status": "有效"}, ensure_ascii=False),
                json.dumps({"path": "./a.txt", "title": "乙"}, ensure_ascii=False),
                json.dumps({"path": "d.txt", "tags": ["补贴"]}, ensure_ascii=False),
                json.dumps(["e.txt"]),
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as raised:
        read_catalog(catalog)
    problems = raised.value.problems
    assert [problem[: problem.index("行") + 1] for problem in problems] == [f"第 {n} 行" for n in (2, 3, 4, 5, 6, 7, 8)]
    assert "JSON" in problems[0] and "path" in problems[1] and "YYYY-MM-DD" in problems[2] and "现行有效" in problems[3]
    assert "第 1 行已经列过" in problems[4] and "补贴" in problems[5]


def test_a_catalog_row_is_checked_as_the_staff_form_is(tmp_path) -> None:
    catalog = tmp_path / "c.csv"
    catalog.write_text("path,effective_date,expiry_date\na.txt,2021-01-01,2020-06-30\n", encoding="utf-8")
    with pytest.raises(CatalogError) as raised:
        read_catalog(catalog)
    assert raised.value.problems == ["第 2 行：失效日期不能早于施行日期"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.xlsx", b"PK\x03\x04", "请用 .jsonl"),
        ("c.csv", "path,title\na.txt,政策\n".encode("gbk"), "UTF-8"),
        ("c.jsonl", b"\n\n", "没有任何文件条目"),
        ("missing.jsonl", None, "找不到目录文件"),
    ],
)
def test_an_unusable_catalog_file_says_what_to_do(tmp_path, name, content, message) -> None:
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(CatalogError, match=message):
        read_catalog(tmp_path / name)
