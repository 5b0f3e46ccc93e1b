"""A catalog of files to ingest: metadata that comes with a batch of documents instead of from their text.

Document libraries migrated from another system usually arrive as files plus a list of their titles, numbers,
issuers and dates (exported from the old system or kept in a spreadsheet). Many texts do not state their own title
(a body without its heading, a web page's article); without the list such a document would be cited by its file
name. One row per file, as JSON lines or CSV with a header row::

    {"path": "realestate/POL_0037D2F2273AA29443D7.txt", "title": "关于加快发展保障性租赁住房的实施意见", "issuer": "太原市房产管理局", "date": "2021-12-07"}

``path`` is relative to the catalog's folder (or absolute). A value given in the catalog replaces the extracted
one; an empty or missing value leaves the extracted one. ``date`` means the written date (成文日期). Other
columns are ignored and named once, so a misspelt column is noticed.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ingestion.metadata import corrected_value_problems
from policy.types import PolicyMetadata, ValidityStatus

TEXT_FIELDS = ("title", "issuer", "doc_number", "region")
DATE_FIELDS = ("written_date", "publish_date", "effective_date", "expiry_date")
_ALIASES = {"date": "written_date"}
KNOWN_FIELDS = frozenset({"path", "status", "tags", *TEXT_FIELDS, *DATE_FIELDS, *_ALIASES})


class CatalogError(ValueError):
    """The catalog cannot be used; ``problems`` are Chinese sentences naming the line, and nothing was ingested."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CatalogEntry:
    """The metadata a catalog gives one file."""

    line: int
    values: Mapping[str, Any]  # PolicyMetadata field -> value, for the fields the catalog gives (the rest: as extracted)

    def applied_to(self, metadata: PolicyMetadata) -> PolicyMetadata:
        """``metadata`` with the catalog's values; a replaced value loses its evidence (it was not read from the text)."""
        given = {name: value for name, value in self.values.items() if getattr(metadata, name) != value}
        if not given:
            return metadata
        evidence = {name: span for name, span in metadata.evidence.items() if name not in given}
        return dataclasses.replace(metadata, **given, evidence=evidence)


@dataclass(frozen=True)
class Catalog:
    path: Path
    entries: dict[str, CatalogEntry]  # by resolved file path
    ignored_fields: tuple[str, ...] = ()

    def entry_for(self, file: Path) -> CatalogEntry | None:
        return self.entries.get(str(file.resolve()))


def read_catalog(path: Path) -> Catalog:
    """Read and check a ``.jsonl``/``.json`` (one object per line) or ``.csv`` catalog.

    :raises CatalogError: every problem found (unreadable file, bad line, missing path, bad date or status, a file
        listed twice), each naming its line.
    """
    if not path.is_file():
        raise CatalogError([f"找不到目录文件 {path}"])
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".json", ".csv"):
        raise CatalogError([f"目录文件 {path.name} 的格式不支持：请用 .jsonl（每行一个 JSON 对象）或 .csv（首行为列名）"])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogError([f"目录文件 {path.name} 不是 UTF-8 编码：请另存为 UTF-8 后重试"]) from None
    except OSError as error:
        raise CatalogError([f"无法读取目录文件 {path}：{error.strerror or error}"]) from None
    problems: list[tuple[int, str]] = []  # (line, problem): reported in line order
    rows = _csv_rows(text) if suffix == ".csv" else _json_rows(text, problems)
    entries: dict[str, CatalogEntry] = {}
    ignored: set[str] = set()
    for line, row in rows:
        ignored.update(str(key) for key in row if key not in KNOWN_FIELDS)
        parsed, found = _entry(row, path.parent, f"第 {line} 行")
        problems.extend((line, problem) for problem in found)
        if parsed is None:
            continue
        file, values = parsed
        if file in entries:
            problems.append((line, f"第 {line} 行：文件 {row['path']} 在第 {entries[file].line} 行已经列过"))
            continue
        entries[file] = CatalogEntry(line, values)
    if problems:
        raise CatalogError([problem for _, problem in sorted(problems)])
    if not entries:
        raise CatalogError([f"目录文件 {path.name} 中没有任何文件条目"])
    return Catalog(path, entries, tuple(sorted(ignored)))


def _json_rows(text: str, problems: list[tuple[int, str]]) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            problems.append((number, f"第 {number} 行不是合法的 JSON"))
            continue
        if not isinstance(row, dict):
            problems.append((number, f"第 {number} 行应是一个 JSON 对象（{{\"path\": …, \"title\": …}}）"))
            continue
        rows.append((number, row))
    return rows


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    # Line numbers as a spreadsheet shows them: the header is line 1.
    return [(number, {k: v for k, v in row.items() if k is not None}) for number, row in enumerate(reader, start=2)]


def _entry(row: dict[str, Any], base: Path, where: str) -> tuple[tuple[str, dict[str, Any]] | None, list[str]]:
    """(the file's resolved path and the metadata values the row gives, or None; the row's problems)."""
    problems: list[str] = []
    raw_path = row.get("path")
    if not isinstance(raw_path, str) or not raw_path.strip():
        return None, [f"{where}缺少 path（文件相对于目录文件所在文件夹的路径）"]
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = _text(row.get(name))
        if value is not None:
            values[name] = value
    for key in (*DATE_FIELDS, *_ALIASES):
        value = _text(row.get(key))
        if value is None:
            continue
        try:
            values[_ALIASES.get(key, key)] = date.fromisoformat(value[:10])
        except ValueError:
            problems.append(f"{where}：{key} “{value}”不是日期，应写成 YYYY-MM-DD")
    status = _text(row.get("status"))
    if status is not None:
        try:
            values["status"] = ValidityStatus(status)
        except ValueError:
            problems.append(f"{where}：status “{status}”无效，可选：{'、'.join(s.value for s in ValidityStatus)}")
    tags = row.get("tags")
    if tags not in (None, ""):
        listed = tags if isinstance(tags, list) else str(tags).replace("，", "、").replace(",", "、").split("、")
        values["tags"] = [str(tag).strip() for tag in listed if str(tag).strip()]
    # The staff form's checks: the same values are refused however they come in.
    problems.extend(f"{where}：{problem}" for problem in corrected_value_problems(values))
    if problems:
        return None, problems
    file = Path(raw_path.strip())
    return (str((file if file.is_absolute() else base / file).resolve()), values), []


def _text(value: Any) -> str | None:
    """A cell's text, or None for an empty one (JSON null, "", whitespace)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
