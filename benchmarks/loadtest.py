"""Benchmark: the suite's Locust runs against bare Locust, the exact percentiles against the server's truth, workers.

    .venv/bin/python benchmarks/loadtest.py                      # all three parts, 3 repetitions (~6 minutes)
    .venv/bin/python benchmarks/loadtest.py --part b --repeat 1 --no-record

  (a) throughput: the suite's load run (opsverify.load.runner: plan file, shape, exact-histogram
      listener) against a bare FastHttpUser locustfile, same target, users and duration, against a
      fast asyncio server, so that the load generator is the bottleneck. Goal: at least 0.9x. Also
      the Locust processes' CPU time per request (steadier than throughput on a shared machine;
      it includes startup, which the suite's process spends on importing opsverify too).
  (b) accuracy: p95 and p99 of the exact histogram against the server-side truth (every handler's
      own duration, logged by the server), with Locust's own rounded figure beside them. Goal: 2%.
  (c) workers: the suite with `workers: 2` against `workers: 1` (one master and N local workers).

Each variant runs --repeat times, interleaved; the medians are printed and one JSON object per
invocation is appended to results/loadtest.jsonl. Servers run in child processes of this script.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "loadtest.jsonl"
sys.path.insert(0, str(ROOT))
BARE = """from locust import FastHttpUser, task


class Hit(FastHttpUser):
    @task
    def hit(self):
        self.client.get("/")
"""
DELAYS_MS = list(range(880, 1130, 7))  # around Locust's 1 s rounding edge (10 ms below it, 100 ms above)


def serve_fast(port_file: str) -> None:
    """Child: an asyncio HTTP/1.1 keep-alive server answering every request with `ok`."""
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    class Answer(asyncio.Protocol):
        """One keep-alive connection: a canned answer for every request head."""

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            """Keep the transport; no Nagle delay."""
            self.transport, self.buffer = transport, b""
            transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def data_received(self, data: bytes) -> None:
            """Answer every complete request head received so far."""
            self.buffer += data
            while b"\r\n\r\n" in self.buffer:
                _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
                self.transport.write(reply)  # type: ignore[attr-defined]

    async def main() -> None:
        """Listen, tell the parent the port, serve until killed."""
        server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", 0, backlog=1024)
        Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
        await server.serve_forever()

    asyncio.run(main())


def serve_sleep(port_file: str, truth_file: str) -> None:
    """Child: sleep the milliseconds in the path (/sleep/MS), log each handler's own duration."""
    log = open(truth_file, "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        """HTTP/1.1 keep-alive, Nagle off."""

        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            """Sleep, log the handler's own duration, answer."""
            began = time.perf_counter()
            time.sleep(int(self.path.rsplit("/", 1)[1]) / 1000)
            log.write(f"{(time.perf_counter() - began) * 1000:.3f}\n")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
            """Quiet."""

    class Server(ThreadingHTTPServer):
        """Daemon threads and a deep listen backlog (no SYN retries when 20 users connect at once)."""

        daemon_threads = True
        request_queue_size = 1024

    server = Server(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


class Target:
    """A server child process; `url` once it listens."""

    def __init__(self, kind: str, folder: Path) -> None:
        """Start the server child and wait for its port."""
        self.port_file, self.truth = folder / f"{kind}.port", folder / f"{kind}.truth"
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(self.port_file),
                                         str(self.truth)], stdin=subprocess.DEVNULL)
        for _ in range(100):
            if self.port_file.exists() and self.port_file.read_text():
                break
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port_file.read_text()}"

    def stop(self) -> None:
        """Stop the server process (ours, by its id)."""
        self.process.terminate()
        self.process.wait(timeout=10)


def suite_run(url: str, folder: Path, *, users: int, seconds: int, workers: int = 0,
              path: str = "/", ids: list[int] | None = None) -> dict[str, float]:
    """One run through opsverify.load.runner; Locust's own counts and figures plus the exact ones."""
    from opsverify.load.plan import build
    from opsverify.load.runner import Artifacts, run
    from opsverify.spec import loads

    step = f"{{get: '{path}', ids: {ids}}}" if ids else f"{{get: '{path}'}}"
    env = loads(f"environment: bench\nloadtests:\n  host: {url}\n  journeys: [{{name: hit, steps: [{step}]}}]\n"
                f"  profiles: {{load: {{users: {users}, spawn_rate: {users}, duration: {seconds}s}}}}\n"
                f"  workers: {workers}\n  sla: {{max_error_rate: 100%}}\n")
    before = children_cpu()
    out = run(build(env.loadtests, "bench", "load"), Artifacts(folder, f"suite-{time.monotonic_ns()}"))
    cpu, requests = children_cpu() - before, out.locust["Aggregated"]["requests"]
    whole = out.samples.where().histogram
    return {"requests": requests, "rps": locust_rps(out_json(folder)), "rps_nominal": requests / seconds, "cpu_s": cpu,
            "cpu_us_per_request": cpu / requests * 1e6,
            "exact_p95_ms": whole.percentile(95), "exact_p99_ms": whole.percentile(99),
            "locust_p95_ms": out.locust["Aggregated"]["p95_ms"], "locust_p99_ms": out.locust["Aggregated"]["p99_ms"],
            "cpu_warnings": len(out.cpu_warnings) + len(out.cpu_log_lines)}


def bare_run(url: str, folder: Path, *, users: int, seconds: int) -> dict[str, float]:
    """One bare Locust run (a FastHttpUser with one task) with the same users and duration."""
    locustfile = folder / "bare.py"
    locustfile.write_text(BARE)
    prefix = folder / f"bare-{time.monotonic_ns()}"
    before = children_cpu()
    subprocess.run([sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", str(users),
                    "-r", str(users), "-t", f"{seconds}s", "--host", url, "--json-file", str(prefix),
                    "--only-summary", "--stop-timeout", "10s", "--exit-code-on-error", "0"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=seconds + 120)
    cpu = children_cpu() - before
    requests = sum(entry["num_requests"] for entry in json.loads(Path(f"{prefix}.json").read_text()))
    return {"requests": float(requests), "rps": locust_rps(Path(f"{prefix}.json")), "rps_nominal": requests / seconds,
            "cpu_s": cpu,
            "cpu_us_per_request": cpu / requests * 1e6}


def out_json(folder: Path) -> Path:
    """The newest Locust statistics JSON the suite wrote in folder."""
    return max(folder.glob("suite-*-locust.json"), key=lambda p: p.stat().st_mtime)


def locust_rps(path: Path) -> float:
    """Requests per second as Locust counts them: all requests over first start to last request."""
    entries = json.loads(path.read_text())
    span = max(e["last_request_timestamp"] for e in entries) - min(e["start_time"] for e in entries)
    return sum(e["num_requests"] for e in entries) / span


def children_cpu() -> float:
    """User + system CPU seconds of every finished child process so far (Locust and its workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def nearest_rank(ranked: list[float], percent: float) -> float:
    """The nearest-rank percentile (the suite's rule)."""
    from opsverify.load.histogram import nearest_rank as rule

    return rule(ranked, percent)


def part_a(folder: Path, repeat: int, users: int, seconds: int) -> dict[str, object]:
    """The suite's throughput against bare Locust on the fast server."""
    target = Target("fast", folder)
    try:
        runs = {"suite": [], "bare": []}
        for _ in range(repeat):
            runs["bare"].append(bare_run(target.url, folder, users=users, seconds=seconds))
            runs["suite"].append(suite_run(target.url, folder, users=users, seconds=seconds))
    finally:
        target.stop()
    suite, bare = (statistics.median(r["rps"] for r in runs[k]) for k in ("suite", "bare"))
    nominal = statistics.median(r["rps_nominal"] for r in runs["suite"]) / statistics.median(
        r["rps_nominal"] for r in runs["bare"])
    suite_cpu, bare_cpu = (statistics.median(r["cpu_us_per_request"] for r in runs[k]) for k in ("suite", "bare"))
    return {"users": users, "seconds": seconds, "runs": runs, "suite_rps": suite, "bare_rps": bare,
            "ratio": suite / bare, "goal": 0.9, "pass": suite / bare >= 0.9,
            "ratio_of_requests_per_planned_second": nominal,
            "suite_cpu_us_per_request": suite_cpu, "bare_cpu_us_per_request": bare_cpu,
            "cpu_per_request_ratio": suite_cpu / bare_cpu}


def part_b(folder: Path, repeat: int, users: int, seconds: int) -> dict[str, object]:
    """Exact p95/p99 against the server's own durations, with Locust's rounded figures beside them."""
    rows = []
    for n in range(repeat):
        (folder / f"b{n}").mkdir()
        target = Target("sleep", folder / f"b{n}")
        try:
            got = suite_run(target.url, folder, users=users, seconds=seconds, path="/sleep/{id}", ids=DELAYS_MS)
        finally:
            target.stop()
        truth = sorted(float(line) for line in target.truth.read_text().split())
        row = {"requests": got["requests"], "truth_requests": len(truth)}
        for p in (95, 99):
            true = nearest_rank(truth, p)
            row |= {f"truth_p{p}_ms": true, f"exact_p{p}_ms": got[f"exact_p{p}_ms"],
                    f"locust_p{p}_ms": got[f"locust_p{p}_ms"],
                    f"exact_p{p}_error": abs(got[f"exact_p{p}_ms"] - true) / true,
                    f"locust_p{p}_error": abs(got[f"locust_p{p}_ms"] - true) / true}
        rows.append(row)
    worst = statistics.median(max(r["exact_p95_error"], r["exact_p99_error"]) for r in rows)
    return {"users": users, "seconds": seconds, "delays_ms": [DELAYS_MS[0], DELAYS_MS[-1]], "runs": rows,
            "median_worst_exact_error": worst, "goal": 0.02, "pass": worst <= 0.02}


def part_c(folder: Path, repeat: int, users: int, seconds: int) -> dict[str, object]:
    """The suite with two local workers against one, on the fast server."""
    target = Target("fast", folder)
    try:
        runs = {"1": [], "2": []}
        for _ in range(repeat):
            for workers in ("1", "2"):
                runs[workers].append(suite_run(target.url, folder, users=users, seconds=seconds, workers=int(workers)))
    finally:
        target.stop()
    one, two = (statistics.median(r["rps"] for r in runs[k]) for k in ("1", "2"))
    return {"users": users, "seconds": seconds, "runs": runs, "one_worker_rps": one, "two_workers_rps": two,
            "ratio": two / one}


def main() -> int:
    """Run the chosen parts, print the medians, append the record."""
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        (serve_fast(sys.argv[3]) if sys.argv[2] == "fast" else serve_sleep(sys.argv[3], sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", action="append", choices="abc", help="a, b or c (repeatable; default all)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    record: dict[str, object] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "python": platform.python_version(),
        "cpus": os.cpu_count(), "load_at_start": os.getloadavg()[0], "repeat": args.repeat,
        "commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True).stdout.strip()}
    with tempfile.TemporaryDirectory(prefix="opsverify-bench-") as tmp:
        for part in args.part or ["a", "b", "c"]:
            users = 20 if part == "b" else args.users
            found = {"a": part_a, "b": part_b, "c": part_c}[part](Path(tmp), args.repeat, users, args.seconds)
            record[part] = found
            print(f"({part}) " + json.dumps({k: v for k, v in found.items() if k != "runs"}, default=str))
    record["load_at_end"] = os.getloadavg()[0]
    if not args.no_record:
        RESULTS.parent.mkdir(exist_ok=True)
        with RESULTS.open("a") as out:
            out.write(json.dumps(record, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
