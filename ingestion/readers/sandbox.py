"""Read an uploaded file in a child process with a memory and a time limit (issue 23, item 3).

A parser fed a hostile file can take gigabytes and minutes, and Python keeps the memory it once took. So
:class:`SandboxedReader` runs :func:`ingestion.readers.read_document` in a fresh ``python -m
ingestion.readers.sandbox`` process: the file goes in on stdin, the text (or the Chinese reason of a rejection)
comes back as JSON on stdout. The child caps its own address space (``RLIMIT_AS``) and CPU time before reading
the file; the parent kills it when the wall-clock limit passes. Either way the file is rejected with a reason,
the server's own memory never grew, and what the child took goes back to the system when it exits.

Usage::

    reader = SandboxedReader(ParserLimits(), memory_mb=1024, timeout_s=120)
    extracted = reader(Path("通知.docx"), max_bytes=50 * 1024 * 1024, data=uploaded_bytes)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ingestion.readers import read_document
from ingestion.readers.limits import MB, ParseOutOfMemory, ParserLimits
from ingestion.types import DocumentRejected, ExtractedText
from policy.formats import SourceFormat

# Seconds of CPU the child may use beyond the wall-clock limit, so the parent's kill normally comes first.
_CPU_MARGIN_S = 5


class SandboxedReader:
    """:func:`~ingestion.readers.read_document` in a child process limited to ``memory_mb`` and ``timeout_s``."""

    def __init__(self, limits: ParserLimits, *, memory_mb: int, timeout_s: float) -> None:
        if memory_mb <= 0 or timeout_s <= 0:
            raise ValueError(f"memory_mb and timeout_s must be greater than 0, got {memory_mb} and {timeout_s}")
        self.limits = limits
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s

    def __call__(self, path: Path, *, max_bytes: int, data: bytes | None = None) -> ExtractedText:
        """Read ``data`` (or the file at ``path``) like :func:`read_document`, in the sandbox.

        :raises DocumentRejected: whatever the readers reject, and a file whose parse passes the memory or time limit.
        """
        name = path.name
        if data is None:
            data = path.read_bytes()
        request = {"name": name, "max_bytes": max_bytes, "limits": asdict(self.limits), "memory_mb": self.memory_mb,
                   "cpu_seconds": int(self.timeout_s) + _CPU_MARGIN_S}
        command = [sys.executable, "-m", "ingestion.readers.sandbox", json.dumps(request)]
        try:
            completed = subprocess.run(command, input=data, capture_output=True, timeout=self.timeout_s, env=dict(os.environ))
        except subprocess.TimeoutExpired:
            raise DocumentRejected(
                name, f"解析超过 {self.timeout_s:g} 秒仍未完成（设置项 parser_timeout_s），已停止并拒绝该文件；文件可能过于复杂或被恶意构造。"
            ) from None
        reply = _reply(completed.stdout)
        if reply is not None and reply.get("ok"):
            return ExtractedText(reply["text"], SourceFormat(reply["source_format"]), reply.get("encoding"), reply.get("title_hint"))
        if reply is not None and "reason" in reply:
            raise DocumentRejected(name, reply["reason"])
        if (reply is not None and reply.get("memory")) or completed.returncode < 0 or b"MemoryError" in completed.stderr:
            raise DocumentRejected(
                name, f"解析该文件所需内存超过上限 {self.memory_mb} MB（设置项 parser_memory_mb），已拒绝处理；文件可能过于复杂或被恶意构造。"
            )
        raise DocumentRejected(name, f"解析程序异常退出（退出码 {completed.returncode}），无法读取该文件；请用原软件重新保存后再上传。")


def _reply(stdout: bytes) -> dict[str, Any] | None:
    try:
        reply = json.loads(stdout)
    except ValueError:
        return None
    return reply if isinstance(reply, dict) else None


def _child(request: dict[str, Any]) -> dict[str, Any]:
    memory = request["memory_mb"] * MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (request["cpu_seconds"], request["cpu_seconds"]))
    data = sys.stdin.buffer.read()
    try:
        extracted = read_document(Path(request["name"]), max_bytes=request["max_bytes"], data=data, limits=ParserLimits(**request["limits"]))
    except (ParseOutOfMemory, MemoryError):
        return {"ok": False, "memory": True}
    except DocumentRejected as rejected:
        return {"ok": False, "reason": rejected.reason}
    return {"ok": True, "text": extracted.text, "source_format": extracted.source_format.value,
            "encoding": extracted.encoding, "title_hint": extracted.title_hint}


if __name__ == "__main__":
    reply = _child(json.loads(sys.argv[1]))
    sys.stdout.write(json.dumps(reply))  # ASCII: any text survives the pipe
