"""The host keys max_pending_updates / max_security_updates and a log's min / warn_min."""

from __future__ import annotations

from tests.spec.helpers import ok, one


def test_update_limits_are_counts() -> None:
    env = ok("environment: x\nhosts: [{name: h, max_pending_updates: 20, max_security_updates: 0}]\n")
    assert (env.hosts[0].max_pending_updates, env.hosts[0].max_security_updates) == (20, 0)
    assert ok("environment: x\nhosts: [{name: h}]\n").hosts[0].max_security_updates is None
    assert one("environment: x\nhosts: [{name: h, max_security_updates: -1}]\n").key.endswith("max_security_updates")


def test_a_log_minimum_is_a_limit_on_its_own() -> None:
    log = "{name: report, path: /var/log/app/cron.log, pattern: report sent, window: 24h, min: 1, warn_min: 2}"
    entry = ok(f"environment: x\nhosts: [{{name: h, logs: [{log}]}}]\n").hosts[0].logs[0]
    assert (entry.min, entry.warn_min, entry.max) == (1, 2, None)
    problem = one("environment: x\nhosts: [{name: h, logs: [{name: r, path: /x, pattern: sent}]}]\n")
    assert "give a limit: max, min and/or max_repeats" in problem.message
