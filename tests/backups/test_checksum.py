"""Checksum: the newest backup against FILE.sha256 or its line in SHA256SUMS (as sha256sum writes them)."""

from __future__ import annotations

import hashlib
import os
import subprocess

from opsverify.checks.backup.checksum import checksum
from opsverify.result import Status
from tests.backups.conftest import Shelf, backup


def test_a_matching_sidecar_passes(shelf: Shelf) -> None:
    data = os.urandom(5000)
    shelf.put("db-1.gz", data)
    result = checksum(backup(shelf.glob(), checksum="sidecar"))
    assert result.status is Status.PASSED, result.reason
    digest = hashlib.sha256(data).hexdigest()
    assert result.reason == f"sha256 of db-1.gz matches db-1.gz.sha256 ({digest[:12]}…)"


def test_a_sidecar_of_another_file_fails_showing_both_digests(shelf: Shelf) -> None:
    shelf.put("db-1.gz", b"the real backup", digest=hashlib.sha256(b"something else").hexdigest())
    result = checksum(backup(shelf.glob(), checksum="sidecar"))
    assert result.status is Status.FAILED
    found, expected = hashlib.sha256(b"the real backup").hexdigest(), hashlib.sha256(b"something else").hexdigest()
    assert result.reason == (f"sha256 of db-1.gz does not match db-1.gz.sha256: file {found[:12]}…, "
                             f"db-1.gz.sha256 {expected[:12]}…")


def test_no_sidecar_fails(shelf: Shelf) -> None:
    shelf.put("db-1.gz", b"data", sidecar=False)
    result = checksum(backup(shelf.glob(), checksum="sidecar"))
    assert result.status is Status.FAILED
    assert result.reason == "no checksum for db-1.gz: neither db-1.gz.sha256 nor SHA256SUMS beside it"


def test_a_sha256sums_file_written_by_sha256sum_is_used(shelf: Shelf) -> None:
    shelf.put("db-1.gz", b"old", sidecar=False)
    shelf.put("db-2.gz", b"new", sidecar=False)
    sums = subprocess.run(["sha256sum", "db-1.gz", "db-2.gz"], cwd=shelf.folder, capture_output=True, check=True)
    (shelf.folder / "SHA256SUMS").write_bytes(sums.stdout)
    assert checksum(backup(shelf.glob(), checksum="sidecar")).status is Status.PASSED
    (shelf.folder / "db-2.gz").write_bytes(b"changed")
    result = checksum(backup(shelf.glob(), checksum="sidecar"))
    assert result.status is Status.FAILED and "does not match SHA256SUMS" in result.reason


def test_a_sha256sums_without_the_file_fails(shelf: Shelf) -> None:
    shelf.put("db-1.gz", b"data", sidecar=False)
    (shelf.folder / "SHA256SUMS").write_text(f"{'0' * 64}  other.gz\n")
    result = checksum(backup(shelf.glob(), checksum="sidecar"))
    assert result.status is Status.FAILED
    assert result.reason == "SHA256SUMS has no line for db-1.gz"


def test_a_sidecar_without_a_digest_fails(shelf: Shelf) -> None:
    shelf.put("db-1.gz", b"data", sidecar=False)
    (shelf.folder / "db-1.gz.sha256").write_text("not a digest\n")
    result = checksum(backup(shelf.glob(), checksum="sidecar"))
    assert result.status is Status.FAILED
    assert result.reason == "db-1.gz.sha256 does not hold a SHA-256 digest"
