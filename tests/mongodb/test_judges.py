"""The judges on MongoDB's reply documents, shaped exactly as MongoDB's documentation shows them.

NO MONGODB SERVER RAN HERE: none can be installed on these machines. The documents below are the
documented reply shapes of serverStatus (`connections`), replSetGetStatus / replSetGetConfig
(members with `stateStr`, `health`, `optimeDate`; `secondaryDelaySecs`), currentOp (`inprog`
entries) and the error replies (NoReplicationEnabled, AuthenticationFailed, Unauthorized), as
pymongo decodes them (BSON dates as timezone-aware datetimes). Each limit is shown to fail on its
fault with the reason asserted, and to pass when healthy.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pymongo.errors import OperationFailure

from opsverify.checks import mongojudge as judge
from opsverify.checks.mongo import explain
from opsverify.result import Status
from opsverify.spec.models.mongodb import MongoDb
from tests.support.items import item

URL = "mongodb://monitor:m0ng0-s3cret-pw@m1.example.net:27017/bookings?authSource=admin&replicaSet=replset"
NOW = datetime(2020, 3, 5, 5, 24, 38, tzinfo=timezone.utc)


def mongodb(**limits: Any) -> MongoDb:
    """The item the documents are judged for."""
    return item(MongoDb, name="bookings", url=URL, **limits)


# serverStatus: https://www.mongodb.com/docs/manual/reference/command/serverStatus/#connections
SERVER_STATUS = {"host": "m1.example.net:27017", "version": "7.0.2", "process": "mongod",
                 "connections": {"current": 80, "available": 20, "totalCreated": 1241, "rejected": 0,
                                 "active": 12, "threaded": 80, "exhaustIsMaster": 0, "exhaustHello": 2,
                                 "awaitingTopologyChanges": 2, "loadBalanced": 0},
                 "ok": 1.0}


def test_connections_used_fails_past_its_limit() -> None:
    result = judge.connections(mongodb(max_connections_used="75%"), SERVER_STATUS)
    assert (result.status, result.reason) == (Status.FAILED, "connections used (80 of 100, 20 available) is 80%; "
                                                             "limit 75%")
    assert result.evidence == {"current": 80, "available": 20, "active": 12, "totalCreated": 1241}


def test_connections_used_warns_then_passes() -> None:
    warned = judge.connections(mongodb(max_connections_used="90%", warn_max_connections_used="60%"), SERVER_STATUS)
    assert (warned.status, warned.reason) == (Status.WARNING, "connections used (80 of 100, 20 available) is 80%; "
                                                              "warning level 60%")
    healthy = judge.connections(mongodb(max_connections_used="90%"), SERVER_STATUS)
    assert (healthy.status, healthy.reason) == (Status.PASSED, "connections used (80 of 100, 20 available) is 80%; "
                                                               "limit 90%")


def test_a_server_status_without_connections_is_an_error() -> None:
    result = judge.connections(mongodb(max_connections_used="80%"), {"ok": 1.0})
    assert (result.status, result.reason) == (Status.ERROR, "serverStatus has no connections.current and "
                                                            "connections.available")


def member(_id: int, name: str, state: int, state_str: str, behind: float | None = 0.0, **more: Any) -> dict:
    """One entry of replSetGetStatus `members` as documented."""
    entry = {"_id": _id, "name": name, "health": 1, "state": state, "stateStr": state_str, "uptime": 269,
             "optime": {"ts": "Timestamp(1583385878, 1)", "t": 3}, "lastHeartbeatMessage": "",
             "syncSourceHost": "", "syncSourceId": -1, "infoMessage": "", "configVersion": 1}
    if behind is not None:
        entry["optimeDate"] = NOW - timedelta(seconds=behind)
        entry["optimeDurableDate"] = entry["optimeDate"]
    return {**entry, **more}


# replSetGetStatus: https://www.mongodb.com/docs/manual/reference/command/replSetGetStatus/#example
REPL_STATUS = {
    "set": "replset", "date": NOW + timedelta(seconds=7), "myState": 1, "term": 3, "syncSourceHost": "",
    "syncSourceId": -1, "heartbeatIntervalMillis": 2000, "majorityVoteCount": 2, "writeMajorityCount": 2,
    "votingMembersCount": 3, "writableVotingMembersCount": 3,
    "members": [
        member(0, "m1.example.net:27017", 1, "PRIMARY", self=True, electionDate=NOW - timedelta(minutes=4)),
        member(1, "m2.example.net:27017", 2, "SECONDARY", 2.0, pingMs=0, syncSourceHost="m3.example.net:27017",
               syncSourceId=2),
        member(2, "m3.example.net:27017", 2, "SECONDARY", 0.0, pingMs=0, syncSourceHost="m1.example.net:27017",
               syncSourceId=0),
    ],
    "ok": 1,
}
# replSetGetConfig: https://www.mongodb.com/docs/manual/reference/replica-configuration/
REPL_CONFIG = {"config": {"_id": "replset", "version": 1, "term": 3, "protocolVersion": 1, "members": [
    {"_id": i, "host": f"m{i + 1}.example.net:27017", "arbiterOnly": False, "buildIndexes": True, "hidden": False,
     "priority": 1, "tags": {}, "secondaryDelaySecs": 0, "votes": 1} for i in range(3)]}, "ok": 1}
# replSetGetStatus on a mongod started without --replSet (the error reply, kept with allowable_errors)
STANDALONE = {"ok": 0.0, "errmsg": "not running with --replSet", "code": 76, "codeName": "NoReplicationEnabled"}


def with_member(index: int, **changes: Any) -> dict:
    """REPL_STATUS with one member changed."""
    status = copy.deepcopy(REPL_STATUS)
    status["members"][index].update(changes)
    return status


def test_replication_lag_passes_when_secondaries_are_close() -> None:
    result = judge.replication_lag(mongodb(max_replication_lag="30s"), REPL_STATUS, REPL_CONFIG)
    assert (result.status, result.reason) == (Status.PASSED, "replication lag of m2.example.net:27017 is 2s; limit "
                                                             "30s | replication lag of m3.example.net:27017 is 0ms; "
                                                             "limit 30s")
    assert result.evidence["primary"] == "m1.example.net:27017"
    assert [m["behind_s"] for m in result.evidence["members"]] == [0.0, 2.0, 0.0]


def test_replication_lag_fails_on_the_secondary_behind() -> None:
    status = with_member(2, optimeDate=NOW - timedelta(seconds=42))
    result = judge.replication_lag(mongodb(max_replication_lag="30s", warn_max_replication_lag="10s"), status,
                                   REPL_CONFIG)
    assert (result.status, result.reason) == (Status.FAILED, "replication lag of m3.example.net:27017 is 42s; "
                                                             "limit 30s")


def test_replication_lag_warns_past_the_warning_level() -> None:
    status = with_member(1, optimeDate=NOW - timedelta(seconds=12))
    result = judge.replication_lag(mongodb(max_replication_lag="30s", warn_max_replication_lag="10s"), status,
                                   REPL_CONFIG)
    assert (result.status, result.reason) == (Status.WARNING, "replication lag of m2.example.net:27017 is 12s; "
                                                              "warning level 10s")


def test_a_delayed_secondary_is_judged_beyond_its_configured_delay() -> None:
    status = with_member(2, optimeDate=NOW - timedelta(seconds=3605))
    config = copy.deepcopy(REPL_CONFIG)
    config["config"]["members"][2].update(secondaryDelaySecs=3600, hidden=True, priority=0)
    result = judge.replication_lag(mongodb(max_replication_lag="30s"), status, config)
    assert result.status is Status.PASSED
    assert "replication lag of m3.example.net:27017 (beyond its secondaryDelaySecs 3600) is 5s" in result.reason


def test_a_member_down_fails_with_what_the_set_says() -> None:
    status = with_member(2, health=0, state=8, stateStr="(not reachable/healthy)",
                         optimeDate=datetime(1970, 1, 1, tzinfo=timezone.utc),
                         lastHeartbeatMessage="Error connecting to m3.example.net:27017 :: caused by :: "
                                              "Connection refused")
    result = judge.replication_lag(mongodb(max_replication_lag="30s"), status, REPL_CONFIG)
    assert (result.status, result.reason) == (
        Status.FAILED, "member m3.example.net:27017 of replica set replset is (not reachable/healthy) (Error "
                       "connecting to m3.example.net:27017 :: caused by :: Connection refused)")


def test_a_set_without_primary_fails() -> None:
    status = with_member(0, state=2, stateStr="SECONDARY")
    result = judge.replication_lag(mongodb(max_replication_lag="30s"), status, REPL_CONFIG)
    assert (result.status, result.reason) == (
        Status.FAILED, "replica set replset has no PRIMARY (m1.example.net:27017 SECONDARY, m2.example.net:27017 "
                       "SECONDARY, m3.example.net:27017 SECONDARY); the lag cannot be measured")


def test_an_arbiter_is_not_a_lagging_secondary() -> None:
    status = with_member(2, state=7, stateStr="ARBITER")
    del status["members"][2]["optimeDate"]
    result = judge.replication_lag(mongodb(max_replication_lag="30s"), status, REPL_CONFIG)
    assert (result.status, result.reason) == (Status.PASSED, "replication lag of m2.example.net:27017 is 2s; "
                                                             "limit 30s")


def test_a_standalone_server_is_skipped_as_not_a_replica_set() -> None:
    result = judge.replication_lag(mongodb(max_replication_lag="30s"), STANDALONE, {})
    assert result.status is Status.SKIPPED
    assert "not a replica set" in result.reason and "m0ng0-s3cret-pw" not in result.reason


def test_a_set_of_one_member_is_skipped() -> None:
    status = copy.deepcopy(REPL_STATUS)
    status["members"] = status["members"][:1]
    result = judge.replication_lag(mongodb(max_replication_lag="30s"), status, REPL_CONFIG)
    assert (result.status, result.reason) == (Status.SKIPPED, "replica set replset has no secondary: nothing "
                                                              "replicates")


def operation(opid: int, seconds: float, **more: Any) -> dict:
    """One entry of currentOp `inprog` as documented."""
    entry = {"type": "op", "host": "m1.example.net:27017", "desc": f"conn{opid}", "connectionId": opid,
             "client": "10.0.0.5:51234", "appName": "api", "clientMetadata": {"driver": {"name": "nodejs"}},
             "active": True, "currentOpTime": "2020-03-05T05:24:38.000+00:00",
             "effectiveUsers": [{"user": "app", "db": "admin"}], "opid": opid, "secs_running": int(seconds),
             "microsecs_running": int(seconds * 1e6), "op": "command", "ns": "bookings.bookings",
             "command": {"aggregate": "bookings", "pipeline": [{"$match": {"email": "jane@example.com"}}],
                         "$db": "bookings"},
             "planSummary": "COLLSCAN", "numYields": 412, "locks": {"Global": "r"}, "waitingForLock": False}
    return {**entry, **more}


# currentOp: https://www.mongodb.com/docs/manual/reference/command/currentOp/#output-example
CURRENT_OP = {"inprog": [
    operation(1234, 42.3),
    operation(1240, 7.5, op="update", command={"q": {"status": "old"}, "u": {"$set": {"x": 1}}}, planSummary="",
              ns="bookings.users", appName=""),
    operation(1250, 2.1),  # under slow_op
    operation(1260, 9.0, op="getmore", ns="local.oplog.rs", command={"getMore": 7, "collection": "oplog.rs"},
              cursor={"cursorId": 7, "tailable": True, "awaitData": True}),  # a secondary tailing the oplog
    operation(1270, 6.0, op="command", ns="admin.$cmd", command={"currentOp": 1, "active": True}, appName="opsverify"),
], "ok": 1}


def test_slow_operations_fail_and_name_the_longest() -> None:
    result = judge.slow_operations(mongodb(max_slow_ops=0), CURRENT_OP)
    assert (result.status, result.value) == (Status.FAILED, 2)
    assert result.reason == ("operations running longer than 5s is 2; limit 0: aggregate bookings.bookings for 42.3s "
                             "(opid 1234, client 10.0.0.5:51234, app api, COLLSCAN); update bookings.users for 7.5s "
                             "(opid 1240, client 10.0.0.5:51234)")
    assert "jane@example.com" not in repr(result)  # query values are never shown
    assert [op["opid"] for op in result.evidence["operations"]] == [1234, 1240]


def test_slow_operations_within_the_limit_pass_and_a_longer_slow_op_sees_none() -> None:
    within = judge.slow_operations(mongodb(max_slow_ops=2), CURRENT_OP)
    assert within.status is Status.PASSED and within.reason.startswith("operations running longer than 5s is 2; "
                                                                       "limit 2: aggregate")
    relaxed = judge.slow_operations(mongodb(max_slow_ops=0, slow_op="1m"), CURRENT_OP)
    assert (relaxed.status, relaxed.reason) == (Status.PASSED, "operations running longer than 1m is 0; limit 0")


def test_slow_operations_warn_past_the_warning_level() -> None:
    result = judge.slow_operations(mongodb(warn_max_slow_ops=1), CURRENT_OP)
    assert result.status is Status.WARNING
    assert result.reason.startswith("operations running longer than 5s is 2; warning level 1: aggregate")


def test_an_idle_server_passes() -> None:
    result = judge.slow_operations(mongodb(max_slow_ops=0), {"inprog": [], "ok": 1})
    assert (result.status, result.reason) == (Status.PASSED, "operations running longer than 5s is 0; limit 0")


def test_ping_latency_and_collections() -> None:
    db = mongodb(max_latency="100ms", warn_max_latency="50ms", expect_collections=["bookings", "users"])
    healthy = judge.answers(db, 0.012, 0.0008, ["bookings", "users", "payments"], "ReplicaSetWithPrimary",
                            server_version="7.0.2")
    assert healthy.status is Status.PASSED, healthy.reason
    assert healthy.evidence["topology"] == "ReplicaSetWithPrimary"
    assert healthy.reason == ("mongodb://monitor:***@m1.example.net:27017/bookings?authSource=admin&replicaSet="
                              "replset answered ping (connected in 12ms) | ping round trip is 0.8ms; limit 100ms | "
                              "all 2 expected collections exist in database bookings")
    slow = judge.answers(db, 0.012, 0.180, ["bookings", "users"], "Single")
    assert (slow.status, slow.reason) == (Status.FAILED, "ping round trip is 180ms; limit 100ms")
    missing = judge.answers(db, 0.012, 0.0008, ["bookings"], "Single")
    assert (missing.status, missing.reason) == (Status.FAILED, "missing collection users in database bookings")
    assert missing.evidence["missing_collections"] == ["users"]


def test_a_replica_set_answering_without_a_primary_fails_the_answers_check() -> None:
    """pymongo reads from a secondary (primaryPreferred) and names the topology it found."""
    result = judge.answers(mongodb(), 0.012, 0.0008, None, "ReplicaSetNoPrimary")
    assert (result.status, result.reason) == (Status.FAILED, "the replica set has no primary: only secondaries "
                                                             "answered, writes fail")


# The error replies pymongo raises as OperationFailure:
# https://www.mongodb.com/docs/manual/reference/error-codes/ (18 AuthenticationFailed, 13 Unauthorized)
@pytest.mark.parametrize(("code", "name", "message", "action", "reason"), [
    (18, "AuthenticationFailed", "Authentication failed.", "ping",
     "authentication failed for user monitor (authSource admin)"),
    (13, "Unauthorized", "not authorized on admin to execute command { serverStatus: 1 }", "serverStatus",
     "user monitor may not run serverStatus: it needs the clusterMonitor role"),
    (13, "Unauthorized", "not authorized on bookings to execute command { listCollections: 1 }", "listCollections",
     "user monitor may not run listCollections: it needs the read role"),
    (59, "CommandNotFound", "no such command: 'replSetGetConfig'", "replSetGetConfig",
     "replSetGetConfig failed: no such command: 'replSetGetConfig' (code 59 CommandNotFound)"),
])
def test_server_errors_read_plainly_and_never_carry_the_password(code, name, message, action, reason) -> None:
    failure = OperationFailure(message, code, {"ok": 0.0, "errmsg": message, "code": code, "codeName": name})
    text = explain(failure, mongodb(), action, topology=None)
    assert text == reason and "m0ng0-s3cret-pw" not in text
