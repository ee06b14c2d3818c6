"""When each cadence runs, in which time zone, and the maintenance window."""

from __future__ import annotations

import zoneinfo
from typing import Annotated, Any

from pydantic import AfterValidator, PlainSerializer, ValidationInfo, field_validator

from opsverify.spec.errors import suggest
from opsverify.spec.models.common import Model
from opsverify.spec.types import DurationT
from opsverify.spec.units import Duration
from opsverify.spec.when import When, parse_when


def _zone(name: str) -> str:
    """An IANA time zone name that this machine knows."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}{suggest(name, zoneinfo.available_timezones())} "
                         f"(write an IANA name like Europe/Amsterdam or UTC)") from None
    return name


WhenT = Annotated[When, PlainSerializer(str)]


class Schedule(Model):
    """The calendar of the cadences; each time prints back as written (`str(schedule.weekly)`)."""

    timezone: Annotated[str, AfterValidator(_zone)] = "UTC"
    daily: WhenT | None = None  # "09:00"
    weekly: WhenT | None = None  # "monday 08:00"
    monthly: WhenT | None = None  # "first monday 07:00"
    quarterly: WhenT | None = None  # "first monday of jan,apr,jul,oct 06:00"
    maintenance_window: WhenT | None = None  # "sunday 02:00-04:00"
    grace: DurationT = Duration(7200.0, "2h")  # how late a run may be before its cadence counts as overdue
    run_limit: DurationT = Duration(6 * 3600.0, "6h")  # `opsverify schedule` stops a run still going after this

    @field_validator("daily", "weekly", "monthly", "quarterly", "maintenance_window", mode="before")
    @classmethod
    def _parse(cls, value: Any, info: ValidationInfo) -> When | None:
        """Each key in its own format, named after the key."""
        return None if value is None else parse_when(str(info.field_name), value)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The time zone."""
        return zoneinfo.ZoneInfo(self.timezone)
