"""MongoDB through pymongo: ping latency and collections, connections used, replication lag, slow operations.

Each check fetches the server's documents with read-only commands and hands them to a pure judge
(`opsverify.checks.mongojudge`). pymongo is the `mongodb` extra: without it each check is an error
saying how to install it.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from opsverify.checks import CheckError, cause, probe, show_seconds, timeout_of
from opsverify.checks import mongojudge as judge
from opsverify.checks.trust import bundle
from opsverify.result import Result, skipped
from opsverify.spec.models.mongodb import MongoDb, database_of

try:
    import pymongo
    from pymongo import errors as failures
    from pymongo.read_preferences import ReadPreference
except ImportError:  # the `mongodb` extra is not installed
    pymongo = None

NEEDS_PYMONGO = "mongodb: needs pymongo: pip install 'opsverify[mongodb]'"
_ROLE = {"listCollections": "read"}  # the role an unauthorized command needs; the others need clusterMonitor
_AUTH_FAILED, _UNAUTHORIZED = 18, 13  # MongoDB error codes


@probe
def ping(db: MongoDb) -> Result:
    """ping round trip (median of 3 after connecting) against max_latency; expect_collections exist."""
    with client_of(db) as client:
        start = time.perf_counter()
        command(client, db, "ping")
        connected = time.perf_counter() - start
        rounds = []
        for _ in range(3):
            begin = time.perf_counter()
            command(client, db, "ping")
            rounds.append(time.perf_counter() - begin)
        version = command(client, db, "buildInfo").get("version")
        collections = None
        if db.expect_collections:
            with answering(client, db, "listCollections"):
                names = client[database_of(db.url)].list_collection_names(authorizedCollections=True)
            collections = list(names)
        topology = client.topology_description.topology_type_name
    return judge.answers(db, connected, statistics.median(rounds), collections, topology, server_version=version)


@probe
def connections(db: MongoDb) -> Result:
    """serverStatus connections: current / (current + available) against max_connections_used."""
    with client_of(db) as client:
        status = command(client, db, "serverStatus", repl=0, metrics=0, locks=0, wiredTiger=0)
    return judge.connections(db, status)


@probe
def replication_lag(db: MongoDb) -> Result:
    """How far the furthest secondary is behind the primary (replSetGetStatus optimeDate), less its set delay."""
    if db.max_replication_lag is None and db.warn_max_replication_lag is None:
        return skipped("no max_replication_lag set")
    with client_of(db) as client:
        status = command(client, db, "replSetGetStatus", allowable_errors=[judge.NO_REPLICATION])
        config = command(client, db, "replSetGetConfig") if status.get("ok") else {}
    return judge.replication_lag(db, status, config)


@probe
def slow_operations(db: MongoDb) -> Result:
    """Active operations running slow_op or longer (currentOp), against max_slow_ops."""
    with client_of(db) as client:
        found = command(client, db, "currentOp", active=True, secs_running={"$gte": int(db.slow_op)})
    return judge.slow_operations(db, found)


@contextmanager
def client_of(db: MongoDb) -> Iterator[Any]:
    """A MongoClient with the item's timeouts, no retries, reading from the primary if there is one; closed after."""
    if pymongo is None:
        raise CheckError(NEEDS_PYMONGO)
    ms = int(timeout_of(db) * 1000)
    try:
        client = pymongo.MongoClient(db.url.reveal(), serverSelectionTimeoutMS=ms, connectTimeoutMS=ms,
                                     socketTimeoutMS=ms, appname="opsverify", readPreference="primaryPreferred",
                                     retryReads=False, retryWrites=False, tz_aware=True, **_trust(db))
    except (failures.PyMongoError, ValueError) as exc:  # a malformed URL, an SRV record that does not resolve
        raise CheckError(f"cannot use the URL {db.url}: {cause(exc, 'the URL')}") from exc
    try:
        yield client
    finally:
        client.close()


def command(client: Any, db: MongoDb, name: str, **arguments: Any) -> dict[str, Any]:
    """One read-only admin command's reply; a failure is a CheckError with its real cause."""
    with answering(client, db, name):
        return client.admin.command(name, read_preference=ReadPreference.PRIMARY_PREFERRED, **arguments)


@contextmanager
def answering(client: Any, db: MongoDb, action: str) -> Iterator[None]:
    """Turn pymongo's errors during `action` into a CheckError that says what went wrong, never the password."""
    try:
        yield
    except failures.PyMongoError as exc:
        raise CheckError(explain(exc, db, action, client.topology_description)) from exc


def explain(exc: Exception, db: MongoDb, action: str, topology: Any) -> str:
    """The real cause: who did not answer and why, a refused login, a missing role, the server's own message."""
    timeout = show_seconds(timeout_of(db))
    if isinstance(exc, failures.ServerSelectionTimeoutError):
        servers = list(topology.server_descriptions().values())
        where = ", ".join(_address(s.address) for s in servers) or "the URL's hosts"
        if len(servers) == 1:
            why = _why(servers[0])
        else:
            why = "; ".join(f"{_address(s.address)} {_why(s)}" for s in servers) or str(exc).split(", Timeout:")[0]
        return f"no MongoDB answered on {where} within {timeout}: {why}"
    user = _user(db)
    if isinstance(exc, failures.OperationFailure) and exc.code == _AUTH_FAILED:
        return f"authentication failed for user {user} (authSource {_auth_source(db)})"
    if isinstance(exc, failures.OperationFailure) and exc.code == _UNAUTHORIZED:
        return f"user {user} may not run {action}: it needs the {_ROLE.get(action, 'clusterMonitor')} role"
    if isinstance(exc, failures.OperationFailure):
        message = (exc.details or {}).get("errmsg") or str(exc)
        return f"{action} failed: {message} (code {exc.code} {(exc.details or {}).get('codeName', '')})".rstrip()
    if isinstance(exc, failures.NetworkTimeout):
        return f"{action} got no answer within {timeout}"
    return f"{action} failed: {cause(exc, 'the server', timeout_of(db))}"


def _why(server: Any) -> str:
    """Why one server was not usable: its connection error in a few words, or what it answered as."""
    error = server.error
    if error is None:
        return "no answer" if server.server_type_name == "Unknown" else f"answered as {server.server_type_name}"
    if isinstance(error, failures.ProtocolError):
        return f"it answered, but not in MongoDB's wire protocol ({error})"
    text = re.sub(r" \(configured timeouts:[^)]*\)$", "", str(error)).removeprefix(f"{_address(server.address)}: ")
    if isinstance(error, failures.NetworkTimeout) or text == "timed out":
        return "no answer"
    unresolved = text.startswith("[Errno -")  # getaddrinfo's errors are negative
    text = re.sub(r"^\[Errno -?\d+\] ", "", text)
    text = text[:1].lower() + text[1:]
    return f"cannot resolve {server.address[0]}: {text}" if unresolved else text


def _address(address: tuple[str, int | None]) -> str:
    """host:port, with an IPv6 address in brackets."""
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _user(db: MongoDb) -> str:
    """The URL's user name (never its password)."""
    return unquote(urlsplit(db.url.reveal()).username or "") or "(none)"


def _auth_source(db: MongoDb) -> str:
    """Where the user is defined: the URL's authSource, else its database, else admin."""
    query = {k.lower(): v for k, v in parse_qsl(urlsplit(db.url.reveal()).query)}
    return query.get("authsource") or database_of(db.url) or "admin"


def _trust(db: MongoDb) -> dict[str, str]:
    """tlsCAFile with the suite's trusted CAs (system, SSL_CERT_FILE, ca_file) when the URL turns TLS on."""
    parts = urlsplit(db.url.reveal())
    query = {k.lower(): v.lower() for k, v in parse_qsl(parts.query)}
    default = "true" if parts.scheme.lower() == "mongodb+srv" else "false"
    tls = query.get("tls", query.get("ssl", default)) == "true"
    return {"tlsCAFile": bundle(db.ca_file)} if tls and "tlscafile" not in query else {}
