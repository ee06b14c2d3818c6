"""Verify: each way a person could alter the archive is caught, the first altered entry first."""

from __future__ import annotations

import shutil
from pathlib import Path

from opsverify.archive import format_verification, verify
from opsverify.archive.manifest import MANIFEST
from tests.archive.helpers import build, entries, lines, rechain, write_entries, write_lines

RUN2 = "demo/2026-11/20261123T110000Z-daily"
RUN4 = "demo/2026-11/20261123T130000Z-daily"


def test_one_changed_byte_in_a_report_names_the_entry_and_the_file(tmp_path: Path) -> None:
    """Flipping one bit of an archived report.html names entry 2 and the file, with both hashes."""
    runs = build(tmp_path, 4)
    report = runs[1] / "report.html"
    data = bytearray(report.read_bytes())
    data[20] ^= 0x01
    report.write_bytes(bytes(data))
    result = verify(tmp_path)
    assert not result.ok
    assert result.first_bad_seq == 2
    assert len(result.problems) == 1
    assert result.problems[0].startswith(f"entry 2 ({RUN2}): report.html was changed (sha256 ")
    assert result.problems[0].endswith("… now)")
    assert format_verification(result).splitlines()[:2] == [
        "archive NOT OK: 1 problem in 4 entries; first altered entry: 2",
        f"  {result.problems[0]}",
    ]


def test_a_removed_entry_line_is_named(tmp_path: Path) -> None:
    """A deleted line is named by its seq, and its now unlisted run folder is reported last."""
    build(tmp_path, 4)
    chain = lines(tmp_path)
    write_lines(tmp_path, chain[:1] + chain[2:])
    result = verify(tmp_path)
    assert result.first_bad_seq == 2
    assert result.problems[0] == "entry 3 follows entry 1: entry 2 was removed"
    assert result.problems[1].startswith(f"{RUN2}: this run folder is not in the manifest")
    assert len(result.problems) == 2


def test_removed_first_entries_are_named(tmp_path: Path) -> None:
    """Cutting the first entries off is seen even though the rest of the chain holds."""
    build(tmp_path, 4)
    write_lines(tmp_path, lines(tmp_path)[2:])
    result = verify(tmp_path)
    assert result.first_bad_seq == 1
    assert result.problems[0] == "entry 3 is the first entry: entries 1–2 were removed"


def test_two_swapped_lines_are_reported_as_reordered(tmp_path: Path) -> None:
    """Swapped lines are called a reordering, pointing at where the missing entry went."""
    build(tmp_path, 4)
    chain = lines(tmp_path)
    chain[1], chain[2] = chain[2], chain[1]
    write_lines(tmp_path, chain)
    result = verify(tmp_path)
    assert result.first_bad_seq == 2
    assert result.problems[0] == ("entry 3 follows entry 1: the entries were reordered "
                                  "(entry 2 is on line 3)")
    assert all("reordered" in p for p in result.problems)


def test_a_last_line_cut_mid_json_is_reported_as_truncated(tmp_path: Path) -> None:
    """A last line cut in the middle of its JSON is reported as truncated."""
    build(tmp_path, 3)
    manifest = tmp_path / MANIFEST
    manifest.write_bytes(manifest.read_bytes()[:-100])
    result = verify(tmp_path)
    assert result.first_bad_seq == 3
    assert result.problems[0].startswith("line 3 is truncated: the last entry is incomplete")


def test_a_garbled_line_in_the_middle_is_not_called_truncated(tmp_path: Path) -> None:
    """A broken line before the end is reported as not an entry."""
    build(tmp_path, 3)
    chain = lines(tmp_path)
    chain[1] = chain[1][:50]
    write_lines(tmp_path, chain)
    result = verify(tmp_path)
    assert result.first_bad_seq == 2
    assert result.problems[0].startswith("line 2 is not a manifest entry (invalid JSON")


def test_hostile_lines_are_reported_not_crashed_on(tmp_path: Path) -> None:
    """NaN, deep nesting, a non-object and a wrong type are each one problem, never a traceback."""
    build(tmp_path, 1)
    chain = lines(tmp_path)
    hostile = ['{"seq": NaN}', "[" * 100_000, "[1]", chain[0][:-1] + ',"seq":true}']
    write_lines(tmp_path, chain + hostile)
    result = verify(tmp_path)
    assert [p.split(" (")[0] for p in result.problems] == [
        f"line {n} is not a manifest entry" for n in (2, 3, 4, 5)]


def test_a_deleted_run_folder_is_reported(tmp_path: Path) -> None:
    """A run folder deleted as a whole is one problem, not one per file."""
    runs = build(tmp_path, 3)
    shutil.rmtree(runs[1])
    result = verify(tmp_path)
    assert result.problems == [f"entry 2 ({RUN2}): the run folder is missing"]


def test_a_deleted_and_an_added_file_are_reported(tmp_path: Path) -> None:
    """A missing results.json and a file slipped into a recorded run are both named."""
    runs = build(tmp_path, 4)
    (runs[3] / "results.json").unlink()
    (runs[1] / "waiver.txt").write_text("approved by nobody")
    result = verify(tmp_path)
    assert result.problems == [
        f"entry 2 ({RUN2}): waiver.txt was added after the run was recorded",
        f"entry 4 ({RUN4}): results.json is missing",
    ]


def test_an_edited_summary_is_caught_by_the_entry_hash(tmp_path: Path) -> None:
    """Turning a failure count into zero inside an entry breaks that entry's own hash."""
    build(tmp_path, 3)
    chain = entries(tmp_path)
    chain[1]["summary"]["failed"] = 0
    write_entries(tmp_path, chain)
    result = verify(tmp_path)
    assert result.first_bad_seq == 2
    assert result.problems == [f"entry 2 ({RUN2}): the entry was edited after it was recorded "
                               "(its hash does not match its contents)"]


def test_an_edited_and_rehashed_entry_breaks_the_next_link(tmp_path: Path) -> None:
    """Re-hashing the edited entry alone leaves the next entry's prev pointing at the original."""
    build(tmp_path, 3)
    chain = entries(tmp_path)
    chain[1]["summary"]["failed"] = 0
    rechain(chain[:2], 1)
    write_entries(tmp_path, chain)
    result = verify(tmp_path)
    assert result.first_bad_seq == 2
    assert result.problems == ["entry 3: prev is not the hash of entry 2: entry 2 was replaced, "
                               "or edited and re-hashed"]


def test_the_first_altered_entry_is_named_first(tmp_path: Path) -> None:
    """Problems are ordered by entry, whatever order they were found in."""
    runs = build(tmp_path, 5)
    (runs[3] / "report.html").write_text("all green")
    chain = entries(tmp_path)
    chain[1]["summary"]["failed"] = 0
    write_entries(tmp_path, chain)
    result = verify(tmp_path)
    assert result.first_bad_seq == 2
    assert [p.split(" (")[0] for p in result.problems] == ["entry 2", "entry 4"]


def test_a_run_folder_missing_from_the_manifest_is_not_ok(tmp_path: Path) -> None:
    """A run folder nobody recorded is not vouched for."""
    build(tmp_path, 2)
    forged = tmp_path / "demo" / "2026-11" / "20261124T090000Z-daily"
    forged.mkdir()
    (forged / "report.html").write_text("all green")
    result = verify(tmp_path)
    assert not result.ok
    assert result.first_bad_seq is None
    assert result.problems[0].startswith("demo/2026-11/20261124T090000Z-daily: this run folder "
                                         "is not in the manifest")


def test_folders_outside_the_run_layout_are_left_alone(tmp_path: Path) -> None:
    """A git checkout of the archive or a README beside it is not mistaken for a run."""
    build(tmp_path, 1)
    (tmp_path / ".git" / "objects" / "ab").mkdir(parents=True)
    (tmp_path / "README.md").write_text("the archive")
    assert verify(tmp_path).ok


def test_a_missing_manifest_is_not_ok(tmp_path: Path) -> None:
    """Without a manifest nothing is vouched for, and the output says where it looked."""
    result = verify(tmp_path)
    assert not result.ok
    assert result.entries == 0
    assert result.problems[0].startswith(f"no manifest at {tmp_path / MANIFEST}")
    assert format_verification(result).splitlines()[1].startswith("  no manifest at ")


def test_an_empty_manifest_of_an_empty_archive_is_ok(tmp_path: Path) -> None:
    """A fresh archive with an empty manifest and no runs is fine."""
    (tmp_path / MANIFEST).touch()
    result = verify(tmp_path)
    assert result.ok
    assert result.entries == 0
    assert result.head is None


def test_unsigned_entries_are_flagged_as_such(tmp_path: Path) -> None:
    """Without signatures the result says what the chain alone cannot prove."""
    build(tmp_path, 1)
    assert verify(tmp_path).notes[0].startswith("the entries are not signed")
