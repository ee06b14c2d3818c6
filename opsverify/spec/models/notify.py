"""Where failures go (webhooks, e-mail) and the accepted risks (waivers) with their expiry."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, model_validator

from opsverify.spec.models.common import Cadence, Item, Model, Severity
from opsverify.spec.types import Name, Text, WebhookT


def _address(value: str) -> str:
    """A plausible e-mail address."""
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


Address = Annotated[str, AfterValidator(_address)]


class Notify(Item):
    """A Slack-compatible webhook, or an e-mail address sent through a relay from `smtp`."""

    webhook: WebhookT | None = None  # the whole URL is the secret (its path carries the token)
    email: Address | None = None
    smtp: Name | None = None  # a name from `smtp`
    min_severity: Severity = "P4"  # notify failures of this severity and worse (P2: P1 and P2)
    on: tuple[Literal["failure", "recovery"], ...] = ("failure", "recovery")
    ca_file: str | None = None
    test: Cadence | None = None  # send a marked test message at this cadence (test_notify_channel_delivers)

    @model_validator(mode="after")
    def _one_channel(self) -> Notify:
        """A webhook, or an e-mail address with its relay."""
        if (self.webhook is None) == (self.email is None):
            raise ValueError("give either webhook, or email with smtp (exactly one of the two)")
        if (self.email is None) != (self.smtp is None):
            raise ValueError("email needs smtp (a name from the smtp section), and smtp is only for email")
        return self


class Waiver(Model):
    """An accepted risk: the check still runs, but its failure does not fail the run until `expires`."""

    name: Name | None = None  # shown in the run's notes and the record
    check: str  # a test id (`test_x[item]` or a full node id), or a glob with * and ?
    reason: Text
    approved_by: Text
    expires: datetime.date

    def expired(self, today: datetime.date) -> bool:
        """Whether the waiver no longer applies on `today` (it holds through its expiry date)."""
        return today > self.expires

    def matches(self, nodeid: str) -> bool:
        """Whether the waiver names this test: the whole node id or its part after `::`; brackets are literal."""
        pattern = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in self.check))
        return any(pattern.fullmatch(name) for name in (nodeid, nodeid.rsplit("::", 1)[-1]))
