"""Containers on a host, as `docker compose ps` shows them: running, healthy, restarted at most so often."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from opsverify.checks import CheckError, combine, probe
from opsverify.checks.host import output
from opsverify.result import Result, failed, passed, skipped, warning
from opsverify.spec.models.hosts import Host, HostContainers
from opsverify.spec.secret import shorten
from opsverify.spec.units import format_seconds

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
ONEOFF = "com.docker.compose.oneoff"  # `docker compose run` containers: not part of the running stack
SHOWN = 120  # characters of a healthcheck's output kept in a reason


@dataclass(frozen=True)
class Container:
    """What `inspect` says about one container."""

    name: str
    service: str | None
    state: str
    exit_code: int
    oom_killed: bool
    finished: datetime | None
    health: str | None
    health_output: str
    restarts: int
    restart_policy: str

    @property
    def completed(self) -> bool:
        """A one-shot container (migrations, seeding) that exited 0 and is not meant to be restarted."""
        return self.state == "exited" and self.exit_code == 0 and self.restart_policy in ("", "no")

    @property
    def label(self) -> str:
        """`container shop-worker-1 (service worker)`."""
        service = f" (service {self.service})" if self.service and self.service != self.name else ""
        return f"container {self.name}{service}"


@probe
def running(host: Host) -> Result:
    """The project's containers and the named ones run, are healthy, and restarted at most max_restarts times."""
    if host.containers is None:
        return skipped("no containers section")
    wanted = host.containers
    found = _containers(host, wanted)
    where = f"in compose project {wanted.project}" if wanted.project else f"on {host.name}"
    if wanted.project and not found:
        return failed(f"no containers {where} on {host.name}", value=0)
    missing = [name for name in wanted.names if not any(name in (c.name, c.service) for c in found)]
    checked = found if wanted.project else [c for c in found if c.name in wanted.names or c.service in wanted.names]
    results = [failed(f"expected container {name} not found {where}") for name in missing]
    for container in checked:
        results += _judged(container, wanted)
    if not results:
        results.append(passed(_summary(checked, wanted, where)))
    return combine(results, containers={c.name: _shown(c) for c in checked})


def _containers(host: Host, wanted: HostContainers) -> list[Container]:
    """Every container of the project (or every container on the host when no project is given)."""
    engine = wanted.engine
    if wanted.project:
        listed = output(host, f"{engine} ps -a -q --no-trunc --filter %s", f"label={PROJECT}={wanted.project}")
    else:
        listed = output(host, f"{engine} ps -a -q --no-trunc")
    ids = listed.split()
    if not ids:
        return []
    text = output(host, f"{engine} inspect " + " ".join(["%s"] * len(ids)), *ids)
    try:
        inspected = json.loads(text)
    except ValueError as exc:
        raise CheckError(f"`{engine} inspect` on {host.name} did not print JSON: {shorten(text.strip(), SHOWN)}") from exc
    containers = [_container(entry) for entry in inspected]
    return [c for c in containers if c is not None]


def _container(entry: dict[str, Any]) -> Container | None:
    """One `inspect` entry (docker's or podman's layout); None for a `compose run` one-off container."""
    labels = (entry.get("Config") or {}).get("Labels") or {}
    if str(labels.get(ONEOFF, "")).lower() == "true":
        return None
    state = entry.get("State") or {}
    health = state.get("Health") or state.get("Healthcheck") or {}
    log = health.get("Log") or []
    said = " ".join(str(log[-1].get("Output") or "").split()) if log else ""
    return Container(
        name=str(entry.get("Name", "")).lstrip("/"),
        service=labels.get(SERVICE),
        state=str(state.get("Status") or "unknown"),
        exit_code=int(state.get("ExitCode") or 0),
        oom_killed=bool(state.get("OOMKilled")),
        finished=_when(state.get("FinishedAt")),
        health=health.get("Status") or None,  # podman reports "" without a healthcheck, docker no Health
        health_output=shorten(said, SHOWN),
        restarts=int(entry.get("RestartCount") or 0),
        restart_policy=str(((entry.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or ""),
    )


def _judged(container: Container, wanted: HostContainers) -> list[Result]:
    """What is wrong with one container: its state, its health, its restart count."""
    results = []
    if container.state != "running" and not container.completed:
        results.append(failed(f"{container.label} is {_state(container)}"))
    elif container.health == "unhealthy":
        said = f": {container.health_output}" if container.health_output else ""
        results.append(failed(f"{container.label} is unhealthy{said}"))
    elif container.health == "starting":
        results.append(warning(f"{container.label} is running but its healthcheck has not passed yet"))
    for limit, outcome, word in ((wanted.max_restarts, failed, "limit"),
                                 (wanted.warn_max_restarts, warning, "warning level")):
        if limit is not None and container.restarts > limit:
            times = "once" if container.restarts == 1 else f"{container.restarts} times"
            results.append(outcome(f"{container.label} restarted {times}; {word} {limit}",
                                   value=container.restarts, limit=str(limit)))
            break
    return results


def _state(container: Container) -> str:
    """`exited (code 137, out of memory) since 12m ago`, `restarting`, `created (never started)`."""
    if container.state in ("exited", "dead", "stopped"):
        code = f"code {container.exit_code}" + (", out of memory" if container.oom_killed else "")
        since = ""
        if container.finished is not None:
            age = (datetime.now(timezone.utc) - container.finished).total_seconds()
            since = f" since {format_seconds(max(age, 0))} ago"
        return f"{container.state} ({code}){since}"
    if container.state in ("created", "configured"):
        return f"{container.state} (never started)"
    return container.state


def _when(stamp: Any) -> datetime | None:
    """An RFC 3339 time with nanoseconds (`2026-11-23T17:53:18.230372068Z`); None for the zero time."""
    if not isinstance(stamp, str) or stamp.startswith("0001-"):
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", stamp.replace("Z", "+00:00"))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _summary(checked: list[Container], wanted: HostContainers, where: str) -> str:
    """`3 containers running in compose project shop (2 healthy); one-shot shop-migrate-1 completed (exit 0)`."""
    done = [c.name for c in checked if c.completed]
    count = f"{len(checked) - len(done)} container{'s' if len(checked) - len(done) != 1 else ''}"
    healthy = sum(c.health == "healthy" for c in checked)
    text = f"{count} running {where}" + (f" ({healthy} healthy)" if healthy else "")
    if done:
        text += f"; one-shot {', '.join(done)} completed (exit 0)"
    limit = wanted.max_restarts if wanted.max_restarts is not None else wanted.warn_max_restarts
    if limit is not None:
        most = max((c.restarts for c in checked), default=0)
        text += f"; at most {most} restart{'s' if most != 1 else ''} each; limit {limit}"
    return text


def _shown(container: Container) -> dict[str, Any]:
    """A container in the evidence."""
    return {"service": container.service, "state": container.state, "exit_code": container.exit_code,
            "health": container.health, "restarts": container.restarts}
