"""The hash-chained manifest: one JSON line per archived run, appended under an exclusive lock."""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MANIFEST = "manifest.jsonl"
LOCK = ".manifest.lock"
GENESIS = "0" * 64
KEY_VARIABLE = "OPSV_ARCHIVE_KEY"
_CHUNK = 1024 * 1024
_TAIL_STEP = 64 * 1024


class ManifestError(Exception):
    """The manifest cannot be extended because its last line is not a complete entry."""


def archive_key() -> bytes | None:
    """The signing key from OPSV_ARCHIVE_KEY (its UTF-8 bytes), or None when unset or empty."""
    value = os.environ.get(KEY_VARIABLE, "")
    return value.encode() if value else None


def dumps(value: Any) -> bytes:
    """Canonical JSON: sorted keys, compact separators, ASCII, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes an entry's hash and hmac cover: the entry without "hash" and "hmac"."""
    return dumps({k: v for k, v in entry.items() if k not in ("hash", "hmac")})


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 hex of the entry's canonical bytes."""
    return hashlib.sha256(canonical(entry)).hexdigest()


def entry_hmac(entry: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 hex of the entry's canonical bytes with key."""
    return hmac.new(key, canonical(entry), hashlib.sha256).hexdigest()


def sha256_file(path: Path) -> str:
    """SHA-256 hex of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def run_files(run_dir: Path) -> list[str]:
    """Every file under run_dir as a posix path relative to it, sorted (dir links not followed)."""
    return sorted(
        (Path(top) / name).relative_to(run_dir).as_posix()
        for top, _, names in os.walk(run_dir)
        for name in names
    )


@contextmanager
def locked(reports_dir: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold the archive's flock: exclusive to append; shared to read (none if no lock file)."""
    lock = reports_dir / LOCK
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT if exclusive else os.O_RDONLY, 0o644)
    except FileNotFoundError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def append(reports_dir: Path, run_dir: Path, *, summary: dict, key: bytes | None = None) -> dict:
    """Record a finished run folder as the next manifest entry and return that entry."""
    run = _relative_run(reports_dir, run_dir)
    files = {name: sha256_file(run_dir / name) for name in run_files(run_dir)}
    path = reports_dir / MANIFEST
    with locked(reports_dir, exclusive=True):
        last, needs_newline = _last_entry(path)
        entry: dict[str, Any] = json.loads(dumps({
            "seq": last["seq"] + 1 if last else 1,
            "run": run,
            "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "summary": summary,
            "files": files,
            "prev": last["hash"] if last else GENESIS,
        }))  # the round trip makes the entry exactly what a reader will parse and re-hash
        entry["hash"] = entry_hash(entry)
        if key is not None:
            entry["hmac"] = entry_hmac(entry, key)
        _write_line(path, (b"\n" if needs_newline else b"") + dumps(entry) + b"\n")
    return entry


def _relative_run(reports_dir: Path, run_dir: Path) -> str:
    """run_dir relative to reports_dir (posix); an error when it is not a folder inside it."""
    try:
        run = run_dir.resolve().relative_to(reports_dir.resolve())
    except ValueError:
        raise ValueError(f"run folder {run_dir} is not inside the archive {reports_dir}") from None
    if not run.parts or not run_dir.is_dir():
        raise ValueError(f"{run_dir} is not a run folder inside the archive {reports_dir}")
    return run.as_posix()


def _last_entry(path: Path) -> tuple[dict[str, Any] | None, bool]:
    """The manifest's last entry (None when empty) and whether the file lacks a final newline."""
    last = _last_line(path)
    if last is None:
        return None, False
    line, ends_with_newline = last
    try:
        entry = json.loads(line)
        if isinstance(entry["seq"], int) and isinstance(entry["hash"], str):
            return entry, not ends_with_newline
    except (ValueError, KeyError, TypeError):
        pass
    raise ManifestError(f"the last line of {path} is not a complete manifest entry, so no run "
                        "can be chained to it; run `opsverify archive verify`")


def _last_line(path: Path) -> tuple[bytes, bool] | None:
    """The last line (without newline) and whether the file ends with one; None if it is empty."""
    try:
        with open(path, "rb") as f:
            pos = f.seek(0, os.SEEK_END)
            tail = b""
            while pos > 0:
                step = min(_TAIL_STEP, pos)
                pos -= step
                f.seek(pos)
                tail = f.read(step) + tail
                ends_with_newline = tail.endswith(b"\n")
                body = tail[:-1] if ends_with_newline else tail
                cut = body.rfind(b"\n")
                if cut >= 0 or pos == 0:
                    return body[cut + 1:], ends_with_newline
    except FileNotFoundError:
        pass
    return None


def _write_line(path: Path, data: bytes) -> None:
    """Append data in one os.write on an O_APPEND descriptor; fsync it (and the folder if new)."""
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(f"short write to {path}: {written} of {len(data)} bytes")
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
