"""Checks of an application of a known framework: what an `apps:` item names, resolved, and how it is read.

An app's `host` is a `hosts` item (none: this machine through testinfra's local backend) and its
`database` a `databases` item; both are looked up in the run's environment.
"""

from __future__ import annotations

import posixpath
from opsverify.checks import CheckError
from opsverify.context import RunContext
from opsverify.spec.models.apps import App
from opsverify.spec.models.health import Database
from opsverify.spec.models.hosts import Host


def host_of(app: App, context: RunContext | None) -> Host:
    """The host the app's code and workers live on: its `hosts` item, else this machine."""
    if app.host is None:
        return Host.model_validate({"name": "local", "target": "local://", "timeout": app.timeout})
    found = context.named("hosts", app.host) if context else None
    if found is None:
        raise CheckError(f"there is no hosts entry named {app.host!r} for app {app.name}")
    return found


def database_of(app: App, context: RunContext | None) -> Database:
    """The app's `databases` item."""
    found = context.named("databases", app.database) if context else None
    if found is None:
        raise CheckError(f"there is no databases entry named {app.database!r} for app {app.name}")
    return found


def under(app: App, *parts: str) -> str:
    """A path below the app's root folder."""
    return posixpath.join(app.root or "", *parts)


def read(host: Host, path: str) -> str | None:
    """A text file on the host (under the host's timeout), or None when it does not exist."""
    from opsverify.checks.host import run  # testinfra: imported only when an app is read

    out = run(host, "cat -- %s", path)
    if out.rc == 0:
        return out.stdout
    said = (out.stderr or "").strip().splitlines()
    if said and "no such file" in said[-1].lower():
        return None
    raise CheckError(f"cannot read {path} on {host.name}: {said[-1] if said else f'exit {out.rc}'}")

