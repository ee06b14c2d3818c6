"""The `opsverify schedule` and `opsverify status` commands."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading
from pathlib import Path

from opsverify.archive.nofollow import Planted
from opsverify.schedule import calendar, jobs, snippets, status
from opsverify.schedule.daemon import PROJECT, Daemon, PytestRunner, system_clock
from opsverify.schedule.lock import Busy, RunLock
from opsverify.spec import SpecError, load


def add_parsers(sub: argparse._SubParsersAction, reports: Path) -> None:
    """Declare `schedule` and `status`."""
    run = sub.add_parser("schedule", help="run the calendar of an environment's schedule section")
    run.add_argument("--env", type=Path, required=True, help="environment file with a schedule section")
    run.add_argument("--reports", type=Path, default=reports, help="the archive (default: ./reports or $OPSV_REPORTS)")
    run.add_argument("--print", dest="print_kind", choices=snippets.KINDS,
                     help="print ready-to-use cron, systemd, GitHub or GitLab definitions instead of running")
    run.add_argument("--once", action="store_true", help="start what is due now (catching up missed runs), then exit")
    run.add_argument("--run", dest="job", metavar="JOB", help="run one job now: daily, weekly, monthly, quarterly, "
                                                              "or NAME:window")
    run.add_argument("--if-due", action="store_true", help="with --run: only if the job is due and not yet run")
    show = sub.add_parser("status", help="last run, result and next due time of every scheduled cadence")
    show.add_argument("--env", type=Path, required=True)
    show.add_argument("--reports", type=Path, default=reports)


def schedule_command(args: argparse.Namespace) -> int:
    """Run the daemon, once, one job, or print definitions; 2 for a bad file or job name, 1 when a run failed."""
    try:
        if args.print_kind:  # the ${VAR}s need not be set where the definitions are written
            env = load(args.env, {**{name: "1" for name in snippets.secrets(args.env)}, **os.environ})
            print(snippets.render(args.print_kind, env, args.env.resolve(), args.reports.resolve(), PROJECT), end="")
            return 0
        daemon = Daemon(args.env, args.reports)
    except (SpecError, ValueError, OSError) as exc:
        print(f"opsverify schedule: {exc}", file=sys.stderr)
        return 2
    if args.job:
        return _one(daemon, args.job, args.if_due)
    if args.once:
        ran = daemon.tick()
        if not ran:
            print("opsverify schedule: nothing is due")
        return 1 if any(code for _, code in ran) else 0
    from opsverify.schedule import watch  # requests: imported only by the daemon

    stop = threading.Event()
    try:
        watch.start(daemon.env, daemon.reports, stop)  # the uptime watcher beside the calendar, if any endpoint has it
        daemon.serve()
    except KeyboardInterrupt:
        print("\nopsverify schedule: stopped")
    finally:
        stop.set()
    return 0


def _one(daemon: Daemon, name: str, if_due: bool) -> int:
    """`--run JOB [--if-due]`: one job under the lock."""
    job = next((j for j in daemon.jobs if j.name == name), None)
    if job is None:
        print(f"opsverify schedule: no job {name!r}; the schedule has {', '.join(j.name for j in daemon.jobs)}",
              file=sys.stderr)
        return 2
    now = system_clock()
    if if_due:
        last, _ = jobs.last_run(job, jobs.records(daemon.reports, daemon.env.environment, daemon.env_path))
        if jobs.pending(job, daemon.zone, now, last, dt.timedelta(seconds=daemon.schedule.grace)) is None:
            print(f"opsverify schedule: {name} is not due now (next due "
                  f"{calendar.local(job.due_after(daemon.zone, now), daemon.zone)})")
            return 0
    runner = PytestRunner(daemon.env_path, daemon.reports, limit=daemon.schedule.run_limit)
    if job.in_window and not runner.selects(job):
        print(f"opsverify schedule: no check of {job.cadence} needs the maintenance window; nothing to run")
        return 0
    try:
        with RunLock(daemon.reports, daemon.env.environment, name):
            return 1 if runner(job) else 0
    except Busy as busy:
        print(f"opsverify schedule: not starting {name}: {busy}", file=sys.stderr)
        return 3
    except Planted as exc:
        print(f"opsverify schedule: not starting {name}: {exc}", file=sys.stderr)
        return 2


def status_command(args: argparse.Namespace) -> int:
    """Print the status table; exit 1 when a cadence is overdue."""
    try:
        env = load(args.env)
    except SpecError as exc:
        print(exc, file=sys.stderr)
        return 2
    if env.schedule is None:
        print(f"{args.env}: no schedule section; nothing is scheduled")
        return 0
    runs = jobs.records(args.reports, env.environment, args.env.resolve())
    table = status.rows(jobs.jobs(env.schedule), env.schedule.zone, system_clock(),
                        dt.timedelta(seconds=env.schedule.grace), runs)
    print(f"{env.environment}: times in {env.schedule.timezone}, archive {args.reports}")
    print(status.format_rows(table))
    return 1 if any(row["state"].startswith("OVERDUE") for row in table) else 0
