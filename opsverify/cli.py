"""The `opsverify` command: run, demo, check-env, archive verify|index|export, schedule, status, watch."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one subcommand; returns the exit code."""
    parser = argparse.ArgumentParser(prog="opsverify", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the checklist (pytest) against an environment")
    run.add_argument("--env", help="environment file (default: the built-in demo)")
    run.add_argument("-m", dest="markexpr", default="daily", help="cadence or marker expression (default: daily)")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="further pytest arguments")

    demo = sub.add_parser("demo", help="start the built-in demo target in the foreground")
    demo.add_argument("--break", dest="breaks", action="append", default=[], metavar="NAME",
                      help="break one thing (repeatable); 'list' shows the choices")
    demo.add_argument("--http-port", type=int, default=8080)
    demo.add_argument("--https-port", type=int, default=8443)
    demo.add_argument("--dir", type=Path, help="state folder (default: a new temporary folder)")

    check_env = sub.add_parser("check-env", help="validate an environment file without running checks")
    check_env.add_argument("file", type=Path)

    archive = sub.add_parser("archive", help="the report archive")
    archive_sub = archive.add_subparsers(dest="archive_command", required=True)
    verify = archive_sub.add_parser("verify", help="check the manifest's hash chain and every archived file")
    verify.add_argument("--reports", type=Path, default=Path(os.environ.get("OPSV_REPORTS", "reports")))
    from opsverify.archive.commands import add_parsers as add_archive_parsers
    from opsverify.schedule.commands import add_parsers as add_schedule_parsers

    add_archive_parsers(archive_sub, Path(os.environ.get("OPSV_REPORTS", "reports")))
    add_schedule_parsers(sub, Path(os.environ.get("OPSV_REPORTS", "reports")))
    from opsverify.schedule.watch import add_parser as add_watch_parser

    add_watch_parser(sub, Path(os.environ.get("OPSV_REPORTS", "reports")))
    from opsverify.load.commands import add_parser as add_loadtest_parser

    add_loadtest_parser(sub)

    args = parser.parse_args(argv)
    return {"run": _run, "demo": _demo, "check-env": _check_env, "archive": _archive, "schedule": _schedule,
            "status": _status, "loadtest": _loadtest, "watch": _watch}[args.command](args)


def _run(args: argparse.Namespace) -> int:
    import pytest

    from opsverify.plugin.restart import joined

    pytest_args = ["-m", args.markexpr, *joined(args.pytest_args, Path.cwd())]  # pytest.main() cannot restart
    if args.env:
        pytest_args.append(f"--env={Path(args.env).resolve()}")
    os.chdir(PROJECT)
    return int(pytest.main(pytest_args))


def _demo(args: argparse.Namespace) -> int:
    from opsverify import demo

    if "list" in args.breaks:
        width = max(map(len, demo.BREAKS))
        for name, description in demo.BREAKS.items():
            print(f"{name:<{width}}  {description}")
        return 0
    unknown = [b for b in args.breaks if b not in demo.BREAKS]
    if unknown:
        print(f"opsverify demo: unknown break {', '.join(unknown)}; choose from: {', '.join(demo.BREAKS)}",
              file=sys.stderr)
        return 2
    state = args.dir or Path(tempfile.mkdtemp(prefix="opsverify-demo-"))
    demo.serve(state, args.breaks, http_port=args.http_port, https_port=args.https_port)
    return 0


def _check_env(args: argparse.Namespace) -> int:
    """0 for a valid file; 4 for a bad one, the exit code pytest gives the same file."""
    from opsverify.spec import SpecError, load, summary

    try:
        env = load(args.file)
    except SpecError as exc:
        print(exc, file=sys.stderr)
        return 4  # pytest.ExitCode.USAGE_ERROR, as `pytest --env=FILE` exits on the same file
    print(f"{args.file}: valid. {summary(env)}")
    return 0


def _schedule(args: argparse.Namespace) -> int:
    from opsverify.schedule.commands import schedule_command

    return schedule_command(args)


def _status(args: argparse.Namespace) -> int:
    from opsverify.schedule.commands import status_command

    return status_command(args)


def _watch(args: argparse.Namespace) -> int:
    from opsverify.schedule.watch import watch_command

    return watch_command(args)


def _loadtest(args: argparse.Namespace) -> int:
    from opsverify.load.commands import loadtest_command

    return loadtest_command(args)


def _archive(args: argparse.Namespace) -> int:
    if args.archive_command != "verify":
        from opsverify.archive.commands import archive_command

        return archive_command(args)
    from opsverify.archive import manifest
    from opsverify.archive.verify import format_verification, verify

    outcome = verify(args.reports, key=manifest.archive_key())
    print(format_verification(outcome))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
