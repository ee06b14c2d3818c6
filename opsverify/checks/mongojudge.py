"""Judge MongoDB's own reply documents (serverStatus, replSetGetStatus, currentOp) against an item's limits.

Pure functions: documents in, Result out. `opsverify.checks.mongo` fetches the documents.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from opsverify.checks import combine, milliseconds, show_seconds
from opsverify.checks.host import percent
from opsverify.result import Result, error, failed, grade, passed, skipped
from opsverify.spec.models.mongodb import MongoDb, database_of

NO_REPLICATION = 76  # replSetGetStatus on a server started without --replSet
SHOWN = 3  # operations or members named in a reason


def answers(db: MongoDb, connected: float, latency: float, collections: list[str] | None,
            topology: str, **evidence: Any) -> Result:
    """Connected, to a primary if a replica set; ping within max_latency; every expect_collections name exists.

    `topology` is pymongo's name for what it found (Single, ReplicaSetWithPrimary, ReplicaSetNoPrimary, Sharded…).
    """
    results = [passed(f"{db.url} answered ping (connected in {show_seconds(connected)})"),
               grade("ping round trip", latency, db.max_latency, db.warn_max_latency, show=show_seconds, unit="s")]
    if topology == "ReplicaSetNoPrimary":
        results.append(failed("the replica set has no primary: only secondaries answered, writes fail"))
    if collections is not None:
        missing = [name for name in db.expect_collections if name not in collections]
        where = f"database {database_of(db.url)}"
        if missing:
            noun = "collection" if len(missing) == 1 else "collections"
            results.append(failed(f"missing {noun} {', '.join(missing)} in {where}", value=len(missing)))
        else:
            results.append(passed(f"all {len(db.expect_collections)} expected collections exist in {where}"))
        evidence["missing_collections"] = missing
    return combine(results, connect_ms=milliseconds(connected), latency_ms=milliseconds(latency), topology=topology,
                   **evidence)


def connections(db: MongoDb, server_status: dict[str, Any]) -> Result:
    """serverStatus `connections`: current / (current + available) against max_connections_used."""
    counts = server_status.get("connections") or {}
    if not isinstance(counts.get("current"), int) or not isinstance(counts.get("available"), int):
        return error("serverStatus has no connections.current and connections.available")
    current, available = counts["current"], counts["available"]
    total = current + available
    if total == 0:
        return error("serverStatus shows 0 connections current and 0 available")
    return grade(f"connections used ({current} of {total}, {available} available)", current / total,
                 db.max_connections_used, db.warn_max_connections_used, show=percent, unit="ratio",
                 evidence={k: counts[k] for k in ("current", "available", "active", "totalCreated") if k in counts})


def replication_lag(db: MongoDb, status: dict[str, Any], config: dict[str, Any]) -> Result:
    """Each secondary's optimeDate behind the primary's, less its configured secondaryDelaySecs."""
    if status.get("code") == NO_REPLICATION:
        return skipped(f"{db.url} is not a replica set (a standalone server has no replication lag)")
    name, members = status.get("set", "?"), status.get("members") or []
    primary = next((m for m in members if m.get("stateStr") == "PRIMARY"), None)
    if primary is None:
        states = ", ".join(f"{m.get('name')} {m.get('stateStr')}" for m in members)
        return failed(f"replica set {name} has no PRIMARY ({states}); the lag cannot be measured",
                      evidence={"members": _states(members)})
    delays = {m.get("host"): float(m.get("secondaryDelaySecs", m.get("slaveDelay", 0)) or 0)
              for m in (config.get("config") or {}).get("members") or []}
    results = []
    for member in members:
        state = member.get("stateStr")
        if member is primary or state == "ARBITER":
            continue
        if state != "SECONDARY" or not member.get("health", 1):
            said = member.get("lastHeartbeatMessage") or member.get("infoMessage")
            results.append(failed(f"member {member.get('name')} of replica set {name} is {state}"
                                  + (f" ({said})" if said else "")))
            continue
        if member.get("optimeDate") is None or primary.get("optimeDate") is None:
            results.append(error(f"replSetGetStatus shows no optimeDate for {member.get('name')} or the primary"))
            continue
        behind = (primary["optimeDate"] - member["optimeDate"]).total_seconds()
        delay = delays.get(member.get("name"), 0.0)
        who = f"{member.get('name')}" + (f" (beyond its secondaryDelaySecs {delay:g})" if delay else "")
        results.append(grade(f"replication lag of {who}", max(0.0, behind - delay), db.max_replication_lag,
                             db.warn_max_replication_lag, show=show_seconds, unit="s"))
    evidence = {"set": name, "primary": primary.get("name"), "members": _states(members, primary)}
    if not results:
        return skipped(f"replica set {name} has no secondary: nothing replicates", evidence=evidence)
    return combine(results, **evidence)


def _states(members: list[dict[str, Any]], primary: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each member's name, state and (with a primary) seconds behind it, for the evidence."""
    out = []
    for m in members:
        entry = {"name": m.get("name"), "state": m.get("stateStr"), "health": m.get("health")}
        if primary is not None and m.get("optimeDate") is not None and m.get("stateStr") != "ARBITER":
            entry["behind_s"] = round((primary["optimeDate"] - m["optimeDate"]).total_seconds(), 3)
        out.append(entry)
    return out


def slow_operations(db: MongoDb, current_op: dict[str, Any]) -> Result:
    """Active operations running slow_op or longer, against max_slow_ops; the longest are named.

    Not counted: currentOp itself, and getMores of tailable awaitData cursors (change streams, oplog
    tailing), which wait for new data by design.
    """
    slow = sorted((op for op in current_op.get("inprog") or [] if _is_slow(op, db.slow_op)),
                  key=_seconds, reverse=True)
    evidence = {"slow_op": str(db.slow_op), "operations": [_summary(op) for op in slow]}
    result = grade(f"operations running longer than {db.slow_op}", len(slow), db.max_slow_ops,
                   db.warn_max_slow_ops, show=lambda v: f"{v:g}", unit="operations", evidence=evidence)
    if not slow:
        return result
    named = "; ".join(_describe(op) for op in slow[:SHOWN])
    more = f" and {len(slow) - SHOWN} more" if len(slow) > SHOWN else ""
    return replace(result, reason=f"{result.reason}: {named}{more}")


def _is_slow(op: dict[str, Any], limit: float) -> bool:
    """An active client operation at least `limit` seconds old that is not waiting for data by design."""
    command = op.get("command") or {}
    waiting = (op.get("cursor") or {}).get("awaitData") and op.get("op") == "getmore"
    return bool(op.get("active")) and "currentOp" not in command and not waiting and _seconds(op) >= limit


def _seconds(op: dict[str, Any]) -> float:
    """How long an operation has been running: microsecs_running, else secs_running."""
    if op.get("microsecs_running") is not None:
        return op["microsecs_running"] / 1e6
    return float(op.get("secs_running") or 0)


def _verb(op: dict[str, Any]) -> str:
    """What the operation does: a command's name (find, aggregate, getMore…), else currentOp's `op` (update…).

    For a write (insert, update, remove) `command` holds the statement itself, not a command name.
    """
    command = op.get("command") or {}
    if op.get("op") in ("command", "query", "getmore") and command:
        return str(next(iter(command)))
    return str(op.get("op", "operation"))


def _describe(op: dict[str, Any]) -> str:
    """`aggregate bookings.bookings for 42s (opid 1234, client 10.0.0.5:51234, app api, COLLSCAN)`; no query values."""
    about = [f"opid {op.get('opid')}"] + [f"{label}{op[key]}" for key, label in
                                          (("client", "client "), ("client_s", "client "), ("appName", "app "),
                                           ("planSummary", "")) if op.get(key)]
    return f"{_verb(op)} {op.get('ns', '')} for {show_seconds(_seconds(op))} ({', '.join(about)})".replace("  ", " ")


def _summary(op: dict[str, Any]) -> dict[str, Any]:
    """The evidence of one slow operation (never its query's values)."""
    return {"opid": op.get("opid"), "op": _verb(op), "ns": op.get("ns"), "seconds": round(_seconds(op), 1),
            "client": op.get("client") or op.get("client_s"), "app": op.get("appName"),
            "plan": op.get("planSummary"), "waiting_for_lock": op.get("waitingForLock")}
