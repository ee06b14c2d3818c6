"""`opsverify archive export`: one zip for an auditor with the runs of a period, the manifest, and its verification."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsverify import __version__
from opsverify.archive import index, nofollow
from opsverify.archive.manifest import MANIFEST
from opsverify.archive.runs import run_folders
from opsverify.archive.verify import Verification, format_verification, read_manifest, verify

README = """This zip holds the opsverify runs of {start} to {end} (UTC start dates) of the archive at {where},
exported {created} by opsverify {version}.

reports/                 the run folders, laid out as in the archive, and an index.html of just these runs
reports/manifest.jsonl   the archive's whole hash-chained manifest (every entry, so the chain can be followed)
VERIFICATION.txt         `opsverify archive verify` of the whole archive at the moment of export
export.json              the period, the exported runs with their manifest entry (seq, hash) and the verdict
SHA256SUMS               the SHA-256 of every other file in this zip (check with `sha256sum -c SHA256SUMS`)

To check it yourself: unzip, run `sha256sum -c SHA256SUMS`, then `opsverify archive verify --reports reports`.
Runs outside the period are not in the zip, so verify reports their folders as missing; every other problem
it reports is real. Each exported run's files must match the SHA-256 its manifest entry recorded.
"""


@dataclass(frozen=True)
class Export:
    """What was written."""

    path: Path
    runs: list[str]
    verification: Verification


def run_date(run: str) -> dt.date:
    """The UTC date of a run folder (`env/2026-05/20260504T070001Z-monthly`)."""
    return dt.datetime.strptime(run.rsplit("/", 1)[-1][:8], "%Y%m%d").date()


def export(reports: Path, start: dt.date, end: dt.date, out: Path, key: bytes | None = None) -> Export:
    """Write the zip; the archive is verified first (under its shared lock) and the verdict goes in the zip."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    verification = verify(reports, key=key)
    chosen = [r for r in run_folders(reports) if start <= run_date(r) <= end] if reports.is_dir() else []
    try:
        manifest = read_manifest(reports)
    except (FileNotFoundError, nofollow.Planted):
        manifest = b""  # the verification in the zip says why
    entries = _entries(manifest)
    created = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    exported = [{"run": r, **{k: entries[r][k] for k in ("seq", "hash") if r in entries}} for r in chosen]
    summary = {"from": start.isoformat(), "to": end.isoformat(), "created": created, "suite_version": __version__,
               "runs": exported, "verification": {"ok": verification.ok, "entries": verification.entries,
                                                  "problems": verification.problems, "head": verification.head}}
    files: dict[str, bytes] = {}
    for run in chosen:
        with nofollow.folder(reports, *run.split("/")) as fd:  # links are never followed, so never exported
            for name, kind, parent, base in nofollow.tree(fd):
                if kind == "file":
                    files[f"reports/{run}/{name}"] = nofollow.read(parent, base)
    files["reports/" + MANIFEST] = manifest
    selected = [r for r in index.records(reports) if r["run"] in set(chosen)]
    files["reports/index.html"] = index.render(selected, None, dt.datetime.now(dt.timezone.utc)).encode()
    files["VERIFICATION.txt"] = (format_verification(verification) + "\n").encode()
    files["export.json"] = (json.dumps(summary, indent=2) + "\n").encode()
    files["README.txt"] = README.format(start=start, end=end, where=reports, created=created,
                                        version=__version__).encode()
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                                  for name, data in sorted(files.items())).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    temporary.replace(out)
    return Export(out, chosen, verification)


def _entries(manifest: bytes) -> dict[str, dict[str, Any]]:
    """Manifest entries by run folder (lines that do not parse are left to the verification to report)."""
    found = {}
    for line in manifest.splitlines():
        try:
            entry = json.loads(line)
            found[str(entry["run"])] = entry
        except (ValueError, KeyError, TypeError):
            continue
    return found
