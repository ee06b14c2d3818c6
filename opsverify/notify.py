"""Notifications: a Slack-compatible webhook or an e-mail, on failure and on recovery, never carrying a secret."""

from __future__ import annotations

import re
import smtplib
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from opsverify.checks import cause, timeout_of
from opsverify.checks.trust import bundle, client_context
from opsverify.spec import Environment
from opsverify.spec.models.health import Smtp
from opsverify.spec.models.notify import Notify
from opsverify.spec.secret import scrub, shorten

SEVERITIES = ("P1", "P2", "P3", "P4")
FAILING = ("failed", "error")
SHOWN = 10  # failing checks listed in one message
SAID = 120  # characters of a failed delivery's reason (a webhook's answer quoted in it)


@dataclass(frozen=True)
class Delivery:
    """What became of one notification."""

    channel: str
    event: str  # failure | recovery
    ok: bool
    detail: str

    def line(self) -> str:
        """One line for the terminal."""
        if self.ok:
            return f"notified {self.channel} ({self.event}): {self.detail}"
        return f"notification {self.channel} ({self.event}) FAILED: {self.detail}"


def failures(record: dict[str, Any], min_severity: str) -> list[dict[str, Any]]:
    """The failed or errored checks of a record (and a failed compliance score) at min_severity or worse."""
    worst = SEVERITIES.index(min_severity)
    found = [c for c in record.get("checks", []) if c.get("outcome") in FAILING
             and c.get("severity") in SEVERITIES and SEVERITIES.index(c["severity"]) <= worst]
    compliance = record.get("compliance") or {}
    if compliance.get("status") == "failed" and compliance.get("severity") in SEVERITIES \
            and SEVERITIES.index(compliance["severity"]) <= worst:
        found.append({"nodeid": "compliance score", "severity": compliance["severity"], "outcome": "failed",
                      "reason": compliance["reason"]})
    return found


def event(channel: Notify, record: dict[str, Any], previous: dict[str, Any] | None) -> str | None:
    """failure: this run has failures the channel wants; recovery: the previous run of this label had some."""
    if failures(record, channel.min_severity):
        return "failure" if "failure" in channel.on else None
    if previous is not None and failures(previous, channel.min_severity) and "recovery" in channel.on:
        return "recovery"
    return None


def message(record: dict[str, Any], what: str, failing: list[dict[str, Any]],
            previous: dict[str, Any] | None, report: Path | str) -> tuple[str, str]:
    """The subject and the text: which run, its outcome counts, the failing checks, the report's path."""
    run = f"{record['environment']} {record['label']} run of {record['started']}"
    tally = ", ".join(f"{n} {o}" for o, n in record.get("counts", {}).items() if n) or "no checks"
    if what == "failure":
        subject = f"opsverify: FAILED - {run}: {len(failing)} failing check{'s' if len(failing) != 1 else ''}"
        lines = [f"[{c['severity']}] {c['nodeid'].rsplit('::', 1)[-1]} {c['outcome']}: {c.get('reason', '')}"
                 for c in failing[:SHOWN]]
        if len(failing) > SHOWN:
            lines.append(f"... and {len(failing) - SHOWN} more")
    else:
        subject = f"opsverify: RECOVERED - {run} passed"
        lines = [f"the previous {record['label']} run ({previous['started'] if previous else '?'}) had failures; "
                 "this one has none"]
    text = "\n".join([subject, f"checks: {tally}", *lines, f"report: {report}"])
    return scrub(subject), scrub(text)


def send_all(env: Environment, record: dict[str, Any], previous: dict[str, Any] | None,
             report: Path | str) -> list[Delivery]:
    """Send what each channel of `notify` wants to hear about this run; a failed send is reported, never raised."""
    deliveries = []
    for channel in env.notify:
        what = event(channel, record, previous)
        if what is None:
            continue
        subject, text = message(record, what, failures(record, channel.min_severity), previous, report)
        relay = relay_of(env, channel)
        try:
            deliveries.append(Delivery(channel.name, what, True, deliver(channel, relay, subject, text)))
        except Exception as exc:  # noqa: BLE001 - a notification must never take the run down
            deliveries.append(Delivery(channel.name, what, False, why(exc, channel, relay)))
    return deliveries


def relay_of(env: Environment, channel: Notify) -> Smtp | None:
    """The `smtp` item an e-mail channel sends through; None for a webhook."""
    return next((s for s in env.smtp if s.name == channel.smtp), None)


def deliver(channel: Notify, relay: Smtp | None, subject: str, text: str) -> str:
    """Send one message through the channel: what accepted it; raises when it was not accepted."""
    return _webhook(channel, text) if relay is None else _email(relay, channel, subject, text)


def refused(exc: Exception) -> bool:
    """Whether a failed send got an answer that said no (an HTTP status, an SMTP reply or a missing feature)."""
    return isinstance(exc, (RuntimeError, smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused,
                            smtplib.SMTPNotSupportedError))


def _webhook(channel: Notify, text: str) -> str:
    """POST {"text": ...} as JSON; any 2xx answer is a delivery."""
    import requests

    url = channel.webhook.reveal()
    answer = requests.post(url, json={"text": text}, timeout=float(timeout_of(channel)),
                           verify=bundle(channel.ca_file) if url.startswith("https:") else True,
                           allow_redirects=False)
    if not 200 <= answer.status_code < 300:
        said = " ".join(answer.text[:65536].split())  # cut by why(), once the webhook's own secrets are out
        raise RuntimeError(f"HTTP {answer.status_code} from {_where(url)}" + (f": {said}" if said else ""))
    return f"HTTP {answer.status_code} from {_where(url)}"


def _email(relay: Smtp, channel: Notify, subject: str, text: str) -> str:
    """Send through the channel's relay (STARTTLS or TLS as configured, AUTH when it has a login)."""
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = subject, _sender(relay), channel.email
    mail.set_content(text)
    timeout = float(timeout_of(channel))
    context = client_context(relay.ca_file) if relay.ssl or relay.starttls else None
    client = smtplib.SMTP_SSL(timeout=timeout, context=context) if relay.ssl else smtplib.SMTP(timeout=timeout)
    client._host = relay.host  # the TLS server name (set only by the constructor)
    try:
        client.connect(relay.host, relay.port)
        client.ehlo()
        if relay.starttls and not relay.ssl:
            client.starttls(context=context)
            client.ehlo()
        if relay.login is not None:
            if not (relay.ssl or relay.starttls):
                raise RuntimeError(f"AUTH not attempted: the connection to {relay.host}:{relay.port} is not "
                                   "encrypted (set starttls or ssl on the smtp item)")
            client.login(relay.login.user.reveal(), relay.login.password.reveal())
        client.send_message(mail)
        client.quit()
    finally:
        client.close()
    return f"mail to {channel.email} accepted by {relay.host}:{relay.port}"


def _sender(relay: Smtp) -> str:
    """The From address: the relay's login when it is an address, else opsverify@<this host>."""
    user = relay.login.user.reveal() if relay.login is not None else ""
    return user if "@" in user else f"opsverify@{socket.gethostname()}"


def _where(url: str) -> str:
    """host:port of a URL, never its path or query (a webhook's token lives there)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def why(exc: Exception, channel: Notify, relay: Smtp | None) -> str:
    """A readable cause without the webhook's path or any other secret."""
    if relay is None:
        url = channel.webhook.reveal()
        text = str(exc) if isinstance(exc, RuntimeError) else cause(exc, _where(url), timeout_of(channel))
        parts = urlsplit(url)
        tokens = [t for t in re.split(r"[/&=]", f"{parts.path}&{parts.query}") if len(t) >= 8
                  and any(c.isdigit() for c in t)]  # an answer may quote the token alone
        for secret in (url, parts.path, parts.query, *tokens):
            if len(secret) > 1:
                text = text.replace(secret, "/***")
        return shorten(text, SAID)
    where = f"{relay.host}:{relay.port}"
    if isinstance(exc, RuntimeError):
        return scrub(str(exc))
    if isinstance(exc, smtplib.SMTPResponseException):
        return scrub(f"the relay {channel.smtp} ({where}) answered {exc.smtp_code} {_said(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(f"{code} {_said(answer)}" for code, answer in exc.recipients.values())
        return scrub(f"the relay {channel.smtp} ({where}) refused {channel.email}: answered {answers}")
    return scrub(f"mail through {channel.smtp}: {cause(exc, where, timeout_of(channel))}")


def _said(answer: bytes | str) -> str:
    """An SMTP reply's text."""
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer
