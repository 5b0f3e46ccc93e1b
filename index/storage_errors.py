"""One clear error for a data directory that cannot be written: disk full, read-only mount, no permission.

SQLite and the file system report these in different ways; callers only need to know that the write was undone,
what is already stored is intact, and what a person should do about it.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from index.types import StoreError

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
_SQLITE_FULL = ("database or disk is full",)
_NEARLY_FULL_BYTES = 1 << 20
_SQLITE_READ_ONLY = ("readonly database", "unable to open database file", "read-only file system")


class DataDirectoryUnwritable(StoreError):
    """The data directory refused a write; nothing of that write was kept."""

    def __init__(self, message: str, *, full: bool) -> None:
        super().__init__(message)
        self.full = full
        self.status_code = 507 if full else 503


def disk_full(location: Path) -> DataDirectoryUnwritable:
    return DataDirectoryUnwritable(
        f"数据目录 {location} 所在磁盘空间已满，本次写入已撤销，已入库的内容不受影响。请清理或扩容磁盘后重新提交。",
        full=True,
    )


def read_only(location: Path) -> DataDirectoryUnwritable:
    return DataDirectoryUnwritable(
        f"数据目录 {location} 不可写（只读挂载或权限不足），无法保存。请检查 POLICYKB_DATA_DIR 指向的目录的挂载方式与权限。",
        full=False,
    )


def classify_write_error(error: BaseException, location: Path) -> DataDirectoryUnwritable | None:
    """The clear error for ``error`` if it means the data directory cannot be written, else None."""
    if isinstance(error, DataDirectoryUnwritable):
        return error
    if isinstance(error, OSError):
        if error.errno in _FULL_ERRNOS:
            return disk_full(location)
        if error.errno in _READ_ONLY_ERRNOS:
            return read_only(location)
        return None
    if isinstance(error, sqlite3.Error):
        text = str(error).lower()
        if any(marker in text for marker in _SQLITE_FULL):
            return disk_full(location)
        if any(marker in text for marker in _SQLITE_READ_ONLY):
            return read_only(location)
        if "disk i/o error" in text:  # SQLite says no more when it cannot grow its -shm/-wal files: ask the volume
            return _volume_state(location)
    return None


def _volume_state(location: Path) -> DataDirectoryUnwritable | None:
    try:
        stats = os.statvfs(location)
    except OSError:
        return None
    if stats.f_flag & os.ST_RDONLY:
        return read_only(location)
    if stats.f_bavail * stats.f_frsize < _NEARLY_FULL_BYTES:
        return disk_full(location)
    return None


def ensure_writable(data_dir: Path) -> None:
    """Fail early, with the clear error, when ``data_dir`` cannot be created or written."""
    probe = data_dir / ".policykb-write-probe"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as error:
        raise classify_write_error(error, data_dir) or StoreError(f"无法写入数据目录 {data_dir}：{error.strerror or error}") from error
