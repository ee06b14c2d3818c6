"""test_notify_channel_delivers: a marked test message through a real webhook receiver and a real SMTP server."""

from __future__ import annotations

import datetime as dt
import json
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from opsverify.checks import notify
from opsverify.context import RunContext
from opsverify.result import Result, Status
from opsverify.spec import Environment, loads
from tests.plugin.conftest import run_checklist
from tests.support.http_server import HttpServer, Reply
from tests.support.net import free_port, hanging_server
from tests.support.smtp_server import SmtpServer

TOKEN = "T0KEN-canary-test-msg-7d2f"
STARTED = dt.datetime(2026, 5, 4, 7, 0, 2, tzinfo=dt.timezone.utc)
MARKED = "opsverify: TEST - shop monthly run of 2026-05-04T07:00:02Z: this channel works; no action needed"


def environment(hook_port: int, smtp_port: int, *, timeout: str = "2s") -> Environment:
    """A webhook channel and an e-mail channel that ask for a monthly test message, and one that does not."""
    return loads(f"""
environment: shop
smtp: [{{name: relay, host: 127.0.0.1, port: {smtp_port}, starttls: false}}]
notify:
  - {{name: ops-slack, webhook: "http://127.0.0.1:{hook_port}/hooks/{TOKEN}", test: monthly, timeout: {timeout}}}
  - {{name: ops-mail, email: ops@example.com, smtp: relay, test: monthly, timeout: {timeout}}}
  - {{name: quiet, webhook: "http://127.0.0.1:{hook_port}/hooks/{TOKEN}"}}
""", source="env.yml", environ={})


def send(env: Environment, name: str) -> Result:
    """The check's result for the channel called `name`, in a monthly run."""
    channel = next(c for c in notify.tested(env) if c.name == name)
    return notify.delivers(channel, context=RunContext(env, Path("/nonexistent"), None, STARTED, label="monthly"))


def without_token(result: Result) -> None:
    """The webhook's token appears nowhere in the result."""
    assert TOKEN not in result.reason and TOKEN not in json.dumps(result.evidence), result


def test_only_channels_that_set_test_are_checked_at_their_cadence() -> None:
    channels = notify.tested(environment(9, 9))
    assert [(c.name, c.cadence, c.severity) for c in channels] == [("ops-slack", "monthly", "P2"),
                                                                   ("ops-mail", "monthly", "P2")]
    assert all(isinstance(c, notify.Channel) for c in channels)


def test_the_webhook_accepts_the_marked_message() -> None:
    with HttpServer({f"/hooks/{TOKEN}": Reply(200, "ok")}) as hook:
        port = hook.port
        result = send(environment(port, 9), "ops-slack")
    assert result.status is Status.PASSED, result
    assert result.reason == f"test message delivered: HTTP 200 from 127.0.0.1:{port}"
    (request,) = hook.requests
    assert json.loads(request.body) == {"text": MARKED}
    without_token(result)


def test_the_relay_accepts_the_marked_mail() -> None:
    with SmtpServer() as relay:
        result = send(environment(9, relay.port), "ops-mail")
    assert result.status is Status.PASSED, result
    assert result.reason == f"test message delivered: mail to ops@example.com accepted by 127.0.0.1:{relay.port}"
    (mail,) = relay.messages
    assert mail.rcpt_tos == ["ops@example.com"]
    assert message_from_bytes(mail.content, policy=default)["Subject"] == MARKED
    assert TOKEN not in mail.content.decode()


def test_a_webhook_answering_500_fails_without_its_token() -> None:
    with HttpServer({f"/hooks/{TOKEN}": Reply(500, f"no hook at /hooks/{TOKEN}")}) as hook:
        port = hook.port
        result = send(environment(port, 9), "ops-slack")
    assert result.status is Status.FAILED, result
    assert result.reason == f"test message not delivered: HTTP 500 from 127.0.0.1:{port}: no hook at /***"
    without_token(result)


def test_an_answer_quoting_the_token_alone_does_not_leak_it() -> None:
    with HttpServer({f"/hooks/{TOKEN}": Reply(403, f"invalid token {TOKEN}")}) as hook:
        result = send(environment(hook.port, 9), "ops-slack")
    assert result.status is Status.FAILED and result.reason.endswith(": invalid token /***"), result
    without_token(result)


def test_a_relay_refusing_the_recipient_fails_with_its_answer() -> None:
    with SmtpServer(refuse=["ops@example.com"]) as relay:
        result = send(environment(9, relay.port), "ops-mail")
    assert result.status is Status.FAILED, result
    assert result.reason == (f"test message not delivered: the relay relay (127.0.0.1:{relay.port}) refused "
                             "ops@example.com: answered 550 5.1.1 <ops@example.com>: mailbox unavailable")
    assert relay.messages == []


def test_nothing_listening_is_an_error_not_a_pass() -> None:
    port = free_port()
    env = environment(port, port)
    hook, mail = send(env, "ops-slack"), send(env, "ops-mail")
    assert (hook.status, mail.status) == (Status.ERROR, Status.ERROR)
    assert hook.reason == f"test message not delivered: connection refused on 127.0.0.1:{port}"
    assert mail.reason == f"test message not delivered: mail through relay: connection refused on 127.0.0.1:{port}"
    without_token(hook)


def test_a_channel_that_never_answers_is_an_error_within_its_timeout() -> None:
    with hanging_server() as port:
        env = environment(port, port, timeout="300ms")
        hook, mail = send(env, "ops-slack"), send(env, "ops-mail")
    assert (hook.status, mail.status) == (Status.ERROR, Status.ERROR)
    assert hook.reason == "test message not delivered: no answer within 300ms"
    assert mail.reason == "test message not delivered: mail through relay: no answer within 300ms"
    without_token(hook)


@pytest.mark.parametrize("marker, collected", [
    ("monthly", {"test_notify_channel_delivers[ops-slack]"}),
    ("weekly", {"test_notify_channel_delivers[ops-mail]"}),
    ("smoke", set()),
])
def test_the_check_is_collected_at_the_item_cadence_and_never_in_the_gate(tmp_path: Path, marker: str,
                                                                          collected: set[str]) -> None:
    env = tmp_path / "env.yml"
    env.write_text(f"""environment: shop
smtp: [{{name: relay, host: 127.0.0.1, port: 9}}]
notify:
  - {{name: ops-slack, webhook: "http://127.0.0.1:9/hooks/{TOKEN}", test: monthly, tags: [smoke]}}
  - {{name: ops-mail, email: ops@example.com, smtp: relay, test: weekly, severity: P1}}
  - {{name: quiet, webhook: "http://127.0.0.1:9/hooks/{TOKEN}"}}
""")
    run = run_checklist(tmp_path / "reports", "-m", marker, "--collect-only", "-q", f"--env={env}")
    assert run.code in (0, 5), run.out  # 5: nothing collected
    assert {line.split("::")[1] for line in run.out.splitlines() if "test_notify_channel_delivers" in line} \
        == collected, run.out


def test_the_result_is_recorded_with_the_item_severity(tmp_path: Path, reports: Path) -> None:
    env = tmp_path / "env.yml"
    with HttpServer({f"/hooks/{TOKEN}": Reply(500, "down")}) as hook:
        port = hook.port
        env.write_text(f"""environment: shop
defaults: {{severity: P3}}
notify:
  - {{name: ops-slack, webhook: "http://127.0.0.1:{port}/hooks/{TOKEN}", test: monthly, on: [recovery]}}
""")
        run = run_checklist(reports, "-m", "monthly", f"--env={env}")
    assert run.code == 1, run.out
    entry = run.check("test_notify_channel_delivers", "ops-slack")
    assert (entry["outcome"], entry["severity"]) == ("failed", "P3"), entry
    assert entry["reason"] == f"test message not delivered: HTTP 500 from 127.0.0.1:{port}: down"
    assert len(hook.requests) == 1 and TOKEN not in run.out
    assert TOKEN not in (run.run_dir / "results.json").read_text()
