"""Settings of the push subsystem (targeted policy push).

They are the ``push`` group of ``policykb.settings.Settings`` (environment ``POLICYKB_PUSH__<NAME>``, e.g.
``POLICYKB_PUSH__SMTP_HOST``), whose ``data_dir`` is copied in; tests and benchmarks build :class:`PushSettings`
directly and pass it to :class:`push_rules.service.PushService`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class PushSettings(BaseModel):
    data_dir: Path = Field(Path("data"), description="Data directory; the default push database lives here.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the push database (e.g. `postgresql+psycopg://user@host/policykb`). "
        "Default: SQLite file `push.sqlite3` in the data directory.",
    )
    webhook_allowlist: list[str] = Field(
        default_factory=list,
        description="Hosts webhooks may point at: exact host names, `*.example.com` suffixes, IPs or CIDR ranges. "
        "Empty: any host whose addresses are all global. Only listed IPs/CIDRs allow a non-global address (loopback, private, 100.64.0.0/10 …).",
    )
    webhook_max_attempts: int = Field(6, ge=1, le=50, description="Delivery attempts of one webhook or e-mail before it is dead-lettered.")
    webhook_backoff_base_seconds: float = Field(
        2.0, gt=0, description="First retry delay in seconds; attempt n waits base × 2^(n-1) (capped by webhook_backoff_max_seconds)."
    )
    webhook_backoff_max_seconds: float = Field(3600.0, gt=0, description="Longest delay between two delivery attempts, in seconds.")
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="HTTP timeout of one webhook call, in seconds.")
    smtp_host: str | None = Field(None, description="SMTP server for push e-mails; unset disables the e-mail channel.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP server port.")
    smtp_user: str | None = Field(None, description="SMTP login user (optional).")
    smtp_password: str | None = Field(None, description="SMTP login password (optional).")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS before logging in.")
    smtp_sender: str = Field("policykb@localhost", description="From address of push e-mails.")
    worker_poll_seconds: float = Field(2.0, gt=0, description="How often the delivery worker looks for due outbox entries, in seconds.")
    worker_batch_size: int = Field(50, ge=1, description="Outbox entries one worker pass claims at most.")
    worker_lease_seconds: float = Field(
        120.0, gt=0, description="How long a claimed outbox entry stays reserved for one worker before another may retry it."
    )
    public_base_url: str = Field("http://127.0.0.1:8000", description="Base URL used for links in push messages.")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'push.sqlite3').as_posix()}"
