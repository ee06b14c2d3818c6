"""Volume against its usual level on real access logs written over 8 days: steady, a spike, a collapse, too young."""

from __future__ import annotations

import time
from pathlib import Path

from opsverify.checks.logs import scan
from opsverify.checks.logs.volume import change
from opsverify.result import Result, Status
from tests.logs.helpers import HOUR, log_entry, write_access_log
from tests.plugin.conftest import run_checklist
from tests.spec.helpers import at, ok, one
from tests.support.sshd import SshServer

VOLUME = {"name": "requests", "pattern": "HTTP/", "max": None,
          "volume": {"window": "1h", "usual": "7d", "max_rise": "300%", "max_drop": "75%"}}
WEEK = range(1, 192)  # hours ago, 8 days back: the week before the last hour (and a day more)


def traffic(hours: range, per_hour: int) -> list[tuple[float, str, int, str]]:
    """`per_hour` requests in each of these hours ago, from 1 to 56 minutes into the hour (clear of every edge)."""
    step = (HOUR - 240) / per_hour
    return [(h * HOUR + 60 + k * step, f"198.51.100.{k % 200}", 200, "/api/bookings")
            for h in hours for k in range(per_hour)]


def said(result: Result, path: Path, lines: int, compared: str) -> str:
    """The reason a volume check gives for 40 requests an hour over the week before (its time read from it)."""
    to = result.evidence["window"]["to"][-5:]  # the host's now, as the check took it
    return (f'last 1h to {to} of {path}: {lines:,} lines matching "HTTP/"; usual 40 per hour over the 7d before '
            f"({compared})")


def test_a_steady_log_passes_with_both_counts(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", traffic(WEEK, 40) + traffic(range(1), 44))
    result = change(log_entry(path, **VOLUME))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == said(result, path, 44, "1.1x, +10%") + "; limit +300%, -75%"
    assert (result.evidence["window"]["lines"], result.evidence["usual"]["lines"]) == (44, 40 * 168)


def test_ten_times_the_usual_traffic_in_the_last_hour_fails_with_the_numbers(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", traffic(WEEK, 40) + traffic(range(1), 400))
    result = change(log_entry(path, **VOLUME))
    assert result.status is Status.FAILED
    assert result.reason == said(result, path, 400, "10x, +900%") + "; limit +300%"
    assert (result.value, result.limit) == (9.0, "+300%")


def test_a_rise_past_the_warning_level_warns(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", traffic(WEEK, 40) + traffic(range(1), 100))
    volume = {**VOLUME["volume"], "warn_max_rise": "100%"}
    result = change(log_entry(path, **{**VOLUME, "volume": volume}))
    assert result.status is Status.WARNING
    assert result.reason == said(result, path, 100, "2.5x, +150%") + "; warning level +100%"


def test_nothing_in_the_last_hour_fails_as_a_collapse(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", traffic(WEEK, 40))
    result = change(log_entry(path, **VOLUME))
    assert result.status is Status.FAILED
    assert result.reason == said(result, path, 0, "0x, -100%") + "; limit -75%"
    assert result.limit == "-75%"


def test_a_log_only_two_days_old_cannot_judge(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", traffic(range(48), 40))
    result = change(log_entry(path, **VOLUME))
    assert result.status is Status.ERROR
    oldest, start = result.evidence["reaches_back_to"], result.evidence["usual"]["from"]
    assert result.reason == (f"{path} reaches back only to {oldest} (48h ago): the usual level needs the 7d before "
                             f"the last 1h, back to {start} (too young, or rotated away)")


def test_rotated_files_give_the_usual_level_in_the_same_pass_as_the_window(tmp_path: Path) -> None:
    now = time.time()
    live = write_access_log(tmp_path / "access.log", traffic(range(100), 40) + traffic(range(1), 160))
    write_access_log(tmp_path / "access.log.1", traffic(range(100, 170), 40), mtime=now - 100 * HOUR)
    write_access_log(tmp_path / "access.log.2.gz", traffic(range(170, 192), 40), compress=True, mtime=now - 170 * HOUR)
    entry = log_entry(live, **{**VOLUME, "max": 5000, "window": "24h"})
    tally = scan(entry)
    assert (tally.count, tally.recent, tally.usual) == (24 * 40 + 160, 200, 40 * 168)
    assert tally.files == [str(live), str(tmp_path / "access.log.1")]  # .2.gz was last written before the week
    assert tally.bytes_read == live.stat().st_size + (tmp_path / "access.log.1").stat().st_size  # each read once
    result = change(entry)
    assert result.status is Status.FAILED
    assert result.reason == said(result, f"{live} (and access.log.1)", 200, "5x, +400%") + "; limit +300%"
    (tmp_path / "access.log.2.gz").unlink()
    assert change(entry).reason == result.reason  # .1 reaches back over the week by itself
    (tmp_path / "access.log.1").unlink()  # rotated away: the week before is no longer there
    assert change(entry).status is Status.ERROR


def test_a_volume_read_over_ssh_equals_the_local_one(tmp_path: Path, sshd: SshServer) -> None:
    path = write_access_log(tmp_path / "access.log", traffic(WEEK, 40) + traffic(range(1), 400))
    remote, local = change(log_entry(path, target=sshd.target, **VOLUME)), change(log_entry(path, **VOLUME))
    assert remote.status is Status.FAILED
    assert remote.reason == local.reason == said(local, path, 400, "10x, +900%") + "; limit +300%"


def test_a_spike_fails_in_the_daily_run(tmp_path: Path, reports: Path) -> None:
    log = write_access_log(tmp_path / "access.log", traffic(WEEK, 40) + traffic(range(1), 400))
    env = tmp_path / "env.yml"
    env.write_text(f"""environment: shop
hosts:
  - name: web1
    logs:
      - {{name: requests, path: '{log}', pattern: 'HTTP/', volume: {{usual: 7d, max_rise: 300%}}}}
""")
    run = run_checklist(reports, "-m", "daily", "-k", "log_", f"--env={env}")
    assert run.code == 1, run.out
    volume = run.check("test_log_volume", "web1:requests")
    assert (volume["outcome"], volume["area"]) == ("failed", "host")
    assert volume["reason"].endswith('400 lines matching "HTTP/"; usual 40 per hour over the 7d before (10x, +900%); '
                                     "limit +300%")
    assert {c["nodeid"].split("::")[1] for c in run.record["checks"]} == {"test_log_volume[web1:requests]"}


def test_the_volume_key_loads_with_its_defaults_and_refuses_what_cannot_judge() -> None:
    entry = ok("environment: x\nhosts: [{name: web1, logs: [{name: requests, path: /var/log/nginx/access.log, "
               "pattern: HTTP/, volume: {max_drop: 75%, warn_max_rise: 100%}}]}]\n").hosts[0].logs[0]
    assert (str(entry.volume.window), str(entry.volume.usual), str(entry.volume.max_drop)) == ("1h", "7d", "75%")
    base = ("environment: x\nhosts:\n  - name: web1\n    logs:\n      - name: requests\n        path: /x\n"
            "        pattern: HTTP/\n        volume: {%s}\n")
    at(one(base % "window: 1h"), 8, "hosts[0].logs[0].volume", "give max_rise and/or max_drop")
    assert "usual (12h) is shorter than the window (24h)" in one(base % "window: 24h, usual: 12h, max_rise: 1").message
    assert "a drop of 120% is more than all lines" in one(base % "max_drop: 120%").message


def test_an_item_without_a_volume_is_skipped(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", traffic(range(2), 10))
    result = change(log_entry(path, pattern="HTTP/"))
    assert (result.status, result.reason) == (Status.SKIPPED, "no volume set")


def test_a_usual_period_without_lines_has_nothing_to_compare_and_any_new_line_is_a_rise(tmp_path: Path) -> None:
    quiet = write_access_log(tmp_path / "quiet.log", traffic(range(200, 210), 40), mtime=time.time() - 200 * HOUR)
    result = change(log_entry(quiet, **VOLUME))
    assert result.status is Status.PASSED
    assert result.reason == (f'last 1h to {result.evidence["window"]["to"][-5:]} of {quiet}: 0 lines matching "HTTP/"; '
                             "usual 0 per hour over the 7d before: nothing to compare (limit +300%, -75%)")
    woken = write_access_log(tmp_path / "woken.log", traffic(range(200, 210), 40) + traffic(range(1), 5))
    result = change(log_entry(woken, **VOLUME))
    assert (result.status, result.value) == (Status.FAILED, None)
    assert result.reason.endswith('5 lines matching "HTTP/"; usual 0 per hour over the 7d before (none before); '
                                  "limit +300%")
