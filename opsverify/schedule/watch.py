"""`opsverify watch`: probe each endpoint that has `uptime:` once every `every`, one JSON line per probe.

"Up" is what test_endpoint_responds judges: the same check function (`http.response`), whose result
is not failed or error. Each endpoint has its own thread, so a slow endpoint delays no other; every
probe ends within the endpoint's timeout. Samples go to <reports>/<environment>/uptime/<UTC day>.jsonl,
each line written by one O_APPEND write, so lines of concurrent watchers never mix.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opsverify.checks import http, milliseconds
from opsverify.archive import nofollow
from opsverify.checks.uptime import FOLDER, day_file, folder, stamp
from opsverify.result import Result
from opsverify.spec import Environment, SpecError, load
from opsverify.spec.models.health import Endpoint
from opsverify.spec.secret import shorten

REASON = 120  # characters of a down sample's reason kept


def add_parser(sub: argparse._SubParsersAction, reports: Path) -> None:
    """Declare `watch`."""
    watch = sub.add_parser("watch", help="sample the endpoints that have `uptime:` every `every` for their check")
    watch.add_argument("--env", type=Path, required=True, help="environment file with `uptime:` on endpoints")
    watch.add_argument("--reports", type=Path, default=reports,
                       help="the archive (default: ./reports or $OPSV_REPORTS)")
    watch.add_argument("--once", action="store_true", help="probe each endpoint once, then exit (for cron)")


def watched(env: Environment) -> list[Endpoint]:
    """The endpoints that have `uptime:`."""
    return [endpoint for endpoint in env.endpoints if endpoint.uptime is not None]


def sample(endpoint: Endpoint) -> dict[str, Any]:
    """One probe: when it started, whether test_endpoint_responds would pass, how long it took, a short reason."""
    started, clock = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    result = http.response(endpoint)
    return {"t": stamp(started), "endpoint": endpoint.name, "up": result.ok,
            "ms": milliseconds(time.perf_counter() - clock), "reason": _reason(endpoint, result)}


def _reason(endpoint: Endpoint, result: Result) -> str:
    """`HTTP 200`, `HTTP 502`, or the check's own reason cut short (a refused connection, a missing text)."""
    status = result.evidence.get("status")
    if isinstance(status, int) and (result.ok or not endpoint.expect.accepts(status)):
        return f"HTTP {status}"
    return shorten(result.reason, REASON)


def append(reports: Path, environment: str, moment: dt.datetime, record: dict[str, Any]) -> None:
    """Add one line to the samples file of moment's day with a single O_APPEND write, never through a planted link."""
    name = day_file(reports, environment, moment).name
    with nofollow.folder(reports, environment, FOLDER, create=True) as fd:
        nofollow.append(fd, name, (json.dumps(record) + "\n").encode(), sync=False)


def keep(endpoint: Endpoint, reports: Path, environment: str, stop: threading.Event,
         log: Callable[[str], None]) -> None:
    """Probe at every multiple of `every` from now until stop is set; just once when it is set already."""
    every, start = float(endpoint.uptime.every), time.monotonic()  # type: ignore[union-attr]
    while True:
        record = sample(endpoint)
        try:
            append(reports, environment, dt.datetime.now(dt.timezone.utc), record)
        except (OSError, nofollow.Planted) as exc:
            log(f"opsverify watch: cannot record {endpoint.name}: {exc}")
        if stop.wait(every - (time.monotonic() - start) % every):
            return


def start(env: Environment, reports: Path, stop: threading.Event,
          log: Callable[[str], None] = print) -> list[threading.Thread]:
    """One thread per watched endpoint (none when no endpoint has `uptime:`), probing until stop is set."""
    endpoints = watched(env)
    if endpoints:
        with nofollow.folder(reports, env.environment, FOLDER, create=True):
            pass  # made, or refused (Planted) when a link stands in its place
    threads = [threading.Thread(target=keep, args=(e, reports, env.environment, stop, log), daemon=True,
                                name=f"watch-{e.name}") for e in endpoints]
    for thread in threads:
        thread.start()
    return threads


def watch_command(args: argparse.Namespace) -> int:
    """Watch until SIGTERM or SIGINT (exit 0), or one round with --once; 2 for a bad file or nothing to watch."""
    try:
        env = load(args.env)
        if not watched(env):
            raise ValueError(f"{args.env} has no endpoint with `uptime:`; nothing to watch")
        stop = threading.Event()
        if args.once:
            stop.set()
        else:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
            print(f"opsverify watch: {env.environment}: "
                  f"{', '.join(f'{e.name} every {e.uptime.every}' for e in watched(env))} "  # type: ignore[union-attr]
                  f"into {folder(args.reports, env.environment)}", flush=True)
        threads = start(env, args.reports, stop, log=lambda line: print(line, file=sys.stderr, flush=True))
    except (SpecError, ValueError, OSError, nofollow.Planted) as exc:
        print(f"opsverify watch: {exc}", file=sys.stderr)
        return 2
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)
    if not args.once:
        print("opsverify watch: stopped", flush=True)
    return 0
