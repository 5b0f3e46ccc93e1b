"""The one base of PolicyKB's own errors: an HTTP status, a Chinese message a person can act on, and the field at fault.

Every package raises subclasses of :class:`PolicyKBError` (the web app's ``ApiError``, the push subsystem's
``PushError``, the index's ``StoreError``…); the web app renders any of them with one handler, as
``{"detail": message}`` plus whatever :meth:`PolicyKBError.as_json` adds.

Usage::

    class NotFound(PolicyKBError):
        status_code = 404

    raise NotFound("企业 7 不存在")
"""

from __future__ import annotations

from typing import Any


class PolicyKBError(Exception):
    """An error with the HTTP status an API answers with and a Chinese ``message``; ``field`` names the input at fault."""

    status_code: int = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def detail(self) -> str:
        """The message under the name the JSON error body gives it."""
        return self.message

    def as_json(self) -> dict[str, Any]:
        """The JSON body of the error answer: ``{"detail": message}``; subclasses may add keys."""
        return {"detail": self.message}
