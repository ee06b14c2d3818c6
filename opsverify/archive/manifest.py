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

from opsverify.archive import nofollow

MANIFEST = "manifest.jsonl"
LOCK = ".manifest.lock"
GENESIS = "0" * 64
KEY_VARIABLE = "OPSV_ARCHIVE_KEY"
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


def hashes(dirfd: int, where: Path) -> dict[str, str]:
    """Every file below a folder descriptor -> its SHA-256; Planted for a link or a FIFO found inside."""
    found = {}
    for name, kind, parent, base in nofollow.tree(dirfd):
        if kind != "file":
            raise nofollow.planted(where / name)
        found[name] = nofollow.sha256(parent, base)
    return found


@contextmanager
def locked(reports_dir: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold the archive's flock: exclusive to append; shared to read (none if no lock file). Never via a link."""
    fd = _lock(reports_dir, exclusive)
    if fd is None:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _lock(reports_dir: Path, exclusive: bool) -> int | None:
    """A descriptor of the lock file (made when exclusive); None for a reader when there is none yet."""
    try:
        with nofollow.folder(reports_dir) as root:
            return nofollow.open_file(root, LOCK, os.O_RDWR | os.O_CREAT if exclusive else os.O_RDONLY,
                                      reports_dir / LOCK)
    except FileNotFoundError:
        if exclusive:
            raise
        return None


def append(reports_dir: Path, run_dir: Path, *, summary: dict, key: bytes | None = None,
           quarantine: dict | None = None) -> dict:
    """Record a finished run folder as the next manifest entry and return that entry.

    With `quarantine` (reason, by, what was found) the entry marks an unfinished folder instead: it is
    then vouched for as it is, and verify shows the mark.
    """
    run = _relative_run(reports_dir, run_dir)
    with nofollow.folder(reports_dir, *run.split("/")) as fd:
        files = hashes(fd, run_dir)
    with locked(reports_dir, exclusive=True), nofollow.folder(reports_dir) as root:
        nofollow.refuse_link(root, MANIFEST, reports_dir / MANIFEST)
        last, needs_newline = _last_entry(root, reports_dir / MANIFEST)
        fields: dict[str, Any] = {
            "seq": last["seq"] + 1 if last else 1,
            "run": run,
            "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "summary": summary,
            "files": files,
            "prev": last["hash"] if last else GENESIS,
        }
        if quarantine is not None:
            fields["quarantine"] = quarantine
        entry: dict[str, Any] = json.loads(dumps(fields))  # exactly what a reader will parse and re-hash
        entry["hash"] = entry_hash(entry)
        if key is not None:
            entry["hmac"] = entry_hmac(entry, key)
        nofollow.append(root, MANIFEST, (b"\n" if needs_newline else b"") + dumps(entry) + b"\n")
    return entry


def _relative_run(reports_dir: Path, run_dir: Path) -> str:
    """run_dir relative to reports_dir (posix), by name; an error when it is not a folder inside it."""
    try:
        run = Path(os.path.abspath(run_dir)).relative_to(os.path.abspath(reports_dir))
    except ValueError:
        raise ValueError(f"run folder {run_dir} is not inside the archive {reports_dir}") from None
    if not run.parts or ".." in run.parts or not run_dir.is_dir():
        raise ValueError(f"{run_dir} is not a run folder inside the archive {reports_dir}")
    return run.as_posix()


def _last_entry(root: int, path: Path) -> tuple[dict[str, Any] | None, bool]:
    """The manifest's last entry (None when empty) and whether the file lacks a final newline."""
    last = _last_line(root)
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


def _last_line(root: int) -> tuple[bytes, bool] | None:
    """The last line (without newline) and whether the file ends with one; None if it is empty or absent."""
    try:
        with nofollow.opened(root, MANIFEST) as fd:
            pos = os.fstat(fd).st_size
            tail = b""
            while pos > 0:
                step = min(_TAIL_STEP, pos)
                pos -= step
                tail = os.pread(fd, step, pos) + tail
                ends_with_newline = tail.endswith(b"\n")
                body = tail[:-1] if ends_with_newline else tail
                cut = body.rfind(b"\n")
                if cut >= 0 or pos == 0:
                    return body[cut + 1:], ends_with_newline
    except FileNotFoundError:
        pass
    return None
