"""Notification channels: one clearly marked test message through each `notify` item that sets `test`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsverify.checks import carried, probe
from opsverify.context import RunContext
from opsverify.notify import deliver, refused, relay_of, why
from opsverify.result import Result, error, failed, passed
from opsverify.spec import Environment
from opsverify.spec.models.health import Smtp
from opsverify.spec.models.notify import Notify
from opsverify.spec.secret import scrub


@dataclass(frozen=True)
class Channel:
    """A notify item with its relay (None for a webhook); its test id is the item's name, its cadence `test`."""

    notify: Notify
    relay: Smtp | None

    @property
    def cadence(self) -> str | None:
        """How often the test message goes out."""
        return self.notify.test

    @property
    def url(self) -> Any:
        """Where the message goes (the webhook, else the relay), for the per-target concurrency limit."""
        return self.notify.webhook if self.relay is None else f"smtp://{self.relay.host}:{self.relay.port}"

    __getattr__ = carried("notify", "name")


def tested(env: Environment) -> list[Channel]:
    """The channels that ask for a test message."""
    return [Channel(n, relay_of(env, n)) for n in env.notify if n.test is not None]


@probe
def delivers(channel: Channel, *, context: RunContext) -> Result:
    """Send one test message; the channel's acceptance (2xx, the relay's 250) passes, a refusal fails."""
    run = f"{context.environment.environment} {context.label} run of {context.started_iso()}"
    text = scrub(f"opsverify: TEST - {run}: this channel works; no action needed")
    try:
        detail = deliver(channel.notify, channel.relay, text, text)
    except Exception as exc:  # noqa: BLE001 - the cause is the result
        judged = failed if refused(exc) else error
        reason = f"test message not delivered: {why(exc, channel.notify, channel.relay)}"
        return judged(reason, evidence={"sent": text})
    return passed(f"test message delivered: {detail}", evidence={"sent": text})
