"""Fleets: an ansible:// target naming an inventory group is one test per machine, each a real sshd on loopback."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import pytest

from opsverify.checks.host import output
from opsverify.checks.host.fleet import machines
from opsverify.checks.host.resources import memory
from opsverify.result import Status
from tests.hosts.helpers import ansible_on_path, host_item, inventory_host
from tests.plugin.conftest import run_checklist
from tests.spec.helpers import one
from tests.support.fixtures import require
from tests.support.net import free_port
from tests.support.sshd import SshServer

LOGGED = 'printf "%s {}\\n" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > app.log'


def own_disk(mount: Path, setup: str) -> tuple[str, ...]:
    """A command that runs its arguments with a 1 MiB tmpfs of their own at `mount`, once `setup` ran in it."""
    script = f'mount -t tmpfs -o size=1m opsv-fleet "$0" && cd "$0" && {setup} && exec "$@"'
    return ("unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(mount))


def own_disk_unavailable() -> str | None:
    """Why a machine with a disk of its own (a mount namespace) cannot be made here."""
    if os.geteuid() != 0:
        return "a host with a disk of its own needs root (unshare --mount, mount -t tmpfs)"
    return None if shutil.which("unshare") else "unshare not found (install util-linux)"


@dataclass(frozen=True)
class Fleet:
    """An inventory whose group `web` is web1 and web3 (healthy), web2 (broken) and web4 (unreachable); `idle` is empty."""

    inventory: Path
    data: Path  # each machine's own 1 MiB disk, mounted here


@pytest.fixture(autouse=True)
def ansible(monkeypatch: pytest.MonkeyPatch) -> None:
    """ansible-inventory where testinfra looks for it."""
    ansible_on_path(monkeypatch)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Three real sshds, each with its own disk: web2's is 88% full and its log has an error; nothing listens for web4."""
    require(SshServer.unavailable() or own_disk_unavailable())
    folder = tmp_path_factory.mktemp("fleet")
    data = folder / "data"
    data.mkdir()
    healthy, broken, other = (SshServer(under=own_disk(data, setup)) for setup in (
        LOGGED.format("INFO started"), "head -c 900k /dev/zero > fill && " + LOGGED.format("ERROR db down"),
        LOGGED.format("INFO started")))
    with healthy, broken, other:
        inventory = folder / "inventory.ini"
        inventory.write_text("[web]\n" + inventory_host("web1", healthy) + inventory_host("web2", broken)
                             + inventory_host("web3", other) + inventory_host("web4", healthy, port=free_port())
                             + "[idle]\n")
        yield Fleet(inventory, data)


def test_a_group_is_one_test_per_machine_and_each_machine_has_its_own_outcome(fleet: Fleet, tmp_path: Path) -> None:
    env = tmp_path / "fleet.yml"
    env.write_text(dedent(f"""\
        environment: fleet
        defaults: {{timeout: 5s}}
        hosts:
          - name: web
            target: ansible://web?ansible_inventory={fleet.inventory}
            connections: 2
            max_disk_used: {{"{fleet.data}": 50%}}
            logs:
              - {{name: app-errors, path: {fleet.data}/app.log, pattern: ERROR, window: 1h, max: 0}}
          - name: idle
            target: ansible://idle?ansible_inventory={fleet.inventory}
            max_memory_used: 99%
          - name: gone
            target: ansible://web?ansible_inventory={tmp_path}/missing.ini
            max_memory_used: 99%
        """))
    run = run_checklist(tmp_path / "reports", "-m", "daily", f"--env={env}")
    assert run.code == 1, run.out
    counted = f'count of lines matching "ERROR" in the last 1h of {fleet.data}/app.log'
    seen = {c["nodeid"].split("::")[1]: (c["outcome"], c["reason"]) for c in run.record["checks"]}
    assert seen == {
        "test_host_disk_used[web/web1]": ("passed", f"disk {fleet.data} used is 0.4%; limit 50%"),
        "test_host_disk_used[web/web2]": ("failed", f"disk {fleet.data} used is 88.3%; limit 50%"),
        "test_host_disk_used[web/web3]": ("passed", f"disk {fleet.data} used is 0.4%; limit 50%"),
        "test_host_disk_used[web/web4]": ("error", "connection refused on web4"),
        "test_log_matches[web/web1:app-errors]": ("passed", f"{counted} is 0; limit 0"),
        "test_log_matches[web/web2:app-errors]": ("failed", f"{counted} is 1; limit 0"),
        "test_log_matches[web/web3:app-errors]": ("passed", f"{counted} is 0; limit 0"),
        "test_log_matches[web/web4:app-errors]": ("error", "connection refused on web4"),
        "test_host_memory_used[idle]": ("error", f"group idle of inventory {fleet.inventory} has no hosts"),
        "test_host_memory_used[gone]": ("error", f"inventory {tmp_path}/missing.ini does not exist"),
    }, run.out


def test_k_selects_a_whole_fleet_or_one_machine(fleet: Fleet, tmp_path: Path) -> None:
    env = tmp_path / "fleet.yml"
    env.write_text(f"environment: fleet\nhosts:\n  - {{name: web, target: 'ansible://web?ansible_inventory="
                   f"{fleet.inventory}', max_memory_used: 99%, max_load: 50}}\n")

    def collected(word: str) -> set[str]:
        run = run_checklist(tmp_path / "reports", f"--env={env}", "--collect-only", "-q", "-k", word)
        return {line.split("::")[1] for line in run.out.splitlines() if "::" in line}

    machines_ = {f"web/web{n}" for n in (1, 2, 3, 4)}
    assert collected("web") == {f"{test}[{m}]" for test in ("test_host_memory_used", "test_host_load")
                                for m in machines_}
    assert collected("web2") == {"test_host_memory_used[web/web2]", "test_host_load[web/web2]"}


def test_a_fleet_talks_to_at_most_its_connections_at_once(sshd: SshServer, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[web]\n" + "".join(inventory_host(f"web{n}", sshd) for n in range(1, 5)))
    members = machines(host_item(f"ansible://web?ansible_inventory={inventory}", name="web", connections=2))
    assert [m.name for m in members] == ["web/web1", "web/web2", "web/web3", "web/web4"]
    with ThreadPoolExecutor(len(members)) as pool:
        spans = list(pool.map(lambda m: [float(t) for t in output(m, "sh -c %s", "date +%s.%N; sleep 1; date +%s.%N")
                                         .split()], members))
    at_once = max(sum(start <= t < end for start, end in spans) for t, _ in spans)
    assert at_once == 2, spans


def test_one_inventory_host_named_directly_stays_one_item_under_its_own_name(sshd: SshServer, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[web]\n" + inventory_host("web1", sshd) + inventory_host("web2", sshd))
    host = host_item(f"ansible://web1?ansible_inventory={inventory}", max_memory_used="99%")
    assert machines(host) == [host]
    assert memory(host).status is Status.PASSED


def test_a_fleet_where_one_machine_is_needed_is_an_error_that_says_so(sshd: SshServer, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[web]\n" + "".join(inventory_host(f"web{n}", sshd) for n in range(1, 6)))
    result = memory(host_item(f"ansible://web?ansible_inventory={inventory}", max_memory_used="99%"))
    assert (result.status, result.reason) == (Status.ERROR, "web1 is a fleet (web names 5 inventory hosts: web1, "
                                              "web2, web3, …); this check needs one machine: give it a hosts entry "
                                              "that names one of them")


def test_an_inventory_that_cannot_be_read_is_one_test_that_errors_and_says_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    garbled = tmp_path / "garbled.ini"
    garbled.write_text("[web\nweb1 =\n")
    says = f"`ansible-inventory --list -i {garbled}` says why"
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\nforks = many\n")
    bad_config = tmp_path / "good.ini"
    bad_config.write_text("[web]\nweb1\n")
    cases = [(garbled, {}, f"ansible-inventory found no hosts in inventory {garbled}; {says}"),
             (bad_config, {"ANSIBLE_CONFIG": str(config)},
              f"ansible-inventory failed to read inventory {bad_config}; "
              f"`ansible-inventory --list -i {bad_config}` says why"),
             (tmp_path / "elsewhere.ini", {"PATH": str(tmp_path)},
              "ansible-inventory is not on PATH: install ansible-core (pip install 'opsverify[ansible]') and run "
              "with its folder on PATH")]
    for inventory, environ, reason in cases:
        inventory.touch()
        with monkeypatch.context() as patched:
            for key, value in environ.items():
                patched.setenv(key, value)
            host = host_item(f"ansible://web?ansible_inventory={inventory}", max_memory_used="99%")
            assert machines(host) == [host]
            result = memory(host)
        assert (result.status, result.reason) == (Status.ERROR, reason)


def test_connections_bound_a_fleet_only() -> None:
    problem = one("environment: x\nhosts: [{name: h, target: 'ssh://ops@web1', connections: 3}]\n")
    assert "connections bounds a fleet" in problem.message, problem
    assert "at least 1" in one("environment: x\nhosts: [{name: h, target: 'ansible://web', connections: 0}]\n").message
