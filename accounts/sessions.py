"""Sessions: a record kept on the server for each sign-in, named by a signed value the browser keeps in a cookie.

The cookie value names the user, when it was issued and a random session key, HMAC-signed so it cannot be forged
(:class:`SessionSigner`; the key is a random secret kept in ``<data_dir>/session_secret``, mode 0600, so sessions
survive a restart). The server keeps each session in the ``sessions`` table of ``accounts.sqlite3`` (only the
key's SHA-256), so a session can end before its cookie expires: signing out ends that one, and a password change,
a role change or disabling the account ends every session of the user (:class:`accounts.users.AccountStore`). A
copied cookie is then worth nothing.

Usage::

    sessions = SessionStore(accounts, SessionSigner.for_data_dir(data_dir), lifetime_seconds=8 * 3600)
    value = sessions.start(user.id)  # the cookie value
    sessions.user_for(value)  # the user while the session is open, unexpired and the account enabled; else None
    sessions.end(value)  # sign out
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accounts.users import AccountStore, User


@dataclass(frozen=True)
class SignedSession:
    user_id: int
    issued_at: float
    key: str  # names the server-side record; empty in values made without one


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

    def dumps(self, user_id: int, issued_at: float | None = None, key: str = "") -> str:
        data = {"u": user_id, "t": int(issued_at or time.time()), **({"s": key} if key else {})}
        payload = base64.urlsafe_b64encode(json.dumps(data).encode())
        return f"{payload.decode()}.{self._mac(payload)}"

    def read(self, value: str, max_age_seconds: float) -> SignedSession | None:
        """What a valid, unexpired value says, else None."""
        payload, _, mac = value.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(payload.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
            issued_at = float(data["t"])
            if time.time() - issued_at > max_age_seconds:
                return None
            return SignedSession(int(data["u"]), issued_at, str(data.get("s", "")))
        except (ValueError, KeyError, TypeError):
            return None

    def loads(self, value: str, max_age_seconds: float) -> int | None:
        """The user id in a valid, unexpired value, else None."""
        signed = self.read(value, max_age_seconds)
        return signed.user_id if signed is not None else None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class SessionStore:
    """Server-side sessions in the accounts database, each lasting at most ``lifetime_seconds``."""

    def __init__(self, accounts: AccountStore, signer: SessionSigner, lifetime_seconds: float) -> None:
        if lifetime_seconds <= 0:
            raise ValueError(f"lifetime_seconds must be greater than 0. Currently, the lifetime_seconds is {lifetime_seconds}")
        self._accounts = accounts
        self._signer = signer
        self.lifetime_seconds = lifetime_seconds

    def start(self, user_id: int) -> str:
        """Open a session for ``user_id``; returns the cookie value (shown to the browser only)."""
        key = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        # Records older than the lifetime are of no use any more: drop them as new ones come.
        self._accounts.execute("DELETE FROM sessions WHERE created_at < ?", (_iso(now - timedelta(seconds=self.lifetime_seconds)),))
        self._accounts.execute("INSERT INTO sessions (user_id, key_hash, created_at) VALUES (?, ?, ?)", (user_id, _digest(key), _iso(now)))
        return self._signer.dumps(user_id, now.timestamp(), key)

    def user_for(self, value: str) -> User | None:
        """The user of an open, unexpired session whose account is enabled; None for anything else."""
        signed = self._signer.read(value, self.lifetime_seconds)
        if signed is None or not signed.key:
            return None
        row = self._accounts.execute(
            "SELECT user_id FROM sessions WHERE key_hash = ? AND ended_at IS NULL AND created_at >= ?",
            (_digest(signed.key), _iso(datetime.now(UTC) - timedelta(seconds=self.lifetime_seconds))),
        ).fetchone()
        if row is None or int(row[0]) != signed.user_id:
            return None
        user = self._accounts.get(signed.user_id)
        return user if user is not None and not user.disabled else None

    def end(self, value: str) -> None:
        """End the session ``value`` names (signing out); a value that names none is ignored."""
        signed = self._signer.read(value, self.lifetime_seconds)
        if signed is not None and signed.key:
            self._accounts.execute("UPDATE sessions SET ended_at = ? WHERE key_hash = ? AND ended_at IS NULL", (_iso(datetime.now(UTC)), _digest(signed.key)))

    def end_all(self, user_id: int) -> int:
        """End every open session of ``user_id``; returns how many were open."""
        return self._accounts.end_sessions(user_id)
