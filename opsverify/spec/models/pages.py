"""Pages measured in headless Chromium, once per device: load time, time to interactive, fit on the screen."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from opsverify.spec.models.common import Item
from opsverify.spec.types import Count, DurationT, HeadersT, WebSecretUrlT

Device = Literal["desktop", "mobile", "tablet"]


class Page(Item):
    """A page loaded with every asset in a real browser, emulating each of its devices."""

    url: WebSecretUrlT  # http(s) only
    devices: tuple[Device, ...] = ("desktop",)
    max_load: DurationT | None = None  # navigation start to the end of the load event
    warn_max_load: DurationT | None = None
    max_interactive: DurationT | None = None  # DOMContentLoaded or the last long task of the load, the later
    warn_max_interactive: DurationT | None = None
    max_console_errors: Count | None = None  # console.error calls and uncaught exceptions
    ca_file: str | None = None  # extra trusted CAs for the page's own host
    headers: HeadersT = {}  # sent to the page's own origin only

    @field_validator("devices")
    @classmethod
    def _distinct(cls, devices: tuple[Device, ...]) -> tuple[Device, ...]:
        """At least one device, each once."""
        if not devices:
            raise ValueError("name at least one device: desktop, mobile or tablet")
        if len(set(devices)) != len(devices):
            raise ValueError(f"a device is named twice: {', '.join(devices)}")
        return devices
