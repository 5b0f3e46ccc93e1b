"""Exceptions of the push subsystem. Each carries the HTTP status the API answers with and a Chinese message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from policy.errors import PolicyKBError


class PushError(PolicyKBError):
    """Base class: ``message`` is a Chinese sentence a person can act on."""


@dataclass(frozen=True)
class Problem:
    """One reason an input is refused: the input field at fault (machine-readable key, None when the input as a
    whole is wrong) and a Chinese message that names it."""

    field: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "message": self.message}


class ValidationFailed(PushError):
    """Input that is rejected as a whole; nothing of it was saved. ``errors`` lists every problem found.

    The JSON body is ``{"detail": "…；…", "errors": ["…", …], "field": "<first field>",
    "problems": [{"field": "credit_code", "message": "…"}, …]}``.
    """

    status_code = 422

    def __init__(self, errors: Sequence[str | Problem] | str | Problem, field: str | None = None) -> None:
        items = [errors] if isinstance(errors, str | Problem) else errors
        self.problems = [item if isinstance(item, Problem) else Problem(field, item) for item in items]
        self.errors = [p.message for p in self.problems]
        super().__init__("；".join(self.errors), field=next((p.field for p in self.problems if p.field), None))

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "errors": self.errors, "field": self.field, "problems": [p.as_dict() for p in self.problems]}


class NotFound(PushError):
    status_code = 404


class Conflict(PushError):
    status_code = 409
