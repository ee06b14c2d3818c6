"""Benchmark: the security port scan of 1,100 loopback ports against connecting one port after another.

    .venv/bin/python benchmarks/port_scan.py            # measure, print, append to results/port_scan.jsonl
    .venv/bin/python benchmarks/port_scan.py --repeat 3 --no-record

Scenarios (all on 127.0.0.1, in this process):

  loopback  1,100 ports: LISTENERS listening, the rest the default scan set (ports 1-1024 and the
            data ports) and a few more, refusing at once.
            Baseline: the same ports with blocking socket.connect one after another.
  silent    1,100 ports again, SILENT of them silent (listeners whose accept queue is full, so
            the kernel drops the SYN, as a firewall would): each costs the whole per-port timeout.
            Baseline: the time one-after-another would take, SILENT x timeout (computed, not run).

Goal (from the issue): the 1,100-port loopback scan finishes in under 5 seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from opsverify.checks.security.ports import DEFAULT_PORTS, PORT_TIMEOUT, scan  # noqa: E402

RESULTS = HERE / "results" / "port_scan.jsonl"
HOST = "127.0.0.1"
PORTS = 1100
LISTENERS = 10
SILENT = 100
GOAL_SECONDS = 5.0


def port_set(stack: ExitStack, silent: int) -> tuple[list[int], list[int]]:
    """PORTS ports: LISTENERS listeners, `silent` full-queue listeners, then the default set; (ports, open)."""
    opened = [stack.enter_context(socket.create_server((HOST, 0))).getsockname()[1] for _ in range(LISTENERS)]
    for _ in range(silent):
        server = stack.enter_context(socket.socket())
        server.bind((HOST, 0))
        server.listen(0)
        for _ in range(3):  # fill the accept queue: further SYNs are dropped
            client = stack.enter_context(socket.socket())
            client.setblocking(False)
            client.connect_ex((HOST, server.getsockname()[1]))
        opened.append(server.getsockname()[1])
    ports = set(opened)
    for port in [*DEFAULT_PORTS, *range(20000, 20000 + PORTS)]:  # then closed ones, default set first
        if len(ports) == PORTS:
            break
        ports.add(port)
    return sorted(ports), opened[:LISTENERS]


def sequential(ports: list[int]) -> float:
    """Seconds to connect to every port one after another (the naive scan)."""
    started = time.perf_counter()
    for port in ports:
        with socket.socket() as sock:
            sock.settimeout(PORT_TIMEOUT)
            sock.connect_ex((HOST, port))
    return time.perf_counter() - started


def measure(repeat: int) -> dict[str, dict[str, float | int]]:
    """Median, min and max seconds of each scenario and its baseline."""
    found: dict[str, dict[str, float | int]] = {}
    with ExitStack() as stack:
        ports, listening = port_set(stack, 0)
        scans, baselines = [], []
        for _ in range(repeat):
            result = scan(HOST, ports)
            if not set(listening) <= set(result.open):
                raise SystemExit(f"the scan missed a listener: {sorted(set(listening) - set(result.open))}")
            scans.append(result.seconds)
            baselines.append(sequential(ports))
        found["loopback"] = _summary(scans, baselines, len(ports))
    with ExitStack() as stack:
        ports, _ = port_set(stack, SILENT)
        scans = []
        for _ in range(repeat):
            result = scan(HOST, ports)
            if len(result.filtered) < SILENT:
                raise SystemExit(f"expected {SILENT} silent ports, saw {len(result.filtered)}")
            scans.append(result.seconds)
        found["silent"] = _summary(scans, [SILENT * PORT_TIMEOUT] * repeat, len(ports))
    return found


def _summary(scans: list[float], baselines: list[float], ports: int) -> dict[str, float | int]:
    """The numbers of one scenario."""
    median, base = statistics.median(scans), statistics.median(baselines)
    return {"ports": ports, "median_s": round(median, 4), "min_s": round(min(scans), 4),
            "max_s": round(max(scans), 4), "baseline_median_s": round(base, 4),
            "speedup": round(base / median, 1) if median else 0.0, "goal_s": GOAL_SECONDS,
            "goal_met": median < GOAL_SECONDS}


def main() -> None:
    """Measure, print, and append to results/port_scan.jsonl."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args()
    found = measure(options.repeat)
    for name, numbers in found.items():
        print(f"{name:9} {numbers['ports']} ports: median {numbers['median_s']:.3f}s (min {numbers['min_s']:.3f}, "
              f"max {numbers['max_s']:.3f}); one after another {numbers['baseline_median_s']:.3f}s "
              f"-> {numbers['speedup']}x; goal < {GOAL_SECONDS:g}s {'met' if numbers['goal_met'] else 'MISSED'}")
    if options.no_record:
        return
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                          "platform": platform.platform(), "load": os.getloadavg()},
                              "commit": commit.stdout.strip(), "repeat": options.repeat,
                              "port_timeout_s": PORT_TIMEOUT, "scenarios": found}) + "\n")
    print(f"appended to {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
