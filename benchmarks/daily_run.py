"""Benchmark: the daily run over 200 slow loopback endpoints against its two baselines.

    .venv/bin/python benchmarks/daily_run.py            # measure, print, append to results/daily_run.jsonl
    .venv/bin/python benchmarks/daily_run.py --table    # print the README table of the last recorded run

Two scenarios, each with ENDPOINTS endpoints that answer 200 with a small JSON body after
LATENCY_MS of sleep, served by stdlib ThreadingHTTPServers in a separate process:

  fleet     one server per endpoint (distinct host:port targets: only the probe pool limits concurrency)
  one-host  every endpoint a path on one server (the per-target limit of 8 applies)

Measured for each, wall time from spawn to exit, repeated and interleaved:

  daily       pytest -m daily --env=ENV --reports TMP, in the checkout
  trivial     (a) the same venv's pytest running ENDPOINTS trivial parametrized tests (plugin inactive)
  sequential  (b) one Python process probing the same endpoints one after another with
              opsverify.checks.http.response (its pure probing loop is reported separately)
  collect     pytest -m daily --env=ENV --collect-only: startup and collection without probes,
              to split the daily run into parts
  no_archive  the daily run with --no-archive (first scenario only): what writing reports costs

By default the working tree is measured; --ref REV measures a `git archive` of REV instead.

Goals (from the issue): daily <= 1.5 x (trivial + slowest probe); sequential >= 10 x daily.
The measuring process imports nothing beyond the standard library.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from pathlib import Path

from daily_run_report import GOAL_SEQUENTIAL, GOAL_TRIVIAL, report, table
from loopback import Target, environment_file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "daily_run.jsonl"
SCENARIOS = ("fleet", "one-host")
COMMANDS = ("daily", "trivial", "sequential", "collect", "no_archive")
# Root packages worth naming when the import profile is summed per package.
_IMPORT_TOP = 12


# --------------------------------------------------------------------------- the measured commands

SEQUENTIAL = textwrap.dedent('''\
    """Baseline (b): probe every endpoint of an environment file one after another."""
    import json, sys, time
    t0 = time.perf_counter()
    from opsverify.checks.http import response
    from opsverify.spec import loads
    path = sys.argv[1]
    env = loads(open(path, encoding="utf-8").read(), source=path)
    t1 = time.perf_counter()
    c1 = time.process_time()
    results = [response(endpoint) for endpoint in env.endpoints]
    t2, c2 = time.perf_counter(), time.process_time()
    elapsed = [r.evidence.get("elapsed_ms", 0.0) for r in results]
    print(json.dumps({"setup_s": t1 - t0, "loop_s": t2 - t1, "loop_cpu_s": c2 - c1, "probes": len(results),
                      "passed": sum(r.status.value == "passed" for r in results),
                      "first_problem": next((r.reason for r in results if r.status.value != "passed"), None),
                      "max_probe_ms": max(elapsed), "median_probe_ms": sorted(elapsed)[len(elapsed) // 2]}))
''')

TRIVIAL = textwrap.dedent('''\
    import pytest


    @pytest.mark.parametrize("i", range({count}))
    def test_x(i):
        assert i >= 0
''')


_PYCACHE: list[str] = []  # the private bytecode cache folder, when one is used
SOURCE: list[Path] = [ROOT]  # the checkout measured: this one, or a `git archive` of --ref in the temp folder


def child_env() -> dict[str, str]:
    """The environment for measured commands: no OPSV_* or PYTEST_* settings.

    With a private bytecode cache (the default), PYTHONDONTWRITEBYTECODE is dropped and
    PYTHONPYCACHEPREFIX points into the benchmark's temp folder: the warm-up runs fill it, so
    the measured runs load bytecode like an installed package does, and nothing is written
    beside the sources.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSV_", "PYTEST_"))}
    if _PYCACHE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = _PYCACHE[0]
    if SOURCE[0] != ROOT:  # PYTHONPATH comes before the venv's editable-install finder
        env["PYTHONPATH"] = str(SOURCE[0])
    return env


def snapshot(ref: str, into: Path) -> Path:
    """Extract the committed tree of `ref` into a folder (git archive: read-only for the repository)."""
    into.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict:
    """Run a command; wall time from spawn to exit, its CPU time, exit code, stdout and stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env or child_env(), stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "rc": proc.returncode,
                "stdout": out.read().decode(errors="replace"), "stderr": err.read().decode(errors="replace")}


_PYTEST_TIME = re.compile(r" in ([0-9.]+)s")


def pytest_seconds(stdout: str) -> float | None:
    """pytest's own reported duration (session start to summary) from its last summary line."""
    found = _PYTEST_TIME.findall(stdout)
    return float(found[-1]) if found else None


class Bench:
    """The commands of one invocation, and the checks that their outcomes are what they should be."""

    def __init__(self, venv: Path, work: Path, count: int) -> None:
        self.python = venv / "bin" / "python"
        self.pytest = venv / "bin" / "pytest"
        self.work = work
        self.count = count
        self.trivial_dir = work / "trivial"
        self.trivial_dir.mkdir()
        (self.trivial_dir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        (self.trivial_dir / "test_trivial.py").write_text(TRIVIAL.format(count=count), encoding="utf-8")
        self.sequential_py = work / "sequential.py"
        self.sequential_py.write_text(SEQUENTIAL, encoding="utf-8")
        self._n = 0

    def daily(self, env_file: Path, extra: tuple[str, ...] = (), python_opts: tuple[str, ...] = ()) -> dict:
        self._n += 1
        reports = self.work / f"reports-{self._n}"
        head = [str(self.python), *python_opts, "-m", "pytest"] if python_opts else [str(self.pytest)]
        run = timed([*head, "-m", "daily", f"--env={env_file}", "--reports", str(reports), "-q", *extra], SOURCE[0])
        records = list(reports.rglob("results.json"))
        if run["rc"] != 0 or len(records) != 1:
            raise RuntimeError(f"the daily run failed (exit {run['rc']}):\n{run['stdout'][-3000:]}{run['stderr'][-3000:]}")
        record = json.loads(records[0].read_text(encoding="utf-8"))
        if record["counts"]["passed"] != self.count:
            raise RuntimeError(f"the daily run passed {record['counts']} instead of {self.count} checks")
        elapsed = [c["evidence"]["elapsed_ms"] for c in record["checks"]]
        run.update(pytest_s=pytest_seconds(run["stdout"]), run_s=record["duration_s"],
                   slowest_probe_ms=max(elapsed), median_probe_ms=statistics.median(elapsed))
        shutil.rmtree(reports, ignore_errors=True)
        return run

    def no_archive(self, env_file: Path) -> dict:
        """The daily run without its archive: no HTML, JUnit or JSON record, no manifest."""
        run = timed([str(self.pytest), "-m", "daily", f"--env={env_file}", "--no-archive", "-q"], SOURCE[0])
        if run["rc"] != 0 or f"{self.count} passed" not in run["stdout"]:
            raise RuntimeError(f"the --no-archive run failed (exit {run['rc']}):\n{run['stdout'][-3000:]}")
        run["pytest_s"] = pytest_seconds(run["stdout"])
        return run

    def collect(self, env_file: Path) -> dict:
        run = timed([str(self.pytest), "-m", "daily", f"--env={env_file}", "--collect-only", "-q"], SOURCE[0])
        if run["rc"] != 0 or not re.search(rf"\b{self.count}(/\d+)? tests collected", run["stdout"]):
            raise RuntimeError(f"collect-only failed (exit {run['rc']}):\n{run['stdout'][-2000:]}{run['stderr'][-2000:]}")
        run["pytest_s"] = pytest_seconds(run["stdout"])  # the collection itself
        return run

    def trivial(self, env: dict[str, str] | None = None, extra: tuple[str, ...] = (),
                python_opts: tuple[str, ...] = ()) -> dict:
        head = [str(self.python), *python_opts, "-m", "pytest"] if python_opts else [str(self.pytest)]
        run = timed([*head, "-q", "-p", "no:cacheprovider", *extra], self.trivial_dir, env)
        if run["rc"] != 0 or f"{self.count} passed" not in run["stdout"]:
            raise RuntimeError(f"the trivial run failed (exit {run['rc']}):\n{run['stdout'][-2000:]}{run['stderr'][-2000:]}")
        if "opsverify" in run["stdout"].lower():
            raise RuntimeError("the opsverify plugin was active in the trivial run; the baseline is not trivial")
        run["pytest_s"] = pytest_seconds(run["stdout"])
        return run

    def sequential(self, env_file: Path) -> dict:
        run = timed([str(self.python), str(self.sequential_py), str(env_file)], SOURCE[0])
        if run["rc"] != 0:
            raise RuntimeError(f"the sequential probe failed (exit {run['rc']}):\n{run['stderr'][-3000:]}")
        inner = json.loads(run["stdout"].strip().splitlines()[-1])
        if inner["passed"] != self.count:
            raise RuntimeError(f"sequential probing passed {inner['passed']} of {self.count}: {inner['first_problem']}")
        run.update(loop_s=inner["loop_s"], loop_cpu_s=inner["loop_cpu_s"], setup_s=inner["setup_s"],
                   cpu_ms_per_probe=1000 * inner["loop_cpu_s"] / inner["probes"],
                   slowest_probe_ms=inner["max_probe_ms"],
                   median_probe_ms=inner["median_probe_ms"])
        return run

    def python_c(self, code: str) -> dict:
        return timed([str(self.python), "-c", code], SOURCE[0])


# --------------------------------------------------------------------------- statistics and reports

def spread(values: list[float]) -> dict:
    """median, min, max and the values themselves, rounded to the millisecond."""
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4), "runs": [round(v, 4) for v in values]}


def summarise(runs: dict[str, list[dict]]) -> dict:
    """Per command: the spread of every number each run reported (wall_s, cpu_s, pytest_s...)."""
    out: dict[str, dict] = {}
    for name, items in runs.items():
        keys = [k for k, v in items[0].items() if isinstance(v, (int, float)) and k != "rc"]
        out[name] = {k: spread([i[k] for i in items]) for k in keys if all(i.get(k) is not None for i in items)}
    return out


def verdicts(s: dict) -> dict:
    """The two goals, with the numbers they compare."""
    daily = s["daily"]["wall_s"]["median"]
    trivial = s["trivial"]["wall_s"]["median"]
    slowest = s["daily"]["slowest_probe_ms"]["median"] / 1000
    sequential = s["sequential"]["wall_s"]["median"]
    unloaded = s["sequential"]["slowest_probe_ms"]["median"] / 1000
    probing = daily - s["collect"]["wall_s"]["median"]
    allowed = GOAL_TRIVIAL * (trivial + slowest)
    return {
        "daily_over_trivial_plus_slowest": round(daily / (trivial + slowest), 3),
        "goal_trivial_met": daily / (trivial + slowest) <= GOAL_TRIVIAL,
        "allowed_daily_s": round(allowed, 3),
        "over_by_s": round(max(0.0, daily - allowed), 3),
        # the same ratio with the slowest probe as measured without concurrency (in (b)), for reference
        "daily_over_trivial_plus_unloaded_slowest": round(daily / (trivial + unloaded), 3),
        "sequential_over_daily": round(sequential / daily, 3),
        "goal_sequential_met": sequential / daily >= GOAL_SEQUENTIAL,
        "daily_needed_for_sequential_goal_s": round(sequential / GOAL_SEQUENTIAL, 3),
        "sequential_loop_over_daily": round(s["sequential"]["loop_s"]["median"] / daily, 3),
        # the same two ratios on the fastest run of each command: less sensitive to other work on the machine
        "best_daily_over_trivial_plus_slowest": round(
            s["daily"]["wall_s"]["min"] / (s["trivial"]["wall_s"]["min"] + s["daily"]["slowest_probe_ms"]["min"] / 1000), 3),
        "best_sequential_over_daily": round(s["sequential"]["wall_s"]["min"] / s["daily"]["wall_s"]["min"], 3),
        "client_cpu_ms_per_probe": s["sequential"]["cpu_ms_per_probe"]["median"],
        "daily_after_collection_s": round(probing, 3),
        "sequential_loop_over_daily_after_collection": round(s["sequential"]["loop_s"]["median"] / probing, 3)
        if probing > 0 else None,
    }


def import_profile(stderr: str) -> dict:
    """`-X importtime` output: the slowest top-level imports (cumulative) and self time summed per package."""
    top, per_package = [], defaultdict(int)
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        own, cumulative, indent, name = int(m[1]), int(m[2]), len(m[3]), m[4]
        per_package[name.split(".")[0]] += own
        if indent == 1:
            top.append((cumulative, name))
    top.sort(reverse=True)
    packages = sorted(per_package.items(), key=lambda kv: -kv[1])
    return {"total_ms": round(sum(per_package.values()) / 1000, 1),
            "top_level_cumulative_ms": [[name, round(us / 1000, 1)] for us, name in top[:_IMPORT_TOP]],
            "self_ms_by_package": [[name, round(us / 1000, 1)] for name, us in packages[:_IMPORT_TOP]],
            "self_ms_by_package_all": [[name, round(us / 1000, 1)] for name, us in packages]}


def difference(daily: dict, trivial: dict) -> list:
    """Import self time per package that the daily run spends beyond the trivial run (largest first)."""
    base = dict(trivial["self_ms_by_package_all"])
    extra = [(name, round(ms - base.get(name, 0.0), 1)) for name, ms in daily["self_ms_by_package_all"]]
    return [list(e) for e in sorted(extra, key=lambda e: -e[1])[:_IMPORT_TOP]]


def machine(python: Path) -> dict:
    """nproc, CPU, OS and the venv's Python and pytest versions."""
    probe = subprocess.run([str(python), "-c", "import json, platform, pytest, importlib.metadata as m; "
                            "print(json.dumps({'python': platform.python_version(), 'pytest': pytest.__version__, "
                            "'opsverify': m.version('opsverify'), 'implementation': platform.python_implementation()}))"],
                           capture_output=True, text=True, check=True)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    return {"nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu_count": os.cpu_count(), "cpu": cpu, "system": f"{platform.system()} {platform.release()}",
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()], **json.loads(probe.stdout)}


def git_state(ref: str | None) -> dict:
    """The measured commit and, for the working tree, its uncommitted changes (read-only git commands)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.rstrip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    changed = [line[3:] for line in git("status", "--porcelain").splitlines() if line[3:].startswith("opsverify/")
               or line[3:].startswith("verify/") or line[3:] in ("pytest.ini", "conftest.py", "pyproject.toml")]
    if ref:
        return {"commit": git("rev-parse", f"{ref}^{{commit}}") or None, "source": f"git archive {ref}",
                "dirty": False, "changed_code": []}
    return {"commit": git("rev-parse", "HEAD") or None, "source": "working tree",
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "changed_code": changed}  # uncommitted or untracked files that the measured runs load


# --------------------------------------------------------------------------- main

def measure(args: argparse.Namespace) -> dict:
    venv = Path(args.venv).resolve()
    latency = args.latency_ms / 1000
    started = time.perf_counter()
    record = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
              "benchmark": "daily_run", "machine": machine(venv / "bin" / "python"), "git": git_state(args.ref),
              "config": {"endpoints": args.endpoints, "latency_ms": args.latency_ms, "repeat": args.repeat,
                         "pool_size": 32, "per_target": 8,
                         "bytecode": "private warm PYTHONPYCACHEPREFIX" if args.bytecode == "warm" else
                         f"as inherited (PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')})"},
              "scenarios": {}}
    if record["machine"]["load_avg_at_start"][0] > 0.25 * record["machine"]["nproc"]:
        print(f"warning: load average {record['machine']['load_avg_at_start'][0]} at start; "
              "other work on this machine will show in the numbers", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="opsverify-bench-") as tmp:
        if args.bytecode == "warm":
            _PYCACHE[:] = [str(Path(tmp) / "pycache")]
        if args.ref:
            SOURCE[:] = [snapshot(args.ref, Path(tmp) / "source")]
        bench = Bench(venv, Path(tmp), args.endpoints)
        where = bench.python_c("import opsverify; print(opsverify.__file__)")
        if where["rc"] != 0 or not where["stdout"].strip().startswith(str(SOURCE[0])):
            raise RuntimeError(f"opsverify does not import from {SOURCE[0]}: {where['stdout']}{where['stderr'][-2000:]}")
        for scenario in args.scenario:
            with Target(scenario, args.endpoints, latency) as target:
                env_file = environment_file(Path(tmp) / f"{scenario}.yml", scenario, target.urls())
                print(f"[{scenario}] servers up on {len(target.ports)} port(s); warming up", flush=True)
                bench.daily(env_file)
                bench.trivial()
                first = scenario == args.scenario[0]
                runs: dict[str, list[dict]] = {c: [] for c in COMMANDS if first or c != "no_archive"}
                for i in range(args.repeat):
                    runs["daily"].append(bench.daily(env_file))
                    runs["trivial"].append(bench.trivial())
                    runs["sequential"].append(bench.sequential(env_file))
                    runs["collect"].append(bench.collect(env_file))
                    if first:  # the report-writing share, measured in the first scenario only (time budget)
                        runs["no_archive"].append(bench.no_archive(env_file))
                    print(f"[{scenario}] {i + 1}/{args.repeat}: " + "  ".join(
                        f"{name} {found[-1]['wall_s']:.3f}s" for name, found in runs.items()), flush=True)
                if first:
                    # -s: pytest captures fd 2 during collection, which would hide the imports made there
                    daily = import_profile(bench.daily(env_file, ("-s",), ("-X", "importtime"))["stderr"])
                    trivial = import_profile(bench.trivial(extra=("-s",), python_opts=("-X", "importtime"))["stderr"])
                    extra = difference(daily, trivial)
                    for profile in (daily, trivial):
                        del profile["self_ms_by_package_all"]
                    record["import_profile"] = {"daily": daily, "trivial": trivial,
                                                "daily_minus_trivial_ms_by_package": extra}
                server_cpu = target.cpu_seconds()
            summary = summarise(runs)
            requests = args.endpoints * (1 + (2 + first) * args.repeat + first)  # warm-up, daily, (b), no-archive, profile
            record["scenarios"][scenario] = {
                "summary": summary, "goals": verdicts(summary),
                "server": {"cpu_s": server_cpu, "requests": requests,
                           "cpu_ms_per_request": round(1000 * server_cpu / requests, 3) if server_cpu else None}}
        print("[startup] interpreter, imports and bare pytest", flush=True)
        startup: dict[str, list[dict]] = defaultdict(list)
        bare = {**child_env(), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        for _ in range(3):
            startup["python -c pass"].append(bench.python_c("pass"))
            startup["python -c 'import pytest'"].append(bench.python_c("import pytest"))
            startup["python -c 'import opsverify.plugin.hooks'"].append(bench.python_c("import opsverify.plugin.hooks"))
            startup["trivial, plugin autoload off"].append(bench.trivial(bare))
        record["startup"] = {k: spread([r["wall_s"] for r in v]) for k, v in startup.items()}
    record["elapsed_s"] = round(time.perf_counter() - started, 1)
    record["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return record


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved repetitions per scenario (default 5)")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS,
                        help="fleet and/or one-host (default both)")
    parser.add_argument("--venv", default=str(ROOT / ".venv"), help="the virtualenv whose pytest is measured")
    parser.add_argument("--bytecode", choices=("warm", "as-is"), default="warm",
                        help="warm: measured commands use a private, warmed-up bytecode cache (default); "
                             "as-is: inherit PYTHONDONTWRITEBYTECODE and friends from this shell")
    parser.add_argument("--ref", help="measure this commit (a `git archive` of it in a temp folder) "
                                      "instead of the working tree, e.g. --ref HEAD while the tree is mid-edit")
    parser.add_argument("--no-record", action="store_true", help=f"do not append to {RESULTS.relative_to(ROOT)}")
    parser.add_argument("--table", nargs="?", type=int, const=-1, metavar="INDEX",
                        help="print the README table of a recorded run (default the last; 0 is the first)")
    args = parser.parse_args(argv)
    if args.table is not None:
        recorded = RESULTS.read_text(encoding="utf-8").strip().splitlines()
        print(table(json.loads(recorded[args.table])))
        return 0
    args.scenario = args.scenario or list(SCENARIOS)
    signal.signal(signal.SIGTERM, _terminated)  # clean up (servers, temp folder) on kill as on Ctrl-C
    try:
        record = measure(args)
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped, nothing recorded", file=sys.stderr)
        return 130
    report(record)
    if not args.no_record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
        print(f"appended to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
