"""The log share checks in a real checklist run (`pytest -m daily --env=FILE` in a subprocess)."""

from __future__ import annotations

from pathlib import Path

from tests.logs.helpers import HOUR, requests, write_access_log
from tests.plugin.conftest import run_checklist


def test_a_5xx_ratio_fails_and_a_spread_client_share_passes_in_the_daily_run(tmp_path: Path, reports: Path) -> None:
    spread_out = [r for n in range(9) for r in requests(90, f"198.51.100.{n}", 200, 60, 20 * HOUR)]
    log = write_access_log(tmp_path / "access.log", spread_out + requests(140, "198.51.100.77", 200, 90, 10 * HOUR)
                           + requests(50, "203.0.113.9", 502, 60, 5 * HOUR))
    env = tmp_path / "env.yml"
    env.write_text(f"""environment: shop
hosts:
  - name: web1
    logs:
      - {{name: nginx-5xx, path: '{log}', pattern: '" 5\\d\\d ', window: 24h, max_ratio: 1%}}
      - {{name: top-clients, path: '{log}', pattern: 'HTTP/', window: 24h, max_client_share: 20%}}
""")
    run = run_checklist(reports, "-m", "daily", "-k", "log_", f"--env={env}")
    assert run.code == 1, run.out
    five_xx = run.check("test_log_ratio", "web1:nginx-5xx")
    assert (five_xx["outcome"], five_xx["area"]) == ("failed", "host")
    assert five_xx["reason"] == (f'share of lines matching "" 5\\d\\d " among all lines in the last 24h of {log} '
                                 "is 5% (50 of 1000); limit 1%")
    clients = run.check("test_log_client_share", "web1:top-clients")
    assert clients["outcome"] == "passed"
    assert clients["reason"] == (f'busiest client 198.51.100.77 sent 14% of lines matching "HTTP/" in the last 24h '
                                 f"of {log} (140 of 1000); limit 20%")
    assert {c["nodeid"].split("::")[1] for c in run.record["checks"]} == {
        "test_log_ratio[web1:nginx-5xx]", "test_log_client_share[web1:top-clients]"}
