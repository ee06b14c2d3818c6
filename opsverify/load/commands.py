"""`opsverify loadtest PROFILE`: one profile outside pytest, to try it or to drive workers on other machines.

The quarterly record comes from `pytest -m quarterly` (archived, compared with the last run);
this command writes its files to a folder of its own and compares with nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

from opsverify.load.profiles import KINDS


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Declare `opsverify loadtest`."""
    cmd = sub.add_parser("loadtest", help="run one load profile with Locust and gate it on the SLA (outside pytest)")
    cmd.add_argument("profile", choices=KINDS)
    cmd.add_argument("--env", type=Path, help="environment file (default: the built-in demo, started for the run)")
    cmd.add_argument("--break", dest="breaks", action="append", default=[], metavar="NAME",
                     help="with the built-in demo: break it this way (repeatable)")
    cmd.add_argument("--out", type=Path, help="folder for Locust's report and CSVs and the gate's summary "
                                              "(default: ./loadtest-PROFILE-TIME)")
    cmd.add_argument("--remote-workers", type=int, default=0, metavar="N",
                     help="also wait for N Locust workers started on other machines (see docs/loadtests.md)")
    cmd.add_argument("--bind", help="address the master listens on for workers "
                                    "(default 127.0.0.1; 0.0.0.0 with --remote-workers)")
    cmd.add_argument("--master-port", type=int, default=5557)


def loadtest_command(args: argparse.Namespace) -> int:
    """Run the profile; 0 passed (or warned), 1 failed, 2 could not run."""
    from opsverify import demo
    from opsverify.spec import SpecError, load

    running = None
    try:
        if args.env is None:
            running = demo.start(Path(tempfile.mkdtemp(prefix="opsverify-demo-")), args.breaks)
        env = load(args.env or running.env_path)
    except (SpecError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        return _run(args, env)
    finally:
        if running is not None:
            running.stop()
            shutil.rmtree(running.state_dir, ignore_errors=True)


def _run(args: argparse.Namespace, env: object) -> int:
    """Run and report one profile of a loaded environment."""
    from opsverify.checks import CheckError
    from opsverify.load import runner
    from opsverify.load.check import write_summary
    from opsverify.load.plan import build, refusal
    from opsverify.load.verdict import verdict

    refused = refusal(env)  # type: ignore[arg-type]
    if refused or env.loadtests is None:  # type: ignore[attr-defined]
        print(f"opsverify loadtest: {refused or 'the environment has no loadtests section'}", file=sys.stderr)
        return 2
    try:
        plan = build(env.loadtests, env.environment, args.profile)  # type: ignore[attr-defined]
    except ValueError as exc:
        print(f"opsverify loadtest: {exc}", file=sys.stderr)
        return 2
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    artifacts = runner.Artifacts(args.out or Path(f"loadtest-{args.profile}-{stamp}"), args.profile)
    bind = args.bind or ("0.0.0.0" if args.remote_workers else "127.0.0.1")
    print(f"opsverify loadtest: {args.profile} against {plan.host} for {plan.duration:.0f} s"
          + (f"; waiting for {args.remote_workers} remote workers on {bind}:{args.master_port}"
             if args.remote_workers else ""), flush=True)
    try:
        output = runner.run(plan, artifacts, remote_workers=args.remote_workers, bind=bind,
                            port=args.master_port if args.remote_workers else None)
    except CheckError as exc:
        print(f"opsverify loadtest: {exc}", file=sys.stderr)
        return 2
    result = verdict(plan, output)
    write_summary(artifacts.summary, args.profile, result)
    print(f"{args.profile}: {result.status.value}: {result.reason}\nfiles: {artifacts.folder}")
    return 0 if result.ok else 1 if result.status.value == "failed" else 2
