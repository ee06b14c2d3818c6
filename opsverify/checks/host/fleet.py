"""Fleets: a host whose ansible:// target names an inventory group is one item per inventory host.

The session expands each such item when it parametrizes (`machines`; the group is listed once per run):
`web` over group `webservers` becomes `web/web1`, `web/web2`, … with targets `ansible://web1?…`, so every
host check runs per machine without knowing about fleets. The hosts of one group share `connections`
slots: a command on one of them waits for a free slot (`gate`). A group that cannot be listed stays one
item, and reaching it (`single`) is an error that says why.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from testinfra.backend import parse_hostspec
from testinfra.utils.ansible_runner import AnsibleRunner

from opsverify.checks import CheckError
from opsverify.spec.models.hosts import Host

T = TypeVar("T")
R = TypeVar("R")

_listed: dict[str, tuple[str, ...] | str] = {}  # target -> its inventory hosts, or why they cannot be listed
_groups: dict[str, threading.BoundedSemaphore] = {}  # fleet target -> its connection slots
_gates: dict[str, threading.BoundedSemaphore] = {}  # member target -> its fleet's connection slots


def machines(item: T) -> list[T]:
    """A host (or an entry on one: a log, a file) whose target names a group: one per inventory host; else itself."""
    host = getattr(item, "host", item)
    if not isinstance(host, Host) or not _ansible(host.target):
        return [item]
    try:
        names = inventory_hosts(host.target)
    except CheckError:
        return [item]  # one test that reports why (from `single`), never none
    if names == (_pattern(host.target),):
        return [item]  # one machine named directly: its test ids stay as they were
    slots = _groups.setdefault(host.target, threading.BoundedSemaphore(host.connections))
    each = []
    for name in names:
        target = urlsplit(host.target)._replace(netloc=name).geturl()
        _gates.setdefault(target, slots)
        each.append(host.model_copy(update={"name": f"{host.name}/{name}", "target": target}))
    if item is host:
        return each  # type: ignore[return-value] - T is Host here
    return [replace(item, host=member) for member in each]  # type: ignore[type-var] - an OnHost


def single(host: Host) -> None:
    """Nothing, when the host's target is one machine; CheckError for a group (or a group that cannot be listed)."""
    if not _ansible(host.target) or host.target in _gates:
        return
    names = inventory_hosts(host.target)
    if names != (_pattern(host.target),):
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        raise CheckError(f"{host.name} is a fleet ({_pattern(host.target)} names {len(names)} inventory hosts: "
                         f"{shown}); this check needs one machine: give it a hosts entry that names one of them")


def inventory_hosts(target: str) -> tuple[str, ...]:
    """The inventory hosts an ansible:// target names (itself, or a group's), listed once; CheckError when none."""
    if target not in _listed:
        try:
            _listed[target] = _list(target)
        except CheckError as exc:
            _listed[target] = str(exc)
    found = _listed[target]
    if isinstance(found, str):
        raise CheckError(found)
    return found


def gate(target: str) -> threading.BoundedSemaphore | None:
    """The connection slots of the fleet this target belongs to; None for a machine of no fleet."""
    return _gates.get(target)


def gated(run: Callable[..., R], slots: threading.BoundedSemaphore) -> Callable[..., R]:
    """`run` holding one of its fleet's connection slots while it runs."""

    @functools.wraps(run)
    def bounded(*args: Any, **kwargs: Any) -> R:
        with slots:
            return run(*args, **kwargs)

    return bounded


def _list(target: str) -> tuple[str, ...]:
    """testinfra's AnsibleRunner asked for the hosts matching the target's pattern in its inventory."""
    pattern, inventory = _pattern(target), parse_hostspec(target)[1].get("ansible_inventory")
    where = f"inventory {inventory}" if inventory else "Ansible's default inventory"
    says = f"`ansible-inventory --list{f' -i {inventory}' if inventory else ''}` says why"
    if inventory and not os.path.exists(inventory):
        raise CheckError(f"{where} does not exist")
    if shutil.which("ansible-inventory") is None:
        raise CheckError("ansible-inventory is not on PATH: install ansible-core (pip install 'opsverify[ansible]') "
                         "and run with its folder on PATH")
    runner = AnsibleRunner.get_runner(inventory)
    try:
        names = runner.get_hosts(pattern)
    except AssertionError:  # testinfra's check_output: ansible-inventory exited with an error
        raise CheckError(f"ansible-inventory failed to read {where}; {says}") from None
    except RuntimeError:  # nothing parsed: an unreadable file (ansible-inventory only warns)
        raise CheckError(f"ansible-inventory found no hosts in {where}; {says}") from None
    if not names:
        groups = {group for entry in runner.inventory.values() for group in entry.get("children", ())}
        if pattern in groups:
            raise CheckError(f"group {pattern} of {where} has no hosts")
        raise CheckError(f"{where} has no host or group named {pattern}")
    return tuple(names)


def _ansible(target: str) -> bool:
    """Whether testinfra reaches the target through an Ansible inventory."""
    return target.startswith("ansible://")


def _pattern(target: str) -> str:
    """The inventory host, group or pattern an ansible:// target names (none: `all`, as testinfra reads it)."""
    return parse_hostspec(target)[0] or "all"
