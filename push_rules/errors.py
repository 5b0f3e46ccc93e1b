"""Exceptions of the push subsystem. Each carries the HTTP status the API answers with and a Chinese message."""

from __future__ import annotations

from typing import Any

from policy.errors import PolicyKBError


class PushError(PolicyKBError):
    """Base class: ``message`` is a Chinese sentence a person can act on."""


class ValidationFailed(PushError):
    """Input that is rejected as a whole; nothing of it was saved. ``errors`` lists every problem found."""

    status_code = 422

    def __init__(self, errors: list[str] | str) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("；".join(self.errors))

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "errors": self.errors}


class NotFound(PushError):
    status_code = 404


class Conflict(PushError):
    status_code = 409
