"""A run folder without its manifest entry: verify says exactly what is missing, empty or cut short, and
`opsverify archive quarantine` marks it in an entry of its own that verify then shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opsverify.archive import new_run_folder, verify
from opsverify.archive.unfinished import findings
from tests.archive.helpers import START, build, entries
from tests.plugin.conftest import ROOT

KEY = "quarantine-test-key"


def opsverify(*args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command line, with OPSV_ARCHIVE_KEY set when a key is given."""
    env = {k: v for k, v in os.environ.items() if k != "OPSV_ARCHIVE_KEY"} | ({"OPSV_ARCHIVE_KEY": key} if key else {})
    return subprocess.run([sys.executable, "-m", "opsverify.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def unfinished(reports: Path, **files: bytes) -> str:
    """A run folder holding just these files (name with '_' for '.'), as a killed or starved run leaves one."""
    folder = new_run_folder(reports, "demo", "daily", START.replace(day=24))
    for name, data in files.items():
        (folder / name.replace("_", ".")).write_bytes(data)
    return folder.relative_to(reports).as_posix()


RECORD = json.dumps({"report_files": ["junit.xml", "report.html"], "counts": {"passed": 3}}).encode()

CASES = [
    ("killed-before-writing", {}, ["results.json is missing", "junit.xml is missing", "report.html is missing"]),
    ("empty-record", {"results_json": b""},
     ["results.json is empty (0 bytes)", "junit.xml is missing", "report.html is missing"]),
    ("record-cut-short", {"results_json": RECORD[:40]},
     ["results.json is cut short or not JSON (40B)", "junit.xml is missing", "report.html is missing"]),
    ("report-cut-short", {"results_json": RECORD, "junit_xml": b"<testsuites></testsuites>\n",
                          "report_html": b"<html><body>" + b"x" * 100},
     ["report.html is cut short (112B, it does not end with </html>)"]),
    ("junit-empty-and-a-temporary-file-left", {"results_json": RECORD, "junit_xml": b"",
                                                "report_html": b"<html></html>", ".report_html_4242-ab_tmp": b"<ht"},
     ["junit.xml is empty (0 bytes)", ".report.html.4242-ab.tmp was left behind (3B): a write did not finish"]),
    ("html-disabled-and-whole", {"results_json": json.dumps({"report_files": ["junit.xml"]}).encode(),
                                 "junit_xml": b"<testsuites/>"}, []),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_what_is_wrong_with_an_unrecorded_folder_is_named(tmp_path, files, expected):
    reports = tmp_path / "reports"
    build(reports, 1)
    run = unfinished(reports, **files)
    assert findings(reports, run) == expected
    result = verify(reports)
    assert not result.ok and result.first_bad_seq is None
    why = f": {'; '.join(expected)}" if expected else ""
    assert result.problems == [f"{run}: this run folder is not in the manifest (its entry was removed or never "
                               f"written, or it was added by hand){why}; if its run did not finish, mark it with "
                               f"`opsverify archive quarantine {run} --reason ...`"]


@pytest.mark.parametrize("key", [None, KEY], ids=["unsigned", "signed"])
def test_a_quarantined_run_verifies_and_stays_visible(tmp_path, key):
    reports = tmp_path / "reports"
    build(reports, 2, key=key.encode() if key else None)
    run = unfinished(reports, results_json=RECORD[:40])
    marked = opsverify("archive", "quarantine", run, "--reason", "disk full at 03:12 (INC-77)",
                       "--reports", str(reports), key=key)
    assert marked.returncode == 0, marked.stderr
    assert marked.stdout.strip() == (f"quarantined {run} as entry 3: disk full at 03:12 (INC-77) (found: "
                                     "results.json is cut short or not JSON (40B); junit.xml is missing; "
                                     "report.html is missing)")
    entry = entries(reports)[-1]
    assert entry["quarantine"]["reason"] == "disk full at 03:12 (INC-77)" and ("hmac" in entry) == bool(key)
    checked = opsverify("archive", "verify", "--reports", str(reports), key=key)
    assert checked.returncode == 0, checked.stdout
    lines = checked.stdout.splitlines()
    assert lines[0] == "archive OK: 3 entries, chain intact, every recorded file matches; 1 run quarantined (below)"
    assert any(line.startswith(f"quarantined: entry 3 ({run}) marked unfinished by ") and
               line.endswith(": disk full at 03:12 (INC-77) (found: results.json is cut short or not JSON (40B); "
                             "junit.xml is missing; report.html is missing)") for line in lines)
    (reports / run / "results.json").write_text('{"counts": {"passed": 99}}')  # finishing it by hand afterwards
    tampered = verify(reports, key=key.encode() if key else None)
    assert not tampered.ok and tampered.first_bad_seq == 3 and "results.json was changed" in tampered.problems[0]


@pytest.mark.parametrize(("which", "reason", "message"), [
    ("recorded", "x", "is already in the manifest: only a folder without an entry can be quarantined"),
    ("unknown", "x", "is not a run folder of the archive"),
    ("unfinished", "  ", "say why with --reason: an auditor reads it"),
])
def test_quarantine_refuses_what_it_cannot_mark(tmp_path, which, reason, message):
    reports = tmp_path / "reports"
    (recorded,) = build(reports, 1)
    run = {"recorded": recorded.relative_to(reports).as_posix(), "unknown": "demo/2026-11/20261124T090000Z-gone",
           "unfinished": unfinished(reports)}[which]
    before = (reports / "manifest.jsonl").read_bytes()
    done = opsverify("archive", "quarantine", run, "--reason", reason, "--reports", str(reports))
    assert done.returncode == 2 and done.stderr.startswith("opsverify archive quarantine: ") and message in done.stderr
    assert (reports / "manifest.jsonl").read_bytes() == before
