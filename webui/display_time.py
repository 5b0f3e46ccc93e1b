"""Times as people read them: stored in UTC, shown in the configured zone (setting ``display_timezone``).

The audit log, feedback and accounts store ISO 8601 times with a UTC offset; the push database stores naive UTC
datetimes. Pages show both in the display zone (default Asia/Shanghai) through the ``local_time`` template filter
(:mod:`webui.rendering`); the JSON APIs keep ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

ZONE_LABELS = {"Asia/Shanghai": "北京时间", "UTC": "UTC"}


def zone_label(zone_name: str) -> str:
    """How a page names the zone its times are in (北京时间 for Asia/Shanghai, else the zone's name)."""
    return ZONE_LABELS.get(zone_name, zone_name)


def local_time(value: str | datetime | None, zone: ZoneInfo, *, seconds: bool = False) -> str:
    """``value`` (ISO text or a datetime; naive means UTC) as ``YYYY-MM-DD HH:MM[:SS]`` in ``zone``; '' for none."""
    if value is None or value == "":
        return ""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
