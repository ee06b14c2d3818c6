"""Disk, memory, load and CPU on real hosts: this machine (local://) and the same machine over a real sshd."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from opsverify.checks import CheckError
from opsverify.checks.host import run
from opsverify.checks.host.resources import cpu, disk, load, memory
from opsverify.result import Status
from tests.hosts.helpers import host_item
from tests.spec.helpers import at, one
from tests.support.net import free_port


def test_a_disk_limit_below_current_usage_fails_per_mount(target: str) -> None:
    full = disk(host_item(target, max_disk_used={"/": "1%"}))
    assert full.status is Status.FAILED
    assert re.fullmatch(r"disk / used is [\d.]+%; limit 1%", full.reason), full.reason
    roomy = disk(host_item(target, max_disk_used={"/": "99.99%"}, warn_max_disk_used={"/": "99.9%"}))
    assert roomy.status is Status.PASSED, roomy.reason
    assert roomy.evidence["mounts"]["/"]["mounted_on"] == "/"


def test_a_folder_that_is_no_mount_is_measured_on_its_filesystem(tmp_path) -> None:
    result = disk(host_item(max_disk_used={str(tmp_path): "99.99%"}))
    mounted_on = result.evidence["mounts"][str(tmp_path)]["mounted_on"]
    assert result.status is Status.PASSED
    assert re.fullmatch(rf"disk {re.escape(str(tmp_path))} \(on {re.escape(mounted_on)}\) used is [\d.]+%; "
                        r"limit 99.99%", result.reason), result.reason


def test_a_missing_mount_is_an_error_in_dfs_words() -> None:
    result = disk(host_item(max_disk_used={"/no/such/mount": "90%"}))
    assert result.status is Status.ERROR
    assert result.reason.startswith("`df -P -k /no/such/mount` failed on web1 (exit 1): df: /no/such/mount: "), \
        result.reason


def test_memory_over_its_limit_fails_and_warns_at_its_warning_level(target: str) -> None:
    tight = memory(host_item(target, max_memory_used="0.1%"))
    assert tight.status is Status.FAILED
    assert re.fullmatch(r"memory used \(of [\d.]+GiB\) is [\d.]+%; limit 0.1%", tight.reason), tight.reason
    warned = memory(host_item(target, max_memory_used="100%", warn_max_memory_used="0.1%"))
    assert warned.status is Status.WARNING


def test_load_per_core_over_its_limit_fails(target: str) -> None:
    if os.getloadavg()[1] < 0.01:  # an idle machine: make some load so the 5-minute average rises
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            while os.getloadavg()[1] < 0.01:
                time.sleep(1)
        finally:
            busy.kill()
            busy.wait()
    result = load(host_item(target, max_load=0.001))
    assert result.status is Status.FAILED
    assert re.fullmatch(r"5-minute load per core \([\d.]+ on \d+ cores\) is [\d.]+; limit 0.001", result.reason), \
        result.reason
    assert load(host_item(target, max_load=1000)).status is Status.PASSED


def test_busy_loops_on_every_core_make_cpu_used_fail(target: str) -> None:
    cores = os.cpu_count() or 1
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        time.sleep(0.3)  # the interpreters are up and spinning
        busy = cpu(host_item(target, max_cpu_used="50%"))
        warned = cpu(host_item(target, max_cpu_used="100%", warn_max_cpu_used="50%"))
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    assert busy.status is Status.FAILED
    assert re.fullmatch(rf"CPU used \({cores} cores, over 1s\) is [\d.]+%; limit 50%", busy.reason), busy.reason
    assert set(busy.evidence) == {"user", "system", "iowait", "steal"}
    assert warned.status is Status.WARNING, warned.reason


def test_a_cpu_saturated_on_every_core_fails_at_the_runbooks_80_percent_over_its_sample() -> None:
    cores = os.cpu_count() or 1
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        time.sleep(0.3)
        saturated = cpu(host_item(max_cpu_used="80%", cpu_sample="2s", max_load=2.0, warn_max_load=1.0))
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    assert saturated.status is Status.FAILED  # load per core would be about 1.0 here: a warning at most
    assert re.fullmatch(rf"CPU used \({cores} cores, over 2s\) is [\d.]+%; limit 80%", saturated.reason), \
        saturated.reason


def test_cpu_used_within_its_limit_passes(target: str) -> None:
    result = cpu(host_item(target, max_cpu_used="100%"))
    assert result.status is Status.PASSED
    assert re.fullmatch(r"CPU used \(\d+ cores, over 1s\) is [\d.]+%; limit 100%", result.reason), result.reason
    assert cpu(host_item(target)).reason == "no max_cpu_used set"


def test_an_unreachable_ssh_host_is_an_error() -> None:
    port = free_port()
    result = memory(host_item(f"ssh://root@127.0.0.1:{port}?timeout=2", max_memory_used="90%"))
    assert result.status is Status.ERROR
    assert result.reason == f"connection refused on 127.0.0.1:{port}"


def test_a_stuck_command_is_cut_off_at_its_limit() -> None:
    started = time.monotonic()
    with pytest.raises(CheckError, match=r"^`sleep 30` did not finish within 500ms on web1$"):
        run(host_item(), "sleep %s", "30", limit=0.5)
    assert time.monotonic() - started < 10


def test_a_cpu_limit_that_is_no_share_is_a_spec_error_at_its_line() -> None:
    at(one("environment: x\nhosts:\n  - name: w\n    max_cpu_used: 150\n"), 4, "hosts[0].max_cpu_used",
       "150 is not a ratio between 0 and 1 (for a percentage write 85%)")
