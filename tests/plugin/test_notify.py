"""Notifications reach a real webhook receiver and a real SMTP server: one for a failure, one for the recovery."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from opsverify import demo
from tests.plugin.conftest import run_checklist
from tests.support.http_server import HttpServer, Reply
from tests.support.smtp_server import SmtpServer

HOOK_TOKEN = "T0KEN-canary-hook-5c1e"
DB_PASSWORD = "canary-db-pw-88a1"


def _with_notify(running: demo.Demo, tmp_path: Path, webhook: str, smtp_port: int) -> Path:
    """The demo's environment file with a webhook and an e-mail channel (and a secret that must not travel)."""
    text = running.env_path.read_text().replace(
        "databases:\n", f"databases:\n  - {{name: vault, url: 'postgresql://u:{DB_PASSWORD}@127.0.0.1:9/x'}}\n", 1)
    path = tmp_path / f"notify-{running.https_port}.yml"
    path.write_text(text + f"""
smtp:
  - {{name: relay, host: 127.0.0.1, port: {smtp_port}, starttls: false}}
notify:
  - name: ops-slack
    webhook: "{webhook}"
    min_severity: P2
  - name: ops-mail
    email: ops@example.com
    smtp: relay
    timeout: 5s
""")
    return path


@pytest.mark.parametrize("broken_demo", ["stale-document"], indirect=True)
def test_one_message_for_a_failure_and_one_for_the_recovery_without_secrets(broken_demo, reports, tmp_path):
    with HttpServer({f"/hooks/{HOOK_TOKEN}": Reply(200, "ok")}) as hook, SmtpServer() as mail:
        webhook = hook.url(f"/hooks/{HOOK_TOKEN}")
        env = _with_notify(broken_demo, tmp_path, webhook, mail.port)
        failing = run_checklist(reports, "-m", "monthly", f"--env={env}")
        assert failing.code == 1, failing.out
        assert len(hook.requests) == 1 and len(mail.messages) == 1, failing.out
        text = json.loads(hook.requests[0].body)["text"]
        assert text.startswith("opsverify: FAILED - demo monthly run of ") and "runbook.md" in text
        assert "[P2] test_document_reviewed[" in text and "time since review is 200d; limit 90d" in text
        assert f"report: {failing.run_dir / 'report.html'}" in text
        assert f"notified ops-slack (failure): HTTP 200 from 127.0.0.1:{hook.port}" in failing.out
        assert (f"notified ops-mail (failure): mail to ops@example.com accepted by 127.0.0.1:{mail.port}"
                in failing.out)

        with demo.start(tmp_path / "healthy") as healthy:
            env = _with_notify(healthy, tmp_path, webhook, mail.port)
            recovered = run_checklist(reports, "-m", "monthly", f"--env={env}")
            assert recovered.code == 0, recovered.out
            assert len(hook.requests) == 2 and len(mail.messages) == 2, recovered.out
            again = run_checklist(reports, "-m", "monthly", f"--env={env}")
            assert again.code == 0 and len(hook.requests) == 2 and len(mail.messages) == 2, again.out

    recovery = json.loads(hook.requests[1].body)["text"]
    assert recovery.startswith("opsverify: RECOVERED - demo monthly run of ") and "this one has none" in recovery
    subjects = [message_from_bytes(m.content, policy=default)["Subject"] for m in mail.messages]
    assert subjects[0].startswith("opsverify: FAILED - demo monthly run") and "RECOVERED" in subjects[1]
    assert mail.messages[0].rcpt_tos == ["ops@example.com"]
    sent = [r.body.decode() for r in hook.requests] + [m.content.decode() for m in mail.messages]
    for body in sent:
        assert HOOK_TOKEN not in body and DB_PASSWORD not in body
    for out in (failing.out, recovered.out):
        assert HOOK_TOKEN not in out and DB_PASSWORD not in out


@pytest.mark.parametrize("broken_demo", ["stale-document"], indirect=True)
def test_an_unreachable_channel_is_reported_and_the_run_still_archives(broken_demo, reports, tmp_path):
    env = _with_notify(broken_demo, tmp_path, f"http://127.0.0.1:9/hooks/{HOOK_TOKEN}", 9)
    run = run_checklist(reports, "-m", "monthly", f"--env={env}")
    assert run.code == 1 and (run.run_dir / "results.json").exists(), run.out
    assert "notification ops-slack (failure) FAILED: connection refused on 127.0.0.1:9" in run.out
    assert "notification ops-mail (failure) FAILED: mail through relay: connection refused on 127.0.0.1:9" in run.out
    assert HOOK_TOKEN not in run.out and "Traceback" not in run.out


@pytest.mark.parametrize("broken_demo", ["stale-document"], indirect=True)
def test_no_archive_still_notifies_and_says_so(broken_demo, reports, tmp_path):
    html = tmp_path / "out" / "report.html"
    with HttpServer({f"/hooks/{HOOK_TOKEN}": Reply(200, "ok")}) as hook, SmtpServer() as mail:
        env = _with_notify(broken_demo, tmp_path, hook.url(f"/hooks/{HOOK_TOKEN}"), mail.port)
        run = run_checklist(reports, "-m", "monthly", f"--env={env}", "--no-archive", f"--html={html}")
    assert run.code == 1, run.out
    assert len(hook.requests) == 1 and len(mail.messages) == 1, run.out
    assert "this run is not archived (--no-archive); its notifications are sent as usual" in run.out
    assert "notified ops-slack (failure): HTTP 200" in run.out
    text = json.loads(hook.requests[0].body)["text"]
    assert text.startswith("opsverify: FAILED - demo monthly run of ") and text.endswith(f"report: {html}")
    assert html.is_file() and not reports.exists()
