"""Signed sessions: a value that names a user and when it was issued, HMAC-signed so it cannot be forged.

The web app keeps the value in its session cookie. The signing key is a random secret kept in
``<data_dir>/session_secret`` (mode 0600), so sessions survive a restart.

Usage::

    signer = SessionSigner.for_data_dir(settings.data_dir)
    value = signer.dumps(user.id)
    signer.loads(value, max_age_seconds=8 * 3600)  # the user id, or None when forged or expired
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path


class SessionSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> SessionSigner:
        path = data_dir / "session_secret"
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return cls(path.read_text().strip().encode())

    def _mac(self, payload: bytes) -> str:
        return hmac.new(self._secret, payload, hashlib.sha256).hexdigest()

    def dumps(self, user_id: int, issued_at: float | None = None) -> str:
        payload = base64.urlsafe_b64encode(json.dumps({"u": user_id, "t": int(issued_at or time.time())}).encode())
        return f"{payload.decode()}.{self._mac(payload)}"

    def loads(self, value: str, max_age_seconds: float) -> int | None:
        """The user id in a valid, unexpired value, else None."""
        payload, _, mac = value.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(payload.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
            if time.time() - float(data["t"]) > max_age_seconds:
                return None
            return int(data["u"])
        except (ValueError, KeyError, TypeError):
            return None
