"""File operations provisioning relies on: sha256 digests, and replacing a folder so readers never see half of it."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)


def sha256_file(path: Path) -> str:
    """The hex sha256 of the file at ``path``, read in 4 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def replace_dir(staging: Path, target_dir: Path) -> None:
    """Move ``staging`` to ``target_dir``; an existing target is moved aside first and removed after.

    Readers see the old folder or the new one, never neither for longer than two renames."""
    old = None
    if target_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.old-", dir=target_dir.parent))
        old.rmdir()
        os.rename(target_dir, old)
    try:
        os.rename(staging, target_dir)
    except OSError:
        if old is not None:
            os.rename(old, target_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def exclusive_lock(target_dir: Path) -> Iterator[None]:
    """Serialise provisioning of one folder across processes (two CLI runs, a test and the app)."""
    lock_path = target_dir.parent / f".{target_dir.name}.lock"
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(target_dir: Path) -> None:
    """Remove staging and set-aside folders that a killed run left next to ``target_dir`` (call under the lock)."""
    for pattern in (f".{target_dir.name}.staging-*", f".{target_dir.name}.old-*"):
        for leftover in target_dir.parent.glob(pattern):
            logger.info("Removing %s, left by an interrupted run", leftover)
            shutil.rmtree(leftover, ignore_errors=True)
