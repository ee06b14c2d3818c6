"""The log checks through testinfra's ssh backend (a real sshd on loopback): dd reads, gzip -dc, the host's clock."""

from __future__ import annotations

import time
from pathlib import Path

from opsverify.checks.logs import matches, repeats, scan
from opsverify.checks.logs.files import RemoteFiles
from opsverify.checks.logs.shares import client_share, ratio
from opsverify.result import Status
from tests.logs.helpers import HOUR, big_access_log, log_entry, spread, write_access_log, write_log
from tests.support.net import free_port
from tests.support.sshd import SshServer


def test_a_log_read_over_ssh_counts_like_a_local_one(tmp_path: Path, sshd: SshServer) -> None:
    now = time.time()
    live = write_log(tmp_path / "error.log", spread(2000, "INFO: tick {i}", 60, 15 * HOUR)
                     + spread(12, "ERROR: upstream 502 from 10.0.0.{i}", 30, 5 * HOUR), "nginx-error")
    write_log(tmp_path / "error.log.1.gz", spread(3, "CRITICAL: disk full", 16 * HOUR, 23 * HOUR)
              + spread(400, "INFO: tock {i}", 16 * HOUR, 30 * HOUR), "nginx-error", compress=True,
              mtime=now - 16 * HOUR)
    write_log(tmp_path / "error.log.2.gz", spread(6, "ERROR: upstream 502 from 10.0.0.{i}", 41 * HOUR, 42 * HOUR),
              "nginx-error", compress=True, mtime=now - 41 * HOUR)
    remote = log_entry(live, target=sshd.target)
    result = matches(remote)
    assert result.status is Status.FAILED
    assert result.reason == (f'count of lines matching "ERROR|CRITICAL" in the last 24h of {live} '
                             "(and error.log.1.gz) is 15; limit 10")
    assert scan(remote).count == scan(log_entry(live)).count == 15
    repeated = repeats(log_entry(live, target=sshd.target, max_repeats=10))
    assert repeated.status is Status.FAILED
    assert repeated.reason.endswith('is 12x; limit 10x: "[error] ###: ERROR: upstream # from #.#.#.#"'), repeated.reason


def test_a_large_remote_log_is_read_in_a_few_ranges_from_its_end(tmp_path: Path, sshd: SshServer) -> None:
    path = write_log(tmp_path / "big.log", spread(250_000, "INFO: job {i} done", 25 * HOUR, 20 * 24 * HOUR)
                     + spread(5, "ERROR: recent {i}", 10, HOUR))
    tally = scan(log_entry(path, target=sshd.target))
    assert tally.count == 5
    assert tally.bytes_read == RemoteFiles.block < path.stat().st_size


def test_shares_of_an_access_log_read_over_ssh_equal_the_local_ones(tmp_path: Path, sshd: SshServer) -> None:
    live = write_access_log(tmp_path / "access.log", big_access_log())
    fields = {"name": "nginx-5xx", "pattern": r'" 5\d\d ', "max": None, "max_ratio": "1%", "max_client_share": "50%"}
    remote, local = log_entry(live, target=sshd.target, **fields), log_entry(live, **fields)
    share_of_all = ratio(remote)
    assert share_of_all.status is Status.FAILED
    assert share_of_all.reason == (f'share of lines matching "" 5\\d\\d " among all lines in the last 24h of {live} '
                                   "is 2% (300 of 15000); limit 1%")
    assert share_of_all.reason == ratio(local).reason
    busiest = client_share(remote)
    assert busiest.status is Status.FAILED
    assert busiest.reason == (f'busiest client 203.0.113.9 sent 100% of lines matching "" 5\\d\\d " in the last 24h '
                              f"of {live} (300 of 300); limit 50%")
    assert busiest.reason == client_share(local).reason


def test_an_unreachable_host_is_an_error_naming_it(tmp_path: Path) -> None:
    port = free_port()
    result = matches(log_entry(tmp_path / "app.log", target=f"ssh://root@127.0.0.1:{port}?timeout=2"))
    assert result.status is Status.ERROR
    assert result.reason == f"connection refused on 127.0.0.1:{port}"
