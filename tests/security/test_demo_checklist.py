"""verify/test_security.py as a real pytest run against the real demo: healthy passes, each break fails its check."""

from __future__ import annotations

from pathlib import Path

from opsverify import demo
from tests.plugin.conftest import run_checklist

SECURITY = "verify/test_security.py"
# break -> (test, item suffix after the demo's host:port, reason fragment)
BROKEN = {
    "missing-headers": [("test_security_headers", "-strict-transport-security", "no Strict-Transport-Security header"),
                        ("test_security_headers", "-content-security-policy", "no Content-Security-Policy header")],
    "insecure-cookie": [("test_session_cookie", "-demo_session", "demo_session (set by /) is not Secure")],
    "exposed-env": [("test_exposed_path", "/.env", "/.env serves a dotenv file with APP_KEY")],
    "debug-page": [("test_no_debug_page", "", "shows the Werkzeug debugger (HTTP 404, asked for HTML)")],
    "open-port": [("test_open_ports", None, "but not allowed")],
    "vulnerable-dependency": [("test_dependency_audit", None, "Werkzeug 3.0.1: GHSA-2g68-c3qc-8985 (high, fixed in "
                                                              "3.0.3)")],
}


def run(reports: Path, env: Path):
    """The daily and weekly security checklist against an environment file."""
    return run_checklist(reports, SECURITY, "-m", "daily or weekly", f"--env={env}")


def test_the_healthy_demo_passes_every_security_check(tmp_path: Path) -> None:
    with demo.start(tmp_path / "demo") as running:
        checklist = run(tmp_path / "reports", running.env_path)
    assert checklist.code == 0, checklist.out
    checks = checklist.record["checks"]
    names = {c["nodeid"].split("::")[1].split("[")[0] for c in checks}
    assert names >= {"test_security_headers", "test_no_version_banner", "test_session_cookie", "test_exposed_path",
                     "test_no_debug_page", "test_no_directory_listing", "test_https_redirect", "test_open_ports",
                     "test_dependency_audit"}
    assert {c["outcome"] for c in checks if "[" in c["nodeid"]} == {"passed"}, checks
    assert {c["cadence"] for c in checks if "test_open_ports" in c["nodeid"]} == {"weekly"}


def test_each_security_break_fails_exactly_its_check(tmp_path: Path) -> None:
    """All six breaks at once: exactly the expected checks fail, each with its reason; every other one passes."""
    with demo.start(tmp_path / "demo", BROKEN) as running:
        site = f"127.0.0.1:{running.https_port}"
        checklist = run(tmp_path / "reports", running.env_path)
    assert checklist.code == 1, checklist.out
    failed = {c["nodeid"].split("::")[1]: c for c in checklist.record["checks"] if c["outcome"] != "passed"}
    expected = {}
    for test, suffix, reason in (entry for entries in BROKEN.values() for entry in entries):
        match = next(nodeid for nodeid in failed if nodeid.startswith(f"{test}[") and
                     (suffix is None or nodeid == f"{test}[{site}{suffix}]"))
        expected[match] = reason
    assert set(failed) == set(expected), sorted(failed)
    for nodeid, reason in expected.items():
        assert failed[nodeid]["outcome"] == "failed" and reason in failed[nodeid]["reason"], failed[nodeid]
