"""The real checklist with a `pages:` item: ids per page and device, cadences, one page load shared by its checks."""

from __future__ import annotations

from pathlib import Path

from tests.plugin.conftest import reports, run_checklist  # noqa: F401 - fixture
from tests.support.http_server import HttpServer


def test_a_page_on_two_devices_runs_three_checks_each_from_one_load(site: HttpServer, tmp_path: Path,
                                                                    reports: Path) -> None:
    env = tmp_path / "pages.yml"
    env.write_text(f"""\
environment: shop
pages:
  - name: home
    url: {site.url("/wide")}
    devices: [desktop, mobile]
    max_load: 5s
    max_interactive: 5s
""")
    before = len(site.requests)
    run = run_checklist(reports, "-m", "daily or monthly", f"--env={env}")
    assert run.code == 1, run.out
    outcomes = {(test, device): run.check(test, f"home:{device}")["outcome"]
                for test in ("test_page_load", "test_page_interactive", "test_page_fits_device")
                for device in ("desktop", "mobile")}
    expected = {key: "failed" if key == ("test_page_fits_device", "mobile") else "passed" for key in outcomes}
    assert outcomes == expected, run.out
    assert "home on mobile is 1208px wide on a 390px-wide screen" in run.out
    assert [r.path for r in site.requests[before:]].count("/wide") == 2, "one load per device, shared by its checks"
    daily = run_checklist(reports, "-m", "daily", f"--env={env}", "--collect-only", "-q")
    assert "test_page_fits_device" not in daily.out and "test_page_load[home:mobile]" in daily.out
