"""Where a document came from, as each reader may see it (issue 23).

``policykb ingest`` stores a file with its absolute path on the server (``/srv/policykb/library/ncp/关于….txt``),
which tells a visitor how the server's disks are laid out. Anyone but staff sees the path from the library folder
on instead: the file's name and the folder holding it (``ncp/关于….txt``). An upload is stored under the name it
was uploaded with and is shown as it is. Staff see the stored path (they ingested it).

The JSON APIs call the ``public_*`` helpers below; templates use the ``source_path`` filter
(:mod:`webui.rendering`), which looks at the page's ``identity``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from webui.roles import AccessDenied, current_identity

_ABSOLUTE = re.compile(r"^(/|[A-Za-z]:/|//)")
KEPT_PARTS = 2  # the file name and its folder


def public_path(path: str) -> str:
    """``path`` as a visitor may see it: an absolute server path cut to its folder and file name."""
    normalised = path.replace("\\", "/")
    if not _ABSOLUTE.match(normalised):
        return path
    parts = [part for part in normalised.split("/") if part and not part.endswith(":")]
    return "/".join(parts[-KEPT_PARTS:])


def viewer_is_staff(request: Request) -> bool:
    """Whether the request comes from staff (or an admin); a revoked token is a visitor here, not an error."""
    try:
        return current_identity(request).is_staff
    except AccessDenied:
        return False


def public_record(record: dict[str, Any]) -> dict[str, Any]:
    """A document summary, search hit or citation (JSON) with its ``path`` and its copies' paths made public."""
    shown = {**record, "path": public_path(str(record.get("path", "")))} if "path" in record else dict(record)
    if isinstance(record.get("copies"), list | tuple):
        shown["copies"] = [public_record(copy) for copy in record["copies"]]
    return shown


def public_answer(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer's JSON with its citations' paths made public."""
    return {**answer, "citations": [public_record(citation) for citation in answer.get("citations", [])]}
