"""The `opsverify archive index`, `export` and `quarantine` commands."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path


def _date(text: str) -> dt.date:
    """A YYYY-MM-DD argument."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it like 2026-01-31") from None


def add_parsers(sub: argparse._SubParsersAction, reports: Path) -> None:
    """Declare `archive index`, `archive export` and `archive quarantine`."""
    index = sub.add_parser("index", help="rebuild reports/index.html (runs by environment and cadence, trends)")
    index.add_argument("--reports", type=Path, default=reports)
    index.add_argument("--trend", metavar="TEST", help="the check whose measured values are charted first "
                                                       "(a test id or glob, e.g. 'test_endpoint_latency_sla[*]')")
    export = sub.add_parser("export", help="write a zip for an auditor: the runs of a period, the manifest, "
                                           "and the verification of the archive")
    export.add_argument("--reports", type=Path, default=reports)
    export.add_argument("--from", dest="start", type=_date, required=True, metavar="YYYY-MM-DD")
    export.add_argument("--to", dest="end", type=_date, default=dt.datetime.now(dt.timezone.utc).date(),
                        metavar="YYYY-MM-DD", help="last day included (default: today, UTC)")
    export.add_argument("--out", type=Path, help="the zip to write (default: opsverify-archive-FROM-TO.zip)")
    mark = sub.add_parser("quarantine", help="mark a run folder that has no manifest entry (a run that did not "
                                             "finish) in an entry of its own, with the reason")
    mark.add_argument("run", metavar="RUN", help="the folder as `archive verify` names it: <environment>/<YYYY-MM>/<run>")
    mark.add_argument("--reason", required=True, help="why the run did not finish (an auditor reads it)")
    mark.add_argument("--reports", type=Path, default=reports)


def archive_command(args: argparse.Namespace) -> int:
    """Run `index` or `export`; export exits 1 when the archive does not verify (the zip says why)."""
    if not args.reports.is_dir():
        print(f"opsverify archive: there is no archive at {args.reports}", file=sys.stderr)
        return 2
    if args.archive_command == "index":
        from opsverify.archive.index import build

        print(f"wrote {build(args.reports, args.trend)}")
        return 0
    if args.archive_command == "quarantine":
        return _quarantine(args)
    from opsverify.archive.export import export
    from opsverify.archive.manifest import archive_key
    from opsverify.archive.verify import format_verification

    out = args.out or Path(f"opsverify-archive-{args.start}-{args.end}.zip")
    try:
        done = export(args.reports, args.start, args.end, out, key=archive_key())
    except ValueError as exc:
        print(f"opsverify archive export: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {done.path}: {len(done.runs)} run{'s' if len(done.runs) != 1 else ''} "
          f"from {args.start} to {args.end}")
    print(format_verification(done.verification))
    return 0 if done.verification.ok else 1


def _quarantine(args: argparse.Namespace) -> int:
    """Mark an unfinished run folder; 2 when it is not one (recorded already, unknown, or holding a link)."""
    from opsverify.archive.manifest import ManifestError, archive_key
    from opsverify.archive.nofollow import Planted
    from opsverify.archive.unfinished import quarantine

    try:
        entry = quarantine(args.reports, args.run.strip("/"), args.reason, archive_key())
    except (ValueError, Planted, ManifestError, OSError) as exc:
        print(f"opsverify archive quarantine: {exc}", file=sys.stderr)
        return 2
    found = entry["quarantine"]["found"]
    print(f"quarantined {entry['run']} as entry {entry['seq']}: {entry['quarantine']['reason']}"
          + (f" (found: {'; '.join(found)})" if found else ""))
    return 0
