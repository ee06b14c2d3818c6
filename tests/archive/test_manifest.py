"""The manifest: entries chain, files are hashed, concurrent appends neither corrupt nor fork it."""

from __future__ import annotations

import hashlib
import multiprocessing
import re
from pathlib import Path

import pytest

from opsverify.archive import (
    ManifestError, append, archive_key, format_verification, new_run_folder, verify,
)
from opsverify.archive.manifest import GENESIS, MANIFEST, entry_hash
from tests.archive.helpers import START, append_worker, build, entries, lines, record_run


def test_several_runs_round_trip(tmp_path: Path) -> None:
    """Three recorded runs form a chain from 64 zeros, list their files and verify clean."""
    runs = build(tmp_path, 3)
    chain = entries(tmp_path)
    assert [e["seq"] for e in chain] == [1, 2, 3]
    assert chain[0]["prev"] == GENESIS
    assert [e["prev"] for e in chain[1:]] == [e["hash"] for e in chain[:-1]]
    assert [entry_hash(e) for e in chain] == [e["hash"] for e in chain]
    assert not any("hmac" in e for e in chain)
    first = chain[0]
    assert first["run"] == "demo/2026-11/20261123T100000Z-daily"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["recorded"])
    assert first["summary"] == {"environment": "demo", "label": "daily", "passed": 12, "failed": 1}
    assert list(first["files"]) == ["assets/locust_stats.csv", "junit.xml", "report.html",
                                    "results.json"]
    assert first["files"]["report.html"] == hashlib.sha256((runs[0] / "report.html").read_bytes()).hexdigest()
    result = verify(tmp_path)
    assert result.ok
    assert (result.entries, result.problems, result.first_bad_seq) == (3, [], None)
    assert result.head == chain[-1]["hash"]
    assert format_verification(result).startswith("archive OK: 3 entries")


def test_append_returns_the_line_it_wrote(tmp_path: Path) -> None:
    """The returned entry is exactly what a reader parses back, hmac included with a key."""
    run = record_run(tmp_path, 1)
    again = append(tmp_path, run, summary={"note": "recorded twice"}, key=b"k")
    assert entries(tmp_path)[-1] == again
    assert again["seq"] == 2
    assert "hmac" in again


def test_twenty_processes_appending_at_once_keep_one_chain(tmp_path: Path) -> None:
    """Twenty processes released together each get their own folder and one entry of one chain."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(20)
    workers = [context.Process(target=append_worker, args=(str(tmp_path), n, barrier))
               for n in range(20)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * 20
    chain = entries(tmp_path)
    assert [e["seq"] for e in chain] == list(range(1, 21))
    assert len({e["run"] for e in chain}) == 20
    result = verify(tmp_path)
    assert result.ok, format_verification(result)


def test_a_run_folder_outside_the_archive_is_refused(tmp_path: Path) -> None:
    """Only a folder inside reports_dir can be recorded."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(ValueError, match="not inside the archive"):
        append(tmp_path / "reports", outside, summary={})


def test_append_refuses_to_chain_onto_a_truncated_line(tmp_path: Path) -> None:
    """A cut last line is left for verify to report; nothing is appended after it."""
    build(tmp_path, 2)
    manifest = tmp_path / MANIFEST
    manifest.write_bytes(manifest.read_bytes()[:-40])
    before = manifest.read_bytes()
    with pytest.raises(ManifestError, match="not a complete manifest entry"):
        record_run(tmp_path, 3)
    assert manifest.read_bytes() == before


def test_append_after_a_lost_final_newline_starts_a_new_line(tmp_path: Path) -> None:
    """A complete last entry without its newline still gets the next entry on a line of its own."""
    build(tmp_path, 2)
    manifest = tmp_path / MANIFEST
    manifest.write_bytes(manifest.read_bytes().rstrip(b"\n"))
    record_run(tmp_path, 3)
    assert [e["seq"] for e in entries(tmp_path)] == [1, 2, 3]
    assert verify(tmp_path).ok


def test_an_entry_longer_than_one_read_of_the_tail_is_chained(tmp_path: Path) -> None:
    """The last entry is found even when its line is longer than the 64 KiB tail reads."""
    build(tmp_path, 1)
    run = new_run_folder(tmp_path, "demo", "weekly", START)
    for i in range(300):
        (run / f"{i:03}-{'x' * 230}.png").write_text(str(i))
    append(tmp_path, run, summary={})
    assert len(lines(tmp_path)[-1]) > 64 * 1024
    record_run(tmp_path, 3)
    chain = entries(tmp_path)
    assert chain[2]["prev"] == chain[1]["hash"]
    assert verify(tmp_path).ok


def test_archive_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """OPSV_ARCHIVE_KEY gives the key; unset or empty means no key."""
    monkeypatch.setenv("OPSV_ARCHIVE_KEY", "s3cret")
    assert archive_key() == b"s3cret"
    monkeypatch.setenv("OPSV_ARCHIVE_KEY", "")
    assert archive_key() is None
    monkeypatch.delenv("OPSV_ARCHIVE_KEY")
    assert archive_key() is None
